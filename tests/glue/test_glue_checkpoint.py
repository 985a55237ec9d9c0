"""GlueNN checkpoints: a round trip, and a clear refusal of other terms."""

import jax
import numpy as np
import pytest

from conftest import SMALL
import gluenn as gn


def test_save_load_round_trip(tmp_path, decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(30)], seed=2, progress=False)
    gn.save(tmp_path / "checkpoint.eqx", result)
    loaded = gn.load(tmp_path / "checkpoint.eqx", decay_problem)["y"]
    for u, v in zip(jax.tree_util.tree_leaves(result.ansatz), jax.tree_util.tree_leaves(loaded)):
        assert np.array_equal(np.asarray(u), np.asarray(v))
    x = np.linspace(0, 3, 11)
    np.testing.assert_array_equal(gn.Solution(loaded, decay_problem).y(x), result.solution.y(x))


def test_load_refuses_other_terms(tmp_path, decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(5)], seed=0, progress=False)
    gn.save(tmp_path / "ck.eqx", result)
    other = gn.Problem([gn.Term("other", lambda x, c: c[0])], decay_problem.equation,
                       decay_problem.samples, decay_problem.domain)
    with pytest.raises(gn.ConfigError, match="trained with terms"):
        gn.load(tmp_path / "ck.eqx", other)
    with pytest.raises(gn.ConfigError, match="expected"):
        gn.load(tmp_path / "missing.eqx", decay_problem)
