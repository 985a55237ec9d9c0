"""Constants of the physics: exact values projected from the reference, and the learned
coefficients scored against them — a gauge-free fit is caught."""

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.pipeline import Constant, get
from gluenn.pipeline._constants import exact_constants, score_constants


class _Curve:
    """A reference-like object: ``y(x)`` of a known function."""

    def __init__(self, f):
        self.y = f


def _problem(positive=False):
    terms = [gn.Term("grow", lambda x, c: c[0] * jnp.exp(x), coefficients=("C",), positive=positive),
             gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x), coefficients=("D",))]
    return gn.Problem(terms, gn.Equation(lambda x, y, dy, d2y: d2y - y), [gn.Residual(gn.linspace(-1, 1, 9))],
                      (-1.0, 1.0))


def test_exact_constants_are_the_projection_of_the_reference():
    k = Constant("y", ("grow", "decay"), (-0.5, 0.5), label="all")
    ref = _Curve(lambda x: 3.0 * np.exp(x) - 2.0 * np.exp(-x))
    got = exact_constants(k, _problem(), ref, k.grid())
    assert {k: v for k, (v, _, _) in got.items()} == pytest.approx({"grow.C": 3.0, "decay.D": -2.0}, rel=1e-12)
    assert all(m < 1e-12 for _, _, m in got.values())  # the reference *is* these terms here


def test_exact_constants_of_a_nonlinear_term_and_how_exact_its_form_is():
    """A Riccati late term Y∞/(1 − η Y∞/x) (freeze-out): Levenberg–Marquardt recovers Y∞ from the
    term's init; a reference the term cannot be shows its misfit; a hopeless init, converging far
    from the reference, is refused before any training."""
    eta = 50.0
    late = lambda x, c: c[0] / (1 - eta * c[0] / x)  # noqa: E731
    problem = lambda init: gn.Problem(  # noqa: E731
        [gn.Term("frozen", late, coefficients=("Y_inf",), init=init)], gn.Equation(lambda x, y, dy: dy + eta * y**2 / x**2),
        [gn.Residual(gn.linspace(1, 10, 9))], (1.0, 10.0))
    k = Constant("y", "frozen", (2.0, 10.0), 1e-3, "late")
    exact = _Curve(lambda x: late(x, [0.01]))
    (value, _, misfit), = exact_constants(k, problem(lambda x: 1 / (eta / x + 200.0)), exact, k.grid()).values()
    assert value == pytest.approx(0.01, rel=1e-10) and misfit < 1e-10
    bent = _Curve(lambda x: late(x, [0.01]) * (1 + 0.01 * np.sin(x)))
    (_, _, misfit), = exact_constants(k, problem(0.01), bent, k.grid()).values()
    assert 1e-3 < misfit < 0.02
    with pytest.raises(gn.ConfigError, match="misfit 16 of max"):
        exact_constants(k, problem(1e300), exact, k.grid())


class _Learned:
    """A solution-like object whose coefficient functions are given."""

    def __init__(self, C, D):
        self.C, self.D = C, D

    def evaluate(self, x):
        return gn.Evaluation(x=x, y=0 * x, dy=0 * x, coefficients={"grow.C": self.C(x), "decay.D": self.D(x)}, terms={})


def test_a_coefficient_that_should_be_constant_but_is_not_is_caught():
    """The same y split two ways: constant coefficients score ~0; a gauge-free split (C and D
    trading a wiggle that cancels in y) shows its variation and its error from the exact constants."""
    k = Constant("y", ("grow", "decay"), (-0.5, 0.5), label="all")
    comps = {"y": gn.Component(_problem(), None)}
    ref = {"y": _Curve(lambda x: 3.0 * np.exp(x) - 2.0 * np.exp(-x))}
    exact = [exact_constants(k, comps["y"].problem, ref["y"], k.grid())]
    flat = score_constants([k], {"y": _Learned(lambda x: 3.0 + 0 * x, lambda x: -2.0 + 0 * x)}, exact)
    assert all(abs(v["rel_err"]) < 1e-12 and v["variation"] == 0.0 for v in flat.values())
    wiggle = lambda x: 0.5 * np.sin(6 * x)  # noqa: E731  (C e^x + D e^-x unchanged if D absorbs it)
    free = score_constants([k], {"y": _Learned(lambda x: 3.0 + wiggle(x) * np.exp(-x),
                                               lambda x: -2.0 - wiggle(x) * np.exp(x))}, exact)
    assert free["y.grow.C@all"]["variation"] > 0.2 and free["y.decay.D@all"]["variation"] > 0.2


@pytest.mark.slow
def test_tunneling_barrier_coefficients_are_the_exact_constants_and_the_gauge_free_fit_is_not():
    """Default tunneling: C and D are flat where V = V0 and equal the constants projected from the
    SciPy solution; without the barrier plateau (the gauge left free there) they are neither."""
    quick = ["gn_steps=1"]
    ok = gn.run_experiment(get("tunneling"), overrides=quick, progress=False).metrics["constants"]
    free = gn.run_experiment(get("tunneling"), overrides=quick + ["lambda_barrier=0"], progress=False).metrics["constants"]
    barrier = [k for k in ok if k.endswith("@barrier")]
    assert len(barrier) == 4
    for name in barrier:
        assert abs(ok[name]["rel_err"]) <= 1e-2 and ok[name]["variation"] <= 1e-2, (name, ok[name])
    assert max(free[name]["variation"] for name in barrier) > 0.1
