"""The problem zoo (``examples/``): problems written through the public API with default settings
(no weights, no input range, no trainer), each against an exact or SciPy answer computed at run
time. The tolerance is the robust-by-default issue's: every read-out within 1 % of its exact value
(an exact zero within 0.01), ``y`` within 1e-3 of its largest size, and the fit trusted."""

import importlib.util
import pathlib
import warnings

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(out: dict) -> None:
    for name, (pred, exact) in out["readouts"].items():
        error = abs(pred - exact) if exact == 0 else abs(pred / exact - 1)
        assert error <= 0.01, (name, pred, exact)
    assert out["y_error"] <= 1e-3, out["y_error"]
    assert out["trust"].trusted, out["trust"].reasons


@pytest.mark.slow  # 12 s, mostly compilation; the default set's own default-path tests are the invariance ones
def test_bessel_j0_with_default_settings_at_half_size():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no TrustWarning, nothing else
        _check(_load("bessel_j0").solve(seed=0, size=0.5))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["bessel_j0", "poschl_teller", "airy_turning_point", "pwave_freezeout"])
def test_zoo_example_with_default_settings(name):
    _check(_load(name).solve(seed=0))


@pytest.mark.slow
def test_poschl_teller_is_unitary():
    out = _load("poschl_teller").solve(seed=1)
    assert abs(out["unitarity"]) <= 2e-3, out["unitarity"]
