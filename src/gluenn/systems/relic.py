"""Relic freeze-out: where a yield Y with ``Y' = −η x⁻² (Y² − Y_eq²)``, ``Y_eq = g x^{3/2} e^{−x}``,
leaves equilibrium — as a float (SciPy) and traceable in JAX (for functions that take η as a keyword)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import scipy.optimize


def freezeout_point(eta: float, g: float) -> float:
    """``x_f`` with ``2 η g x_f^{-1/2} e^{-x_f} = 1 − 3/(2 x_f)`` (rate = fall rate of Y_eq)."""
    h = lambda x: math.log(2 * eta * g) - 0.5 * math.log(x) - x - math.log(1 - 1.5 / x)  # noqa: E731
    return float(scipy.optimize.brentq(h, 1.6, 200.0))


def traced_freezeout_point(eta, g: float):
    """`freezeout_point` by Newton's method in JAX, for the functions that take η as a (traced)
    keyword: twelve steps from ``log(2 η g)``, to rounding for η g ≳ 10."""
    big_l = jnp.log(2 * eta * g)
    x = jnp.maximum(big_l, 2.0)
    for _ in range(12):
        h = big_l - 0.5 * jnp.log(x) - x - jnp.log(1 - 1.5 / x)
        x = x - h / (-0.5 / x - 1 - 1.5 / (x * (x - 1.5)))
    return x
