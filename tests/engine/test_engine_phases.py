"""Optimiser phases and named trainers."""

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
    """A phase that `converges` ends once a chunk leaves the loss bit-identical (L-BFGS at the
    exact minimum of a quadratic); Adam does not declare it."""
    assert gn.LBFGS.converges and gn.GaussNewton.converges and gn.GaussNewtonCG.converges
    assert not gn.Adam.converges

    def f(p):
        loss = jnp.sum((p - 2.0) ** 2)
        return loss, {"fit": loss}
    _, hist = gn.optimise(f, jnp.zeros(3), [gn.LBFGS(500)], log_every=10, progress=False)
    assert hist.steps < 500 and hist.stop_reason is gn.StopReason.COMPLETED and hist.final["loss"] == 0.0


def test_a_trainer_is_a_list_of_phases_or_an_auto(decay_problem):
    small = gn.Network(head=(4,), head_out=4, trunk=(4,))
    for bad in (gn.Adam(5), [gn.trainer_phases("auto", steps=0)]):
        with pytest.raises(gn.ConfigError, match="give a list of phases"):
            gn.fit(decay_problem, network=small, trainer=bad, progress=False)
    fit = gn.fit(decay_problem, network=small, trainer=gn.trainer_phases("auto", steps=0, gn_steps=2), progress=False)
    assert fit.history.structure == "linear" and [p["name"] for p in fit.history.phases] == ["gauss-newton"]
