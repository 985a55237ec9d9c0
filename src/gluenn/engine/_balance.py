"""Loss-term weights during training: fixed, or balanced automatically.

A :class:`Weights` strategy turns the *unweighted* loss terms ``L_i`` into the objective
``Σ_i w_i L_i``. :func:`~gluenn.optimise` asks it for a per-term statistic ``s_i`` of the
current parameters (:meth:`Weights.measure`: gradient norms, or the terms' neural-tangent-kernel
traces), for the initial weights from it and, after every chunk of ``log_every`` steps, for new
ones. Every term's weight and statistic is logged (``w:NAME`` and ``g:NAME`` / ``k:NAME``).
Phases whose state assumes a fixed objective (L-BFGS's curvature memory) run with the weights
frozen.

**Priorities.** Not every loss term is an objective of equal standing. A GlueNN ansatz leaves
the split of ``y`` among its coefficient functions free; the data and the equation fix ``y``
(priority 0), suppression and plateau sets only choose the split (priority 1, a gauge), and a
set may be a tie-breaker among those (priority 2, e.g. a weak magnitude penalty). Each
:class:`~gluenn.SampleSet` carries its ``priority``; :class:`NTKBalance` weights a term of
priority ``p`` by ``gauge^p`` relative to the balanced fit terms — the method of weighting for
lexicographic least squares (Van Loan, *SIAM J. Numer. Anal.* 22 (1985) 851), whose solution
tends to the exact hierarchical one as ``gauge → 0``.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .._errors import ConfigError, require
from ._rows import weighted_rows


#: NTK traces are computed exactly (the full Jacobian) for at most this many trained parameters
EXACT_UP_TO = 2048


class Weights(abc.ABC):
    """How the loss terms are weighted. Subclass and implement :meth:`init` and :meth:`update`
    (and :meth:`measure` for a statistic other than the gradient norm)."""

    #: prefix of the statistic's log columns (``g:NAME``)
    label = "g"

    def measure(self, objective, trained=None) -> Callable:
        """A jittable ``params -> {term: s_i}``; by default the gradient norms ``‖∇_θ L_i‖₂``
        of the objective's unweighted ``terms``. `trained`: a boolean pytree like the parameters
        marking the leaves the optimiser will change (``None``: all), for a statistic of those
        only (:class:`NTKBalance`; gradient norms use all parameters, as in the reference)."""
        if objective.terms is None:
            raise ConfigError("automatic loss weights need an objective with unweighted `terms`")

        def norms(p):
            out = {}
            for k in jax.eval_shape(objective.terms, p):
                g = jax.grad(lambda q, k=k: objective.terms(q)[k])(p)
                out[k] = jnp.sqrt(sum(jnp.sum(x**2) for x in jax.tree_util.tree_leaves(g)))
            return out
        return norms

    @abc.abstractmethod
    def init(self, stats: Mapping[str, float], priorities: Mapping[str, int] | None = None) -> dict[str, float]:
        """The weights before training, one per term, from the statistic at the start."""

    @abc.abstractmethod
    def update(self, weights: Mapping[str, float], stats: Mapping[str, float],
               priorities: Mapping[str, int] | None = None) -> dict[str, float]:
        """New weights after a chunk, from the current ones and the terms' statistic."""

    def to_dict(self) -> dict:
        return {"name": type(self).__name__, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class Fixed(Weights):
    """Constant weights: the given ``values`` (missing names: 1)."""

    values: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def init(self, stats, priorities=None):
        return {k: float(self.values.get(k, 1.0)) for k in stats}

    def update(self, weights, stats, priorities=None):
        return dict(weights)


def _moving(weights, target, alpha):
    """``w ← α w + (1 − α) ŵ`` where the target is defined; unchanged elsewhere."""
    return {k: w if target.get(k) is None else alpha * w + (1.0 - alpha) * target[k] for k, w in weights.items()}


@dataclasses.dataclass(frozen=True)
class GradNorm(Weights):
    """Gradient-norm balancing (Wang, Wang, Bhartari & Perdikaris, *An expert's guide to
    training physics-informed neural networks*, arXiv:2308.08468 (2023), Algorithm 1; the
    max-gradient form is Wang, Teng & Perdikaris, SIAM J. Sci. Comput. 43 (2021) A3055):

        ŵ_i = (Σ_j g_j) / g_i,        w_i ← α w_i + (1 − α) ŵ_i,

    so that every weighted term pulls the parameters equally hard (``w_i g_i`` equal). No λ is
    given: the weights start at ``ŵ`` of the initial parameters (the reference starts at 1 and
    waits 1000 steps; a least-squares trainer may take only a few steps); a term with zero
    gradient keeps its weight (1 at the start). Priorities are ignored (the reference method):
    a term already satisfied at the start has a tiny gradient and gets a huge weight.

    - `alpha`: moving-average factor in ``[0, 1)`` (0.9 in the reference).
    """

    alpha: float = 0.9

    def __post_init__(self):
        require(0.0 <= self.alpha < 1.0, "GradNorm.alpha", self.alpha, "use a value in [0, 1)")

    def init(self, stats, priorities=None):
        return _moving({k: 1.0 for k in stats}, self._target(stats), 0.0)

    def update(self, weights, stats, priorities=None):
        return _moving(weights, self._target(stats), self.alpha)

    @staticmethod
    def _target(g):
        total = sum(v for v in g.values() if math.isfinite(v))
        return {k: total / v if math.isfinite(v) and v > 0 and total > 0 else None for k, v in g.items()}


@dataclasses.dataclass(frozen=True)
class NTKBalance(Weights):
    """Neural-tangent-kernel trace balancing with priorities (the default of ``--weights auto``).

    With ``J_i`` the Jacobian of term ``i``'s rows ``r_i/√N_i`` (so ``L_i = |r_i|²/N_i``) with
    respect to all parameters, ``τ_i = tr(J_i J_iᵀ)`` is the trace of its NTK block (Wang, Yu &
    Perdikaris, *When and why PINNs fail to train: a neural tangent kernel perspective*,
    J. Comput. Phys. 449 (2022) 110768, eq. 6.5, there over all terms):

        ŵ_i = gauge^{p_i} · (Σ_{j: p_j = 0} τ_j) / τ_i,      w_i ← α w_i + (1 − α) ŵ_i.

    Terms of priority 0 (data, equation) get equal sensitivity; a term of priority ``p`` gets
    ``gauge^p`` of it (see the module note). Unlike a gradient norm, ``τ_i`` does not vanish
    when a term happens to be satisfied at the start, so a tie-breaker is not blown up.
    ``J_i`` is taken with respect to the parameters the optimiser moves: the output layers
    for least-squares phases (:class:`~gluenn.GaussNewton`), all parameters otherwise. Up to
    ``EXACT_UP_TO`` (2048) such parameters ``τ_i`` is exact (the full Jacobian); beyond, it is
    Hutchinson's estimate ``E_z |J_i z|²`` with `probes` Rademacher (±1) directions ``z`` (one
    forward-mode product each, all terms at once; a fixed key, so runs are reproducible).
    ``probes=None`` forces the exact trace.

    - `gauge`: weight ratio per priority level (1e-6; measured on the built-in experiments:
      1e-4 biases tunneling's T2 from ψ by +1.9 %, 1e-6 by +0.15 %; smaller leaves the
      coefficients loosely pinned).
    - `alpha`: moving-average factor in ``[0, 1)``.
    - `probes`: Hutchinson directions (``None``: exact).
    """

    label = "k"
    gauge: float = 1e-6
    alpha: float = 0.9
    probes: int | None = 16
    seed: int = 0

    def __post_init__(self):
        require(0.0 < self.gauge <= 1.0, "NTKBalance.gauge", self.gauge, "use a value in (0, 1], e.g. 1e-6")
        require(0.0 <= self.alpha < 1.0, "NTKBalance.alpha", self.alpha, "use a value in [0, 1)")
        require(self.probes is None or (isinstance(self.probes, int) and self.probes >= 1), "NTKBalance.probes",
                self.probes, "use a positive integer, or None for the exact trace")

    def measure(self, objective, trained=None):
        if objective.residuals is None:
            raise ConfigError("NTK weights need the loss terms' residual vectors (Objective.residuals); "
                              "use --weights gradnorm for a loss that only gives scalar terms")

        def traces(p):
            moving, fixed = eqx.partition(p, trained) if trained is not None else (p, None)
            flat, unravel = ravel_pytree(moving)

            def rows(v):
                q = unravel(v) if fixed is None else eqx.combine(unravel(v), fixed)
                return {k: weighted_rows({k: r}) for k, r in objective.residuals(q).items()}
            if self.probes is None or flat.size <= EXACT_UP_TO:
                return {k: jnp.sum(j**2) for k, j in jax.jacfwd(rows)(flat).items()}
            z = jax.random.rademacher(jax.random.PRNGKey(self.seed), (self.probes, flat.size), flat.dtype)
            jz = jax.vmap(lambda d: jax.jvp(rows, (flat,), (d,))[1])(z)
            return {k: jnp.mean(jnp.sum(v**2, axis=1)) for k, v in jz.items()}
        return traces

    def init(self, stats, priorities=None):
        return _moving({k: self.gauge ** _priority(priorities, k) for k in stats},
                       self._target(stats, priorities), 0.0)

    def update(self, weights, stats, priorities=None):
        return _moving(weights, self._target(stats, priorities), self.alpha)

    def _target(self, tau, priorities):
        level = {k: _priority(priorities, k) for k in tau}
        base = min(level.values(), default=0)
        total = sum(v for k, v in tau.items() if level[k] == base and math.isfinite(v))
        return {k: self.gauge ** (level[k] - base) * total / v if math.isfinite(v) and v > 0 and total > 0 else None
                for k, v in tau.items()}


def _priority(priorities, name) -> int:
    return 0 if priorities is None else int(priorities.get(name, 0))


#: the names of the strategies for ``--weights`` (``"fixed"``: none, the problem's own λ)
STRATEGIES = {"auto": lambda: NTKBalance(), "gradnorm": lambda: GradNorm()}


def weights_strategy(name: str) -> Weights | None:
    """``"fixed"`` → ``None`` (the problem's own λ), ``"auto"`` → :class:`NTKBalance`,
    ``"gradnorm"`` → :class:`GradNorm`."""
    if name == "fixed":
        return None
    if name in STRATEGIES:
        return STRATEGIES[name]()
    raise ConfigError(f"--weights {name!r} is invalid: use 'fixed' (the experiment's λ), 'auto' (NTK-trace "
                      "balancing with priorities, no λ) or 'gradnorm' (gradient-norm balancing, no λ)")


def weights_name(strategy: Weights | None) -> str:
    """The ``--weights`` name of a strategy (the inverse of :func:`weights_strategy`; a user's own
    strategy: its class name), as ``metrics.json`` reports it for every model."""
    if strategy is None:
        return "fixed"
    return next((k for k, make in STRATEGIES.items() if make() == strategy), type(strategy).__name__)
