"""Reproduce the issue acceptance tables: experiments × variants × seeds, one line per run.

    python benchmarks/reproduce.py                 # all experiments, seeds 0 1 2
    python benchmarks/reproduce.py tunneling --seeds 0 1 2 --set V0=4.5 --set d=6

Prints each read-out's signed relative error, the solution error and the wall time (compile
included). Not part of the test run.
"""

from __future__ import annotations

import argparse
import time

import gluenn as gn
from gluenn.pipeline import experiments, get

VARIANTS = {
    "freezeout": [[], ["eta=1e3"], ["eta=1e5"]],
    "tunneling": [[], ["V0=4.5", "d=6"], ["V0=4.05", "d=12", "sigma=0.8"]],
    "darkphoton": [[], ["k=1"], ["k=4", "m=0.05"], ["m=0.2"]],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", default=[e for e in experiments() if e in VARIANTS])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--set", dest="overrides", action="append", default=None)
    args = ap.parse_args()
    for name in args.experiments:
        for over in ([args.overrides] if args.overrides else VARIANTS.get(name, [[]])):
            for seed in args.seeds:
                t0 = time.perf_counter()
                m = gn.run_experiment(get(name), overrides=over, seed=seed, progress=False).metrics
                wall = time.perf_counter() - t0
                errs = "  ".join(f"{k} {v['rel_err']:+.3%}" for k, v in m["readouts"].items())
                sol = m["solution"]
                err = sol.get("max_abs_err_over_max_norm", sol["max_rel_err"])
                print(f"{name:10s} {' '.join(over) or 'default':28s} seed {seed}  {errs}  "
                      f"solution {err:.3%}  wall {wall:.1f} s (compile {m['train']['compile_seconds']:.1f} s)",
                      flush=True)


if __name__ == "__main__":
    main()
