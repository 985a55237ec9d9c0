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

import equinox as eqx
import jax
import jax.numpy as jnp
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
    - `rows`: optional ``rows(params) -> (M,)`` with ``total = |rows|²`` (least-squares phases).
    - `linear`: optional boolean pytree (same structure as ``params``) marking the leaves a
      least-squares phase solves for — for a GlueNN ansatz, the trunks' output layers.
    - `terms`: optional ``terms(params) -> {term: unweighted value}`` — what automatic loss
      weights need.
    - `residuals`: optional ``residuals(params) -> {term: r}`` with ``r`` of shape ``(N,)`` or
      ``(N, m)`` and ``terms[k] == sum(r**2) / N`` (NTK weights need them); `priorities`:
      optional ``{term: int}`` (0: fit, 1: gauge, 2: tie-breaker; see :class:`~gluenn.engine.NTKBalance`).
    """

    value: Callable
    rows: Callable | None = None
    linear: object = None
    terms: Callable | None = None
    residuals: Callable | None = None
    priorities: dict | None = None

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
        return Objective(value=value, rows=rows, linear=self.linear)


class Phase(abc.ABC):
    """One optimiser run for a number of steps on a scalar loss ``f(params)``."""

    steps: int
    name: str = "phase"
    #: the optimiser state assumes one fixed objective (automatic weights are frozen meanwhile)
    fixed_objective = False
    #: the phase changes only the objective's `linear` leaves (the output layers)
    linear_only = False
    #: a chunk that leaves the loss bit-identical means convergence (monotone phases): end the phase
    converges = False

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


@dataclasses.dataclass(frozen=True)
class LBFGS(Phase):
    """Optax L-BFGS with a zoom line search (full batch, deterministic).

    Costs more compile time than Adam (a few seconds: the line search is a while-loop) and
    about 2-4 loss evaluations per step; converges far further on smooth, full-batch losses.
    """

    steps: int = 500
    memory: int = 10
    name: str = "lbfgs"
    fixed_objective = True
    converges = True

    def __post_init__(self):
        self._check()
        require(isinstance(self.memory, int) and self.memory >= 1, "lbfgs.memory", self.memory,
                "use a positive integer")

    def _transform(self):
        return optax.lbfgs(memory_size=self.memory)

    def init(self, params):
        return self._transform().init(params)

    def retry(self, steps):
        """Fresh curvature memory from the last finite point (the line search then starts small)."""
        return dataclasses.replace(self, steps=steps)

    def step(self, objective, params, state):
        f = objective.scalar
        opt = self._transform()
        value, grad = optax.value_and_grad_from_state(f)(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(params, updates), state


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
    SVD of an ``M × P`` matrix. Logged: ``cond`` (condition number of the solved system: ``J``
    itself when ``damping=0``) and ``lm_mu``.
    """

    steps: int = 1
    damping: float = 0.0
    rcond: float | None = None
    name: str = "gauss-newton"
    linear_only = True
    converges = True

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
        if objective.rows is None or objective.linear is None:
            raise ConfigError("trainer=gauss-newton is invalid here: the objective has no least-squares "
                              "rows; use Adam/LBFGS")
        lin, rest = eqx.partition(params, objective.linear)
        flat, unravel = ravel_pytree(lin)
        rows = lambda v: objective.rows(eqx.combine(unravel(v), rest))  # noqa: E731
        # linearize once, then push the P basis vectors through the (cheap) tangent map
        r, lin_rows = jax.linearize(rows, flat)
        J = jax.vmap(lin_rows, out_axes=1)(jnp.eye(flat.size, dtype=flat.dtype))
        if self.damping > 0:
            d = jnp.sqrt(jnp.maximum(jnp.sum(J * J, axis=0), 1e-300))
            A = jnp.concatenate([J, jnp.sqrt(state["mu"]) * jnp.diag(d)])
            b = jnp.concatenate([-r, jnp.zeros_like(flat)])
        else:
            A, b = J, -r
        # Subnormal entries (e.g. e^c of a coefficient driven to zero) make LAPACK's SVD
        # 10-40x slower (measured: dark photon step time grew 6 s -> 40 s per 100 steps); they
        # carry no information at float64 precision, so flush them to zero.
        tiny = jnp.finfo(A.dtype).tiny
        A = jnp.where(jnp.abs(A) < tiny, 0.0, A)
        b = jnp.where(jnp.abs(b) < tiny, 0.0, b)
        # one SVD serves both the solve (as jnp.linalg.lstsq: cut-off rcond·s_max) and the
        # logged condition number (of J itself when undamped, of the damped system otherwise)
        U, sv, Vt = jnp.linalg.svd(A, full_matrices=False)
        rcond = jnp.finfo(A.dtype).eps * max(A.shape) if self.rcond is None else self.rcond
        keep = sv > rcond * sv[0]
        delta = Vt.T @ jnp.where(keep, (U.T @ b) / jnp.where(keep, sv, 1.0), 0.0)
        cond = sv[0] / sv[-1]
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
    converges = True

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
