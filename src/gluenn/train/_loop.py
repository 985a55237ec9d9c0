"""The one training loop of gluenn: jitted chunks of optimiser steps, logging between chunks.

Every model (GlueNN ansatz, neural ODE, baseline PINN) trains through :func:`optimise`:
the caller gives a pure loss ``f(params) -> (total, {term: value})`` and a list of phases.
Steps run ``log_every`` at a time inside one compiled ``lax.fori_loop`` (no Python per step,
one compilation per phase); between chunks the loss terms come to the host for the log, the
progress bar, early stopping and the non-finite guard.
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

from .._errors import require
from ._phases import Objective, Phase


@dataclasses.dataclass
class History:
    """What happened during training.

    - `rows`: one dict per log point: ``phase``, ``step`` (global), ``loss``, each loss term,
      ``time`` (seconds of training so far).
    - `stop_reason`: why training stopped (``"completed"``, ``"tolerance reached"``,
      ``"non-finite loss"``, ``"interrupted"``, ``"stalled"``).
    - `compile_seconds` / `train_seconds`: compilation separated from stepping.
    """

    rows: list = dataclasses.field(default_factory=list)
    term_names: list = dataclasses.field(default_factory=list)
    stop_reason: str = "completed"
    structure: str | None = None
    phases: list = dataclasses.field(default_factory=list)
    steps: int = 0
    compile_seconds: float = 0.0
    train_seconds: float = 0.0

    @property
    def final(self) -> dict:
        return self.rows[-1] if self.rows else {}

    @property
    def final_terms(self) -> dict:
        """The loss terms of the last log row (without step, time or diagnostics)."""
        return {k: self.final[k] for k in self.term_names if k in self.final}


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

    **Returns:** ``(params, History)``. If a chunk ends with a non-finite loss, the parameters
    roll back to the last finite state and training stops with that reason; ``Ctrl-C`` stops
    it with ``"interrupted"`` and keeps the last finite state.
    """
    require(isinstance(log_every, int) and log_every >= 1, "log_every", log_every, "use a positive integer")
    if progress is None:
        progress = sys.stderr.isatty()
    hist = History()
    total_steps = sum(p.steps for p in phases)
    bar = _Progress(total_steps, progress)
    objective = f if isinstance(f, Objective) else Objective(f)
    evaluate = jax.jit(objective.value)
    t0 = time.perf_counter()
    evaluate.lower(params).compile()
    hist.compile_seconds += time.perf_counter() - t0
    loss0, terms0 = evaluate(params)
    row = _row("init", 0, loss0, terms0, 0.0)
    hist.rows.append(row)
    term_keys = list(terms0)
    hist.term_names = term_keys
    try:
        for phase in phases:
            if phase.steps == 0:
                continue
            state = phase.init(params)

            def chunk(p, s, n, phase=phase):
                return jax.lax.fori_loop(0, n, lambda _, c: phase.step(objective, *c), (p, s))

            t0 = time.perf_counter()
            compiled = jax.jit(chunk).lower(params, state, jnp.int32(1)).compile()
            hist.compile_seconds += time.perf_counter() - t0
            done, last_loss = 0, float(hist.rows[-1]["loss"])
            while done < phase.steps:
                n = min(log_every, phase.steps - done)
                t0 = time.perf_counter()
                new_params, new_state = compiled(params, state, jnp.int32(n))
                loss, terms = evaluate(new_params)
                loss = float(loss)
                hist.train_seconds += time.perf_counter() - t0
                if not math.isfinite(loss):
                    hist.stop_reason = "non-finite loss"
                    raise _Stop
                params, state = new_params, new_state
                done += n
                hist.steps += n
                row = _row(phase.name, hist.steps, loss, terms, hist.train_seconds)
                row.update({k: float(v) for k, v in phase.diagnostics(state).items()})
                hist.rows.append(row)
                bar.update(n, phase.name, row, term_keys)
                if callback is not None:
                    callback(row, params)
                if tol is not None and loss < tol:
                    hist.stop_reason = "tolerance reached"
                    raise _Stop
                if loss == last_loss and phase.name in ("lbfgs", "gauss-newton"):
                    break  # converged to machine precision: on to the next phase, if any
                last_loss = loss
    except _Stop:
        pass
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"
    finally:
        bar.close()
    return params, hist


class _Stop(Exception):
    pass


def _row(phase: str, step: int, loss, terms: dict, seconds: float) -> dict:
    row = {"phase": phase, "step": int(step), "loss": float(loss)}
    row.update({k: float(np.asarray(v)) for k, v in terms.items()})
    row["time"] = round(float(seconds), 4)
    return row
