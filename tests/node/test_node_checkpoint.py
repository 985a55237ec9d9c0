"""Neural-ODE checkpoints: a saved field loads back into one that predicts bit-identically."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn import node


def _field(seed):
    z = np.random.default_rng(0).normal(size=(30, 3))
    return node.VectorField.create(jax.random.PRNGKey(seed), z, np.ones(3), width=8, depth=2)


def test_a_saved_field_predicts_bit_identically(tmp_path):
    trained = _field(0)
    node.save(tmp_path / "checkpoint.eqx", trained, extra={"seed": 0})
    loaded = node.load(tmp_path / "checkpoint.eqx", _field(7))       # another seed's skeleton
    ts = np.arange(0, 201) * 0.01
    a = np.asarray(node.integrate(trained, jnp.ones(3), ts, adjoint="scan"))
    b = np.asarray(node.integrate(loaded, jnp.ones(3), ts, adjoint="scan"))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, np.asarray(node.integrate(_field(7), jnp.ones(3), ts, adjoint="scan")))


def test_a_checkpoint_of_another_kind_or_shape_is_refused(tmp_path, decay_problem):
    node.save(tmp_path / "f.eqx", _field(0))
    wider = node.VectorField.create(jax.random.PRNGKey(0), np.zeros((30, 3)), np.ones(3), width=16, depth=2)
    with pytest.raises(gn.ConfigError, match="does not fit"):
        node.load(tmp_path / "f.eqx", wider)
    fit = gn.fit(decay_problem, network=gn.Network(head=(4,), head_out=4, trunk=(4,)), trainer=[gn.Adam(1)],
                 progress=False)
    gn.save(tmp_path / "g.eqx", fit)
    with pytest.raises(gn.ConfigError, match="'glue' model, not a 'node'"):
        node.load(tmp_path / "g.eqx", _field(0))
    with pytest.raises(gn.ConfigError, match="expected"):
        node.load(tmp_path / "missing.eqx", _field(0))
