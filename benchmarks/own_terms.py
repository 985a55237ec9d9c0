"""Problems written with the user's *own* asymptotic terms, solved with ``gn.fit(problem, seed=s)``
and nothing else: the error of ``y`` against an exact or SciPy solution, and the verdict.

    python benchmarks/own_terms.py     # ~8 min on 2 cores; writes benchmarks/results/own-terms.md

The other fresh sets (``fresh_equations.py``) use one free term ``y = c(x)``; these use the forms a
physicist would write: a decaying wave, freeze-out with a p-wave rate, a growth term ``c·exp(x/2)``
with ``c > 0`` beside a constant, small- and large-x Bessel forms, a WKB term through a slow
frequency change, a stiff transient, a pendulum with a learned frequency, Airy from a data patch.
All eight were written down (2026-12-05) before any of them was first run. A **silent failure** is
a fit that is trusted with ``max|y - exact| / max|exact|`` above 1e-2 (the trust's tolerance).
"""

from __future__ import annotations

import pathlib
import time
import warnings

import jax.numpy as jnp
import numpy as np
from scipy import special
from scipy.integrate import solve_ivp

import gluenn as gn

OUT = pathlib.Path(__file__).resolve().parent / "results" / "own-terms.md"
TOLERANCE = 1e-2
SEEDS = (0, 1)


def ivp(f, a, b, y0):
    s = solve_ivp(f, (a, b), y0, method="DOP853", rtol=1e-12, atol=1e-14, dense_output=True)
    return lambda x: s.sol(x)[0]


def ic(a, y0, dy0): return [gn.Data([a], [y0]), gn.Data([a], [dy0], derivative=1, name="slope")]

def damped():
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + 0.1 * dy + y)
    terms = [gn.Term("wave", lambda x, c: jnp.exp(-0.05 * x) * (c[0] * jnp.cos(x) + c[1] * jnp.sin(x)), coefficients=("a", "b"), init=(1.0, 0.0))]
    return terms, eq, [*ic(0.0, 1.0, 0.0), gn.Residual(gn.linspace(0.0, 50.0, 300))], (0.0, 50.0), ivp(lambda x, u: [u[1], -0.1*u[1]-u[0]], 0.0, 50.0, [1.0, 0.0]), False

def pwave():
    eta = 1e5
    yeq = lambda x: 0.145 * x**1.5 * jnp.exp(-x)
    eq = gn.Equation(lambda x, y, dy: dy + eta / x**3 * (y**2 - yeq(x)**2))
    truth = gn.reference.solve_equation(eq, 1.0, [float(yeq(1.0))], 40.0)
    terms = [gn.Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=0.145),
             gn.Term("frozen", lambda x, c: c[0], positive=True, init=1e-3)]
    return terms, eq, [gn.Data(gn.logspace(1.0, 2.0, 28), truth.y), gn.Residual(gn.logspace(1.0, 40.0, 150))], (1.0, 40.0), truth.y, True

def logistic():
    r, K, y0 = 0.5, 2.0, 0.01
    eq = gn.Equation(lambda x, y, dy: dy - r * y * (1 - y / K))
    terms = [gn.Term("growth", lambda x, c: c[0] * jnp.exp(r * x), positive=True, init=0.01),
             gn.Term("saturated", lambda x, c: c[0], init=1.0)]
    exact = lambda x: K / (1 + (K / y0 - 1) * np.exp(-r * x))
    return terms, eq, [gn.Data([0.0], [y0]), gn.Residual(gn.linspace(0.0, 30.0, 300))], (0.0, 30.0), exact, False

def bessel52():
    nu = 2.5
    eq = gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + (x**2 - nu**2) * y)
    terms = [gn.Term("small", lambda x, c: c[0] * x**nu, init=0.05),
             gn.Term("large", lambda x, c: jnp.sqrt(2 / (jnp.pi * x)) * (c[0] * jnp.cos(x) + c[1] * jnp.sin(x)), coefficients=("a", "b"), init=(0.0, 0.0))]
    exact = lambda x: special.jv(nu, x)
    return terms, eq, [*ic(0.5, float(special.jv(nu, 0.5)), float(special.jvp(nu, 0.5))), gn.Residual(gn.logspace(0.5, 60.0, 400))], (0.5, 60.0), exact, True

def adiabatic():
    L = 5.0
    w = lambda x: 1 + 0.5 * jnp.tanh(x / L)
    phase = lambda x: x + 0.5 * L * jnp.log(jnp.cosh(x / L))
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + w(x)**2 * y)
    terms = [gn.Term("wkb", lambda x, c: (c[0] * jnp.cos(phase(x)) + c[1] * jnp.sin(phase(x))) / jnp.sqrt(w(x)), coefficients=("a", "b"), init=(1.0, 0.0))]
    a = -30.0
    y0 = float(np.cos(phase(a)) / np.sqrt(w(a)))
    wn = lambda x: 1 + 0.5 * np.tanh(x / L)
    dy0 = float(-np.sin(phase(a)) * wn(a) / np.sqrt(wn(a)) + np.cos(phase(a)) * (-0.5) * wn(a) ** -1.5 * 0.5 / L / np.cosh(a / L) ** 2)
    exact = ivp(lambda x, u: [u[1], -wn(x) ** 2 * u[0]], a, 30.0, [y0, dy0])
    return terms, eq, [*ic(a, y0, dy0), gn.Residual(gn.linspace(a, 30.0, 400))], (a, 30.0), exact, False

def stiff():
    eq = gn.Equation(lambda x, y, dy: dy + 50 * (y - jnp.cos(x)))
    terms = [gn.Term("transient", lambda x, c: c[0] * jnp.exp(-50 * x), init=-1.0),
             gn.Term("slow", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"), init=(1.0, 0.0))]
    exact = lambda x: (2500 * np.cos(x) + 50 * np.sin(x)) / 2501 - 2500 / 2501 * np.exp(-50 * x)
    return terms, eq, [gn.Data([0.0], [0.0]), gn.Residual(gn.linspace(0.0, 10.0, 300))], (0.0, 10.0), exact, False

def pendulum():
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + jnp.sin(y))
    terms = [gn.Term("swing", lambda x, c: c[0] * jnp.cos(c[1] * x) + c[2] * jnp.sin(c[1] * x), coefficients=("a", "w", "b"), init=(2.0, 0.8, 0.0))]
    exact = ivp(lambda x, u: [u[1], -np.sin(u[0])], 0.0, 40.0, [2.0, 0.0])
    return terms, eq, [*ic(0.0, 2.0, 0.0), gn.Residual(gn.linspace(0.0, 40.0, 400))], (0.0, 40.0), exact, False

def airy_data():
    # y'' + x y = 0 on [1, 30]: Ai(-x), data on a patch [1, 3], WKB term beyond
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + x * y)
    z = lambda x: 2 / 3 * x**1.5
    terms = [gn.Term("wkb", lambda x, c: x**-0.25 * (c[0] * jnp.cos(z(x)) + c[1] * jnp.sin(z(x))), coefficients=("a", "b"), init=(0.0, 0.0))]
    exact = lambda x: special.airy(-x)[0]
    return terms, eq, [gn.Data(gn.linspace(1.0, 3.0, 20), exact), gn.Residual(gn.linspace(1.0, 30.0, 400))], (1.0, 30.0), exact, False


CASES = dict(damped=damped, pwave=pwave, logistic=logistic, bessel52=bessel52, adiabatic=adiabatic, stiff=stiff,
             pendulum=pendulum, airy_data=airy_data)


def run(name: str, seed: int) -> tuple[float, str, float, str]:
    """(error of y, verdict, seconds, trust line) of one default fit; an exception is its own verdict."""
    terms, eq, samples, (a, b), exact, log = CASES[name]()
    problem = gn.Problem(terms=terms, equation=eq, samples=samples, domain=(a, b))
    xs = np.geomspace(a, b, 4001) if log else np.linspace(a, b, 4001)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = gn.fit(problem, seed=seed, progress=False)
    except Exception as error:  # noqa: BLE001 — an exception is a result here
        return float("nan"), f"{type(error).__name__}", time.perf_counter() - t0, str(error)[:160]
    ref = exact(xs)
    err = float(np.max(np.abs(fit.solution.evaluate(xs).y - ref)) / np.max(np.abs(ref)))
    return err, "trusted" if fit.trust.trusted else "flagged", time.perf_counter() - t0, fit.trust.line()


def main() -> None:
    rows = ["| problem | seed | y error | verdict | s | trust line |", "|---|---|---|---|---|---|"]
    counts: dict = {}
    for seed in SEEDS:
        for name in CASES:
            err, verdict, seconds, line = run(name, seed)
            key = verdict if verdict not in ("trusted", "flagged") else ("within" if err <= TOLERANCE else "outside") + " & " + verdict
            counts[key] = counts.get(key, 0) + 1
            rows.append(f"| {name} | {seed} | {err:.1e} | {verdict} | {seconds:.1f} | {line.replace('|', '/')} |")
            print(rows[-1], flush=True)
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    OUT.write_text("# Own terms: fresh problems with the user's asymptotic forms\n\n" + __doc__.split("\n\n", 1)[0]
                   + f"\n\n{sum(counts.values())} fits — {summary} (silent failure: outside & trusted).\n\n"
                   + "\n".join(rows) + "\n", encoding="utf-8")
    print(summary)


if __name__ == "__main__":
    main()
