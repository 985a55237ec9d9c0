"""A trained GlueNN model as a function of ``x``: y, coefficients, terms, contributions."""

from __future__ import annotations

import dataclasses
from typing import Protocol

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError


class SolutionLike(Protocol):
    """Anything that can be scored and read out: the learned model, the SciPy reference, a
    matched baseline. ``y`` and ``dy`` take a NumPy array of ``x`` and return the same shape."""

    def y(self, x: np.ndarray) -> np.ndarray: ...

    def dy(self, x: np.ndarray) -> np.ndarray: ...


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """A GlueNN solution on a grid, all arrays of shape ``(N,)``.

    - `coefficients`: ``{"term.coef": c(x)}`` — the integration constants (after ``exp`` for
      positive terms); they should plateau where their term's patch holds.
    - `terms`: ``{term: f_j(x)}``; `fractions`: ``{term: f_j(x) / y(x)}`` (paper Figs. 2b-4b).
    """

    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    coefficients: dict
    terms: dict

    @property
    def fractions(self) -> dict:
        with np.errstate(divide="ignore", invalid="ignore"):
            return {k: v / self.y for k, v in self.terms.items()}


#: evaluations run on a multiple of this many points (the grid padded with its first point), so
#: that one compiled program serves every grid up to that size — a read-out at one point, a
#: coefficient grid, the scoring grid — instead of one tracing and compilation per grid size
BLOCK = 2048


@eqx.filter_jit
def _evaluate(a, x):
    # module-level: one compilation serves every Solution of the same problem (e.g. an ensemble)
    def one(xi):
        (yv, dyv) = a.derivatives(xi, 1)
        cs = a.coefficient_vectors(xi)
        return yv, dyv, jnp.concatenate([cs[t.name] for t in a.terms]), a.term_values(xi)
    return jax.vmap(one)(x)


class Solution:
    """The trained ansatz of a problem, evaluated on NumPy grids (jitted, float64)."""

    def __init__(self, ansatz, problem):
        self.ansatz = ansatz
        self.problem = problem
        self._names = problem.coefficient_names
        self._eval = _evaluate

    def evaluate(self, x) -> Evaluation:
        """y, y', the coefficients and the terms at the points `x` (any shape; flattened), which
        must lie in the problem's domain: outside it the network was never trained, and its
        coefficients mean nothing (a :class:`~gluenn.ConfigError` says so instead of extrapolating).
        Runs on the points padded to a multiple of :data:`BLOCK` (2048): one compiled program for
        every grid up to that size, and a point's values do not depend on the grid it is in."""
        try:
            x = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"x={x!r:.60} is invalid: give numbers (an array of points in the domain)") from None
        lo, hi = self.problem.domain
        slack = 1e-9 * (hi - lo)
        if x.size and not (np.all(np.isfinite(x)) and x.min() >= lo - slack and x.max() <= hi + slack):
            bad = float(x[~(np.isfinite(x) & (x >= lo - slack) & (x <= hi + slack))].ravel()[0])
            raise ConfigError(f"x={bad!r} is invalid: the solution is trained on the domain [{lo:g}, {hi:g}] only; "
                              "evaluate inside it (or widen the problem's domain and train again)")
        flat = x.ravel()
        n = flat.size
        padded = np.full(max(BLOCK, -(-n // BLOCK) * BLOCK), flat[0] if n else 0.5 * (lo + hi))
        padded[:n] = flat
        y, dy, c, terms = self._eval(self.ansatz, jnp.asarray(padded))
        c = np.asarray(c)[:n]
        return Evaluation(
            x=flat, y=np.asarray(y)[:n], dy=np.asarray(dy)[:n],
            coefficients={name: c[:, i] for i, name in enumerate(self._names)},
            terms={k: np.asarray(v)[:n] for k, v in terms.items()},
        )

    def y(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return self.evaluate(x).y.reshape(x.shape)

    def dy(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return self.evaluate(x).dy.reshape(x.shape)

    def coefficients(self, x) -> dict:
        return self.evaluate(x).coefficients


def mean_evaluation(evaluations: "list[Evaluation]") -> Evaluation:
    """The member-wise mean of evaluations on the same grid (an ensemble's prediction)."""
    if len(evaluations) == 1:
        return evaluations[0]
    first = evaluations[0]
    mean = lambda get: np.mean([get(e) for e in evaluations], axis=0)  # noqa: E731
    return Evaluation(x=first.x, y=mean(lambda e: e.y), dy=mean(lambda e: e.dy),
                      coefficients={k: mean(lambda e, k=k: e.coefficients[k]) for k in first.coefficients},
                      terms={k: mean(lambda e, k=k: e.terms[k]) for k in first.terms})
