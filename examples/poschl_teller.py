"""Tunneling through a Pöschl–Teller barrier V0 / cosh²(x/a) below its top, with default settings.

    −ψ''/2m + V(x) ψ = E ψ,   E = k²/2m < V0,   ħ = 1;   ψ = e^{ikx} on the right (transmitted),
    ψ = A e^{ikx} + B e^{−ikx} on the left:  |T|² = 1/|A|²,  |R|² = |B/A|².

The barrier has no flat top, so one plane-wave term c₁(x) cos kx + c₂(x) sin kx carries ψ
everywhere; its coefficients are constant only where V ≈ 0 (declared: |x| ≥ 7, V < 1e-3 E).
Exact answer (Landau & Lifshitz §25, problem 4; checked against a DOP853 integration to 2e-12):
T = sinh²(πka) / (sinh²(πka) + cosh²(½π√(8mV0a² − 1))) = 0.0091375 at m = 0.5, V0 = 4.1, a = 1.5,
k = 1.5. No weights, input range or trainer given. Run: ``python examples/poschl_teller.py [seed]``.
"""

from __future__ import annotations

import math
import sys

import jax.numpy as jnp
import numpy as np

import gluenn as gn

M, V0, A, K = 0.5, 4.1, 1.5, 1.5
L, FREE = 12.0, 7.0


def exact_t2() -> float:
    s = math.sinh(math.pi * K * A) ** 2
    return s / (s + math.cosh(0.5 * math.pi * math.sqrt(8 * M * V0 * A**2 - 1)) ** 2)


def problem(part: str, size: float = 1.0) -> gn.Problem:
    """Re ψ (``part="re"``, data cos kx) or Im ψ (``"im"``, data sin kx); `size` scales the points."""
    n = lambda k: max(8, int(k * size))  # noqa: E731
    energy = K**2 / (2 * M)
    V = lambda x: V0 / jnp.cosh(x / A) ** 2  # noqa: E731
    plane = gn.Term("plane", lambda x, c: c[0] * jnp.cos(K * x) + c[1] * jnp.sin(K * x), coefficients=("cos", "sin"))
    incident = (lambda x: np.cos(K * x)) if part == "re" else (lambda x: np.sin(K * x))
    return gn.Problem(
        [plane], gn.Equation(lambda x, y, dy, d2y: -d2y / (2 * M) + (V(x) - energy) * y),
        [gn.Data(gn.linspace(L - 2 * math.pi / K, L, 20), incident),
         gn.Residual(gn.linspace(-L, L, n(400))),
         gn.Plateau(gn.linspace(-L, -FREE, n(60)) | gn.linspace(FREE, L, n(60)), "plane")],
        domain=(-L, L))


def solve(seed: int = 0, size: float = 1.0) -> dict:
    """Fit Re ψ and Im ψ with default settings; |T|², |R|² + |T|² − 1 and ψ against the exact answer."""
    fits = {part: gn.fit(problem(part, size), seed=seed, progress=False) for part in ("re", "im")}
    c = {part: f.solution.coefficients(np.array([-L])) for part, f in fits.items()}
    amp_in, amp_out = gn.systems.waves.plane_amplitudes(*(c[p][f"plane.{n}"][0] for p in ("re", "im") for n in ("cos", "sin")))
    t2 = 1 / abs(amp_in) ** 2
    return {"readouts": {"T2": (float(t2), exact_t2())},
            "unitarity": float(abs(amp_out / amp_in) ** 2 + t2 - 1),
            "y_error": _psi_error(fits),
            "trust": fits["re"].trust + fits["im"].trust,
            "figure": _re_psi(fits["re"])}


def _re_psi(fit) -> dict:
    """Re ψ and its coefficients against SciPy, for the gallery's figures."""
    x = np.linspace(-L, L, 1200)
    ref = gn.reference.solve_equation(fit.problem.equation, L, [np.cos(K * L), -K * np.sin(K * L)], -L,
                                      method="DOP853", rtol=1e-12, atol=1e-12)
    return {"x": x, "evaluation": fit.solution.evaluate(x), "exact": ref.y(x)}


def _psi_error(fits) -> float:
    """max |ψ − ψ_SciPy| / max |ψ_SciPy|, ψ integrated from the right end with DOP853."""
    x = np.linspace(-L, L, 1200)
    psi, exact = 0, 0
    for part, f0, df0, unit in (("re", np.cos, lambda z: -K * np.sin(z), 1), ("im", np.sin, lambda z: K * np.cos(z), 1j)):
        ref = gn.reference.solve_equation(fits[part].problem.equation, L, [f0(K * L), df0(K * L)], -L,
                                          method="DOP853", rtol=1e-12, atol=1e-12)
        psi = psi + unit * fits[part].solution.evaluate(x).y
        exact = exact + unit * ref.y(x)
    return float(np.max(np.abs(psi - exact)) / np.max(np.abs(exact)))


if __name__ == "__main__":
    out = solve(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    (t2, exact), = out["readouts"].values()
    print(f"|T|² = {t2:.7f}   (exact {exact:.7f}, rel. error {t2 / exact - 1:+.2e});  |R|² + |T|² − 1 = {out['unitarity']:.1e}")
    print(f"max |ψ − ψ_ref| / max |ψ_ref| = {out['y_error']:.2e}")
    print(out["trust"].line())
