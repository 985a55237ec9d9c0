"""One ``--vary`` training against separate single runs, wall time side by side (issue 19).

Runs, one after another as separate ``gluenn`` processes (so import, set-up, compilation and
outputs all count), each with an **empty** compilation cache (cold):

- ``gluenn run EXPERIMENT --vary NAME=LO:HI[:log]`` (one training over the range, 20 held-out values scored);
- ``gluenn run EXPERIMENT --set NAME=V`` for 5 values V spread over the range.

    python benchmarks/family_timing.py [EXPERIMENT NAME=LO:HI[:log] [--set X=Y ...]]

Prints a Markdown table. Measured results: ``docs/parametric.md``.
"""
import subprocess, sys, tempfile, time

import numpy as np

args = sys.argv[1:] or ["freezeout", "eta=1e3:1e6:log"]
experiment, vary, extra = args[0], args[1], args[2:]
name, spec = vary.split("=")
lo, hi, *log = spec.split(":")
values = (np.geomspace if log else np.linspace)(float(lo), float(hi), 7)[1:-1]


def timed(cmd: list[str]) -> float:
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        subprocess.run(["gluenn", "run", experiment, *cmd, *extra, "--no-progress", "--out", out + "/o"], check=True,
                       env={**__import__("os").environ, "GLUENN_CACHE_DIR": cache}, capture_output=True)
        return time.perf_counter() - t


family = timed(["--vary", vary])
singles = [timed(["--set", f"{name}={v:.6g}"]) for v in values]
print(f"| {experiment} over {vary} | wall, cold cache |\n|---|---|")
print(f"| one `--vary` training (8 training values, 20 held-out scored) | {family:.1f} s |")
for v, t in zip(values, singles):
    print(f"| single run {name}={v:.4g} | {t:.1f} s |")
print(f"| 5 single runs, total | {sum(singles):.1f} s |\n| ratio (5 singles / one --vary) | {sum(singles) / family:.2f} |")
