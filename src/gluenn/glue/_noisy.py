"""Noisy data: the member of the equation's solutions that fits them best (least squares in σ).

A fit that treats measured values as exact bends the equation to follow their noise (a damped
oscillator sampled at 40 points with σ = 0.05: residual 0.054, y off by 2.6 %, flagged; measured).
With the noise declared (``Data(noise=σ)``), a *linear* equation's solutions that meet the exact
data are an affine family ``y = y₀ + Σ_k α_k u_k`` with m constants (the order less the exact conditions),
fixed here by the values ``y⁽ᵏ⁾(x₀) = α_k``, k < m, at the noisy point ``x₀`` nearest the middle of
their span. Each member is an exact-data problem, which the default solver meets to its tolerance:
``m + 1`` solves give ``y₀`` and the ``u_k``, the χ² of the noisy data is then a linear least-squares
problem in α, and one last solve at ``α*`` is the answer, judged by the trust checks against the
original problem (``chi2``: χ² per degree of freedom). A nonlinear equation has no such family; its
noisy data are fitted as they are, and the checks say whether that held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ._points import points
from ._problem import Data, Problem
from ._solution import Evaluation, Solution
from ._trust import free_constants

#: name prefix of the conditions that fix the family's constants (``noisy-y'(2.5)``)
PREFIX = "noisy-"
#: a direction of the constants moves the noisy data (in σ) by less than this fraction of the
#: direction that moves them most: unseen (the exact-data solves that span the family are accurate
#: to ~1e-7 of y; values at the nodes of sin x all but ignore its coefficient, ~1e-12)
SEEN = 1e-6


def has_noisy_data(problem: Problem) -> bool:
    return any(isinstance(s, Data) and s.noisy for s in problem.samples)


def free_conditions(problem: Problem) -> tuple[float, tuple[int, ...]]:
    """``(x₀, ks)``: where, and which derivatives ``y⁽ᵏ⁾(x₀)``, fix the constants the exact data and
    binding suppressions leave free (``order`` minus their conditions; none if they fix all)."""
    exact = {(float(x), s.derivative) for s in problem.samples if isinstance(s, Data) and not s.noisy
             for x in s.points.values()}
    noisy = np.concatenate([s.points.values() for s in problem.samples if isinstance(s, Data) and s.noisy])
    x0 = float(noisy[np.argmin(np.abs(noisy - 0.5 * (noisy.min() + noisy.max())))])
    m = free_constants(problem)
    ks = [k for k in range(problem.equation.order) if (x0, k) not in exact][:m]
    return x0, tuple(ks)


def conditioned(problem: Problem, x0: float, ks, values, scales) -> Problem:
    """`problem` with its noisy data replaced by the exact conditions ``y⁽ᵏ⁾(x₀) = value``."""
    added = tuple(Data(points([x0]), [float(v)], name=f"{PREFIX}y{chr(39) * k}({x0:g})", derivative=k, scale=float(c))
                  for k, v, c in zip(ks, values, scales))
    kept = tuple(s for s in problem.samples if not (isinstance(s, Data) and s.noisy))
    return dataclasses.replace(problem, samples=kept + added)


def _values(ansatz, s: Data) -> np.ndarray:
    x = jnp.asarray(s.points.values())
    return np.asarray(jax.jit(jax.vmap(lambda xi: ansatz.derivatives(xi, s.derivative)[s.derivative]))(x))


@dataclasses.dataclass(frozen=True)
class LeastSquares:
    """How a linear problem's noisy data were fitted (``Fit.noisy``).

    - `x0`, `conditions`: the values ``{name: y⁽ᵏ⁾(x₀)}`` of the best-fitting member.
    - `members`: the ansätze of ``y₀`` and of ``y₀ + u_k`` (the family's basis; one unit step in
      each condition), so that any read-out is affine in the conditions.
    - `directions`, `precisions`: the eigenvectors ``(m, m)`` (columns) of ``BᵀB`` and its eigenvalues
      ``(m,)``, with ``B`` the noisy data's change per unit step in standard deviations. The
      covariance of the conditions (in those unit steps) is ``(BᵀB)⁻¹``: the declared σ propagated (as
      SciPy's ``curve_fit(..., absolute_sigma=True)``), not rescaled by χ². A precision of 0 is a
      direction the data do not see (:data:`SEEN` of the largest): its variance is infinite.
    """

    x0: float
    conditions: dict
    members: tuple
    directions: np.ndarray
    precisions: np.ndarray

    @property
    def undetermined(self) -> list[str]:
        """The conditions the noisy data cannot fix (those with a share in an unseen direction)."""
        blind = self.directions[:, self.precisions == 0]
        return [name for name, row in zip(self.conditions, blind) if np.any(np.abs(row) > 1e-6)]

    def standard_deviations(self, problem: Problem, x) -> Evaluation:
        """One standard deviation of y, y', every coefficient and term at `x` (``(N,)`` each): ``inf``
        where a read-out depends on a direction the data do not fix."""
        evs = [Solution(a, problem).evaluate(x) for a in self.members]
        seen = self.precisions > 0
        inverse = np.where(seen, 1.0 / np.where(seen, self.precisions, 1.0), np.inf)

        def spread(get):
            g = np.stack([get(e) - get(evs[0]) for e in evs[1:]], axis=-1) @ self.directions  # (N, m)
            size = np.max(np.abs(g), axis=-1, keepdims=True)
            g = np.where(np.abs(g) > 1e-9 * size, g, 0.0)  # a read-out that does not move in a direction
            with np.errstate(invalid="ignore"):
                return np.sqrt(np.sum(np.where(g == 0, 0.0, g**2 * inverse), axis=-1))
        first = evs[0]
        return Evaluation(x=first.x, y=spread(lambda e: e.y), dy=spread(lambda e: e.dy),
                          coefficients={k: spread(lambda e, k=k: e.coefficients[k]) for k in first.coefficients},
                          terms={k: spread(lambda e, k=k: e.terms[k]) for k in first.terms})


def least_squares_member(problem: Problem, train: Callable) -> tuple[object, object, LeastSquares]:
    """``(ansatz, history, how)``: the solution of the linear `problem` that fits its noisy data best.

    `train(problem) -> (ansatz, history)` solves an exact-data problem from a fresh start. Cost:
    ``m + 2`` solves (m: the constants the noisy data fix)."""
    x0, ks = free_conditions(problem)
    noisy = [s for s in problem.samples if isinstance(s, Data) and s.noisy]
    length = problem.domain[1] - problem.domain[0]
    size = float(np.sqrt(np.mean(np.concatenate([(s.targets(s.points.values()) * length**s.derivative) ** 2
                                                 for s in noisy])))) or 1.0
    scales = [size / length**k for k in ks]
    h = np.concatenate([s.targets(s.points.values()) / s.sigma() for s in noisy])
    members = [np.zeros(len(ks))] + [np.eye(len(ks))[i] * scales[i] for i in range(len(ks))] if ks else []
    at, solved = [], []
    for values in members:  # the particular member y₀, then one per free constant
        solved.append(train(conditioned(problem, x0, ks, values, scales))[0])
        at.append(np.concatenate([_values(solved[-1], s) / s.sigma() for s in noisy]))
    values, directions, precisions = np.zeros(0), np.zeros((0, 0)), np.zeros(0)
    if ks:
        basis = np.stack([u - at[0] for u in at[1:]], axis=1)
        precisions, directions = np.linalg.eigh(basis.T @ basis)
        precisions = np.where(precisions > SEEN**2 * precisions.max(), precisions, 0.0)
        seen = precisions > 0  # the least-squares α of the directions the data see; 0 along the others
        values = directions[:, seen] @ ((directions[:, seen].T @ basis.T @ (h - at[0])) / precisions[seen])
        values = values * np.asarray(scales)
    final = conditioned(problem, x0, ks, values, scales)
    ansatz, history = train(final)
    conditions = {s.name: float(s.targets(s.points.values())[0]) for s in final.samples if s.name.startswith(PREFIX)}
    return ansatz, history, LeastSquares(x0, conditions, tuple(solved) if ks else (ansatz,), directions, precisions)
