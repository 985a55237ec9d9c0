import jax.numpy as jnp
import pytest

import gluenn as gn


@pytest.fixture
def decay_problem():
    """y' + y = 0 with y(0) = 2: the single term c·e^{-x} has the exact constant c = 2."""
    return gn.Problem(
        terms=[gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x), init=1.0)],
        equation=gn.Equation(lambda x, y, dy: dy + y),
        samples=[
            gn.Data(gn.linspace(0.0, 0.3, 8), lambda x: 2.0 * jnp.exp(-x), weight=10.0),
            gn.Residual(gn.linspace(0.0, 3.0, 40), weight=1.0),
        ],
        domain=(0.0, 3.0),
    )


SMALL = gn.Network(head=(16,), head_out=16, trunk=(16,))
