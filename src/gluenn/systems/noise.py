"""Seeded noise models for synthetic observations."""

from __future__ import annotations

import numpy as np


def ou_noise(n_samples: int, channels: int, dt: float, theta: float, sigma: float, seed: int) -> np.ndarray:
    """Seeded Ornstein–Uhlenbeck paths ``ξ(t+Δt) = ξ − θ ξ Δt + σ √Δt N(0,1)``, ``ξ(0) = 0``; ``(N, D)``."""
    rng = np.random.default_rng(seed)
    xi = np.zeros((n_samples, channels))
    for i in range(1, n_samples):
        xi[i] = xi[i - 1] - theta * xi[i - 1] * dt + sigma * np.sqrt(dt) * rng.standard_normal(channels)
    return xi
