"""Coefficients that the physics makes constant: declared regions, their exact constants from the
reference, and how flat and how right the learned coefficients are there.

In a region where a patch's asymptotic form is exact (or exact to a stated tolerance), ``y`` *is*
the named terms with constant coefficients. The exact constants come from the reference solution
itself: least squares of ``y_ref`` on the terms over the region (exact projection when they are
linear in their coefficients, Levenberg–Marquardt when not). The learned coefficient functions are then scored by
their mean against those constants (``rel_err``) and by their flatness,
``variation = (max − min) / |mean|`` over the region — both relative to at least the coefficient whose
term would be as large as ``y`` there, so that a constant that is ~0, or whose term is a small
correction, is judged by its share of ``y``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from .._errors import require


MAX_MISFIT = 0.1  # beyond this the region is not one where the terms are y: the "exact constants" would mislead


@dataclasses.dataclass(frozen=True)
class Constant:
    """A region where the physics makes coefficients constant.

    - `component`: the component (``"y"``, ``"re"``, ``"im"``).
    - `terms`: the terms alive there; each of their coefficients is a constant of the physics.
    - `region`: ``(lo, hi)`` inside the problem's domain.
    - `tolerance`: how exact the asymptotic form is there (relative), stated for the report.
    - `label`: a name for the region (``"barrier"``, ``"left"``, …).
    """

    component: str
    terms: tuple[str, ...]
    region: tuple[float, float]
    tolerance: float = 0.0
    label: str = ""

    def __post_init__(self):
        object.__setattr__(self, "terms", (self.terms,) if isinstance(self.terms, str) else tuple(self.terms))
        lo, hi = (float(v) for v in self.region)
        require(lo < hi, f"Constant({self.label or self.component}).region", self.region, "give lo < hi")
        object.__setattr__(self, "region", (lo, hi))

    def grid(self, n: int = 201, scale: str = "linear") -> np.ndarray:
        lo, hi = self.region
        return np.geomspace(lo, hi, n) if scale == "log" and lo > 0 else np.linspace(lo, hi, n)


def exact_constants(constant: Constant, problem, reference, x: np.ndarray) -> dict:
    """``{"term.coef": (value, scale, misfit)}``: least squares of the reference ``y`` on the terms
    over `x`; for each, the coefficient whose term would be as large as ``y`` there
    (``max|y| / max|∂f/∂c|``), and the largest misfit of the fitted terms to ``y`` (relative to
    ``max|y|``: how exact the asymptotic form is in this region).

    Terms linear in their coefficients are projected exactly (one SVD solve); otherwise
    Levenberg–Marquardt from the terms' initial values (their mean over `x` where ``init`` is a
    function) — e.g. a Riccati late term ``Y∞ / (1 − η Y∞/x)``. A fit that does not converge
    is refused, and so is a region where the terms miss ``y`` by more than `MAX_MISFIT`."""
    terms = [t for t in problem.terms if t.name in constant.terms]
    y, xs = np.asarray(reference.y(x)), jnp.asarray(x)
    cuts = np.cumsum([t.n for t in terms])[:-1]

    @jax.jit  # one program, not each of the terms' operations compiled alone
    def model(c):
        return sum(jax.vmap(lambda xi, t=t, ct=ct: jnp.reshape(t.fn(xi, ct), ()))(xs)
                   for t, ct in zip(terms, jnp.split(c, cuts)))

    jac = jax.jit(jax.jacfwd(model))
    ones = jnp.ones(int(sum(t.n for t in terms)))
    f1, J1 = np.asarray(model(ones)), np.asarray(jac(ones))
    if np.allclose(f1, J1 @ np.asarray(ones), rtol=1e-9) and np.allclose(np.asarray(model(2 * ones)), 2 * f1, rtol=1e-9):
        values, A = np.linalg.lstsq(J1, y, rcond=None)[0], J1
    else:
        values, A = _nonlinear_fit(constant, model, jac, np.concatenate([_start(t, x) for t in terms]), y)
    misfit = float(np.max(np.abs(np.asarray(model(jnp.asarray(values))) - y)) / np.max(np.abs(y)))
    require(misfit <= MAX_MISFIT, f"Constant({constant.label or constant.component}).region", constant.region,
            f"the reference is not {', '.join(constant.terms)} with constant coefficients here (misfit {misfit:.2g} "
            "of max|y|): narrow the region to where the asymptotic form holds, or give the terms an init near the constants")
    # the coefficient whose term would be as large as y: the scale a coefficient's error is judged on
    # when its own exact value is ~0 (a wave's absent sine) or its basis function is small
    scales = np.max(np.abs(y)) / np.maximum(np.max(np.abs(A), axis=0), 1e-300)
    names = [f"{t.name}.{c}" for t in terms for c in t.coefficients]
    return {n: (float(v), float(sc), misfit) for n, v, sc in zip(names, values, scales)}


def _start(term, x: np.ndarray) -> np.ndarray:
    """A term's starting constants over `x`: its ``init`` (mean of the function where it is one)."""
    if callable(term.init):
        return np.asarray(term.init(np.asarray(x)), dtype=np.float64).reshape(len(x), -1).mean(axis=0) * np.ones(term.n)
    return term.initial_values()


def _nonlinear_fit(constant: Constant, model, jac, c0: np.ndarray, y: np.ndarray):
    """Levenberg–Marquardt for the constants (misfit relative to ``max|y|``); refused if it fails."""
    size = float(np.max(np.abs(y)))
    fit = scipy.optimize.least_squares(lambda c: (np.asarray(model(jnp.asarray(c))) - y) / size, c0, method="lm",
                                       jac=lambda c: np.asarray(jac(jnp.asarray(c))) / size, xtol=1e-14, ftol=1e-14)
    require(bool(fit.success and np.all(np.isfinite(fit.fun))), f"Constant({constant.label or constant.component}).terms",
            constant.terms, "the exact constants did not converge from the terms' init: give an init near them")
    return fit.x, np.asarray(jac(jnp.asarray(fit.x)))


def all_exact_constants(constants, components, scale: str = "linear") -> list[dict]:
    """:func:`exact_constants` of every declared constant on its scoring grid — computed before
    training, so that a region that is not one (a :class:`~gluenn.ConfigError`) costs no training."""
    return [exact_constants(k, components[k.component].problem, components[k.component].reference, k.grid(scale=scale))
            for k in constants]


def score_constants(constants, solutions, exact: list[dict], scale: str = "linear") -> dict:
    """``{"component.term.coef@label": {"region", "pred", "true", "rel_err", "variation", "tolerance",
    "misfit"}}`` for every declared constant: the learned coefficient's mean over the region against the
    exact constant (`exact`: :func:`all_exact_constants` of the same constants, in order)."""
    out = {}
    for k, exact_k in zip(constants, exact, strict=True):
        learned = solutions[k.component].evaluate(k.grid(scale=scale)).coefficients
        for name, (true, size, misfit) in exact_k.items():
            c = learned[name]
            mean, scale_k = float(np.mean(c)), max(abs(true), size)
            out[f"{k.component}.{name}@{k.label or 'region'}"] = {
                "region": list(k.region), "pred": mean, "true": true, "rel_err": (mean - true) / scale_k,
                "variation": float((np.max(c) - np.min(c)) / max(abs(mean), size)), "tolerance": k.tolerance, "misfit": misfit}
    return out
