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
    "a_end": gn.Param("auto", "end of the domain; auto = 25 k/m (the smallest m of a --vary range; paper: 500)"),
    "data": gn.Param("initial", "X(a_*) = 1, X'(a_*) = 1/a_* as the reference (initial) or h = a/a_* on [a_*, 10 a_*] (growing; paper)",
                     choices=("initial", "growing")),
    "early": gn.Param("horizon", "early terms: the modes through horizon exit, exact for a ≪ k/m (horizon), or a/a_* (power; paper)",
                      choices=("horizon", "power")),
    "data_points": gn.Param(10, "data points on [a_*, 10 a_*] with data=growing (paper: 10)"),
    "residual_points": gn.Param(650, "log residual points on [10 a_*, 6.2 k/m] (paper: 650 on [1, 124])"),
    "suppress_points": gn.Param(382, "log points suppressing the growing term on [1.15 k/m, a_end] (paper: 382)"),
    "residual_lo": gn.Param(1.0, "residual set starts at residual_lo · a_* (paper: 10)"),
    "residual_hi": gn.Param(25.0, "residual set ends at min(residual_hi · k/m, a_end) (paper: 6.2)"),
    "input_scale": gn.Param(4.0, "network input: log a mapped onto [-input_scale, input_scale] (paper: 1)", "training", positive=True),
    "head": gn.Param("50,50", "hidden widths of the head network (paper: 1,4,4,4,50)", "training"),
    "positive": gn.Param(False, "exponentiated (positive) coefficients as in the paper (the rows are then nonlinear); false: linear", "training"),
    "residual_scale": gn.Param("expected", "D divided by min(a, k/m)/(a_* a²) (expected), its own size (equation), y/a² (y), or 1 (none; paper)",
                               "training", choices=("equation", "expected", "y", "none")),
    "trunk": gn.Param("50", "hidden widths of each trunk (paper: 50)", "training"),
    "lambda_data": gn.Param(1.0, "data weight λ_a (paper: 800, with absolute=true)", "training"),
    "lambda_residual": gn.Param(1.0, "residual weight λ_b (paper: 0.5)", "training"),
    "lambda_suppress": gn.Param(1.0, "suppression weight λ_c (paper: 0.0032 at amplitude 2(k/m)/a_* = 400, absolute=true)", "training"),
    "lambda_plateau": gn.Param(1.0, "weight of the plateau set (|a dc/da|/(2k/m a_*)², late terms; paper: none)", "training"),
    "absolute": gn.Param(False, "data and suppression misfits in units of X (paper), not relative to their own size", "training"),
    "plateau_lo": gn.Param(10.0, "plateau set on [plateau_lo · k/m, a_end] (the late patch's exact regime)"),
    "trainer": gn.Param("lexicographic", "optimiser phases (gauss-newton with positive=true)", "training", choices=gn.TRAINERS),
    "steps": gn.Param(0, "Adam steps (before Gauss–Newton or L-BFGS)", "training"),
    "lr": gn.Param(1e-3, "Adam peak learning rate", "training", positive=True),
    "lbfgs_steps": gn.Param(3000, "L-BFGS steps after Adam", "training"),
    "gn_steps": gn.Param(300, "Levenberg–Marquardt steps (gauss-newton and lstsq trainers)", "training"),
}


def build(p: gn.Params) -> gn.Setup:
    km, a_s = p.k / p.m, p.a_star
    a_end = p.number("a_end", auto=25 * p.k / p.span("m")[0])
    patch = 10 * a_s if p.data == "growing" else a_s  # where the data sit: the crossover must come well after
    gn.require(patch < km / 2, "k, m, a_star", (p.k, p.m, a_s), f"the crossover k/m = {km:g} must lie well beyond the data at a <= {patch:g}")
    gn.require(a_end > 1.15 * km * 2, "a_end", a_end, f"end the domain well past the crossover k/m = {km:g}")
    gn.require(0 < p.residual_lo * a_s < a_end, "residual_lo", p.residual_lo, "the residual set must start inside the domain")
    equation = _equation(p, km, a_s)
    reference = gn.reference.solve_equation(equation, a_s, [1.0, 1.0 / a_s], a_end, rtol=1e-11, atol=1e-12)
    problem = gn.Problem(_early_terms(p, km, a_s) + _late_terms(p, km, a_s, a_end), equation, _samples(p, km, a_s, a_end), (a_s, a_end))

    late = gn.baselines.Family(lambda a, c: c[0] + c[1] / a, init=(0.0, 0.0))
    early = lambda a: a / a_s  # noqa: E731
    matched = lambda at: gn.baselines.match(early, [late], at, order=1)  # noqa: E731

    def readout(sols):
        y, dy = (float(np.asarray(f(np.array([a_end])))[0]) for f in (sols["y"].y, sols["y"].dy))
        return {"X_end": y, "X_inf": y + a_end * dy / 2}

    def coefficient_readout(sols):
        return {"X_end": float((ev := sols["y"].evaluate(np.array([a_end]))).y[0]), "X_inf": float(ev.coefficients["constant.c"][0])}

    return gn.Setup(
        components={"y": gn.Component(problem, reference, gn.baselines.matching_band(matched, [km]), "X_L(a)")},
        network=gn.Network(head=_widths(p.head), head_out=50, trunk=_widths(p.trunk), input="log",
                           input_range=(-p.input_scale, p.input_scale)),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        readout=readout, coefficient_readout=coefficient_readout,
        constants=[gn.pipeline.Constant("y", ("constant", "decaying"), (p.plateau_lo * km, a_end), label="late")] + ([gn.pipeline.Constant(
            "y", ("growing", "early"), (a_s, 0.06 * km), 9e-3, "early")] if p.early == "horizon" and 0.06 * km >= 3 * a_s else []),
        xscale="log", yscale="log" if p.k / (p.H * a_s) < 1 else "linear", xlabel="scale factor a",  # X > 0 outside the horizon
    )


def _equation(p, km: float, a_s: float) -> gn.Equation:
    """The longitudinal mode equation X'' + 2X'/a + {…} X = 0, normalised as the parameters say."""
    H, k, m = p.H, p.k, p.m  # m enters as a keyword, so that `--vary m` can pass it
    q = lambda a, m: k**2 + m**2 * a**2  # noqa: E731
    braces = lambda a, m: k**2 / (H**2 * a**4) + m**2 / (H**2 * a**2) - k**2 / q(a, m) * (2 / a**2 - 3 * m**2 / q(a, m))  # noqa: E731
    norm = {"equation": gn.EquationScale(), "expected": lambda a, y, *, m=m: jnp.minimum(a, k / m) / (a_s * a**2),
            "y": lambda a, y: y / a**2, "none": None}[p.residual_scale]
    return gn.Equation(lambda a, y, dy, d2y, *, m=m: d2y + 2 / a * dy + braces(a, m) * y, normalisation=norm)


def _early_terms(p, km: float, a_s: float) -> list:
    """Riccati–Bessel modes in t = k/(Ha) (docs); the init is the C¹-matched step 1/(1 + (a m/k)⁴)."""
    t, t_s = (lambda a: p.k / (p.H * a)), p.k / (p.H * a_s)
    init = lambda a: 1.0 / (1.0 + (a / km) ** 4) + (1e-6 if p.positive else 0.0)  # noqa: E731
    if p.early == "power":
        return [gn.Term("growing", lambda a, c: c[0] * a / a_s, positive=p.positive, init=init)]
    # sin t/t − cos t, with its series where it cancels (t < 1e-2)
    decaying = lambda x: jnp.where(x < 1e-2, x**2 / 3 - x**4 / 30, jnp.sin(x) / x - jnp.cos(x))  # noqa: E731
    return [gn.Term("growing", lambda a, c: c[0] * a / a_s * (jnp.cos(t(a)) + t(a) * jnp.sin(t(a))),
                    positive=p.positive, init=init),
            gn.Term("early", lambda a, c: c[0] * 3 / t_s**2 * decaying(t(a)), positive=p.positive, init=1e-3 if p.positive else 0.0)]


def _late_terms(p, km: float, a_s: float, a_end: float) -> list:
    """a^{s₊} and a^{s₋}, s± = (−1 ± √(1 − 4(m/H)²))/2: a constant and 1/a at the paper's H (docs)."""
    amp, step, m = 2 * km / a_s, (lambda a: 1.0 / (1.0 + (a / km) ** 4)), p.m
    s_plus = lambda m: (-1 + jnp.sqrt(jnp.maximum(1 - 4 * (m / p.H) ** 2, 0.0))) / 2  # noqa: E731
    inits = (lambda a: amp * (1 - step(a)) + 1e-3, 1e-3) if p.positive else (lambda a: amp * (1 - step(a)), 0.0)
    return [gn.Term("constant", lambda a, c, *, m=m: c[0] * (a / a_end) ** s_plus(m), positive=p.positive, init=inits[0]),
            gn.Term("decaying", lambda a, c, *, m=m: c[0] * a_s / a * (a / a_end) ** -s_plus(m), positive=p.positive, init=inits[1])]


def _samples(p, km: float, a_s: float, a_end: float) -> list:
    amp, scale = 2 * km / a_s, (1.0 if p.absolute else None)
    if p.data == "initial":
        data = [gn.Data(gn.points([a_s]), [1.0], weight=p.lambda_data, scale=scale, name="initial"),
                gn.Data(gn.points([a_s]), [1.0 / a_s], weight=p.lambda_data, scale=scale, derivative=1, name="slope")]
    else:
        data = [gn.Data(gn.linspace(a_s, 10 * a_s, p.data_points), lambda a: a / a_s, weight=p.lambda_data, scale=scale)]
    early = ("growing",) if p.early == "power" else ("growing", "early")
    suppress_w = p.lambda_suppress * ((400.0 / amp) ** 2 if p.absolute else 1.0)
    late = gn.Plateau(gn.logspace(p.plateau_lo * km, a_end, 100), terms=("constant", "decaying"),
                      weight=p.lambda_plateau, scale=lambda a, *, m=p.m: a * a_s * m / (2 * p.k))
    exact = gn.logspace(a_s, max(0.06 * km, 3 * a_s), 60)  # the horizon forms hold to ~1 % (2.5 (ma/k)² ≤ 0.9 %)
    inside = [gn.Plateau(exact, terms=early, weight=p.lambda_plateau, scale=lambda a: a, name="plateau_early"),
              gn.Suppress(exact, terms=("constant", "decaying"), weight=suppress_w, scale=scale, separately=True)]
    inside = inside if p.early == "horizon" and p.lambda_plateau > 0 and 0.06 * km >= 3 * a_s else []
    return data + [
        gn.Residual(gn.logspace(p.residual_lo * a_s, min(p.residual_hi * km, a_end), p.residual_points), weight=p.lambda_residual),
        gn.Suppress(gn.logspace(1.15 * km, a_end, p.suppress_points), terms=early, weight=suppress_w, scale=scale,
                    separately=len(early) > 1),
    ] + ([late] if p.lambda_plateau > 0 else []) + inside


def _widths(text: str) -> tuple:
    try:
        return tuple(int(w) for w in text.split(","))
    except ValueError:
        raise gn.ConfigError(f"widths {text!r} are invalid: give comma-separated integers, e.g. 1,4,4,4,50") from None


EXPERIMENT = gn.Experiment(
    "darkphoton", "inflationary production of a longitudinal dark photon (GlueNN §IV.B)", PARAMETERS, build,
    presets={"paper": {"a_end": "500", "residual_lo": 10.0, "residual_hi": 6.2, "head": "1,4,4,4,50",
                       "input_scale": 1.0, "residual_scale": "none", "lambda_plateau": 0.0, "trainer": "adam+lbfgs", "steps": 3000,
                       "data": "growing", "early": "power", "positive": True, "absolute": True,
                       "lambda_data": 800.0, "lambda_residual": 0.5, "lambda_suppress": 0.0032}},
    ablation=(),
)
