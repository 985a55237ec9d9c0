"""Plane waves: amplitudes from real and imaginary parts, cos/sin fits, reflection and transmission."""

from __future__ import annotations

import functools

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


def wkb_envelopes(V, mass: float, domain: tuple[float, float], k0: float):
    """:func:`wkb_envelope` as a function of the wave number too, ``env(x, *, k=k0)`` (``E = k²/2m``):
    tabulated once per number k, in JAX for a traced k (a parametric family's member)."""
    table = functools.lru_cache(lambda k: wkb_envelope(V, k**2 / (2 * mass), mass, domain))

    def env(x, *, k=k0):
        return (wkb_envelope(V, k**2 / (2 * mass), mass, domain) if isinstance(k, jax.Array) else table(k))(x)
    return env


def barrier_terms(V0: float, mass: float, h: float, k0: float) -> tuple:
    """The tunneling ansatz's term functions, each ``f(x, c, *, k=k0)``: plane waves
    ``c₀ cos kx + c₁ sin kx``, and ``c₀ e^{κ(x−h)}`` / ``c₀ e^{−κ(x+h)}`` growing and decaying
    under a barrier of height `V0` between ``±h`` (``κ = √(2m(V0 − k²/2m))``)."""
    def kappa(k):
        return jnp.sqrt(2 * mass * (V0 - k**2 / (2 * mass)))

    def plane(x, c, *, k=k0):
        return c[0] * jnp.cos(k * x) + c[1] * jnp.sin(k * x)

    def grow(x, c, *, k=k0):
        return c[0] * jnp.exp(kappa(k) * (x - h))

    def decay(x, c, *, k=k0):
        return c[0] * jnp.exp(-kappa(k) * (x + h))
    return plane, grow, decay
