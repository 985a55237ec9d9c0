"""C^n matching: glue asymptotic solutions by continuity of y, y', ..., y^(n) at chosen points.

The textbook alternative to GlueNN (paper footnote 2). Start from a fully known solution valid
on one side; at each matching point ``x_m`` fix the constants of the next asymptotic family so
that it agrees with the previous piece to order ``n`` (``n + 1`` equations for ``n + 1``
constants, solved by Newton — one step when the family is linear in its constants). The
paper's ±20 % band comes from moving every matching point by a factor ``1 ± 0.2``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ..glue import derivatives
from .._errors import ConfigError, require


@dataclasses.dataclass(frozen=True, eq=False)
class Family:
    """An asymptotic solution ``fn(x, c)`` with ``len(init)`` free constants (jax-traceable).

    `init` is Newton's starting guess (exact for linear families, so any value works there).
    """

    fn: Callable
    init: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.init)


class Matched:
    """A piecewise solution: `start` before ``at[0]``, then ``families[i]`` (with constants
    ``constants[i]``) between ``at[i]`` and ``at[i+1]``, in the direction of traversal."""

    def __init__(self, start: Callable, families: Sequence[Family], at: Sequence[float],
                 constants: Sequence[np.ndarray]):
        self.start, self.families, self.at = start, tuple(families), tuple(float(a) for a in at)
        self.constants = [np.asarray(c) for c in constants]
        self.direction = 1.0 if len(at) < 2 or at[1] > at[0] else -1.0

    def _index(self, x: np.ndarray) -> np.ndarray:
        s = self.direction
        return np.sum((s * x[..., None]) >= (s * np.asarray(self.at)), axis=-1).astype(np.int32)

    def _evaluate(self, x, derivative: bool) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        flat = x.ravel()
        values = _piecewise(jnp.asarray(flat), jnp.asarray(self._index(flat)), tuple(map(jnp.asarray, self.constants)),
                            start=_Same(self.start), fns=tuple(_Same(f.fn) for f in self.families),
                            derivative=derivative)
        return np.asarray(values).reshape(x.shape)

    def y(self, x) -> np.ndarray:
        return self._evaluate(x, derivative=False)

    def dy(self, x) -> np.ndarray:
        return self._evaluate(x, derivative=True)


# The programs below take the functions as static arguments (compared by identity) and everything
# else as arguments: every matching of the same functions (the band's shifted variants, both parts
# of a complex wave) shares one compiled program per shape, instead of compiling closures over its
# own constants.

class _Same:
    """A function as a static argument of a compiled program: equal to another exactly when it is
    the same object (any callable, hashable or not)."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)

    def __hash__(self) -> int:
        return id(self.fn)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Same) and other.fn is self.fn


@functools.partial(jax.jit, static_argnames=("start", "fns", "derivative"))
def _piecewise(x, index, constants, *, start, fns, derivative):
    """``start`` or ``fns[i-1](x, constants[i-1])`` at each point, as ``index`` selects (or its x-derivative)."""
    pieces = [lambda s, cs: start(s)] + [lambda s, cs, i=i, f=f: f(s, cs[i]) for i, f in enumerate(fns)]
    if derivative:
        pieces = [lambda s, cs, p=p: jax.jvp(lambda t: p(t, cs), (s,), (jnp.ones_like(s),))[1] for p in pieces]
    return jax.vmap(lambda s, i: jax.lax.switch(i, pieces, s, constants))(x, index)


@functools.partial(jax.jit, static_argnames=("fn", "order"))
def _derivatives_at(c, xm, *, fn, order):
    """``(f, f', ..., f^(order))`` at ``xm`` of ``fn(x)`` (``c`` is ``None``) or ``fn(x, c)``, stacked."""
    return jnp.stack(derivatives(fn if c is None else (lambda s: fn(s, c)), xm, order))


def _misfit(c, xm, target, fn, order):
    """The relative mismatch of ``fn(·, c)``'s derivatives at ``xm`` to ``target``."""
    got = jnp.stack(derivatives(lambda s: fn(s, c), xm, order))
    return (got - target) / jnp.maximum(jnp.abs(target), 1e-300)


_misfit_value = jax.jit(_misfit, static_argnames=("fn", "order"))
_misfit_jacobian = jax.jit(jax.jacfwd(_misfit), static_argnames=("fn", "order"))


def _newton(f, jac, c0, max_iter=60):
    """Damped Newton on ``f(c) = 0`` from `c0` (``jac(c)`` its Jacobian): ``(c, |f(c)|)`` (``inf``
    for a singular Jacobian). The iteration runs in NumPy."""
    c = np.asarray(c0, dtype=np.float64)
    r = np.asarray(f(c))
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(np.asarray(jac(c)), -r)
        except np.linalg.LinAlgError:
            return c, float("inf")
        t, norm = 1.0, np.linalg.norm(r)
        while t > 1e-6:
            c_new = c + t * step
            r_new = np.asarray(f(c_new))
            if np.all(np.isfinite(r_new)) and np.linalg.norm(r_new) < norm:
                break
            t *= 0.5
        c, r = c_new, r_new
        if np.linalg.norm(r) <= 1e-13:
            break
    return c, float(np.linalg.norm(r))


def match(start: Callable, families: Sequence[Family], at: Sequence[float], *, order: int) -> Matched:
    """C^``order`` matching of ``families`` onto ``start`` at the points ``at`` (in order).

    Each family needs ``order + 1`` constants. Raises :class:`~gluenn.ConfigError` when a
    matching system is singular or Newton does not converge (e.g. a nonlinear family started
    far from a root).
    """
    require(len(families) == len(at) and len(at) >= 1, "matching points", list(at),
            "give one matching point per family")
    prev, c_prev = start, None
    constants = []
    for fam, xm in zip(families, at):
        require(fam.n == order + 1, "Family.init", fam.init,
                f"C^{order} matching fixes {order + 1} constants per family")
        xm = jnp.asarray(float(xm))
        target, fn = _derivatives_at(c_prev, xm, fn=_Same(prev), order=order), _Same(fam.fn)
        c, err = _newton(lambda c: _misfit_value(c, xm, target, fn=fn, order=order),
                         lambda c: _misfit_jacobian(c, xm, target, fn=fn, order=order), fam.init)
        if not np.all(np.isfinite(c)) or err > 1e-8:
            raise ConfigError(f"C^{order} matching at x={float(xm)} did not converge (residual {err:.2e});"
                              " give the family a better init or move the matching point")
        constants.append(c)
        prev, c_prev = fam.fn, jnp.asarray(c)
    return Matched(start, families, at, constants)


@dataclasses.dataclass(frozen=True)
class MatchingBand:
    """The central matched solution and its variants with every matching point scaled by
    ``1 - shift`` and ``1 + shift`` (the paper's ±20 % band)."""

    central: Matched
    variants: tuple[Matched, ...]
    at: tuple[float, ...]
    shift: float

    def envelope(self, x) -> tuple[np.ndarray, np.ndarray]:
        ys = np.stack([m.y(x) for m in (self.central,) + self.variants])
        return ys.min(axis=0), ys.max(axis=0)


def matching_band(build: Callable[[Sequence[float]], Matched], at: Sequence[float],
                  shift: float = 0.2) -> MatchingBand:
    """Build the central matching at ``at`` and the two shifted variants via ``build(points)``."""
    at = tuple(float(a) for a in at)
    try:
        variants = tuple(build([a * (1 + s) for a in at]) for s in (-shift, shift))
    except ConfigError:
        variants = ()
    return MatchingBand(build(at), variants, at, shift)
