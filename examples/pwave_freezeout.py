"""Freeze-out with p-wave annihilation, with default settings (a nonlinear problem).

    dY/dx = −(η/x³)(Y² − Y_eq²),   Y_eq = 0.145 x^{3/2} e^{−x},   x = m/T ∈ [1, 100].

Y follows the equilibrium early and freezes out to a constant (the relic yield) late, so the
ansatz is Y = c₁(x) Y_eq-shape + c₂(x) with both coefficients positive (exponentiated). The
read-out is the frozen-out constant c₂ at x = 100 (for p-wave annihilation the yield still drifts
slowly there; the reference is Y(100) itself). Exact answer: SciPy's Radau at rtol 1e-11.
No weights, input range or trainer given. Run: ``python examples/pwave_freezeout.py [seed] [eta]``.
"""

from __future__ import annotations

import sys

import jax.numpy as jnp
import numpy as np

import gluenn as gn

X_END = 100.0


def problem(eta: float = 1e5, size: float = 1.0):
    """``(problem, reference)`` for annihilation strength `eta`; `size` scales the residual points."""
    y_eq = lambda x: 0.145 * x**1.5 * jnp.exp(-x)  # noqa: E731
    equation = gn.Equation(lambda x, y, dy: dy + eta / x**3 * (y**2 - y_eq(x) ** 2))
    reference = gn.reference.solve_equation(equation, 1.0, [float(y_eq(1.0))], X_END, rtol=1e-11, atol=1e-16)
    return gn.Problem(
        terms=[gn.Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=0.145),
               gn.Term("frozen", lambda x, c: c[0], positive=True, init=1e-3)],
        equation=equation,
        samples=[gn.Data(gn.logspace(1.0, 2.0, 20), reference.y),
                 gn.Residual(gn.logspace(1.0, X_END, max(16, int(120 * size))))],
        domain=(1.0, X_END)), reference


def solve(seed: int = 0, size: float = 1.0, eta: float = 1e5) -> dict:
    """Fit with default settings; the frozen-out yield and Y against SciPy."""
    prob, reference = problem(eta, size)
    fit = gn.fit(prob, seed=seed, progress=False)
    x = np.geomspace(1.0, X_END, 400)
    ev = fit.solution.evaluate(x)
    exact = reference.y(x)
    return {"readouts": {"Y_end": (float(ev.coefficients["frozen.c"][-1]), float(exact[-1]))},
            "y_error": float(np.max(np.abs(ev.y - exact)) / np.max(np.abs(exact))),
            "trust": fit.trust, "figure": {"x": x, "evaluation": ev, "exact": exact, "xscale": "log", "log_coefficients": True}}


if __name__ == "__main__":
    out = solve(int(sys.argv[1]) if len(sys.argv) > 1 else 0, eta=float(sys.argv[2]) if len(sys.argv) > 2 else 1e5)
    (pred, exact), = out["readouts"].values()
    print(f"Y(100) from the frozen coefficient = {pred:.6e}   (SciPy {exact:.6e}, rel. error {pred / exact - 1:+.2e})")
    print(f"max |Y − Y_SciPy| / max |Y_SciPy| = {out['y_error']:.2e}")
    print(out["trust"].line())
