"""Equations that no issue names, solved with ``gn.fit(problem, seed=s)`` and nothing else: the error
of ``y`` against an exact or SciPy solution, and the verdicts, before and after the `resolution`
check (a refit twice as wide, ``widen=2``) and the `integration` check (an initial-value problem
against SciPy's DOP853 from the same initial values).

    python benchmarks/fresh_equations.py     # ~10 min on 2 cores; writes benchmarks/results/fresh-equations.md

*before*: ``gn.fit(problem, widen=0)`` judged without the `resolution` and `integration` checks (the
library before them; a nonlinear fit may now also be redone by marching when only `integration`
fails, so for those two rows *before* is not quite the old library). *after*: the default.
**CHOICE** problems (seeds 0-2) were looked at while both checks and the rule "widen a flagged
linear fit only when `integration` can verify the wider one" were designed; **FRESH** problems were
written down before either was first run on them and are the evaluation; the FRESH run found one
false alarm (fixed: zero initial values asked SciPy for zero absolute error), so **FRESH2** was then
written, before any run, as a second evaluation. A **silent failure** is a
fit that is trusted with ``max|y - exact| / max|exact|`` above 1e-2 (the trust's tolerance).
"""

from __future__ import annotations

import math
import pathlib
import sys
import time
import warnings

import jax.numpy as jnp
import numpy as np
from scipy import special
from scipy.integrate import solve_ivp

import gluenn as gn

OUT = pathlib.Path(__file__).resolve().parent / "results" / "fresh-equations.md"
TOLERANCE = 1e-2
NEW_CHECKS = ("resolution", "integration")


def ivp(f, a, b, y0):
    s = solve_ivp(f, (a, b), y0, method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
    return lambda x: s.sol(x)[0]

free = lambda: [gn.Term("y", lambda x, c: c[0])]
def ic(a, y0, dy0): return [gn.Data([a], [y0]), gn.Data([a], [dy0], derivative=1, name="slope")]

CHOICE = {
 "sin3x[0,40]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 9 * y), ic(0.0, 0.0, 3.0), (0.0, 40.0), 300, lambda x: np.sin(3 * x)),
 "J1[1,100]": lambda: (gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + (x**2 - 1) * y),
                       ic(1.0, special.j1(1.0), special.jvp(1, 1.0)), (1.0, 100.0), 400, special.j1),
 "damped[0,120]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 0.02 * dy + y), ic(0.0, 1.0, 0.0), (0.0, 120.0), 300,
                           ivp(lambda x, u: [u[1], -0.02 * u[1] - u[0]], 0.0, 120.0, [1.0, 0.0])),
 "mathieu[0,60]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + (1.2 + 0.4 * jnp.cos(2 * x)) * y), ic(0.0, 1.0, 0.0), (0.0, 60.0), 300,
                           ivp(lambda x, u: [u[1], -(1.2 + 0.4 * np.cos(2 * x)) * u[0]], 0.0, 60.0, [1.0, 0.0])),
 "decay[0,40]": lambda: (gn.Equation(lambda x, y, dy: dy + y), [gn.Data([0.0], [1.0])], (0.0, 40.0), 200, lambda x: np.exp(-x)),
 "bvp-sinh[0,30]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - y), [gn.Data([0.0], [1.0]), gn.Data([30.0], [0.0], name="end")],
                            (0.0, 30.0), 200, lambda x: np.sinh(30 - x) / np.sinh(30.0)),
 "chirp[0,20]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + (x**2 / 4 + 1) * y), ic(0.0, 1.0, 0.0), (0.0, 20.0), 400,
                         ivp(lambda x, u: [u[1], -(x**2 / 4 + 1) * u[0]], 0.0, 20.0, [1.0, 0.0])),
 "legendreP10": lambda: (gn.Equation(lambda x, y, dy, d2y: (1 - x**2) * d2y - 2 * x * dy + 110 * y),
                         ic(0.0, special.eval_legendre(10, 0.0), 0.0), (-0.99, 0.99), 200, lambda x: special.eval_legendre(10, x)),
 "forced[0,60]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + y - x), ic(0.0, 1.0, 1.0), (0.0, 60.0), 300, lambda x: x + np.cos(x)),
 "euler-cauchy[1,1000]": lambda: (gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + 25 * y), ic(1.0, 1.0, 0.0), (1.0, 1000.0), 300,
                                  lambda x: np.cos(5 * np.log(x))),
}


def _ai(x):
    return special.airy(x)[0]


def _laguerre5(x):
    return special.eval_laguerre(5, x)


FRESH = {
 "hermite4[-3,3]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - 2 * x * dy + 8 * y), ic(0.0, 12.0, 0.0), (-3.0, 3.0), 200,
                            lambda x: 16 * x**4 - 48 * x**2 + 12),
 "gaussian[0,3]": lambda: (gn.Equation(lambda x, y, dy: dy + 2 * x * y), [gn.Data([0.0], [1.0])], (0.0, 3.0), 200,
                           lambda x: np.exp(-x**2)),
 "third-order[0,10]": lambda: (gn.Equation(lambda x, y, dy, d2y, d3y: d3y + y),
                               [gn.Data([0.0], [1.0]), gn.Data([0.0], [-1.0], derivative=1, name="slope"),
                                gn.Data([0.0], [1.0], derivative=2, name="curvature")], (0.0, 10.0), 200, lambda x: np.exp(-x)),
 "airy-left[-20,0]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - x * y), ic(0.0, special.airy(0.0)[0], special.airy(0.0)[1]),
                              (-20.0, 0.0), 300, _ai),
 "driven[0,50]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 0.5 * dy + 4 * y - jnp.cos(1.5 * x)), ic(0.0, 0.0, 0.0), (0.0, 50.0), 300,
                          ivp(lambda x, u: [u[1], -0.5 * u[1] - 4 * u[0] + np.cos(1.5 * x)], 0.0, 50.0, [0.0, 0.0])),
 "bessel0-ivp[1,80]": lambda: (gn.Equation(lambda x, y, dy, d2y: x * d2y + dy + x * y), ic(1.0, special.j0(1.0), -special.j1(1.0)),
                               (1.0, 80.0), 300, special.j0),
 "exp-sin[0,50]": lambda: (gn.Equation(lambda x, y, dy: dy - jnp.cos(x) * y), [gn.Data([0.0], [1.0])], (0.0, 50.0), 300,
                           lambda x: np.exp(np.sin(x))),
 "laguerre5[1,15]": lambda: (gn.Equation(lambda x, y, dy, d2y: x * d2y + (1 - x) * dy + 5 * y),
                             ic(1.0, _laguerre5(1.0), -special.eval_genlaguerre(4, 1, 1.0)), (1.0, 15.0), 200, _laguerre5),
 "cos-bvp[0,20]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 4 * y), [gn.Data([0.0], [1.0]), gn.Data([20.0], [math.cos(40.0)], name="end")],
                           (0.0, 20.0), 300, lambda x: np.cos(2 * x)),
 "exp-bvp[0,5]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - 4 * y), [gn.Data([0.0], [1.0]), gn.Data([5.0], [math.exp(-10.0)], name="end")],
                          (0.0, 5.0), 200, lambda x: np.exp(-2 * x)),
 "pendulum[0,30]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + jnp.sin(y)), ic(0.0, 1.0, 0.0), (0.0, 30.0), 300,
                            ivp(lambda x, u: [u[1], -np.sin(u[0])], 0.0, 30.0, [1.0, 0.0])),
 "logistic[0,15]": lambda: (gn.Equation(lambda x, y, dy: dy - y * (1 - y)), [gn.Data([0.0], [0.05])], (0.0, 15.0), 200,
                            lambda x: 1 / (1 + 19 * np.exp(-x))),
}
#: written after the FRESH run had shown one false alarm (zero initial values asked SciPy for zero
#: absolute error; fixed), so that the evaluation is again on problems nothing was changed for
FRESH2 = {
 "cosh[0,6]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - y), ic(0.0, 1.0, 0.0), (0.0, 6.0), 200, np.cosh),
 "damped-long[0,200]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 0.01 * dy + 0.25 * y), ic(0.0, 1.0, 0.0), (0.0, 200.0), 400,
                                ivp(lambda x, u: [u[1], -0.01 * u[1] - 0.25 * u[0]], 0.0, 200.0, [1.0, 0.0])),
 "bessel1-ivp[2,60]": lambda: (gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + (x**2 - 1) * y),
                               ic(2.0, special.j1(2.0), special.jvp(1, 2.0)), (2.0, 60.0), 300, special.j1),
 "parabolic-cylinder[0,8]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + (2.5 - x**2 / 4) * y), ic(0.0, -1.0, 0.0), (0.0, 8.0), 200,
                                     lambda x: (x**2 - 1) * np.exp(-x**2 / 4)),
 "forced-first[0,30]": lambda: (gn.Equation(lambda x, y, dy: dy + 0.3 * y - jnp.sin(2 * x)), [gn.Data([0.0], [0.0])], (0.0, 30.0), 300,
                                ivp(lambda x, u: [-0.3 * u[0] + np.sin(2 * x)], 0.0, 30.0, [0.0])),
 "modulated[0,40]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + (1 + 0.5 * jnp.sin(0.3 * x)) * y), ic(0.0, 1.0, 0.0), (0.0, 40.0), 300,
                             ivp(lambda x, u: [u[1], -(1 + 0.5 * np.sin(0.3 * x)) * u[0]], 0.0, 40.0, [1.0, 0.0])),
 "fourth-order[0,8]": lambda: (gn.Equation(lambda x, y, dy, d2y, d3y, d4y: d4y - y),
                               [gn.Data([0.0], [1.0]), gn.Data([0.0], [0.0], derivative=1, name="d1"),
                                gn.Data([0.0], [-1.0], derivative=2, name="d2"), gn.Data([0.0], [0.0], derivative=3, name="d3")],
                               (0.0, 8.0), 200, np.cos),
 "bessel0-bvp[1,40]": lambda: (gn.Equation(lambda x, y, dy, d2y: x * d2y + dy + x * y),
                               [gn.Data([1.0], [special.j0(1.0)]), gn.Data([40.0], [special.j0(40.0)], name="end")], (1.0, 40.0), 300, special.j0),
 "airy-bvp[-15,2]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - x * y),
                             [gn.Data([-15.0], [_ai(-15.0)]), gn.Data([2.0], [_ai(2.0)], name="end")], (-15.0, 2.0), 300, _ai),
 "duffing[0,20]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + y + 0.1 * y**3), ic(0.0, 1.0, 0.0), (0.0, 20.0), 300,
                           ivp(lambda x, u: [u[1], -u[0] - 0.1 * u[0] ** 3], 0.0, 20.0, [1.0, 0.0])),
}
def _bratu(lam: float):
    from scipy.optimize import brentq
    th = brentq(lambda t: t - math.sqrt(2 * lam) * math.cosh(t / 4), 1e-6, 4.0)  # the lower branch
    return lambda x: -2 * np.log(np.cosh((x - 0.5) * th / 2) / math.cosh(th / 4))


def _h4(x):
    return 16 * x**4 - 48 * x**2 + 12


def bc(a, ya, b, yb, kb=0): return [gn.Data([a], [ya]), gn.Data([b], [yb], derivative=kb, name="end")]

# written 2026-12-05 before the boundary-value reference (collocation) was first run on any of them
FRESH3 = {
 "layer-right[0,1]": lambda: (gn.Equation(lambda x, y, dy, d2y: 0.02 * d2y - dy), bc(0.0, 0.0, 1.0, 1.0), (0.0, 1.0), 200,
                              lambda x: np.expm1(x / 0.02) / np.expm1(1 / 0.02)),
 "neumann-end[0,15]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 9 * y), bc(0.0, 1.0, 15.0, 0.0, kb=1), (0.0, 15.0), 300,
                               lambda x: np.cos(3 * x) + np.tan(45.0) * np.sin(3 * x)),
 "bratu-2[0,1]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + 2 * jnp.exp(y)), bc(0.0, 0.0, 1.0, 0.0), (0.0, 1.0), 100, _bratu(2.0)),
 "legendre3-bvp": lambda: (gn.Equation(lambda x, y, dy, d2y: (1 - x**2) * d2y - 2 * x * dy + 12 * y),
                           bc(-0.9, special.eval_legendre(3, -0.9), 0.9, special.eval_legendre(3, 0.9)), (-0.9, 0.9), 200,
                           lambda x: special.eval_legendre(3, x)),
 "hermite4-bvp[0,4]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - 2 * x * dy + 8 * y), bc(0.0, 12.0, 4.0, _h4(4.0)), (0.0, 4.0), 200, _h4),
 "sinh-bvp[0,6]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y - y), bc(0.0, 1.0, 6.0, 0.0), (0.0, 6.0), 200,
                           lambda x: np.sinh(6 - x) / np.sinh(6.0)),
 "forced-bvp[0,10]": lambda: (gn.Equation(lambda x, y, dy, d2y: d2y + y - x), bc(0.0, 0.0, 10.0, 0.0), (0.0, 10.0), 200,
                              lambda x: x - 10 * np.sin(x) / np.sin(10.0)),
 "bessel1-bvp[2,30]": lambda: (gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + (x**2 - 1) * y),
                               bc(2.0, special.j1(2.0), 30.0, special.j1(30.0)), (2.0, 30.0), 300, special.j1),
 "third-order-bvp[0,3]": lambda: (gn.Equation(lambda x, y, dy, d2y, d3y: d3y - y),
                                  [gn.Data([0.0], [1.0]), gn.Data([0.0], [1.0], derivative=1, name="slope"),
                                   gn.Data([3.0], [math.exp(3.0)], name="end")], (0.0, 3.0), 200, np.exp),
}
SEEDS = {"choice": (0, 1, 2), "fresh": (0, 1), "fresh2": (0, 1), "fresh3": (0, 1)}


def run(case, seed: int, widen: int, new_checks: bool) -> tuple[float, bool, float, bool]:
    """(error of y, trusted, seconds, refitted wider) of one default fit."""
    eq, data, (a, b), n, exact = case()
    log = a > 0 and b / a >= 100
    pts = gn.logspace(a, b, n) if log else gn.linspace(a, b, n)
    problem = gn.Problem(terms=free(), equation=eq, samples=[*data, gn.Residual(pts)], domain=(a, b))
    xs = np.geomspace(a, b, 4001) if log else np.linspace(a, b, 4001)
    ref = exact(xs)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = gn.fit(problem, seed=seed, progress=False, widen=widen)
        trusted = all(c.passed for c in result.trust.checks if new_checks or c.name not in NEW_CHECKS)
    seconds = time.perf_counter() - t0
    err = float(np.max(np.abs(result.solution.evaluate(xs).y - ref)) / np.max(np.abs(ref)))
    refit = any(issubclass(w.category, gn.RefitWarning) and "twice the trunk width" in str(w.message) for w in caught)
    return err, trusted, seconds, refit


def _cell(r) -> str:
    return f"{r[0]:.1e}, {'trusted' if r[1] else 'flagged'}"


def main(sets=("choice", "fresh", "fresh2")) -> None:
    rows = ["| problem | seed | set | before: y error, verdict | after: y error, verdict | after, s |", "|---|---|---|---|---|---|"]
    counts: dict = {}
    for kind in sets:
        cases = {"choice": CHOICE, "fresh": FRESH, "fresh2": FRESH2, "fresh3": FRESH3}[kind]
        for seed in SEEDS[kind]:
            for name, case in cases.items():
                before, after = run(case, seed, 0, False), run(case, seed, 2, True)
                for label, r in (("before", before), ("after", after)):
                    key = (kind, label, "within" if r[0] <= TOLERANCE else "outside", "trusted" if r[1] else "flagged")
                    counts[key] = counts.get(key, 0) + 1
                rows.append(f"| {name} | {seed} | {kind} | {_cell(before)} | {_cell(after)}{', widened' if after[3] else ''} | {after[2]:.1f} |")
                print(rows[-1], flush=True)
    summary = ["| set | fits | within & trusted | within & flagged | outside & trusted (**silent**) | outside & flagged |",
               "|---|---|---|---|---|---|"]
    for kind in sets:
        for label in ("before", "after"):
            c = [counts.get((kind, label, w, t), 0) for w, t in (("within", "trusted"), ("within", "flagged"),
                                                                  ("outside", "trusted"), ("outside", "flagged"))]
            summary.append(f"| {kind}, {label} | {sum(c)} | " + " | ".join(map(str, c)) + " |")
    out = OUT if len(sets) > 1 else OUT.with_name(f"fresh-equations-{sets[0]}.md")
    out.write_text("# Fresh equations: the resolution and integration checks\n\n" + __doc__.split("\n\n", 1)[0] + "\n\n"
                   + "\n".join(summary) + "\n\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print("\n".join(summary))


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("choice", "fresh", "fresh2"))
