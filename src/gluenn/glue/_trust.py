"""Can a fit be trusted? Checks that need no true solution, run after every fit.

- **residual**: the equation on a fresh grid, three points between every two training points of
  each :class:`~gluenn.Residual` set (never the training points), relative to the equation's own
  scale ``Σ_k |∂D/∂y⁽ᵏ⁾ · y⁽ᵏ⁾|`` — the size of the terms that must cancel — window by window
  (16 windows per set), so that a small region that is wrong is not averaged away by a large one
  that is right, and the user's normalisation (a training choice) does not enter.
- **data**: the misfit ``rms(y − h) / rms(h)`` of every :class:`~gluenn.Data` set: a fit that
  returns ``y ≈ 0`` for small data has a tiny loss but a misfit of 1.
- **plateau**: the relative variation ``(max − min) / max(|mean|, c*)`` of every coefficient a
  :class:`~gluenn.Plateau` set asks to be constant, where ``c*`` is the coefficient whose term
  would be as large as ``y`` there (a coefficient that is ~0 is judged by its share of ``y``).
- **training**: the optimiser stopped normally (not on a non-finite loss or an interruption).

The limits (:class:`TrustLimits`) were calibrated on measured runs (``docs/trust.md``): a check that
never fires, or fires on everything, is no check.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._problem import Data, Plateau, Problem, Residual


@dataclasses.dataclass(frozen=True)
class TrustLimits:
    """The largest value of each check that still counts as trusted (dimensionless)."""

    residual: float = 1e-2
    data: float = 1e-2
    plateau: float = 5e-2


@dataclasses.dataclass(frozen=True)
class Check:
    """One diagnostic: its `value`, the `limit` it is held to, and where it is worst (`where`)."""

    name: str
    value: float
    limit: float
    where: str = ""

    @property
    def passed(self) -> bool:
        return bool(np.isfinite(self.value) and self.value <= self.limit)

    def to_dict(self) -> dict:
        return {"value": float(self.value), "limit": self.limit, "passed": self.passed, "where": self.where}

    def reason(self) -> str:
        return f"{self.name} {self.value:.2g} > {self.limit:g}" + (f" ({self.where})" if self.where else "")


@dataclasses.dataclass(frozen=True)
class Trust:
    """The checks of a fit and their verdict: `trusted` only if every check passed."""

    checks: tuple[Check, ...]

    @property
    def trusted(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [c.reason() for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        return {"trusted": self.trusted, "reasons": self.reasons, "checks": {c.name: c.to_dict() for c in self.checks}}

    def line(self) -> str:
        """One line for the terminal: ``trusted: yes (residual 3e-06, data 1e-08, ...)``."""
        if self.trusted:
            return "trusted: yes (" + ", ".join(f"{c.name} {c.value:.1g} <= {c.limit:g}" for c in self.checks
                                                if c.name != "training") + ")"
        return "trusted: NO — " + "; ".join(self.reasons)

    def __add__(self, other: "Trust") -> "Trust":
        return Trust(self.checks + other.checks)


def diagnose(problem: Problem, ansatz, stop_ok: bool = True, limits: TrustLimits = TrustLimits()) -> Trust:
    """The :class:`Trust` of a trained `ansatz` (cost: one evaluation of ``y`` and its derivatives on
    about three times the residual points, compiled once)."""
    checks = [Check("training", 0.0 if stop_ok else 1.0, 0.0, "" if stop_ok else "the optimiser did not finish")]
    residual = _residual_check(problem, ansatz, limits.residual)
    data = _data_check(problem, ansatz, limits.data)
    plateau = _plateau_check(problem, ansatz, limits.plateau)
    return Trust(tuple(checks + [c for c in (residual, data, plateau) if c is not None]))


def _fresh(x: np.ndarray) -> np.ndarray:
    """Three points between every two neighbours of `x`: a grid never trained on."""
    x = np.unique(x)
    frac = np.array([0.25, 0.5, 0.75])
    return (x[:-1, None] + frac[None, :] * np.diff(x)[:, None]).ravel()


@eqx.filter_jit
def _relative_residual(ansatz, equation, x):
    def one(xi):
        derivs = ansatz.derivatives(xi, equation.order)
        res = lambda *d: jnp.reshape(equation.residual(xi, *d), ())  # noqa: E731
        r, grads = jax.value_and_grad(res, argnums=tuple(range(len(derivs))))(*derivs)
        return r, sum(jnp.abs(g * d) for g, d in zip(grads, derivs))
    return jax.vmap(one)(x)


def _residual_check(problem: Problem, ansatz, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for s in (s for s in problem.samples if isinstance(s, Residual)):
        x = _fresh(s.points.values())
        if x.size < 2:
            continue
        r, scale = (np.asarray(v) for v in _relative_residual(ansatz, problem.equation, jnp.asarray(x)))
        for idx in np.array_split(np.arange(x.size), max(1, min(16, x.size // 8))):
            num, den = np.sqrt(np.mean(r[idx] ** 2)), np.sqrt(np.mean(scale[idx] ** 2))
            ratio = num / den if den > 0 else (0.0 if num == 0 else np.inf)
            if not np.isfinite(ratio) or ratio > worst:
                worst, where = ratio, f"x in [{x[idx[0]]:.4g}, {x[idx[-1]]:.4g}]"
                if not np.isfinite(ratio):
                    return Check("residual", float("inf"), limit, where)
    return Check("residual", worst, limit, where) if where else None


def _data_check(problem: Problem, ansatz, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for s in (s for s in problem.samples if isinstance(s, Data)):
        x = s.points.values()
        h = s.targets(x)
        y = np.asarray(jax.vmap(ansatz.y)(jnp.asarray(x)))
        size = np.sqrt(np.mean(h**2))
        miss = np.sqrt(np.mean((y - h) ** 2)) / (size if size > 0 else max(np.max(np.abs(y)), 1e-300))
        if not np.isfinite(miss) or miss >= worst:
            worst, where = float(miss), s.name
    return Check("data", worst, limit, where) if where else None


def _plateau_check(problem: Problem, ansatz, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for s in (s for s in problem.samples if isinstance(s, Plateau)):
        # constant on each piece of the set: a union of intervals may hold a different constant on each
        pieces = [iv.values() for iv in s.points.intervals] + ([np.asarray(s.points.explicit)] if s.points.explicit else [])
        for x in (jnp.asarray(x) for x in pieces if len(x) > 1):
            for name, variation in _variations(problem, ansatz, s.terms, x).items():
                if not np.isfinite(variation) or variation >= worst:
                    worst, where = variation, f"{name} on {s.name}, x in [{float(x[0]):.4g}, {float(x[-1]):.4g}]"
    return Check("plateau", worst, limit, where) if where else None


def _variations(problem: Problem, ansatz, terms, x) -> dict:
    """``{"term.coef": (max − min) / max(|mean|, c*)}`` over the points `x`."""
    y = np.asarray(jax.vmap(ansatz.y)(x))
    coeffs = jax.vmap(ansatz.coefficient_vectors)(x)
    out = {}
    for t in (t for t in problem.terms if t.name in terms):
        c = np.asarray(coeffs[t.name])  # (N, n)
        basis = np.asarray(jax.vmap(lambda xi, ci, t=t: jax.jacfwd(lambda cc: jnp.reshape(t.fn(xi, cc), ()))(ci))(
            x, coeffs[t.name]))
        size = np.max(np.abs(y)) / np.maximum(np.max(np.abs(basis), axis=0), 1e-300)
        variation = np.ptp(c, axis=0) / np.maximum(np.abs(np.mean(c, axis=0)), size)
        out.update({f"{t.name}.{n}": float(v) for n, v in zip(t.coefficients, variation)})
    return out
