"""Unknown parameters of the known physics calibrated on an observed window (``node.calibrate``):
closed-form trajectories with known noise, so every number is checked against its exact value."""

import jax.numpy as jnp
import numpy as np

import gluenn as gn
from gluenn import node
from gluenn.pipeline import pinode


def _relaxation(t, z, a, b):
    """``x' = −(x − a)``, ``y' = −b y``: ``x = a + (x0 − a) e^{−t}``, ``y = y0 e^{−b t}``."""
    return jnp.stack([-(z[0] - a), -b * z[1]])


def _window(a, b, noise, seed):
    t = np.arange(0, 401) * 0.01
    z = np.column_stack([a + (0.0 - a) * np.exp(-t), 2.0 * np.exp(-b * t)])
    return node.Trajectory(t, z + np.random.default_rng(seed).normal(size=z.shape) * noise), np.array([0.0, 2.0])


def test_calibrate_recovers_two_parameters_within_their_interval_and_the_noise_of_each_channel():
    """White noise of very different size per channel: the noise-weighted refits estimate each
    channel's noise (the exact value is known) and recover both parameters within 3σ; the quiet
    channel is not drowned by the noisy one (σ of b, read off the quiet y, stays small)."""
    a, b, noise = 2.0, 0.7, np.array([0.2, 0.002])
    params = [gn.Parameter("a", 0.5, 5.0), gn.Parameter("b", 0.1, 3.0, log=True)]
    for seed in (0, 1, 2):
        data, z0 = _window(a, b, noise, seed)
        cal = node.calibrate(_relaxation, data, z0, params, names=("x", "y"))
        assert abs(cal.values["a"] - a) < 3 * cal.sigma["a"], (seed, cal)
        assert abs(cal.values["b"] - b) < 3 * cal.sigma["b"], (seed, cal)
        assert cal.sigma["b"] / b < 2e-3 and cal.sigma["a"] / a < 0.05
        for name, s in zip(("x", "y"), noise):
            assert abs(cal.noise[name] / s - 1) < 0.15, (seed, cal.noise)
        assert cal.edge == ()


def test_a_value_outside_the_prior_is_reported_on_its_edge_and_the_run_is_not_trusted():
    data, z0 = _window(2.0, 0.7, np.array([0.01, 0.01]), 0)
    cal = node.calibrate(_relaxation, data, z0, [gn.Parameter("a", 0.5, 1.5), gn.Parameter("b", 0.1, 3.0)])
    assert cal.edge == ("a",) and cal.values["a"] == 1.5
    checks = {c.name: c for c in pinode._calibration_checks(cal)}
    assert not checks["prior edge"].passed and "widen it" in checks["prior edge"].where


def test_a_window_that_does_not_determine_the_parameter_fails_the_calibration_check():
    """``y' = −b y`` observed on a window where y has decayed to noise: b is not determined."""
    t = np.arange(0, 401) * 0.01
    z = np.column_stack([2.0 + 0 * t, 1e-3 * np.exp(-0.7 * t)]) + np.random.default_rng(0).normal(size=(401, 2)) * 0.05
    cal = node.calibrate(_relaxation, node.Trajectory(t, z), np.array([2.0, 1e-3]),
                         [gn.Parameter("a", 0.5, 5.0), gn.Parameter("b", 0.1, 3.0)])
    checks = {c.name: c for c in pinode._calibration_checks(cal)}
    assert cal.sigma["b"] > 0.1 and not checks["calibration"].passed


def test_learn_parses_ranges_and_refuses_unknown_names_in_one_line():
    assert [(q.name, q.lo, q.hi, q.log) for q in pinode.unknowns("I_ext=5:20", ("I_ext",))] == [("I_ext", 5, 20, False)]
    assert pinode.unknowns("", ("I_ext",)) == ()
    for bad in ("g_Na=100:140", "I_ext=5", "I_ext=a:b", "I_ext=5:20:lin", "I_ext=5:20,I_ext=6:9", "I_ext=20:5",
                "I_ext=0:20:log", "I_ext=nan:5", "I_ext=5:inf"):
        try:
            pinode.unknowns(bad, ("I_ext",))
        except gn.ConfigError as err:
            assert "learn" in str(err) and " is invalid: " in str(err) and "\n" not in str(err)
        else:
            raise AssertionError(bad)


def test_hodgkin_huxley_stimulus_from_the_default_noisy_window():
    """Issue 19's HH acceptance, calibration part: I_ext (true 9.909286) from the default window
    (full state, OU noise seed 0) within 2 % and its 3σ; the noise per channel comes out near the
    OU process's stationary std σ/√(2θ) = 0.158."""
    from gluenn.systems import hodgkin_huxley as hh
    from gluenn.systems import ou_noise
    z0, t = hh.resting_state(), np.round(np.arange(1468) * 0.01, 10)
    z = hh.reference(9.909286, z0, t) + ou_noise(1468, 4, 0.01, 5.0, 0.5, 0)
    cal = node.calibrate(lambda s, y, I_ext: hh.hodgkin_huxley(I_ext)(s, y), node.Trajectory(t, z), z0,
                         [gn.Parameter("I_ext", 5.0, 20.0)], names=hh.NAMES)
    err = cal.values["I_ext"] - 9.909286
    assert abs(err) / 9.909286 < 0.02 and abs(err) < 3 * cal.sigma["I_ext"], cal
    for name, s in cal.noise.items():
        assert abs(s / (0.5 / np.sqrt(10)) - 1) < 0.25, (name, s)


def test_an_adaptive_solver_calibrates_too_and_a_field_that_never_solves_is_refused_in_one_line():
    """Forward-mode derivatives through Diffrax's adaptive solve (not the scanned Heun steps) give
    the same answer; a field whose trajectory is never finite is an error, not a traceback."""
    data, z0 = _window(2.0, 0.7, np.array([0.01, 0.01]), 0)
    params = [gn.Parameter("a", 0.5, 5.0), gn.Parameter("b", 0.1, 3.0)]
    heun = node.calibrate(_relaxation, data, z0, params)
    tsit5 = node.calibrate(_relaxation, data, z0, params, solver="tsit5")
    for k in ("a", "b"):
        assert abs(tsit5.values[k] - heun.values[k]) < 0.1 * heun.sigma[k]
    try:
        node.calibrate(lambda t, z, a, b: z / 0.0 * a, data, z0, params)
    except gn.TrainingError as err:
        assert "not finite for any of 64 values of a, b" in str(err)
    else:
        raise AssertionError("a field that never solves was calibrated")
