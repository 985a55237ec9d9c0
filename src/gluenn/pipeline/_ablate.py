"""Ablation tables: run an experiment's default and every preset (variant) over seeds, tabulate."""

from __future__ import annotations

import contextlib
import json
import pathlib
import tempfile
from collections.abc import Sequence

import numpy as np

from .._errors import require
from .._io import atomic_write_text, write_json
from ._experiment import Experiment
from ._run import RunConfig
from ._sweep import Workers, run_points
from ._sweep_plan import Point

#: training parameters shrunk by ``--quick`` (a smoke run of the whole table, not results)
QUICK = {"steps": 5, "physics_steps": 20, "forecast_steps": 2, "cg_steps": 10, "gn_steps": 2, "lbfgs_steps": 5}


def ablate(experiment: Experiment, *, seeds: Sequence[int] = (0,), out=None, quick: bool = False,
           overrides: Sequence[str] = (), progress: bool = True, overwrite: bool = False,
           workers: Workers | int | None = None) -> str:
    """Run the default configuration and every ablation row (:meth:`Experiment.ablation_rows`) for each seed.

    The rows × seeds are the points of a sweep (:func:`run_points`: Dask workers, reuse of
    finished points, ``sweep.csv``), one run folder ``ROW-seedS`` each under `out`; then
    ``ablation.json`` (every row's read-outs per seed and their mean) and ``ablation.md`` (the
    Markdown table, returned). Without `out` the runs go to a temporary folder.
    """
    require(len(seeds) >= 1, "--seeds", seeds, "give at least one seed")
    for seed in seeds:  # every seed checked before any folder is made
        RunConfig(seed=seed)
    rows = {"default": None, **{k: k for k in experiment.ablation_rows()}}
    extra = list(overrides)
    if quick:
        extra += [f"{k}={v}" for k, v in QUICK.items() if k in experiment.parameters]
    for preset in rows.values():  # every row's parameters checked before any folder is made
        experiment.params(extra, preset)
    points = [Point({"row": row}, tuple(extra), seed, preset, name=f"{row}-seed{seed}")
              for row, preset in rows.items() for seed in seeds]
    spec = {"experiment": experiment.name, "ablation": list(rows), "seeds": list(seeds), "overrides": extra}
    with tempfile.TemporaryDirectory() if out is None else contextlib.nullcontext(out) as where:
        done = run_points(experiment, points, where, spec, workers=workers, progress=progress, overwrite=overwrite,
                          subdir=".")
        results = _results(rows, seeds, done)
        table = _markdown(experiment.name, results, seeds, quick)
        if out is not None:
            write_json(pathlib.Path(out) / "ablation.json", {"experiment": experiment.name, "seeds": list(seeds),
                                                             "quick": quick, "overrides": extra, "rows": results})
            atomic_write_text(pathlib.Path(out) / "ablation.md", table)
    return table


def _results(rows: dict, seeds: Sequence[int], done: Sequence[dict]) -> dict:
    """``{row: {"seeds": {seed: read-outs}, "mean": ...}}`` from the points' ``metrics.json``."""
    results, it = {}, iter(done)
    for row in rows:
        per_seed = {}
        for seed in seeds:
            r = next(it)
            if r["status"] != "done":
                per_seed[seed] = {"error": r.get("error")}
                continue
            metrics = json.loads((pathlib.Path(r["folder"]) / "metrics.json").read_text())
            per_seed[seed] = {**_plain(metrics["readouts"]), "train_seconds": metrics["train"]["seconds"]}
        ok = [v for v in per_seed.values() if "error" not in v]
        results[row] = {"seeds": per_seed, "mean": _mean(ok) if ok else {}}
    return results


def _plain(readouts: dict) -> dict:
    """Read-outs as plain numbers (GlueNN read-outs keep their prediction)."""
    out = {}
    for k, v in readouts.items():
        if isinstance(v, dict) and "pred" in v:
            out[k] = v["pred"]
            out[f"{k}_rel_err"] = v["rel_err"]
        elif isinstance(v, (int, float)) or v is None:
            out[k] = v
    return out


def _mean(rows) -> dict:
    rows = list(rows)
    keys = [k for k in rows[0] if all(k in r for r in rows)]
    mean = {}
    for k in keys:
        vals = [r[k] for r in rows if isinstance(r[k], (int, float)) and r[k] is not None]
        mean[k] = float(np.mean(vals)) if len(vals) == len(rows) else None
    return mean


def _markdown(name, results, seeds, quick) -> str:
    keys = [k for k in dict.fromkeys(k for r in results.values() for k in r["mean"]) if k != "spike_tolerance_ms"]
    head = f"# {name}: ablation (seeds {', '.join(map(str, seeds))}; mean over seeds; – = undefined)"
    if quick:
        head += "\n\n**--quick: a few training steps per row — a smoke test, not results.**"
    lines = [head, "", "| row | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for row, r in results.items():
        cells = ["–" if r["mean"].get(k) is None else f"{r['mean'][k]:.4g}" for k in keys]
        failed = [s for s, v in r["seeds"].items() if "error" in v]
        note = f" (failed: seed {', '.join(map(str, failed))}; see sweep.csv)" if failed else ""
        lines.append(f"| {row}{note} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
