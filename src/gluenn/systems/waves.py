"""Plane waves: amplitudes from real and imaginary parts, cos/sin fits, reflection and transmission."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def plane_amplitudes(a_re, b_re, a_im, b_im):
    """``(A, B)`` of ``A e^{ikx} + B e^{-ikx}`` from ``Re ψ = a_re cos + b_re sin`` and
    ``Im ψ = a_im cos + b_im sin``: cos ↔ A + B, sin ↔ i (A − B)."""
    cos_c, sin_c = a_re + 1j * a_im, b_re + 1j * b_im
    return 0.5 * (cos_c - 1j * sin_c), 0.5 * (cos_c + 1j * sin_c)


def fit_cos_sin(sol, x, k):
    """Least-squares ``(a, b)`` of ``y ≈ a cos kx + b sin kx`` on the window ``x``."""
    basis = np.column_stack([np.cos(k * x), np.sin(k * x)])
    return np.linalg.lstsq(basis, np.asarray(sol.y(x)), rcond=None)[0]


def scattering(A, B, F) -> dict:
    """``|R|² = |B/A|²``, ``|T|² = |F/A|²`` and their sum for incident ``A``, reflected ``B`` and
    transmitted ``F`` amplitudes (the same wave number on both sides)."""
    R2, T2 = abs(B / A) ** 2, abs(F / A) ** 2
    return {"R2": R2, "T2": T2, "R2_plus_T2": R2 + T2}


def wkb_envelope(V, E: float, mass: float, domain: tuple[float, float], n: int = 4001):
    """The WKB size of a wave of amplitude 1 that leaves through the right end of `domain` (ħ = 1):
    ``x ↦ exp(∫_x^hi κ(s) ds)``, ``κ = √(2m max(V − E, 0))`` — 1 right of a barrier, ~e^{κd} left of it.

    A function of ``x`` only (jax-traceable), so rows divided by it stay linear in the coefficients;
    `V` must accept a NumPy array. The integral is a trapezoid rule on `n` points of `domain`.
    `E` may be a (traced) JAX scalar — a parametric family's energy — and the rule is then run in JAX.
    """
    xs = np.linspace(*domain, n)
    xp = jnp if isinstance(E, jax.Array) else np
    with jax.ensure_compile_time_eval():  # a number E: a constant table, even when first asked for under jit
        v = V(xs) if xp is jnp else np.asarray(V(xs))
    kap = xp.sqrt(2 * mass * xp.maximum(v - E, 0.0))
    log_env = xp.concatenate([xp.cumsum(((kap[1:] + kap[:-1]) / 2 * np.diff(xs))[::-1])[::-1], xp.zeros(1)])
    return lambda x: jnp.exp(jnp.interp(x, xs, log_env))
