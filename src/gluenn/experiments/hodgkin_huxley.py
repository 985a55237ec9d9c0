"""Hodgkin–Huxley with PI-NODE-SR (Kainth et al., MSML 2025; SPEC §4), its ablations and baselines:
the system and its observation here, the training recipe in :func:`gluenn.pipeline.pinode.setup`.
The measured choices behind every default: ``docs/experiments/hodgkin-huxley.md``."""

from __future__ import annotations

import functools

import numpy as np

import gluenn as gn
from gluenn import node
from gluenn.pipeline import pinode
from gluenn.systems import hodgkin_huxley as hh
from gluenn.systems import ou_noise

P, T = gn.Param, functools.partial(gn.Param, kind="training")

PARAMETERS = {
    "I_ext": P(9.909286, "constant stimulus current (µA/cm²); 9.909286 gives a 14.68 ms period"),
    "t_train": P(14.68, "training window [0, t_train] (ms)", positive=True),
    "dt": P(0.01, "data spacing and Heun step (ms)", positive=True),
    "t_short": P(100.0, "spike metrics on [t_train, t_short] (ms)"),
    "t_long": P(1000.0, "gating RMSEs on [t_short, t_long] (ms)"),
    "noise": P(True, "add the seeded Ornstein–Uhlenbeck noise to the training data"),
    "noise_theta": P(5.0, "OU mean reversion θ (1/ms)", positive=True),
    "noise_sigma": P(0.5, "OU volatility σ", minimum=0),
    "noise_seed": P(0, "seed of the noise (fixed across model seeds, as in the paper)", minimum=0),
    "learn": P("", "physics parameters not given but calibrated on the window, with their prior range: I_ext=LO:HI "
               "(e.g. I_ext=5:20); the data still come from I_ext"),
    "observe": P("v,n,m,h", "observed channels (v must be one); the others are latent: no data term, initial value at "
                 "rest at the first observed v, physics states from a solve of the known field (plus noise of the same model)"),
    **pinode.TRAINING,
    "forecast_spacing": T(0.05, "time between forecast states (ms)", positive=True),
    "spike_tol": P(2.0, "spike matching tolerance (ms)", positive=True),
}


def build(p: gn.Params) -> gn.pipeline.NODESetup:
    gn.require(p.t_train < p.t_short < p.t_long, "t_train, t_short, t_long", (p.t_train, p.t_short, p.t_long),
               "need t_train < t_short < t_long")
    gn.check_points("t_long / dt", p.t_long / p.dt)
    n_train = int(round(p.t_train / p.dt))
    gn.require(n_train >= 10, "t_train / dt", n_train, "give at least 10 training samples")
    z0 = hh.resting_state()
    t_ref = np.round(np.arange(int(round(p.t_long / p.dt)) + 1) * p.dt, 10)
    z_ref, solver = hh.reference_run(p.I_ext, z0, t_ref)
    noise = ou_noise(n_train, 4, p.dt, p.noise_theta, p.noise_sigma, p.noise_seed) if p.noise else 0.0
    data, z_start = _observation(p, t_ref[:n_train], z_ref[:n_train] + noise)
    unknowns = pinode.unknowns(p.learn, ("I_ext",))
    info = {"stimulus_uA_cm2": p.I_ext, "resting_state": z0.tolist(),
            "reference": {"solver": f"scipy {solver}", "rtol": 1e-10, "atol": 1e-10},
            **({"truth": {"I_ext": p.I_ext}} if unknowns else {})}
    return pinode.setup(p, pinode.System(
        _field if unknowns else hh.hodgkin_huxley(p.I_ext), hh.NAMES, hh.UNITS, (t_ref, z_ref), data, z_start, (0.0, p.t_train),
        {"short": (p.t_train, p.t_short), "long": (p.t_short, p.t_long)}, p.spike_tol, info=info,
        spread=ou_noise(n_train, 4, p.dt, p.noise_theta, p.noise_sigma, p.noise_seed + 1) if p.noise else None,
        unknowns=unknowns))


def _field(t, z, I_ext):
    return hh.hodgkin_huxley(I_ext)(t, z)


def _observation(p, t, z):
    """The observed window (latent channels NaN) and the initial state (latent gates at rest at the first v)."""
    names = tuple(c.strip() for c in p.observe.split(","))
    gn.require(set(names) <= set(hh.NAMES) and "v" in names and len(set(names)) == len(names), "observe", p.observe,
               "give distinct channels of v,n,m,h including v, e.g. v or v,n,m,h")
    observed = np.isin(np.arange(4), [hh.NAMES.index(c) for c in names])
    z_start = np.where(observed, z[0], np.r_[np.nan, hh.steady_gates(z[0, 0])])
    return node.Trajectory(t, np.where(observed, z, np.nan), observed=np.flatnonzero(observed).tolist()), z_start


EXPERIMENT = gn.Experiment(
    "hodgkin-huxley", "PI-NODE-SR on Hodgkin–Huxley: a neural ODE from one noisy spike period (PI-NODE-SR paper)",
    PARAMETERS, build, presets=pinode.PRESETS)
