"""The GlueNN loss: ``sum_s λ_s · mean_{x in s} pointwise_s(x)`` over the problem's sample sets."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._errors import ConfigError
from ..engine import mean_square, weighted_rows
from ._problem import Problem


class Loss:
    """The loss of a :class:`Problem`, with its sample points materialised once.

    ``loss.terms(ansatz)`` returns the *unweighted* mean of every sample set (a dict keyed by
    set name); ``loss(ansatz)`` returns ``(total, terms)``: the total weighted by the problem's
    ``λ`` (or the ``weights`` given, e.g. by a balancing strategy) and the same unweighted terms.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.names = [s.name for s in problem.samples]
        self.weights = {s.name: float(s.weight) for s in problem.samples}
        self._arrays = []
        for s in problem.samples:
            x = s.points.values()
            t = s.targets(x)
            self._arrays.append((jnp.asarray(x), None if t is None else jnp.asarray(t)))

    def residuals(self, ansatz) -> dict:
        """``{set name: r}`` with ``r`` of shape ``(N,)`` or ``(N, m)``: unsquared, unweighted."""
        eq = self.problem.equation
        out = {}
        for s, (x, t) in zip(self.problem.samples, self._arrays):
            if t is None:
                out[s.name] = jax.vmap(lambda xi, s=s: s.residual(ansatz, eq, xi, None))(x)
            else:
                out[s.name] = jax.vmap(lambda xi, ti, s=s: s.residual(ansatz, eq, xi, ti))(x, t)
        return out

    def terms(self, ansatz) -> dict:
        return {k: mean_square(r) for k, r in self.residuals(ansatz).items()}

    def rows(self, ansatz, weights: dict | None = None):
        """All residuals as one vector ``sqrt(λ_s / N_s) · r_s`` so that ``loss = |rows|²``."""
        return weighted_rows(self.residuals(ansatz), self.weights if weights is None else weights)

    def __call__(self, ansatz, weights: dict | None = None):
        w = self.weights if weights is None else weights
        raw = self.terms(ansatz)
        return sum(w[k] * v for k, v in raw.items()), raw


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
