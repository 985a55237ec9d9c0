"""Freeze-out's η from an observed Y(x_end) in one fit (route b of ``gluenn infer --route joint``):
η is trained with the coefficients. The problem's data must not depend on the unknown η, so it
holds the initial condition Y(x_start) = Y_eq(x_start) instead of the experiment's data patch (a
reference solved at a guess); residual sets cover [x_start, SPLIT] (the experiment's gap
normalisation) and [SPLIT, x_end]; the plateau and suppression sets of the late form sit where
that form is exact for every η of the prior range (the experiment's regions at both ends,
intersected). Measured: ``docs/parametric.md``."""

from __future__ import annotations

import jax.numpy as jnp

import gluenn as gn
from gluenn.systems.relic import traced_freezeout_point

#: where the early residual set (normalised like the experiment's gap set) hands over to the
#: plain one: the experiment's residual start 7.8 x_f(η)/x_f(1e4) near η ≈ 3e4
SPLIT = 8.0


def joint(p: gn.Params, unknown: gn.Parameter, readout: str, value: float) -> gn.pipeline.JointProblem:
    """The route-(b) problem for an observation ``readout = value`` (only ``Y_end``)."""
    from . import freezeout as fo
    gn.require(readout == "Y_end", "--observe", readout, "route joint observes Y_end, the yield at x_end")
    gn.require(unknown.name == "eta", "--vary", unknown.name, "route joint infers eta: --vary eta=LO:HI[:log]")
    gn.require(p.x_start < SPLIT < p.x_end, "x_start, x_end", (p.x_start, p.x_end), f"need x_start < {SPLIT} < x_end")
    g, at_mid = p.prefactor, fo.build(p.replace(eta=float(unknown.value(0.5))))
    ends = [fo.build(p.replace(eta=e)).components["y"].problem for e in (unknown.lo, unknown.hi)]
    frozen = [next((s for s in q.samples if s.name == "plateau_frozen"), None) for q in ends]
    gn.require(None not in frozen, "--vary", (unknown.lo, unknown.hi), "a range where Y freezes out before x_end at both ends")
    at = gn.logspace(max(float(s.points.values().min()) for s in frozen), p.x_end, 60)
    y_eq = lambda x: g * x**1.5 * jnp.exp(-x)  # noqa: E731
    problem = gn.Problem(
        list(at_mid.components["y"].problem.terms),  # they take η as a keyword
        gn.Equation(lambda x, y, dy, *, eta: dy + eta / x**2 * (y**2 - y_eq(x) ** 2), normalisation=lambda x, y: y),
        [gn.Data(gn.points([p.x_start]), [float(y_eq(p.x_start))], weight=p.lambda_data, scale=1.0, name="initial"),
         gn.Data(gn.points([p.x_end]), [value], weight=p.lambda_data, name="observed"),
         gn.Residual(gn.logspace(p.x_start, SPLIT, 2 * p.residual_points), weight=p.lambda_gap, name="early",
                     normalisation=lambda x, y, *, eta: y * (1.0 + 2.0 * eta * y / x**2)),
         gn.Residual(gn.logspace(SPLIT, p.x_end, p.residual_points), weight=p.lambda_residual),
         gn.Plateau(at, terms=("frozen",), weight=p.lambda_plateau,
                    scale=lambda x, *, eta: x * eta / traced_freezeout_point(eta, g)),
         gn.Suppress(at, terms=("equilibrium",), weight=p.lambda_plateau)],
        (p.x_start, p.x_end))
    trainer = gn.trainer_phases("gauss-newton", steps=0, gn_steps=p.gn_steps)
    return gn.pipeline.JointProblem(problem, "observed", at_mid.network, trainer)
