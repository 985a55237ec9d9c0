"""Bad declarations fail at construction with a message naming the field and the fix."""

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from conftest import SMALL


def test_points_validation():
    with pytest.raises(gn.ConfigError, match="empty or reversed"):
        gn.linspace(2.0, 1.0, 10)
    with pytest.raises(gn.ConfigError, match="log spacing needs 0 < lo"):
        gn.logspace(0.0, 1.0, 10)
    with pytest.raises(gn.ConfigError, match="at least one point"):
        gn.linspace(0.0, 1.0, 0)
    with pytest.raises(gn.ConfigError, match="NaN/inf"):
        gn.points([0.0, np.nan])
    both = gn.linspace(-2, -1, 3) | gn.linspace(1, 2, 3)
    np.testing.assert_allclose(both.values(), [-2, -1.5, -1, 1, 1.5, 2])


def test_problem_validation(decay_problem):
    term = decay_problem.terms[0]
    with pytest.raises(gn.ConfigError, match="no such term"):
        gn.Problem([term], decay_problem.equation,
                   [gn.Suppress(gn.linspace(0, 1, 3), terms="nope")], (0.0, 3.0))
    with pytest.raises(gn.ConfigError, match="weights must be finite and >= 0"):
        gn.Residual(gn.linspace(0, 1, 3), weight=-1.0)
    with pytest.raises(gn.ConfigError, match="names must be unique"):
        gn.Problem([term, term], decay_problem.equation, decay_problem.samples, (0.0, 3.0))
    with pytest.raises(gn.ConfigError, match="lo < hi"):
        gn.Problem([term], decay_problem.equation, decay_problem.samples, (3.0, 0.0))
    with pytest.raises(gn.ConfigError, match="NaN or inf"):
        gn.Data(gn.linspace(0, 1, 3), [1.0, np.inf, 2.0]).targets(np.linspace(0, 1, 3))


def test_user_function_shape_errors_are_caught_before_training(decay_problem):
    bad = gn.Term("vec", lambda x, c: c * jnp.exp(-x), coefficients=("a", "b"))
    problem = gn.Problem([bad], decay_problem.equation, decay_problem.samples, (0.0, 3.0))
    with pytest.raises(gn.ConfigError, match=r"Term\(vec\).fn returned shape \(2,\)"):
        gn.fit(problem, network=SMALL, trainer=[gn.Adam(1)], progress=False)
    broken = gn.Problem([decay_problem.terms[0]], gn.Equation(lambda x, y, dy: dy + y.nope),
                        decay_problem.samples, (0.0, 3.0))
    with pytest.raises(gn.ConfigError, match="Equation.residual failed"):
        gn.fit(broken, network=SMALL, trainer=[gn.Adam(1)], progress=False)


def test_log_input_needs_positive_domain(decay_problem):
    with pytest.raises(gn.ConfigError, match="use input='linear'"):
        gn.fit(decay_problem, network=gn.Network(input="log"), trainer=[gn.Adam(1)], progress=False)
