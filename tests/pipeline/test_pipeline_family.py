"""``gluenn run EXPERIMENT --vary NAME=LO:HI[:log]``: one training over a range, scored at held-out values."""

import json

import numpy as np
import pytest

from gluenn.cli import main
from gluenn.pipeline import FamilyRun, Vary


def test_held_out_values_are_inside_the_range_and_never_training_values():
    plan = FamilyRun(Vary("eta", 1e3, 1e6, True), train=8, held_out=20)
    held = plan.held_out_values()
    nodes = plan.parameter.grid(8)
    assert len(held) == 20 and held.min() > 1e3 and held.max() < 1e6
    assert np.min(np.abs(np.log(held[:, None]) - np.log(nodes[None, :]))) > 1e-3
    odd = FamilyRun(Vary("k", 0.0, 1.0), train=3, held_out=2)  # u = 0.25, 0.75; node 0.5: none coincide
    assert not np.isin(odd.held_out_values(), odd.parameter.grid(3)).any()
    assert FamilyRun(Vary("k", 0.0, 1.0), train=3, held_out=1).held_out_values()[0] != 0.5  # nudged off the node


@pytest.mark.parametrize("args, match", [
    (["--vary", "late=0:1"], "late is not a real number"),
    (["--vary", "nope=1:2"], "freezeout has no parameter 'nope'"),
    (["--vary", "eta=1e3:1e6:log", "--set", "eta=2e3"], "do not also --set eta"),
    (["--vary", "eta=1e3:1e6:log", "--ensemble", "2"], "--ensemble=2 is invalid: with --vary"),
    (["--vary", "eta=1e3"], "write NAME=LO:HI"),
    (["--vary", "eta=1e3:1e6:log", "--train", "1"], "--train"),
])
def test_bad_vary_gets_one_line_before_training(args, match, tmp_path, capsys):
    assert main(["run", "freezeout", *args, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_a_parameter_the_experiment_reads_from_a_closure_is_refused(tmp_path, capsys):
    """freezeout's Y_eq reads the prefactor g from its closure: one model over g would freeze it at
    one value; refused before training with the function named."""
    assert main(["run", "freezeout", "--vary", "prefactor=0.1:0.2", "--train", "3", "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--vary prefactor" in err and "keyword-only" in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_freezeout_over_three_decades_of_eta_from_one_training(tmp_path, capsys):
    """Issue 19's acceptance, seed 0: Y(31; η) within 0.5 % of SciPy (solved by the pipeline at each
    held-out η) at 20 held-out η, trusted, the folder complete."""
    out = tmp_path / "fo"
    assert main(["run", "freezeout", "--vary", "eta=1e3:1e6:log", "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    y_end = m["readouts"]["Y_end"]
    assert len(y_end["theta"]) == 20 and y_end["max_abs_rel_err"] < 5e-3
    assert not np.isin(y_end["theta"], m["train"]["train_values"]).any()
    assert m["trust"]["trusted"], m["trust"]["reasons"]
    assert m["timing"]["evaluate_1000"] < 1.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"readouts.csv", "readouts.png", "solution.png", "metrics.json", "checkpoint.eqx"} <= set(manifest["files"])
    # the saved model answers the inverse problem without training again: the held-out η in the
    # middle of the table, observed through its SciPy Y(31) ±1 %
    eta, y31 = y_end["theta"][9], y_end["true"][9]
    assert main(["infer", "freezeout", "--from", str(out), "--observe", f"Y_end={y31!r}±1%", "--out",
                 str(tmp_path / "inf"), "--no-progress"]) == 0
    inf = json.loads((tmp_path / "inf" / "metrics.json").read_text())["inference"]
    assert inf["lower"] <= eta <= inf["upper"] and abs(inf["value"] / eta - 1) < 0.02


@pytest.mark.parametrize("text, match", [
    ("Y_end=4e-4", "write READOUT=VALUE±SIGMA"),
    ("Y_end=abc±1%", "must be numbers"),
    ("Y_end=4e-4±0", "error bar > 0"),
    ("Y_nope=4e-4±1%", "freezeout's read-outs are ['Y_end', 'Y_inf']"),
])
def test_bad_observations_get_one_line_before_training(text, match, tmp_path, capsys):
    assert main(["infer", "freezeout", "--vary", "eta=1e3:1e6:log", "--observe", text, "--out", str(tmp_path / "o"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_infer_from_a_folder_that_is_not_a_vary_run_gets_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["infer", "freezeout", "--from", str(tmp_path / "empty"), "--observe", "Y_end=4e-4±1%"]) == 2
    assert "give the folder of a complete `gluenn run EXPERIMENT --vary" in capsys.readouterr().err
    assert main(["infer", "freezeout", "--observe", "Y_end=4e-4±1%"]) == 2
    assert "--vary is invalid: it is missing" in capsys.readouterr().err


def test_observations_are_read_with_absolute_or_relative_errors():
    from gluenn.pipeline import Observation
    assert Observation.parse("Y_end=4e-4±1%") == Observation("Y_end", 4e-4, 4e-6)
    assert Observation.parse("Y_end = 4e-4 +- 2e-6") == Observation("Y_end", 4e-4, 2e-6)


@pytest.mark.slow
def test_eta_is_recovered_from_an_observed_yield_within_its_interval(tmp_path, capsys):
    """Issue 19's inverse acceptance, route (a), seed 0: Y(31) made by SciPy at η = 4.2e4 (not a
    training value), observed ±1 %; η recovered within its 1σ interval and within 2 %."""
    import gluenn as gn
    from gluenn.experiments import freezeout as fo
    setup = fo.build(fo.EXPERIMENT.params({"eta": 4.2e4}))
    y_end = setup.readout({"y": setup.components["y"].reference})["Y_end"]
    out = tmp_path / "inf"
    assert main(["infer", "freezeout", "--vary", "eta=1e3:1e6:log", "--observe", f"Y_end={y_end!r}±1%",
                 "--out", str(out), "--no-progress"]) == 0
    inf = json.loads((out / "metrics.json").read_text())["inference"]
    assert inf["lower"] <= 4.2e4 <= inf["upper"] and abs(inf["value"] / 4.2e4 - 1) < 0.02 and inf["trusted"]
    assert 0.005 < inf["observational"] / 4.2e4 < 0.02  # ±1 % in Y is about ±1 % in η (Y ∝ η^-0.9 here)


@pytest.mark.slow
def test_eta_is_recovered_by_route_b_within_its_interval_on_seeds_0_1_2(tmp_path):
    """Issue 19's inverse acceptance, route (b): the same observation (SciPy's Y(31) at η = 4.2e4,
    ±1 %), η trained with the coefficients, one fit per seed; each seed's answer within 2 % and
    its own 1σ interval, trusted, and the combined answer too."""
    from gluenn.experiments import freezeout as fo
    setup = fo.build(fo.EXPERIMENT.params({"eta": 4.2e4}))
    y_end = setup.readout({"y": setup.components["y"].reference})["Y_end"]
    out = tmp_path / "joint"
    assert main(["infer", "freezeout", "--route", "joint", "--vary", "eta=1e3:1e6:log", "--observe",
                 f"Y_end={y_end!r}±1%", "--seeds", "0,1,2", "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    for r in [m["inference"], *m["seeds"].values()]:
        assert r["lower"] <= 4.2e4 <= r["upper"] and abs(r["value"] / 4.2e4 - 1) < 0.02 and r["trusted"], r
    assert "route b" in m["inference"]["method"] and m["inference"]["route"].startswith("b")


@pytest.mark.slow
def test_tunneling_over_a_hundredfold_range_of_transmission_from_one_training(tmp_path):
    """Issue 19's tunneling acceptance, seed 0: k ∈ [1.9, 1.98] on the paper's barrier (|T|² from
    2.8e-5 to 2.8e-3), |T(k)|² within 2 % of SciPy's at 15 held-out k, |R|² + |T|² − 1 within 2e-3,
    trusted. The domain and the point counts follow the range (Params.span), not the value."""
    out = tmp_path / "tun"
    assert main(["run", "tunneling", "--vary", "k=1.9:1.98", "--held-out", "15", "--out", str(out),
                 "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    t2 = m["readouts"]["T2"]
    assert len(t2["theta"]) == 15 and max(t2["true"]) / min(t2["true"]) > 30
    assert t2["max_abs_rel_err"] < 0.02
    assert max(abs(v - 1) for v in m["readouts"]["R2_plus_T2"]["pred"]) < 2e-3
    assert m["trust"]["trusted"], m["trust"]["reasons"]
