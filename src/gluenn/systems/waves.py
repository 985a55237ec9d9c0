"""Plane waves: amplitudes from real and imaginary parts, cos/sin fits, reflection and transmission."""

from __future__ import annotations

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
