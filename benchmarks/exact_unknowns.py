"""Unknown parameters of linear equations from *exact* data (``noise=None``), each fitted with
``gn.fit(problem, unknowns=..., seed=0)`` and nothing else; the truth is SciPy's ``solve_ivp``.

    python benchmarks/exact_unknowns.py [CASE ...]   # ~2 min on 2 cores; writes benchmarks/results/exact-unknowns.md

Written 2026-12-05 before any run. ``damped`` is the case the route was built on (seen failing in an
earlier probe); the other six are fresh, run once after it was built. ``wrong_model`` must be flagged:
no value of its parameter meets the data. A **silent failure** is a trusted fit with y off by more
than 1e-2 or θ off by more than 1e-3 (relative).
"""

from __future__ import annotations

import pathlib
import sys
import time
import warnings

import jax.numpy as jnp
import numpy as np
from scipy.integrate import solve_ivp
import gluenn as gn

def ivp(f, a, b, y0):
    s = solve_ivp(f, (a, b), y0, method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
    return lambda x: s.sol(np.asarray(x))[0]
Y = [gn.Term("y", lambda x, c: c[0])]
def ic(y0, dy0): return [gn.Data([0.0], [y0]), gn.Data([0.0], [dy0], derivative=1, name="slope")]

def damped():  # building case
    ex = ivp(lambda x, u: [u[1], -0.3 * u[1] - u[0]], 0, 10, [1, 0]); xs = np.linspace(0, 10, 30)
    eq = gn.Equation(lambda x, y, dy, d2y, *, g: d2y + g * dy + y)
    return gn.Problem(Y, eq, [*ic(1, 0), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 10, 200))], (0, 10)), [gn.Parameter("g", 0.05, 1.0)], {"g": 0.3}, ex

def forced():
    ex = ivp(lambda x, u: [-1.3 * u[0] + np.sin(x)], 0, 6, [0]); xs = np.linspace(0.3, 6, 20)
    eq = gn.Equation(lambda x, y, dy, *, k: dy + k * y - jnp.sin(x))
    return gn.Problem(Y, eq, [gn.Data([0.0], [0.0]), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 6, 150))], (0, 6)), [gn.Parameter("k", 0.1, 3.0)], {"k": 1.3}, ex

def frequency():
    ex = ivp(lambda x, u: [u[1], -1.7**2 * u[0]], 0, 8, [0, 1]); xs = np.linspace(0.2, 8, 25)
    eq = gn.Equation(lambda x, y, dy, d2y, *, w: d2y + w**2 * y)
    return gn.Problem(Y, eq, [*ic(0, 1), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 8, 200))], (0, 8)), [gn.Parameter("w", 0.5, 3.0)], {"w": 1.7}, ex

def airy():
    ex = ivp(lambda x, u: [u[1], -1.1 * x * u[0]], 0, 5, [1, 0]); xs = np.linspace(0.2, 5, 30)
    eq = gn.Equation(lambda x, y, dy, d2y, *, a: d2y + a * x * y)
    return gn.Problem(Y, eq, [*ic(1, 0), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 5, 200))], (0, 5)), [gn.Parameter("a", 0.5, 2.0)], {"a": 1.1}, ex

def two():
    ex = ivp(lambda x, u: [u[1], -0.4 * u[1] - 2.0 * u[0]], 0, 8, [1, 0]); xs = np.linspace(0.2, 8, 40)
    eq = gn.Equation(lambda x, y, dy, d2y, *, g, w: d2y + g * dy + w * y)
    return gn.Problem(Y, eq, [*ic(1, 0), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 8, 200))], (0, 8)), [gn.Parameter("g", 0.1, 1.0), gn.Parameter("w", 0.5, 4.0)], {"g": 0.4, "w": 2.0}, ex

def data_only():
    ex = ivp(lambda x, u: [u[1], -0.25 * u[1] - u[0]], 0, 10, [0.5, 1.0]); xs = np.linspace(0, 10, 30)
    eq = gn.Equation(lambda x, y, dy, d2y, *, g: d2y + g * dy + y)
    return gn.Problem(Y, eq, [gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 10, 200))], (0, 10)), [gn.Parameter("g", 0.05, 1.0)], {"g": 0.25}, ex

def wrong_model():  # data of y'' + 0.3y' + 1.2y = 0 fitted with y'' + g y' + y = 0: must be flagged
    ex = ivp(lambda x, u: [u[1], -0.3 * u[1] - 1.2 * u[0]], 0, 10, [1, 0]); xs = np.linspace(0.3, 10, 30)
    eq = gn.Equation(lambda x, y, dy, d2y, *, g: d2y + g * dy + y)
    return gn.Problem(Y, eq, [*ic(1, 0), gn.Data(xs, ex(xs), name="observed"), gn.Residual(gn.linspace(0, 10, 200))], (0, 10)), [gn.Parameter("g", 0.05, 1.0)], {"g": float("nan")}, ex

CASES = {f.__name__: f for f in (damped, forced, frequency, airy, two, data_only, wrong_model)}
OUT = pathlib.Path(__file__).resolve().parent / "results" / "exact-unknowns.md"


def main(names) -> None:
    rows = ["| case | θ (true) | y error | trusted | failed checks | s |", "|---|---|---|---|---|---|"]
    for name in names:
        rows.append(run(name))
        print(rows[-1], flush=True)
    OUT.write_text("# Unknown parameters from exact data\n\n" + __doc__.split("\n\n", 1)[0] + "\n\n" + "\n".join(rows) + "\n",
                   encoding="utf-8")


def run(name: str, cases: dict = CASES) -> str:
    """One table row: ``gn.fit(problem, unknowns=..., seed=0)`` of ``cases[name]()`` against its truth."""
    problem, unknowns, truth, ex = cases[name]()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = gn.fit(problem, unknowns=unknowns, seed=0, progress=False)
    xs = np.linspace(*problem.domain, 2001); err = np.max(np.abs(fit.solution.y(xs) - ex(xs))) / np.max(np.abs(ex(xs)))
    theta = {k: f"{k} = {v:.8g} ({truth[k]})" for k, v in fit.unknowns.items()}
    failed = ", ".join(f"{c.name} {c.value:.2g}" for c in fit.trust.checks if not c.passed)
    return (f"| {name} | {', '.join(theta.values())} | {err:.1e} | {'yes' if fit.trust.trusted else 'no'} | {failed} | "
            f"{time.perf_counter() - t:.0f} |")


if __name__ == "__main__":
    main(sys.argv[1:] or list(CASES))
