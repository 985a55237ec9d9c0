"""The trajectory-learning set-up: staged training (:func:`gluenn.node.fit_stages`), a long-horizon
evaluation against a reference, spike metrics, and the output contract (figures, trajectory CSV,
log, checkpoint)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence

import jax
import numpy as np

from .._errors import Interrupted
from .._io import write_csv, write_jsonl
from ..engine import StopReason, weights_name
from ..glue import Check, Trust
from ..metrics import rmse, spike_metrics
from ..node import Stage, StagedFit, fit_stages, save
from ._experiment import CustomSetup
from ._plots import plot_node
from ._report import versions


@dataclasses.dataclass(frozen=True, eq=False)
class NODESetup(CustomSetup):
    """A trajectory-learning experiment (neural ODE, PI-NODE-SR or a PINN baseline).

    - `names`, `units`: state channel names and units, e.g. ``("v", "n", "m", "h")``.
    - `init`: ``init(key) -> model``, the initial model (an Equinox module) for a run's seed.
    - `stages`: :class:`~gluenn.node.Stage` s run in order by :func:`~gluenn.node.fit_stages`; a
      :class:`~gluenn.node.ResidualLoss` also supports NTK weights and Gauss–Newton phases.
    - `predict`: ``predict(model, t) -> z`` (``(T, D)``) on an evaluation grid starting at ``t[0]``.
    - `reference`: ``(t, z)`` — the truth on a dense grid (SciPy, stiff solver).
    - `windows`: ``{name: (t0, t1)}`` evaluation windows; `spike_window` and `gating_window`
      name the windows for the spike metrics of channel `spike_channel` and the RMSEs of the others.
    - `train_window`: ``(t0, t1)`` of the training data (shaded in figures); `data`: the observed
      trajectory ``(t, z)`` for plotting.
    - `info`: extra JSON-ready facts for ``metrics.json`` (stimulus, noise, scales, …).
    - `checks`: trust checks made before training (e.g. of a calibration), added to the run's.
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
    checks: Sequence[Check] = ()

    def run(self, *, seed, out_dir, progress, store=None, weights=None):
        fit = fit_stages(self.init(jax.random.PRNGKey(seed)), self.stages, log_every=self.log_every,
                         progress=progress, weights=weights, store=store)
        if fit.stopped is not None and fit.last.stop_reason is StopReason.INTERRUPTED:
            if store is None:
                raise Interrupted(f"training interrupted in stage {fit.stopped!r}")
            store.interrupted_run(fit.stopped, fit.params, fit.last, fit.rows, versions())
        model = fit.model
        t_ref, z_ref = self.reference
        t_eval = time.perf_counter()
        z_pred = np.asarray(self.predict(model, t_ref))
        eval_s = time.perf_counter() - t_eval
        finite = np.all(np.isfinite(z_pred), axis=1)
        first = None if finite.all() else float(t_ref[np.argmin(finite)])
        z_pred = np.where(finite[:, None], z_pred, np.nan)
        metrics = {"readouts": self._score(t_ref, z_pred, z_ref), "train": self._train_block(fit, weights, eval_s),
                   "prediction": {"diverged_at_ms": first}, "trust": _trust(fit, t_ref, first, self.checks).to_dict(),
                   **dict(self.info)}
        if out_dir is not None:
            self._write(out_dir, model, fit.rows, t_ref, z_pred, z_ref, metrics, seed)
        return metrics, {"model": model}

    def _train_block(self, fit: StagedFit, weights, eval_s: float) -> dict:
        hists = [h for _, h in fit.parts]
        return {"steps": fit.steps, "seconds": round(sum(h.train_seconds for h in hists), 3),
                "compile_seconds": round(sum(h.compile_seconds for h in hists), 3),
                "eval_seconds": round(eval_s, 3), "final_loss": fit.rows[-1]["loss"],
                "loss_terms": fit.last.final_terms, "stop_reason": fit.stop,
                "retries": {name: h.retries for name, h in fit.parts},
                "weights": {"strategy": weights_name(weights), "final": fit.last.final_weights},
                "stages": [s.to_dict() for s in self.stages]}

    def _score(self, t, z_pred, z_ref) -> dict:
        k = self.spike_channel
        lo, hi = self.windows[self.spike_window]
        w = (t >= lo) & (t <= hi)
        out = spike_metrics(t[w], z_pred[w, k], z_ref[w, k], tol=self.spike_tolerance)
        out[f"rmse_{self.names[k]}"] = rmse(z_pred[w, k], z_ref[w, k])
        lo, hi = self.windows[self.gating_window]
        w = (t >= lo) & (t <= hi)
        for j, n in enumerate(self.names):
            if j != k:
                out[f"rmse_{n}"] = rmse(z_pred[w, j], z_ref[w, j])
        out["windows_ms"] = {"spikes": list(self.windows[self.spike_window]),
                             "gating": list(self.windows[self.gating_window])}
        return out

    def _write(self, out_dir, model, rows, t, z_pred, z_ref, metrics, seed):
        cols = {"t": t}
        for j, n in enumerate(self.names):
            cols[f"{n}_pred"] = z_pred[:, j]
            cols[f"{n}_ref"] = z_ref[:, j]
        write_csv(out_dir / "trajectory.csv", cols)
        write_jsonl(out_dir / "log.jsonl", rows)
        save(out_dir / "checkpoint.eqx", model, extra={"seed": seed})
        plot_node(out_dir / "solution.png", t, z_pred, z_ref, self.names, self.units, self.spike_channel,
                  self.data, self.train_window, self.windows[self.spike_window], self.spike_tolerance,
                  title=f"seed={seed}  F1={_score(metrics['readouts']['spike_f1'])}")


def _trust(fit: StagedFit, t, diverged_at, checks=()) -> Trust:
    """The checks a trajectory fit can make without the truth: every stage ran to its end, and the
    forecast stays finite over the whole evaluation horizon (its own grid; the truth is not read)."""
    ok = fit.stopped is None and all(h.stop_reason.ok for _, h in fit.parts)
    where = "" if diverged_at is None else f"non-finite from t = {diverged_at:g} of [{t[0]:g}, {t[-1]:g}]"
    return Trust((Check("training", 0.0 if ok else 1.0, 0.0, "" if ok else fit.stop),
                  Check("forecast", 0.0 if diverged_at is None else 1.0, 0.0, where), *checks))


def _score(value) -> str:
    return "undefined" if value is None else f"{value:.2f}"
