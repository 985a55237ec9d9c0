"""SciPy reference solutions: an independent stiff solver at tight tolerances.

The same :class:`~gluenn.Equation` a user trains on is turned into an explicit first-order
system (``y^(n) = -R(x, y, ..., y^(n-1), 0) / ∂R/∂y^(n)``, exact for equations linear in the
highest derivative — checked at the start point) and integrated with Radau (implicit, order 5)
by default; a non-stiff problem may ask for ``method="DOP853"`` (explicit, order 8), which is
one to two orders of magnitude cheaper at the same tolerance there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import scipy.integrate

from .._errors import ConfigError, require
from ..glue import Equation


#: SciPy methods that use a Jacobian (the others ignore `jac`).
IMPLICIT = ("Radau", "BDF", "LSODA")
METHODS = ("RK45", "RK23", "DOP853") + IMPLICIT


class ReferenceSolution:
    """A dense SciPy solution; ``y(x)``, ``dy(x)`` and ``state(x)`` on any ``x`` in its span."""

    def __init__(self, sol, span: tuple[float, float], rhs: Callable, info: dict):
        self._sol = sol
        self.span = (min(span), max(span))
        self._rhs = rhs
        self.info = info

    def _check(self, x):
        lo, hi = self.span
        tol = 1e-12 * max(1.0, abs(lo), abs(hi))
        if np.any(x < lo - tol) or np.any(x > hi + tol):
            raise ConfigError(f"x in [{x.min()}, {x.max()}] is invalid: the reference only covers "
                              f"[{lo}, {hi}]; solve it over the whole domain")

    def state(self, x) -> np.ndarray:
        """``(y, y', ..., y^(n-1))`` at ``x``: shape ``(n,) + x.shape``."""
        x = np.asarray(x, dtype=np.float64)
        self._check(x)
        return self._sol(x.ravel()).reshape((-1,) + x.shape)

    def y(self, x) -> np.ndarray:
        return self.state(x)[0]

    def dy(self, x) -> np.ndarray:
        s = self.state(x)
        if s.shape[0] >= 2:
            return s[1]
        x = np.asarray(x, dtype=np.float64)
        return np.array([self._rhs(xi, si)[0] for xi, si in zip(x.ravel(), s.reshape(1, -1).T)]).reshape(x.shape)


class _Budget:
    """Counts right-hand-side calls and stops a solve that would run for minutes (e.g. a domain
    that holds millions of oscillations after a mistyped parameter)."""

    def __init__(self, rhs, limit: int, where: str):
        self.rhs, self.limit, self.where, self.calls = rhs, limit, where, 0

    def __call__(self, x, s):
        self.calls += 1
        if self.calls > self.limit:
            raise ConfigError(f"max_evaluations={self.limit} is too few for the reference solve {self.where}: "
                              "check the domain length against the problem's scales (a mistyped parameter?), "
                              "or raise max_evaluations")
        return self.rhs(x, s)


def solve_ivp(rhs: Callable, x0: float, state0: Sequence[float], x_end: float, *,
              method: str = "Radau", rtol: float = 1e-11, atol: float = 1e-14,
              jac: Callable | None = None, max_evaluations: int = 1_000_000) -> ReferenceSolution:
    """Integrate ``d state/dx = rhs(x, state)`` from ``x0`` to ``x_end`` (either direction).

    `rhs` takes and returns NumPy arrays. Raises :class:`~gluenn.ConfigError` if the solver fails
    or needs more than `max_evaluations` calls of `rhs`.
    """
    state0 = np.asarray(state0, dtype=np.float64)
    require(method in METHODS, "method", method, f"use one of {', '.join(METHODS)}")
    require(bool(np.all(np.isfinite(state0))), "reference initial state", state0.tolist(),
            "the initial condition must be finite")
    implicit = {"jac": jac} if method in IMPLICIT else {}
    budget = _Budget(rhs, max_evaluations, f"from x={x0:g} to {x_end:g}")
    res = scipy.integrate.solve_ivp(budget, (x0, x_end), state0, method=method, rtol=rtol, atol=atol,
                                    dense_output=True, **implicit)
    if not res.success:
        raise ConfigError(f"reference solve from x={x0} to {x_end} failed ({res.message}); "
                          "check the parameters (a stiffer or longer problem than the reference can follow)")
    info = {"method": method, "rtol": rtol, "atol": atol, "nfev": int(res.nfev), "steps": int(res.t.size)}
    return ReferenceSolution(res.sol, (x0, x_end), rhs, info)


def solve_equation(equation: Equation, x0: float, state0: Sequence[float], x_end: float,
                   **kwargs) -> ReferenceSolution:
    """Solve the trained-on :class:`~gluenn.Equation` with SciPy from ``state0 = (y, ..., y^(n-1))``.

    Other keyword arguments go to :func:`solve_ivp` (`method`, `rtol`, `atol`).
    """
    n = equation.order
    state0 = np.asarray(state0, dtype=np.float64)
    require(state0.shape == (n,), "reference initial state", state0.tolist(),
            f"an order-{n} equation needs {n} initial values (y, ..., y^({n - 1}))")

    f = lambda x, s: equation.explicit(x, s)[0]  # noqa: E731
    f_jit = jax.jit(f)
    jac_jit = jax.jit(jax.jacfwd(f, argnums=1))
    if not equation.is_explicit_at(x0, state0):
        raise ConfigError("Equation.residual is not linear in its highest derivative at the start "
                          "point; give gluenn.reference.solve_ivp an explicit rhs instead")
    rhs = lambda x, s: np.asarray(f_jit(x, s))  # noqa: E731
    jac = lambda x, s: np.asarray(jac_jit(x, s))  # noqa: E731
    return solve_ivp(rhs, x0, state0, x_end, jac=jac, **kwargs)


def trajectory(rhs: Callable, state0: Sequence[float], t_eval, *, method: str = "Radau", rtol: float = 1e-10,
               atol: float = 1e-10, jac: Callable | None = None, max_evaluations: int = 1_000_000) -> np.ndarray:
    """States of ``d z/dt = rhs(t, z)`` (NumPy in and out) at the increasing times `t_eval`,
    from ``z(t_eval[0]) = state0``; shape ``(T, D)``. Stiff-safe default (Radau).

    Raises :class:`~gluenn.ConfigError` if the solver fails.
    """
    t_eval = np.asarray(t_eval, dtype=np.float64)
    state0 = np.asarray(state0, dtype=np.float64)
    require(t_eval.ndim == 1 and len(t_eval) >= 2 and bool(np.all(np.diff(t_eval) > 0)), "t_eval",
            t_eval.shape, "give at least two increasing times")
    require(method in METHODS, "method", method, f"use one of {', '.join(METHODS)}")
    require(bool(np.all(np.isfinite(state0))), "reference initial state", state0.tolist(), "must be finite")
    implicit = {"jac": jac} if method in IMPLICIT else {}
    budget = _Budget(rhs, max_evaluations, f"over t in [{t_eval[0]:g}, {t_eval[-1]:g}]")
    res = scipy.integrate.solve_ivp(budget, (t_eval[0], t_eval[-1]), state0, method=method, rtol=rtol, atol=atol,
                                    t_eval=t_eval, **implicit)
    if not res.success:
        raise ConfigError(f"reference solve over [{t_eval[0]}, {t_eval[-1]}] failed ({res.message}); "
                          "check the parameters (a stiffer or longer problem than the reference can follow)")
    return res.y.T
