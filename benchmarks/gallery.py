"""Make the documentation gallery's figures and tables from real, full-size runs.

    python benchmarks/gallery.py                    # every built-in experiment and zoo example, seed 0
    python benchmarks/gallery.py tunneling bessel_j0   # some of them

Each built-in experiment is run exactly as a user would (``gluenn run NAME --seed 0``, a fresh
process) and each zoo example through its ``solve``; the figures go to ``docs/gallery/img/``
and one measured table per entry to ``benchmarks/results/gallery/NAME.md`` (with the command,
date and machine), which the gallery pages include when the site is built. Nothing here is
drawn by hand: rerun it and commit what changed. ~12 min on 2 cores.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

from gluenn import Trust
from gluenn.pipeline import plot_coefficients, plot_solution  # the run report's own figures

ROOT = pathlib.Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "gallery" / "img"
TABLES = ROOT / "benchmarks" / "results" / "gallery"
EXPERIMENTS = ["freezeout", "darkphoton", "tunneling", "hodgkin-huxley", "fitzhugh-nagumo"]
ZOO = ["bessel_j0", "poschl_teller", "airy_turning_point", "pwave_freezeout"]


def _stamp(command: str, wall: float) -> str:
    day = datetime.date.today().isoformat()
    return (f"Made by `{command}` on {day} ({platform.machine()}, {_cores()} cores, Python "
            f"{platform.python_version()}; {wall:.0f} s wall with the compilation cache as it was), via "
            f"`python benchmarks/gallery.py`.\n\n")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _experiment(name: str) -> None:
    out = ROOT / "runs" / "gallery" / name
    command = f"gluenn run {name} --seed 0"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gluenn.cli", "run", name, "--seed", "0", "--out", str(out),
                    "--overwrite"], check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    for png in sorted(out.glob("*.png")):
        shutil.copyfile(png, IMG / f"{name}-{png.name}")
    metrics = json.loads((out / "metrics.json").read_text())
    (TABLES / f"{name}.md").write_text(_stamp(command, wall) + _metrics_table(metrics), encoding="utf-8")


def _metrics_table(metrics: dict) -> str:
    readouts = metrics.get("readouts", {})
    if all(isinstance(r, dict) for r in readouts.values()):  # GlueNN: each read-out against its reference
        rows = ["| read-out | learned | reference | rel. error |", "|---|---|---|---|"]
        rows += [f"| `{k}` | {_num(r.get('pred'), '.7g')} | {_num(r.get('true'), '.7g')} | {_num(r.get('rel_err'), '+.2e')} |"
                 for k, r in readouts.items()]
    else:  # a trajectory experiment: scores of the forecast against the reference
        rows = ["| score of the forecast | value |", "|---|---|"]
        rows += [f"| `{k}` | {_num(v, '.4g')} |" for k, v in readouts.items() if not isinstance(v, (dict, list))]
    trust = metrics.get("trust")
    line = Trust.from_dict(trust).line() if trust else "no trust checks recorded"
    return "\n".join(rows) + f"\n\nTrust line of the run: `{line}`\n"


def _num(v, spec: str) -> str:
    return "—" if not isinstance(v, (int, float)) or isinstance(v, bool) else format(v, spec)


def _zoo(name: str) -> None:
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    t0 = time.perf_counter()
    out = mod.solve(0)
    wall = time.perf_counter() - t0
    rows = ["| read-out | learned | exact | error |", "|---|---|---|---|"]
    for key, (pred, exact) in out["readouts"].items():
        err = f"{pred / exact - 1:+.2e} (rel.)" if exact else f"{pred - exact:+.2e} (abs.)"
        rows.append(f"| `{key}` | {pred:.7g} | {exact:.7g} | {err} |")
    text = "\n".join(rows) + f"\n\nmax \\|y − exact\\| / max \\|exact\\| = {out['y_error']:.2e}\n\n" \
        + f"Trust line: `{out['trust'].line()}`\n"
    (TABLES / f"{name}.md").write_text(_stamp(f"python examples/{name}.py 0", wall) + text, encoding="utf-8")
    if "figure" in out:
        _zoo_figures(name, out["figure"])


def _zoo_figures(name: str, fig: dict) -> None:
    x, ev = fig["x"], fig["evaluation"]
    plot_solution(IMG / f"{name}-solution.png", x, {"y": {"label": "y", "pred": ev.y, "true": fig["exact"],
                                                          "floor": float(np.max(np.abs(fig["exact"])))}},
                  xscale=fig.get("xscale", "linear"), title=f"{name}  seed=0")
    fractions = {k: np.clip(v, -5, 5) for k, v in ev.fractions.items()}
    plot_coefficients(IMG / f"{name}-coefficients.png", x,
                      {"y": {"fractions": fractions, "coefficients": ev.coefficients,
                             "log_coefficients": fig.get("log_coefficients", False)}},
                      xscale=fig.get("xscale", "linear"), title=f"{name}  seed=0")


def main(names: list[str]) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    TABLES.mkdir(parents=True, exist_ok=True)
    for name in names or EXPERIMENTS + ZOO:
        print(f"== {name}", flush=True)
        (_experiment if name in EXPERIMENTS else _zoo)(name)


if __name__ == "__main__":
    main(sys.argv[1:])
