"""Loss weights: gradient norms, NTK traces by priority."""

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn


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
