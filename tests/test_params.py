"""The --set parser: typed by the defaults, one clear error for anything else."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gluenn as gn

PARAMS = {"eta": gn.Param(1e4, "η"), "steps": gn.Param(100, "steps", "training"),
          "name": gn.Param("auto", "a name"), "flag": gn.Param(False, "a switch")}


def test_typed_values():
    got = gn.parse_overrides(["eta=1e5", "steps=2e3", "name=7.5", "flag=true"], PARAMS)
    assert got == {"eta": 1e5, "steps": 2000, "name": "7.5", "flag": True}
    assert isinstance(got["steps"], int)


@pytest.mark.parametrize("item,match", [
    ("eta", "write NAME=VALUE"), ("etta=3", "did you mean eta"), ("eta=abc", "eta is a number"),
    ("eta=nan", "must be finite"), ("steps=1.5", "whole number"), ("flag=maybe", "true or false"),
    ("name=", "give a value"),
])
def test_errors_name_the_field_and_fix(item, match):
    with pytest.raises(gn.ConfigError, match=match):
        gn.parse_overrides([item], PARAMS)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips(v):
    assert gn.parse_overrides([f"eta={v!r}"], PARAMS)["eta"] == v


@settings(max_examples=300)
@given(st.text(max_size=30))
def test_malformed_values_never_traceback(text):
    for key in PARAMS:
        try:
            v = gn.parse_overrides([f"{key}={text}"], PARAMS)[key]
        except gn.ConfigError as exc:
            assert key in str(exc)
        else:
            assert not (isinstance(v, float) and not math.isfinite(v))


def test_param_ranges_and_choices_are_checked_where_values_enter():
    p = {"sigma": gn.Param(0.5, "edge", positive=True), "n": gn.Param(8, "points", minimum=8),
         "solver": gn.Param("heun", "solver", choices=("heun", "tsit5"))}
    exp = gn.Experiment("x", "", p, build=lambda v: None)
    assert exp.params(["sigma=2", "n=9", "solver=tsit5"]) == {"sigma": 2.0, "n": 9, "solver": "tsit5"}
    for item, says in (("sigma=0", "sigma must be positive"), ("n=7", "n must be >= 8"),
                       ("solver=euler", "use one of heun, tsit5")):
        with pytest.raises(gn.ConfigError, match=says):
            exp.params([item])


def test_presets_are_typed_values_checked_when_declared():
    p = {"lam": gn.Param(1.5, "weight", minimum=0), "model": gn.Param("node", "", choices=("node", "pinn"))}
    with pytest.raises(gn.ConfigError, match="lam is a number"):
        gn.Experiment("x", "", p, build=lambda v: None, presets={"bad": {"lam": "0.5"}})
    with pytest.raises(gn.ConfigError, match="use one of node, pinn"):
        gn.Experiment("x", "", p, build=lambda v: None, presets={"bad": {"model": "ode"}})
    with pytest.raises(gn.ConfigError, match="not a preset"):
        gn.Experiment("x", "", p, build=lambda v: None, presets={"a": {"lam": 0.0}}, ablation=("b",))
    exp = gn.Experiment("x", "", p, build=lambda v: None, presets={"paper": {"lam": 0.0}, "pinn": {"model": "pinn"}},
                        ablation=("pinn",))
    assert exp.params(preset="paper").lam == 0.0 and exp.ablation_rows() == ("pinn",)


def test_a_number_where_auto_is_the_default_is_accepted_and_checked():
    """``margin`` is "auto" or a length: the Python API may pass a float (as an old metrics.json
    holds), the CLI passes text; both mean the same, and a non-positive length is refused."""
    from gluenn.pipeline import get
    e = get("tunneling")
    assert e.params({"margin": 10.0}).number("margin", auto=1.0) == 10.0
    assert e.params(["margin=10"]).number("margin", auto=1.0) == 10.0
    assert e.params().number("margin", auto=1.0) == 1.0
    with pytest.raises(gn.ConfigError, match="margin=.* is invalid: give a positive finite number or 'auto'"):
        e.params({"margin": -1.0}).number("margin", auto=1.0)


def test_span_is_the_value_in_a_single_run_and_the_range_when_varied():
    p = gn.Params({"k": 2.0, "m": 0.5})
    assert p.span("k") == (2.0, 2.0)
    varied = p.spanning("k", 1.6, 1.98)
    assert varied.span("k") == (1.6, 1.98) and varied.span("m") == (0.5, 0.5)
    assert varied.replace(k=1.7).span("k") == (1.6, 1.98) and varied.replace(k=1.7).k == 1.7


def test_a_varied_set_up_keeps_its_structure_across_the_range():
    """Tunneling over k: the domain and every point count come from the range (Params.span), so the
    set-up at either end has the same structure — and a single run is what it always was."""
    from gluenn.experiments.tunneling import EXPERIMENT as tunneling
    ends = [tunneling.build(tunneling.params({"k": k}).spanning("k", 1.6, 1.98)) for k in (1.6, 1.98)]
    problems = [s.components["re"].problem for s in ends]
    assert problems[0].domain == problems[1].domain
    assert [len(s.points) for s in problems[0].samples] == [len(s.points) for s in problems[1].samples]
    alone = tunneling.build(tunneling.params({"k": 1.6})).components["re"].problem
    assert alone.domain == problems[0].domain and len(alone.samples[1].points) < len(problems[0].samples[1].points)
