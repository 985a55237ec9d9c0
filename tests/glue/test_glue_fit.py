"""Fitting a GlueNN problem: exact constants, least-squares rows and trainers, ensembles, determinism."""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import SMALL
import gluenn as gn


def _objective(problem, ansatz):
    loss = gn.Loss(problem)
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    return loss, params, static


def test_learned_coefficient_is_the_exact_constant(decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(300, lr=3e-3), gn.LBFGS(300)],
                    seed=0, progress=False)
    ev = result.solution.evaluate(np.linspace(0.0, 3.0, 101))
    # the exact solution is 2 e^{-x}: the coefficient must plateau at 2 everywhere
    np.testing.assert_allclose(ev.coefficients["decay.c"], 2.0, atol=2e-3)
    np.testing.assert_allclose(ev.y, 2.0 * np.exp(-ev.x), rtol=2e-3)
    assert result.history.stop_reason == "completed"
    assert result.history.compile_seconds > 0 and result.history.train_seconds > 0


@pytest.mark.slow  # ~10 s on one core: kept out of the default run's 3 minutes
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
    result = gn.fit(problem, network=SMALL, seed=1, progress=False)  # the default trainer: one exact solve here
    ev = result.solution.evaluate(np.linspace(0.0, 4.0, 81))
    np.testing.assert_allclose(ev.y, exact(ev.x), rtol=3e-3)
    late = ev.x >= 3.0
    np.testing.assert_allclose(ev.coefficients["grow.c"][late], 3.0, rtol=3e-3)


@pytest.mark.slow  # three fits (~10 s): the default set stays under 3 min on 2 cores; CI runs the slow set too
def test_same_seed_same_numbers(decay_problem):
    runs = [gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(50), gn.LBFGS(20)], seed=7,
                   progress=False) for _ in range(2)]
    a, b = (jax.tree_util.tree_leaves(r.ansatz) for r in runs)
    assert all(np.array_equal(np.asarray(u), np.asarray(v)) for u, v in zip(a, b))
    assert runs[0].history.rows[-1]["loss"] == runs[1].history.rows[-1]["loss"]
    other = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(50)], seed=8, progress=False)
    assert other.history.rows[0]["loss"] != runs[0].history.rows[0]["loss"]


def test_a_fit_traces_the_equation_a_fixed_small_number_of_times():
    """Every program that needs a sample set's residuals (the structure probe, the step's rows and
    their Jacobian, the loss, the trust checks) reuses one trace of them: a whole fit runs the
    user's Python residual a few times whatever its length (15 times before the sets' residuals
    were one jitted function each; each trace of the network's derivatives costs ~0.1 s on
    freeze-out)."""
    def count(steps):
        traced = []

        def residual(x, y, dy):
            traced.append(1)                      # runs only while JAX traces
            return dy + y
        problem = gn.Problem(
            terms=[gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x), init=1.0)],
            equation=gn.Equation(residual),
            samples=[gn.Data(gn.linspace(0.0, 0.3, 8), lambda x: 2.0 * jnp.exp(-x), weight=10.0),
                     gn.Residual(gn.linspace(0.0, 3.0, 40))], domain=(0.0, 3.0))
        gn.fit(problem, network=SMALL, trainer=[gn.GaussNewton(steps, damping=1e-3)], log_every=10, progress=False)
        return len(traced)
    assert count(20) <= 6 and count(60) <= 6



def test_one_compiled_evaluation_serves_every_grid_up_to_its_block():
    """A read-out at one point, a coefficient grid and a scoring grid share one traced program (the
    grid is padded to ``BLOCK`` points), and a point gets the same bits alone as inside a grid."""
    traced = []

    def decay(x, c):
        traced.append(1)                          # runs only while JAX traces
        return c[0] * jnp.exp(-x)
    problem = gn.Problem(terms=[gn.Term("decay", decay, init=1.0)], equation=gn.Equation(lambda x, y, dy: dy + y),
                         samples=[gn.Data(gn.linspace(0.0, 0.3, 8), lambda x: 2.0 * jnp.exp(-x), weight=10.0),
                                  gn.Residual(gn.linspace(0.0, 3.0, 40))], domain=(0.0, 3.0))
    solution = gn.fit(problem, network=SMALL, trainer=[gn.GaussNewton(5, damping=1e-3)], progress=False).solution
    grid = np.linspace(0.0, 3.0, 2000)
    first = solution.evaluate(grid)
    before = len(traced)
    alone = [solution.evaluate(grid[i:i + 1]) for i in (0, 977, 1999)]
    solution.evaluate(np.linspace(0.0, 3.0, 201)), solution.y(np.array([[0.5, 1.0], [1.5, 2.0]]))
    assert len(traced) == before
    name = next(iter(first.coefficients))
    for ev, i in zip(alone, (0, 977, 1999)):
        assert ev.y[0] == first.y[i] and ev.dy[0] == first.dy[i] and ev.coefficients[name][0] == first.coefficients[name][i]
    assert solution.evaluate(np.array([])).y.shape == (0,)

def test_a_users_own_sample_set_need_not_be_hashable():
    """A SampleSet subclass declared as a plain ``@dataclass`` (unhashable: eq without hash) with an
    array field trains as any other set; only the sharing of its trace is lost."""
    import dataclasses

    @dataclasses.dataclass
    class Anchor(gn.SampleSet):
        points: object
        values: np.ndarray
        weight: float = 10.0
        priority: int = 0
        name: str = "anchor"

        def residual(self, ansatz, equation, x, target):
            return ansatz.y(x) - 2.0 * jnp.exp(-x)

    problem = gn.Problem(terms=[gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x), init=1.0)],
                         equation=gn.Equation(lambda x, y, dy: dy + y),
                         samples=[Anchor(gn.linspace(0.0, 0.3, 8), np.zeros(3)), gn.Residual(gn.linspace(0.0, 3.0, 40))],
                         domain=(0.0, 3.0))
    fit = gn.fit(problem, network=SMALL, trainer=[gn.GaussNewton(20, damping=1e-3)], progress=False)
    assert float(fit.ansatz.coefficient_vectors(jnp.asarray(1.0))["decay"][0]) == pytest.approx(2.0, rel=1e-6)


def test_tolerance_stops_early(decay_problem):
    result = gn.fit(decay_problem, network=SMALL, trainer=[gn.Adam(2000, lr=3e-3)], seed=0,
                    tol=1e-2, log_every=10, progress=False)
    assert result.history.stop_reason == "tolerance reached"
    assert result.history.steps < 2000
    assert result.history.final["loss"] < 1e-2


@pytest.mark.slow  # ~8 s: the default set stays under 3 min on 2 cores; CI runs the slow set too
def test_rows_reproduce_loss_and_gradient():
    """|rows|² is the loss, and 2 Jᵀ r is jax.grad of the loss (at a random point)."""
    problem = gn.Problem(
        [gn.Term("plane", lambda x, c: c[0] * jnp.cos(2 * x) + c[1] * jnp.sin(2 * x), coefficients=("a", "b")),
         gn.Term("ev", lambda x, c: c[0] * jnp.exp(0.3 * x), init=0.5)],
        gn.Equation(lambda x, y, dy, d2y: d2y + 4 * y, normalisation=lambda x, y: jnp.abs(y) + 1),
        [gn.Data(gn.linspace(1, 2, 7), lambda x: np.cos(2 * x), weight=2.0),
         gn.Residual(gn.linspace(-2, 2, 11), weight=3.0),
         gn.Suppress(gn.linspace(-1, 0, 5), terms=("plane", "ev"), separately=True, weight=0.5),
         gn.Suppress(gn.linspace(0, 1, 5), terms="plane", coefficients=True, weight=0.3, name="coef"),
         gn.Plateau(gn.linspace(1, 2, 4), terms="plane", weight=0.7, scale=0.5)],
        (-2.0, 2.0))
    ansatz = gn.glue.init_ansatz(problem, gn.Network(head=(6,), head_out=6, trunk=(5,), output_scale=1.0), seed=4)
    loss, params, static = _objective(problem, ansatz)
    f = lambda p: loss(eqx.combine(p, static))[0]  # noqa: E731
    rows = lambda p: loss.rows(eqx.combine(p, static))  # noqa: E731
    assert float(jnp.sum(rows(params) ** 2)) == pytest.approx(float(f(params)), rel=1e-12)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    J = jax.jit(jax.jacfwd(lambda v: rows(unravel(v))))(flat)
    g = jax.flatten_util.ravel_pytree(jax.jit(jax.grad(f))(params))[0]
    np.testing.assert_allclose(2 * J.T @ rows(params), g, rtol=1e-9, atol=1e-12)


def test_the_public_objective_driven_by_hand_is_what_fit_trains(decay_problem):
    """``gn.optimise(gn.glue.objective(problem, ansatz), ...)`` from fit's own initial ansatz
    ends where ``gn.fit`` ends, bit for bit (same loss, same phases)."""
    trainer = [gn.Adam(20, lr=3e-3), gn.GaussNewton(3, damping=1e-3)]
    fitted = gn.fit(decay_problem, network=SMALL, trainer=trainer, seed=0, progress=False, log_every=10)
    ansatz = gn.glue.init_ansatz(decay_problem, SMALL, 0)
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    by_hand, history = gn.optimise(gn.glue.objective(decay_problem, ansatz), params, trainer, log_every=10,
                                   progress=False)
    assert history.final["loss"] == fitted.history.final["loss"]
    same = jax.tree_util.tree_map(lambda a, b: bool(jnp.array_equal(a, b)), by_hand,
                                  eqx.partition(fitted.ansatz, eqx.is_inexact_array)[0])
    assert all(jax.tree_util.tree_leaves(same))


def test_lstsq_solves_a_linear_problem_to_machine_precision():
    """y'' + y = 0, y = 1.5 cos x - 0.5 sin x: one direct solve reaches ~machine-level error."""
    exact = lambda x: 1.5 * jnp.cos(x) - 0.5 * jnp.sin(x)  # noqa: E731
    problem = gn.Problem(
        [gn.Term("osc", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))],
        gn.Equation(lambda x, y, dy, d2y: d2y + y),
        [gn.Data(gn.linspace(0.0, 1.0, 12), exact), gn.Residual(gn.linspace(0, 6, 60)),
         gn.Plateau(gn.linspace(0, 6, 60), terms="osc", weight=1.0)],
        (0.0, 6.0))
    result = gn.fit(problem, network=SMALL, trainer=[gn.GaussNewton(1)], seed=0, progress=False)
    ev = result.solution.evaluate(np.linspace(0, 6, 50))
    np.testing.assert_allclose(ev.y, exact(ev.x), atol=1e-9)
    np.testing.assert_allclose(ev.coefficients["osc.a"], 1.5, atol=1e-8)
    np.testing.assert_allclose(ev.coefficients["osc.b"], -0.5, atol=1e-8)
    assert result.history.final["cond"] > 1  # the solve's condition number is logged


def test_gauss_newton_converges_on_a_riccati_problem():
    """y' = -y² (y(1) = 1, y = 1/x) with a positive (exponentiated) coefficient: nonlinear rows."""
    problem = gn.Problem(
        [gn.Term("inv", lambda x, c: c[0] / x, positive=True, init=0.5)],
        gn.Equation(lambda x, y, dy: dy + y**2, normalisation=lambda x, y: y),
        [gn.Data(gn.linspace(1.0, 1.3, 6), lambda x: 1 / x, weight=10.0), gn.Residual(gn.logspace(1, 5, 40))],
        (1.0, 5.0))
    result = gn.fit(problem, network=gn.Network(head=(12,), head_out=12, trunk=(12,), input="log"),
                    trainer=[gn.GaussNewton(30, damping=1e-3)], seed=0, log_every=5, progress=False)
    ev = result.solution.evaluate(np.geomspace(1, 5, 30))
    np.testing.assert_allclose(ev.y, 1 / ev.x, rtol=1e-4)
    assert result.history.rows[-1]["loss"] < 1e-6 * result.history.rows[0]["loss"]


def test_init_functions_are_fitted_before_training():
    problem = gn.Problem(
        [gn.Term("a", lambda x, c: c[0], positive=True, init=lambda x: 1.0 + x**2)],
        gn.Equation(lambda x, y, dy: dy), [gn.Residual(gn.linspace(0, 1, 3))], (0.0, 1.0))
    ansatz = gn.glue.init_ansatz(problem, gn.Network(head=(32,), head_out=32, trunk=(32,)), seed=0)
    x = np.linspace(0, 1, 9)
    c = gn.Solution(ansatz, problem).coefficients(x)["a.c"]
    np.testing.assert_allclose(c, 1.0 + x**2, rtol=2e-3)
    bad = gn.Problem([gn.Term("a", lambda x, c: c[0], positive=True, init=lambda x: x - 2)],
                     problem.equation, problem.samples, problem.domain)
    with pytest.raises(gn.ConfigError, match="init"):
        gn.glue.init_ansatz(bad, SMALL, seed=0)


def test_suppress_coefficients_penalises_cancelling_coefficients():
    """c₁ cos + c₂ sin can vanish at a point with huge c's; coefficients=True still sees them."""
    term = gn.Term("plane", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))
    problem = gn.Problem([term], gn.Equation(lambda x, y, dy, d2y: d2y + y), [gn.Residual(gn.linspace(0, 1, 3))], (0.0, 1.0))
    ansatz = gn.glue.init_ansatz(problem, SMALL, seed=0)
    ansatz = eqx.tree_at(lambda a: a.net.out_b, ansatz, jnp.array([100.0, -100.0]))
    ansatz = eqx.tree_at(lambda a: a.net.out_w, ansatz, jnp.zeros_like(ansatz.net.out_w))
    x = jnp.asarray(np.pi / 4)  # 100 cos − 100 sin = 0 here
    s_sum = gn.Suppress(gn.points([0.5]), terms="plane")
    s_coef = gn.Suppress(gn.points([0.5]), terms="plane", coefficients=True)
    assert abs(float(s_sum.residual(ansatz, None, x, None))) < 1e-10
    np.testing.assert_allclose(s_coef.residual(ansatz, None, x, None), [100.0, -100.0])


@pytest.mark.slow  # ~8 s on one core: kept out of the default run's 3 minutes
def test_structure_is_detected_and_auto_picks_the_trainer():
    """Linear ODE + linear coefficients: 'linear' (auto -> one exact solve); exponentiated
    coefficients or a y-dependent normalisation: 'nonlinear' (auto -> Levenberg–Marquardt)."""
    exact = lambda x: 1.5 * jnp.cos(x) - 0.5 * jnp.sin(x)  # noqa: E731
    lin = gn.Problem(
        [gn.Term("osc", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))],
        gn.Equation(lambda x, y, dy, d2y: d2y + y),
        [gn.Data(gn.linspace(0.0, 1.0, 12), exact), gn.Residual(gn.linspace(0, 6, 60))], (0.0, 6.0))
    nonlin = gn.Problem(
        [gn.Term("inv", lambda x, c: c[0] / x, positive=True, init=0.5)],
        gn.Equation(lambda x, y, dy: dy + y**2, normalisation=lambda x, y: y),
        [gn.Data(gn.linspace(1.0, 1.3, 6), lambda x: 1 / x, weight=10.0), gn.Residual(gn.logspace(1, 5, 40))],
        (1.0, 5.0))
    auto = gn.trainer_phases("auto", steps=0, gn_steps=3)
    r_lin = gn.fit(lin, network=SMALL, trainer=auto, seed=0, progress=False, log_every=1)
    r_non = gn.fit(nonlin, network=SMALL, trainer=auto, seed=0, progress=False, log_every=1)
    assert r_lin.history.structure == "linear" and r_non.history.structure == "nonlinear"
    assert r_lin.history.phases[0]["damping"] == 0.0      # the exact solve first
    assert r_non.history.phases[0]["damping"] > 0.0       # damped Gauss–Newton
    assert len(r_lin.history.phases) == 1                 # a linear problem needs nothing after it
    with pytest.warns(UserWarning, match="single linearised step"):
        gn.fit(nonlin, network=SMALL, trainer=gn.trainer_phases("lstsq", steps=0), seed=0, progress=False)
    # auto with no step for a nonlinear problem: refused before training, naming auto (it named gauss-newton)
    with pytest.raises(gn.ConfigError, match=r"\(trainer auto\) is invalid: a nonlinear problem would take no step"):
        gn.trainer_phases("auto", steps=0, gn_steps=0)


@pytest.mark.slow  # four members and a single run each (~9 s)
def test_an_ensemble_trains_each_member_as_a_single_run_would():
    """fit_ensemble (jax.vmap over seeds) gives every member the numbers of its own fit."""
    exact = lambda x: 1.5 * jnp.cos(x) - 0.5 * jnp.sin(x)  # noqa: E731
    problem = gn.Problem(
        [gn.Term("osc", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))],
        gn.Equation(lambda x, y, dy, d2y: d2y + y),
        [gn.Data(gn.linspace(0.0, 1.0, 12), exact), gn.Residual(gn.linspace(0, 6, 60))], (0.0, 6.0))
    x = np.linspace(0, 6, 40)
    members = gn.fit_ensemble(problem, seeds=[0, 1, 2], network=SMALL, trainer=[gn.Adam(150)],
                                    log_every=50, progress=False)
    assert [m.seed for m in members] == [0, 1, 2]
    for m in members:
        alone = gn.fit(problem, network=SMALL, trainer=[gn.Adam(150)], seed=m.seed, log_every=50, progress=False)
        np.testing.assert_allclose(m.solution.y(x), alone.solution.y(x), rtol=0, atol=1e-12)
    rows = members[0].history.rows
    assert rows[-1]["loss_max"] >= rows[-1]["loss"] > 0   # the log: mean and worst member


def _fails_before_training(problem):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no misleading "rows are not linear" warning on the way
        with pytest.raises(gn.ConfigError) as info:
            gn.fit(problem, network=SMALL, trainer=[gn.GaussNewton(1)], progress=False)
    return str(info.value)


@pytest.mark.parametrize("term, equation, where", [
    # a term that is NaN on part of the grid (x ** -0.25 through x <= 0): named, with its x
    (gn.Term("root", lambda x, c: c[0] * x ** -0.25), gn.Equation(lambda x, y, dy: dy + 0.25 * y / x),
     "Term(root).fn is invalid: it is not finite at x=-1.0: its value is nan"),
    # a term that is finite but whose derivative is not (sqrt at 0)
    (gn.Term("sqrt", lambda x, c: c[0] * jnp.sqrt(x + 1.0)), gn.Equation(lambda x, y, dy: dy - 0.5 * y / (x + 1.0)),
     "Term(sqrt).fn is invalid: it is not finite at x=-1.0: its derivative of order 1 is "),
    # finite terms, an equation that divides by zero
    (gn.Term("lin", lambda x, c: c[0] * (x + 1.0)), gn.Equation(lambda x, y, dy: dy - y / (x + 1.0)),
     "Equation.residual is invalid: it is nan at x=-1.0"),
    # a normalisation that vanishes
    (gn.Term("lin", lambda x, c: c[0] * (x + 1.0)), gn.Equation(lambda x, y, dy: dy - 1.0, normalisation=lambda x, y: y),
     "Equation.normalisation is invalid: N(x, y) is 0.0 at x=-1.0"),
])
def test_non_finite_rows_are_named_before_training(term, equation, where):
    problem = gn.Problem([term], equation, [gn.Residual(gn.linspace(-1, 3, 41)), gn.Data(gn.points([2.0]), [1.0])],
                         (-1.0, 3.0))
    message = _fails_before_training(problem)
    assert where in message and "sample set 'residual'" in message
