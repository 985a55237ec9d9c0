"""Can a fit be trusted? Checks that need no true solution, run after every fit.

- **residual**: the equation on a fresh grid — three points between every two training points of
  each :class:`~gluenn.Residual` set (never the training points), and a grid over the parts of the
  domain that no residual set spans (``y`` claims to solve the equation there too) — relative to the equation's own
  scale ``Σ_k |∂D/∂y⁽ᵏ⁾| · max(|y⁽ᵏ⁾|, rms(y)/ℓᵏ)`` — the size of the terms that must cancel, a
  derivative counting at least as much as ``y`` changing by its size over the window's length ℓ —
  window by window
  (16 windows per set), so that a small region that is wrong is not averaged away by a large one
  that is right, and the user's normalisation (a training choice) does not enter.
- **data**: the misfit ``rms(y − h) / rms(h)`` of every :class:`~gluenn.Data` set: a fit that
  returns ``y ≈ 0`` for small data has a tiny loss but a misfit of 1; and 1 when the data and the
  binding suppressions are fewer conditions than the equation's order.
- **plateau**: the relative variation ``(max − min) / max(|mean|, c*)`` of every coefficient a
  :class:`~gluenn.Plateau` set asks to be constant, where ``c*`` is the coefficient whose term
  would be as large as ``y`` there (a coefficient that is ~0 is judged by its share of ``y``).
- **gauge**: on each Plateau set, the share of ``y`` carried by terms that no Plateau holds constant
  there (free coefficients absorb any change of the plateau's constants).
- **suppression**: the size of the terms a :class:`~gluenn.Suppress` set asks to vanish, relative to
  ``y`` there (``rms(f) / rms(y)`` window by window; for ``coefficients=True`` each coefficient's
  term at its largest basis value; tie-breakers of priority 2, such as a weak magnitude penalty, are not checked): the
  read-outs mean what they say only if each term lives where it was declared.
  Measured: an exact ``y`` whose suppressed series term was as large as ``y`` read Bessel's
  amplitude as 30.9 instead of 1 with every other check passing.
- **training**: the optimiser stopped normally (not on a non-finite loss or an interruption).
- **resolution** (:func:`resolution_check`, fits that :func:`~gluenn.fit` widens): ``y`` against a
  refit with twice the network's trunk width, window by window. A residual within its limit
  everywhere can still add up to a wrong ``y`` over a long domain (``y = sin x`` on [0, 100]:
  residual 0.006, ``y`` off by 8.7 % at the end, the phase drifting); the wider refit shows it.
- **integration** (:func:`integration_check`, initial- and two-point boundary-value problems):
  ``y`` against SciPy's solution of the same equation and conditions (DOP853 integration, or
  collocation between the two points) — an independent method, so it also sees errors that every
  network width shares (a growing Mathieu solution: residual 0.008, ``y`` off by 24 %).

The limits (:class:`TrustLimits`) were calibrated on measured runs (``docs/trust.md``): a check that
never fires, or fires on everything, is no check.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.stats

from ._reference import point_conditions, solve
from ._problem import Data, Plateau, Problem, Residual, Suppress


@dataclasses.dataclass(frozen=True)
class TrustLimits:
    """The largest value of each check that still counts as trusted (dimensionless)."""

    residual: float = 1e-2
    data: float = 1e-2
    plateau: float = 5e-2
    gauge: float = 5e-2
    suppression: float = 5e-2
    resolution: float = 1e-2
    integration: float = 1e-2


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

    @classmethod
    def from_dict(cls, d: dict) -> "Trust":
        """The inverse of :meth:`to_dict`, e.g. a run's ``metrics.json["trust"]`` read back."""
        return cls(tuple(Check(name, float(c["value"]), float(c["limit"]), c.get("where", ""))
                         for name, c in d.get("checks", {}).items()))

    def line(self) -> str:
        """One line for the terminal: ``trusted: yes (residual 3e-06, data 1e-08, ...)``."""
        if self.trusted:
            return "trusted: yes (" + ", ".join(f"{c.name} {c.value:.1g} <= {c.limit:g}" for c in self.checks
                                                if c.name != "training") + ")"
        return "trusted: NO — " + "; ".join(self.reasons)

    def __add__(self, other: "Trust") -> "Trust":
        return Trust(self.checks + other.checks)


def diagnose(problem: Problem, ansatz, stop_ok: bool = True, limits: TrustLimits = TrustLimits(),
             equation=None, fitted: int = 0) -> Trust:
    """The :class:`Trust` of a trained `ansatz` (cost: one compiled evaluation of ``y`` and its
    derivatives on about three times the residual points, and of ``y`` and the coefficients on the
    data and plateau points). `equation`: the residual to check (default ``problem.equation``; a
    family passes one that takes θ as an argument, so the evaluation is compiled once for all θ).
    `fitted`: how many unknown parameters were fitted to the data (degrees of freedom for ``chi2``).
    An initial- or two-point boundary-value problem (the default `equation`, nothing fitted) also gets
    the `integration` check (:func:`integration_check`: one SciPy solve, ~0.1–0.5 s)."""
    checks = [Check("training", 0.0 if stop_ok else 1.0, 0.0, "" if stop_ok else "the optimiser did not finish")]
    residual_sets = [(s, _fresh(s.points.values())) for s in problem.samples if isinstance(s, Residual)]
    residual_sets = [(s, x) for s, x in residual_sets if x.size >= 2]
    uncovered = _uncovered(problem)
    if uncovered.size >= 8:  # with no residual set at all, the whole domain: the equation was imposed nowhere
        residual_sets.append((None, uncovered))
    data_sets = [s for s in problem.samples if isinstance(s, Data)]
    pieces = [(s, x) for s in problem.samples if isinstance(s, Plateau) for x in _pieces(s.points) if len(x) > 1]
    suppressed = [s for s in problem.samples if isinstance(s, Suppress) and s.weight > 0 and s.priority <= 1]
    x_res = [x for _, x in residual_sets]
    x_at = [s.points.values() for s in data_sets] + [x for _, x in pieces] + [s.points.values() for s in suppressed]
    res, at = _evaluate(ansatz, problem.equation if equation is None else equation, _joined(x_res), _joined(x_at))
    res, values = _split(res, [len(x) for x in x_res]), _split(at, [len(x) for x in x_at])
    residual = _residual_check(residual_sets, res, limits.residual)
    data_values = [_data_values(ansatz, s, v[0]) for s, v in zip(data_sets, values)]
    data = _data_check(problem, ansatz, data_sets, data_values, limits.data)
    chi2 = _chi2_check(problem, data_sets, data_values, fitted)
    n_fixed = len(data_sets) + len(pieces)
    plateau = _plateau_check(problem, pieces, values[len(data_sets):n_fixed], limits.plateau)
    accuracy = max([c.value for c in (residual, data) if c is not None and np.isfinite(c.value)], default=limits.data)
    gauge = _gauge_check(problem, pieces, values[len(data_sets):n_fixed], limits.gauge, max(accuracy, 1e-12))
    suppression = _suppression_check(problem, suppressed, values[n_fixed:], limits.suppression)
    integration = integration_check(problem, ansatz, limits.integration) if equation is None and not fitted else None
    return Trust(tuple(checks + [c for c in (residual, data, chi2, plateau, gauge, suppression, integration) if c is not None]))


def _uncovered(problem: Problem, n: int = 2048) -> np.ndarray:
    """Points of the domain outside every residual set's span: ``y`` claims to solve the equation
    there too, but no residual point ever asked it to (a data patch, a gap between sets): 2048 over
    the domain (why so many: ``docs/trust.md``)."""
    lo, hi = problem.domain
    x = np.geomspace(lo, hi, n) if lo > 0 and hi / lo >= 100 else np.linspace(lo, hi, n)
    inside = np.zeros(n, dtype=bool)
    for s in (s for s in problem.samples if isinstance(s, Residual)):
        pts = s.points.values()
        inside |= (x >= pts.min()) & (x <= pts.max())
    return x[~inside]


def _joined(xs: list) -> jnp.ndarray:
    """The point sets end to end (one point when there are none: the evaluation is compiled once)."""
    return jnp.asarray(np.concatenate(xs) if xs else np.zeros(1))


@eqx.filter_jit
def _evaluate(ansatz, equation, x_res, x_at):
    """``(D, (y, y', …), (∂D/∂y, ∂D/∂y', …))`` at `x_res` and ``(y, {term: c}, {term: ∂f/∂c}, {term: f})``
    at `x_at`."""
    def residual(xi):
        derivs = ansatz.derivatives(xi, equation.order)
        res = lambda *d: jnp.reshape(equation.residual(xi, *d), ())  # noqa: E731
        r, grads = jax.value_and_grad(res, argnums=tuple(range(len(derivs))))(*derivs)
        return r, jnp.stack(derivs), jnp.stack(grads)

    def at(xi):
        cs = ansatz.coefficient_vectors(xi)
        basis = {t.name: jax.jacfwd(lambda c, t=t: jnp.reshape(t.fn(xi, c), ()))(cs[t.name]) for t in ansatz.terms}
        return ansatz.y(xi), cs, basis, ansatz.term_values(xi)
    return jax.vmap(residual)(x_res), jax.vmap(at)(x_at)


def _split(values, sizes: list[int]) -> list:
    """The pytree of arrays `values` cut along its first axis into consecutive pieces of `sizes`."""
    edges = np.cumsum([0] + sizes)
    return [jax.tree_util.tree_map(lambda v, a=a, b=b: np.asarray(v)[a:b], values) for a, b in zip(edges[:-1], edges[1:])]


def _pieces(points) -> list[np.ndarray]:
    """Each interval of a point set on its own (a plateau may hold a different constant on each), the
    explicit points together."""
    return [iv.values() for iv in points.intervals] + ([np.asarray(points.explicit)] if points.explicit else [])


def _fresh(x: np.ndarray) -> np.ndarray:
    """Three points between every two neighbours of `x`: a grid never trained on."""
    x = np.unique(x)
    frac = np.array([0.25, 0.5, 0.75])
    return (x[:-1, None] + frac[None, :] * np.diff(x)[:, None]).ravel()


def _residual_check(residual_sets, values, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for (s, x), (r, derivs, grads) in zip(residual_sets, values):
        for idx in np.array_split(np.arange(x.size), max(1, min(16, x.size // 8))):
            scale = _window_scale(x[idx], derivs[idx], grads[idx])
            num, den = np.sqrt(np.mean(r[idx] ** 2)), np.sqrt(np.mean(scale ** 2))
            ratio = num / den if den > 0 else (0.0 if num == 0 else np.inf)
            if not np.isfinite(ratio) or ratio > worst:
                worst, where = ratio, f"x in [{x[idx[0]]:.4g}, {x[idx[-1]]:.4g}]" + (" (no residual points there)" if s is None else "")
                if not np.isfinite(ratio):
                    return Check("residual", float("inf"), limit, where)
    return Check("residual", float(worst), limit, where) if where else None


def _window_scale(x, derivs, grads) -> np.ndarray:
    """``Σ_k |∂D/∂y⁽ᵏ⁾| · max(|y⁽ᵏ⁾|, rms(y) / ℓᵏ)`` at each point of a window of length ℓ: the size of
    the equation's terms, where a derivative counts at least as much as ``y`` changing by its own
    size across the window (a frozen-out ``y`` with ``y' ≈ 0`` is judged by how the residual moves
    ``y`` there, not by the relative error of a negligible slope)."""
    span = max(float(np.ptp(x)), 1e-300)
    y_size = np.sqrt(np.mean(derivs[:, 0] ** 2))
    floor = y_size / span ** np.arange(derivs.shape[1])
    return np.sum(np.abs(grads) * np.maximum(np.abs(derivs), floor[None, :]), axis=1)


def _data_values(ansatz, s: Data, y: np.ndarray, x=None) -> np.ndarray:
    """What a data set constrains at its points (or at `x`): ``y`` itself, or ``y⁽ᵏ⁾`` for ``derivative=k``."""
    if not s.derivative:
        return y
    x = jnp.asarray(s.points.values()) if x is None else x
    # one compiled program (evaluated op by op, the network's ~40 operations each compiled alone)
    return np.asarray(jax.jit(jax.vmap(lambda xi: ansatz.derivatives(xi, s.derivative)[s.derivative]))(x))


def _data_check(problem: Problem, ansatz, sets, values, limit: float) -> Check | None:
    undetermined = _undetermined(problem, sets)
    if undetermined:
        return Check("data", 1.0, limit, undetermined)
    worst, where = 0.0, ""
    for s, y in zip(sets, values):
        if s.noisy:  # judged by the chi2 check
            continue
        h = s.targets(s.points.values())
        size = np.sqrt(np.mean(h**2))
        if not size > 0:  # y(0) = 0: judged against the size of y (or y^(k)) over the domain
            grid = jnp.linspace(*problem.domain, 256)
            size = max(float(np.max(np.abs(_data_values(ansatz, s, np.asarray(jax.vmap(ansatz.y)(grid)), grid)))), 1e-300)
        miss = np.sqrt(np.mean((y - h) ** 2)) / size
        if not np.isfinite(miss) or miss >= worst:
            worst, where = float(miss), s.name
            if miss > limit and h.size > problem.equation.order:  # more values than conditions: measured?
                where += f" ({h.size} values held as exact; if they are measured, declare their noise: gn.Data(..., noise=sigma))"
    return Check("data", worst, limit, where) if where else None


def _chi2_check(problem: Problem, sets, values, fitted: int = 0, p_value: float = 1e-3) -> Check | None:
    """χ² per degree of freedom of the noisy data, ``Σ ((y − h)/σ)² / ν`` with ``ν = N − m − fitted``
    (m: the integration constants they fix, :func:`free_constants`; `fitted`: unknown parameters
    fitted to them too), held to the ``1 − p_value`` quantile of χ²_ν / ν:
    a fit that misses the data by more than their noise allows (the equation, its parameters or the
    fit are wrong, or σ is too small) fails it about once in 1/p_value correct fits. A χ²/ν far below 1
    (σ overstated, or a fit that bends the equation to follow the noise, which the residual check
    catches) passes: it is not an error in the answer."""
    noisy = [(s, y) for s, y in zip(sets, values) if s.noisy]
    if not noisy:
        return None
    chi2 = sum(float(np.sum(((y - s.targets(s.points.values())) / s.sigma()) ** 2)) for s, y in noisy)
    n = sum(s.points.values().size for s, _ in noisy)
    dof = max(n - free_constants(problem) - fitted, 1)
    limit = float(scipy.stats.chi2.ppf(1 - p_value, dof)) / dof
    value = chi2 / dof if np.isfinite(chi2) else float("inf")
    return Check("chi2", value, round(limit, 3), f"{', '.join(s.name for s, _ in noisy)}: {n} noisy points, ν = {dof}")


def _undetermined(problem: Problem, sets) -> str | None:
    """Why the data cannot fix the solution, or None: no Data set at all (y = 0 solves a homogeneous
    equation; a forced one has a family of solutions), or fewer conditions than the equation's order.
    Conditions are values of y or of a derivative at distinct points, and those of each *binding*
    Suppress set (a term declared absent: an outgoing wave only, a decaying form only). A suppression
    binds where every other term alive there is held constant by a Plateau: y is then confined to
    the held forms, ``order − (their number of constants)`` conditions. Where a term alive there has a
    free coefficient (any function) it can carry the very form declared absent, and the suppression
    fixes nothing (Airy's ``y'' = x y`` with y(4) and the growing term suppressed on the right, the
    decaying term's coefficient free there: y = Ai + β Bi for any β fits). A Plateau set alone is no
    condition (``y'' + y = 0`` with a plateau on ``a cos x + b sin x`` and only ``y(0) = 1`` came
    back as b ≈ 0, trusted). A count, so a necessary condition only: enough conditions can still
    leave a resonant boundary-value problem open."""
    if not sets:
        return "no Data set: nothing fixes the solution's integration constants; add gn.Data with initial or boundary values"
    conditions = {(float(x), s.derivative) for s in sets for x in s.points.values()}
    order = problem.equation.order
    bound = _suppressed_conditions(problem, order) if len(conditions) < order else {}
    total = len(conditions) + sum(n for n in bound.values() if isinstance(n, int))
    if total >= order:
        return None
    given = ", ".join("y" + ("'" * k if k < 4 else f"^({k})") + f"({x:g})" for x, k in sorted(conditions, key=lambda c: c[::-1]))
    given += "".join(f", {n} by {name}" for name, n in bound.items() if isinstance(n, int) and n)
    loose = {name: free for name, free in bound.items() if not isinstance(free, int)}
    why = "".join(f"; {name} fixes nothing: {'+'.join(free)} {'is' if len(free) == 1 else 'are'} alive there with a free "
                  "coefficient, which can carry the suppressed form (hold it constant there with gn.Plateau)"
                  for name, free in loose.items())
    return (f"the data fix {total} condition{'s' * (total != 1)} ({given}) and the equation is of order {order}: "
            f"a family of solutions fits them; add more with gn.Data (a value at another point, or a derivative: "
            f"derivative=k){why}")


def free_constants(problem: Problem) -> int:
    """How many integration constants the noisy data must fix: the equation's order less the
    conditions of the exact data (values of y or a derivative at distinct points) and of the binding
    :class:`~gluenn.Suppress` sets (a term declared absent where every other term alive is held by a
    Plateau; see the data check)."""
    bound = _suppressed_conditions(problem, problem.equation.order)
    return max(problem.equation.order - len(exact_conditions(problem)) - sum(n for n in bound.values() if isinstance(n, int)), 0)


def exact_conditions(problem: Problem) -> set[tuple[float, int]]:
    """``{(x, k)}``: the values ``y⁽ᵏ⁾(x)`` the problem's exact (not noisy) data fix."""
    return {(float(x), s.derivative) for s in problem.samples if isinstance(s, Data) and not s.noisy
            for x in s.points.values()}


def _suppressed_conditions(problem: Problem, order: int) -> dict[str, int | tuple[str, ...]]:
    """``{suppress set: conditions it imposes}``: ``order −`` the constants of the terms alive and held
    at its most binding point, or, where at every point some term alive there is free, the names of
    those free terms. Spans: each set's ``[min, max]``."""
    sets = [s for s in problem.samples if isinstance(s, (Suppress, Plateau)) and s.weight > 0 and s.priority <= 1]

    def spans(kind):  # a tie-breaker of priority 2 (a weak magnitude penalty) declares nothing absent
        return [(x.min(), x.max(), set(s.terms)) for s in sets if isinstance(s, kind) for x in _pieces(s.points) if len(x)]
    absent, held = spans(Suppress), spans(Plateau)

    def conditions_at(xi: float) -> int | tuple[str, ...]:
        gone = set().union(*(ts for lo, hi, ts in absent if lo <= xi <= hi))
        kept = set().union(*(ts for lo, hi, ts in held if lo <= xi <= hi))
        alive = [t for t in problem.terms if t.name not in gone]
        free = tuple(t.name for t in alive if t.name not in kept)
        return free or max(0, order - sum(t.n for t in alive))
    out = {}
    for s in (s for s in sets if isinstance(s, Suppress)):
        at = [conditions_at(float(xi)) for xi in s.points.values()]
        counts = [n for n in at if isinstance(n, int)]
        out[s.name] = max(counts) if counts else tuple(sorted(set().union(*at)))
    return out


def _as_large_as_y(y, basis) -> np.ndarray:
    """``c*`` of each coefficient (``(n,)`` from ``basis`` ``(N, n)``): the value whose term would be as
    large as ``y`` — the scale of a coefficient that is ~0."""
    return np.max(np.abs(y)) / np.maximum(np.max(np.abs(basis), axis=0), 1e-300)


def _plateau_check(problem: Problem, pieces, values, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for (s, x), (y, coeffs, basis, _) in zip(pieces, values):
        for t in (t for t in problem.terms if t.name in s.terms):
            c = coeffs[t.name]  # (N, n)
            size = _as_large_as_y(y, basis[t.name])
            variation = np.ptp(c, axis=0) / np.maximum(np.abs(np.mean(c, axis=0)), size)
            k = int(np.argmax(np.where(np.isfinite(variation), variation, np.inf)))
            if not np.isfinite(variation[k]) or variation[k] >= worst:
                worst, where = float(variation[k]), f"{t.name}.{t.coefficients[k]} on {s.name}, x in [{x[0]:.4g}, {x[-1]:.4g}]"
    return Check("plateau", worst, limit, where) if where else None


def _gauge_check(problem: Problem, pieces, values, limit: float, tolerance: float) -> Check | None:
    """Are a plateau's constants fixed by ``y``? Constant across a piece, they are fixed by its parts
    where the terms *free* there (that no Plateau holds constant) carry less than `limit` of ``y``: a
    free coefficient is an arbitrary function and absorbs any change of the constants. Two ways
    they are not fixed:

    - no such part: the value is the smallest free share of any window (Airy's ``y'' = x y`` with a
      plateau on the wave and the growing WKB term left free on the left read the connection
      constants (0.40, 0.40) as (0.60, −0.07), y within 6e-4, plateau flat; the free share was
      0.6–1.3 in every window);
    - the held forms are (nearly) linearly dependent on those parts: a change of ``y`` by
      `tolerance` (its measured accuracy: the larger of the residual and data checks) moves the
      constants, relative to their size, by up to ``tolerance · rms(y) · √N / σ_min(B D)`` (B the
      forms' basis ``∂f/∂c`` at the N points, D each constant's size) — infinite for an incident and
      a reflected wave both written as ``a cos kx + b sin kx``."""
    spans = [(x.min(), x.max(), set(s.terms)) for s, x in pieces]
    worst, where = 0.0, ""
    for (s, x), (y, coeffs, basis, f) in zip(pieces, values):
        held = np.array([[any(lo <= xi <= hi and t.name in ts for lo, hi, ts in spans) for t in problem.terms] for xi in x])
        free = np.stack([np.where(held[:, j], 0.0, f[t.name]) for j, t in enumerate(problem.terms)], axis=1)  # (N, terms)
        windows = np.array_split(np.argsort(x), max(1, min(16, x.size // 8)))
        size = [max(np.sqrt(np.mean(y[idx] ** 2)), 1e-300) for idx in windows]
        shares = np.array([np.sqrt(np.mean(np.sum(free[idx], axis=1) ** 2)) / sz for idx, sz in zip(windows, size)])
        pinned = np.concatenate([idx for idx, sh in zip(windows, shares) if sh <= limit] or [np.zeros(0, int)])
        if pinned.size:
            value, why = _dependence(problem, s, x[pinned], y[pinned], {k: v[pinned] for k, v in coeffs.items()},
                                     {k: v[pinned] for k, v in basis.items()}, held[pinned].all(axis=0), tolerance)
        else:
            k = int(np.nanargmin(np.where(np.isfinite(shares), shares, np.nan))) if np.isfinite(shares).any() else 0
            each = np.sqrt(np.mean(free[windows[k]] ** 2, axis=0)) / size[k]
            names = [t.name for t, v in zip(problem.terms, each) if v >= min(limit, each.max()) and v > 0]
            value, why = float(shares[k]), (f"{'+'.join(names) or 'no term'} on {s.name}, x in [{x.min():.4g}, {x.max():.4g}]: "
                                             f"terms no Plateau holds constant carry at least {shares[k]:.2g} of y in every part "
                                             "of it, so the plateau's constants are not fixed by y; suppress them there or hold "
                                             "them constant too")
        if why and (not np.isfinite(value) or value >= worst):
            worst, where = value, why
    return Check("gauge", worst, limit, where) if where else None


def _dependence(problem: Problem, s, x, y, coeffs, basis, held, tolerance: float) -> tuple[float, str]:
    """How far a change of y within `tolerance` can move the constants held on a plateau piece,
    relative to their size (see :func:`_gauge_check`), and the verdict's `where`."""
    terms = [t for t, h in zip(problem.terms, held) if h]
    if not terms or x.size < sum(t.n for t in terms):
        return 0.0, ""
    columns = []
    for t in terms:
        b = basis[t.name]  # (N, n)
        size = np.maximum(np.abs(np.mean(coeffs[t.name], axis=0)), _as_large_as_y(y, b))
        columns.append(b * size[None, :])
    sigma = np.linalg.svd(np.concatenate(columns, axis=1), compute_uv=False)
    gain = float(np.sqrt(np.mean(y**2)) * np.sqrt(x.size) / max(sigma[-1], 1e-300))  # ~1 for independent forms
    names, at = "+".join(t.name for t in terms), f"on {s.name}, x in [{x.min():.4g}, {x.max():.4g}]"
    if gain < 10:
        return tolerance * gain, (f"{names} {at}: y is accurate to only {tolerance:.1g} (the residual and data checks), "
                                  "so the constants read there are not fixed to better than this")
    return tolerance * gain, (f"the forms of {names} {at} are nearly dependent: a change of y by {tolerance:.1g} (its "
                              f"accuracy, from the residual and data checks) moves their constants by {tolerance * gain:.2g} of "
                              "their size; keep one form per independent solution there")


def _suppression_check(problem: Problem, sets, values, limit: float) -> Check | None:
    worst, where = 0.0, ""
    for s, (y, coeffs, basis, f) in zip(sets, values):
        x = s.points.values()
        if s.coefficients:  # each coefficient against c*, the one whose term would be as large as y
            parts = [np.abs(coeffs[t.name]) * np.max(np.abs(basis[t.name]), axis=0) for t in problem.terms if t.name in s.terms]
        else:
            f = np.stack([f[t] for t in s.terms], axis=1)  # (N, terms)
            parts = [np.abs(f) if s.separately else np.abs(np.sum(f, axis=1, keepdims=True))]
        parts = np.concatenate(parts, axis=1)
        order = np.argsort(x)
        for idx in np.array_split(order, max(1, min(16, x.size // 8))):  # window by window, as the residual
            value = float(np.max(np.sqrt(np.mean(parts[idx] ** 2, axis=0))) / max(np.sqrt(np.mean(y[idx] ** 2)), 1e-300))
            if not np.isfinite(value) or value >= worst:
                worst, where = value, f"{'+'.join(s.terms)} on {s.name}, x in [{x[idx].min():.4g}, {x[idx].max():.4g}]"
    return Check("suppression", worst, limit, where) if where else None


#: below this share of its overall rms, ``y`` in a window is judged against that share (an absolute
#: difference), not against its own size there (a tail decayed to 1e-20 is not resolved relatively)
RESOLUTION_FLOOR = 1e-3


def resolution_check(problem: Problem, ansatz, wider, limit: float = TrustLimits().resolution) -> Check:
    """``y`` of `ansatz` against ``y`` of `wider` (the same problem fitted with a wider network) on the
    trust's fresh grid, window by window (16 per residual set, as the `residual` check):
    ``rms(Δy) / max(rms(y_wider), RESOLUTION_FLOOR · rms(y_wider) over the domain)``, the worst
    window. Cost: two compiled evaluations of ``y`` on about three times the residual points."""
    grids = _check_grids(problem)
    x = np.concatenate(grids)
    y, y_wide = (np.asarray(_values(a, jnp.asarray(x))) for a in (ansatz, wider))
    return _compared("resolution", grids, y, y_wide, limit)


def integration_check(problem: Problem, ansatz, limit: float = TrustLimits().integration) -> Check | None:
    """For a problem whose exact data are point conditions at one or two points
    (:func:`~gluenn.glue._reference.point_conditions`: initial values, or a boundary-value problem),
    ``y`` against SciPy's solution of the same equation and conditions
    (:func:`~gluenn.glue._reference.solve`), on the grid and windows of :func:`resolution_check`, as
    far as SciPy reaches (a solution that blows up is compared up to its blow-up, where it is huge).
    ``None`` for other problems, or where SciPy cannot solve it within its work bound. Cost: one DOP853
    integration (rtol 1e-10) over the domain, ~10 µs a stage, or one collocation (~0.3 s)."""
    conditions = point_conditions(problem)
    if conditions is None:
        return None
    grids = _check_grids(problem)
    x = np.concatenate(grids)
    order = np.argsort(x)
    y = np.asarray(_values(ansatz, jnp.asarray(x)))
    n = problem.equation.order
    guess = lambda xs: np.asarray(_states(ansatz, jnp.asarray(xs), n - 1))  # noqa: E731
    exact = solve(problem, conditions, x[order], guess, size=float(np.max(np.abs(y))) if np.all(np.isfinite(y)) else 0.0)
    if exact is None:
        return None
    reference = np.empty_like(x)
    reference[order] = exact
    reached = np.isfinite(reference)
    kept = np.split(reached, np.cumsum([g.size for g in grids])[:-1])
    grids = [g[k] for g, k in zip(grids, kept) if k.sum() >= 2]
    if not grids:
        return None
    keep = np.concatenate([k if k.sum() >= 2 else np.zeros_like(k) for k in kept])
    check = _compared("integration", grids, y[keep], reference[keep], limit)
    if reached.all():
        return check
    return dataclasses.replace(check, where=f"{check.where} (SciPy's integration reached only x in "
                                            f"[{x[reached].min():.4g}, {x[reached].max():.4g}])")


def _check_grids(problem: Problem) -> list[np.ndarray]:
    """The `residual` check's fresh grids: between the points of each residual set, and the parts of
    the domain no residual set spans."""
    grids = [_fresh(s.points.values()) for s in problem.samples if isinstance(s, Residual)]
    return [x for x in grids + [_uncovered(problem)] if x.size >= 2]


def _compared(name: str, grids: list, y: np.ndarray, reference: np.ndarray, limit: float) -> Check:
    """``rms(y − reference) / max(rms(reference), RESOLUTION_FLOOR · rms(reference overall))`` in 16
    windows per grid (fewer for short grids): the worst window."""
    floor = RESOLUTION_FLOOR * np.sqrt(np.mean(reference ** 2))
    x = np.concatenate(grids)
    worst, where, start = 0.0, "", 0
    for g in grids:
        for idx in np.array_split(np.arange(start, start + g.size), max(1, min(16, g.size // 8))):
            local = max(np.sqrt(np.mean(reference[idx] ** 2)), floor, 1e-300)
            ratio = np.sqrt(np.mean((y[idx] - reference[idx]) ** 2)) / local
            span = f"x in [{x[idx[0]]:.4g}, {x[idx[-1]]:.4g}]"
            if not np.isfinite(ratio):
                return Check(name, float("inf"), limit, f"{span}: not finite")
            if ratio > worst or not where:
                worst, where = ratio, span
        start += g.size
    return Check(name, float(worst), limit, where)


@eqx.filter_jit
def _values(ansatz, x):
    return jax.vmap(ansatz.y)(x)


@eqx.filter_jit
def _states(ansatz, x, order: int):
    """``(y, …, y⁽ᵒʳᵈᵉʳ⁾)`` at the points `x`: shape ``(order + 1, len(x))``."""
    return jax.vmap(lambda xi: jnp.stack(ansatz.derivatives(xi, order)))(x).T
