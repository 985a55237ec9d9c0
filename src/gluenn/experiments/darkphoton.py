"""Inflationary production of a longitudinal vector mode (GlueNN paper §IV.B, SPEC §2).

``X'' + (2/a) X' + {k²/(H²a⁴) + m²/(H²a²) − k²/(k²+m²a²) (2/a² − 3m²/(k²+m²a²))} X = 0``
on ``a ∈ [0.1, 500]``. For ``a ≪ k/m`` the braces are ≈ −2/a² (modes a¹ and a⁻²); for
``a ≫ k/m`` the modes are a constant and 1/a. Ansatz (paper eq. 18):
``y = e^{c₁} a/a_* + e^{c₂} + e^{c₃} a_*/a`` with the growing mode as initial condition,
``h(a) = a/a_*`` on ``[a_*, 10 a_*]``. Read-outs: ``X_end = y(a_end)`` and the frozen
amplitude ``X_inf``: from the coefficients, ``e^{c₂(a_end)}``; from y, ``X + a X'/2`` at
``a_end`` (exact for the true ``X∞ (1 − (k/m)²/(2a²))`` tail — a fit ``A + B/a`` is biased).

Choices beyond the paper (measured; ``--preset paper`` restores Table II exactly):

- Sampling follows the crossover scale ``k/m`` (the paper's intervals at k/m = 20):
  residual on ``[10 a_*, 6.2 k/m]``, suppression of the growing term on ``[1.15 k/m, a_end]``,
  ``a_end = 25 k/m``.
- Initial coefficient *functions* from the C¹-matched asymptotics, smoothed over the crossover:
  ``e^{c₁} = s(a)``, ``e^{c₂} = 2 (k/m)/a_* · (1 − s(a))``, ``e^{c₃}`` small, with
  ``s = 1/(1 + (a m/k)⁴)``.
- Network input ``log a``; Adam then L-BFGS.

**Status (measured, not yet solved — see the project notes):** with the paper's loss (plain
``|D|²`` on [1, 124]) every trainer tried here reaches a small loss with the wrong late
amplitude (X_end −17 % … −100 %): the unnormalised residual is ~X/a² and barely penalises a
wrong amplitude after the crossover. Knobs for that study: ``normalise`` (divide D by y/a²),
``scale_residual`` (divide by the expected magnitude, keeping the rows linear), ``residual_hi``,
``head``, ``trunk``, ``positive`` (linear coefficients for the ``lstsq`` trainer). Best so far:
``positive=false trainer=lstsq scale_residual=true residual_hi=25``: X_end +8.5 % in 7 s
(the loss floor, ~0.03, is set by the paper's width-1 head bottleneck, not by the trunks).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import gluenn as gn

PARAMETERS = {
    "H": gn.Param(150.0, "Hubble rate during inflation (dimensionless)"),
    "k": gn.Param(2.0, "comoving momentum k"),
    "m": gn.Param(0.10, "vector mass m"),
    "a_star": gn.Param(0.1, "a_*: start of the domain and of the growing mode a/a_*"),
    "a_end": gn.Param("auto", "end of the domain; auto = 25 k/m (paper: 500)"),
    "data_points": gn.Param(10, "linear data points on [a_*, 10 a_*] (paper: 10)"),
    "residual_points": gn.Param(650, "log residual points on [10 a_*, 6.2 k/m] (paper: 650 on [1, 124])"),
    "suppress_points": gn.Param(382, "log points suppressing the growing term on [1.15 k/m, a_end] (paper: 382)"),
    "residual_hi": gn.Param(6.2, "residual set ends at residual_hi · k/m (paper: 6.2)"),
    "normalise": gn.Param(False, "divide D by y/a² (scale-free residual; paper: no normalisation)", "training"),
    "head": gn.Param("1,4,4,4,50", "hidden widths of the head network (paper: 1,4,4,4,50)", "training"),
    "positive": gn.Param(True, "exponentiated (positive) coefficients as in the paper; false: linear", "training"),
    "scale_residual": gn.Param(False, "divide D by the expected magnitude min(a, k/m)/(a_* a²) (linear rows)", "training"),
    "trunk": gn.Param("50", "hidden widths of each trunk (paper: 50)", "training"),
    "lambda_data": gn.Param(800.0, "data weight λ_a (paper: 800)", "training"),
    "lambda_residual": gn.Param(0.5, "residual weight λ_b (paper: 0.5)", "training"),
    "lambda_suppress": gn.Param(0.0032, "suppression weight λ_c (paper: 0.0032)", "training"),
    "trainer": gn.Param("adam+lbfgs", f"one of {', '.join(gn.TRAINERS)}", "training"),
    "steps": gn.Param(3000, "Adam steps", "training"),
    "lr": gn.Param(1e-3, "Adam peak learning rate", "training"),
    "lbfgs_steps": gn.Param(3000, "L-BFGS steps after Adam", "training"),
    "gn_steps": gn.Param(50, "Gauss–Newton steps (gauss-newton trainer)", "training"),
}


def build(p: gn.Params) -> gn.Setup:
    for name in ("H", "k", "m", "a_star"):
        gn.require(p[name] > 0, name, p[name], "must be positive")
    km, a_s = p.k / p.m, p.a_star
    a_end = 25 * km if p.a_end == "auto" else _number(p, "a_end")
    gn.require(10 * a_s < km / 2, "k, m, a_star", (p.k, p.m, a_s),
               f"the crossover k/m = {km:g} must lie well beyond the data patch [a_*, 10 a_*]")
    gn.require(a_end > 1.15 * km * 2, "a_end", a_end, f"end the domain well past the crossover k/m = {km:g}")
    H, k, m = p.H, p.k, p.m

    def braces(a):
        q = k**2 + m**2 * a**2
        return k**2 / (H**2 * a**4) + m**2 / (H**2 * a**2) - k**2 / q * (2 / a**2 - 3 * m**2 / q)

    equation = gn.Equation(lambda a, y, dy, d2y: d2y + 2 / a * dy + braces(a) * y,
                           normalisation=(lambda a, y: y / a**2) if p.normalise else
                           (lambda a, y: jnp.minimum(a, km) / (a_s * a**2)) if p.scale_residual else None)
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
            gn.Data(gn.linspace(a_s, 10 * a_s, p.data_points), lambda a: a / a_s, weight=p.lambda_data),
            gn.Residual(gn.logspace(10 * a_s, p.residual_hi * km, p.residual_points), weight=p.lambda_residual),
            gn.Suppress(gn.logspace(1.15 * km, a_end, p.suppress_points), terms="growing", weight=p.lambda_suppress),
        ],
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
        network=gn.Network(head=_widths(p.head), head_out=50, trunk=_widths(p.trunk), input="log"),
        trainer=gn.trainer_phases(p.trainer, steps=p.steps, lr=p.lr, lbfgs_steps=p.lbfgs_steps, gn_steps=p.gn_steps),
        readout=readout, coefficient_readout=coefficient_readout,
        xscale="log", yscale="log", xlabel="scale factor a",
    )


def _widths(text: str) -> tuple:
    try:
        return tuple(int(w) for w in text.split(","))
    except ValueError:
        raise gn.ConfigError(f"widths {text!r} are invalid: give comma-separated integers, e.g. 1,4,4,4,50") from None


def _number(p, name):
    try:
        return float(p[name])
    except ValueError:
        raise gn.ConfigError(f"--set {name}={p[name]!r} is invalid: give a number or 'auto'") from None


EXPERIMENT = gn.Experiment(
    "darkphoton", "inflationary production of a longitudinal dark photon (GlueNN §IV.B)", PARAMETERS, build,
    presets={"paper": {"a_end": "500"}},
)
