"""Structured vs gradient trainers, side by side in one process (issue 8).

    python benchmarks/trainers.py                  # freezeout, darkphoton, tunneling; seeds 0 1 2
    python benchmarks/trainers.py darkphoton --seeds 0

For each experiment, runs its default configuration with each trainer and prints the read-out
errors, the solution error, the detected structure (linear / nonlinear least squares), the
training and compile seconds and the ratio of wall times to the gradient trainer's.
Not part of the test run.
"""

from __future__ import annotations

import argparse
import time

import gluenn as gn
from gluenn.pipeline import get

TRAINERS = {
    "freezeout": [("adam+lbfgs (the paper's constant late term)", ["trainer=adam+lbfgs", "steps=1500", "late=constant"]),
                  ("gauss-newton (default)", []), ("auto", ["trainer=auto"])],
    "darkphoton": [("adam+lbfgs", ["trainer=adam+lbfgs", "steps=3000"]), ("lexicographic (default)", []),
                   ("gauss-newton", ["trainer=gauss-newton"]),
                   ("lstsq (linear coefficients)", ["trainer=lstsq", "positive=false"])],
    "tunneling": [("adam", ["trainer=adam", "steps=3000"]), ("lstsq", ["trainer=lstsq"]), ("auto", [])],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", default=list(TRAINERS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = ap.parse_args()
    for name in args.experiments:
        base = None
        for label, over in TRAINERS[name]:
            walls = []
            for seed in args.seeds:
                t0 = time.perf_counter()
                m = gn.run_experiment(get(name), overrides=over, seed=seed, progress=False).metrics
                walls.append(time.perf_counter() - t0)
                errs = "  ".join(f"{k} {v['rel_err']:+.3%}" for k, v in m["readouts"].items())
                sol = m["solution"]
                err = sol.get("max_abs_err_over_max_norm", sol["max_rel_err"])
                t = m["train"]
                print(f"{name:10s} {label:28s} seed {seed}  {errs}  solution {err:.3%}  "
                      f"structure {'/'.join(str(v) for v in t['structure'].values())}  "
                      f"train {t['seconds']:.1f} s  compile {t['compile_seconds']:.1f} s  wall {walls[-1]:.1f} s  "
                      f"stop: {t['stop_reason']}", flush=True)
            mean = sum(walls) / len(walls)
            base = base or mean
            print(f"{name:10s} {label:28s} mean wall {mean:.1f} s  (x{mean / base:.2f} of the first trainer)\n", flush=True)


if __name__ == "__main__":
    main()
