"""Parameter-box maps of the built-in experiments with their default settings (robust-by-default issue).

    python benchmarks/boxes.py [--out runs/boxes] [--workers N]    # ~30 min on 2 cores

Each box is sampled by a Latin hypercube of 24 points (seed 0) and every point is an ordinary run
(``gn.sweep`` / ``gn.pipeline.run_points``): freeze-out η ∈ [1e2, 1e7] (log); dark photon
k ∈ [0.5, 4], m ∈ [0.02, 0.5], H ∈ [5, 25]; tunneling σ ∈ [0.2, 1], d ∈ [max(8σ, 4), 20],
V0/E ∈ [1.02, 2], k ∈ [1, 3] with κd ≤ 10 (the first 24 draws of a 400-point hypercube that satisfy
it). A point is within tolerance when its primary read-out is (Y_end 0.5 %, X_end 1 %, T2 2 %).
Writes ``benchmarks/results/boxes.md`` and the sweeps' accuracy figures as ``boxes-*.png``.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import shutil

from scipy.stats import qmc

import gluenn as gn
from gluenn.pipeline import get, plan, run_points, sweep_figures, sweep_frame

HERE = pathlib.Path(__file__).resolve().parent
N = 24
PRIMARY = {"freezeout": ("Y_end", 0.005), "darkphoton": ("X_end", 0.01), "tunneling": ("T2", 0.02)}


def tunneling_points():
    exp, points = get("tunneling"), []
    for s, dd, r, kk in qmc.LatinHypercube(d=4, seed=0).random(400):
        sigma, k = 0.2 + 0.8 * s, 1 + 2 * kk
        E = k * k  # m = 0.5
        V0, dlo = E * (1.02 + 0.98 * r), max(8 * sigma, 4)
        d = dlo + (20 - dlo) * dd
        if math.sqrt(V0 - E) * d <= 10 and d > 8 * sigma * 1.001 and len(points) < N:
            over = [f"sigma={sigma:.4g}", f"d={d:.4g}", f"V0={V0:.5g}", f"k={k:.4g}"]
            (point,) = plan(exp, overrides=over)
            points.append(gn.pipeline.Point({"sigma": float(sigma), "d": float(d), "V0_over_E": float(V0 / E), "k": float(k)}, point.overrides,
                                            0, name=point.name))
    return points


def run(out: pathlib.Path, workers):
    tables = {"freezeout": gn.sweep("freezeout", vary=["eta=1e2:1e7:log"], points=N, out=out / "freezeout",
                                    workers=workers, progress=False),
              "darkphoton": gn.sweep("darkphoton", vary=["k=0.5:4", "m=0.02:0.5", "H=5:25"], points=N,
                                     out=out / "darkphoton", workers=workers, progress=False)}
    rows = run_points(get("tunneling"), tunneling_points(), out / "tunneling", {"experiment": "tunneling", "box": "issue 17"},
                      workers=workers, progress=False)
    tables["tunneling"] = sweep_frame(rows)
    sweep_figures(out / "tunneling", tables["tunneling"], ["sigma", "d", "V0_over_E", "k"])
    return tables


def summary(name: str, table) -> tuple[str, list[str]]:
    key, tol = PRIMARY[name]
    done = table[table["status"] == "done"]
    within = done[f"{key}_rel_err"].abs() <= tol
    trusted = done["trusted"].astype(bool)
    line = (f"| {name} | {len(table)} | {int(within.sum())} | {int((within & trusted).sum())} | {int((within & ~trusted).sum())} | "
            f"{int((~within & trusted).sum())} | {int((~within & ~trusted).sum())} | {len(table) - len(done)} |")
    worst = done.assign(err=done[f"{key}_rel_err"].abs()).sort_values("err", ascending=False)
    swept = [c for c in ("eta", "k", "m", "H", "sigma", "d", "V0_over_E") if c in done]
    detail = [f"| {name} | " + ", ".join(f"{c}={r[c]:.4g}" for c in swept) + f" | {r[f'{key}_rel_err']:+.2e} | "
              f"{'yes' if r['trusted'] else 'no: ' + str(r['trust_reasons'])[:140]} |" for _, r in worst.iterrows()]
    return line, detail


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/boxes")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    tables = run(out, args.workers)
    lines, details = [], []
    for name, table in tables.items():
        line, detail = summary(name, table)
        lines.append(line)
        details += detail
        for png in (out / name).glob("sweep-*.png"):
            shutil.copy(png, HERE / "results" / f"boxes-{name}-{png.name[len('sweep-'):]}")
    text = "\n".join([
        "# Parameter boxes of the built-in experiments, default settings (seed 0)", "",
        "`python benchmarks/boxes.py`; see its docstring for the boxes. Tolerance: Y_end 0.5 %, X_end 1 %, T2 2 %.", "",
        "| experiment | points | within tolerance | within & trusted | within & flagged | outside & trusted (**silent**) | outside & flagged | failed |",
        "|---|---|---|---|---|---|---|---|", *lines, "",
        "Every point, worst first:", "", "| experiment | parameters | primary rel. error | trusted |", "|---|---|---|---|",
        *details, "", "Figures: `boxes-EXPERIMENT-READOUT.png` (read-out and |rel. error| against each parameter; "
        "untrusted points ringed red).", ""])
    (HERE / "results" / "boxes.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
