"""The GlueNN loss: ``sum_s λ_s · mean_{x in s} pointwise_s(x)`` over the problem's sample sets."""

from __future__ import annotations

import copy
import enum

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError
from ..engine import mean_square, weighted_rows
from ._problem import Data, Problem, Residual


class Reference(enum.Enum):
    """Where rows that take a scale from a solution get it, besides a solution itself."""

    #: none: those rows in their own units (the first solve of an IRLS loop)
    UNSCALED = "unscaled"


UNSCALED = Reference.UNSCALED
"""``reference=UNSCALED``: rows that take a scale from a solution use none (their own units)."""


class Loss:
    """The loss of a :class:`Problem`, with its sample points materialised once.

    ``loss.terms(ansatz)`` returns the *unweighted* mean of every sample set (a dict keyed by
    set name); ``loss(ansatz)`` returns ``(total, terms)``: the total weighted by the problem's
    ``λ`` (or the ``weights`` given, e.g. by a balancing strategy) and the same unweighted terms.

    Every method takes an optional `reference`: the solution that scales are taken from
    (:class:`~gluenn.EquationScale`, :class:`~gluenn.Suppress` relative to ``y``), with no gradient
    through it; by default the ansatz itself; :data:`UNSCALED` for none (those rows in their own
    units: a start that depends on no solution). :class:`~gluenn.Data` misfits are divided by
    their `scale` (by default the targets' own size).
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.names = [s.name for s in problem.samples]
        self.weights = {s.name: float(s.weight) for s in problem.samples}
        self.points = [s.points.values() for s in problem.samples]  # NumPy, one (N_s,) array per set
        self._arrays = []
        for s, x in zip(problem.samples, self.points):
            t = s.targets(x)
            self._arrays.append((jnp.asarray(x), None if t is None else jnp.asarray(t)))
        self.data_scales = data_scales(problem)
        #: data sets whose targets are all zero with no other data to give y's size (y(0) = y(1) = 0 of
        #: a forced equation): their misfit is measured against the size of the solution itself
        self.unsized = tuple(unsized_data(problem))

    #: whether :attr:`data` holds the sample points too (:meth:`with_moving_points`)
    moving_points = False

    @property
    def data(self) -> list:
        """What :meth:`with_data` replaces: every set's targets (``(N_s,)``, or ``None``), in the
        problem's order, or ``(points, targets)`` pairs with :attr:`moving_points`. The data sets'
        scales stay constants of the compiled programs: as arguments they moved dark photon's
        read-outs by 1e-9 (XLA divides by a known constant differently)."""
        return list(self._arrays) if self.moving_points else [t for _, t in self._arrays]

    def with_data(self, data: list) -> "Loss":
        """This loss over other targets `data` of the same shapes (possibly traced): compiled with the
        targets as an argument, problems that differ only in their targets (and not in the data
        scales) share one program."""
        other = copy.copy(self)
        other._arrays = list(data) if self.moving_points else [(x, t) for (x, _), t in zip(self._arrays, data)]
        return other

    def with_moving_points(self) -> "Loss":
        """This loss with its sample points among its :attr:`data`: problems that differ only in where
        their points lie (a march's stages: the same counts, drawn in) share one compiled program."""
        other = copy.copy(self)
        other.moving_points = True
        return other

    def rebound(self, problem: Problem, points: list, data: list, data_scales: dict) -> "Loss":
        """This loss for `problem` of the same structure at the sample points `points` (one ``(N_s,)``
        array per set), over the targets `data` and data scales `data_scales` (all possibly traced):
        one θ of a :class:`~gluenn.Family`."""
        other = copy.copy(self)
        other._arrays = list(zip(points, data))
        other.problem, other.data_scales = problem, dict(data_scales)
        return other

    def residuals(self, ansatz, reference=None) -> dict:
        """``{set name: r}`` with ``r`` of shape ``(N,)`` or ``(N, m)``: unsquared, unweighted."""
        scales = self.scales(ansatz if reference is None else reference) if reference is not UNSCALED else {}
        out = {}
        for s, (x, t) in zip(self.problem.samples, self._arrays):
            r = _set_residuals(s, self.problem.equation, ansatz, x, t)
            if s.name in self.data_scales:
                r = r / self.data_scales[s.name]
            if s.name in scales:
                r = r / (scales[s.name] if r.ndim == 1 else scales[s.name][:, None])
            out[s.name] = r
        return out

    def scales(self, reference) -> dict:
        """``{set name: (N,)}``: the scales the sets take from the solution `reference` (no gradient
        flows through them); sets that take none are absent."""
        reference = jax.lax.stop_gradient(reference)
        out = {}
        for s, (x, _) in zip(self.problem.samples, self._arrays):
            scale = self._solution_size(s, reference) * jnp.ones(x.shape[0]) if s.name in self.unsized else \
                _set_scale(s, self.problem.equation, x, reference)
            if scale is not None:
                out[s.name] = scale
        return out

    def _solution_size(self, data: Data, reference):
        """The root-mean-square of the solution's ``y⁽ᵏ⁾`` (k: the data set's derivative) over the
        residual points (64 over the domain if there are none); 1 where it is 0 (y ≡ 0)."""
        xs = [x for s, (x, _) in zip(self.problem.samples, self._arrays) if isinstance(s, Residual)]
        x = jnp.concatenate(xs) if xs else jnp.linspace(*self.problem.domain, 64)
        k = data.derivative
        size = jnp.sqrt(jnp.mean(jax.vmap(lambda xi: reference.derivatives(xi, k)[k])(x) ** 2))
        return jnp.where(size > 0, size, 1.0)

    def row_scales(self, reference):
        """The divisor of every least-squares row (``(M,)``, in :meth:`rows` order): the sets'
        :meth:`scales` at `reference`, 1 for rows that take none. ``rows(a, reference=ref)`` equals
        ``rows(a, reference=UNSCALED) / row_scales(ref)``."""
        scales = self.scales(reference)
        shapes = [jax.eval_shape(lambda s=s, x=x, t=t: _set_residuals(s, self.problem.equation, reference, x, t))
                  for s, (x, t) in zip(self.problem.samples, self._arrays)]
        parts = []
        for s, shape in zip(self.problem.samples, shapes):
            per_point = int(np.prod(shape.shape[1:])) if len(shape.shape) > 1 else 1
            scale = scales.get(s.name, jnp.ones(shape.shape[0]))
            parts.append(jnp.repeat(scale, per_point))
        return jnp.concatenate(parts)

    def terms(self, ansatz, reference=None) -> dict:
        return {k: mean_square(r) for k, r in self.residuals(ansatz, reference).items()}

    def rows(self, ansatz, weights: dict | None = None, reference=None):
        """All residuals as one vector ``sqrt(λ_s / N_s) · r_s`` so that ``loss = |rows|²``."""
        return weighted_rows(self.residuals(ansatz, reference), self.weights if weights is None else weights)

    def __call__(self, ansatz, weights: dict | None = None, reference=None):
        w = self.weights if weights is None else weights
        raw = self.terms(ansatz, reference)
        return sum(w[k] * v for k, v in raw.items()), raw


# Each sample set's residuals (and solution scale) are one jitted function of the ansatz and the
# set's arrays: every program that needs them — the structure probe, the step's rows and their
# Jacobian, the loss — reuses one trace (JAX caches a jitted function's jaxpr and its derivatives),
# instead of tracing the network's derivatives again each time (freeze-out: chunk tracing 0.29 ->
# 0.12 s). The set, the equation and the ansatz's non-array parts are the cache key; a user's set
# that cannot be hashed (a plain ``@dataclass`` subclass) is traced inline, as before.
def _set_residuals(sample_set, equation, ansatz, x, t):
    return _shared(sample_set, "residuals", ansatz, equation, x, t)


def _set_scale(sample_set, equation, x, reference):
    return _shared(sample_set, "solution_scale", equation, x, reference)


def _shared(sample_set, method: str, *args):
    """``sample_set.method(*args)``, through one jitted function when its arguments can key the cache."""
    if _hashable(sample_set, *args):
        return _jitted(sample_set, method, *args)
    return getattr(sample_set, method)(*args)


@eqx.filter_jit
def _jitted(sample_set, method: str, *args):
    return getattr(sample_set, method)(*args)


def _hashable(*objects) -> bool:
    """Whether :func:`eqx.filter_jit` can use `objects`' non-array parts as a cache key."""
    leaves, treedef = jax.tree_util.tree_flatten(eqx.filter(objects, eqx.is_array, inverse=True))
    try:
        hash((tuple(leaves), treedef))
    except TypeError:
        return False
    return True


def data_scales(problem: Problem) -> dict[str, float | np.ndarray]:
    """``{data set name: scale}``: each :class:`~gluenn.Data` set's `scale`, or its targets' own
    root-mean-square; all-zero targets take the largest other exact data set's, or 1 (and then, in a
    :class:`Loss`, the size of the solution: :func:`unsized_data`). Noisy data: their σ, shape
    ``(N,)`` (the misfit in standard deviations)."""
    sets = [s for s in problem.samples if isinstance(s, Data)]
    own = {s.name: s.own_scale() for s in sets if s.scale is None and not s.noisy}
    fallback = max([v for v in own.values() if v > 0], default=1.0)
    return {s.name: s.sigma() if s.noisy else float(s.scale) if s.scale is not None else
            (own[s.name] if own[s.name] > 0 else fallback) for s in sets}


def unsized_data(problem: Problem) -> list[str]:
    """The data sets measured against the solution's own size: no `scale` given and all-zero targets,
    when no data set has a size of its own (a beam ``y'''' = 1`` with y(0) = y'(0) = y(1) = y''(1) = 0:
    in absolute units the misfit of a deflection of size 5e-3 counted 4e4 times too little, and y came
    back off by 60 % at 200 residual points)."""
    sets = [s for s in problem.samples if isinstance(s, Data)]
    if any(s.scale is not None or s.noisy or s.own_scale() > 0 for s in sets):
        return []
    return [s.name for s in sets]


def check_user_functions(problem: Problem, ansatz) -> None:
    """Evaluate every term and the residual once, abstractly, and explain shape/dtype mistakes.

    Raises :class:`ConfigError` naming the term or equation at fault instead of a deep JAX trace.
    """
    x0 = jnp.asarray(0.5 * (problem.domain[0] + problem.domain[1]))
    cs = jax.eval_shape(ansatz.coefficient_vectors, x0)
    for t in problem.terms:
        c = jax.ShapeDtypeStruct(cs[t.name].shape, cs[t.name].dtype)
        try:
            out = jax.eval_shape(t.fn, jax.ShapeDtypeStruct((), jnp.float64), c)
        except Exception as exc:  # noqa: BLE001 - re-raised with the term's name
            raise ConfigError(f"Term({t.name}).fn failed on a scalar x and c of shape {c.shape}: "
                              f"{type(exc).__name__}: {exc}. Write it with jax.numpy for scalar x.") from None
        if getattr(out, "shape", None) not in ((), (1,)):
            raise ConfigError(f"Term({t.name}).fn returned shape {out.shape}: it must return a "
                              f"scalar for a scalar x (index the coefficients as c[0], c[1], ...)")
        if not jnp.issubdtype(out.dtype, jnp.floating):
            raise ConfigError(f"Term({t.name}).fn returned dtype {out.dtype}: return a real float; "
                              f"split complex solutions into real and imaginary problems")
        if _reads_beyond(t, x0):
            raise ConfigError(f"Term({t.name}).fn is invalid: it reads a coefficient beyond its {t.n} declared "
                              f"({', '.join(t.coefficients)}): JAX would clamp c[k] for k >= {t.n} silently to "
                              f"c[{t.n - 1}]; declare more coefficients or index c[0]..c[{t.n - 1}] (not c[-1])")
    eq = problem.equation
    args = [jax.ShapeDtypeStruct((), jnp.float64)] * (eq.order + 2)
    try:
        out = jax.eval_shape(eq.residual, *args)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"Equation.residual failed on scalar arguments (x, y, dy, ...) for "
                          f"order {eq.order}: {type(exc).__name__}: {exc}") from None
    if getattr(out, "shape", None) not in ((), (1,)) or not jnp.issubdtype(out.dtype, jnp.floating):
        raise ConfigError(f"Equation.residual returned shape {getattr(out, 'shape', '?')} dtype "
                          f"{getattr(out, 'dtype', '?')}: it must return one real scalar")


def _reads_beyond(term, x0) -> bool:
    """Whether ``term.fn`` reads ``c[k]`` for ``k >= n``. JAX traces such a read as a
    ``dynamic_slice``/``gather`` (an in-range constant index is a plain ``slice``) and clamps it;
    to tell it from a genuinely dynamic index, the term is also evaluated with NaN padding after
    the declared coefficients (ones): a read past the end then returns NaN."""
    ones = jnp.ones(term.n)
    try:
        if not _indexes_dynamically(jax.make_jaxpr(lambda c: term.fn(x0, c))(ones).jaxpr):
            return False
        plain = jnp.asarray(term.fn(x0, ones))
        padded = jnp.asarray(term.fn(x0, jnp.concatenate([ones, jnp.full(8, jnp.nan)])))
    except Exception:  # noqa: BLE001 - the shape checks above report a failing term
        return False
    return (padded.shape == plain.shape and bool(jnp.all(jnp.isfinite(plain)))
            and not bool(jnp.all(jnp.isfinite(padded))))


def _indexes_dynamically(jaxpr) -> bool:
    for eqn in jaxpr.eqns:
        if eqn.primitive.name in ("dynamic_slice", "gather"):
            return True
        for v in eqn.params.values():
            inner = getattr(v, "jaxpr", None)
            if inner is not None and _indexes_dynamically(getattr(inner, "jaxpr", inner)):
                return True
    return False
