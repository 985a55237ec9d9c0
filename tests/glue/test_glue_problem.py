"""Declaring a GlueNN problem: points, sample sets, user functions, the network input."""

import jax.numpy as jnp
import numpy as np
import pytest

from conftest import SMALL
import gluenn as gn


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


@pytest.mark.parametrize("input_kind,domain", [("linear", (-2.0, 3.0)), ("log", (0.5, 20.0))])
def test_derivatives_match_finite_differences(input_kind, domain):
    term = gn.Term("t", lambda x, c: c[0] * jnp.sin(x) + c[1] * x**2, coefficients=("a", "b"))
    pos = gn.Term("p", lambda x, c: c[0] * jnp.exp(-x / 5), positive=True)
    problem = gn.Problem([term, pos], gn.Equation(lambda x, y, dy, d2y: d2y + y),
                         [gn.Residual(gn.linspace(*domain, 5))], domain)
    ansatz = gn.glue.init_ansatz(problem, gn.Network(head=(8, 8), head_out=8, trunk=(8,), input=input_kind,
                                                       output_scale=1.0), seed=3)
    for x0 in np.linspace(domain[0] + 0.3, domain[1] - 0.3, 4):
        y, dy, d2y = ansatz.derivatives(jnp.asarray(x0), 2)
        h = 1e-4
        f = lambda s: float(ansatz.y(jnp.asarray(s)))  # noqa: E731
        fd1 = (f(x0 + h) - f(x0 - h)) / (2 * h)
        fd2 = (f(x0 + h) - 2 * f(x0) + f(x0 - h)) / h**2
        assert float(y) == pytest.approx(f(x0), rel=1e-14)
        assert float(dy) == pytest.approx(fd1, rel=1e-6, abs=1e-9)
        assert float(d2y) == pytest.approx(fd2, rel=1e-4, abs=1e-6)


def test_evaluation_fractions_sum_to_one(decay_problem):
    ansatz = gn.glue.init_ansatz(decay_problem, SMALL, seed=0)
    sol = gn.Solution(ansatz, decay_problem)
    ev = sol.evaluate(np.linspace(0, 3, 7))
    total = sum(ev.fractions.values())
    np.testing.assert_allclose(total, 1.0, rtol=1e-12)
    assert set(ev.coefficients) == {"decay.c"}


def test_positive_terms_start_at_their_init():
    problem = gn.Problem([gn.Term("a", lambda x, c: c[0], positive=True, init=0.145)],
                         gn.Equation(lambda x, y, dy: dy), [gn.Residual(gn.linspace(1, 2, 3))], (1.0, 2.0))
    ansatz = gn.glue.init_ansatz(problem, gn.Network(output_scale=1e-6), seed=0)
    assert float(ansatz.coefficient_vectors(jnp.asarray(1.5))["a"][0]) == pytest.approx(0.145, rel=1e-4)


def test_data_terms_are_measured_against_their_own_size():
    """A data set's misfit is divided by its targets' rms; all-zero targets (y(0) = 0) borrow the
    largest other data set's scale; a number given is used as it is."""
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + y)
    term = gn.Term("w", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))
    problem = gn.Problem([term], eq, [
        gn.Data(gn.points([0.0]), [0.0], name="zero"),
        gn.Data(gn.points([0.0, 1.0]), [3.0, 4.0], name="values"),
        gn.Data(gn.points([0.0]), [1e-6], scale=1.0, name="absolute"),
        gn.Residual(gn.linspace(0.0, 3.0, 10))], (0.0, 3.0))
    scales = gn.Loss(problem).data_scales
    assert scales == {"zero": pytest.approx(12.5**0.5), "values": pytest.approx(12.5**0.5), "absolute": 1.0}


def test_the_explicit_form_solves_for_the_highest_derivative_and_says_where_it_cannot():
    """Bessel's equation x²y'' + xy' + (x² − 1)y = 0 solved for y'' by hand, against
    `Equation.explicit`; an equation nonlinear in y'' is not explicit, nor one whose y'' coefficient
    vanishes (x = 0 here)."""
    bessel = gn.Equation(lambda x, y, dy, d2y: x**2 * d2y + x * dy + (x**2 - 1) * y)
    x, state = 2.5, jnp.array([0.3, -0.7])
    derivative, bend = bessel.explicit(x, state)
    np.testing.assert_allclose(derivative, [-0.7, -(x * -0.7 + (x**2 - 1) * 0.3) / x**2], rtol=1e-14)
    assert float(bend) == 0.0 and bessel.is_explicit_at(x, state)
    assert not bessel.is_explicit_at(0.0, state)
    assert not gn.Equation(lambda x, y, dy, d2y: d2y**3 + y).is_explicit_at(1.0, state)
