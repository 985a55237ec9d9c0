"""Marching: a nonlinear fit that misses its equation or data is redone away from the data."""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.glue._march import can_march, drawn_in

PLAIN = [gn.Term("y", lambda x, c: c[0])]
LOGISTIC = gn.Equation(lambda x, y, dy: dy - y * (1 - y))


def _logistic(points=120, end=12.0):
    return gn.Problem(PLAIN, LOGISTIC, [gn.Data(gn.points([0.0]), [0.01]), gn.Residual(gn.linspace(0.0, end, points))],
                      (0.0, end))


def test_a_failed_nonlinear_fit_is_redone_by_marching_away_from_the_data():
    """The logistic equation y' = y (1 − y) from y(0) = 0.01 over [0, 12]: a short nonlinear trainer
    (Adam, 100 steps) misses both the equation and y(0) (y off by ~1, flagged; measured). Redone by
    marching from x = 0, it is the closed form to 1e-4 and trusted, and a warning says so;
    ``march=False`` keeps the first fit."""
    net, problem = gn.Network(head=(32,), head_out=32, trunk=(32,)), _logistic()
    weak = gn.engine.Auto((gn.engine.Lexicographic(),), (gn.Adam(100),))
    x = np.linspace(0.0, 12.0, 1001)
    exact = 1 / (1 + 99 * np.exp(-x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gn.TrustWarning)
        first = gn.fit(problem, network=net, trainer=weak, progress=False, march=False)
    assert not first.trust.trusted and np.max(np.abs(first.solution.evaluate(x).y - exact)) > 0.1
    with pytest.warns(gn.RefitWarning, match=r"redone by marching away from the data in \d+ stages"):
        marched = gn.fit(problem, network=net, trainer=weak, progress=False)
    assert marched.trust.trusted, marched.trust.line()
    assert np.max(np.abs(marched.solution.evaluate(x).y - exact)) < 1e-4
    assert marched.problem is problem



def test_a_march_that_ends_where_its_model_overflows_keeps_the_first_fit(monkeypatch):
    """A march that stops part of the way can leave a model that is finite on its stages but overflows
    on the rest of the domain (measured: the logistic equation with a term ``c·exp(x/2)``, ``c > 0``,
    seed 0, where the last stage's ``c`` overflowed beyond x = 11.7). The whole fit cannot start from
    it: the first fit is kept, flagged as it was — not a ConfigError that blames the term's ``init``."""
    import gluenn.glue._fit as fit_module
    net, problem = gn.Network(head=(32,), head_out=32, trunk=(32,)), _logistic()
    weak = gn.engine.Auto((gn.engine.Lexicographic(),), (gn.Adam(100),))
    overflowing = gn.Problem([gn.Term("y", lambda x, c: c[0] * jnp.exp(70.0 * x))], LOGISTIC, problem.samples, problem.domain)
    ends = fit_module.init_ansatz(overflowing, net, 0)   # finite at the data (x = 0), its residual not beyond x ≈ 5
    monkeypatch.setattr(fit_module, "march_from_data", lambda problem, start, train: (ends, 7, 0.4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gn.TrustWarning)
        first = gn.fit(problem, network=net, trainer=weak, progress=False, march=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error", gn.RefitWarning)
            kept = gn.fit(problem, network=net, trainer=weak, progress=False)
    assert not kept.trust.trusted
    x = np.linspace(0.0, 12.0, 101)
    np.testing.assert_array_equal(kept.solution.evaluate(x).y, first.solution.evaluate(x).y)

def test_drawn_in_moves_only_points_beyond_the_data_and_leaves_out_the_gauge():
    term = gn.Term("a", lambda x, c: c[0] * jnp.exp(-x))
    problem = gn.Problem([term], gn.Equation(lambda x, y, dy: dy + y),
                         [gn.Data(gn.points([2.0, 3.0]), [1.0, 0.4]), gn.Residual(gn.points([0.0, 2.5, 4.0, 10.0])),
                          gn.Plateau(gn.linspace(5.0, 10.0, 4), "a")], (0.0, 10.0))
    stage = drawn_in(problem, 0.5)
    assert [type(s).__name__ for s in stage.samples] == ["Data", "Residual"]
    np.testing.assert_allclose(stage.samples[1].points.values(), [1.0, 2.5, 3.5, 6.5])
    np.testing.assert_allclose(stage.samples[0].points.values(), [2.0, 3.0])


def test_only_a_domain_beyond_the_data_can_be_marched():
    bvp = gn.Problem(PLAIN, LOGISTIC, [gn.Data(gn.points([0.0, 1.0]), [0.1, 0.2]), gn.Residual(gn.linspace(0, 1, 9))],
                     (0.0, 1.0))
    no_data = gn.Problem(PLAIN, LOGISTIC, [gn.Residual(gn.linspace(0, 1, 9))], (0.0, 1.0))
    assert can_march(_logistic()) and not can_march(bvp) and not can_march(no_data)


@pytest.mark.slow  # ~35 s: a quick failing first fit, then ~50 stages
def test_a_long_march_reaches_the_end_of_an_oscillating_domain():
    """Duffing y'' + 0.1y' + y + y³ = 0 from y(0) = 1.5, y'(0) = 0 over [0, 15], about three periods: the
    march needed 49 stages (about half of them fail and are retried with half the step), so the
    former cap of 40 left it at 78 % of the domain, off by 170 and flagged (measured). Now it is
    SciPy's solution to 1e-4 of max |y| (measured 7.2e-7) and trusted."""
    from scipy.integrate import solve_ivp
    eq = gn.Equation(lambda x, y, dy, d2y: d2y + 0.1 * dy + y + y**3)
    problem = gn.Problem(PLAIN, eq, [gn.Data(gn.points([0.0]), [1.5], name="y0"),
                                     gn.Data(gn.points([0.0]), [0.0], derivative=1, name="dy0"),
                                     gn.Residual(gn.linspace(0.0, 15.0, 400))], (0.0, 15.0))
    x = np.linspace(0.0, 15.0, 1501)
    exact = solve_ivp(lambda t, u: [u[1], -0.1 * u[1] - u[0] - u[0] ** 3], (0.0, 15.0), [1.5, 0.0],
                      rtol=1e-11, atol=1e-13, dense_output=True).sol(x)[0]
    weak = gn.engine.Auto((gn.engine.Lexicographic(),), (gn.Adam(100),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gn.TrustWarning)
        warnings.simplefilter("ignore", gn.RefitWarning)
        marched = gn.fit(problem, trainer=weak, seed=0, progress=False)
    assert marched.trust.trusted, marched.trust.line()
    assert np.max(np.abs(marched.solution.evaluate(x).y - exact)) < 1e-4 * np.max(np.abs(exact))
