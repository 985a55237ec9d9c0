"""C^n matching: glue asymptotic solutions by continuity of y, y', ..., y^(n) at chosen points.

The textbook alternative to GlueNN (paper footnote 2). Start from a fully known solution valid
on one side; at each matching point ``x_m`` fix the constants of the next asymptotic family so
that it agrees with the previous piece to order ``n`` (``n + 1`` equations for ``n + 1``
constants, solved by Newton — one step when the family is linear in its constants). The
paper's ±20 % band comes from moving every matching point by a factor ``1 ± 0.2``.
"""

from __future__ import annotations

import dataclasses
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
        pieces = [start] + [lambda x, f=f, c=c: f.fn(x, jnp.asarray(c))
                            for f, c in zip(self.families, self.constants)]
        self._pieces = pieces
        self._f = jax.jit(jax.vmap(lambda x, i: jax.lax.switch(i, pieces, x)))
        self._df = jax.jit(jax.vmap(lambda x, i: jax.lax.switch(
            i, [lambda s, p=p: jax.jvp(p, (s,), (jnp.ones_like(s),))[1] for p in pieces], x)))

    def _index(self, x: np.ndarray) -> np.ndarray:
        s = self.direction
        return np.sum((s * x[..., None]) >= (s * np.asarray(self.at)), axis=-1).astype(np.int32)

    def y(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self._f(jnp.asarray(x.ravel()), jnp.asarray(self._index(x.ravel())))).reshape(x.shape)

    def dy(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(self._df(jnp.asarray(x.ravel()), jnp.asarray(self._index(x.ravel())))).reshape(x.shape)


def _newton(residual, c0, max_iter=60):
    """Damped Newton on ``residual(c) = 0`` from `c0`: ``(c, |residual(c)|)`` (``inf`` for a singular
    Jacobian). The residual and its Jacobian are compiled once each; the iteration runs in NumPy."""
    f, jac = jax.jit(residual), jax.jit(jax.jacfwd(residual))
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
    prev = start
    constants = []
    for fam, xm in zip(families, at):
        require(fam.n == order + 1, "Family.init", fam.init,
                f"C^{order} matching fixes {order + 1} constants per family")
        xm = jnp.asarray(float(xm))
        target = jnp.stack(derivatives(prev, xm, order))

        def residual(c, fam=fam, xm=xm, target=target):
            got = jnp.stack(derivatives(lambda s: fam.fn(s, c), xm, order))
            return (got - target) / jnp.maximum(jnp.abs(target), 1e-300)

        c, err = _newton(residual, fam.init)
        if not np.all(np.isfinite(c)) or err > 1e-8:
            raise ConfigError(f"C^{order} matching at x={float(xm)} did not converge (residual {err:.2e});"
                              " give the family a better init or move the matching point")
        constants.append(c)
        prev = lambda s, fam=fam, c=c: fam.fn(s, jnp.asarray(c))  # noqa: E731
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
