"""The one training loop of gluenn: jitted chunks of optimiser steps, logging between chunks.

Every model (GlueNN ansatz, neural ODE, baseline PINN) trains through :func:`optimise`:
the caller gives a pure loss ``f(params) -> (total, {term: value})`` and a list of phases.
Steps run ``log_every`` at a time inside one compiled ``lax.fori_loop`` (no Python per step,
one compilation per phase); between chunks the loss terms come to the host for the log, the
progress bar, early stopping, the non-finite guard (roll back, retry with a smaller step) and
``Ctrl-C`` (finish the chunk, then stop with a :class:`Resume` point).
"""

from __future__ import annotations

import dataclasses
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import require
from .._io import leaves_from_bytes
from ._balance import Weights
from ._phases import Objective, Phase


@dataclasses.dataclass
class History:
    """What happened during training.

    - `rows`: one dict per log point: ``phase``, ``step`` (global), ``loss``, each loss term,
      ``time`` (seconds of training so far).
    - `stop_reason`: why training stopped (``"completed"``, ``"tolerance reached"``,
      ``"non-finite loss ..."`` once the retries are used up, ``"interrupted"``).
    - `retries`: one dict per non-finite chunk that was rolled back and retried with a
      smaller step (phase, step, the phase's new settings).
    - `compile_seconds` / `train_seconds`: compilation separated from stepping.
    - `resume`: where an interrupted run stopped (``None`` otherwise).
    """

    rows: list = dataclasses.field(default_factory=list)
    term_names: list = dataclasses.field(default_factory=list)
    stop_reason: str = "completed"
    structure: str | None = None
    phases: list = dataclasses.field(default_factory=list)
    retries: list = dataclasses.field(default_factory=list)
    steps: int = 0
    compile_seconds: float = 0.0
    train_seconds: float = 0.0
    resume: "Resume | None" = None

    def to_dict(self) -> dict:
        """JSON-ready (without `resume`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "resume"}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(**{k: v for k, v in d.items() if k in {f.name for f in dataclasses.fields(cls)}})

    @property
    def final(self) -> dict:
        return self.rows[-1] if self.rows else {}

    @property
    def final_terms(self) -> dict:
        """The loss terms of the last log row (without step, time or diagnostics)."""
        return {k: self.final[k] for k in self.term_names if k in self.final}


@dataclasses.dataclass
class Resume:
    """Where an interrupted :func:`optimise` stopped, to continue it bit-identically.

    - `phase_index`: index into the phases given to :func:`optimise`.
    - `phase`: that phase as it was running (after retries its step is smaller).
    - `done`: steps of `phase` already taken.
    - `state`: its optimiser state (a pytree), or the bytes of one written by
      ``eqx.tree_serialise_leaves`` (read back against ``phase.init(params)``).
    - `weights`: the loss-term weights of an automatic :class:`~gluenn.train.Weights` strategy.

    `phase` may also be the dict of its fields (as saved in JSON); :func:`optimise` rebuilds it
    on the class of the phase at `phase_index`.
    """

    phase_index: int
    phase: Phase
    done: int
    state: object
    weights: dict | None = None


class _CtrlC:
    """First Ctrl-C: finish the running chunk, then stop cleanly. Second: abort at once."""

    def __init__(self):
        self.requested = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        print("\ngluenn: stopping after the current chunk of steps (Ctrl-C again to abort now)",
              file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
        return False


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, unit="step", dynamic_ncols=True, leave=True, file=sys.stderr)

    def update(self, n: int, phase: str, row: dict, keys: Sequence[str]):
        if self.bar is None:
            return
        self.bar.set_description(phase)
        post = {"loss": f"{row['loss']:.3e}"}
        post.update({k: f"{row[k]:.2e}" for k in keys})
        self.bar.set_postfix(post, refresh=False)
        self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def optimise(
    f: "Callable | Objective",
    params,
    phases: Sequence[Phase],
    *,
    log_every: int = 100,
    tol: float | None = None,
    progress: bool | None = None,
    callback: Callable[[dict, object], None] | None = None,
    max_retries: int = 3,
    resume: "tuple[History, Resume] | None" = None,
    ensemble: bool = False,
    weights: "Weights | None" = None,
):
    """Minimise ``f(params) -> (total, terms)`` through ``phases`` in order.

    **Arguments:**

    - `f`: pure, jittable ``f(params) -> (total, terms)`` (``terms``: dict of scalar loss
      terms, logged), or an :class:`Objective` (needed by least-squares phases).
    - `params`: a pytree of float arrays.
    - `phases`: e.g. ``[Adam(2000), LBFGS(500)]``.
    - `log_every`: steps per compiled chunk (and per log row). Larger is faster.
    - `tol`: stop everything once the total loss is below it.
    - `progress`: show a bar (default: only on a terminal).
    - `callback`: ``callback(row, params)`` after each chunk.
    - `max_retries`: non-finite chunks retried per phase (see below).
    - `resume`: ``(history, Resume)`` of an interrupted call with the same `f` and `phases`
      (and `params` as it returned them): continues where it stopped; with the same chunking
      the result is bit-identical to an uninterrupted run.
    - `ensemble`: `params` is a stack of K models (every leaf has a leading axis K): they are
      trained together, each on its own, by ``jax.vmap`` of every step (one compilation). The
      log shows the mean loss (``loss``) and the worst (``loss_max``); a chunk is retried if
      any member's loss is non-finite, and convergence / `tol` need every member.
    - `weights`: a :class:`~gluenn.train.Weights` strategy (e.g. :class:`~gluenn.train.GradNorm`)
      for the objective's unweighted ``terms`` instead of their fixed weights; updated after each
      chunk (frozen during L-BFGS), logged as ``w:NAME`` and the strategy's statistic
      (``g:NAME``: gradient norm, ``k:NAME``: NTK trace).

    **Returns:** ``(params, History)``.

    **Guards.** A chunk that ends with a non-finite loss is not applied: the parameters roll
    back to the last finite state and the phase restarts from there with a smaller step
    (:meth:`Phase.retry`: Adam's rate × 1/4, fresh L-BFGS memory, more Levenberg–Marquardt
    damping), at most `max_retries` times per phase; after that training stops with the
    reason in ``History.stop_reason``. ``Ctrl-C`` finishes the running chunk and stops with
    ``"interrupted"`` and ``History.resume`` set (a second ``Ctrl-C`` aborts at once, keeping
    the last completed chunk).
    """
    require(isinstance(log_every, int) and log_every >= 1, "log_every", log_every, "use a positive integer")
    require(isinstance(max_retries, int) and max_retries >= 0, "max_retries", max_retries, "use an integer >= 0")
    if progress is None:
        progress = sys.stderr.isatty()
    objective = f if isinstance(f, Objective) else Objective(f)
    require(weights is None or not ensemble, "weights", weights, "automatic weights are per model; "
            "train ensemble members with fixed weights")
    make = (lambda w: objective.weighted(w)) if weights is not None else (lambda w: objective)  # noqa: E731
    value = lambda p, w: make(w).value(p)  # noqa: E731
    evaluate = jax.jit(jax.vmap(value, in_axes=(0, None)) if ensemble else value)
    init = (lambda ph, p: jax.vmap(ph.init)(p)) if ensemble else (lambda ph, p: ph.init(p))
    hist, at = resume if resume is not None else (History(), None)
    w, norms = {}, None
    if weights is not None:
        # least-squares phases move only the output layers: measure with respect to what trains
        trained = objective.linear if objective.linear is not None and all(p.linear_only for p in phases) else None
        norms, prio = jax.jit(weights.measure(objective, trained)), objective.priorities
        w = at.weights if at is not None and at.weights is not None else weights.init(_floats(norms(params)), prio)
    wts = lambda: {k: jnp.asarray(v, jnp.float64) for k, v in w.items()}  # noqa: E731  (traced, not baked in)
    if at is not None and isinstance(at.phase, dict):  # as read back from JSON: on the class given
        base = phases[at.phase_index]
        known = {f.name for f in dataclasses.fields(base)}
        at = dataclasses.replace(at, phase=dataclasses.replace(base, **{k: v for k, v in at.phase.items()
                                                                        if k in known}))
    hist.stop_reason, hist.resume = "completed", None
    t0 = time.perf_counter()
    evaluate.lower(params, wts()).compile()
    hist.compile_seconds += time.perf_counter() - t0
    if at is None:
        loss0, terms0 = evaluate(params, wts())
        hist.rows.append(_row("init", 0, loss0, terms0, 0.0))
        if ensemble:
            hist.rows[-1]["loss_max"] = float(np.max(loss0))
        hist.term_names = list(terms0)
        if weights is not None:
            hist.rows[-1].update({f"w:{k}": v for k, v in w.items()})
    term_keys = hist.term_names
    bar = _Progress(sum(p.steps for p in phases), progress)
    if at is not None:
        bar.update(hist.steps, "resumed", hist.rows[-1], term_keys)
    # (phase index, phase, steps done in it, params, optimiser state, global steps): replaced
    # whole after each chunk, so that an abort at any moment leaves a consistent resume point
    snap = None
    try:
        with _CtrlC() as ctrl_c:
            for i, phase in enumerate(phases):
                if at is not None and i < at.phase_index:
                    continue
                if at is not None and i == at.phase_index:
                    phase, done = at.phase, at.done
                    state = at.state
                    if isinstance(state, (bytes, bytearray)):
                        state = leaves_from_bytes(state, init(phase, params))
                else:
                    done, state = 0, init(phase, params)
                if phase.steps == 0:
                    continue
                snap = (i, phase, done, params, state, hist.steps, dict(w))
                compiled = _compile(make, phase, params, state, wts(), hist, ensemble)
                last_loss, retries = hist.rows[-1].get("loss_max", hist.rows[-1]["loss"]), 0
                while done < phase.steps:
                    n = min(log_every, phase.steps - done)
                    t0 = time.perf_counter()
                    new_params, new_state = compiled(params, state, jnp.int32(n), wts())
                    losses, terms = evaluate(new_params, wts())
                    loss = float(np.max(losses))  # the worst member of an ensemble
                    hist.train_seconds += time.perf_counter() - t0
                    if not math.isfinite(loss):
                        smaller = phase.retry(phase.steps - done) if retries < max_retries else None
                        if smaller is None:
                            hist.stop_reason = (f"non-finite loss at step {hist.steps + n} of {phase.name}"
                                                + (f" after {retries} retries with smaller steps" if retries else ""))
                            raise _Stop
                        retries += 1
                        hist.retries.append({"phase": phase.name, "step": hist.steps, **_changed(phase, smaller)})
                        phase, done, state = smaller, 0, init(smaller, params)
                        snap = (i, phase, done, params, state, hist.steps, dict(w))
                        compiled = _compile(make, phase, params, state, wts(), hist, ensemble)
                        continue
                    params, state = new_params, new_state
                    done += n
                    hist.steps += n
                    if weights is not None:
                        g = _floats(norms(params))
                        if not phase.fixed_objective:
                            w = weights.update(w, g, prio)
                    snap = (i, phase, done, params, state, hist.steps, dict(w))
                    row = _row(phase.name, hist.steps, losses, terms, hist.train_seconds)
                    if ensemble:
                        row["loss_max"] = loss
                    if weights is not None:
                        row.update({f"w:{k}": v for k, v in w.items()})
                        row.update({f"{weights.label}:{k}": v for k, v in g.items()})
                    row.update({k: float(np.max(np.asarray(v))) for k, v in phase.diagnostics(state).items()})
                    hist.rows.append(row)
                    bar.update(n, phase.name, row, term_keys)
                    if callback is not None:
                        callback(row, params)
                    if tol is not None and loss < tol:
                        hist.stop_reason = "tolerance reached"
                        raise _Stop
                    if ctrl_c.requested:
                        raise KeyboardInterrupt
                    if loss == last_loss and phase.name in ("lbfgs", "gauss-newton"):
                        break  # converged to machine precision: on to the next phase, if any
                    last_loss = loss
    except _Stop:
        pass
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"
        if snap is not None:
            i, phase, done, params, state, hist.steps, w = snap
            hist.resume = Resume(i, phase, done, state, w or None)
            del hist.rows[_rows_upto(hist.rows, hist.steps):]
    finally:
        bar.close()
    return params, hist


def _compile(make, phase, params, state, w, hist, ensemble=False):
    def chunk(p, s, n, w):
        objective = make(w)
        step = lambda p, s: phase.step(objective, p, s)  # noqa: E731
        if ensemble:
            step = jax.vmap(step)
        return jax.lax.fori_loop(0, n, lambda _, c: step(*c), (p, s))

    t0 = time.perf_counter()
    compiled = jax.jit(chunk).lower(params, state, jnp.int32(1), w).compile()
    hist.compile_seconds += time.perf_counter() - t0
    return compiled


def _floats(d) -> dict:
    return {k: float(v) for k, v in d.items()}


def _changed(old: Phase, new: Phase) -> dict:
    a, b = dataclasses.asdict(old), dataclasses.asdict(new)
    return {k: v for k, v in b.items() if a.get(k) != v}


def _rows_upto(rows: list, steps: int) -> int:
    """Rows logged up to global step `steps` (a row may follow the last snapshot on an abort)."""
    return next((j for j, r in enumerate(rows) if r["step"] > steps), len(rows))


class _Stop(Exception):
    pass


def _row(phase: str, step: int, loss, terms: dict, seconds: float) -> dict:
    """A log row; for an ensemble, the mean over its members."""
    row = {"phase": phase, "step": int(step), "loss": float(np.mean(loss))}
    row.update({k: float(np.mean(np.asarray(v))) for k, v in terms.items()})
    row["time"] = round(float(seconds), 4)
    return row
