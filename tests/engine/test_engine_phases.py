"""Optimiser phases and named trainers."""

import jax
import jax.numpy as jnp
import pytest

import gluenn as gn


def test_trainer_names():
    assert [type(p).__name__ for p in gn.trainer_phases("adam+lbfgs", steps=3, lbfgs_steps=2)] == ["Adam", "LBFGS"]
    with pytest.raises(gn.ConfigError, match="choose one of"):
        gn.trainer_phases("sgd", steps=1)


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


def test_monotone_phases_declare_convergence_and_stop_on_a_flat_loss():
    """A monotone phase ends once the loss has stayed bit-identical for `converged_after` steps
    (L-BFGS at the exact minimum of a quadratic); Adam never declares convergence."""
    assert all(p.converged_after >= 10 for p in (gn.LBFGS, gn.GaussNewton, gn.GaussNewtonCG, gn.Lexicographic))
    assert gn.Adam.converged_after is None

    def f(p):
        loss = jnp.sum((p - 2.0) ** 2)
        return loss, {"fit": loss}
    _, hist = gn.optimise(f, jnp.zeros(3), [gn.LBFGS(500)], log_every=10, progress=False)
    assert hist.steps < 500 and hist.stop_reason is gn.StopReason.COMPLETED and hist.final["loss"] == 0.0


@pytest.mark.parametrize("log_every", [1, 3])
def test_a_rejected_damped_step_does_not_end_the_phase(log_every):
    """Levenberg–Marquardt rejects a step that would raise the loss and retries with more damping,
    so unchanged losses are not convergence until the damping has had room to grow: from a
    saturated start (11 rejections in a row here) logged after every step or every three, it goes
    on to the exact fit as when logged every 100. (It ended at the first rejection before.)"""
    x = jnp.linspace(0.0, 3.0, 40)

    def rows(p):
        return jnp.tanh(p["a"] * x - p["b"]) * p["c"] - 1.5 * jnp.tanh(3.0 * x - 4.0)
    objective = gn.Objective(lambda p: (jnp.sum(rows(p) ** 2), {}), rows=rows, linear={"a": True, "b": True, "c": True})
    start = {"a": jnp.asarray(10.0), "b": jnp.asarray(1.0), "c": jnp.asarray(0.1)}
    phases = [gn.GaussNewton(200, damping=1e-6)]
    fine, h_fine = gn.optimise(objective, start, phases, log_every=log_every, progress=False)
    _, h_coarse = gn.optimise(objective, start, phases, log_every=100, progress=False)
    assert h_fine.rows[1]["loss"] == h_fine.rows[0]["loss"]  # the case starts with rejected steps
    assert h_coarse.final["loss"] < 1e-20 and h_fine.final["loss"] < 1e-20
    assert float(fine["a"]) == pytest.approx(3.0, rel=1e-9) and h_fine.steps < 200  # and still ends early


def test_a_trainer_is_a_list_of_phases_or_an_auto(decay_problem):
    small = gn.Network(head=(4,), head_out=4, trunk=(4,))
    for bad in (gn.Adam(5), [gn.trainer_phases("auto", steps=0)]):
        with pytest.raises(gn.ConfigError, match="give a list of phases"):
            gn.fit(decay_problem, network=small, trainer=bad, progress=False)
    fit = gn.fit(decay_problem, network=small, trainer=gn.trainer_phases("auto", steps=0, gn_steps=2), progress=False)
    assert fit.history.structure == "linear" and [p["name"] for p in fit.history.phases] == ["gauss-newton"]


def _two_level(a, b, gauge_target):
    """Rows ``a·w − b`` (priority 0, the fit) and ``w − gauge_target`` (priority 1, a gauge)."""
    a, gauge_target = jnp.asarray(a), jnp.asarray(gauge_target)
    residuals = lambda p: {"fit": jnp.atleast_1d(a @ p["w"] - b), "gauge": p["w"] - gauge_target}  # noqa: E731
    rows = lambda p: gn.engine.weighted_rows(residuals(p))  # noqa: E731
    return gn.Objective(value=lambda p: (jnp.sum(rows(p) ** 2), {k: jnp.mean(r**2) for k, r in residuals(p).items()}),
                        rows=rows, linear={"w": True}, residuals=residuals, priorities={"fit": 0, "gauge": 1})


def test_lexicographic_puts_the_fit_before_the_gauge():
    """One fit row a·w = b for two unknowns, and a gauge that wants w = 0: with equal weights a
    least-squares solve misses the fit by 2 %; the lexicographic solve honours it to the
    relative tolerance and picks, among the w that fit, the one the gauge prefers: w = a b / |a|²."""
    a, b = jnp.array([3.0, 4.0]), 5.0
    objective = _two_level(a, b, [0.0, 0.0])
    start = {"w": jnp.array([1.0, -1.0])}
    plain, _ = gn.optimise(objective, start, [gn.GaussNewton(1)], log_every=1, progress=False)
    lex, history = gn.optimise(objective, start, [gn.Lexicographic(tol=1e-6)], log_every=1, progress=False)
    assert abs(float(a @ plain["w"]) - b) > 0.05         # equal weights trade the fit for the gauge
    assert abs(float(a @ lex["w"]) - b) <= 1e-6 * b       # the fit holds to tol × the size of its data
    assert jnp.allclose(lex["w"], a * b / (a @ a), atol=1e-5)
    assert 0 < history.final["gauge"] < 1



def test_lexicographic_finds_the_gauge_to_its_stated_resolution():
    """The default number of halvings gives ε within 0.1 % (its docstring's resolution) of the
    largest that fits (found with 50 halvings), never above it; the fit holds at the ε kept."""
    a, b = jnp.array([3.0, 4.0]), 5.0
    objective = _two_level(a, b, [0.0, 0.0])
    start = {"w": jnp.array([1.0, -1.0])}
    eps = {}
    for name, phase in [("default", gn.Lexicographic(tol=1e-6)), ("fine", gn.Lexicographic(tol=1e-6, bisections=50))]:
        w, history = gn.optimise(objective, start, [phase], log_every=1, progress=False)
        eps[name] = history.final["gauge"]
        assert abs(float(a @ w["w"]) - b) <= 1e-6 * b
    assert eps["fine"] * (1 - 1e-3) <= eps["default"] <= eps["fine"] and 0 < eps["fine"] < 1

def test_lexicographic_slack_lets_a_gauge_cost_a_fraction_of_an_inexact_fit():
    """Fit rows that cannot all hold (w₀ = 1 and w₀ = 1.2: floor 0.01) and a gauge that wants
    w₀ = 1.12 (4 % above the floor there): with the default slack (up to the floor again) the weights
    as given are kept (ε = 1, exactly GaussNewton(1)); with no slack the gauge must yield (ε < 1)."""
    residuals = lambda p: {"fit": jnp.stack([p["w"][0] - 1.0, p["w"][0] - 1.2]), "gauge": p["w"] - jnp.array([1.12, 0.0])}  # noqa: E731
    rows = lambda p: gn.engine.weighted_rows(residuals(p))  # noqa: E731
    objective = gn.Objective(value=lambda p: (jnp.sum(rows(p) ** 2), {k: jnp.mean(r**2) for k, r in residuals(p).items()}),
                             rows=rows, linear={"w": True}, residuals=residuals, priorities={"fit": 0, "gauge": 1})
    start = {"w": jnp.array([0.0, 3.0])}
    plain, _ = gn.optimise(objective, start, [gn.GaussNewton(1)], log_every=1, progress=False)
    slack, h_slack = gn.optimise(objective, start, [gn.Lexicographic()], log_every=1, progress=False)
    strict, h_strict = gn.optimise(objective, start, [gn.Lexicographic(slack=0.0, tol=1e-6)], log_every=1, progress=False)
    assert h_slack.final["gauge"] == 1.0 and jnp.array_equal(plain["w"], slack["w"])
    assert h_strict.final["gauge"] < 1.0
    assert abs(float(strict["w"][0]) - 1.1) < abs(float(slack["w"][0]) - 1.1)  # closer to the fit's own optimum


def test_lexicographic_is_one_plain_solve_when_the_weights_already_fit():
    """A gauge that agrees with the fit (w = (1, 0.5) satisfies both): the weights as given (ε = 1)
    already fit to the tolerance, and the step is exactly GaussNewton(1)'s."""
    objective = _two_level([3.0, 4.0], 5.0, [1.0, 0.5])
    start = {"w": jnp.array([0.2, 0.1])}
    plain, _ = gn.optimise(objective, start, [gn.GaussNewton(1)], log_every=1, progress=False)
    lex, history = gn.optimise(objective, start, [gn.Lexicographic()], log_every=1, progress=False)
    assert history.final["gauge"] == 1.0
    assert jnp.array_equal(plain["w"], lex["w"])


def _rosenbrock(p):
    loss = jnp.sum(100.0 * (p[1:] - p[:-1] ** 2) ** 2 + (1.0 - p[:-1]) ** 2)
    return loss, {"fit": loss}


@pytest.mark.parametrize("start", ["one", "keep"])
def test_lbfgs_line_search_start_reaches_the_minimum(start):
    """Either line-search start (unit step, or the last accepted one) minimises Rosenbrock's valley
    to its exact minimum at (1, …, 1); a wrong name is refused."""
    params, hist = gn.optimise(_rosenbrock, jnp.full(4, -1.0), [gn.LBFGS(400, linesearch_start=start)], log_every=20, progress=False)
    assert hist.final["loss"] < 1e-14 and float(jnp.max(jnp.abs(params - 1.0))) < 1e-6
    with pytest.raises(gn.ConfigError, match="linesearch_start"):
        gn.LBFGS(5, linesearch_start="half")


def _stiff_valley(p):
    """A quadratic valley 10⁶ times steeper than wide (with a quartic wall): from 50 a unit first
    step overshoots it, and the line search must zoom in."""
    return jnp.sum(1e6 * (p - 1e-4) ** 2) + jnp.sum(p ** 4), {}


def test_lbfgs_line_search_evaluations_are_capped():
    """``linesearch_steps`` bounds the loss evaluations of one line search (each may be an ODE
    solve): a first step that overshoots a stiff valley needs 5 under Optax's 20, 2 under a cap of 2,
    and the step still lowers the loss; a cap below 1 is refused."""
    start, used = jnp.full(3, 50.0), {}
    for cap in (2, 20):
        phase = gn.LBFGS(1, linesearch_steps=cap, restart_on_stall=False)
        p, state = phase.step(gn.engine.Objective(_stiff_valley), start, phase.init(start))
        used[cap] = int(state[0][-1].info.num_linesearch_steps)
        assert _stiff_valley(p)[0] < _stiff_valley(start)[0]
        assert (int(state[1].evaluations), int(state[1].stalls)) == (used[cap], int(used[cap] == cap))
    assert used[2] == 2 < used[20]
    with pytest.raises(gn.ConfigError, match="linesearch_steps"):
        gn.LBFGS(5, linesearch_steps=0)


def test_lbfgs_drops_its_curvature_memory_after_a_search_that_hit_its_cap():
    """A search that spends its whole cap resets L-BFGS to a fresh start at the new point (memory
    empty, value recomputed); a search under the cap keeps it. A run whose searches never reach the
    cap (Rosenbrock, cap 20) is bit-identical with and without the restart."""
    start = jnp.full(3, 50.0)
    for cap, reset in ((2, True), (20, False)):
        phase = gn.LBFGS(1, linesearch_steps=cap)
        p, state = phase.step(gn.engine.Objective(_stiff_valley), start, phase.init(start))
        assert _stiff_valley(p)[0] < _stiff_valley(start)[0]
        assert (int(state[0][0].count) == 0 and bool(jnp.isinf(state[0][-1].value))) == reset
        assert int(state[1].stalls) == reset
    runs = [gn.optimise(_rosenbrock, jnp.full(4, -1.0), [gn.LBFGS(60, restart_on_stall=r)], log_every=1,
                        progress=False) for r in (True, False)]
    assert jnp.array_equal(runs[0][0], runs[1][0])
    assert [r["loss"] for r in runs[0][1].rows] == [r["loss"] for r in runs[1][1].rows]


def test_lbfgs_logs_its_line_search_evaluations_and_stalls():
    """Each log row carries the phase's line-search evaluations and stalls so far: on the stiff
    valley above with a cap of 2, step 1 spends 2 and stalls (as its optimiser state says, checked
    in the test above); the evaluations never decrease and grow by at most the cap a step."""
    _, hist = gn.optimise(_stiff_valley, jnp.full(3, 50.0), [gn.LBFGS(6, linesearch_steps=2)], log_every=1, progress=False)
    rows = hist.rows[1:]
    assert (rows[0]["ls_evals"], rows[0]["ls_stalls"]) == (2, 1)
    evals = [r["ls_evals"] for r in rows]
    assert all(0 <= b - a <= 2 for a, b in zip(evals, evals[1:]))
    assert all(r["ls_stalls"] <= r["step"] for r in rows)


@pytest.mark.parametrize("rows_count", [12, 3])  # more rows than parameters, and fewer
def test_a_damped_gauss_newton_step_is_the_marquardt_step(rows_count):
    """One damped step solves ``min |J δ + r|² + μ |D δ|²`` (``D² = diag JᵀJ``): checked against
    NumPy's least-squares solve of that stacked system. Nonlinear rows, badly scaled columns."""
    import numpy as np
    x = jnp.linspace(0.1, 2.0, rows_count)

    def rows(p):
        a = p["a"] * jnp.array([1.0, 1e3, 1e-2, 5.0])
        return jnp.tanh(a[0] + a[1] * x) + a[2] * x**2 + jnp.sin(a[3] * x) - jnp.exp(-x)

    objective = gn.Objective(lambda p: (jnp.sum(rows(p) ** 2), {}), rows=rows, linear={"a": True})
    start = {"a": jnp.asarray([0.3, 2e-4, 0.5, 0.1])}
    phase = gn.GaussNewton(1, damping=0.05)
    state = phase.init(start)
    got, state = phase.step(objective, start, state)
    J, r = np.asarray(jax.jacfwd(rows)(start)["a"]), np.asarray(rows(start))
    d = np.sqrt((J**2).sum(axis=0))
    delta = np.linalg.lstsq(np.vstack([J, np.sqrt(0.05) * np.diag(d)]), np.r_[-r, np.zeros(4)], rcond=None)[0]
    stacked = np.linalg.svd(np.vstack([J / d, np.sqrt(0.05) * np.eye(4)]), compute_uv=False)
    assert int(state["accepted"]) == 1
    np.testing.assert_allclose(np.asarray(got["a"]), np.asarray(start["a"]) + delta, rtol=1e-10, atol=1e-14)
    assert float(state["cond"]) == pytest.approx(stacked[0] / stacked[-1], rel=1e-10)
