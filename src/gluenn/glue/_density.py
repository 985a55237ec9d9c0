"""Before training: are the residual points dense enough for the waves the equation makes?

Where a linear(ised) equation ``Σ_k a_k(x) y⁽ᵏ⁾ = …`` oscillates, its local wave numbers are the
imaginary parts of the roots of ``Σ_k a_k λᵏ`` (``y'' + k² y``: ``±ik``; Schrödinger's equation in a
classically allowed region; Airy's left of its turning point). Residual points further apart than
one radian of that phase (fewer than ~6 per wavelength) leave the equation unchecked between them:
a least-squares fit then satisfies it at the points only. Growth and decay rates (real roots) are
not judged: which of a growing and a decaying solution the data select is not known before the fit
(near Bessel's regular singular point x = 0 the rate 1/x belongs to Y0, not to J0).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._problem import Problem, Residual

#: the largest phase (radians of the local wave) between neighbouring residual points
MAX_PHASE_STEP = 1.0


def coarse_sets(problem: Problem) -> list[str]:
    """One message per :class:`~gluenn.Residual` set whose points are more than
    :data:`MAX_PHASE_STEP` radians of the equation's local wave apart somewhere (linearised at
    ``y = 0``; cost: one vectorised gradient of the equation over the set's points)."""
    eq = problem.equation
    zeros = [jnp.zeros(())] * (eq.order + 1)
    grad = jax.grad(lambda xi, *d: jnp.reshape(eq.residual(xi, *d), ()), argnums=tuple(range(1, eq.order + 2)))
    linearised = jax.jit(jax.vmap(lambda xi: jnp.stack(grad(xi, *zeros))))  # one program, not one per operation
    out = []
    for s in (s for s in problem.samples if isinstance(s, Residual)):
        x = np.unique(s.points.values())
        if x.size < 3:
            continue
        try:
            a = np.asarray(linearised(jnp.asarray(x)))  # (N, order + 1)
        except Exception:  # noqa: BLE001 - a residual this cannot differentiate is reported elsewhere
            continue
        wave = np.array([_wave_number(row) for row in a])
        gap = np.maximum(np.diff(x, prepend=x[0]), np.diff(x, append=x[-1]))
        step = wave * gap
        i = int(np.nanargmax(np.where(np.isfinite(step), step, -1.0)))
        if np.isfinite(step[i]) and step[i] > MAX_PHASE_STEP:
            out.append(f"{s.name}: the points are {gap[i]:.3g} apart near x={x[i]:.4g}, where the equation's local "
                       f"wavelength is {2 * np.pi / wave[i]:.3g} ({2 * np.pi / step[i]:.1f} points per wavelength); "
                       f"between the points it is not checked: use at least {int(np.ceil(len(x) * step[i] / MAX_PHASE_STEP))} points")
    return out


def _wave_number(a: np.ndarray) -> float:
    """The largest |Im λ| of ``Σ_k a_k λᵏ = 0`` (0 if the leading coefficient vanishes)."""
    coeffs = a[::-1]  # highest order first
    if not np.all(np.isfinite(coeffs)) or coeffs[0] == 0:
        return 0.0
    roots = np.roots(coeffs)
    return float(np.max(np.abs(roots.imag))) if roots.size else 0.0
