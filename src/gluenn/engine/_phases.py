"""Optimiser phases: one small declarative class per optimiser (Optax underneath).

A training run is a sequence of phases, e.g. ``[Adam(2000), LBFGS(500)]``: the paper's Adam,
then L-BFGS refinement (measured here to hold 0.1 % on freeze-out where Adam alone wobbled).
Add an optimiser by subclassing :class:`Phase` and implementing ``init`` and ``step``.
"""

from __future__ import annotations

import abc
import dataclasses
import math

from collections.abc import Callable
from typing import ClassVar, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from .._errors import ConfigError, require
from .._limits import check_steps
from ._rows import weighted_rows


@dataclasses.dataclass(frozen=True)
class Objective:
    """What a phase minimises.

    - `value`: ``value(params) -> (total, {term: value})``: the weighted total that the phases
      minimise and the *unweighted* terms ``L_k`` (``total = Σ_k λ_k L_k``), which are what every
      log row and ``metrics.json`` ``loss_terms`` report, for any model.
    - `rows`: optional ``rows(params) -> (M,)`` with ``total = |rows|²`` (least-squares phases);
      with `residuals` also given, the rows are theirs, set after set in the dict's order.
    - `linear`: optional boolean pytree (same structure as ``params``) marking the leaves a
      least-squares phase solves for — for a GlueNN ansatz, the trunks' output layers.
    - `terms`: optional ``terms(params) -> {term: unweighted value}`` — what automatic loss
      weights need.
    - `residuals`: optional ``residuals(params) -> {term: r}`` with ``r`` of shape ``(N,)`` or
      ``(N, m)`` and ``terms[k] == sum(r**2) / N`` (NTK weights need them); `priorities`:
      optional ``{term: int}`` (0: fit, 1: gauge, 2: tie-breaker; see :class:`~gluenn.engine.NTKBalance`).
    - `unscaled_rows`, `row_scales`: optional, for rows that divide by scales taken from the
      solution (e.g. the equation's own size): ``rows(p) = unscaled_rows(p) / row_scales(p)``, no
      gradient through ``row_scales``. Least-squares phases solve the unscaled rows first, then
      re-solve with the scales refreshed.
    - `data`, `bind`: optional, a pytree of arrays the functions above read (e.g. measured targets)
      and ``bind(data) -> Objective``, the same objective over other arrays of the same shapes.
      :func:`~gluenn.engine.optimise` passes `data` to its compiled programs as an argument instead of
      baking it in, so problems that differ only in their data (the real and imaginary parts of a
      wave, refreshed rounds) run one program: compiled once, or read from the compilation cache.
    """

    value: Callable
    rows: Callable | None = None
    linear: object = None
    terms: Callable | None = None
    residuals: Callable | None = None
    priorities: dict | None = None
    unscaled_rows: Callable | None = None
    row_scales: Callable | None = None
    data: object = None
    bind: Callable | None = None

    def over(self, data) -> "Objective":
        """This objective over `data` (possibly traced): ``bind(data)``, or itself if it has no `bind`."""
        return self if self.bind is None or data is None else self.bind(data)

    def scalar(self, params):
        return self.value(params)[0]

    def weighted(self, w: dict) -> "Objective":
        """The objective ``Σ_i w_i L_i`` of the unweighted `terms` (``w``: term → weight,
        possibly traced); least-squares rows from the `residuals`, if given."""
        if self.terms is None:
            raise ConfigError("automatic loss weights need an objective with unweighted `terms`")

        def value(p):
            t = self.terms(p)
            return sum(w[k] * v for k, v in t.items()), t

        rows = None if self.residuals is None else (lambda p: weighted_rows(self.residuals(p), w))
        return Objective(value=value, rows=rows, linear=self.linear, terms=self.terms, residuals=self.residuals,
                         priorities=self.priorities)  # its rows take their scales from the current point


class Phase(abc.ABC):
    """One optimiser run for a number of steps on a scalar loss ``f(params)``."""

    steps: int
    name: str = "phase"
    #: the optimiser state assumes one fixed objective (automatic weights are frozen meanwhile)
    fixed_objective = False
    #: the phase changes only the objective's `linear` leaves (the output layers)
    linear_only = False
    #: a monotone phase has converged once the loss stays bit-identical for this many steps in a row
    #: (then it ends; ``None``: never, e.g. Adam). Not one step: a damped least-squares phase rejects a
    #: step that would raise the loss (the loss stays put while its damping grows) and goes on.
    converged_after: ClassVar[int | None] = None

    def _check(self) -> None:
        require(isinstance(self.steps, int) and self.steps >= 0, f"{self.name}.steps", self.steps,
                "use a non-negative integer")
        check_steps(f"{self.name}.steps", self.steps)

    @abc.abstractmethod
    def init(self, params):
        """The optimiser state for ``params``."""

    @abc.abstractmethod
    def step(self, objective: "Objective", params, state):
        """One update: returns ``(params, state)``. Pure and jittable."""

    def diagnostics(self, state) -> dict:
        """Scalars worth logging from the optimiser state (e.g. a condition number)."""
        return {}

    def retry(self, steps: int) -> "Phase | None":
        """The phase to run for the remaining `steps` after a non-finite chunk was rolled
        back: a smaller step, or ``None`` if there is nothing safer to try (then training stops)."""
        return None

    def to_dict(self) -> dict:
        return {"name": self.name, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class Adam(Phase):
    """Adam with a learning-rate schedule.

    - `steps`: number of updates.
    - `lr`: peak learning rate.
    - `schedule`: ``"cosine"`` (decay to ``lr * final_ratio``), ``"exponential"`` (same end
      point, geometric), or ``"constant"``.
    - `clip`: global gradient-norm clip (``None``: off).
    """

    steps: int = 2000
    lr: float = 1e-3
    schedule: str = "cosine"
    final_ratio: float = 0.01
    clip: float | None = None
    name: str = "adam"

    def __post_init__(self):
        self._check()
        require(math.isfinite(self.lr) and self.lr > 0, "adam.lr", self.lr, "use a positive learning rate")
        require(self.schedule in ("cosine", "exponential", "constant"), "adam.schedule", self.schedule,
                "use 'cosine', 'exponential' or 'constant'")
        require(0 < self.final_ratio <= 1, "adam.final_ratio", self.final_ratio, "use a value in (0, 1]")

    def _transform(self):
        n = max(self.steps, 1)
        if self.schedule == "cosine":
            lr = optax.cosine_decay_schedule(self.lr, n, alpha=self.final_ratio)
        elif self.schedule == "exponential":
            lr = optax.exponential_decay(self.lr, n, self.final_ratio)
        else:
            lr = self.lr
        parts = [optax.clip_by_global_norm(self.clip)] if self.clip else []
        return optax.chain(*parts, optax.adam(lr))

    def init(self, params):
        return self._transform().init(params)

    def retry(self, steps):
        """A quarter of the learning rate (fresh moments, the schedule over the remaining steps)."""
        return dataclasses.replace(self, steps=steps, lr=self.lr / 4)

    def step(self, objective, params, state):
        grad = jax.grad(objective.scalar)(params)
        updates, state = self._transform().update(grad, state, params)
        return optax.apply_updates(params, updates), state


class SearchCounts(NamedTuple):
    """What an :class:`LBFGS` phase's line searches have cost since it began (int32 scalars)."""

    evaluations: jax.Array
    stalls: jax.Array


@dataclasses.dataclass(frozen=True)
class LBFGS(Phase):
    """Optax L-BFGS with a zoom line search (full batch, deterministic).

    - `linesearch_start`: each step's line search starts from a unit step (``"one"``, Optax's
      L-BFGS default: right once the curvature memory is well scaled) or from the step accepted
      last (``"keep"``: when the landscape wants steps far below one, every search would otherwise
      zoom down from one again — up to `linesearch_steps` evaluations a step).
    - `linesearch_steps`: the most loss evaluations one line search may spend (Optax's default 20).
      A search that reaches it takes a step with sufficient decrease if it found one, else the last
      step it tried (Optax's fallback). A bound on the cost of a step where each evaluation is
      expensive (an ODE solve).
    - `restart_on_stall`: a line search that spends all `linesearch_steps` evaluations signals a
      curvature memory that no longer describes the loss (its direction is barely downhill, the
      search zooms to steps of ~1e-12 and the loss stays put). Then the memory is dropped and the
      next step starts again from the gradient, as SciPy's L-BFGS-B does after a failed search.
      Without it, a stall of 20 evaluations a step can last for tens of steps (measured on the
      Hodgkin–Huxley composite stage: 19 steps in a row, ~54 of its 80 s). A phase whose searches
      never reach the cap runs exactly as without it.

    Logged per chunk: ``ls_evals`` (line-search loss evaluations since the phase began) and
    ``ls_stalls`` (searches that spent all `linesearch_steps`): a stall shows as ``ls_stalls``
    climbing by one a step.

    Costs more compile time than Adam (a few seconds: the line search is a while-loop) and
    about 2-4 loss evaluations per step; converges far further on smooth, full-batch losses.
    """

    steps: int = 500
    memory: int = 10
    linesearch_start: str = "one"
    linesearch_steps: int = 20
    restart_on_stall: bool = True
    name: str = "lbfgs"
    fixed_objective = True
    converged_after = 10

    def __post_init__(self):
        self._check()
        require(isinstance(self.memory, int) and self.memory >= 1, "lbfgs.memory", self.memory,
                "use a positive integer")
        require(self.linesearch_start in ("one", "keep"), "lbfgs.linesearch_start", self.linesearch_start,
                "use 'one' or 'keep'")
        require(isinstance(self.linesearch_steps, int) and self.linesearch_steps >= 1, "lbfgs.linesearch_steps",
                self.linesearch_steps, "use a positive integer (Optax's default: 20)")

    def _transform(self):  # with linesearch_steps=20, start "one": Optax's default line search
        return optax.lbfgs(memory_size=self.memory, linesearch=optax.scale_by_zoom_linesearch(
            max_linesearch_steps=self.linesearch_steps, initial_guess_strategy=self.linesearch_start))

    def init(self, params):
        """``(optax_state, counts)``: Optax's L-BFGS state and a ``SearchCounts`` from zero."""
        return self._transform().init(params), SearchCounts(jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))

    def retry(self, steps):
        """Fresh curvature memory from the last finite point (the line search then starts small)."""
        return dataclasses.replace(self, steps=steps)

    def step(self, objective, params, state):
        f = objective.scalar
        opt = self._transform()
        state, counts = state
        value, grad = optax.value_and_grad_from_state(f)(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
        params = optax.apply_updates(params, updates)
        used = state[-1].info.num_linesearch_steps
        stalled = used >= self.linesearch_steps
        if self.restart_on_stall:
            state = jax.tree.map(lambda fresh, kept: jnp.where(stalled, fresh, kept), opt.init(params), state)
        counts = SearchCounts(counts.evaluations + used.astype(jnp.int32), counts.stalls + stalled.astype(jnp.int32))
        return params, (state, counts)

    def diagnostics(self, state) -> dict:
        """``ls_evals``: line-search loss evaluations since the phase began; ``ls_stalls``: searches
        that spent all `linesearch_steps` (each one a restart when `restart_on_stall`)."""
        return {"ls_evals": state[1].evaluations, "ls_stalls": state[1].stalls}


@dataclasses.dataclass(frozen=True)
class GaussNewton(Phase):
    """Gauss–Newton / Levenberg–Marquardt on the output layers, hidden layers held fixed.

    Each step solves ``min_δ |J δ + r|² + μ |D δ|²`` for the leaves marked linear by the
    objective (``J = ∂rows/∂θ`` by forward-mode autodiff, ``D² = diag JᵀJ``) with an SVD-based
    least-squares solve in float64, and keeps the step only if the loss falls (then ``μ /= 3``,
    else ``μ *= 4``). With ``damping=0`` a step is an exact linear least-squares solve: when the
    ansatz is linear in its coefficients and the residual is linear in ``y`` (tunneling, any
    linear ODE without a ``y``-dependent normalisation) **one step is the global minimum** over
    the output layers. Measured (SPEC): gradient descent on that same convex problem stalls at
    condition numbers ~1e19; the direct solve does not.

    Cost per step: one Jacobian (``P`` forward passes, ``P`` = output-layer parameters) and an
    SVD of an ``M × P`` matrix (``J D⁻¹`` when damped: the damping only shifts its singular values).
    Logged: ``cond`` (condition number of the solved system: ``J`` itself when ``damping=0``, else
    the column-scaled ``[J D⁻¹; √μ I]``) and ``lm_mu``.
    """

    steps: int = 1
    damping: float = 0.0
    rcond: float | None = None
    name: str = "gauss-newton"
    linear_only = True
    converged_after = 20  # a rejected step multiplies μ by 4: up to 4^20 ≈ 1e12 before giving up

    def __post_init__(self):
        self._check()
        require(self.damping >= 0, "gauss-newton.damping", self.damping, "use a value >= 0")

    def init(self, params):
        return {"mu": jnp.asarray(self.damping, jnp.float64), "cond": jnp.asarray(jnp.nan),
                "accepted": jnp.asarray(0, jnp.int32)}

    def retry(self, steps):
        """Ten times the damping (at least 1e-3): shorter, gradient-like steps."""
        return dataclasses.replace(self, steps=steps, damping=max(10 * self.damping, 1e-3))

    def step(self, objective, params, state):
        flat, unravel, rest, rows, r, J = _output_jacobian(objective, params)
        if self.damping > 0:  # δ = z / d, z = argmin |(J/d) z + r|² + μ |z|²: one SVD of J/d (M × P)
            d = jnp.sqrt(jnp.maximum(jnp.sum(J * J, axis=0), 1e-300))
            z, cond = _svd_solve(J / d, -r, self.rcond, damping=state["mu"])
            delta = z / d
        else:
            delta, cond = _svd_solve(J, -r, self.rcond)
        cand = flat + delta
        old, new = jnp.sum(r**2), jnp.sum(rows(cand) ** 2)
        ok = jnp.isfinite(new) & (new <= old)
        flat = jnp.where(ok, cand, flat)
        mu = jnp.where(ok, state["mu"] / 3.0, state["mu"] * 4.0)
        state = {"mu": mu, "cond": cond, "accepted": state["accepted"] + ok.astype(jnp.int32)}
        return eqx.combine(unravel(flat), rest), state

    def diagnostics(self, state) -> dict:
        return {"cond": state["cond"], "lm_mu": state["mu"]}


@dataclasses.dataclass(frozen=True)
class Lexicographic(Phase):
    """One exact least-squares solve of the output layers that puts the fit before the gauge.

    The rows of priority 0 (data, the equation: they fix ``y``) come first; rows of higher
    priority (suppression, plateaus: they only choose how ``y`` is split among the coefficients)
    are weighted by the largest ``ε ∈ [ε_min, 1]`` whose solution fits no worse than
    ``L_fit ≤ (1 + slack) · L_fit(ε_min) + tol² · L_fit(0)``. ``L_fit(ε_min)`` is the best fit with
    the gauge rows barely present (not absent: without them the fit reaches a lower floor through
    huge terms that cancel — dark photon at H = 19: 2.9e-8 with the gauge rows at 6.5e8, 1.8e-7 at
    ε = 1e-13). `slack` lets the gauge cost up to that floor again (a fit that can only reach a
    residual of 1e-3 is not made worse by a gauge that costs as much: the split it fixes removes
    freedom the floor was using; chosen on dark-photon points, 7/8 → 8/8 trusted). ``tol²`` of the
    loss of the zero solution (``y ≡ 0`` for linear terms: the data's own scale) is always allowed.
    So the fit rows are honoured to a relative ``tol`` (or to
    their floor) whatever the units of ``y`` or the user's weights, and the gauge is as strong as
    that allows (with ``ε = 1`` — the weights as given — whenever they already fit that well; then
    the step is exactly :class:`GaussNewton` ``(1)``, and no bisection runs). Otherwise ``ε`` is
    found by `bisections` halvings of ``[log ε_min, 0]``, one SVD solve each; the default 15 gives
    ``ε`` to 0.1 % of the largest that fits (``|ln 1e-14| / 2¹⁵ = 1e-3``): the gauge's weight
    only chooses among fits that are all within the tolerance. This is the method of weighting for
    lexicographic least squares (Van Loan, *SIAM J. Numer. Anal.* 22 (1985) 851) with the weight chosen by a tolerance.
    Priority ``p > 1`` rows get ``ε · 1e-3^(p-1)``.

    Rows that divide by a scale taken from the solution (``Objective.row_scales``, e.g. the
    residual measured against the equation's own size) are linear at a fixed scale: the first solve
    uses none of those scales (no solution is known yet; the user's initial coefficients may be far
    off), then the solve is repeated `refreshes` times with the scales taken from the previous
    solution (iteratively reweighted least squares; the rows are linearised once and rescaled).

    Only for rows linear in the output layers (``Auto`` picks it then). Cost: one Jacobian (``P``
    forward passes) and ``bisections + 2`` SVDs of the ``M × P`` system per solve (2 when
    ``ε = 1`` fits). Logged:
    ``cond`` and ``gauge`` (the ``ε`` chosen; 1: the weights as given).
    """

    steps: int = 1
    tol: float = 3e-5
    slack: float = 1.0
    eps_min: float = 1e-14
    bisections: int = 15
    refreshes: int = 2
    name: str = "lexicographic"
    linear_only = True
    converged_after = 10

    def __post_init__(self):
        self._check()
        require(math.isfinite(self.tol) and self.tol > 0, "lexicographic.tol", self.tol, "use a small positive number")
        require(math.isfinite(self.slack) and self.slack >= 0, "lexicographic.slack", self.slack,
                "use a number >= 0 (the default 1: the gauge may cost the fit its floor again)")
        require(0 < self.eps_min < 1, "lexicographic.eps_min", self.eps_min, "use a value in (0, 1)")
        require(isinstance(self.bisections, int) and 0 <= self.bisections <= 60, "lexicographic.bisections",
                self.bisections, "use an integer in [0, 60] (each halves the bracket of ln ε; 60 reach float64's limit)")
        require(isinstance(self.refreshes, int) and self.refreshes >= 0, "lexicographic.refreshes", self.refreshes,
                "use a non-negative integer")

    def init(self, params):
        return {"cond": jnp.asarray(jnp.nan), "gauge": jnp.asarray(jnp.nan)}

    def step(self, objective, params, state):
        levels = row_priorities(objective, params)
        scaled = objective.row_scales is not None and objective.unscaled_rows is not None
        # one linearisation: the rows are affine in the output layers, a scale only divides them
        flat, unravel, rest, _, r, J = _output_jacobian(objective, params, objective.unscaled_rows if scaled else None)
        levels = np.zeros(r.shape[0], int) if levels is None else levels
        delta, cond, gauge = self._solve(r, J, flat, levels, jnp.ones_like(r))
        if scaled:  # then with the scales taken from the last solution (looped: compiled once)
            def refresh(_, carry):
                scale = objective.row_scales(eqx.combine(unravel(flat + carry[0]), rest))
                return self._solve(r, J, flat, levels, scale)
            delta, cond, gauge = jax.lax.fori_loop(0, self.refreshes, refresh, (delta, cond, gauge))
        return eqx.combine(unravel(flat + delta), rest), {"cond": cond, "gauge": gauge}

    def _solve(self, r, J, flat, levels, row_scale):
        """``(δ, cond, ε)``: one lexicographic solve of the rows ``(r + J δ) / row_scale``."""
        r, J = r / row_scale, J / row_scale[:, None]
        fit = levels == levels.min()
        scale = jnp.asarray(np.where(fit, 1.0, 1e-3 ** np.maximum(levels - levels.min() - 1, 0)))
        zero = r - J @ flat  # the rows at zero output layers

        def solve(log_eps):
            w = jnp.where(fit, 1.0, scale * jnp.exp(0.5 * log_eps))
            delta, cond = _svd_solve(w[:, None] * J, -w * r)
            res = (r + J @ delta)[fit]
            return delta, cond, jnp.sum(res**2)

        lo = jnp.log(self.eps_min)
        floor, given = solve(lo), solve(0.0)
        target = (1 + self.slack) * floor[2] + self.tol**2 * jnp.sum(zero[fit] ** 2)

        def bisect(_):  # the last midpoint that fitted is kept with its solution: no solve again
            lo_, _, delta, cond = jax.lax.fori_loop(
                0, self.bisections, lambda _, b: _bisect(b, solve, target), (lo, 0.0, *floor[:2]))
            return delta, cond, lo_

        # the weights as given fit well enough (ε = 1): no bisection at all
        delta, cond, log_eps = jax.lax.cond(given[2] <= target, lambda _: (*given[:2], 0.0), bisect, None)
        return delta, cond, jnp.exp(log_eps)

    def diagnostics(self, state) -> dict:
        return {"cond": state["cond"], "gauge": state["gauge"]}


def _bisect(carry, solve, target):
    """One bisection step in ``log ε``: the fit at the midpoint within `target` moves ``lo`` up
    (and its solution ``(δ, cond)`` becomes the one kept)."""
    lo, hi, delta, cond = carry
    mid = 0.5 * (lo + hi)
    d, c, loss = solve(mid)
    ok = loss <= target
    return jnp.where(ok, mid, lo), jnp.where(ok, hi, mid), jnp.where(ok, d, delta), jnp.where(ok, c, cond)


@dataclasses.dataclass(frozen=True)
class GaussNewtonCG(Phase):
    """Matrix-free Gauss–Newton / Levenberg–Marquardt on *all* parameters.

    Each step solves ``(JᵀJ + μ I) δ = −Jᵀ r`` (``r``: the objective's least-squares rows,
    ``J = ∂r/∂θ``) approximately by `cg_steps` conjugate-gradient iterations, each one
    Jacobian-vector and one vector-Jacobian product — ``J`` is never formed, so it scales to
    networks where :class:`GaussNewton` (a dense SVD over the output layers) cannot. The step is
    kept only if the loss falls; ``μ`` follows the ratio ρ of the actual to the predicted
    decrease (÷3 above 0.75, ×2 below 0.25). Use it to refine a least-squares fit far below what
    first-order methods reach: fitting a known vector field along a limit cycle
    (Hodgkin–Huxley, a 34k-parameter MLP), 3 × 15 steps brought the loss to 6.2e-5 where
    3 × 1000 L-BFGS steps from the same start reached 5.3e-4, in similar time (measured; see
    ``docs/experiments/hodgkin-huxley.md``).

    Cost per step: ``cg_steps`` × (one forward-mode + one reverse-mode pass over the rows).
    Logged: ``lm_mu`` and ``rho``.
    """

    steps: int = 20
    cg_steps: int = 100
    damping: float = 1e-3
    name: str = "gauss-newton-cg"
    fixed_objective = True
    converged_after = 40  # a rejected step doubles μ: up to 2^40 ≈ 1e12

    def __post_init__(self):
        self._check()
        require(isinstance(self.cg_steps, int) and self.cg_steps >= 1, "gauss-newton-cg.cg_steps", self.cg_steps,
                "use a positive integer")
        require(math.isfinite(self.damping) and self.damping > 0, "gauss-newton-cg.damping", self.damping,
                "use a positive value")

    def init(self, params):
        return {"mu": jnp.asarray(self.damping, jnp.float64), "rho": jnp.asarray(jnp.nan)}

    def retry(self, steps):
        """A hundred times the damping: shorter, gradient-like steps."""
        return dataclasses.replace(self, steps=steps, damping=100 * self.damping)

    def step(self, objective, params, state):
        if objective.rows is None:
            raise ConfigError("gauss-newton-cg needs an objective with least-squares rows; use Adam/LBFGS")
        flat, unravel = ravel_pytree(params)
        rows = lambda v: objective.rows(unravel(v))  # noqa: E731
        r, jvp = jax.linearize(rows, flat)
        vjp = jax.linear_transpose(jvp, flat)
        g = vjp(r)[0]
        mu = state["mu"]
        delta, _ = jax.scipy.sparse.linalg.cg(lambda v: vjp(jvp(v))[0] + mu * v, -g, maxiter=self.cg_steps)
        jd = jvp(delta)
        predicted = -(2 * g @ delta + jd @ jd)
        cand = flat + delta
        old, new = r @ r, jnp.sum(rows(cand) ** 2)
        rho = (old - new) / predicted
        ok = jnp.isfinite(new) & (new < old)
        mu = jnp.where(ok & (rho > 0.75), mu / 3, jnp.where(~ok | (rho < 0.25), mu * 2, mu))
        return unravel(jnp.where(ok, cand, flat)), {"mu": jnp.maximum(mu, 1e-300), "rho": rho}

    def diagnostics(self, state) -> dict:
        return {"lm_mu": state["mu"], "rho": state["rho"]}


@dataclasses.dataclass(frozen=True)
class Auto:
    """Pick the phases from the problem's structure, found by :func:`~gluenn.engine.least_squares_structure`
    before training: `linear` (e.g. one exact least-squares solve) when the loss rows are affine in
    the output layers, `nonlinear` (e.g. Levenberg–Marquardt) otherwise. The choice is logged in
    the :class:`History` and in ``metrics.json`` (``train.structure``, ``train.trainer``)."""

    linear: tuple
    nonlinear: tuple
    name: str = "auto"

    @property
    def steps(self) -> int:
        return max(sum(p.steps for p in self.linear), sum(p.steps for p in self.nonlinear))

    def to_dict(self) -> dict:
        return {"name": "auto", "linear": [p.to_dict() for p in self.linear],
                "nonlinear": [p.to_dict() for p in self.nonlinear]}


def _output_jacobian(objective: Objective, params, rows_fn=None):
    """``(flat, unravel, rest, rows, r, J)``: the objective's linear leaves flattened, its rows
    ``r`` at them (`rows_fn`, default ``objective.rows``) and their Jacobian ``J`` (``M × P``,
    forward mode: one linearisation, then the ``P`` basis vectors through the cheap tangent map)."""
    if objective.rows is None or objective.linear is None:
        raise ConfigError("a least-squares phase (lstsq, gauss-newton, lexicographic) is invalid here: the "
                          "objective has no least-squares rows; use Adam/LBFGS")
    lin, rest = eqx.partition(params, objective.linear)
    flat, unravel = ravel_pytree(lin)
    rows_fn = objective.rows if rows_fn is None else rows_fn
    rows = lambda v: rows_fn(eqx.combine(unravel(v), rest))  # noqa: E731
    r, lin_rows = jax.linearize(rows, flat)
    J = jax.vmap(lin_rows, out_axes=1)(jnp.eye(flat.size, dtype=flat.dtype))
    return flat, unravel, rest, rows, r, J


def _svd_solve(A, b, rcond=None, damping=None):
    """``(x, cond)``: the minimum-norm least-squares solution of ``A x ≈ b`` — of the stacked
    ``[A; √damping I] x ≈ [b; 0]`` when a `damping` is given — as ``jnp.linalg.lstsq`` (singular
    values below ``rcond · s_max`` cut), and the condition number ``s_max / s_min`` of the system
    solved. One SVD of the ``M × P`` matrix ``A`` with or without damping: the stack's singular values
    are ``√(s² + damping)`` with the same vectors (an SVD of the ``(M + P) × P`` stack costs twice
    as much at freeze-out's 268 × 202)."""
    # Subnormal entries (e.g. e^c of a coefficient driven to zero) make LAPACK's SVD
    # 10-40x slower (measured: dark photon step time grew 6 s -> 40 s per 100 steps); they
    # carry no information at float64 precision, so flush them to zero.
    tiny = jnp.finfo(A.dtype).tiny
    A = jnp.where(jnp.abs(A) < tiny, 0.0, A)
    b = jnp.where(jnp.abs(b) < tiny, 0.0, b)
    U, sv, Vt = jnp.linalg.svd(A, full_matrices=False)
    (m, n), eps = A.shape, jnp.finfo(A.dtype).eps
    if damping is None:
        rcond = eps * max(m, n) if rcond is None else rcond
        keep = sv > rcond * sv[0]
        return Vt.T @ jnp.where(keep, (U.T @ b) / jnp.where(keep, sv, 1.0), 0.0), sv[0] / sv[-1]
    stacked = jnp.sqrt(sv**2 + damping)  # then √damping for the P − M directions A does not see
    smallest = jnp.minimum(stacked[-1], jnp.sqrt(damping)) if m < n else stacked[-1]
    rcond = eps * (m + n) if rcond is None else rcond
    keep = stacked > rcond * stacked[0]
    gain = sv / jnp.where(keep, stacked**2, 1.0)
    return Vt.T @ jnp.where(keep, gain * (U.T @ b), 0.0), stacked[0] / smallest


def row_priorities(objective: Objective, params):
    """The priority of every least-squares row (NumPy ``(M,)``), from the objective's `residuals`
    (whose sets the rows follow, in order) and `priorities`; ``None`` if it has neither."""
    if objective.residuals is None or not objective.priorities:
        return None
    names: list[str] = []

    def in_order(p):  # a dict leaving a JAX transformation has its keys sorted; the rows do not
        r = objective.residuals(p)
        names[:] = list(r)
        return [r[k] for k in names]
    shapes = jax.eval_shape(in_order, params)
    return np.concatenate([np.full(int(np.prod(v.shape)), int(objective.priorities.get(k, 0)))
                           for k, v in zip(names, shapes)])
