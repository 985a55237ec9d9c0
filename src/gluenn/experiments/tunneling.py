"""Quantum tunneling through a smooth barrier (GlueNN paper §IV.C, SPEC §3).
The set-up and the measured choices behind every default: ``docs/experiments/tunneling.md``."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

import gluenn as gn
from gluenn.systems.waves import barrier_terms, fit_cos_sin, plane_amplitudes, scattering, wkb_envelopes

PARAMETERS = {
    "V0": gn.Param(4.1, "barrier height V₀ (must exceed E = k²/2m)"),
    "d": gn.Param(10.0, "barrier width d (edges at ±d/2)", positive=True),
    "sigma": gn.Param(0.5, "edge width σ of the Fermi steps", positive=True),
    "k": gn.Param(2.0, "incident wave number k (E = k²/2m)", positive=True),
    "mass": gn.Param(0.5, "particle mass m (ħ = 1)", positive=True),
    "margin": gn.Param("auto", "domain ±(d/2 + margin); auto: max(8.14, edge tail + one wavelength) (paper: 13.14)"),
    "free_tol": gn.Param(1e-3, "plane-wave patch where |V| < free_tol·E (0: the paper's d/2 + 2.1σ)"),
    "points_per_wavelength": gn.Param(62, "sample density per wavelength 2π/k (paper: ≈ 62)", minimum=8),
    "lambda_data": gn.Param(1.0, "data weight λ_a (paper: 1)", "training"),
    "lambda_residual": gn.Param(30.0, "residual weight λ_b (paper: 3, with normalisation)", "training"),
    "lambda_suppress": gn.Param(0.25, "suppression weights λ_c = λ_d (paper: 0.25)", "training"),
    "lambda_plateau": gn.Param(1.0, "weight of the plane-wave plateau sets (0: off)", "training"),
    "lambda_barrier": gn.Param(1.0, "weight of the plateau of C, D where V = V0 to 1e-3 (0: off)", "training", minimum=0),
    "lambda_magnitude": gn.Param(1e-6, "weak penalty on |C e^{κ(x−d/2)}|² + |D e^{−κ(x+d/2)}|² everywhere", "training"),
    "strict_suppression": gn.Param(True, "suppress the plane coefficients (not just their sum) inside and C, D separately outside (paper: sums)", "training"),
    "envelope": gn.Param(True, "measure every row against the WKB size of ψ, exp(∫ κ(x) dx) from the right end", "training"),
    "normalise": gn.Param(False, "divide the residual by |ψ| + 1 as the paper does (nonlinear rows)", "training"),
    "trainer": gn.Param("auto", "optimiser phases (auto: lstsq here, gauss-newton if normalise=true)", "training", choices=gn.TRAINERS),
    "steps": gn.Param(0, "Adam steps (gradient trainers; lstsq needs none)", "training"),
    "lr": gn.Param(1e-3, "Adam learning rate", "training", positive=True),
    "lbfgs_steps": gn.Param(0, "L-BFGS steps (adam+lbfgs)", "training"),
    "gn_steps": gn.Param(20, "Levenberg–Marquardt steps (nonlinear variants; a linear problem is one exact solve)", "training"),
}


def build(p: gn.Params) -> gn.Setup:
    (k_lo, k_hi), m = p.span("k"), p.mass
    gn.require(p.V0 > k_hi**2 / (2 * m), "V0", p.V0, f"this ansatz describes tunneling, E < V0 (E = k²/2m up to {k_hi**2 / (2 * m):g})")
    gn.require(p.d > 8 * p.sigma, "d", p.d, f"the barrier must be wider than its edges (d > 8σ = {8 * p.sigma:g})")
    # structure from the span of k; the free (plane-wave) patch starts where |V| < free_tol E: ±(d/2 + σ ln(V0/(tol E)))
    edge = p.sigma * math.log(p.V0 / (p.free_tol * k_lo**2 / (2 * m))) if p.free_tol > 0 else 2.1 * p.sigma
    margin = p.number("margin", auto=max(8.14, edge + 2 * math.pi / k_lo))
    h, L, per_unit = p.d / 2, p.d / 2 + margin, p.points_per_wavelength * k_hi / (2 * math.pi)
    gn.require(p.sigma * per_unit >= 0.5, "sigma", p.sigma, f"edges this sharp fall between the samples (spacing "
               f"{1 / per_unit:.3g}); use sigma >= {0.5 / per_unit:.3g} or more points_per_wavelength")
    n = lambda lo, hi: max(8, int(round(per_unit * (hi - lo))))  # noqa: E731
    V = lambda x: p.V0 * (1 / (jnp.exp(-(x + h) / p.sigma) + 1) + 1 / (jnp.exp((x - h) / p.sigma) + 1) - 1)  # noqa: E731
    env = wkb_envelopes(V, m, (-L, L), p.k) if p.envelope else (lambda x, *, k=None: 1.0)
    equation = gn.Equation(lambda x, y, dy, d2y, *, k=p.k: -d2y / (2 * m) + (V(x) - k**2 / (2 * m)) * y,
                           normalisation=(lambda x, y: jnp.abs(y) + 1.0) if p.normalise else lambda x, y, *, k=p.k: env(x, k=k))
    k, (plane, grow, decay) = p.k, barrier_terms(p.V0, m, h, p.k)
    gn.require(edge < margin - math.pi / k_lo, "margin", p.margin, f"use margin > {edge + math.pi / k_lo:.3g} or 'auto'")
    inside, outside_l, outside_r = (-h + 2 * p.sigma, h - 2 * p.sigma), (-L, -h - edge), (h + edge, L)
    flat = h - p.sigma * math.log(1e3)  # |V − V0| ≤ 1e-3 V0 inside ±flat: C, D are exact constants there
    components, families = {}, [gn.baselines.Family(lambda x, c: grow(x, c[:1]) + decay(x, c[1:]), (0.0, 0.0)),
                                 gn.baselines.Family(plane, (0.0, 0.0))]  # shared: one compiled matching for all
    for part, (f, df) in {"re": (np.cos, lambda x: -k * np.sin(k * x)),
                          "im": (np.sin, lambda x: k * np.cos(k * x))}.items():
        samples = _samples(p, lambda x, f=f: f(k * x), n, inside, outside_l, outside_r, flat, env)
        ref = gn.reference.solve_equation(equation, L, [f(k * L), df(L)], -L, method="DOP853",
                                          rtol=1e-12, atol=1e-12)
        problem = gn.Problem(
            terms=[gn.Term("plane", plane, coefficients=("cos", "sin")),
                   gn.Term("grow", grow, coefficients=("C",)), gn.Term("decay", decay, coefficients=("D",))],
            equation=equation, samples=samples, domain=(-L, L))

        start = (lambda x: jnp.cos(k * x)) if part == "re" else (lambda x: jnp.sin(k * x))
        matched = lambda at, start=start: gn.baselines.match(start, families, at, order=1)  # noqa: E731

        components[part] = gn.Component(problem, ref, gn.baselines.matching_band(matched, [h, -h]), f"{part.title()} ψ(x)")

    regions = [(("plane",), outside_l, p.free_tol, "left"), (("plane",), outside_r, p.free_tol, "right")] + \
        ([(("grow", "decay"), (-flat, flat), 1e-3, "barrier")] if flat > 0 else [])
    return gn.Setup(
        constants=[gn.pipeline.Constant(c, t, r, tol, label) for c in components for t, r, tol, label in regions],
        components=components,
        network=gn.Network(head=(100, 100, 100), head_out=100, trunk=(100,), input_range=(-10.0, 10.0)),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        **_readouts(L, k), contributions=_contributions,
        xlabel="x", score_floor=1.0, log_every=1 if p.trainer in ("auto", "lstsq", "lexicographic", "gauss-newton") else 100,
    )


def _samples(p, incident, n, inside, outside_l, outside_r, flat, env) -> list:
    """Data (the transmitted wave right of the barrier), the residual everywhere, and the gauge:
    no plane waves inside, no evanescent terms outside, flat plane-wave coefficients outside."""
    L, k = outside_r[1], p.k
    free = gn.linspace(*outside_l, n(*outside_l)) | gn.linspace(*outside_r, n(*outside_r))
    samples = [
        gn.Data(gn.linspace(*outside_r, n(*outside_r)), incident, weight=p.lambda_data, scale=1.0),
        gn.Residual(gn.linspace(-L, L, n(-L, L)), weight=p.lambda_residual),
        gn.Suppress(gn.linspace(*inside, n(*inside)), terms="plane", weight=p.lambda_suppress,
                    coefficients=p.strict_suppression, scale=env),
        gn.Suppress(free, terms=("grow", "decay"), weight=p.lambda_suppress, separately=p.strict_suppression, scale=env),
    ]
    if p.lambda_magnitude > 0:
        samples.append(gn.Suppress(gn.linspace(-L, L, n(-L, L)), terms=("grow", "decay"), separately=True,
                                   weight=p.lambda_magnitude, name="magnitude", priority=2, scale=env))
    if p.lambda_plateau > 0:
        samples.append(gn.Plateau(free, terms="plane", weight=p.lambda_plateau, scale=lambda x, *, k=k: 1.0 / (k * env(x, k=k))))
    if p.lambda_barrier > 0 and flat > 0:
        samples.append(gn.Plateau(gn.linspace(-flat, flat, n(-flat, flat)), terms=("grow", "decay"),
                                  weight=p.lambda_barrier, scale=lambda x, *, k=k: 1.0 / (k * env(x, k=k)), name="plateau_barrier"))
    return samples


def _readouts(L: float, k: float) -> dict:
    """``readout`` and ``coefficient_readout``: R², T² from ψ itself and from the learned coefficients."""
    left, right = np.linspace(-L, -L + 2 * math.pi / k, 64), np.linspace(L - 2 * math.pi / k, L, 64)

    def readout(sols):
        """From ψ itself: cos/sin fits over one wavelength at each end."""
        (ar, br), (ai, bi) = (fit_cos_sin(sols[c], left, k) for c in ("re", "im"))
        (fr, gr), (fi, gi) = (fit_cos_sin(sols[c], right, k) for c in ("re", "im"))
        A, B = plane_amplitudes(ar, br, ai, bi)
        F, _ = plane_amplitudes(fr, gr, fi, gi)
        return scattering(A, B, F)

    def coefficient_readout(sols):
        """From the learned plane-wave coefficients at the domain ends (the GlueNN read-out)."""
        ends = np.array([-L, L])
        c = {part: sols[part].coefficients(ends) for part in ("re", "im")}
        A, B = plane_amplitudes(*(c[pt][f"plane.{n}"][0] for pt in ("re", "im") for n in ("cos", "sin")))
        F, _ = plane_amplitudes(*(c[pt][f"plane.{n}"][1] for pt in ("re", "im") for n in ("cos", "sin")))
        return scattering(A, B, F)
    return {"readout": readout, "coefficient_readout": coefficient_readout}


def _contributions(part, ev):
    """Paper Fig. 4c-d: |plane| = √(c_cos² + c_sin²) and |evanescent|, each over their sum."""
    c = ev.coefficients
    osc = np.hypot(c["plane.cos"], c["plane.sin"])
    eva = np.abs(ev.terms["grow"]) + np.abs(ev.terms["decay"])
    return {"plane waves": osc / (osc + eva), "evanescent": eva / (osc + eva)}


EXPERIMENT = gn.Experiment(
    "tunneling", "reflection and transmission through a smooth barrier (GlueNN §IV.C)", PARAMETERS, build,
    presets={"paper": {"envelope": False, "free_tol": 0.0, "strict_suppression": False, "lambda_residual": 3.0, "lambda_suppress": 0.25, "lambda_plateau": 0.0,
                       "lambda_magnitude": 0.0, "normalise": True, "trainer": "adam", "steps": 20000}}, ablation=(),
)
