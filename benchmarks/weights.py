"""Automatic loss weights (issue 7): ``gluenn run EXP --weights auto|gradnorm`` against the
experiments' hand-tuned λ (``fixed``), several seeds.

    python benchmarks/weights.py                                   # freezeout, darkphoton, tunneling; seeds 0-2
    python benchmarks/weights.py tunneling --seeds 0 --strategies auto fixed --set V0=4.5 --set d=6
    python benchmarks/weights.py hodgkin-huxley --seeds 0          # ~4 min per run

Every run is a fresh ``gluenn run`` process. Prints, per experiment, seed and strategy, the
relative error of each scalar read-out against the SciPy reference (``hodgkin-huxley``: spike F1
and drift), the final weights' ratios and the wall time.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time


def _run(args: list[str], out: pathlib.Path) -> tuple[float, dict | None]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "gluenn.cli", "run", *args, "--out", str(out), "--no-progress"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        print(f"    failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
        return wall, None
    return wall, json.loads((out / "metrics.json").read_text())


def _summary(m: dict) -> str:
    r = m["readouts"]
    if "spike_f1" in r:
        return (f"F1 {r['spike_f1']:.2f}  drift {r['phase_drift_ms']:.2f} ms  ISI {r['isi_error_ms']:.2f} ms  "
                f"amp {r['amp_error_pct']:.2f} %")
    return "  ".join(f"{k} {100 * (v['pred'] - v['true']) / v['true']:+.3f} %"
                     + (f" (from y {100 * (v['pred_from_y'] - v['true']) / v['true']:+.3f} %)" if "pred_from_y" in v else "")
                     for k, v in r.items() if isinstance(v, dict) and "true" in v and v["true"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("experiments", nargs="*", default=["freezeout", "darkphoton", "tunneling"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--strategies", nargs="+", default=["fixed", "auto"], choices=["fixed", "auto", "gradnorm"])
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    args = ap.parse_args()
    over = [a for kv in args.overrides for a in ("--set", kv)]
    with tempfile.TemporaryDirectory() as tmp:
        for exp in args.experiments:
            print(f"{exp} {' '.join(over)}", flush=True)
            for seed in args.seeds:
                for strategy in args.strategies:
                    out = pathlib.Path(tmp) / f"{exp}-{seed}-{strategy}"
                    wall, m = _run([exp, "--seed", str(seed), "--weights", strategy, *over], out)
                    if m is None:
                        continue
                    print(f"  seed {seed} {strategy:8s} {_summary(m)}   wall {wall:.1f} s", flush=True)


if __name__ == "__main__":
    main()
