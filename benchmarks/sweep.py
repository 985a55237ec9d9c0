"""Sweeps (issue 18): the same 12-point freeze-out sweep run serially in one process and on an
embedded Dask cluster, wall times side by side in one run.

    python benchmarks/sweep.py                  # 12 Latin-hypercube points of eta in [1e3, 1e6], default training
    python benchmarks/sweep.py --points 4 --set steps=20 --set lbfgs_steps=50   # a smoke run

Configurations, each a fresh process with an empty output folder (nothing reused, nothing cached):

- ``serial``: ``gluenn sweep ... --workers 0`` (no Dask; one point after another in one process);
- ``workers 2``: ``--workers 2`` (the default on 2 cores: each worker process with one BLAS thread
  and XLA's Eigen pool off);
- ``workers 2, threads not limited``: the same LocalCluster without those limits (each worker's
  XLA and BLAS see every core), to measure what the limit buys;
- ``--workers 2, warm``: ``--workers 2`` again into a new folder (nothing reused) with the
  persistent compilation cache that its first run filled.

Every other configuration starts with an empty compilation cache of its own (``GLUENN_CACHE_DIR``).

For each: the command's wall time, the cluster's start-up (wall minus the points' own time divided
by the workers), the compilation and training time summed over points, and the largest difference
of a read-out from the serial run's (the sweep is deterministic: 0 expected).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

UNLIMITED = """
import sys
from distributed import Client, LocalCluster
import gluenn as gn
out, points, sets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, Client(c) as cl:
    gn.sweep("freezeout", out=out, vary=["eta=1e3:1e6:log"], points=points, overrides=sets,
             workers=gn.pipeline.Workers(client=cl), progress=False)
"""


def _cli(out: pathlib.Path, points: int, sets: list[str], workers: str) -> list[str]:
    return [sys.executable, "-m", "gluenn.cli", "sweep", "freezeout", "--vary", "eta=1e3:1e6:log", "--points",
            str(points), *[a for s in sets for a in ("--set", s)], "--workers", workers, "--out", str(out),
            "--no-progress"]


def _timed(cmd: list[str], cache: pathlib.Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "GLUENN_CACHE_DIR": str(cache)})
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=12)
    ap.add_argument("--set", dest="sets", action="append", default=[])
    args = ap.parse_args()
    configs = {"serial (--workers 0)": ("0", 1, "c0"), "--workers 2": ("2", 2, "c1"),
               "workers 2, threads not limited": (None, 2, "c2"), "--workers 2, warm cache": ("2", 2, "c1")}
    rows, ref = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for name, (workers, n, cache) in configs.items():
            out = pathlib.Path(tmp) / f"s{len(rows)}"
            cmd = _cli(out, args.points, args.sets, workers) if workers is not None else \
                [sys.executable, "-c", UNLIMITED, str(out), str(args.points), *args.sets]
            wall = _timed(cmd, pathlib.Path(tmp) / cache)
            table = json.loads((out / "sweep.json").read_text())["rows"]
            own = sum(r["total_seconds"] for r in table)
            values = [(r["Y_end"], r["Y_inf"]) for r in table]
            ref = ref or values
            diff = max(abs(a - b) / abs(b) for v, w in zip(values, ref) for a, b in zip(v, w))
            rows.append((name, wall, wall - own / n, sum(r["compile_seconds"] for r in table),
                         sum(r["train_seconds"] for r in table), own, diff))
            print(f"{name}: {wall:.1f} s", file=sys.stderr, flush=True)
    print(f"# freeze-out sweep, {args.points} Latin-hypercube points of eta in [1e3, 1e6] (sample seed 0), "
          f"seed 0{', ' + ' '.join(args.sets) if args.sets else ''}; one run, 2-core CPU; compilation cache empty "
          "(cold) unless marked warm\n")
    print("| configuration | wall (s) | vs serial | start-up and overhead (s) | compile, summed (s) | "
          "training, summed (s) | points' own time, summed (s) | largest read-out difference vs serial |")
    print("|---|---|---|---|---|---|---|---|")
    for name, wall, over, comp, train, own, diff in rows:
        print(f"| {name} | {wall:.1f} | {rows[0][1] / wall:.2f}× | {over:.1f} | {comp:.1f} | {train:.1f} | "
              f"{own:.1f} | {diff:.1e} |")


if __name__ == "__main__":
    main()
