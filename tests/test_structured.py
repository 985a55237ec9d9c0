"""Least-squares rows, the Gauss–Newton trainer, plateau/suppression sets and init functions."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from conftest import SMALL


def _objective(problem, ansatz):
    loss = gn.Loss(problem)
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    return loss, params, static


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
    J = jax.jacfwd(lambda v: rows(unravel(v)))(flat)
    g = jax.flatten_util.ravel_pytree(jax.grad(f)(params))[0]
    np.testing.assert_allclose(2 * J.T @ rows(params), g, rtol=1e-9, atol=1e-12)


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


def test_trainer_names():
    assert [type(p).__name__ for p in gn.trainer_phases("adam+lbfgs", steps=3, lbfgs_steps=2)] == ["Adam", "LBFGS"]
    with pytest.raises(gn.ConfigError, match="choose one of"):
        gn.trainer_phases("sgd", steps=1)


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


def test_gradnorm_weights_match_a_hand_computed_case():
    """ŵ_i = Σ_j g_j / g_i at the start, then w ← α w + (1 − α) ŵ (Wang et al. 2023, Alg. 1)."""
    b = gn.engine.GradNorm(alpha=0.9)
    w0 = b.init({"data": 1.0, "residual": 4.0})
    assert w0 == pytest.approx({"data": 5.0, "residual": 1.25})
    w1 = b.update(w0, {"data": 2.0, "residual": 2.0, })
    assert w1 == pytest.approx({"data": 0.9 * 5.0 + 0.1 * 2.0, "residual": 0.9 * 1.25 + 0.1 * 2.0})
    assert b.update(w1, {"data": 0.0, "residual": 1.0})["data"] == w1["data"]   # no gradient: kept
    with pytest.raises(gn.ConfigError, match="alpha"):
        gn.engine.GradNorm(alpha=1.0)


def test_auto_weights_are_logged_and_balance_the_gradients():
    """With GradNorm, every chunk logs w:NAME and g:NAME, and the weighted pulls w_i g_i start equal."""
    f_terms = lambda p: {"a": jnp.sum((p - 1.0) ** 2), "b": 100.0 * jnp.sum((p + 1.0) ** 2)}  # noqa: E731
    objective = gn.Objective(lambda p: (sum(f_terms(p).values()), f_terms(p)), terms=f_terms)
    p0 = jnp.array([0.5, -0.2])
    params, hist = gn.optimise(objective, p0, [gn.Adam(40, lr=1e-2)], log_every=20, progress=False,
                               weights=gn.engine.GradNorm())
    first = hist.rows[0]
    ga = 2 * np.linalg.norm(np.asarray(p0) - 1.0)
    gb = 200 * np.linalg.norm(np.asarray(p0) + 1.0)
    assert first["w:a"] * ga == pytest.approx(first["w:b"] * gb, rel=1e-9)
    assert first["w:a"] == pytest.approx((ga + gb) / ga, rel=1e-9)
    assert all(k in hist.rows[-1] for k in ("w:a", "w:b", "g:a", "g:b"))


def test_ntk_weights_match_a_hand_computed_case(monkeypatch):
    """τ_i = tr(J_i J_iᵀ) of rows r_i/√N_i; ŵ_i = gauge^{p_i} Σ_{p_j=0} τ_j / τ_i (exact and Hutchinson)."""
    A = jnp.array([[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]])
    B = jnp.array([[0.5, 0.0]])
    res = lambda p: {"data": A @ p - 1.0, "gauge": B @ p}  # noqa: E731
    objective = gn.Objective(lambda p: (0.0, {}), residuals=res, priorities={"gauge": 1})
    tau = {"data": float(jnp.sum(A**2)) / 3, "gauge": float(jnp.sum(B**2)) / 1}
    exact = gn.engine.NTKBalance(probes=None, gauge=1e-3)
    got = {k: float(v) for k, v in exact.measure(objective)(jnp.zeros(2)).items()}
    assert got == pytest.approx(tau, rel=1e-12)
    w = exact.init(got, objective.priorities)
    assert w == pytest.approx({"data": 1.0, "gauge": 1e-3 * tau["data"] / tau["gauge"]})
    w1 = exact.update(w, {"data": 2 * tau["data"], "gauge": tau["gauge"]}, objective.priorities)
    assert w1["gauge"] == pytest.approx(0.9 * w["gauge"] + 0.1 * 2e-3 * tau["data"] / tau["gauge"])
    from gluenn.engine import _balance
    monkeypatch.setattr(_balance, "EXACT_UP_TO", 0)   # Hutchinson's estimate, not the exact trace
    estimate = gn.engine.NTKBalance(probes=4000).measure(objective)(jnp.zeros(2))
    assert float(estimate["data"]) == pytest.approx(tau["data"], rel=0.05)
    with pytest.raises(gn.ConfigError, match="gauge"):
        gn.engine.NTKBalance(gauge=0.0)
    with pytest.raises(gn.ConfigError, match="residual vectors"):
        gn.engine.NTKBalance().measure(gn.Objective(lambda p: (0.0, {}), terms=lambda p: {}))


@pytest.mark.parametrize("priority, bound", [(2, 1e-3), (0, None)])
def test_ntk_weights_keep_a_tie_breaker_from_biasing_y(priority, bound):
    """y'' + 4y = 0 with y = c₁(x) cos 2x + c₂(x) sin 2x + e(x) (a redundant term) and no λ given:
    data, equation (priority 0); suppression of e and a plateau (1); a magnitude penalty on the
    coefficients (``priority``). As a tie-breaker (2) it leaves y = cos 2x; at the fit's standing (0) it
    pulls y down — the failure of equal-standing balancing that priorities remove."""
    x = gn.linspace(0.0, 8.0, 120)
    problem = gn.Problem(
        [gn.Term("wave", lambda x, c: c[0] * jnp.cos(2 * x) + c[1] * jnp.sin(2 * x), coefficients=("a", "b")),
         gn.Term("extra", lambda x, c: c[0])],
        gn.Equation(lambda x, y, dy, d2y: d2y + 4 * y),
        [gn.Data(gn.linspace(0.0, 1.0, 12), lambda x: np.cos(2 * x), weight=123.0),
         gn.Residual(x, weight=1e-5),
         gn.Suppress(x, terms="extra", weight=50.0),
         gn.Plateau(x, terms="wave", weight=7.0),
         gn.Suppress(x, terms=("wave", "extra"), coefficients=True, weight=3.0, name="magnitude",
                     priority=priority)],
        (0.0, 8.0))
    net = gn.Network(head=(16, 16), head_out=16, trunk=(16,))
    fit = gn.fit(problem, network=net, trainer=[gn.GaussNewton(1)], seed=0, progress=False, log_every=1,
                 weights=gn.engine.NTKBalance())
    grid = np.linspace(0.0, 8.0, 200)
    err = np.max(np.abs(fit.solution.y(grid) - np.cos(2 * grid)))
    if bound is not None:
        assert err < bound
        assert fit.history.rows[0]["w:magnitude"] < 1e-9 * fit.history.rows[0]["w:data"]
        assert {"k:data", "k:magnitude"} <= set(fit.history.rows[-1])
    else:
        assert err > 1e-2


def test_gauss_newton_cg_solves_a_nonlinear_least_squares_fit_on_all_parameters():
    """Matrix-free Gauss–Newton on a nonlinear model (y = a e^{b x}): from a poor start it recovers
    (a, b) to near machine precision in a few steps, where L-BFGS with the same budget is far off;
    an objective without rows gets a clear error."""
    x = jnp.linspace(0.0, 2.0, 50)
    y = 2.0 * jnp.exp(-1.5 * x)

    def rows(p):
        return (p["a"] * jnp.exp(p["b"] * x) - y) / jnp.sqrt(x.size)
    objective = gn.Objective(lambda p: (jnp.sum(rows(p) ** 2), {}), rows=rows)
    start = {"a": jnp.asarray(1.0), "b": jnp.asarray(0.0)}
    p, hist = gn.optimise(objective, start, [gn.GaussNewtonCG(30, cg_steps=2)], log_every=10, progress=False)
    assert abs(float(p["a"]) - 2.0) < 1e-8 and abs(float(p["b"]) + 1.5) < 1e-8
    assert hist.rows[-1]["loss"] < 1e-20 and "lm_mu" in hist.rows[-1]
    _, h_lbfgs = gn.optimise(objective, start, [gn.LBFGS(5)], log_every=5, progress=False)
    _, h_gn = gn.optimise(objective, start, [gn.GaussNewtonCG(5, cg_steps=2)], log_every=5, progress=False)
    assert h_gn.rows[-1]["loss"] < 1e-3 * h_lbfgs.rows[-1]["loss"]
    with pytest.raises(gn.ConfigError, match="gauss-newton-cg"):
        gn.optimise(lambda p: (jnp.sum(rows(p) ** 2), {}), start, [gn.GaussNewtonCG(1)], progress=False)
    with pytest.raises(gn.ConfigError, match="cg_steps"):
        gn.GaussNewtonCG(5, cg_steps=0)
