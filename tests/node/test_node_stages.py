"""Staged training: refreshed rounds, and rounds added until the loss settles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn import node


def test_a_refreshed_stage_rebuilds_its_loss_each_round():
    seen = []

    def refresh(model):
        seen.append(model)
        return lambda m: (jnp.sum((m - 1.0) ** 2), {"fit": jnp.sum((m - 1.0) ** 2)})
    stage = node.Stage("fit", None, [gn.Adam(3, lr=0.1)], rounds=3, refresh=refresh)
    assert stage.parts() == ["fit-1", "fit-2", "fit-3"]
    fit = node.fit_stages(jnp.zeros(1), [stage], progress=False)
    assert len(seen) == 3 and float(seen[1][0]) > 0.0          # round 2 starts where round 1 ended
    assert fit.steps == 9 and [name for name, _ in fit.parts] == ["fit-1", "fit-2", "fit-3"]
    assert fit.stopped is None and "fit-3: completed" in fit.stop
    assert float(fit.model[0]) == pytest.approx(1.0, abs=0.5)   # 9 Adam steps of 0.1 towards 1
    with pytest.raises(gn.ConfigError, match="either a loss or a refresh"):
        node.Stage("x", lambda m: m, [gn.Adam(1)], refresh=refresh)
    with pytest.raises(gn.ConfigError, match="rounds"):
        node.Stage("x", lambda m: m, [gn.Adam(1)], rounds=2)


def test_a_stage_adds_rounds_until_its_refreshed_loss_settles():
    """rounds=2, max_rounds=4: round 2's refresh moves the target (the loss jumps 101-fold), so a
    third round runs; its refresh moves nothing (jump ~1), so no fourth."""
    targets, seen = [0.0, 10.0, 10.0, 10.0], []

    def refresh(model):
        target = targets[len(seen)]
        seen.append(float(model[0]))
        return lambda m: (jnp.sum((m - target) ** 2) + 1.0, {"fit": jnp.sum((m - target) ** 2)})
    stage = node.Stage("fit", None, [gn.LBFGS(20)], rounds=2, refresh=refresh, max_rounds=4, settle=5.0)
    assert stage.parts() == ["fit-1", "fit-2", "fit-3", "fit-4"]
    assert stage.another(1, None) and stage.another(2, 6.0) and not stage.another(2, 4.0)
    assert not stage.another(4, 100.0)
    fit = node.fit_stages(jnp.zeros(1), [stage], progress=False)
    assert len(seen) == 3 and seen[2] == pytest.approx(10.0, abs=1e-6)
    assert [name for name, _ in fit.parts] == ["fit-1", "fit-2", "fit-3"] and "fit-4" not in fit.stop
    with pytest.raises(gn.ConfigError, match="max_rounds"):
        node.Stage("x", None, [gn.Adam(1)], rounds=3, refresh=refresh, max_rounds=2)
    with pytest.raises(gn.ConfigError, match="settle"):
        node.Stage("x", None, [gn.Adam(1)], refresh=refresh, settle=1.0)


def test_logged_loss_terms_are_unweighted_for_neural_odes_too():
    """As for GlueNN: the log's terms are unweighted, the logged loss is Σ λ_k term_k."""
    def rotation(t, z):
        return jnp.array([z[1], -4.0 * z[0]])
    t = np.arange(0, 51) * 0.01
    data = node.Trajectory(t, np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)]))
    loss = node.NODELoss(data, node.Physics(rotation, 7.0, data.derivative_scales()), dt=0.01)
    field = node.VectorField.create(jax.random.PRNGKey(0), data.z, data.derivative_scales(), width=8, depth=2)
    fit = node.fit_stages(field, [node.Stage("fit", loss, [gn.Adam(4)])], log_every=2, progress=False)
    for row in fit.rows:
        assert row["loss"] == pytest.approx(row["data"] + 7.0 * row["physics"], rel=1e-12)
    assert set(fit.last.final_terms) == {"data", "physics"}
