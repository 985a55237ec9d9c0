"""Inflationary production of a longitudinal vector mode (GlueNN paper §IV.B, SPEC §2).
The set-up and the measured choices behind every default: ``docs/experiments/darkphoton.md``."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import gluenn as gn

PARAMETERS = {
    "H": gn.Param(150.0, "Hubble rate during inflation (dimensionless)", positive=True),
    "k": gn.Param(2.0, "comoving momentum k", positive=True),
    "m": gn.Param(0.10, "vector mass m", positive=True),
    "a_star": gn.Param(0.1, "a_*: start of the domain and of the growing mode a/a_*", positive=True),
    "a_end": gn.Param("auto", "end of the domain; auto = 25 k/m (paper: 500)"),
    "data_points": gn.Param(10, "linear data points on [a_*, 10 a_*] (paper: 10)"),
    "residual_points": gn.Param(650, "log residual points on [10 a_*, 6.2 k/m] (paper: 650 on [1, 124])"),
    "suppress_points": gn.Param(382, "log points suppressing the growing term on [1.15 k/m, a_end] (paper: 382)"),
    "residual_lo": gn.Param(1.0, "residual set starts at residual_lo · a_* (paper: 10)"),
    "residual_hi": gn.Param(25.0, "residual set ends at min(residual_hi · k/m, a_end) (paper: 6.2)"),
    "data_spacing": gn.Param("linear", "spacing of the data points: linear (paper) or log", choices=("linear", "log")),
    "input_scale": gn.Param(4.0, "network input: log a mapped onto [-input_scale, input_scale] (paper: 1)", "training", positive=True),
    "normalise": gn.Param(False, "divide D by y/a² (scale-free residual; paper: no normalisation)", "training"),
    "head": gn.Param("50,50", "hidden widths of the head network (paper: 1,4,4,4,50)", "training"),
    "positive": gn.Param(True, "exponentiated (positive) coefficients as in the paper; false: linear", "training"),
    "scale_residual": gn.Param(True, "divide D by its expected magnitude min(a, k/m)/(a_* a²) (paper: no)", "training"),
    "trunk": gn.Param("50", "hidden widths of each trunk (paper: 50)", "training"),
    "lambda_data": gn.Param(800.0, "data weight λ_a (paper: 800)", "training"),
    "lambda_residual": gn.Param(0.5, "residual weight λ_b (paper: 0.5)", "training"),
    "lambda_suppress": gn.Param(0.0032, "suppression weight λ_c at the paper's late amplitude 2(k/m)/a_* = 400; rescaled by (400/amplitude)² (paper: 0.0032)", "training"),
    "lambda_plateau": gn.Param(1.0, "weight of the plateau set (|a dc/da|/(2k/m a_*)², constant and decaying terms; paper: none)", "training"),
    "plateau_lo": gn.Param(10.0, "plateau set on [plateau_lo · k/m, a_end] (the late patch's exact regime)"),
    "trainer": gn.Param("gauss-newton", "optimiser phases", "training", choices=gn.TRAINERS),
    "steps": gn.Param(0, "Adam steps (before Gauss–Newton or L-BFGS)", "training"),
    "lr": gn.Param(1e-3, "Adam peak learning rate", "training"),
    "lbfgs_steps": gn.Param(3000, "L-BFGS steps after Adam", "training"),
    "gn_steps": gn.Param(300, "Levenberg–Marquardt steps (gauss-newton and lstsq trainers)", "training"),
}


def build(p: gn.Params) -> gn.Setup:
    km, a_s = p.k / p.m, p.a_star
    a_end = p.number("a_end", auto=25 * km)
    gn.require(10 * a_s < km / 2, "k, m, a_star", (p.k, p.m, a_s),
               f"the crossover k/m = {km:g} must lie well beyond the data patch [a_*, 10 a_*]")
    gn.require(a_end > 1.15 * km * 2, "a_end", a_end, f"end the domain well past the crossover k/m = {km:g}")
    gn.require(0 < p.residual_lo * a_s < a_end, "residual_lo", p.residual_lo, "the residual set must start inside the domain")
    spacing = gn.linspace if p.data_spacing == "linear" else gn.logspace
    equation = _equation(p, km, a_s)
    reference = gn.reference.solve_equation(equation, a_s, [1.0, 1.0 / a_s], a_end, rtol=1e-11, atol=1e-12)
    # starting coefficient functions: the C¹-matched asymptotics, smoothed over the crossover
    step = lambda a: 1.0 / (1.0 + (a / km) ** 4)  # noqa: E731
    amp = 2 * km / a_s  # C¹ matching of a/a_* onto A + B/a at k/m gives A = 2 (k/m)/a_*
    if p.positive:
        inits = (lambda a: step(a) + 1e-6, lambda a: amp * (1 - step(a)) + 1e-3, 1e-3)
    else:
        inits = (lambda a: step(a), lambda a: amp * (1 - step(a)), 0.0)
    problem = gn.Problem(
        terms=[
            gn.Term("growing", lambda a, c: c[0] * a / a_s, positive=p.positive, init=inits[0]),
            gn.Term("constant", lambda a, c: c[0], positive=p.positive, init=inits[1]),
            gn.Term("decaying", lambda a, c: c[0] * a_s / a, positive=p.positive, init=inits[2]),
        ],
        equation=equation,
        samples=[
            gn.Data(spacing(a_s, 10 * a_s, p.data_points), lambda a: a / a_s, weight=p.lambda_data, scale=1.0),
            gn.Residual(gn.logspace(p.residual_lo * a_s, min(p.residual_hi * km, a_end), p.residual_points),
                        weight=p.lambda_residual),
            gn.Suppress(gn.logspace(1.15 * km, a_end, p.suppress_points), terms="growing",
                        weight=p.lambda_suppress * (400.0 / amp) ** 2, scale=1.0),
        ] + ([gn.Plateau(gn.logspace(p.plateau_lo * km, a_end, 100), terms=("constant", "decaying"),
                         weight=p.lambda_plateau, scale=lambda a: a / amp)]
             if p.lambda_plateau > 0 else []),
        domain=(a_s, a_end),
    )

    def matched(at):
        late = gn.baselines.Family(lambda a, c: c[0] + c[1] / a, init=(0.0, 0.0))
        return gn.baselines.match(lambda a: a / a_s, [late], at, order=1)

    def readout(sols):
        y, dy = (float(np.asarray(f(np.array([a_end])))[0]) for f in (sols["y"].y, sols["y"].dy))
        return {"X_end": y, "X_inf": y + a_end * dy / 2}

    def coefficient_readout(sols):
        ev = sols["y"].evaluate(np.array([a_end]))
        return {"X_end": float(ev.y[0]), "X_inf": float(ev.coefficients["constant.c"][0])}

    return gn.Setup(
        components={"y": gn.Component(problem, reference, gn.baselines.matching_band(matched, [km]), "X_L(a)")},
        network=gn.Network(head=_widths(p.head), head_out=50, trunk=_widths(p.trunk), input="log",
                           input_range=(-p.input_scale, p.input_scale)),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        readout=readout, coefficient_readout=coefficient_readout,
        constants=[gn.pipeline.Constant("y", ("constant", "decaying"), (p.plateau_lo * km, a_end), label="late")],
        xscale="log", yscale="log", xlabel="scale factor a",
    )


def _equation(p, km: float, a_s: float) -> gn.Equation:
    """The longitudinal mode equation X'' + 2X'/a + {…} X = 0, normalised as the parameters say."""
    H, k, m = p.H, p.k, p.m

    def braces(a):
        q = k**2 + m**2 * a**2
        return k**2 / (H**2 * a**4) + m**2 / (H**2 * a**2) - k**2 / q * (2 / a**2 - 3 * m**2 / q)

    return gn.Equation(lambda a, y, dy, d2y: d2y + 2 / a * dy + braces(a) * y,
                       normalisation=(lambda a, y: y / a**2) if p.normalise else
                       (lambda a, y: jnp.minimum(a, km) / (a_s * a**2)) if p.scale_residual else None)


def _widths(text: str) -> tuple:
    try:
        return tuple(int(w) for w in text.split(","))
    except ValueError:
        raise gn.ConfigError(f"widths {text!r} are invalid: give comma-separated integers, e.g. 1,4,4,4,50") from None


EXPERIMENT = gn.Experiment(
    "darkphoton", "inflationary production of a longitudinal dark photon (GlueNN §IV.B)", PARAMETERS, build,
    presets={"paper": {"a_end": "500", "residual_lo": 10.0, "residual_hi": 6.2, "head": "1,4,4,4,50",
                       "input_scale": 1.0, "scale_residual": False, "lambda_plateau": 0.0, "trainer": "adam+lbfgs", "steps": 3000}},
    ablation=(),
)
