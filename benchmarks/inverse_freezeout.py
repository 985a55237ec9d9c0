"""Freeze-out's η from an observed Y(31) by route (b): η trained with the coefficients in one fit
(``gn.invert_jointly``), issue 19.

The observation is SciPy's Y(31) at the true η (±1 %). The problem's data must not depend on the
unknown η, so it holds the initial condition Y(1) = Y_eq(1) instead of the experiment's data
patch; residual sets cover [1, 8] (gap normalisation, as the experiment's) and [8, 31]; the
plateau and suppression sets of the late form sit where that form is exact for every η of the
prior range [1e3, 1e6] (the experiment's regions at both ends, intersected).

    python benchmarks/inverse_freezeout.py [ETA_TRUE [SEED]]

Measured results: ``docs/parametric.md``.
"""
import sys, time

import jax.numpy as jnp

import gluenn as gn
from gluenn.experiments import freezeout as fo
from gluenn.systems.relic import traced_freezeout_point

eta_true = float(sys.argv[1]) if len(sys.argv) > 1 else 4.2e4
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
g, prior = 0.145, gn.Parameter("eta", 1e3, 1e6, log=True)

truth = fo.build(fo.EXPERIMENT.params({"eta": eta_true}))
y_obs = truth.readout({"y": truth.components["y"].reference})["Y_end"]
ends = [fo.build(fo.EXPERIMENT.params({"eta": e})).components["y"].problem for e in (prior.lo, prior.hi)]
frozen_from = max(next(s for s in p.samples if s.name == "plateau_frozen").points.values().min() for p in ends)
y_eq = lambda x: g * x**1.5 * jnp.exp(-x)  # noqa: E731
at = gn.logspace(frozen_from, 31.0, 60)
problem = gn.Problem(
    list(fo.build(fo.EXPERIMENT.params({"eta": float(prior.value(0.5))})).components["y"].problem.terms),  # take η as a keyword
    gn.Equation(lambda x, y, dy, *, eta: dy + eta / x**2 * (y**2 - y_eq(x) ** 2), normalisation=lambda x, y: y),
    [gn.Data(gn.points([1.0]), [float(y_eq(1.0))], weight=1600.0, scale=1.0, name="initial"),
     gn.Data(gn.points([31.0]), [y_obs], weight=1600.0, name="observed"),
     gn.Residual(gn.logspace(1.0, 8.0, 120), weight=700.0, name="early",
                 normalisation=lambda x, y, *, eta: y * (1.0 + 2.0 * eta * y / x**2)),
     gn.Residual(gn.logspace(8.0, 31.0, 60), weight=700.0),
     gn.Plateau(at, terms=("frozen",), weight=1.0, scale=lambda x, *, eta: x * eta / traced_freezeout_point(eta, g)),
     gn.Suppress(at, terms=("equilibrium",), weight=1.0)],
    (1.0, 31.0))
t = time.perf_counter()
result = gn.invert_jointly(problem, prior, "observed", 0.01 * y_obs, seed=seed, progress=False,
                           network=gn.Network(head=(100, 100), head_out=100, trunk=(100,), input="log"),
                           trainer=gn.trainer_phases("gauss-newton", steps=0, gn_steps=200))
print(f"eta_true {eta_true:g}, seed {seed}: {result}  ({time.perf_counter() - t:.1f} s)")
print(f"rel. error {result.value / eta_true - 1:+.3%}, trusted {result.trusted}, true value inside the 1σ interval: "
      f"{result.lower <= eta_true <= result.upper}; {result.fit.trust.line()}")
