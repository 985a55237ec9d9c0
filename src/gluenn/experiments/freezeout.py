"""Chemical freeze-out (GlueNN paper §IV.A, SPEC §1).
The set-up and the measured choices behind every default: ``docs/experiments/freezeout.md``."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import gluenn as gn
from gluenn.systems.relic import freezeout_point, traced_freezeout_point

from .freezeout_joint import joint

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
    "late": gn.Param("riccati", "late term: Y∞/(1 − η Y∞/x), exact once Y_eq ≪ Y (riccati), or a constant (constant; paper)",
                     choices=("riccati", "constant")),
    "lambda_plateau": gn.Param(1.0, "weight of the plateau sets where the late form is exact (Y∞ constant, equilibrium off)", "training"),
    "trainer": gn.Param("gauss-newton", "optimiser phases", "training", choices=gn.TRAINERS),
    "steps": gn.Param(0, "Adam steps (before L-BFGS or Gauss–Newton)", "training"),
    "lr": gn.Param(1e-3, "Adam peak learning rate (cosine decay)", "training", positive=True),
    "lbfgs_steps": gn.Param(1500, "L-BFGS refinement steps after Adam", "training"),
    "gn_steps": gn.Param(200, "Gauss–Newton steps (gauss-newton trainer)", "training"),
    "features": gn.Param("spread", "first layer: steps spread over the residual points, or random (paper)", "training",
                         choices=("spread", "random")),
}


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
        residual=lambda x, y, dy, *, eta=eta: dy + eta / x**2 * (y**2 - y_eq(x) ** 2),
        normalisation=lambda x, y: y,
    )
    reference = gn.reference.solve_equation(equation, p.x_start, [float(y_eq(p.x_start))], p.x_end,
                                            rtol=1e-11, atol=1e-16)
    riccati = p.late == "riccati"
    late = (gn.Term("frozen", lambda x, c, *, eta=eta: c[0] / (1 - eta * c[0] / x), coefficients=("Y_inf",),
                    init=lambda x: 1 / (eta / x + eta / x_f)) if riccati  # = x_f/η: the constant's init
            else gn.Term("frozen", lambda x, c: c[0], positive=True, init=x_f / eta))
    gauged = riccati and p.lambda_plateau > 0
    samples = _samples(p, reference, x_res, _exact_regions(reference, eta, g, p.x_start, p.x_end, 1.0) if gauged else {})
    regions = _exact_regions(reference, eta, g, p.x_start, p.x_end) if gauged else {}
    problem = gn.Problem(
        terms=[gn.Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=g), late],
        equation=equation,
        samples=samples,
        domain=(p.x_start, p.x_end),
    )

    # one function for the band's three matchings: they share one compiled program
    frozen = lambda x, c: 1.0 / (c[0] - eta / x)  # noqa: E731

    def matched(at):
        late = gn.baselines.Family(frozen, init=(eta / at[0] + 1 / float(y_eq(at[0])),))
        return gn.baselines.match(y_eq, [late], at, order=0)

    def readout(sols):
        y_end = float(np.asarray(sols["y"].y(np.array([p.x_end])))[0])
        return {"Y_end": y_end, "Y_inf": 1.0 / (1.0 / y_end + eta / p.x_end)}

    def coefficient_readout(sols):
        ev = sols["y"].evaluate(np.array([p.x_end]))
        return {"Y_end": float(ev.y[0]), "Y_inf": float(ev.coefficients["frozen.Y_inf"][0])}

    return gn.Setup(
        components={"y": gn.Component(problem, reference, gn.baselines.matching_band(matched, [x_m]), "Y(x)")},
        network=gn.Network(head=(100, 100), head_out=100, trunk=(100,), input="log", features=p.features),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        readout=readout, coefficient_readout=coefficient_readout if riccati else None,
        constants=[gn.pipeline.Constant("y", (term,), r, FORM_TOL, term) for term, r in regions.items()],
        xscale="log", yscale="log", xlabel="x = m/T",
    )


def _samples(p, reference, x_res: float, regions: dict) -> list:
    """Data on [x_start, data_hi], residual sets (the paper's, and the gap it leaves), and the
    gauge sets of the regions where a patch's form is exact (:func:`_exact_regions`). η enters the
    functions as a keyword (default: the run's η), so that ``--vary eta`` can pass it."""
    eta, g = p.eta, p.prefactor
    samples = [
        gn.Data(gn.logspace(p.x_start, p.data_hi, p.data_points), reference.y, weight=p.lambda_data, scale=1.0),
        gn.Residual(gn.logspace(x_res, p.x_end, p.residual_points), weight=p.lambda_residual),
    ]
    if p.gap_points > 0:
        samples.append(gn.Residual(gn.logspace(p.data_hi, x_res, p.gap_points), weight=p.lambda_gap,
                                   name="gap", normalisation=lambda x, y, *, eta=eta: y * (1.0 + 2.0 * eta * y / x**2)))
    if "frozen" in regions:
        at = gn.logspace(*regions["frozen"], 60)
        samples += [gn.Plateau(at, terms=("frozen",), weight=p.lambda_plateau,
                               scale=lambda x, *, eta=eta: x * eta / traced_freezeout_point(eta, g)),
                    gn.Suppress(at, terms=("equilibrium",), weight=p.lambda_plateau)]
    if "equilibrium" in regions:
        # the coefficient itself, not the term: Y∞/(1 − η Y∞/x) is small for Y∞ ≫ x/η too, past its pole
        samples.append(gn.Suppress(gn.logspace(*regions["equilibrium"], 30), terms=("frozen",), weight=p.lambda_plateau,
                                   coefficients=True, scale=lambda x, *, eta=eta: traced_freezeout_point(eta, g) / eta,
                                   name="suppress_early"))
    return samples


FORM_TOL = 1e-3  # a patch's form must match y to this (relative) where it is declared exact


def _exact_regions(reference, eta: float, g: float, x_start: float, x_end: float, min_span: float = 1.5) -> dict:
    """``{"equilibrium": (lo, hi), "frozen": (lo, hi)}``: where ``Y = g x^{3/2} e^{-x}`` (from x_start)
    and where ``Y = Y∞/(1 − η Y∞/x)``, the solution of ``Y' = −ηY²/x²`` once Y_eq² ≪ Y², with ``Y∞``
    from ``Y(x_end)`` (to x_end) hold to `FORM_TOL`; a region spanning less than a factor `min_span` in x
    is left out (1.5 for the constants scored; the gauge sets take any region, so that they exist at
    every η of a ``--vary`` range)."""
    x = np.geomspace(x_start, x_end, 2000)
    y = np.asarray(reference.y(x))
    early = np.cumprod(np.abs(g * x**1.5 * np.exp(-x) / y - 1) <= FORM_TOL).astype(bool)
    late = np.flip(np.cumprod(np.flip(np.abs(1.0 / (1.0 / y[-1] + eta / x_end - eta / x) / y - 1) <= FORM_TOL))).astype(bool)
    regions = {"equilibrium": (x_start, float(x[early][-1]) if early.any() else x_start),
               "frozen": (float(x[late][0]) if late.any() else x_end, x_end)}
    return {k: r for k, r in regions.items() if r[0] * min_span < r[1]}


EXPERIMENT = gn.Experiment(
    "freezeout", "chemical freeze-out of a yield Y(x) (GlueNN §IV.A)", PARAMETERS, build,
    presets={"paper": {"gap_points": 0, "features": "random", "late": "constant", "trainer": "adam+lbfgs", "steps": 1500}},
    ablation=(), joint=joint,
)
