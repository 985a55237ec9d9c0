"""Hodgkin–Huxley with PI-NODE-SR (Kainth et al., MSML 2025; SPEC §4), its ablations and baselines.
The measured choices behind every default: ``docs/experiments/hodgkin-huxley.md``."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

import gluenn as gn
from gluenn import node
from gluenn.systems import hodgkin_huxley as hh
from gluenn.systems import ou_noise

P, T = gn.Param, functools.partial(gn.Param, kind="training")
SOLVERS = tuple(node.SOLVERS)

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
    "model": T("node", "node (neural ODE) or pinn (network t -> z)", choices=("node", "pinn")),
    "lam": T(1.5, "physics weight λ (paper: 1.5); 0 = data-only Neural ODE", minimum=0),
    "scales": T("robust", "s_j: robust (min of finite-difference and f_HH stds), paper (finite differences), none (plain residual)", choices=("robust", "paper", "none")),
    "solver": T("heun", "training solver", choices=SOLVERS),
    "adjoint": T("scan", "scan (reverse mode through the Heun steps), recursive (Diffrax checkpoint) or backsolve", choices=tuple(node.ADJOINTS)),
    "normalise": T(True, "input/output normalisation by data statistics"),
    "time_input": T(False, "feed t to the field (the paper's f(z, t))"),
    "width": T(128, "hidden width (paper: 64-128)", positive=True),
    "depth": T(3, "hidden layers (paper: 3)", positive=True),
    "physics_steps": T(2000, "L-BFGS steps on the physics term alone before the composite loss (0: off)", minimum=0),
    "physics_priority": T(1, "for --weights auto: the physics term as a regulariser of the data fit (1) or a fit term of equal standing (0)", choices=(0, 1)),
    "physics_rounds": T(0, "rounds of the physics fit, each L-BFGS then one exact least-squares solve of the output layer (0: L-BFGS only)", minimum=0),
    "physics_at": T("both", "composite loss: physics residual at the observed states, the model's trajectory, or both", choices=("data", "trajectory", "both")),
    "forecast_rounds": T(3, "rounds of the physics alone on the model's own forecast to t_short, refreshed each round (0: off, the paper's set-up)", minimum=0),
    "forecast_max_rounds": T(5, "up to this many rounds while a refresh raised the loss more than forecast_settle-fold", minimum=0),
    "forecast_settle": T(5.0, "loss jump at a refresh above which another forecast round runs"),
    "forecast_optimiser": T("gauss-newton-cg", "optimiser of the forecast rounds", choices=("gauss-newton-cg", "lbfgs")),
    "forecast_steps": T(20, "steps per forecast round", minimum=0),
    "cg_steps": T(100, "conjugate-gradient iterations per Gauss-Newton step", positive=True),
    "forecast_at": T("forecast", "states of the forecast rounds: the forecast, or both it and the observed states", choices=("forecast", "both")),
    "forecast_relative": T(0.01, "floor a of the relative residual r/(a s + |f_HH|) of the forecast rounds (0: the scale-aware r/s)", minimum=0),
    "forecast_spacing": T(0.05, "time between forecast states (ms)", positive=True),
    "composite": T("first", "composite loss before (first) or after (last) the forecast rounds", choices=("first", "last")),
    "optimiser": T("lbfgs", "optimiser of the composite loss (paper: adam)", choices=("lbfgs", "adam")),
    "linesearch_start": T("one", "L-BFGS line searches of the composite loss start from 1 (one) or from the last step (keep)",
                          choices=("keep", "one")),
    "linesearch_steps": T(20, "most loss evaluations (ODE solves) per L-BFGS line search of the composite loss", positive=True),
    "steps": T(100, "steps on the composite loss", minimum=0),
    "lr": T(1e-3, "Adam learning rate (optimiser=adam)", positive=True),
    "eval_solver": P("heun", "solver for the evaluation trajectory", choices=SOLVERS),
    "spike_tol": P(2.0, "spike matching tolerance (ms)", positive=True),
}


def build(p: gn.Params) -> gn.pipeline.NODESetup:
    gn.require(p.t_train < p.t_short < p.t_long, "t_train, t_short, t_long", (p.t_train, p.t_short, p.t_long),
               "need t_train < t_short < t_long")
    gn.check_points("t_long / dt", p.t_long / p.dt)
    n_train = int(round(p.t_train / p.dt))
    gn.require(n_train >= 10, "t_train / dt", n_train, "give at least 10 training samples")
    field, z0 = hh.hodgkin_huxley(p.I_ext), hh.resting_state()
    t_ref = np.round(np.arange(int(round(p.t_long / p.dt)) + 1) * p.dt, 10)
    z_ref = hh.reference(p.I_ext, z0, t_ref)
    t_obs = t_ref[:n_train]
    noise = ou_noise(n_train, 4, p.dt, p.noise_theta, p.noise_sigma, p.noise_seed) if p.noise else 0.0
    data = node.Trajectory(t_obs, z_ref[:n_train] + noise)
    f_obs = np.asarray(jax.vmap(field)(jnp.asarray(t_obs), jnp.asarray(data.z)))
    s_fd = data.derivative_scales()
    s = {"paper": s_fd, "robust": np.minimum(s_fd, f_obs.std(0)), "none": None}[p.scales]
    info = {"stimulus_uA_cm2": p.I_ext, "resting_state": z0.tolist(),
            "scales": None if s is None else dict(zip(hh.NAMES, np.asarray(s).tolist())),
            "scales_finite_difference": dict(zip(hh.NAMES, s_fd.tolist())),
            "reference": {"solver": "scipy Radau", "rtol": 1e-9, "atol": 1e-9}}
    if p.model == "pinn":
        def init(key):
            return gn.baselines.TrajectoryNet.create(key, t_obs, data.z, width=p.width, depth=p.depth,
                                                     normalise=p.normalise)
        stages = [node.Stage("pinn", gn.baselines.PINNLoss(t_obs, data.z, field, weight=p.lam, scales=s), _phases(p))]
        predict = lambda net, t: np.asarray(jax.vmap(net)(jnp.asarray(t)))  # noqa: E731
    else:
        def init(key):
            return node.VectorField.create(key, data.z, s if s is not None else s_fd, width=p.width, depth=p.depth,
                                           time_input=p.time_input, normalise=p.normalise, t_scale=p.t_train)

        def predict(m, t):
            return node.integrate(m, z0, t, solver=p.eval_solver, dt=p.dt)
        stages = _node_stages(p, field, data, s)
    return gn.pipeline.NODESetup(
        names=hh.NAMES, units=hh.UNITS, init=init, stages=stages, predict=predict, reference=(t_ref, z_ref),
        windows={"short": (p.t_train, p.t_short), "long": (p.t_short, p.t_long)}, spike_window="short",
        gating_window="long", train_window=(0.0, p.t_train), data=(t_obs, data.z), spike_channel=0,
        spike_tolerance=p.spike_tol, info=info)


def _node_stages(p, field, data, s) -> list:
    """Physics warm start → composite PI-NODE-SR loss → physics rounds on the model's own forecast."""
    forecast = p.forecast_rounds > 0 and p.lam > 0
    physics = node.Physics(field, p.lam, s, at=p.physics_at, priority=p.physics_priority,
                           horizon=p.t_short if forecast else None, spacing=p.forecast_spacing) if p.lam > 0 else None
    loss = node.NODELoss(data, physics, solver=p.solver, dt=p.dt, adjoint=p.adjoint)
    warm, rounds = [], max(p.physics_rounds, 1)
    if physics is not None and p.physics_steps > 0:
        solve = [gn.GaussNewton(1)] if p.physics_rounds > 0 else []
        warm = [node.Stage("physics", physics.alone(data), [gn.LBFGS(p.physics_steps // rounds), *solve] * rounds)]
    composite = [node.Stage("pi-node-sr" if physics else "neural-ode", loss, _phases(p))]
    cycle = []
    if forecast and p.forecast_steps > 0:
        on_cycle = dataclasses.replace(physics, relative=p.forecast_relative or None)
        opt = (gn.GaussNewtonCG(p.forecast_steps, cg_steps=p.cg_steps) if p.forecast_optimiser == "gauss-newton-cg"
               else gn.LBFGS(p.forecast_steps))

        def refresh(m):
            fc = loss.forecast(m)
            return on_cycle.alone(fc) if p.forecast_at == "forecast" else on_cycle.alone(data, fc)
        cycle = [node.Stage("forecast", None, [opt], rounds=p.forecast_rounds, refresh=refresh,
                             max_rounds=max(p.forecast_rounds, p.forecast_max_rounds), settle=p.forecast_settle)]
    return warm + (composite + cycle if p.composite == "first" else cycle + composite)


def _phases(p):
    return ([gn.LBFGS(p.steps, linesearch_start=p.linesearch_start, linesearch_steps=p.linesearch_steps)]
            if p.optimiser == "lbfgs" else [gn.Adam(p.steps, lr=p.lr)])


_ADAM = {"optimiser": "adam", "lr": 1e-3}
_DATA_ONLY = {**_ADAM, "lam": 0.0, "steps": 1000}
PRESETS = {  # the rows of the paper's Tables 2-3
    "no-physics": _DATA_ONLY, "backsolve": {"adjoint": "backsolve"}, "no-noise": {"noise": False},
    "lambda-0.5": {"lam": 0.5}, "lambda-2.5": {"lam": 2.5},
    "node-heun": _DATA_ONLY, "node-heun-raw": {**_DATA_ONLY, "normalise": False},
    **{f"node-{solver}{raw}": {**_DATA_ONLY, "steps": steps, "solver": solver, "eval_solver": solver,
                                **({"normalise": False} if raw else {})}
       for solver, steps in (("tsit5", 300), ("kvaerno5", 100)) for raw in ("", "-raw")},
    "pinn": {**_ADAM, "model": "pinn", "scales": "none", "steps": 3000},
    "pinn-raw": {**_ADAM, "model": "pinn", "scales": "none", "steps": 3000, "normalise": False},
}

EXPERIMENT = gn.Experiment(
    "hodgkin-huxley", "PI-NODE-SR on Hodgkin–Huxley: a neural ODE from one noisy spike period (PI-NODE-SR paper)",
    PARAMETERS, build, presets=PRESETS)
