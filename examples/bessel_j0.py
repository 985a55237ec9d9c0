"""Bessel's J0 from its small-x series to its large-x form, with default settings.

    x y'' + y' + x y = 0,     y ≈ 1 − x²/4 + x⁴/64 − x⁶/2304       (x ≲ 1: the data patch)
                              y ≈ √(2/πx) [A cos(x − π/4) + B sin(x − π/4)]   (x ≫ 1)

For y = J0 the large-x constants are A = 1, B = 0 (the form holds to ~1/(8x), so B(x) ≈ 1/(8x)
≈ 0.004 at x = 30). Exact answer: ``scipy.special.j0``. No weights, input range or trainer given.
Run: ``python examples/bessel_j0.py [seed]``.
"""

from __future__ import annotations

import sys

import jax.numpy as jnp
import numpy as np
import scipy.special as sp

import gluenn as gn

SERIES = lambda x: 1 - x**2 / 4 + x**4 / 64 - x**6 / 2304  # noqa: E731
PHASE = lambda x: x - jnp.pi / 4  # noqa: E731
X_END = 30.0


def problem(size: float = 1.0) -> gn.Problem:
    """`size` scales the number of sample points (1: the full problem)."""
    n = lambda k: max(8, int(k * size))  # noqa: E731
    wave = lambda x, c: jnp.sqrt(2 / (jnp.pi * x)) * (c[0] * jnp.cos(PHASE(x)) + c[1] * jnp.sin(PHASE(x)))  # noqa: E731
    return gn.Problem(
        terms=[gn.Term("series", lambda x, c: c[0] * SERIES(x), init=1.0),
               gn.Term("wave", wave, coefficients=("A", "B"))],
        equation=gn.Equation(lambda x, y, dy, d2y: x * d2y + dy + x * y),
        samples=[gn.Data(gn.linspace(0.05, 0.5, 10), SERIES),           # the series is exact to 1e-9 here
                 gn.Residual(gn.linspace(0.05, X_END, n(300))),
                 gn.Suppress(gn.linspace(0.05, 1.0, n(20)), "wave"),
                 gn.Suppress(gn.linspace(12.0, X_END, n(100)), "series"),  # the large-x form holds to 1 % there
                 gn.Plateau(gn.linspace(15.0, X_END, n(60)), "wave")],
        domain=(0.05, X_END))


def solve(seed: int = 0, size: float = 1.0) -> dict:
    """Fit with default settings; the read-outs against the exact values, and y against J0."""
    fit = gn.fit(problem(size), seed=seed, progress=False)
    x = np.linspace(0.05, X_END, 2000)
    ev = fit.solution.evaluate(x)
    exact = sp.j0(x)
    return {"readouts": {"A": (float(ev.coefficients["wave.A"][-1]), 1.0),
                         "B": (float(ev.coefficients["wave.B"][-1]), 0.0)},
            "y_error": float(np.max(np.abs(ev.y - exact)) / np.max(np.abs(exact))),
            "trust": fit.trust, "figure": {"x": x, "evaluation": ev, "exact": exact}}


if __name__ == "__main__":
    out = solve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    for name, (pred, exact) in out["readouts"].items():
        print(f"{name} = {pred:.6f}   (exact {exact})")
    print(f"max |y − J0| / max |J0| = {out['y_error']:.2e}")
    print(out["trust"].line())
