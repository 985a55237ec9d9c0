"""The pipeline end to end: the output contract of every GlueNN experiment, a user experiment, ensembles."""

import json

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import experiments, get

CONTRACT = ["metrics.json", "solution.png", "coefficients.png", "coefficients.csv", "checkpoint.eqx",
            "checkpoint.eqx.json", "log.jsonl"]


def _check_metrics_schema(m: dict, experiment: str):
    assert m["experiment"] == experiment
    for key in ("params", "seed", "versions", "train", "solution", "readouts", "matching"):
        assert key in m
    for key in ("steps", "seconds", "compile_seconds", "final_loss", "loss_terms", "stop_reason"):
        assert key in m["train"]
    for key in ("max_abs_err", "max_rel_err", "rms_rel_err"):
        assert np.isfinite(m["solution"][key])
    assert m["solution"]["points"] >= 2000
    for name, r in m["readouts"].items():
        assert set(r) >= {"pred", "true", "rel_err"}
        assert r["rel_err"] == pytest.approx((r["pred"] - r["true"]) / abs(r["true"]))
    for name, r in m["matching"].items():
        if name != "points":
            assert r["low"] <= r["central"] <= r["high"]
    trust = m["trust"]
    assert {"residual", "data", "training"} <= set(trust["checks"])
    assert trust["trusted"] == all(c["passed"] for c in trust["checks"].values())
    assert len(trust["reasons"]) == sum(not c["passed"] for c in trust["checks"].values())


QUICK = {"freezeout": ["steps=20", "lbfgs_steps=5"], "darkphoton": ["gn_steps=2"], "tunneling": ["gn_steps=1"]}


def test_every_experiment_has_a_contract_test():
    # GlueNN experiments here; the neural-ODE ones in tests/experiments (their own read-outs)
    assert set(experiments()) == set(QUICK) | {"hodgkin-huxley", "fitzhugh-nagumo"}


@pytest.mark.slow  # each builds its reference and trains a few steps; the fast set checks the contract on a small experiment
@pytest.mark.parametrize("name", sorted(QUICK))
def test_every_experiment_writes_the_output_contract(tmp_path, name):
    out = tmp_path / name
    quick = QUICK[name]
    args = [a for s in quick for a in ("--set", s)]
    rc = main(["run", name, "--out", str(out), "--no-progress"] + args)
    assert rc == 0
    for f in CONTRACT:
        assert (out / f).is_file(), f
    m = json.loads((out / "metrics.json").read_text())
    _check_metrics_schema(m, name)
    assert m["train"]["steps"] >= 1
    header = (out / "coefficients.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "x" and "y" in header[-2] and "y_ref" in header[-1]
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert rows[0]["step"] == 0 and rows[-1]["step"] == m["train"]["steps"]
    # the checkpoint reloads into the same experiment's problems
    setup = get(name).build(get(name).params(m["params"]))
    loaded = gn.load(out / "checkpoint.eqx", {k: c.problem for k, c in setup.components.items()})
    assert set(loaded) == set(setup.components)


@pytest.mark.slow  # ~9 s on one core: kept out of the default run's 3 minutes
def test_a_user_experiment_through_the_public_api(tmp_path):
    """A new equation, not in any paper: y' = -k y on [0, 2/k] (the scale follows k)."""

    def build(p):
        eq = gn.Equation(lambda x, y, dy: dy + p.k * y)
        ref = gn.reference.solve_equation(eq, 0.0, [1.0], 2.0 / p.k)
        problem = gn.Problem(
            [gn.Term("decay", lambda x, c: c[0] * jnp.exp(-p.k * x), init=0.5)], eq,
            [gn.Data(gn.linspace(0, 0.2 / p.k, 6), ref.y, weight=10.0),
             gn.Residual(gn.linspace(0, 2.0 / p.k, 30))], (0.0, 2.0 / p.k))
        fam = gn.baselines.Family(lambda x, c: c[0] * (1 - p.k * x), init=(1.0,))
        band = gn.baselines.matching_band(
            lambda at: gn.baselines.match(lambda x: jnp.exp(-p.k * x), [fam], at, order=0), [0.5 / p.k])
        return gn.Setup({"y": gn.Component(problem, ref, band)},
                        gn.Network(head=(16,), head_out=16, trunk=(16,)),
                        [gn.Adam(p.steps, lr=3e-3), gn.LBFGS(300)],
                        readout=lambda s: {"y_end": float(s["y"].y(np.array([2.0 / p.k]))[0])})

    exp = gn.Experiment("decay", "y' = -k y", {"k": gn.Param(3.0, "rate"), "steps": gn.Param(300, "")}, build)
    res = gn.run_experiment(exp, overrides=["k=5"], seed=0, out=tmp_path, progress=False)
    _check_metrics_schema(res.metrics, "decay")
    for f in CONTRACT:
        assert (tmp_path / f).is_file(), f
    loaded = gn.load(tmp_path / "checkpoint.eqx", res.fits["y"].problem)["y"]
    x = np.linspace(0.0, 0.4, 5)
    np.testing.assert_array_equal(gn.Solution(loaded, res.fits["y"].problem).y(x), res.fits["y"].solution.y(x))
    assert abs(res.metrics["readouts"]["y_end"]["rel_err"]) < 1e-2
    assert res.metrics["trust"]["trusted"], res.metrics["trust"]  # a good fit is not flagged
    assert res.metrics["readouts"]["y_end"]["true"] == pytest.approx(np.exp(-2.0), rel=1e-8)
    # loss_terms are the unweighted terms (documented in metrics.json for every model): the total
    # that was minimised is their sum weighted by the sample sets' λ
    terms, weights = res.metrics["train"]["loss_terms"], {"data": 10.0, "residual": 1.0}
    assert terms == pytest.approx(res.fits["y"].loss_terms(), rel=1e-9)
    assert res.metrics["train"]["final_loss"] == pytest.approx(sum(weights[k] * v for k, v in terms.items()),
                                                               rel=1e-12)


@pytest.mark.slow  # ~8 s on one core: kept out of the default run's 3 minutes
def test_ensemble_run_reports_mean_and_spread(tmp_path):
    out = tmp_path / "ens"
    assert main(["run", "freezeout", "--ensemble", "2", "--trainer", "gauss-newton", "--set", "steps=0",
                 "--set", "gn_steps=3", "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["ensemble"] == {"size": 2, "seeds": [0, 1]}
    r = m["readouts"]["Y_end"]
    assert len(r["members"]) == 2 and r["pred"] == pytest.approx(np.mean(r["members"]), rel=1e-12)
    assert r["std"] == pytest.approx(np.std(r["members"], ddof=1), rel=1e-9)
    assert "y_std" in (out / "coefficients.csv").read_text().splitlines()[0].split(",")
    ckpt = json.loads((out / "checkpoint.eqx.json").read_text())
    assert sorted(ckpt["components"]) == ["y@seed0", "y@seed1"]
