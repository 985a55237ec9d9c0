"""The Hodgkin–Huxley squid-axon model: rate functions, the vector field for a constant stimulus,
the resting state and a SciPy reference trajectory. ``z = (v, n, m, h)`` in (mV, 1, 1, 1), time in ms."""

from __future__ import annotations

import math
import sys

import jax
import jax.numpy as jnp
import numpy as np

from .._cache import stored_array
from .._errors import ConfigError
from ..reference import trajectory

NAMES, UNITS = ("v", "n", "m", "h"), ("mV", "1", "1", "1")


def rates(v, xp=jnp):
    """HH rate functions (1/ms) of the membrane voltage ``v`` (mV); removable singularities safe.
    `xp` is the array namespace: ``jax.numpy`` (training), ``numpy`` or :class:`_Scalars` (floats)."""
    def x_over_1mexp(x):  # x / (1 − e^{−x}), → 1 at x = 0
        small = xp.abs(x) < 1e-6
        xs = xp.where(small, 1.0, x)
        return xp.where(small, 1 + x / 2, xs / -xp.expm1(-xs))
    return (0.1 * x_over_1mexp(0.1 * (v + 55)), 0.125 * xp.exp(-0.0125 * (v + 65)),
            x_over_1mexp(0.1 * (v + 40)), 4 * xp.exp(-0.0556 * (v + 65)),
            0.07 * xp.exp(-0.05 * (v + 65)), 1 / (1 + xp.exp(-0.1 * (v + 35))))


class _Scalars:
    """The few array functions :func:`rates` uses, on Python floats: the SciPy reference calls the
    field ~4·10⁵ times with one state, where NumPy's per-call overhead doubles the solve's time."""

    abs, exp, expm1 = staticmethod(abs), staticmethod(math.exp), staticmethod(math.expm1)
    stack = staticmethod(np.array)

    @staticmethod
    def where(cond, a, b):
        return a if cond else b


def hodgkin_huxley(I_ext, xp=jnp):
    """The HH vector field ``f(t, z)`` for a constant stimulus, ``z = (v, n, m, h)`` (mV, 1, 1, 1)."""
    def field(t, z):
        v, n, m, h = z[0], z[1], z[2], z[3]
        an, bn, am, bm, ah, bh = rates(v, xp)
        dv = -120 * m**3 * h * (v - 50) - 36 * n**4 * (v + 77) - 0.3 * (v + 54.387) + I_ext
        return xp.stack([dv, an * (1 - n) - bn * n, am * (1 - m) - bm * m, ah * (1 - h) - bh * h])
    return field


def steady_gates(v) -> np.ndarray:
    """``(n, m, h)`` at their steady states ``α/(α + β)`` for a membrane held at voltage `v` (mV):
    the gating variables of a cell at rest at `v` (what a voltage-only observation infers them to be)."""
    an, bn, am, bm, ah, bh = (float(r) for r in rates(np.float64(v), np))
    return np.array([an / (an + bn), am / (am + bm), ah / (ah + bh)])


def resting_state(I_ext=0.0):
    """``(v, n, m, h)`` at rest: v solves dv/dt = 0 with gates at their steady states (I_ext = 0)."""
    from scipy.optimize import brentq

    def dv(v):
        return float(hodgkin_huxley(I_ext, np)(0.0, np.array([v, *steady_gates(v)]))[0])
    v = brentq(dv, -80.0, -50.0, xtol=1e-12)
    return np.array([v, *steady_gates(v)])


def reference(I_ext: float, z0, t, rtol: float = 1e-10, atol: float = 1e-10) -> np.ndarray:
    """``z(t)`` from `z0` by SciPy's DOP853 (shape ``(T, 4)``); :func:`reference_run` says more."""
    return reference_run(I_ext, z0, t, rtol, atol)[0]


def reference_run(I_ext: float, z0, t, rtol: float = 1e-10, atol: float = 1e-10) -> tuple[np.ndarray, str]:
    """``(z, solver)``: ``z(t)`` from `z0` (shape ``(T, 4)``) and the SciPy method that computed it.

    DOP853 (explicit, order 8): at the squid axon's rates an explicit method is not step-limited by
    stiffness, and over 1000 ms at rtol 1e-10 it costs ~1.5 s on 2 cores against ~10 s for Radau at
    rtol 1e-9, at a sixth of Radau's error (2e-7 mV against Radau at 1e-11; measured,
    ``docs/experiments/hodgkin-huxley.md``). Should a stimulus make the field stiff, the explicit
    solve runs out of its budget (4000 field calls per ms, ~20x what it needs at the default
    stimulus) and ``"Radau"``, with a JAX Jacobian, takes over. The field runs on Python floats (a
    JAX call per stage costs ~10x more, NumPy on one state ~2x). The result is stored
    (:func:`gluenn._cache.stored_array`) and read back by every later run with the same inputs."""
    def solve():
        scalar_field = hodgkin_huxley(I_ext, _Scalars)
        field = lambda t, z: scalar_field(t, z.tolist())  # noqa: E731
        try:
            z, solver = trajectory(field, z0, t, method="DOP853", rtol=rtol, atol=atol, max_evaluations=budget), "DOP853"
        except ConfigError:
            jac = jax.jit(jax.jacfwd(hodgkin_huxley(I_ext), argnums=1))
            z, solver = trajectory(field, z0, t, rtol=rtol, atol=atol, max_evaluations=budget,
                                   jac=lambda t, z: np.asarray(jac(t, jnp.asarray(z)))), "Radau"
        record = np.zeros((), dtype=[("z", np.float64, z.shape), ("solver", "U8")])  # one .npy, no pickle
        record["z"], record["solver"] = z, solver
        return record
    t = np.asarray(t, np.float64)
    budget = max(100_000, int(4000 * (t[-1] - t[0])))
    key = (float(I_ext), np.asarray(z0, np.float64), t, float(rtol), float(atol),
           sys.modules[__name__], sys.modules[trajectory.__module__])
    record = stored_array("hodgkin-huxley", key, solve)
    return np.array(record["z"]), str(record["solver"])
