"""Neural ODE pieces: spike metrics on synthetic trains, the Heun solvers, the losses, HH smoke run."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn import node
from gluenn.cli import main
from gluenn.pipeline import get
from gluenn.metrics import detect_spikes, match_spikes, spike_metrics


def _train(times, peak=40.0, t=None, width=0.5):
    """A synthetic voltage trace: Gaussian spikes of height `peak` on a −65 mV baseline."""
    t = np.arange(0, 100, 0.01) if t is None else t
    v = -65 + np.zeros_like(t)
    for s in times:
        v = v + (peak + 65) * np.exp(-0.5 * ((t - s) / width) ** 2)
    return t, v


def test_detect_spikes_finds_times_and_peaks():
    t, v = _train([10.0, 25.003, 40.0], peak=30.0)
    sp = detect_spikes(t, v)
    assert len(sp) == 3
    np.testing.assert_allclose(sp.times, [10.0, 25.003, 40.0], atol=2e-4)  # parabolic refinement
    np.testing.assert_allclose(sp.peaks, 30.0, atol=1e-3)
    assert len(detect_spikes(t, -65 + 0 * t)) == 0


def test_spike_metrics_known_answers():
    true = [10.0, 25.0, 40.0, 55.0]
    pred = [10.5, 25.5, 40.5, 90.0]            # three within tol (0.5 ms late), one spurious, one missed
    t, vt = _train(true)
    _, vp = _train(pred, peak=35.0)
    m = spike_metrics(t, vp, vt, tol=2.0)
    assert m["n_spikes_pred"] == 4 and m["n_spikes_true"] == 4
    assert m["spike_f1"] == pytest.approx(2 * 3 / 8)
    assert m["phase_drift_ms"] == pytest.approx(0.5, abs=1e-3)
    assert m["amp_dev_mv"] == pytest.approx(5.0, abs=1e-2)
    # mean ISI: pred (90 − 10.5)/3, true (55 − 10)/3
    assert m["isi_error_ms"] == pytest.approx(abs((90 - 10.5) / 3 - 15.0), abs=1e-3)
    assert m["amp_error_pct"] == pytest.approx(100 * 5 / 105, rel=1e-3)
    # a tolerance below the offset matches nothing
    assert spike_metrics(t, vp, vt, tol=0.1)["spike_f1"] == 0.0
    assert spike_metrics(t, vp, vt, tol=0.1)["phase_drift_ms"] is None


def test_match_is_one_to_one_and_closest_first():
    a = gn.metrics.Spikes(np.array([10.0, 10.4]), np.zeros(2))
    b = gn.metrics.Spikes(np.array([10.3]), np.zeros(1))
    assert match_spikes(a, b, tol=1.0) == [(1, 0)]


def test_identical_traces_score_perfectly_and_nan_is_not_a_score():
    t, v = _train([12.0, 30.0, 47.0])
    m = spike_metrics(t, v, v)
    assert m["spike_f1"] == 1.0 and m["phase_drift_ms"] == 0.0 and m["isi_error_ms"] == 0.0
    assert gn.metrics.rmse(v, v) == 0.0
    assert gn.metrics.rmse(np.full_like(v, np.nan), v) is None


def test_direct_heun_matches_diffrax_heun():
    field = node.VectorField.create(jax.random.PRNGKey(0), np.random.default_rng(0).normal(size=(50, 3)),
                                    np.ones(3), width=16, depth=2)
    ts = np.arange(0, 101) * 0.05
    a = node.integrate(field, jnp.ones(3), ts, dt=0.01)
    b = node.integrate(field, jnp.ones(3), ts, dt=0.01, adjoint="recursive")
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    # and both converge to the adaptive solution at second order
    c = node.integrate(field, jnp.ones(3), ts, solver="tsit5", rtol=1e-10, atol=1e-12)
    assert np.max(np.abs(a - c)) < 1e-4


def test_heun_integrates_a_known_linear_system():
    def rot(t, z):
        return jnp.array([-z[1], z[0]])
    ts = np.arange(0, 629) * 0.01
    z = np.asarray(node.integrate(rot, jnp.array([1.0, 0.0]), ts, dt=0.01))
    np.testing.assert_allclose(z[:, 0], np.cos(ts), atol=1e-4)


def test_node_loss_is_zero_for_the_true_field_on_clean_data():
    def decay(t, z):
        return -jnp.array([1.0, 3.0]) * z
    t = np.arange(0, 201) * 0.005
    z = np.exp(-np.outer(t, [1.0, 3.0]))
    data = node.Trajectory(t, z)
    loss = node.NODELoss(data, node.Physics(decay, 1.0, data.derivative_scales()), dt=0.005)
    total, terms = loss(decay)
    assert terms["physics"] == 0.0
    assert terms["data"] < 1e-8  # Heun's O(dt²) error only (≈1e-4 at t = 1 for rate 3), squared


def test_node_losses_give_residuals_and_rows_for_structured_training():
    """``|rows|² = total`` and ``Σ r²/N = term``; a physics stage's rows are linear in the field's
    output layer, so one Gauss–Newton step is the exact minimum over it (a second changes nothing)."""
    def rotation(t, z):
        return jnp.array([z[1], -4.0 * z[0]])
    t = np.arange(0, 301) * 0.01
    z = np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)])
    data = node.Trajectory(t, z)
    physics = node.Physics(rotation, 1.5, data.derivative_scales())
    field = node.VectorField.create(jax.random.PRNGKey(0), z, data.derivative_scales(), width=12, depth=2)
    for loss in (node.NODELoss(data, physics, dt=0.01), physics.alone(data)):
        total, terms = loss(field)
        assert float(jnp.sum(loss.rows(field) ** 2)) == pytest.approx(float(total), rel=1e-12)
        for k, r in loss.residuals(field).items():
            assert float(jnp.sum(r**2) / r.shape[0]) == pytest.approx(float(terms[k]), rel=1e-12)
    assert node.NODELoss(data, node.Physics(rotation, 1.5, priority=1)).priorities == {"physics": 1}
    import equinox as eqx
    alone = physics.alone(data)
    params, static = eqx.partition(field, eqx.is_inexact_array)
    objective = node.objective(alone, params, static)
    p1, h1 = gn.optimise(objective, params, [gn.GaussNewton(1)], log_every=1, progress=False)
    p2, h2 = gn.optimise(objective, p1, [gn.GaussNewton(1)], log_every=1, progress=False)
    assert h1.rows[-1]["loss"] < 0.1 * h1.rows[0]["loss"]
    assert h2.rows[-1]["loss"] == pytest.approx(h1.rows[-1]["loss"], rel=1e-6)
    np.testing.assert_array_equal(p1.hidden[0].weight, params.hidden[0].weight)  # hidden layers held


def test_physics_along_the_models_own_forecast():
    """The forecast runs past the data to the horizon at the stated spacing; the physics alone on
    it adds those states; the composite loss imposes it there too; the true field scores zero."""
    def rotation(t, z):
        return jnp.array([z[1], -4.0 * z[0]])
    t = np.arange(0, 101) * 0.01                      # data on [0, 1]
    z = np.column_stack([np.cos(2 * t), -2 * np.sin(2 * t)])
    data = node.Trajectory(t, z)
    physics = node.Physics(rotation, 1.0, data.derivative_scales(), horizon=3.0, spacing=0.05)
    loss = node.NODELoss(data, physics, dt=0.01)
    fc = loss.forecast(rotation)
    np.testing.assert_allclose(fc.t, np.arange(0, 61) * 0.05, atol=1e-12)
    np.testing.assert_allclose(fc.z[:, 0], np.cos(2 * fc.t), atol=1e-3)  # Heun past the data
    assert physics.alone(data, fc).residuals(rotation)["physics"].shape == (101 + 61, 2)
    assert loss.residuals(rotation)["physics"].shape == (2 * 101 + 40, 2)   # trajectory, data, (1, 3]
    assert float(loss(rotation)[1]["physics"]) == 0.0
    # a field that blows up: the forecast stops before its first non-finite state
    def blowup(t, z):
        return 0.5 * z**2           # from z = (1, 0): blows up at t = 2, past the data
    cut = loss.forecast(blowup)
    assert 2 <= len(cut.t) < 61 and np.all(np.isfinite(cut.z))
    assert np.isfinite(float(loss(blowup)[0]))  # ... and the continuation cannot poison the loss
    with pytest.raises(gn.ConfigError, match="horizon"):
        node.NODELoss(data, node.Physics(rotation, 1.0)).forecast(rotation)
    with pytest.raises(gn.ConfigError, match="past the data"):
        node.NODELoss(data, node.Physics(rotation, 1.0, horizon=0.5)).forecast(rotation)
    with pytest.raises(gn.ConfigError, match="Physics.spacing"):
        node.Physics(rotation, 1.0, horizon=3.0, spacing=0.0)


def test_relative_physics_residual_weighs_slow_and_fast_states_alike():
    """``r/(a s + |f|)``: a field off by 1 % scores ~0.01 where |f| >> a s, whatever the size of
    |f| (the scale-aware residual r/s scores the slow state 1000x lower); zero for the true field."""
    def decay(t, z):
        return -z
    t, z = np.array([0.0, 1.0]), np.array([[1000.0], [1.0]])    # a fast and a slow state
    scales = np.array([1.0])
    rel = node.Physics(decay, 1.0, scales, relative=1e-6)
    off = lambda t, z: -1.01 * z  # noqa: E731
    np.testing.assert_allclose(np.asarray(rel.residuals(off, t, z)), [[-0.01], [-0.01]], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(node.Physics(decay, 1.0, scales).residuals(off, t, z)), [[-10.0], [-0.01]])
    assert float(rel.residual_loss(decay, t, z)) == 0.0
    with pytest.raises(gn.ConfigError, match="Physics.relative"):
        node.Physics(decay, 1.0, scales, relative=0.0)


def _one_stage_setup(stage):
    """A trivial scalar set-up that only runs `stage` (the model is a length-1 array)."""
    return gn.pipeline.NODESetup(
        names=("v",), units=("1",), init=lambda key: jnp.zeros(1), stages=[stage],
        predict=lambda m, t: np.zeros((len(t), 1)), reference=(np.arange(10.0), np.zeros((10, 1))),
        windows={"a": (0.0, 9.0)}, spike_window="a", gating_window="a", train_window=(0.0, 1.0),
        data=(np.arange(2.0), np.zeros((2, 1))))


def test_a_refreshed_stage_rebuilds_its_loss_each_round():
    seen = []

    def refresh(model):
        seen.append(model)
        return lambda m: (jnp.sum((m - 1.0) ** 2), {"fit": jnp.sum((m - 1.0) ** 2)})
    stage = node.Stage("fit", None, [gn.Adam(3, lr=0.1)], rounds=3, refresh=refresh)
    assert stage.parts() == ["fit-1", "fit-2", "fit-3"]
    setup = _one_stage_setup(stage)
    metrics, _ = setup.run(seed=0, out_dir=None, progress=False)
    assert len(seen) == 3 and float(seen[1][0]) > 0.0          # round 2 starts where round 1 ended
    assert metrics["train"]["steps"] == 9 and "fit-3: completed" in metrics["train"]["stop_reason"]
    with pytest.raises(gn.ConfigError, match="either a loss or a refresh"):
        node.Stage("x", lambda m: m, [gn.Adam(1)], refresh=refresh)
    with pytest.raises(gn.ConfigError, match="rounds"):
        node.Stage("x", lambda m: m, [gn.Adam(1)], rounds=2)


def test_a_stage_adds_rounds_until_its_refreshed_loss_settles():
    """rounds=2, max_rounds=4: round 2's refresh moves the target (the loss jumps 101-fold), so a
    third round runs; its refresh moves nothing (jump ~1), so no fourth."""
    targets, seen = [0.0, 10.0, 10.0, 10.0], []

    def refresh(model):
        target = targets[len(seen)]
        seen.append(float(model[0]))
        return lambda m: (jnp.sum((m - target) ** 2) + 1.0, {"fit": jnp.sum((m - target) ** 2)})
    stage = node.Stage("fit", None, [gn.LBFGS(20)], rounds=2, refresh=refresh, max_rounds=4, settle=5.0)
    assert stage.parts() == ["fit-1", "fit-2", "fit-3", "fit-4"]
    assert stage.another(1, None) and stage.another(2, 6.0) and not stage.another(2, 4.0)
    assert not stage.another(4, 100.0)
    setup = _one_stage_setup(stage)
    metrics, _ = setup.run(seed=0, out_dir=None, progress=False)
    assert len(seen) == 3 and seen[2] == pytest.approx(10.0, abs=1e-6)
    assert "fit-3: completed" in metrics["train"]["stop_reason"] and "fit-4" not in metrics["train"]["stop_reason"]
    with pytest.raises(gn.ConfigError, match="max_rounds"):
        node.Stage("x", None, [gn.Adam(1)], rounds=3, refresh=refresh, max_rounds=2)
    with pytest.raises(gn.ConfigError, match="settle"):
        node.Stage("x", None, [gn.Adam(1)], refresh=refresh, settle=1.0)


def test_trajectory_validation_is_clear():
    with pytest.raises(gn.ConfigError, match="Trajectory"):
        node.Trajectory(np.arange(3.0), np.zeros((4, 2)))
    with pytest.raises(gn.ConfigError, match="non-finite"):
        node.Trajectory(np.arange(3.0), np.array([[0.0], [np.nan], [1.0]]))
    with pytest.raises(gn.ConfigError, match="adjoint"):
        node.NODELoss(node.Trajectory(np.arange(3.0), np.zeros((3, 1))), adjoint="magic")


def test_hh_reference_spikes_where_spec_says():
    """SPEC §4: I_ext = 9.909286 from rest: peaks at 2.1479, 17.1236, ..., 90.5379 ms."""
    from gluenn.systems.hodgkin_huxley import hodgkin_huxley, resting_state
    field = hodgkin_huxley(9.909286, np)  # the NumPy form: a JAX call per Radau stage is ~10x slower
    z0 = resting_state()
    assert z0[0] == pytest.approx(-64.9964, abs=1e-3)
    t = np.arange(0, 10001) * 0.01
    z = gn.reference.trajectory(field, z0, t)
    sp = detect_spikes(t, z[:, 0])
    np.testing.assert_allclose(sp.times, [2.1479, 17.1236, 31.8168, 46.4978, 61.1779, 75.8579, 90.5379], atol=2e-3)


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
    assert m["train"]["stop_reason"]


@pytest.mark.parametrize("variant", ["backsolve"])  # the PINN and no-physics rows run in the ablate test
def test_hh_variants_run(variant):
    res = gn.run_experiment(get("hodgkin-huxley"), preset=variant, progress=False,
                            overrides=["steps=2", "physics_steps=2", "forecast_steps=2", "cg_steps=5", "width=8",
                                       "t_long=150"])
    assert 0.0 <= res.metrics["readouts"]["spike_f1"] <= 1.0


def test_ablate_quick_writes_a_table(tmp_path, monkeypatch):
    from gluenn.pipeline import ablate
    exp = get("hodgkin-huxley")
    small = gn.Experiment(exp.name, exp.summary, exp.parameters, exp.build,
                          presets={k: exp.presets[k] for k in ("no-physics", "pinn")})
    table = ablate(small, seeds=[0], out=tmp_path / "ab", quick=True, overrides=["width=8", "t_long=150"],
                   progress=False)
    assert "| no-physics |" in table and "| pinn |" in table and "spike_f1" in table
    data = json.loads((tmp_path / "ab" / "ablation.json").read_text())
    assert set(data["rows"]) == {"default", "no-physics", "pinn"}
