"""Residual vectors as loss terms and least-squares rows: the one convention every objective uses.

A loss term is ``mean_i Σ_j r_ij²`` of a residual ``r`` of shape ``(N,)`` or ``(N, m)``; the
rows of a weighted sum of such terms are ``sqrt(λ_k / N_k) · r_k``, so ``|rows|² = Σ_k λ_k L_k``.
"""

from __future__ import annotations

import jax.numpy as jnp


def mean_square(r):
    """``mean_i Σ_j r_ij²`` of a residual vector ``(N,)`` or ``(N, m)``: its (unweighted) loss term."""
    return jnp.sum(r**2) / r.shape[0]


def weighted_rows(residuals: dict, weights=None):
    """All residuals as one vector ``sqrt(λ_k / N_k) · r_k`` (``λ_k``: ``weights[k]``, default 1), so
    that ``|rows|² = Σ_k λ_k mean_square(r_k)``: what least-squares phases and NTK weights use."""
    w = {} if weights is None else weights
    return jnp.concatenate([jnp.sqrt(w.get(k, 1.0) / r.shape[0]) * jnp.ravel(r) for k, r in residuals.items()])
