"""Ablation tables: run an experiment's default and every preset (variant) over seeds, tabulate."""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Sequence

import numpy as np

from .._errors import require
from .._io import atomic_write_text, prepare_out_dir, write_json
from ._experiment import Experiment
from ._run import RunConfig, run_experiment

#: training parameters shrunk by ``--quick`` (a smoke run of the whole table, not results)
QUICK = {"steps": 5, "physics_steps": 20, "forecast_steps": 2, "cg_steps": 10, "gn_steps": 2, "lbfgs_steps": 5}


def ablate(experiment: Experiment, *, seeds: Sequence[int] = (0,), out=None, quick: bool = False,
           overrides: Sequence[str] = (), progress: bool = True, overwrite: bool = False) -> str:
    """Run the default configuration and every ablation row (:meth:`Experiment.ablation_rows`) for each seed.

    Writes one run folder per row and seed under `out`, then ``ablation.json`` (every row's
    read-outs per seed and their mean) and ``ablation.md`` (the Markdown table, returned).
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
    out_dir = prepare_out_dir(out) if out is not None else None
    results = {}
    total = len(rows) * len(seeds)
    done = 0
    for row, preset in rows.items():
        per_seed = {}
        for seed in seeds:
            done += 1
            if progress:
                print(f"[{done}/{total}] {experiment.name} {row} seed {seed}", file=sys.stderr, flush=True)
            sub = (out_dir / f"{row}-seed{seed}") if out_dir is not None else None
            # preset values first, then the user's and --quick's overrides
            res = run_experiment(experiment, overrides=extra, seed=seed, out=sub, progress=False, preset=preset,
                                 overwrite=overwrite)
            per_seed[seed] = _plain(res.metrics["readouts"])
            per_seed[seed]["train_seconds"] = res.metrics["train"]["seconds"]
        results[row] = {"seeds": per_seed, "mean": _mean(per_seed.values())}
    table = _markdown(experiment.name, results, seeds, quick)
    if out_dir is not None:
        write_json(out_dir / "ablation.json", {"experiment": experiment.name, "seeds": list(seeds), "quick": quick,
                                               "overrides": extra, "rows": results})
        atomic_write_text(pathlib.Path(out_dir) / "ablation.md", table)
    return table


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
    keys = [k for k in next(iter(results.values()))["mean"] if k not in ("spike_tolerance_ms",)]
    head = f"# {name}: ablation (seeds {', '.join(map(str, seeds))}; mean over seeds; – = undefined)"
    if quick:
        head += "\n\n**--quick: a few training steps per row — a smoke test, not results.**"
    lines = [head, "", "| row | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for row, r in results.items():
        cells = ["–" if r["mean"].get(k) is None else f"{r['mean'][k]:.4g}" for k in keys]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
