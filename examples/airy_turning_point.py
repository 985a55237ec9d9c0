"""A WKB connection problem through a turning point (Airy), with default settings.

    y'' = x y.   Right of the turning point x = 0 the solution decays,
    y ≈ C e^{−ζ} / (2√π x^{1/4}),  ζ = (2/3)|x|^{3/2};  left of it y oscillates,
    y ≈ |x|^{−1/4}/√π [A sin(ζ + π/4) + B cos(ζ + π/4)].

Given y = Ai(x) only on [4, 5] (values of size 1e-3 … 1e-4: the data of a textbook connection
problem, three decades below the solution's size on the left), the connection formula says
A = 1, B = 0. Near x = 0 neither WKB form holds: a plain term (the coefficient is y itself) carries
y there, and the amplitude |x|^{−1/4} is written (x² + 1)^{−1/8} so that the terms stay finite at
x = 0 (a relative change ≤ 1/(8x²) = 1e-3 at x = −12). Exact answer: ``scipy.special.airy``.
No weights, input range or trainer given. Run: ``python examples/airy_turning_point.py [seed]``.
"""

from __future__ import annotations

import sys

import jax.numpy as jnp
import numpy as np
import scipy.special as sp

import gluenn as gn

L, R = -12.0, 5.0
ZETA = lambda x: 2 / 3 * jnp.abs(x) ** 1.5  # noqa: E731
AMPLITUDE = lambda x: 1 / (jnp.sqrt(jnp.pi) * (x**2 + 1) ** 0.125)  # noqa: E731


def problem(size: float = 1.0) -> gn.Problem:
    """`size` scales the number of sample points (1: the full problem)."""
    n = lambda k: max(8, int(k * size))  # noqa: E731
    wave = lambda x, c: (c[0] * jnp.sin(ZETA(x) + jnp.pi / 4) + c[1] * jnp.cos(ZETA(x) + jnp.pi / 4)) * AMPLITUDE(x)  # noqa: E731
    return gn.Problem(
        terms=[gn.Term("inner", lambda x, c: c[0]),
               gn.Term("decay", lambda x, c: c[0] * jnp.exp(-ZETA(x)) * AMPLITUDE(x) / 2),
               gn.Term("wave", wave, coefficients=("A", "B"))],
        equation=gn.Equation(lambda x, y, dy, d2y: d2y - x * y),
        samples=[gn.Data(gn.linspace(4.0, R, 20), lambda x: sp.airy(x)[0]),
                 gn.Residual(gn.linspace(L, R, n(500))),
                 gn.Suppress(gn.linspace(2.5, R, n(40)), ("wave", "inner"), separately=True),
                 gn.Suppress(gn.linspace(L, -2.5, n(100)), ("decay", "inner"), separately=True),
                 gn.Plateau(gn.linspace(L, -6.0, n(80)), "wave")],
        domain=(L, R))


def solve(seed: int = 0, size: float = 1.0) -> dict:
    """Fit with default settings; A, B at the left end against the connection formula, y against Ai."""
    fit = gn.fit(problem(size), seed=seed, progress=False)
    x = np.linspace(L, R, 3000)
    ev = fit.solution.evaluate(x)
    exact = sp.airy(x)[0]
    return {"readouts": {"A": (float(ev.coefficients["wave.A"][0]), 1.0),
                         "B": (float(ev.coefficients["wave.B"][0]), 0.0)},
            "y_error": float(np.max(np.abs(ev.y - exact)) / np.max(np.abs(exact))),
            "trust": fit.trust, "figure": {"x": x, "evaluation": ev, "exact": exact}}


if __name__ == "__main__":
    out = solve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    for name, (pred, exact) in out["readouts"].items():
        print(f"{name} = {pred:.6f}   (exact {exact})")
    print(f"max |y − Ai| / max |Ai| = {out['y_error']:.2e}")
    print(out["trust"].line())
