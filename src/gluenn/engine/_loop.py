"""The one training loop of gluenn: jitted chunks of optimiser steps, logging between chunks.

Every model (GlueNN ansatz, neural ODE, baseline PINN) trains through :func:`optimise`:
the caller gives an :class:`~gluenn.engine.Objective` (or a pure ``f(params) -> (total, terms)``)
and a list of phases. Steps run ``log_every`` at a time inside one compiled ``lax.fori_loop``
(no Python per step, one compilation per phase); between chunks the loss terms come to the
host, where small pieces act: :class:`_Weighting` (fixed or automatic loss weights), the
tolerance and convergence checks, :class:`~gluenn.engine._guards.CtrlC` and the progress bar.

**Guards.** A chunk that ends with a non-finite loss is not applied: the parameters roll back to
the last finite state and the phase restarts from there with a smaller step (:meth:`Phase.retry`),
at most ``max_retries`` times per phase; after that training stops with
:attr:`StopReason.NON_FINITE`. A monotone phase ends early once the loss has stayed bit-identical
for :attr:`~Phase.converged_after` steps. ``Ctrl-C`` finishes the running chunk and stops with
:attr:`StopReason.INTERRUPTED` and ``History.resume`` set (a second ``Ctrl-C`` aborts at once,
keeping the last completed chunk).
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError, require
from .._io import leaves_from_bytes
from ._balance import Weights
from ._guards import CtrlC, ProgressBar
from ._history import History, Resume, StopReason
from ._phases import Objective, Phase


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
    member_data: bool = False,
    member_batch: int | None = None,
    programs: dict | None = None,
):
    """Minimise ``f(params) -> (total, terms)`` through ``phases`` in order; returns ``(params, History)``.

    - `f`: an :class:`Objective` (least-squares phases need its rows), or a pure, jittable
      ``f(params) -> (total, terms)``; `params`: a pytree of float arrays.
    - `phases`: e.g. ``[Adam(2000), LBFGS(500)]``; `log_every`: steps per compiled chunk and log row.
    - `tol`: stop once the total loss is below it; `progress`: a bar (default: on a terminal); `callback`:
      ``callback(row, params)`` after each chunk; `max_retries`: per phase (module notes: the guards).
    - `resume`: ``(history, Resume)`` of an interrupted call with the same `f` and `phases`: bit-identical.
    - `ensemble`: `params` is a stack of K models (leading axis K) trained together by ``jax.vmap``
      (one compilation); rows log the mean ``loss`` and the worst ``loss_max``; retries, `tol` and
      convergence go by the worst member. `member_data`: the objective's `data` has the leading
      axis K too, and member k sees its slice k (problems that differ in their data, as one program);
      `member_batch`: then at most this many step at once (``jax.lax.map``: a batch's memory; default all).
    - `weights`: a :class:`~gluenn.engine.Weights` strategy for the objective's unweighted terms
      instead of its own weights, updated between chunks (not during ``fixed_objective`` phases).
    - `programs`: a dict the caller keeps across calls of the same computation over other data
      (each phase compiled once: ``_Loop._shared``).

    Cost: one compilation per phase (and per retry), then ``steps / log_every`` host round trips.
    """
    _check_options(phases, log_every, tol, max_retries, weights, ensemble, member_data, member_batch)
    objective = f if isinstance(f, Objective) else Objective(f)
    hist, at = (resume[0], _rebuild(resume[1], phases)) if resume is not None else (History(), None)
    loop = _Loop(objective, phases, _Weighting(objective, phases, weights, params, at), hist, log_every=log_every,
                 tol=tol, max_retries=max_retries, callback=callback, ensemble=ensemble, member_data=member_data,
                 member_batch=member_batch, programs=programs)
    loop.begin(params, at)
    loop.bar = ProgressBar(sum(p.steps for p in phases), sys.stderr.isatty() if progress is None else progress)
    if at is not None:
        loop.bar.update(hist.steps, "resumed", hist.rows[-1], hist.term_names)
    try:
        with CtrlC() as loop.ctrl_c:
            for i, phase in enumerate(phases):
                if at is None or i >= at.phase_index:
                    loop.run_phase(i, phase, at if at is not None and i == at.phase_index else None)
    except _Stop:
        pass
    except KeyboardInterrupt:
        loop.interrupted()
    finally:
        loop.bar.close()
    loop.log_start()  # when no phase stepped
    return loop.params, hist


@dataclasses.dataclass(frozen=True)
class _Point:
    """A consistent place to stop: replaced whole after each chunk, so that an abort at any
    moment leaves a resume point whose parts belong together."""

    phase_index: int
    phase: Phase
    done: int
    params: object
    state: object
    steps: int
    weights: dict


class _Weighting:
    """The objective's own weights, or an automatic :class:`Weights` strategy updated between chunks."""

    def __init__(self, objective: Objective, phases, strategy: Weights | None, params, at: Resume | None):
        self.objective, self.strategy, self.w = objective, strategy, {}
        if strategy is None:
            return
        # least-squares phases move only the output layers: measure with respect to what trains
        linear = objective.linear is not None and all(p.linear_only for p in phases)
        self.measure = jax.jit(strategy.measure(objective, objective.linear if linear else None))
        self.priorities = objective.priorities
        self.w = (at.weights if at is not None and at.weights is not None
                  else strategy.init(_floats(self.measure(params)), self.priorities))

    def make(self, w, data=None) -> Objective:
        """The objective over `data` under weights `w` (both traced inside the compiled chunk)."""
        objective = self.objective.over(data)
        return objective if self.strategy is None else objective.weighted(w)

    def traced(self) -> dict:
        return {k: jnp.asarray(v, jnp.float64) for k, v in self.w.items()}  # an argument, not baked in

    def after_chunk(self, params, phase: Phase) -> dict:
        """Update the weights (unless `phase` needs a fixed objective); the log columns."""
        if self.strategy is None:
            return {}
        stats = _floats(self.measure(params))
        if not phase.fixed_objective:
            self.w = self.strategy.update(self.w, stats, self.priorities)
        return {**{f"w:{k}": v for k, v in self.w.items()},
                **{f"{self.strategy.label}:{k}": v for k, v in stats.items()}}


def _check_options(phases, log_every, tol, max_retries, weights, ensemble, member_data, member_batch) -> None:
    require(len(phases) > 0, "phases", list(phases), "give at least one phase, e.g. [Adam(2000)]")
    require(isinstance(log_every, int) and log_every >= 1, "log_every", log_every, "use a positive integer")
    require(tol is None or (isinstance(tol, (int, float)) and not isinstance(tol, bool) and math.isfinite(tol) and tol > 0),
            "tol", tol, "use a positive number (stop once the total loss is below it), or None")
    require(isinstance(max_retries, int) and max_retries >= 0, "max_retries", max_retries, "use an integer >= 0")
    require(weights is None or not ensemble, "weights", weights, "automatic weights are per model; fix them for ensembles")
    require(ensemble or not member_data, "member_data", member_data, "member data need ensemble=True")
    require(member_batch is None or (isinstance(member_batch, int) and member_batch >= 1), "member_batch", member_batch,
            "use a positive integer (or None: every member at once)")


class _Loop:
    """The state of one :func:`optimise` call between chunks."""

    def __init__(self, objective, phases, weighting, hist, *, log_every, tol, max_retries, callback, ensemble,
                 member_data=False, member_batch=None, programs=None):
        self.phases, self.weighting, self.hist, self.ensemble = phases, weighting, hist, ensemble
        self.programs = programs
        self.log_every, self.tol, self.max_retries, self.callback = log_every, tol, max_retries, callback
        self.member_data, self.member_batch = member_data, member_batch
        value = lambda p, w, d: weighting.make(w, d).value(p)  # noqa: E731
        # traced into each chunk
        self.value = jax.vmap(value, in_axes=(0, None, 0 if member_data else None)) if ensemble else value
        self.data = objective.data  # an argument of every compiled program, not a constant in it
        self.point, self.started = None, False

    def init_state(self, phase: Phase, params):
        return jax.vmap(phase.init)(params) if self.ensemble else phase.init(params)

    def begin(self, params, at: Resume | None) -> None:
        """Start (or resume) at `params`; the initial loss is logged by :meth:`log_start`."""
        self.params, hist = params, self.hist
        hist.stop_reason, hist.stop_detail, hist.resume = StopReason.COMPLETED, "", None
        self.started = at is not None

    def log_start(self, start=None) -> None:
        """Log the initial loss, once (not when resuming): `start` is ``(total, terms)`` at the
        parameters a chunk began from, as the first chunk returns it — no program of its own; when
        no phase steps, from an evaluation compiled here."""
        if self.started:
            return
        self.started, w = True, self.weighting.traced()
        if start is not None:
            loss0, terms0 = start
        else:
            t0 = time.perf_counter()
            evaluate = jax.jit(self.value).lower(self.params, w, self.data).compile()
            self.hist.compile_seconds += time.perf_counter() - t0
            loss0, terms0 = evaluate(self.params, w, self.data)
        row = _row("init", 0, loss0, terms0, 0.0)
        if self.ensemble:
            row["loss_max"] = float(np.max(loss0))
        row.update({f"w:{k}": v for k, v in self.weighting.w.items()})
        self.hist.rows.append(row)
        self.hist.term_names = list(terms0)

    def run_phase(self, i: int, phase: Phase, at: Resume | None) -> None:
        if at is not None:
            phase, done, state = at.phase, at.done, at.state
            if isinstance(state, (bytes, bytearray)):
                state = _saved_state(state, self.init_state(phase, self.params), phase)
        else:
            done, state = 0, self.init_state(phase, self.params)
        if phase.steps == 0:
            return
        self._mark(i, phase, done, state)
        compiled, retries = self._compile(phase, state), 0
        while done < phase.steps:
            n = min(self.log_every, phase.steps - done)
            new_params, new_state, losses, terms, loss, start = self._chunk(compiled, state, n)
            self.log_start(start)  # the first chunk's start is the initial row
            if not math.isfinite(loss):
                phase, state = self._retry(i, phase, done, n, retries)
                retries, done = retries + 1, 0
                compiled = self._compile(phase, state)
                continue
            self.params, state, done = new_params, new_state, done + n
            self.hist.steps += n
            columns = self.weighting.after_chunk(self.params, phase)
            self._mark(i, phase, done, state)
            self._log(phase, n, losses, terms, loss, columns, state)
            if self.tol is not None and loss < self.tol:
                self.hist.stop_reason = StopReason.TOLERANCE
                raise _Stop
            if self.ctrl_c.requested:
                raise KeyboardInterrupt
            if phase.converged_after is not None and _flat_steps(self.hist.rows, phase.name) >= phase.converged_after:
                break  # converged to machine precision: on to the next phase, if any

    def _mark(self, i, phase, done, state) -> None:
        self.point = _Point(i, phase, done, self.params, state, self.hist.steps, dict(self.weighting.w))

    def _chunk(self, compiled, state, n: int):
        t0 = time.perf_counter()
        w = self.weighting.traced()
        new_params, new_state, losses, terms, *start = compiled(self.params, state, jnp.int32(n), w, self.data)
        loss = float(np.max(losses))  # the worst member of an ensemble (waits for the chunk)
        self.hist.train_seconds += time.perf_counter() - t0
        return new_params, new_state, losses, terms, loss, start

    def _retry(self, i, phase: Phase, done: int, n: int, retries: int):
        """Roll back the non-finite chunk: the phase with a smaller step from the last finite point."""
        smaller = phase.retry(phase.steps - done) if retries < self.max_retries else None
        if smaller is None:
            self.hist.stop_reason = StopReason.NON_FINITE
            self.hist.stop_detail = (f"at step {self.hist.steps + n} of {phase.name}"
                                     + (f" after {retries} retries with smaller steps" if retries else ""))
            raise _Stop
        self.hist.retries.append({"phase": phase.name, "step": self.hist.steps, **_changed(phase, smaller)})
        state = self.init_state(smaller, self.params)
        self._mark(i, smaller, 0, state)
        return smaller, state

    def _log(self, phase, n, losses, terms, loss, weight_columns, state) -> None:
        row = _row(phase.name, self.hist.steps, losses, terms, self.hist.train_seconds)
        if self.ensemble:
            row["loss_max"] = loss
        row.update(weight_columns)
        row.update({k: float(np.max(np.asarray(v))) for k, v in phase.diagnostics(state).items()})
        self.hist.rows.append(row)
        self.bar.update(n, phase.name, row, self.hist.term_names)
        if self.callback is not None:
            self.callback(row, self.params)

    def _compile(self, phase, state):
        """``chunk(params, state, n, w, data) -> (params, state, total, terms, total0, terms0)``: `n`
        steps of `phase`, then the loss at the new parameters, and the loss at the parameters it began
        from (``total0, terms0``; the first chunk's is the initial log row). One program per phase:
        an initial evaluation by running it for 0 steps would cost a whole step wherever XLA hoists
        the step's work out of the loop (a least-squares step on rows linear in the output layers)."""
        make, ensemble, member_data = self.weighting.make, self.ensemble, self.member_data
        value = jax.jit(self.value)  # the start and the end share one trace

        def chunk(p, s, n, w, d):
            if member_data:
                one = lambda p, s, dk: phase.step(make(w, dk), p, s)  # noqa: E731
                step = lambda p, s: self._each(one, p, s, d)  # noqa: E731
            else:
                objective = make(w, d)
                step = lambda p, s: phase.step(objective, p, s)  # noqa: E731
                if ensemble:
                    step = jax.vmap(step)
            start = tuple(value(p, w, d))
            p, s = jax.lax.fori_loop(0, n, lambda _, c: step(*c), (p, s))
            return (p, s) + tuple(value(p, w, d)) + start

        t0 = time.perf_counter()
        args = (self.params, state, jnp.int32(1), self.weighting.traced(), self.data)
        compiled = jax.jit(chunk).lower(*args).compile() if self.programs is None else self._shared(chunk, phase, args)
        self.hist.compile_seconds += time.perf_counter() - t0
        return compiled

    def _shared(self, chunk, phase, args):
        """`chunk` compiled once per phase and argument shapes for all the calls that share
        `programs`, as a program of the flat leaves: the pytrees' static parts (a problem held in a
        module) may differ between calls whose computation the caller vouches is the same. Saves
        the ~0.8 s of tracing and lowering of each least-squares solve after the first (measured on
        a noisy inverse problem: 26 solves, 35.6 s → 8.0 s)."""
        leaves, tree = jax.tree_util.tree_flatten(args)
        key = (phase, self.ensemble, self.member_data, self.member_batch, len(leaves),
               tuple((jnp.shape(a), jnp.result_type(a)) for a in leaves))
        if key not in self.programs:
            self.programs[key] = jax.jit(lambda *xs: chunk(*jax.tree_util.tree_unflatten(tree, xs))).lower(*leaves).compile()
        flat = self.programs[key]

        def run(p, s, *rest):  # the new parameters and state in this call's own pytrees
            out = flat(*jax.tree_util.tree_leaves((p, s, *rest)))
            own = [jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(x), jax.tree_util.tree_leaves(y))
                   for x, y in zip((p, s), out[:2])]
            return (*own, *out[2:])
        return run

    def _each(self, one, params, state, data):
        """`one` for every member: by ``jax.vmap``, or in batches of `member_batch` (``jax.lax.map``)."""
        k = jax.tree_util.tree_leaves(params)[0].shape[0]
        if self.member_batch is None or self.member_batch >= k:
            return jax.vmap(one)(params, state, data)
        return jax.lax.map(lambda a: one(*a), (params, state, data), batch_size=self.member_batch)

    def interrupted(self) -> None:
        """Ctrl-C: go back to the last consistent point and record where to resume."""
        hist, pt = self.hist, self.point
        hist.stop_reason = StopReason.INTERRUPTED
        if pt is None:
            return
        self.params, hist.steps, self.weighting.w = pt.params, pt.steps, pt.weights
        hist.resume = Resume(pt.phase_index, pt.phase, pt.done, pt.state, pt.weights or None)
        del hist.rows[_rows_upto(hist.rows, hist.steps):]


def _rebuild(at: Resume | None, phases) -> Resume | None:
    """A resume point whose phase was read back from JSON as a dict: rebuilt on the class given."""
    if at is None:
        return at
    require(0 <= at.phase_index < len(phases), "resume phase", at.phase_index,
            f"the interrupted run had another trainer (phase {at.phase_index} of {len(phases)}); start afresh")
    if isinstance(at.phase, dict):
        base = phases[at.phase_index]
        known = {f.name for f in dataclasses.fields(base)}
        at = dataclasses.replace(at, phase=dataclasses.replace(base, **{k: v for k, v in at.phase.items() if k in known}))
    require(0 <= at.done <= at.phase.steps, "resume step", at.done,
            f"the interrupted phase has {at.phase.steps} steps; the saved progress is damaged, start afresh")
    return at


def _saved_state(data: bytes, like, phase: Phase):
    try:
        return leaves_from_bytes(data, like)
    except Exception as exc:  # noqa: BLE001 - any mismatch of a saved optimiser state
        raise ConfigError(f"resume optimiser state is invalid: it does not fit {phase.name} "
                          f"({type(exc).__name__}); the saved progress is damaged, start afresh") from None


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


def _flat_steps(rows: list, phase: str) -> int:
    """How many steps the loss has stayed bit-identical at the end of `rows` (the worst member's for
    an ensemble), counted within the running `phase` and from the row it started at. From the log
    alone, so that a resumed run decides as the uninterrupted one."""
    loss = lambda row: row.get("loss_max", row["loss"])  # noqa: E731
    i = len(rows) - 1
    while i > 0 and rows[i]["phase"] == phase and loss(rows[i - 1]) == loss(rows[-1]):
        i -= 1
    return rows[-1]["step"] - rows[i]["step"]


def _row(phase: str, step: int, loss, terms: dict, seconds: float) -> dict:
    """A log row; for an ensemble, the mean over its members."""
    row = {"phase": phase, "step": int(step), "loss": float(np.mean(loss))}
    row.update({k: float(np.mean(np.asarray(v))) for k, v in terms.items()})
    row["time"] = round(float(seconds), 4)
    return row
