"""Where each default run's wall time goes, with a cold and a warm compilation cache (issue 21).

    python benchmarks/wall_time.py                         # freezeout darkphoton tunneling, ~3 min on 2 cores
    python benchmarks/wall_time.py freezeout --repeat 3    # one experiment, three cold/warm pairs

Each run is ``gluenn run EXP`` in a fresh process through a small driver that times its own
``import gluenn.cli``; first with an empty compilation cache (**cold**), then again in a new process
with the cache the first one filled (**warm**). The columns come from that driver and from the
run's ``metrics.json`` ``timing`` and ``train`` blocks:

- *wall*: the whole process, measured from outside; *start*: the interpreter's start-up and exit
  (wall minus what the driver measured); *import*: ``import gluenn.cli`` (JAX, Equinox, Optax, …);
- *build*: the experiment's set-up (the SciPy reference solve, the problem); *constants*: the exact
  constants projected from the reference (before training);
- *fit*: training, of which *compile* (tracing, lowering and XLA compilation of every phase and
  of the loss evaluation) and *steps* (the optimiser's steps); the rest of *fit* is the network's
  initialisation and the trust checks;
- *score*: evaluation on the scoring grid, read-outs, matching baseline, run-level trust;
- *outputs*: figures, checkpoint, CSV and log; *other*: whatever the driver measured that the
  run did not attribute (argument parsing, folder bookkeeping, imports made on first use).

Writes ``benchmarks/results/wall_time.md`` (machine, versions, date). Not part of the test run.
(Not named ``profile.py``: a script of that name in this folder shadows the standard library's
``profile`` module for every benchmark run from here, and PyTorch's import of ``cProfile`` fails.)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DRIVER = """
import json, sys, time
t0 = time.perf_counter()
from gluenn.cli import exit_now, main
t1 = time.perf_counter()
rc = main(["run", sys.argv[1], "--out", sys.argv[2], "--no-progress"])
t2 = time.perf_counter()
print("PROFILE " + json.dumps({"import": t1 - t0, "main": t2 - t1, "rc": rc}))
exit_now(rc)  # as the gluenn command ends
"""
COLUMNS = ("wall", "start", "import", "build", "constants", "fit", "compile", "steps", "score", "outputs", "other")


def run_once(experiment: str, cache: pathlib.Path, out: pathlib.Path) -> dict:
    """One ``gluenn run`` in a fresh process with `cache` as its compilation cache: the columns."""
    env = {**{k: v for k, v in os.environ.items() if k != "GLUENN_CACHE"}, "GLUENN_CACHE_DIR": str(cache)}  # on
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", DRIVER, experiment, str(out)], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("PROFILE ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"{experiment} failed (rc {proc.returncode}):\n{proc.stderr[-2000:]}")
    driver = json.loads(line[len("PROFILE "):])
    m = json.loads((out / "metrics.json").read_text())
    t, train = m.get("timing", {}), m["train"]
    row = {"wall": wall, "start": wall - driver["import"] - driver["main"], "import": driver["import"],
           "build": t.get("build", train.get("setup_seconds", 0.0)), "constants": t.get("exact_constants", 0.0),
           "fit": t.get("fit", train["seconds"] + train["compile_seconds"]), "compile": train["compile_seconds"],
           "steps": train["seconds"], "score": t.get("score", 0.0), "outputs": t.get("outputs", 0.0)}
    row["other"] = driver["main"] - sum(row[k] for k in ("build", "constants", "fit", "score", "outputs"))
    return row


def profile(experiments, repeat: int) -> list[tuple[str, str, dict]]:
    rows = []
    for exp in experiments:
        for r in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                cache, tmp = pathlib.Path(tmp) / "cache", pathlib.Path(tmp)
                for kind in ("cold", "warm"):
                    row = run_once(exp, cache, tmp / f"{exp}-{kind}")
                    rows.append((exp, kind, row))
                    print(exp, kind, " ".join(f"{k} {row[k]:.1f}" for k in COLUMNS), flush=True)
    return rows


def table(rows) -> list[str]:
    lines = ["| experiment | cache | " + " | ".join(COLUMNS) + " |", "|---|---|" + "---|" * len(COLUMNS)]
    for exp, kind, row in rows:
        lines.append(f"| {exp} | {kind} | " + " | ".join(f"{row[k]:.1f}" for k in COLUMNS) + " |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", default=["freezeout", "darkphoton", "tunneling"])
    ap.add_argument("--repeat", type=int, default=1, help="cold/warm pairs per experiment")
    ap.add_argument("--write", default=str(HERE / "results" / "wall_time.md"))
    args = ap.parse_args()
    rows = profile(args.experiments, args.repeat)
    import jax

    head = [f"# Where the wall time of a default run goes (seconds; `python benchmarks/wall_time.py "
            f"{' '.join(args.experiments)}{' --repeat ' + str(args.repeat) if args.repeat > 1 else ''}`)", "",
            f"{datetime.date.today()}, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, JAX {jax.__version__}. Columns: see the script's docstring "
            "(compile and steps are parts of fit).", ""]
    pathlib.Path(args.write).write_text("\n".join(head + table(rows)) + "\n")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
