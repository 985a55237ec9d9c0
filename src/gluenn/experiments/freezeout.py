"""Chemical freeze-out (GlueNN paper §IV.A, SPEC §1).
The set-up and the measured choices behind every default: ``docs/experiments/freezeout.md``."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import scipy.optimize

import gluenn as gn

PARAMETERS = {
    "eta": gn.Param(1e4, "interaction strength η in D[Y] = Y' + η x⁻² (Y² − Y_eq²)", positive=True),
    "prefactor": gn.Param(0.145, "Y_eq prefactor g: Y_eq = g x^{3/2} e^{-x}", positive=True),
    "x_start": gn.Param(1.0, "start of the domain (equilibrium initial condition)"),
    "x_end": gn.Param(31.0, "end of the domain; Y_end = y(x_end)"),
    "data_hi": gn.Param(1.9, "data patch [x_start, data_hi] (paper: 1.9)"),
    "data_points": gn.Param(28, "log-spaced data points (paper: 28)"),
    "residual_lo": gn.Param("auto", "start of the residual set; auto = 7.8 · x_f(η)/x_f(1e4)"),
    "residual_points": gn.Param(60, "log-spaced residual points (paper: 60)"),
    "gap_points": gn.Param(30, "log-spaced residual points in the gap [data_hi, residual_lo] the paper leaves unsampled (0: paper)"),
    "lambda_gap": gn.Param(700.0, "weight of the gap set (normalised by y (1 + 2 η y / x²))", "training"),
    "lambda_data": gn.Param(1600.0, "data weight λ_a (paper: 1600)", "training"),
    "lambda_residual": gn.Param(700.0, "residual weight λ_b (paper: 700)", "training"),
    "x_match": gn.Param("auto", "C⁰ matching point; auto = the residual start (paper: 7.8)"),
    "trainer": gn.Param("adam+lbfgs", "optimiser phases", "training", choices=gn.TRAINERS),
    "steps": gn.Param(1500, "Adam steps", "training"),
    "lr": gn.Param(1e-3, "Adam peak learning rate (cosine decay)", "training"),
    "lbfgs_steps": gn.Param(1500, "L-BFGS refinement steps after Adam", "training"),
    "gn_steps": gn.Param(50, "Gauss–Newton steps (gauss-newton trainer)", "training"),
    "features": gn.Param("spread", "first layer: steps spread over the residual points, or random (paper)", "training",
                         choices=("spread", "random")),
}


def freezeout_point(eta: float, g: float) -> float:
    """``x_f`` with ``2 η g x_f^{-1/2} e^{-x_f} = 1 − 3/(2 x_f)`` (rate = fall rate of Y_eq)."""
    h = lambda x: math.log(2 * eta * g) - 0.5 * math.log(x) - x - math.log(1 - 1.5 / x)  # noqa: E731
    return float(scipy.optimize.brentq(h, 1.6, 200.0))


def build(p: gn.Params) -> gn.Setup:
    gn.require(0 < p.x_start < p.data_hi < p.x_end, "x_start, data_hi, x_end",
               (p.x_start, p.data_hi, p.x_end), "need 0 < x_start < data_hi < x_end")
    eta, g = p.eta, p.prefactor
    try:
        x_f = freezeout_point(eta, g)
    except ValueError:
        raise gn.ConfigError(f"eta={eta}, prefactor={g} is invalid: no freeze-out in x ∈ (1.6, 200); "
                             "choose η g of order 10 or more") from None
    x_res = p.number("residual_lo", auto=7.8 * x_f / freezeout_point(1e4, 0.145))
    x_m = p.number("x_match", auto=x_res)
    gn.require(p.data_hi < x_m < p.x_end, "x_match", x_m, f"match inside ({p.data_hi}, {p.x_end}), past the data")
    gn.require(p.data_hi < x_res < p.x_end, "residual_lo", x_res,
               f"the residual set must start inside ({p.data_hi}, {p.x_end})")

    y_eq = lambda x: g * x**1.5 * jnp.exp(-x)  # noqa: E731
    equation = gn.Equation(
        residual=lambda x, y, dy: dy + eta / x**2 * (y**2 - y_eq(x) ** 2),
        normalisation=lambda x, y: y,
    )
    reference = gn.reference.solve_equation(equation, p.x_start, [float(y_eq(p.x_start))], p.x_end,
                                            rtol=1e-11, atol=1e-16)
    samples = [
        gn.Data(gn.logspace(p.x_start, p.data_hi, p.data_points), reference.y, weight=p.lambda_data, scale=1.0),
        gn.Residual(gn.logspace(x_res, p.x_end, p.residual_points), weight=p.lambda_residual),
    ]
    if p.gap_points > 0:
        samples.append(gn.Residual(gn.logspace(p.data_hi, x_res, p.gap_points), weight=p.lambda_gap,
                                   name="gap", normalisation=lambda x, y: y * (1.0 + 2.0 * eta * y / x**2)))
    problem = gn.Problem(
        terms=[
            gn.Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=g),
            gn.Term("frozen", lambda x, c: c[0], positive=True, init=x_f / eta),
        ],
        equation=equation,
        samples=samples,
        domain=(p.x_start, p.x_end),
    )

    def matched(at):
        late = gn.baselines.Family(lambda x, c: 1.0 / (c[0] - eta / x), init=(eta / at[0] + 1 / float(y_eq(at[0])),))
        return gn.baselines.match(y_eq, [late], at, order=0)

    def readout(sols):
        y_end = float(np.asarray(sols["y"].y(np.array([p.x_end])))[0])
        return {"Y_end": y_end, "Y_inf": 1.0 / (1.0 / y_end + eta / p.x_end)}

    return gn.Setup(
        components={"y": gn.Component(problem, reference, gn.baselines.matching_band(matched, [x_m]), "Y(x)")},
        network=gn.Network(head=(100, 100), head_out=100, trunk=(100,), input="log", features=p.features),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        readout=readout,
        xscale="log", yscale="log", xlabel="x = m/T",
    )


EXPERIMENT = gn.Experiment(
    "freezeout", "chemical freeze-out of a yield Y(x) (GlueNN §IV.A)", PARAMETERS, build,
    presets={"paper": {"gap_points": 0, "features": "random"}}, ablation=(),
)
