"""SciPy references against closed forms."""

import math

import numpy as np
import pytest

import gluenn as gn


def test_reference_first_order_closed_form():
    ref = gn.reference.solve_equation(gn.Equation(lambda x, y, dy: dy + y), 0.0, [2.0], 5.0)
    x = np.linspace(0, 5, 50)
    np.testing.assert_allclose(ref.y(x), 2 * np.exp(-x), rtol=1e-8)
    np.testing.assert_allclose(ref.dy(x), -2 * np.exp(-x), rtol=1e-7)


def test_reference_second_order_backwards():
    """y'' + 4y = 0 integrated right-to-left from y = cos 2x: stays cos 2x."""
    ref = gn.reference.solve_equation(gn.Equation(lambda x, y, dy, d2y: d2y + 4 * y),
                                      3.0, [math.cos(6.0), -2 * math.sin(6.0)], -3.0)
    x = np.linspace(-3, 3, 40)
    np.testing.assert_allclose(ref.y(x), np.cos(2 * x), atol=1e-8)
    with pytest.raises(gn.ConfigError, match="only covers"):
        ref.y(np.array([4.0]))


def test_reference_refuses_nonlinear_top_derivative():
    with pytest.raises(gn.ConfigError, match="not linear in its highest derivative"):
        gn.reference.solve_equation(gn.Equation(lambda x, y, dy: dy**2 - y), 0.0, [1.0], 1.0)
