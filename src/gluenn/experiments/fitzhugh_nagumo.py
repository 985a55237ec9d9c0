"""FitzHugh–Nagumo with PI-NODE-SR: a second excitable system, written through the public API only
(its field, rest state and SciPy reference here; the training recipe is
:func:`gluenn.pipeline.pinode.setup`, the same as Hodgkin–Huxley's).

``v' = v − v³/3 − w + I``, ``w' = ε (v + a − b w)`` (FitzHugh 1961; dimensionless time). The cell
rests at ``I = 0``; the stimulus ``I`` switched on at ``t = 0`` makes it spike regularly (period
≈ 39.5 at the defaults). Nothing here was tuned on the reported seeds: the parameters are
FitzHugh's, the window and noise were set from the period and the ranges before any training
run (``docs/experiments/fitzhugh-nagumo.md``)."""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

import gluenn as gn
from gluenn import node
from gluenn.pipeline import pinode
from gluenn.systems import ou_noise

P, T = gn.Param, functools.partial(gn.Param, kind="training")
NAMES, UNITS = ("v", "w"), ("1", "1")

PARAMETERS = {
    "I_ext": P(0.5, "stimulus switched on at t = 0 (the cell rests at I = 0); 0.5: regular spiking, period ≈ 39.5"),
    "a": P(0.7, "recovery offset a"),
    "b": P(0.8, "recovery feedback b", minimum=0),
    "eps": P(0.08, "recovery rate ε (time-scale ratio of w to v)", positive=True),
    "t_train": P(50.0, "training window [0, t_train]: the first spike and the rise of the second (~1.27 periods)", positive=True),
    "dt": P(0.05, "data spacing and Heun step", positive=True),
    "t_short": P(400.0, "spike metrics on [t_train, t_short] (~9 periods)"),
    "t_long": P(1000.0, "RMSE of w on [t_short, t_long]"),
    "noise": P(True, "add seeded Ornstein–Uhlenbeck noise to the training data"),
    "noise_theta": P(1.0, "OU mean reversion θ", positive=True),
    "noise_sigma": P(0.05, "OU volatility σ (stationary std σ/√(2θ) ≈ 0.035: ~1 % of v's range, ~2 % of w's)", minimum=0),
    "noise_seed": P(0, "seed of the noise (fixed across model seeds)", minimum=0),
    "observe": P("v,w", "observed channels (v must be one); w latent: no data term, initial value on the rest nullcline, "
                 "physics states from a solve of the known field (plus noise of the same model, as the observed channels)"),
    **pinode.TRAINING,
    "forecast_spacing": T(0.25, "time between forecast states", positive=True),
    "spike_tol": P(5.0, "spike matching tolerance (~1/8 of the period)", positive=True),
}


def fitzhugh_nagumo(p, xp=jnp):
    """The vector field ``f(t, z)``, ``z = (v, w)``; `xp` the array namespace (JAX or NumPy)."""
    def field(t, z):
        v, w = z[0], z[1]
        return xp.stack([v - v**3 / 3 - w + p.I_ext, p.eps * (v + p.a - p.b * w)])
    return field


def rest(p) -> np.ndarray:
    """The rest state at ``I = 0``: where the nullclines ``w = v − v³/3`` and ``w = (v + a)/b`` cross."""
    v = brentq(lambda v: v - v**3 / 3 - (v + p.a) / p.b, -10.0, 10.0, xtol=1e-14)
    return np.array([v, (v + p.a) / p.b])


def build(p: gn.Params) -> gn.pipeline.NODESetup:
    gn.require(p.t_train < p.t_short < p.t_long, "t_train, t_short, t_long", (p.t_train, p.t_short, p.t_long),
               "need t_train < t_short < t_long")
    gn.require(p.b > 0 and p.b < 1, "b", p.b, "use 0 < b < 1 (one rest state: the nullclines cross once)")
    gn.check_points("t_long / dt", p.t_long / p.dt)
    n_train = int(round(p.t_train / p.dt))
    gn.require(n_train >= 10, "t_train / dt", n_train, "give at least 10 training samples")
    z0 = rest(p)
    t_ref = np.round(np.arange(int(round(p.t_long / p.dt)) + 1) * p.dt, 10)
    z_ref = gn.reference.trajectory(fitzhugh_nagumo(p, np), z0, t_ref, method="DOP853")  # not stiff at ε = 0.08
    noise = ou_noise(n_train, 2, p.dt, p.noise_theta, p.noise_sigma, p.noise_seed) if p.noise else 0.0
    names = tuple(c.strip() for c in p.observe.split(","))
    gn.require(names in (("v",), ("v", "w"), ("w", "v")), "observe", p.observe, "use v (w latent) or v,w")
    z = z_ref[:n_train] + noise
    latent = len(names) == 1
    data = node.Trajectory(t_ref[:n_train], np.where([False, latent], np.nan, z), observed=[0] if latent else None)
    z_start = np.array([z[0, 0], (z[0, 0] + p.a) / p.b]) if latent else z[0]
    info = {"stimulus": p.I_ext, "rest_state": z0.tolist(), "reference": {"solver": "scipy DOP853", "rtol": 1e-10, "atol": 1e-10}}
    return pinode.setup(p, pinode.System(
        fitzhugh_nagumo(p), NAMES, UNITS, (t_ref, z_ref), data, z_start, (0.0, p.t_train),
        {"short": (p.t_train, p.t_short), "long": (p.t_short, p.t_long)}, p.spike_tol, info=info,
        spread=ou_noise(n_train, 2, p.dt, p.noise_theta, p.noise_sigma, p.noise_seed + 1) if p.noise else None))


EXPERIMENT = gn.Experiment(
    "fitzhugh-nagumo", "PI-NODE-SR on FitzHugh–Nagumo: a neural ODE from ~1.3 noisy spike periods (second neuron model)",
    PARAMETERS, build, presets=pinode.PRESETS)
