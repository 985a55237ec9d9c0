"""JAX's default random numbers (Threefry-2x32, ``jax_threefry_partitionable``), computed in NumPy.

The network's initialisation draws a dozen arrays of different shapes. Through ``jax.random`` each
shape is its own compiled program: ~1.2 s of XLA compilation in a cold run (issue 21), for
arrays that take microseconds to compute. These functions return the *same bits* as
``jax.random.PRNGKey``, ``split``, ``fold_in``, ``uniform`` (float64) and ``bernoulli`` on raw
``uint32[2]`` keys, so a seed gives the same network as before; ``tests/test_random.py`` checks
bit-equality against ``jax.random`` itself. Keys are NumPy ``uint32`` arrays of shape ``(2,)``
(accepted by ``jax.random`` too). Cost: ~25 vectorised integer operations per 64 bits drawn.
"""

from __future__ import annotations

import math

import numpy as np

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = np.uint32(0x1BD11BDA)


def _rotl(x: np.ndarray, d: int) -> np.ndarray:
    return (x << np.uint32(d)) | (x >> np.uint32(32 - d))


def threefry2x32(key, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Threefry-2x32 hash (20 rounds) of the counter pairs ``(x1, x2)`` (``uint32``, same shape)."""
    k1, k2 = (np.uint32(k) for k in np.asarray(key, dtype=np.uint32))
    ks = (k1, k2, k1 ^ k2 ^ _PARITY)
    with np.errstate(over="ignore"):
        x = [np.asarray(x1, np.uint32) + ks[0], np.asarray(x2, np.uint32) + ks[1]]
        for i in range(5):
            for r in _ROTATIONS[i % 2]:
                x[0] = x[0] + x[1]
                x[1] = x[0] ^ _rotl(x[1], r)
            x[0] = x[0] + ks[(i + 1) % 3]
            x[1] = x[1] + ks[(i + 2) % 3] + np.uint32(i + 1)
    return x[0], x[1]


def _counters(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A ``uint64`` iota over `shape` as its high and low ``uint32`` words."""
    i = np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    return (i >> np.uint64(32)).astype(np.uint32), (i & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _two_sum(a, b):
    """``a + b`` rounded, and its exact rounding error (Knuth)."""
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


def _two_product(a, b):
    """``a · b`` rounded, and its exact rounding error (Dekker, Veltkamp's split)."""
    p = a * b
    ah, al = _halves(a)
    bh, bl = _halves(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _halves(a):
    t = 134217729.0 * a  # 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma(a, b, c):
    """``a · b + c`` rounded once, as XLA's fused multiply-add gives it: Boldo and Melquiond's
    emulation (IEEE Trans. Comput. 57, 2008), whose middle sum is rounded to odd."""
    ph, pl = _two_product(a, b)
    sh, sl = _two_sum(c, ph)
    t, e = _two_sum(sl, pl)
    bump = (e != 0) & ((t.view(np.int64) & 1) == 0)  # inexact and even: step to the odd neighbour
    t = np.where(bump, np.nextafter(t, np.where(e > 0, np.inf, -np.inf)), t)
    return sh + t


def key(seed: int) -> np.ndarray:
    """``jax.random.PRNGKey(seed)``: the 64-bit seed's high and low words, ``uint32[2]``."""
    s = int(seed) % 2 ** 64
    return np.array([s >> 32, s & 0xFFFFFFFF], dtype=np.uint32)


def split(key, num: int = 2) -> np.ndarray:
    """``jax.random.split(key, num)``: ``num`` new keys, ``uint32[num, 2]``."""
    b1, b2 = threefry2x32(key, *_counters((num,)))
    return np.stack([b1, b2], axis=-1)


def fold_in(key, data: int) -> np.ndarray:
    """``jax.random.fold_in(key, data)`` for a 32-bit unsigned `data`: a new key."""
    b1, b2 = threefry2x32(key, np.zeros(1, np.uint32), np.array([data], np.uint32))
    return np.array([b1[0], b2[0]], dtype=np.uint32)


def uniform(key, shape: tuple[int, ...] = (), minval: float = 0.0, maxval: float = 1.0) -> np.ndarray:
    """``jax.random.uniform(key, shape, float64, minval, maxval)``: float64 in ``[minval, maxval)``."""
    shape = tuple(shape)
    b1, b2 = threefry2x32(key, *_counters(shape))
    bits = (b1.astype(np.uint64) << np.uint64(32)) | b2.astype(np.uint64)
    floats = ((bits >> np.uint64(12)) | np.float64(1.0).view(np.uint64)).view(np.float64) - 1.0
    lo, hi = np.float64(minval), np.float64(maxval)
    return np.maximum(lo, _fma(floats, hi - lo, np.full_like(floats, lo))).reshape(shape)


def bernoulli(key, p: float = 0.5, shape: tuple[int, ...] = ()) -> np.ndarray:
    """``jax.random.bernoulli(key, p, shape)`` for a float `p`: booleans, true with probability `p`."""
    return uniform(key, shape) < np.float64(p)
