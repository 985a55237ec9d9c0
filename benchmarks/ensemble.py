"""Seed ensembles (issue 7): ``gluenn run EXP --ensemble K`` against K separate single-seed runs.

    python benchmarks/ensemble.py                       # tunneling, K = 8
    python benchmarks/ensemble.py freezeout --k 4 --set trainer=gauss-newton --set steps=0

Every run is a fresh ``gluenn run`` process (as a user would time it: imports, compilation,
reference, training, scoring, figures). Prints the wall time of the ensemble and of each single
run, the ratio ensemble / mean single run, each read-out's ensemble mean ± standard deviation,
the mean ± standard deviation of the K separate runs, and the largest member-wise difference
between the two (each member is trained as its single run would be: rounding level).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np


def _run(args: list[str], out: pathlib.Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gluenn.cli", "run", *args, "--out", str(out), "--no-progress"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0, json.loads((out / "metrics.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiment", nargs="?", default="tunneling")
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    over = [a for kv in args.overrides for a in ("--set", kv)]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        t_ens, ens = _run([args.experiment, "--seed", str(args.seed), "--ensemble", str(args.k), *over], tmp / "ens")
        walls, singles = [], []
        for s in range(args.seed, args.seed + args.k):
            w, m = _run([args.experiment, "--seed", str(s), *over], tmp / f"s{s}")
            walls.append(w)
            singles.append(m)
    print(f"{args.experiment}: --ensemble {args.k}: {t_ens:.1f} s wall; single runs {np.mean(walls):.1f} s "
          f"(min {min(walls):.1f}, max {max(walls):.1f}); ensemble / single run = {t_ens / np.mean(walls):.2f}x; "
          f"ensemble / {args.k} single runs = {t_ens / sum(walls):.2f}x")
    for k, r in ens["readouts"].items():
        vals = np.array([m["readouts"][k]["pred"] for m in singles])
        diff = np.max(np.abs(np.array(r["members"]) - vals))
        print(f"  {k:12s} ensemble {r['pred']:.6g} ± {r['std']:.3g}   separate runs {vals.mean():.6g} ± "
              f"{vals.std(ddof=1):.3g}   true {r['true']:.6g}   max |member - single| {diff:.2e}")


if __name__ == "__main__":
    main()
