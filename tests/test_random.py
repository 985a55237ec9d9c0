"""gluenn._random draws JAX's Threefry bits in NumPy: the same numbers as ``jax.random``, bit for bit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gluenn import _random as random

SEEDS = [0, 1, 5, 2**33 + 7]


@pytest.mark.parametrize("seed", SEEDS)
def test_keys_split_fold_in_match_jax(seed):
    k = jax.random.PRNGKey(seed)
    assert np.array_equal(np.asarray(k), random.key(seed))
    for n in (2, 3, 12):
        assert np.array_equal(np.asarray(jax.random.split(k, n)), random.split(random.key(seed), n))
    for data in (1, 4321):
        assert np.array_equal(np.asarray(jax.random.fold_in(k, data)), random.fold_in(random.key(seed), data))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape, lo, hi", [((100, 1), -1.0, 1.0), ((3, 50, 40), -40**-0.5, 40**-0.5),
                                            ((7,), 0.0, 1.0), ((), -0.3, 0.3), ((999,), 1e-3, 2e5)])
def test_uniform_matches_jax_bit_for_bit(seed, shape, lo, hi):
    # (hi - lo) not a power of two: the scaling is one fused multiply-add in XLA, emulated exactly here
    want = np.asarray(jax.random.uniform(jax.random.PRNGKey(seed), shape, jnp.float64, lo, hi))
    got = random.uniform(random.key(seed), shape, lo, hi)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert np.array_equal(got, want)


def test_bernoulli_matches_jax():
    want = np.asarray(jax.random.bernoulli(jax.random.PRNGKey(3), 0.5, (257,)))
    assert np.array_equal(random.bernoulli(random.key(3), 0.5, (257,)), want)


def test_fused_multiply_add_rounds_once():
    # 1 + 2^-52 squared is 1 + 2^-51 + 2^-104: the fused result keeps the last term's sign, the unfused loses it
    a = np.array([1.0 + 2.0**-52])
    c = np.array([-(1.0 + 2.0**-51)])
    assert random._fma(a, a, c)[0] == 2.0**-104
    assert (a * a + c)[0] == 0.0
