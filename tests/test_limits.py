"""Work is bounded before it starts: the declared limits refuse oversized requests in one line, and
GLUENN_LIMITS raises them deliberately."""

import jax.numpy as jnp
import pytest

import gluenn as gn


def _problem(n=40):
    return gn.Problem([gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x))], gn.Equation(lambda x, y, dy: dy + y),
                      [gn.Residual(gn.linspace(0, 3, n))], (0.0, 3.0))


def test_oversized_requests_are_refused_naming_the_limit(monkeypatch):
    monkeypatch.delenv("GLUENN_LIMITS", raising=False)
    for make, says in ((lambda: gn.Adam(10**10), "adam.steps=10,000,000,000 is invalid: above the limit steps="),
                       (lambda: gn.linspace(0, 1, 10**8), "n=100,000,000 is invalid: above the limit points="),
                       (lambda: gn.Network(head=(10**6,)), "above the limit width="),
                       (lambda: gn.fit_ensemble(_problem(), seeds=range(1000)), "above the limit members=")):
        with pytest.raises(gn.ConfigError, match=says):
            make()


def test_the_memory_of_a_least_squares_step_is_estimated_before_it_is_allocated(monkeypatch):
    monkeypatch.setenv("GLUENN_LIMITS", "memory_gib=1e-6")          # ~1 kB: any real Jacobian is above it
    with pytest.raises(gn.ConfigError, match=r"Gauss–Newton step over 40 rows and \d+ output-layer parameters "
                                             r"needs about .* GiB: above the limit"):
        gn.fit(_problem(), network=gn.Network(head=(8,), head_out=8, trunk=(8,)), trainer=[gn.GaussNewton(1)],
               progress=False)


def test_limits_are_raised_deliberately_and_read_strictly(monkeypatch):
    monkeypatch.setenv("GLUENN_LIMITS", "steps=2e10, members=2000")
    assert gn.Adam(10**10).steps == 10**10
    assert gn.limits().members == 2000
    monkeypatch.setenv("GLUENN_LIMITS", "stepz=5")
    with pytest.raises(gn.ConfigError, match="GLUENN_LIMITS='stepz=5' is invalid"):
        gn.Adam(5)
