"""The C⁰/C¹ matching baseline against hand calculations."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn


def test_c0_matching_freezeout_by_hand():
    eta, xm = 1e4, 7.8
    y_eq = lambda x: 0.145 * x**1.5 * jnp.exp(-x)  # noqa: E731
    late = gn.baselines.Family(lambda x, c: 1.0 / (c[0] - eta / x), init=(eta / xm + 1 / float(y_eq(xm)) * 1.3,))
    m = gn.baselines.match(y_eq, [late], [xm], order=0)
    by_hand = 1.0 / (1.0 / (0.145 * xm**1.5 * math.exp(-xm)) + eta * (1 / xm - 1 / 31.0))
    assert float(m.y(np.array([31.0]))[0]) == pytest.approx(by_hand, rel=1e-12)
    assert float(m.y(np.array([2.0]))[0]) == pytest.approx(float(y_eq(2.0)), rel=1e-14)


def test_c1_matching_linear_family_by_hand():
    """Match a = early growing mode x/x* onto A + B/x at x_m: A = 2 x_m/x*, B = -x_m²/x*."""
    xs, xm = 0.1, 20.0
    fam = gn.baselines.Family(lambda x, c: c[0] + c[1] / x, init=(0.0, 0.0))
    m = gn.baselines.match(lambda x: x / xs, [fam], [xm], order=1)
    np.testing.assert_allclose(m.constants[0], [2 * xm / xs, -xm**2 / xs], rtol=1e-12)
    band = gn.baselines.matching_band(lambda at: gn.baselines.match(lambda x: x / xs, [fam], at, order=1), [xm])
    assert len(band.variants) == 2
    lo, hi = band.envelope(np.array([500.0]))
    assert lo[0] == pytest.approx(2 * 16 / xs - 16**2 / xs / 500, rel=1e-12)
    assert hi[0] == pytest.approx(2 * 24 / xs - 24**2 / xs / 500, rel=1e-12)


def test_a_band_of_matchings_compiles_each_program_once():
    """The band's three matchings (and their evaluations) of the same functions share one compiled
    program each: they differ only in the matching point and the constants, which are arguments.
    Fails with programs compiled as closures over each matching's constants (3 per program)."""
    from gluenn.baselines import _matching

    class Late:  # an unhashable callable (defines __eq__ only) is a valid family function
        def __call__(self, x, c):
            return c[0] + c[1] / x

        def __eq__(self, other):
            return isinstance(other, Late)

        __hash__ = None

    early = lambda x: x / 0.1  # noqa: E731
    fam = gn.baselines.Family(Late(), init=(0.0, 0.0))
    programs = (_matching._misfit_value, _matching._misfit_jacobian, _matching._derivatives_at, _matching._piecewise)
    before = [p._cache_size() for p in programs]
    band = gn.baselines.matching_band(lambda at: gn.baselines.match(early, [fam], at, order=1), [20.0])
    band.envelope(np.linspace(1.0, 100.0, 7))
    assert [p._cache_size() - b for p, b in zip(programs, before)] == [1, 1, 1, 1]
    np.testing.assert_allclose(band.central.constants[0], [2 * 20.0 / 0.1, -20.0**2 / 0.1], rtol=1e-12)
