"""The neural-ODE experiment pipeline: staged training, long-horizon evaluation against a
reference, spike metrics, and the output contract (metrics, figures, trajectory CSV, checkpoint)."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping, Sequence

import equinox as eqx
import jax
import numpy as np

from .._errors import Interrupted, require
from .._experiment import CustomSetup, final_weights, interrupted
from .._io import atomic_write_bytes, leaves_to_bytes, write_csv, write_jsonl
from ..metrics import rmse, spike_metrics
from ..train import Objective, Phase, optimise


@dataclasses.dataclass(frozen=True, eq=False)
class Stage:
    """One training stage: a loss ``loss(model) -> (total, terms)`` minimised by `phases`.

    With `refresh`, the stage runs `rounds` times and each round minimises a loss rebuilt from
    the current model, ``refresh(model) -> loss`` (e.g. the physics on the model's own forecast,
    ``lambda m: physics.alone(data, loss.forecast(m))``); `loss` is then ``None``. With
    `max_rounds` > `rounds` it goes on, up to `max_rounds`, while the rounds have not settled:
    while the last refresh raised the loss more than `settle`-fold over the previous round's
    final loss (the states the loss is built on were still moving).
    """

    name: str
    loss: Callable | None
    phases: Sequence[Phase]
    rounds: int = 1
    refresh: Callable | None = None
    max_rounds: int | None = None
    settle: float = 5.0

    def __post_init__(self):
        require(isinstance(self.rounds, int) and self.rounds >= 1, f"Stage {self.name!r} rounds", self.rounds,
                "use a positive integer")
        require((self.loss is None) != (self.refresh is None), f"Stage {self.name!r}", "loss/refresh",
                "give either a loss or a refresh(model) -> loss, not both")
        require(self.refresh is not None or max(self.rounds, self.max_rounds or 1) == 1, f"Stage {self.name!r} rounds",
                self.rounds, "rounds > 1 need a refresh(model) -> loss (a fixed loss would only restart the optimiser)")
        require(self.max_rounds is None or (isinstance(self.max_rounds, int) and self.max_rounds >= self.rounds),
                f"Stage {self.name!r} max_rounds", self.max_rounds, f"use an integer >= rounds ({self.rounds}) or None")
        require(self.settle > 1, f"Stage {self.name!r} settle", self.settle, "use a factor > 1")

    def parts(self) -> list[str]:
        """The name of each possible round (logs, metrics, resume store); a single round keeps the stage's name."""
        n = max(self.rounds, self.max_rounds or 1)
        return [self.name] if n == 1 else [f"{self.name}-{k + 1}" for k in range(n)]

    def another(self, done: int, jump: float | None) -> bool:
        """Whether to run round ``done + 1`` after `done` rounds, the last one's loss having
        jumped `jump`-fold at its refresh (``None``: unknown)."""
        if done < self.rounds:
            return True
        return done < len(self.parts()) and jump is not None and jump > self.settle


@dataclasses.dataclass(frozen=True, eq=False)
class NODESetup(CustomSetup):
    """A trajectory-learning experiment (neural ODE, PI-NODE-SR or a PINN baseline).

    - `names`, `units`: state channel names and units, e.g. ``("v", "n", "m", "h")``.
    - `init`: ``init(key) -> model``, the initial model (an Equinox module) for a run's seed.
    - `stages`: :class:`Stage` s run in order through :func:`gluenn.optimise`; a stage's loss
      returns ``(total, terms)`` with *unweighted* terms (what automatic weights balance); a loss
      with a ``residuals(model) -> {term: r}`` method (``terms[k] = Σ r²/N``) also supports
      NTK weights, and one with ``rows(model)`` (``|rows|² = total``) on a model with an
      ``output_layer()`` method supports :class:`~gluenn.GaussNewton` phases.
    - `predict`: ``predict(model, t) -> z`` (``(T, D)``) on an evaluation grid starting at ``t[0]``.
    - `reference`: ``(t, z)`` — the truth on a dense grid (SciPy, stiff solver).
    - `windows`: ``{name: (t0, t1)}`` evaluation windows; `spike_window` and `gating_window`
      name the windows for the spike metrics of channel `spike_channel` and the RMSEs of the others.
    - `train_window`: ``(t0, t1)`` of the training data (shaded in figures); `data`: the observed
      trajectory ``(t, z)`` for plotting.
    - `info`: extra JSON-ready facts for ``metrics.json`` (stimulus, noise, scales, …).
    """

    names: tuple[str, ...]
    units: tuple[str, ...]
    init: Callable
    stages: Sequence[Stage]
    predict: Callable
    reference: tuple[np.ndarray, np.ndarray]
    windows: Mapping[str, tuple[float, float]]
    spike_window: str
    gating_window: str
    train_window: tuple[float, float]
    data: tuple[np.ndarray, np.ndarray]
    spike_channel: int = 0
    spike_tolerance: float = 2.0
    log_every: int = 50
    info: Mapping = dataclasses.field(default_factory=dict)

    def run(self, *, seed, out_dir, progress, store=None, weights=None):
        params, static = eqx.partition(self.init(jax.random.PRNGKey(seed)), eqx.is_inexact_array)
        like = params
        rows, stops, train_s, compile_s, steps, retries = [], [], 0.0, 0.0, 0, {}
        failed = False
        for stage in self.stages:
            jump = end = None  # the last refresh's loss jump; the last round's final loss
            for k, part in enumerate(stage.parts()):
                if not stage.another(k, jump):
                    break
                done = store.done(part, like) if store is not None else None
                if done is not None:
                    params, hist = done
                else:
                    start = store.start(part, like) if store is not None else None
                    if start:  # a resumed round refreshes its loss from where it was interrupted
                        params = start[0]
                    loss = stage.loss if stage.refresh is None else stage.refresh(eqx.combine(params, static))

                    def f(p, loss=loss):
                        return loss(eqx.combine(p, static))
                    objective = _objective(loss, f, params, static)
                    params, hist = optimise(objective, params, stage.phases, log_every=self.log_every,
                                            progress=progress, resume=start[1] if start else None, weights=weights)
                    if hist.stop_reason == "interrupted":
                        rows += [{"stage": part, **r, "step": r["step"] + steps} for r in hist.rows]
                        if store is None:
                            raise Interrupted(f"training interrupted in stage {part!r}")
                        interrupted(store, part, params, hist, rows)
                    if store is not None:
                        store.finish(part, params, hist)
                retries[part] = hist.retries
                rows += [{"stage": part, **r, "step": r["step"] + steps} for r in hist.rows]
                steps += hist.steps
                train_s += hist.train_seconds
                compile_s += hist.compile_seconds
                stops.append(f"{part}: {hist.stop_reason}")
                start_loss = next((r["loss"] for r in hist.rows if r["phase"] == "init"), None)
                jump = start_loss / end if start_loss is not None and end else None
                end = hist.rows[-1]["loss"] if hist.rows else None
                if hist.stop_reason not in ("completed", "tolerance reached"):
                    failed = True
                    break
            if failed:
                break
        model = eqx.combine(params, static)

        t_ref, z_ref = self.reference
        t_eval = time.perf_counter()
        z_pred = np.asarray(self.predict(model, t_ref))
        eval_s = time.perf_counter() - t_eval
        finite = np.all(np.isfinite(z_pred), axis=1)
        if not finite.all():
            first = float(t_ref[np.argmin(finite)])
            z_pred = np.where(finite[:, None], z_pred, np.nan)
        else:
            first = None
        readouts = self._score(t_ref, z_pred, z_ref)
        metrics = {
            "readouts": readouts,
            "train": {"steps": steps, "seconds": round(train_s, 3), "compile_seconds": round(compile_s, 3),
                      "eval_seconds": round(eval_s, 3), "final_loss": rows[-1]["loss"],
                      "loss_terms": {k: v for k, v in rows[-1].items() if k not in ("stage", "phase", "step", "time", "loss")},
                      "stop_reason": "; ".join(stops), "retries": retries,
                      "weights": {"strategy": "fixed" if weights is None else type(weights).__name__,
                                  "final": final_weights(hist)},
                      "stages": [{"name": s.name, "rounds": s.rounds, "max_rounds": s.max_rounds,
                                  "phases": [p.to_dict() for p in s.phases]}
                                 for s in self.stages]},
            "prediction": {"diverged_at_ms": first},
            **dict(self.info),
        }
        if out_dir is not None:
            self._write(out_dir, model, rows, t_ref, z_pred, z_ref, metrics, seed)
        return metrics, {"model": model}

    def _score(self, t, z_pred, z_ref) -> dict:
        lo, hi = self.windows[self.spike_window]
        w = (t >= lo) & (t <= hi)
        out = spike_metrics(t[w], z_pred[w, self.spike_channel], z_ref[w, self.spike_channel],
                            tol=self.spike_tolerance)
        out[f"rmse_{self.names[self.spike_channel]}"] = rmse(z_pred[w, self.spike_channel], z_ref[w, self.spike_channel])
        lo, hi = self.windows[self.gating_window]
        w = (t >= lo) & (t <= hi)
        for j, n in enumerate(self.names):
            if j != self.spike_channel:
                out[f"rmse_{n}"] = rmse(z_pred[w, j], z_ref[w, j])
        out["windows_ms"] = {"spikes": list(self.windows[self.spike_window]),
                             "gating": list(self.windows[self.gating_window])}
        return out

    def _write(self, out_dir, model, rows, t, z_pred, z_ref, metrics, seed):
        from ._plots import plot_node
        cols = {"t": t}
        for j, n in enumerate(self.names):
            cols[f"{n}_pred"] = z_pred[:, j]
            cols[f"{n}_ref"] = z_ref[:, j]
        write_csv(out_dir / "trajectory.csv", cols)
        write_jsonl(out_dir / "log.jsonl", rows)
        atomic_write_bytes(out_dir / "checkpoint.eqx", leaves_to_bytes(model))
        atomic_write_bytes(out_dir / "checkpoint.eqx.json", json.dumps(
            {"format": "gluenn-node-checkpoint-1", "model": type(model).__name__, "seed": seed}, indent=2).encode())
        plot_node(out_dir / "solution.png", t, z_pred, z_ref, self.names, self.units, self.spike_channel,
                  self.data, self.train_window, self.windows[self.spike_window], self.spike_tolerance,
                  title=f"seed={seed}  F1={metrics['readouts']['spike_f1']:.2f}")


def _objective(loss, f, params, static) -> Objective:
    """What :func:`optimise` needs of a stage's loss: its value and unweighted terms, and where the
    loss and model provide them, the residual vectors (NTK weights) and least-squares rows with
    the linear leaves (Gauss–Newton phases)."""
    def on_model(method):
        return None if method is None else (lambda p: method(eqx.combine(p, static)))
    rows, linear = on_model(getattr(loss, "rows", None)), None
    layer = getattr(eqx.combine(params, static), "output_layer", None)
    if rows is not None and layer is not None:
        flags = jax.tree_util.tree_map(lambda _: False, params)
        linear = eqx.tree_at(lambda m: m.output_layer(), flags, replace=(True,) * len(layer()))
    return Objective(f, terms=lambda p: f(p)[1], rows=rows, linear=linear,
                     residuals=on_model(getattr(loss, "residuals", None)),
                     priorities=getattr(loss, "priorities", None))
