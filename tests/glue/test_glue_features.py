"""The coefficient network's first layer: ``features="spread"`` against the usual ``"random"``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.glue import init_ansatz

L = 13.0


def _features(network: gn.Network, residual: gn.Points, seed: int = 0) -> np.ndarray:
    """The trunk features (plus a constant) of a one-coefficient problem on [-L, L], shape ``(N, W + 1)``."""
    problem = gn.Problem([gn.Term("y", lambda x, c: c[0])], gn.Equation(lambda x, y, dy: dy),
                         [gn.Data(gn.points([0.0]), [1.0]), gn.Residual(residual)], (-L, L))
    net = init_ansatz(problem, network, seed).net
    x = np.linspace(-L, L, 3000)
    feats = np.asarray(jax.vmap(net.features)(jnp.asarray(x)))[:, 0, :]
    return x, np.column_stack([feats, np.ones(len(x))])


def _step_error(x, F, width: float) -> float:
    """Max error of the least-squares fit of a step tanh((x − 5)/width) by the columns of ``F``."""
    target = np.tanh((x - 5.0) / width)
    c = np.linalg.lstsq(F, target, rcond=1e-13)[0]
    return float(np.max(np.abs(F @ c - target)))


@pytest.mark.parametrize("seed", [0, 1])
def test_spread_features_resolve_a_step_the_random_ones_cannot(seed):
    """A step of width 0.3 on a domain of length 26 (the edge of a sharp barrier): 100 random units
    fit it to ~10 % (their steps crowd the middle of the input range); 100 spread ones, placed over
    the 521 collocation points, to better than 1 %. Both fit a slow function equally well."""
    net = dict(head=(100, 100), head_out=100, trunk=(100,))
    residual = gn.linspace(-L, L, 521)
    x, spread = _features(gn.Network(**net), residual, seed)
    _, random = _features(gn.Network(**net, features="random"), residual, seed)
    assert _step_error(x, spread, 0.3) < 0.01
    assert _step_error(x, random, 0.3) > 0.05
    for F in (spread, random):
        assert _step_error(x, F, 5.0) < 1e-4


def test_spread_features_follow_the_collocation_points():
    """Residual points only on [5, 13]: a step at x = 5 of width 0.3 is resolved there, while the
    same step at x = −5 (no points: nothing could see detail there) is left coarse."""
    x, F = _features(gn.Network(), gn.linspace(5.0, L, 200))
    assert _step_error(x[x > 0], F[x > 0], 0.3) < 0.01
    target = np.tanh((x + 5.0) / 0.3)
    c = np.linalg.lstsq(F[x < 0], target[x < 0], rcond=1e-13)[0]
    assert np.max(np.abs(F[x < 0] @ c - target[x < 0])) > 0.05


def test_the_narrowest_step_is_twice_the_point_spacing():
    """40 collocation points for 100 units: no unit is narrower than two point spacings (a narrower
    one would bend y between the points, unseen by the loss)."""
    problem = gn.Problem([gn.Term("y", lambda x, c: c[0])], gn.Equation(lambda x, y, dy: dy),
                         [gn.Data(gn.points([0.0]), [1.0]), gn.Residual(gn.linspace(-L, L, 40))], (-L, L))
    net = init_ansatz(problem, gn.Network(head=(), head_out=100, trunk=()), 0).net
    width_in_x = 1.0 / np.abs(np.asarray(net.head_w[0])[:, 0] * net.scale)
    assert width_in_x.min() >= 2 * (2 * L / 39) * (1 - 1e-9)
    assert width_in_x.max() <= 2 * L * (1 + 1e-9)


def test_features_is_checked():
    with pytest.raises(gn.ConfigError, match="Network.features"):
        gn.Network(features="uniform")
