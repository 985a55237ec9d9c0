"""Accuracy of the built-in experiments' default runs against their references (slow)."""

import json

import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import get

pytestmark = pytest.mark.slow  # full default runs: `python -m pytest -m slow`


def test_darkphoton_accuracy_default():
    """Issue acceptance on one seed: X_end within 1 % of SciPy's y(a_end), max_rel_err <= 2 %."""
    m = gn.run_experiment(get("darkphoton"), seed=0, progress=False).metrics
    assert abs(m["readouts"]["X_end"]["rel_err"]) <= 1e-2
    assert abs(m["readouts"]["X_inf"]["rel_err"]) <= 1e-2  # the coefficient e^{c2} plateaus
    assert m["solution"]["max_rel_err"] <= 2e-2
    assert m["matching"]["X_end"]["central"] > 1.5 * m["readouts"]["X_end"]["true"]  # C¹ matching: ~392
    # issue 25: the early (growing, early) and late (constant, decaying) coefficients are the physics
    assert {k.split("@")[1] for k in m["constants"]} == {"early", "late"}
    for name, c in m["constants"].items():
        assert abs(c["rel_err"]) <= 1e-2 and c["variation"] <= 1e-2, (name, c)


def test_darkphoton_inside_the_horizon_default():
    """A box point where the mode is still inside the horizon at a_* (k/(H a_*) = 2.9; the paper's
    growing-mode data were 1470 % off here): the defaults get X_end within 1 % and say so."""
    m = gn.run_experiment(get("darkphoton"), overrides=["k=2.544", "m=0.4863", "H=8.625"], seed=0, progress=False).metrics
    assert abs(m["readouts"]["X_end"]["rel_err"]) <= 1e-2
    assert m["solution"]["max_abs_err_over_max"] <= 1e-2  # of max |X|
    assert m["trust"]["trusted"], m["trust"]


def test_tunneling_accuracy_default():
    """Issue acceptance on one seed (three seeds and other barriers: see the notes)."""
    m = gn.run_experiment(get("tunneling"), seed=0, progress=False).metrics
    r = m["readouts"]
    assert abs(r["T2"]["rel_err"]) <= 1e-2
    assert abs(r["R2"]["rel_err"]) <= 2e-3
    assert abs(r["R2_plus_T2"]["pred"] - 1) <= 2e-3
    assert m["solution"]["max_abs_err_over_max_norm"] <= 2e-2  # of max|ψ|
    assert abs(m["matching"]["T2"]["rel_err"]) > 0.5  # the rectangular-barrier matching is far off
    assert m["trust"]["trusted"], m["trust"]  # the self-checks stay quiet on a good run


@pytest.mark.parametrize("overrides", [["sigma=0.3"], ["k=1.8"]])
def test_tunneling_off_the_beaten_path(overrides):
    """Barriers the defaults were not made for (sharper edges: the robust-by-default acceptance;
    |T|² = 3.7e-7): T2 within 1 %, ψ within 1 % of max|ψ|, trusted. (With the usual random first
    layer σ = 0.3 was +3.8 % and k = 1.8 −9.4 %, both flagged: ``docs/features.md``.)"""
    m = gn.run_experiment(get("tunneling"), overrides=overrides, seed=0, progress=False).metrics
    assert abs(m["readouts"]["T2"]["rel_err"]) <= 1e-2, m["readouts"]["T2"]
    assert m["solution"]["max_abs_err_over_max_norm"] <= 1e-2
    assert m["trust"]["trusted"], m["trust"]


@pytest.mark.parametrize("overrides", [[], ["eta=1e5"]])
def test_freezeout_accuracy(overrides):
    """Issue acceptance on one seed (the three seeds are in benchmarks/ and the notes)."""
    m = gn.run_experiment(get("freezeout"), overrides=overrides, seed=0, progress=False).metrics
    assert abs(m["readouts"]["Y_end"]["rel_err"]) <= 5e-3
    assert m["solution"]["max_rel_err"] <= 2e-2
    assert m["matching"]["Y_end"]["rel_err"] < -0.1  # the C0 baseline is far off (paper Fig. 2)
    assert m["trust"]["trusted"], m["trust"]
    # issue 25: the equilibrium normalisation early and the relic yield Y∞ late are the exact constants
    assert {k.split("@")[1] for k in m["constants"]} == {"equilibrium", "frozen"}
    for name, c in m["constants"].items():
        assert abs(c["rel_err"]) <= 1e-2 and c["variation"] <= 1e-2, (name, c)


def test_hh_run_writes_the_output_contract(tmp_path):
    out = tmp_path / "hh"
    rc = main(["run", "hodgkin-huxley", "--out", str(out), "--no-progress", "--set", "physics_steps=3",
               "--set", "forecast_steps=2", "--set", "cg_steps=5", "--set", "steps=2", "--set", "width=16",
               "--set", "t_long=200"])
    assert rc == 0
    for f in ("metrics.json", "solution.png", "trajectory.csv", "checkpoint.eqx", "log.jsonl"):
        assert (out / f).is_file(), f
    m = json.loads((out / "metrics.json").read_text())
    r = m["readouts"]
    for k in ("spike_f1", "phase_drift_ms", "isi_error_ms", "amp_dev_mv", "amp_error_pct", "rmse_v",
              "rmse_n", "rmse_m", "rmse_h", "n_spikes_pred", "n_spikes_true", "spike_tolerance_ms"):
        assert k in r
    assert r["n_spikes_true"] == 6
    trust = m["trust"]  # what a trajectory fit can check without the truth
    assert set(trust["checks"]) == {"training", "forecast"}
    assert trust["trusted"] == (m["prediction"]["diverged_at_ms"] is None and trust["checks"]["training"]["passed"])
    assert m["train"]["stop_reason"]


def test_hh_stimulus_calibrated_from_the_window_and_the_forecast_still_spikes(tmp_path):
    """Issue 19's HH acceptance on seed 0: I_ext not given (prior [5, 20]) but calibrated on the
    noisy window, within 2 % of the 9.909286 that made the data and within its 3σ; the field
    learned with it forecasts the spikes (F1 ≥ 0.95) and the run trusts itself."""
    rc = main(["run", "hodgkin-huxley", "--out", str(tmp_path / "hh"), "--no-progress", "--set", "learn=I_ext=5:20"])
    m = json.loads((tmp_path / "hh" / "metrics.json").read_text())
    c = m["calibration"]["I_ext"]
    assert rc == 0 and abs(c["error_pct"]) < 2 and abs(c["value"] - c["true"]) < 3 * c["sigma"], c
    assert m["readouts"]["spike_f1"] >= 0.95
    assert m["trust"]["trusted"] and {"calibration", "prior edge"} <= set(m["trust"]["checks"]), m["trust"]
