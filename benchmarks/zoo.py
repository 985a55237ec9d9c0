"""The problem zoo at full size, seeds 0, 1, 2, with default settings: the acceptance table.

    python benchmarks/zoo.py            # ~4 min on 2 cores; writes benchmarks/results/zoo.md

Every example in ``examples/`` is solved with ``gn.fit(problem, seed=s)`` and nothing else (no
weights, no input range, no trainer), and compared with its exact or SciPy answer computed at run
time. Which runs chose the defaults and which only measure them is stated in the output.
"""

from __future__ import annotations

import importlib.util
import pathlib
import time
import warnings

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ["bessel_j0", "poschl_teller", "airy_turning_point", "pwave_freezeout"]
#: the runs looked at while the defaults (Lexicographic tol, input range ±6, first-layer widths) were chosen
CHOSEN_ON = {("bessel_j0", 0), ("bessel_j0", 1), ("bessel_j0", 2), ("poschl_teller", 0), ("poschl_teller", 1),
             ("airy_turning_point", 0), ("airy_turning_point", 1), ("airy_turning_point", 2)}


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _row(name: str, seed: int) -> str:
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = _load(name).solve(seed=seed)
    seconds = time.perf_counter() - t0
    parts, ok = [], out["y_error"] <= 1e-3 and out["trust"].trusted
    for key, (pred, exact) in out["readouts"].items():
        error = abs(pred - exact) if exact == 0 else abs(pred / exact - 1)
        ok &= error <= 0.01
        parts.append(f"{key} = {pred:.6g} (exact {exact:.6g}, {'abs' if exact == 0 else 'rel'}. err {error:.1e})")
    verdict = "yes" if out["trust"].trusted else "NO: " + "; ".join(out["trust"].reasons)
    role = "chose defaults" if (name, seed) in CHOSEN_ON else "fresh"
    return (f"| {name} | {seed} | {role} | {'; '.join(parts)} | {out['y_error']:.1e} | {verdict} | "
            f"{'pass' if ok else 'FAIL'} | {seconds:.1f} |")


def main() -> None:
    rows = [_row(name, seed) for name in EXAMPLES for seed in (0, 1, 2)]
    header = ("| example | seed | role | read-outs | max abs. y error / max abs. y | trusted | acceptance | seconds |\n"
              "|---|---|---|---|---|---|---|---|")
    text = "\n".join([
        "# The problem zoo with default settings (seeds 0, 1, 2)",
        "",
        "`python benchmarks/zoo.py`, 2-core CPU. Acceptance (robust-by-default issue): every read-out",
        "within 1 % (an exact zero within 0.01), y within 1e-3 of max |y|, and the fit trusted.",
        "*role*: `chose defaults` runs were looked at while the defaults were chosen: the lexicographic",
        "tolerance (1e-4; then 3e-5 with the spread first layer, looked at on Bessel 0–2, Airy 0–2, Pöschl–Teller 0–1), the",
        "input range ±6, and the narrowest first-layer step (2× the centre spacing: Airy seeds 0, 1, where",
        "1× left the residual between the collocation points at 2 %, flagged); `fresh` runs were not. The",
        "slack of 1 and the floor at ε_min were chosen on dark-photon points. The trust check's residual",
        "scale was changed after p-wave seeds 0 and 2 were flagged with their read-outs within 0.17 %",
        "(`docs/trust.md`); their accuracy did not choose any default.",
        "Seconds include compilation (a cold persistent cache only on the first run of a shape).",
        "", header, *rows, ""])
    (ROOT / "benchmarks" / "results" / "zoo.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
