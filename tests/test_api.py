"""The public GlueNN API on problems with known answers."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from conftest import SMALL


def test_learned_coefficient_is_the_exact_constant(decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(300, lr=3e-3), gn.LBFGS(300)],
                    seed=0, progress=False)
    ev = result.solution.evaluate(np.linspace(0.0, 3.0, 101))
    # the exact solution is 2 e^{-x}: the coefficient must plateau at 2 everywhere
    np.testing.assert_allclose(ev.coefficients["decay.c"], 2.0, atol=2e-3)
    np.testing.assert_allclose(ev.y, 2.0 * np.exp(-ev.x), rtol=2e-3)
    assert result.history.stop_reason == "completed"
    assert result.history.compile_seconds > 0 and result.history.train_seconds > 0


def test_two_terms_with_suppression_plateau():
    """y'' = y, y = 3 e^{x} + 0.5 e^{-x}. y alone does not fix how the terms share it; suppressing
    the decaying term where it is negligible makes the growing coefficient plateau at exactly 3."""
    exact = lambda x: 3.0 * jnp.exp(x) + 0.5 * jnp.exp(-x)  # noqa: E731
    problem = gn.Problem(
        terms=[gn.Term("grow", lambda x, c: c[0] * jnp.exp(x), init=1.0),
               gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x), init=1.0)],
        equation=gn.Equation(lambda x, y, dy, d2y: d2y - y),
        samples=[gn.Data(gn.linspace(0.0, 0.4, 10), exact, weight=10.0),
                 gn.Residual(gn.linspace(0.0, 4.0, 80)),
                 gn.Suppress(gn.linspace(3.0, 4.0, 20), terms="decay", weight=10.0)],
        domain=(0.0, 4.0),
    )
    result = gn.fit(problem, network=SMALL, trainer=[gn.Adam(500, lr=3e-3), gn.LBFGS(800)],
                    seed=1, progress=False)
    ev = result.solution.evaluate(np.linspace(0.0, 4.0, 81))
    np.testing.assert_allclose(ev.y, exact(ev.x), rtol=3e-3)
    late = ev.x >= 3.0
    np.testing.assert_allclose(ev.coefficients["grow.c"][late], 3.0, rtol=3e-3)


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


def test_same_seed_same_numbers(decay_problem):
    runs = [gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(50), gn.LBFGS(20)], seed=7,
                   progress=False) for _ in range(2)]
    a, b = (jax.tree_util.tree_leaves(r.ansatz) for r in runs)
    assert all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b))
    assert runs[0].history.rows[-1]["loss"] == runs[1].history.rows[-1]["loss"]
    other = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(50)], seed=8, progress=False)
    assert other.history.rows[0]["loss"] != runs[0].history.rows[0]["loss"]


def test_tolerance_stops_early(decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(2000, lr=3e-3)], seed=0,
                    tol=1e-2, log_every=10, progress=False)
    assert result.history.stop_reason == "tolerance reached"
    assert result.history.steps < 2000
    assert result.history.final["loss"] < 1e-2


def test_training_traces_the_loss_a_fixed_number_of_times():
    """No re-tracing per step or per chunk: the loss is traced by the evaluation and by each
    phase's compiled chunk only, however many steps run."""
    def count(steps):
        traces = []

        def f(p):
            traces.append(1)                      # runs only while JAX traces
            loss = jnp.sum((p - 2.0) ** 2)
            return loss, {"fit": loss}
        gn.optimise(f, jnp.zeros(3), [gn.Adam(steps, lr=1e-2), gn.LBFGS(steps // 10)], log_every=25,
                    progress=False)
        return len(traces)
    assert count(100) == count(400) <= 6
