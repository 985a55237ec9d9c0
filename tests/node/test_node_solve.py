"""Trajectories of a field: the scanned Heun against Diffrax's, a known linear system."""

import diffrax
import equinox as eqx
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn import node


def test_scanned_heun_matches_diffrax_heun():
    field = node.VectorField.create(jax.random.PRNGKey(0), np.random.default_rng(0).normal(size=(50, 3)),
                                    np.ones(3), width=16, depth=2)
    ts = np.arange(0, 101) * 0.05
    a = node.integrate(field, jnp.ones(3), ts, dt=0.01, adjoint=node.ScanAdjoint())
    b = node.integrate(field, jnp.ones(3), ts, dt=0.01, adjoint="recursive")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # and both converge to the adaptive solution at second order
    c = node.integrate(field, jnp.ones(3), ts, solver="tsit5", rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(a - c)) < 1e-4


def test_heun_integrates_a_known_linear_system():
    def rot(t, z):
        return jnp.array([-z[1], z[0]])
    ts = np.arange(0, 629) * 0.01
    z = np.asarray(node.integrate(rot, jnp.array([1.0, 0.0]), ts, dt=0.01))
    np.testing.assert_allclose(z[:, 0], np.cos(ts), atol=1e-4)


@pytest.mark.slow  # three compiled gradients through a 50-step solve (~8 s)
def test_the_three_adjoints_give_the_same_gradient():
    """Reverse mode through the scan, Diffrax's checkpointed adjoint and the continuous backsolve
    adjoint differentiate the same Heun solve: the first two agree to rounding, backsolve (which
    solves the adjoint ODE backwards) to its discretisation error."""
    field = node.VectorField.create(jax.random.PRNGKey(1), np.random.default_rng(1).normal(size=(40, 2)),
                                    np.ones(2), width=8, depth=2)
    params, static = eqx.partition(field, eqx.is_inexact_array)
    ts = np.arange(0, 51) * 0.02

    def grad(adjoint):
        def loss(p):
            z = node.integrate(eqx.combine(p, static), jnp.array([0.5, -0.3]), ts, dt=0.01, adjoint=adjoint)
            return jnp.sum(z**2)
        return jax.flatten_util.ravel_pytree(jax.jit(jax.grad(loss))(params))[0]
    scan, recursive = grad(node.ScanAdjoint()), grad(diffrax.RecursiveCheckpointAdjoint())
    backsolve = grad("backsolve")
    np.testing.assert_allclose(scan, recursive, rtol=1e-9, atol=1e-12)
    assert np.linalg.norm(backsolve - scan) < 1e-3 * np.linalg.norm(scan)
    assert np.linalg.norm(scan) > 0


def test_solvers_and_adjoints_are_objects_or_their_names():
    assert isinstance(node.solver("tsit5"), diffrax.Tsit5)
    heun = diffrax.Heun()
    assert node.solver(heun) is heun and isinstance(node.adjoint("scan"), node.ScanAdjoint)
    with pytest.raises(gn.ConfigError, match="solver='euler' is invalid"):
        node.solver("euler")
    with pytest.raises(gn.ConfigError, match="adjoint='direct' is invalid"):
        node.adjoint("direct")
    loss = node.NODELoss(node.Trajectory(np.arange(3.0), np.zeros((3, 1))), solver="kvaerno5", adjoint="recursive")
    assert isinstance(loss.solver, diffrax.Kvaerno5) and isinstance(loss.adjoint, diffrax.RecursiveCheckpointAdjoint)
