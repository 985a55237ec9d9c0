"""Spike metrics on synthetic trains with known answers."""

import numpy as np
import pytest

import gluenn as gn
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


def test_scores_without_reference_spikes_are_undefined_not_perfect():
    """A silent reference (a drive below threshold, or a blocked neuron) leaves F1 and the amplitude
    error undefined — reported as None with the reason — whatever the prediction does."""
    t = np.arange(0, 100, 0.01)
    silent = -65 + 0 * t
    for pred in (silent, _train([20.0, 50.0])[1]):
        m = spike_metrics(t, pred, silent)
        assert m["spike_f1"] is None and m["amp_error_pct"] is None
        assert "no spikes" in m["undefined"]["spike_f1"]
    assert "undefined" not in spike_metrics(t, silent, _train([20.0])[1])   # a silent prediction: F1 = 0
    assert spike_metrics(t, silent, _train([20.0])[1])["spike_f1"] == 0.0
