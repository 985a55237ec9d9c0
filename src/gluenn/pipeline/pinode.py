"""PI-NODE-SR as a recipe for any excitable (or other) system: the training parameters every
trajectory experiment shares, the paper's ablation presets, and :func:`setup`, which turns
a system (its known field, its reference, an observed window) into a :class:`NODESetup`:
physics warm start → composite data + physics loss → physics rounds on the model's own forecast.
The measured choices behind each default: ``docs/experiments/hodgkin-huxley.md``."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import require
from .._params import Param, Params
from ..baselines import PINNLoss, TrajectoryNet
from ..engine import LBFGS, Adam, GaussNewton, GaussNewtonCG
from ..glue import Check, Parameter
from ..node import ADJOINTS, SOLVERS, Calibration, NODELoss, Physics, Stage, Trajectory, VectorField, calibrate, integrate
from ._node import NODESetup

_T = functools.partial(Param, kind="training")
_SOLVERS = tuple(SOLVERS)

#: the training parameters of a PI-NODE-SR experiment (kind ``training``); an experiment adds
#: its system's own (``dt``, ``t_train``, windows, noise, …) and passes both to :func:`setup`
TRAINING = {
    "model": _T("node", "node (neural ODE) or pinn (network t -> z)", choices=("node", "pinn")),
    "lam": _T(1.5, "physics weight λ (paper: 1.5); 0 = data-only Neural ODE", minimum=0),
    "scales": _T("robust", "s_j: robust (min of finite-difference and known-field stds), paper (finite differences), none (plain residual)", choices=("robust", "paper", "none")),
    "solver": _T("heun", "training solver", choices=_SOLVERS),
    "adjoint": _T("scan", "scan (reverse mode through the Heun steps), recursive (Diffrax checkpoint) or backsolve", choices=tuple(ADJOINTS)),
    "normalise": _T(True, "input/output normalisation by data statistics"),
    "time_input": _T(False, "feed t to the field (the paper's f(z, t))"),
    "width": _T(128, "hidden width (paper: 64-128)", positive=True),
    "depth": _T(3, "hidden layers (paper: 3)", positive=True),
    "physics_steps": _T(2000, "L-BFGS steps on the physics term alone before the composite loss (0: off)", minimum=0),
    "physics_priority": _T(1, "for --weights auto: the physics term as a regulariser of the data fit (1) or a fit term of equal standing (0)", choices=(0, 1)),
    "physics_rounds": _T(0, "rounds of the physics fit, each L-BFGS then one exact least-squares solve of the output layer (0: L-BFGS only)", minimum=0),
    "physics_at": _T("both", "composite loss: physics residual at the observed states, the model's trajectory, or both", choices=("data", "trajectory", "both")),
    "forecast_rounds": _T(3, "rounds of the physics alone on the model's own forecast to t_short, refreshed each round (0: off, the paper's set-up)", minimum=0),
    "forecast_max_rounds": _T(5, "up to this many rounds while a refresh raised the loss more than forecast_settle-fold", minimum=0),
    "forecast_settle": _T(5.0, "loss jump at a refresh above which another forecast round runs"),
    "forecast_optimiser": _T("gauss-newton-cg", "optimiser of the forecast rounds", choices=("gauss-newton-cg", "lbfgs")),
    "forecast_steps": _T(20, "steps per forecast round", minimum=0),
    "cg_steps": _T(100, "conjugate-gradient iterations per Gauss-Newton step", positive=True),
    "forecast_at": _T("forecast", "states of the forecast rounds: the forecast, or both it and the observed states", choices=("forecast", "both")),
    "forecast_relative": _T(0.01, "floor a of the relative residual r/(a s + |f_known|) of the forecast rounds (0: the scale-aware r/s)", minimum=0),
    "composite": _T("first", "composite loss before (first) or after (last) the forecast rounds", choices=("first", "last")),
    "optimiser": _T("lbfgs", "optimiser of the composite loss (paper: adam)", choices=("lbfgs", "adam")),
    "linesearch_start": _T("one", "L-BFGS line searches of the composite loss start from 1 (one) or from the last step (keep)",
                           choices=("keep", "one")),
    "linesearch_steps": _T(20, "most loss evaluations (ODE solves) per L-BFGS line search of the composite loss", positive=True),
    "steps": _T(100, "steps on the composite loss", minimum=0),
    "lr": _T(1e-3, "Adam learning rate (optimiser=adam)", positive=True),
    "eval_solver": Param("heun", "solver for the evaluation trajectory", choices=_SOLVERS),
}

_ADAM = {"optimiser": "adam", "lr": 1e-3}
_DATA_ONLY = {**_ADAM, "lam": 0.0, "steps": 1000}
#: the rows of the PI-NODE-SR paper's Tables 2-3 as overrides (``no-noise`` needs a ``noise`` parameter)
PRESETS = {
    "no-physics": _DATA_ONLY, "backsolve": {"adjoint": "backsolve"}, "no-noise": {"noise": False},
    "lambda-0.5": {"lam": 0.5}, "lambda-2.5": {"lam": 2.5},
    "node-heun": _DATA_ONLY, "node-heun-raw": {**_DATA_ONLY, "normalise": False},
    **{f"node-{solver}{raw}": {**_DATA_ONLY, "steps": steps, "solver": solver, "eval_solver": solver,
                                **({"normalise": False} if raw else {})}
       for solver, steps in (("tsit5", 300), ("kvaerno5", 100)) for raw in ("", "-raw")},
    "pinn": {**_ADAM, "model": "pinn", "scales": "none", "steps": 3000},
    "pinn-raw": {**_ADAM, "model": "pinn", "scales": "none", "steps": 3000, "normalise": False},
}


@dataclasses.dataclass(frozen=True, eq=False)
class System:
    """What an experiment knows about its system, for :func:`setup`.

    - `field`: the known vector field ``f(t, z) -> dz/dt`` (JAX; ``z`` shape ``(D,)``).
    - `names`, `units`: the state channels, e.g. ``("v", "w")`` and ``("1", "1")``.
    - `reference`: ``(t, z)``, the truth on the evaluation grid (SciPy, stiff solver), ``(T,)``, ``(T, D)``.
    - `data`: the observed window (:class:`~gluenn.node.Trajectory`, possibly partial).
    - `z0`: the initial state, shape ``(D,)`` (latent channels inferred by the experiment).
    - `train_window`: ``(t0, t1)`` of the observed window (shaded in figures; ``t1 − t0`` scales
      the time input of the field).
    - `windows`: ``{"short": (t0, t1), "long": (t1, t2)}``: spike metrics of channel
      `spike_channel` on the first, RMSEs of the other channels on the second.
    - `spike_tolerance`: spike matching tolerance (time units); `info`: extra facts for ``metrics.json``
      (``info["truth"]``: ``{name: value}`` of the unknowns that made synthetic data, for the error).
    - `unknowns`: parameters of the known physics that are not known (:class:`gluenn.Parameter`
      s with their ranges); `field` then takes them as keywords, ``f(t, z, **θ)``. They are
      calibrated on the window (:func:`gluenn.node.calibrate`) before the field is learned.
    - `spread`: with latent channels, perturbations ``(N, D)`` added to their states from the
      known solve, where the physics warm start is imposed: the tube around the trajectory that
      measurement noise gives the observed channels (measured: on a clean curve alone the field
      learns the curve's points but not its stability). ``None``: the clean solve.
    """

    field: Callable
    names: tuple[str, ...]
    units: tuple[str, ...]
    reference: tuple[np.ndarray, np.ndarray]
    data: Trajectory
    z0: np.ndarray
    train_window: tuple[float, float]
    windows: Mapping[str, tuple[float, float]]
    spike_tolerance: float
    spike_channel: int = 0
    spread: np.ndarray | None = None
    info: Mapping = dataclasses.field(default_factory=dict)
    unknowns: tuple = ()

    def __post_init__(self):
        shape, d = self.data.z.shape, self.data.z.shape[1]
        require(len(self.names) == d and len(self.units) == d, "System names/units", (self.names, self.units),
                f"give one name and one unit per state channel ({d})")
        require(np.shape(self.z0) == (d,), "System z0", np.shape(self.z0), f"give an initial state of shape ({d},)")
        require(self.spread is None or np.shape(self.spread) == shape, "System spread", np.shape(self.spread),
                f"give perturbations of the data's shape {shape}, or None")
        require(set(self.windows) == {"short", "long"}, "System windows", sorted(self.windows),
                "give {'short': (t0, t1), 'long': (t1, t2)}: spike metrics, then the other channels' RMSEs")


def unknowns(text: str, names: tuple[str, ...], field: str = "learn") -> tuple[Parameter, ...]:
    """``"I_ext=5:20"`` (comma-separated, ``NAME=LO:HI[:log]``, names among `names`) → the
    :class:`gluenn.Parameter` s of :attr:`System.unknowns`; ``""`` → none."""
    out = []
    for item in (i.strip() for i in str(text).split(",") if i.strip()):
        name, _, spec = item.partition("=")
        parts = spec.split(":")
        try:
            lo, hi = float(parts[0]), float(parts[1])
            ok = name.strip() in names and len(parts) in (2, 3) and (len(parts) == 2 or parts[2] == "log")
        except (ValueError, IndexError):
            ok = False
        require(ok, field, text, f"write NAME=LO:HI[:log] with NAME one of {', '.join(names)}, e.g. {names[0]}=5:20")
        log = len(parts) == 3
        require(np.isfinite(lo) and np.isfinite(hi) and lo < hi and (lo > 0 or not log), field, text,
                "give a finite range LO < HI (LO > 0 for :log), e.g. I_ext=5:20")
        out.append(Parameter(name.strip(), lo, hi, log=log))
    require(len({q.name for q in out}) == len(out), field, text, "name each parameter once")
    return tuple(out)


def setup(p: Params, system: System) -> NODESetup:
    """The PI-NODE-SR set-up of `system` with the :data:`TRAINING` parameters `p` (which also
    need ``dt``, the data spacing and Heun step, and ``forecast_spacing``, the time between the
    forecast states: both the system's time scales). A partially observed window is completed by a
    solve of the known field from `z0` (plus ``system.spread``) for the physics' states and the
    normalisation."""
    field, data, z0 = system.field, system.data, np.asarray(system.z0, np.float64)
    t_obs, checks, calibrated = data.t, (), {}
    if system.unknowns:
        cal = calibrate(field, data, z0, system.unknowns, names=system.names, dt=p.dt, solver=p.solver)
        field, checks = functools.partial(field, **cal.values), _calibration_checks(cal)
        calibrated = {"calibration": _with_truth(cal.to_dict(), system.info.get("truth", {}))}
    full = data
    if data.partial:
        known = np.asarray(integrate(field, z0, t_obs, dt=p.dt))
        full = data.fill(known if system.spread is None else known + system.spread)
    f_obs = np.asarray(jax.vmap(field)(jnp.asarray(t_obs), jnp.asarray(full.z)))
    s_fd = full.derivative_scales()
    s = {"paper": s_fd, "robust": np.minimum(s_fd, f_obs.std(0)), "none": None}[p.scales]
    names, span = system.names, system.train_window[1] - system.train_window[0]
    info = {"observed": [names[j] for j in data.observed], "initial_state": z0.tolist(), **dict(system.info), **calibrated,
            "scales": None if s is None else dict(zip(names, np.asarray(s).tolist())),
            "scales_finite_difference": dict(zip(names, s_fd.tolist()))}
    if p.model == "pinn":
        require(not data.partial, "model", "pinn", "the PINN baseline needs every channel observed; use model=node")

        def init(key):
            return TrajectoryNet.create(key, t_obs, data.z, width=p.width, depth=p.depth, normalise=p.normalise)
        stages = [Stage("pinn", PINNLoss(t_obs, data.z, field, weight=p.lam, scales=s), _phases(p))]
        predict = lambda net, t: np.asarray(jax.vmap(net)(jnp.asarray(t)))  # noqa: E731
    else:
        def init(key):
            return VectorField.create(key, full.z, s if s is not None else s_fd, width=p.width, depth=p.depth,
                                      time_input=p.time_input, normalise=p.normalise, t_scale=span)

        def predict(m, t):
            return integrate(m, z0, t, solver=p.eval_solver, dt=p.dt)
        horizon = system.windows["short"][1]
        stages = _stages(p, field, data, full, z0, s, horizon)
    return NODESetup(
        names=names, units=system.units, init=init, stages=stages, predict=predict, reference=system.reference,
        windows=system.windows, spike_window="short", gating_window="long", train_window=system.train_window,
        data=(t_obs, data.z), spike_channel=system.spike_channel, spike_tolerance=system.spike_tolerance, info=info,
        checks=checks)


def _with_truth(out: dict, truth: Mapping) -> dict:
    """The calibration summary with, for synthetic data, each parameter's true value and error."""
    for k, v in truth.items():
        if k in out:
            out[k] = {**out[k], "true": v, "error_pct": 100 * (out[k]["value"] / v - 1) if v else None}
    return out


#: a calibrated parameter's 1σ, relative to its value, above which the window did not determine it
CALIBRATION_LIMIT = 0.01


def _calibration_checks(cal: Calibration) -> tuple:
    """The calibration's trust: every value inside its prior (not on an end) and determined by the
    window to :data:`CALIBRATION_LIMIT`."""
    shown = ", ".join(f"{k} = {v:.6g} ± {cal.sigma[k]:.2g}" for k, v in cal.values.items())
    edge = f"{', '.join(cal.edge)} on an end of its prior {cal.prior[cal.edge[0]]}: widen it" if cal.edge else ""
    return (Check("calibration", cal.relative_sigma, CALIBRATION_LIMIT, shown),
            Check("prior edge", 1.0 if cal.edge else 0.0, 0.0, edge))


def _stages(p, field, data, full, z0, s, horizon) -> list:
    """Physics warm start (on the observed window, completed) → composite PI-NODE-SR loss →
    physics rounds on the model's own forecast."""
    forecast = p.forecast_rounds > 0 and p.lam > 0
    physics = Physics(field, p.lam, s, at=p.physics_at, priority=p.physics_priority,
                      horizon=horizon if forecast else None, spacing=p.forecast_spacing) if p.lam > 0 else None
    loss = NODELoss(data, physics, solver=p.solver, dt=p.dt, adjoint=p.adjoint, z0=z0)
    warm, rounds = [], max(p.physics_rounds, 1)
    if physics is not None and p.physics_steps > 0:
        solve = [GaussNewton(1)] if p.physics_rounds > 0 else []
        warm = [Stage("physics", physics.alone(full), [LBFGS(p.physics_steps // rounds), *solve] * rounds)]
    composite = [Stage("pi-node-sr" if physics else "neural-ode", loss, _phases(p))]
    cycle = []
    if forecast and p.forecast_steps > 0:
        on_cycle = dataclasses.replace(physics, relative=p.forecast_relative or None)
        opt = (GaussNewtonCG(p.forecast_steps, cg_steps=p.cg_steps) if p.forecast_optimiser == "gauss-newton-cg"
               else LBFGS(p.forecast_steps))

        def refresh(m):
            fc = loss.forecast(m)
            return on_cycle.alone(fc) if p.forecast_at == "forecast" else on_cycle.alone(full, fc)
        cycle = [Stage("forecast", None, [opt], rounds=p.forecast_rounds, refresh=refresh,
                       max_rounds=max(p.forecast_rounds, p.forecast_max_rounds), settle=p.forecast_settle)]
    return warm + (composite + cycle if p.composite == "first" else cycle + composite)


def _phases(p):
    return ([LBFGS(p.steps, linesearch_start=p.linesearch_start, linesearch_steps=p.linesearch_steps)]
            if p.optimiser == "lbfgs" else [Adam(p.steps, lr=p.lr)])
