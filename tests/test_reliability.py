"""Reliability: bad input gets one clear line; random and odd parameter values never end in a traceback."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import numpy as np

from bad_inputs import DOCS, collect, render
import gluenn as gn
from gluenn.pipeline import experiments, get


def test_bad_inputs_get_one_clear_line(tmp_path):
    rows = collect(tmp_path)
    for what, argv, outcome in rows:
        if argv is not None:
            code, err = outcome
            assert code == 2, (what, argv, err)
            assert "Traceback" not in err, (what, err)
            assert len(err.splitlines()) == 1, (what, err)           # one line, nothing before it
            msg = err.splitlines()[-1]
            assert msg.startswith("gluenn: error: ") and " is invalid: " in msg, (what, msg)
        else:
            kind, msg = outcome
            assert kind is not None, (what, "no error raised")
            assert "\n" not in msg and any(s in msg for s in (" is invalid", "returned", "failed")), (what, msg)
    assert DOCS.read_text() == render(rows, tmp_path), "docs/reliability.md is stale: run python tests/bad_inputs.py"


KEYS = sorted({(name, key) for name, e in experiments().items() for key in e.parameters})


JUNK = st.one_of(st.text(max_size=12), st.sampled_from(["nan", "inf", "-inf", "1e400", "-1", "0", "", " ", "1e9",
                                                        "-1e-300", "true", "0x10", "1_000", "½"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(KEYS), JUNK)
def test_random_set_values_never_traceback(key, text):
    """Any ``--set NAME=VALUE`` either parses to a finite value of the parameter's type or is a
    ConfigError naming the parameter — never another exception."""
    name, param = key
    e = get(name)
    try:
        v = e.params([f"{param}={text}"])[param]
    except gn.ConfigError as exc:
        assert param in str(exc) and "\n" not in str(exc)
    else:
        assert type(v) is type(e.parameters[param].default)
        assert not (isinstance(v, float) and not np.isfinite(v))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([("tunneling", k) for k in ("V0", "d", "sigma", "k", "mass", "margin", "free_tol")]
                       + [("freezeout", k) for k in ("eta", "x_start", "x_end", "data_hi", "residual_lo")]),
       st.sampled_from(["-1", "0", "1e-12", "0.5", "3", "1e6", "1e12"]))
def test_odd_physical_values_are_built_or_refused_clearly(key, text):
    """Valid numbers in odd places: the set-up is built (reference included) or refused with a
    ConfigError — never a traceback from deep inside NumPy/SciPy/JAX."""
    name, param = key
    e = get(name)
    try:
        e.build(e.params([f"{param}={text}"]))
    except gn.ConfigError as exc:
        assert "\n" not in str(exc)
