"""The `integration` check's reference: the same equation and conditions solved by SciPy — an
error estimate from an independent method.

The residual check bounds how well ``y`` satisfies the equation, not how far ``y`` is from the
solution: errors that the residual allows grow along the domain with the solution's own growth
(``y'' + (1.2 + 0.4 cos 2x) y = 0`` on [0, 60]: residual 0.008, ``y`` off by 24 %, at every network
width). When the exact data are ``n`` point conditions of an order-``n`` equation at one or two
points, the solution is determined without any network:

- at one point (initial values ``y, …, y⁽ⁿ⁻¹⁾``), by an adaptive Runge–Kutta integration (DOP853,
  rtol 1e-10);
- at two points (a boundary-value problem), by collocation between them (SciPy's ``solve_bvp``,
  tol 1e-8, Newton from the fit's own ``y``: for a linear equation the start does not matter, for a
  nonlinear one it picks the solution nearest the fit), then DOP853 outwards to the rest of the domain.

Either is far more accurate than the check's limit (1e-2) wherever it converges; where it cannot,
no check is made, never a false verdict.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import numpy as np
import scipy.integrate

from ._problem import Data, Problem

#: right-hand-side evaluations one integration may take (both directions together): the work is
#: bounded; past it the check is not made (``None``), never a false verdict
MAX_EVALUATIONS = 300_000
RTOL = 1e-10
#: collocation: tolerance on the scaled residual, and the mesh size it may grow to
BVP_TOL, MAX_NODES = 1e-8, 50_000

Conditions = dict  # {(x, k): value of y⁽ᵏ⁾(x)}


class _OutOfBudget(Exception):
    pass


def point_conditions(problem: Problem) -> Conditions | None:
    """``{(x, k): value}`` when the problem's data are exact, real, and are exactly ``n`` conditions
    ``y⁽ᵏ⁾(x) = value`` (``k < n``, each once or repeated equal) of its order-``n`` equation at one or
    two points, no more; else ``None``: overdetermined or noisy data, or conditions at three points,
    have no single solution to compare with."""
    data = [s for s in problem.samples if isinstance(s, Data)]
    if not data or any(s.noisy for s in data):
        return None
    given: dict[tuple[float, int], set[float]] = {}
    for s in data:
        x = s.points.values()
        h = s.targets(x)
        if np.iscomplexobj(h) or h.shape != x.shape:
            return None
        for xi, hi in zip(x, h):
            given.setdefault((float(xi), s.derivative), set()).add(float(hi))
    n = problem.equation.order
    if len(given) != n or len({x for x, _ in given}) > 2 or any(k >= n or len(v) != 1 for (_, k), v in given.items()):
        return None
    return {key: next(iter(v)) for key, v in given.items()}


def initial_values(problem: Problem) -> tuple[float, np.ndarray] | None:
    """``(x0, (y(x0), …, y⁽ⁿ⁻¹⁾(x0)))`` when :func:`point_conditions` are all at one point, else ``None``."""
    conditions = point_conditions(problem)
    if conditions is None or len({x for x, _ in conditions}) != 1:
        return None
    x0 = next(iter(conditions))[0]
    return x0, np.array([conditions[(x0, k)] for k in range(problem.equation.order)])


def solve(problem: Problem, conditions: Conditions, x: np.ndarray, guess: Callable, size: float = 0.0) -> np.ndarray | None:
    """``y`` at `x` of the solution of `problem`'s equation with :func:`point_conditions`
    `conditions`: :func:`integrate` from initial values, or :func:`collocate` between two points
    (`guess`: ``x -> (y, …, y⁽ⁿ⁻¹⁾)``, shape ``(n, len(x))``, the start of its Newton iteration) and
    :func:`integrate` outwards from its ends. NaN where the solution was not reached; ``None`` where
    no reference can be made (see those functions)."""
    points = sorted({xi for xi, _ in conditions})
    n = problem.equation.order
    if len(points) == 1:
        return integrate(problem, points[0], np.array([conditions[(points[0], k)] for k in range(n)]), x, size)
    solution = collocate(problem, conditions, guess)
    if solution is None:
        return None
    (a, b), y = points, np.full_like(x, np.nan)
    inside = (x >= a) & (x <= b)
    y[inside] = solution(x[inside])[0]
    for end, side in ((a, x < a), (b, x > b)):
        if side.any():
            outside = integrate(problem, end, solution(np.array([end]))[:, 0], x[side], size)
            if outside is None:
                return None
            y[side] = outside
    return y


def integrate(problem: Problem, x0: float, state0: np.ndarray, x: np.ndarray, size: float = 0.0) -> np.ndarray | None:
    """``y`` of the equation's solution from ``state0`` at `x` (any order, both sides of `x0`), by
    DOP853 (rtol 1e-10, atol 1e-12 of `size`, the expected size of ``y``, or of the initial values if
    larger: zero initial values must not ask for zero absolute error), NaN beyond where the integration
    stopped (a blow-up, a singular point of the equation); ``None`` if the equation is not linear in
    its highest derivative (checked at `x0`), or past :data:`MAX_EVALUATIONS`. Cost: up to that many
    compiled evaluations of the equation, ~10 µs each (dark photon's default problem: 0.1 s)."""
    f = problem.equation.explicit
    if not problem.equation.is_explicit_at(x0, state0):
        return None
    f_jit, calls = jax.jit(lambda xi, s: f(xi, s)[0]), [0]

    def rhs(xi, s):
        calls[0] += 1
        if calls[0] > MAX_EVALUATIONS:
            raise _OutOfBudget
        return np.asarray(f_jit(xi, s))

    y = np.full_like(x, np.nan)
    atol = 1e-12 * max(float(np.max(np.abs(state0))), size, 1e-300)
    with np.errstate(all="ignore"):
        try:
            for side in (x >= x0, x < x0):
                end = (x[side].max() if x[side].max() > x0 else x[side].min()) if side.any() else x0
                if end == x0:
                    y[side & (x == x0)] = state0[0]
                    continue
                sol = scipy.integrate.solve_ivp(rhs, (x0, end), state0, method="DOP853", rtol=RTOL, atol=atol,
                                                dense_output=True)
                reached = side & ((x - x0) * (sol.t[-1] - x0) >= 0) & (np.abs(x - x0) <= abs(sol.t[-1] - x0))
                if reached.any() and sol.sol is not None:
                    y[reached] = sol.sol(x[reached])[0]
        except _OutOfBudget:
            return None
    return y


def collocate(problem: Problem, conditions: Conditions, guess: Callable, points: int = 256) -> Callable | None:
    """The solution between the two points of `conditions` by SciPy's ``solve_bvp`` (4th-order
    collocation, tol :data:`BVP_TOL` on the residual of the state scaled by `guess`'s size, mesh up to
    :data:`MAX_NODES`), Newton started from `guess` on `points` points: ``x -> state``, shape
    ``(n, len(x))``; ``None`` if it does not converge (no solution near the guess, a singular
    problem, the mesh bound) or the equation is not linear in its highest derivative there. Cost:
    a few compiled evaluations of the equation and its Jacobian on the mesh per Newton step (0.3 s
    for ``y'' + y = 0`` on [0, 31]: 5 000 nodes)."""
    (a, b), n = sorted({xi for xi, _ in conditions}), problem.equation.order
    mesh = np.linspace(a, b, points)
    start = np.asarray(guess(mesh), dtype=float).reshape(n, points)
    f = problem.equation.explicit
    if not np.all(np.isfinite(start)) or not problem.equation.is_explicit_at(a, start[:, 0]):
        return None
    size = float(np.max(np.abs(start[0]))) or 1.0  # a derivative counts at least as y changing by its size over [a, b]
    scale = np.maximum(np.max(np.abs(start), axis=1), size / (b - a) ** np.arange(n))[:, None]
    rhs = jax.jit(jax.vmap(lambda xi, s: f(xi, s)[0], in_axes=(0, 1), out_axes=1))
    jac = jax.jit(jax.vmap(jax.jacfwd(lambda xi, s: f(xi, s)[0], argnums=1), in_axes=(0, 1), out_axes=2))
    rows = sorted(conditions)

    def bc(ua, ub):
        return np.array([(ua if xi == a else ub)[k] * scale[k, 0] - v for (xi, k), v in
                         ((r, conditions[r]) for r in rows)]) / scale[[k for _, k in rows], 0]

    with np.errstate(all="ignore"):
        sol = scipy.integrate.solve_bvp(
            lambda xi, u: np.asarray(rhs(xi, u * scale)) / scale, bc, mesh, start / scale,
            fun_jac=lambda xi, u: np.asarray(jac(xi, u * scale)) * scale.T[:, :, None] / scale[:, :, None],
            tol=BVP_TOL, max_nodes=MAX_NODES)
    if sol.status != 0 or not np.all(np.isfinite(sol.y)):
        return None
    return lambda xi: sol.sol(xi) * scale
