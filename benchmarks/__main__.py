"""Run every benchmark and write ``benchmarks/RESULTS.md`` (machine, versions, outputs).

    pip install -e ".[bench]"
    python -m benchmarks            # ~45 min on 2 cores
    python -m benchmarks --quick    # fewer steps and one seed: a smoke run, not results
    python -m benchmarks --only bench_hh.py   # re-run some; the other sections of RESULTS.md are kept

Each benchmark runs as its own process (so that one's JIT caches do not flatter another), with
gluenn's persistent compilation cache off (``GLUENN_CACHE=off``: every compilation is paid and
shown; the benchmarks that measure the cache, ``wall_time.py`` and ``bench_freezeout.py``'s default
runs, give their own processes an empty cache folder), and prints its own medians over seeds; this entry point collects them with the machine and the
library versions. Peers that cannot be installed on the machine are listed as such.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pathlib
import platform
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent

BENCHMARKS = [
    ("Where the wall time of a default run goes, cold and warm compilation cache", "wall_time.py", [], ["freezeout"]),
    ("Freeze-out's training step against its floating-point operation count", "step_flops.py", [], []),
    ("Freeze-out: gluenn vs eager PyTorch (same GlueNN model and weights) and DeepXDE (plain PINN)",
     "bench_freezeout.py", [], ["--steps", "600", "--peer-steps", "2000", "--recipe", "300", "300", "--seeds", "0"]),
    ("Tunneling: gluenn vs DeepXDE (plain PINN), time to |T2| within 1 %", "bench_tunneling.py", [],
     ["--seeds", "0", "--budget", "2"]),
    ("PI-NODE-SR on Hodgkin–Huxley: gluenn vs PyTorch + torchdiffeq (same model and weights)", "bench_hh.py",
     ["--f1"], ["--steps", "20", "--torch-steps", "4", "--seeds", "0"]),
    ("Seed ensembles: --ensemble 8 vs single runs (tunneling)", "ensemble.py", [], ["--k", "2"]),
    ("Automatic loss weights vs the hand-tuned λ (seeds 0-2)", "weights.py", [], ["tunneling", "--seeds", "0"]),
    ("Structured vs gradient trainers", "trainers.py", ["freezeout", "darkphoton", "--seeds", "0"],
     ["freezeout", "--seeds", "0"]),
]


def _versions() -> list[str]:
    out = []
    for mod in ("gluenn", "jax", "equinox", "optax", "diffrax", "scipy", "numpy", "torch", "deepxde", "torchdiffeq"):
        if importlib.util.find_spec(mod) is None:
            out.append(f"{mod}: not installed (pip install -e \".[bench]\")")
            continue
        m = __import__(mod)
        out.append(f"{mod}: {getattr(m, '__version__', '?')}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--only", nargs="+", metavar="SCRIPT", choices=[b[1] for b in BENCHMARKS],
                    help="run only these scripts; keep the other sections of an existing --out")
    args = ap.parse_args()
    old = {}
    if args.only and pathlib.Path(args.out).exists():
        for part in pathlib.Path(args.out).read_text().split("\n## ")[1:]:
            title, _, rest = part.partition("\n")
            old[title] = rest.rstrip("\n").split("\n")
    lines = ["# Benchmark results", "",
             f"Written by `python -m benchmarks{' --quick' if args.quick else ''}"
             f"{' --only ' + ' '.join(args.only) if args.only else ''}` on {time.strftime('%Y-%m-%d %H:%M')}"
             f"{' (the other sections kept from the previous run)' if old else ''}.", "",
             f"- machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPU cores, Python {platform.python_version()}"]
    lines += [f"- {v}" for v in _versions()]
    for title, script, full, quick in BENCHMARKS:
        if args.only and script not in args.only:
            if title in old:
                lines += ["", f"## {title}", *old[title]]
            continue
        cmd = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"== {title}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "GLUENN_CACHE": "off"})
        wall = time.perf_counter() - t0
        body = res.stdout.strip() if res.returncode == 0 else (res.stdout + res.stderr).strip()[-3000:]
        print(body, flush=True)
        lines += ["", f"## {title}", "", f"`python benchmarks/{script} {' '.join(cmd[2:])}` "
                  f"({wall:.0f} s{'' if res.returncode == 0 else f', FAILED with status {res.returncode}'})",
                  "", "```", body, "```"]
    pathlib.Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
