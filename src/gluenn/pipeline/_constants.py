"""Coefficients that the physics makes constant: declared regions, their exact constants from the
reference, and how flat and how right the learned coefficients are there.

In a region where a patch's asymptotic form is exact (or exact to a stated tolerance), ``y`` *is*
the named terms with constant coefficients. The exact constants come from the reference solution
itself: least squares of ``y_ref`` on the terms' basis functions ``∂f_j/∂c`` over the region (the
terms must be linear in their coefficients). The learned coefficient functions are then scored by
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

from .._errors import require


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
    """``{"term.coef": (value, scale)}``: least squares of the reference ``y`` on the terms' basis
    functions over `x` (a term must be linear in its coefficients), and for each the coefficient
    whose term would be as large as ``y`` there (``max|y| / max|∂f/∂c|``)."""
    columns, names = [], []
    for t in (t for t in problem.terms if t.name in constant.terms):
        basis = jax.vmap(lambda xi, t=t: jax.jacfwd(lambda c: jnp.reshape(t.fn(xi, c), ()))(jnp.ones(t.n)))(
            jnp.asarray(x))
        at = lambda scale, t=t: np.asarray(jax.vmap(lambda xi: jnp.reshape(t.fn(xi, scale * jnp.ones(t.n)), ()))(  # noqa: E731
            jnp.asarray(x)))
        linear = np.allclose(at(1.0), np.asarray(basis).sum(1), rtol=1e-9) and np.allclose(at(2.0), 2 * at(1.0), rtol=1e-9)
        require(bool(linear), f"Constant({constant.label}).terms", t.name,
                "a constant's terms must be linear in their coefficients")
        columns.append(np.asarray(basis))
        names += [f"{t.name}.{c}" for c in t.coefficients]
    A = np.concatenate(columns, axis=1)
    y = np.asarray(reference.y(x))
    values = np.linalg.lstsq(A, y, rcond=None)[0]
    # the coefficient whose term would be as large as y: the scale a coefficient's error is judged on
    # when its own exact value is ~0 (a wave's absent sine) or its basis function is small
    scales = np.max(np.abs(y)) / np.maximum(np.max(np.abs(A), axis=0), 1e-300)
    return {n: (float(v), float(sc)) for n, v, sc in zip(names, values, scales)}


def score_constants(constants, components, solutions, references, scale: str = "linear") -> dict:
    """``{"component.term.coef@label": {"region", "pred", "true", "rel_err", "variation"}}`` for every
    declared constant: the learned coefficient's mean over the region against the exact constant."""
    out = {}
    for k in constants:
        x = k.grid(scale=scale)
        exact = exact_constants(k, components[k.component].problem, references[k.component], x)
        learned = solutions[k.component].evaluate(x).coefficients
        for name, (true, size) in exact.items():
            c = learned[name]
            mean, scale = float(np.mean(c)), max(abs(true), size)
            out[f"{k.component}.{name}@{k.label or 'region'}"] = {
                "region": list(k.region), "pred": mean, "true": true, "rel_err": (mean - true) / scale,
                "variation": float((np.max(c) - np.min(c)) / max(abs(mean), size)), "tolerance": k.tolerance}
    return out
