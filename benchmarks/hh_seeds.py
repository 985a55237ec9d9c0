"""Hodgkin–Huxley over seeds 0–9 through the sweep command (issue 18), tabulated for the README.

    python benchmarks/hh_seeds.py                     # gluenn sweep hodgkin-huxley --seeds 0-9 (~25 min, 2 cores)
    python benchmarks/hh_seeds.py --from runs/hh-10   # tabulate a sweep that already ran

Writes ``benchmarks/results/hodgkin-huxley-10-seeds-sweep.md`` (one row per seed, then min / max)
and copies the sweep's spike-F1, drift and gating-RMSE figures next to it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import subprocess
import sys

RESULTS = pathlib.Path(__file__).resolve().parent / "results"
COLUMNS = [("spike_f1", "F1", ".2f"), ("phase_drift_ms", "drift (ms)", ".4f"), ("isi_error_ms", "ISI err (ms)", ".5f"),
           ("amp_error_pct", "amp. err (%)", ".3f"), ("rmse_v", "RMSE v (mV)", ".3f"), ("rmse_n", "RMSE n", ".4f"),
           ("rmse_m", "RMSE m", ".4f"), ("rmse_h", "RMSE h", ".4f"), ("trusted", "trusted", ""),
           ("total_seconds", "run (s)", ".0f")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="source", default=None, help="an existing sweep folder")
    ap.add_argument("--out", default="runs/hodgkin-huxley-10-seeds")
    args = ap.parse_args()
    src = pathlib.Path(args.source or args.out)
    if args.source is None:
        subprocess.run([sys.executable, "-m", "gluenn.cli", "sweep", "hodgkin-huxley", "--seeds", "0-9",
                        "--out", str(src), "--no-progress"], check=True)
    data = json.loads((src / "sweep.json").read_text())
    rows = sorted((r for r in data["rows"] if r["status"] == "done"), key=lambda r: r["seed"])
    lines = ["# `gluenn sweep hodgkin-huxley --seeds 0-9` (default configuration, embedded Dask cluster of 2 "
             "worker processes, 2-core CPU)", "",
             "Spike metrics on [14.68, 100] ms (±2 ms), gating RMSEs on [100, 1000] ms; `run (s)`: the point's "
             "own wall time inside its worker (two points ran at a time).", "",
             "| seed | " + " | ".join(c[1] for c in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for r in rows:
        lines.append(f"| {r['seed']} | " + " | ".join(_cell(r.get(k), f) for k, _, f in COLUMNS) + " |")
    for name, pick in (("min", min), ("max", max)):
        cells = [_cell(pick(r[k] for r in rows), f) if f else "" for k, _, f in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    failed = [r for r in data["rows"] if r["status"] != "done"]
    if failed:
        lines += ["", f"Not finished: {', '.join(str(r['seed']) + ' (' + r['status'] + ')' for r in failed)}"]
    (RESULTS / "hodgkin-huxley-10-seeds-sweep.md").write_text("\n".join(lines) + "\n")
    for name in ("spike_f1", "phase_drift_ms", "rmse_m"):
        if (src / f"sweep-{name}.png").exists():
            shutil.copy(src / f"sweep-{name}.png", RESULTS / f"hodgkin-huxley-10-seeds-{name}.png")
    print("\n".join(lines))


def _cell(v, fmt: str) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return format(v, fmt) if fmt else str(v)


if __name__ == "__main__":
    main()
