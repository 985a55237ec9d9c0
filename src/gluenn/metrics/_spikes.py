"""Spike-train metrics for membrane-voltage traces (PI-NODE-SR paper §3.6; SPEC §4).

Definitions (stated, since papers differ):

- **Spike**: the peak of ``v`` between an upward crossing of `threshold` (0 mV) and the next
  downward crossing; its time is the sample of the maximum refined by a parabola through the
  three samples around it, its amplitude the peak value.
- **Matching**: predicted and true spikes are paired greedily in order of time difference,
  each at most once, when ``|Δt| ≤ tol`` (default 2 ms, ~1/7 of the HH period here).
- **F1** = 2 matched / (n_pred + n_true); undefined (``None``) when the reference has no spikes.
- **Phase drift**: mean ``|Δt|`` over matched pairs (ms).
- **ISI error**: ``|mean ISI_pred − mean ISI_true|`` over the window (ms), needs ≥ 2 spikes in each.
- **Amplitude deviation**: mean ``|peak_pred − peak_true|`` over matched pairs (mV).
- **Amplitude-preservation error**: ``|range_pred − range_true| / range_true`` in %, with
  ``range = max v − min v`` over the window (peak-to-trough); undefined without reference spikes.

Undefined quantities (no spikes, no matches) are ``None`` — reported as such, never as 0 or 1;
the scores undefined for lack of reference spikes are named, with the reason, under ``undefined``.
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Spikes:
    """Spike times (ms) and peak amplitudes (mV), shapes ``(S,)``."""

    times: np.ndarray
    peaks: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


def detect_spikes(t, v, threshold: float = 0.0) -> Spikes:
    """Spikes of the trace ``v(t)`` (1-D arrays of equal length): peaks of upward `threshold` crossings."""
    t, v = np.asarray(t, np.float64), np.asarray(v, np.float64)
    if t.shape != v.shape or t.ndim != 1:
        raise ValueError(f"detect_spikes: t and v must be 1-D of equal length, got {t.shape} and {v.shape}")
    finite = np.isfinite(v)
    above = np.where(finite, v > threshold, False)
    ups = np.flatnonzero(~above[:-1] & above[1:]) + 1
    times, peaks = [], []
    for i, u in enumerate(ups):
        downs = np.flatnonzero(~above[u:])
        end = u + (downs[0] if len(downs) else len(v) - u)
        if not len(downs) and end == len(v) and u == len(v) - 1:
            continue
        j = u + int(np.argmax(v[u:end]))
        tj, vj = t[j], v[j]
        if 0 < j < len(v) - 1 and np.all(finite[j - 1:j + 2]):
            a, b, c = v[j - 1], v[j], v[j + 1]
            den = a - 2 * b + c
            if den < 0:
                off = 0.5 * (a - c) / den
                tj = t[j] + off * (t[j + 1] - t[j - 1]) / 2
                vj = b - 0.25 * (a - c) * off
        times.append(tj)
        peaks.append(vj)
    return Spikes(np.asarray(times), np.asarray(peaks))


def match_spikes(pred: Spikes, true: Spikes, tol: float = 2.0) -> list[tuple[int, int]]:
    """Greedy one-to-one pairs ``(i_pred, i_true)`` with ``|Δt| ≤ tol``, closest first."""
    if len(pred) == 0 or len(true) == 0:
        return []
    d = np.abs(pred.times[:, None] - true.times[None, :])
    pairs, used_p, used_t = [], set(), set()
    for flat in np.argsort(d, axis=None, kind="stable"):
        i, j = np.unravel_index(flat, d.shape)
        if d[i, j] > tol:
            break
        if i in used_p or j in used_t:
            continue
        pairs.append((int(i), int(j)))
        used_p.add(i)
        used_t.add(j)
    return sorted(pairs)


def spike_metrics(t, v_pred, v_true, *, tol: float = 2.0, threshold: float = 0.0) -> dict:
    """All spike metrics of the module docstring for one window. Returns a JSON-ready dict."""
    v_pred, v_true = np.asarray(v_pred, np.float64), np.asarray(v_true, np.float64)
    sp, st = detect_spikes(t, v_pred, threshold), detect_spikes(t, v_true, threshold)
    pairs = match_spikes(sp, st, tol)
    n = len(pairs)
    undefined = {}
    if len(st) == 0:  # no reference spikes: nothing to score against (F1 of two silent traces is not 1)
        undefined["spike_f1"] = undefined["amp_error_pct"] = "the reference has no spikes in this window"
    f1 = None if len(st) == 0 else 2.0 * n / (len(sp) + len(st))
    drift = float(np.mean([abs(sp.times[i] - st.times[j]) for i, j in pairs])) if n else None
    amp = float(np.mean([abs(sp.peaks[i] - st.peaks[j]) for i, j in pairs])) if n else None
    isi = (float(abs(np.mean(np.diff(sp.times)) - np.mean(np.diff(st.times))))
           if len(sp) >= 2 and len(st) >= 2 else None)
    ok = np.isfinite(v_pred)
    if ok.all():
        r_pred, r_true = np.ptp(v_pred), np.ptp(v_true)
        amp_pct = float(100 * abs(r_pred - r_true) / r_true) if r_true > 0 and len(st) else None
    else:
        amp_pct = None
    out = {"spike_f1": f1, "phase_drift_ms": drift, "isi_error_ms": isi, "amp_dev_mv": amp,
           "amp_error_pct": amp_pct, "n_spikes_pred": len(sp), "n_spikes_true": len(st),
           "spike_tolerance_ms": float(tol)}
    return {**out, "undefined": undefined} if undefined else out


def rmse(pred, true) -> float | None:
    """Root-mean-square error; ``None`` if the prediction is not finite."""
    pred, true = np.asarray(pred, np.float64), np.asarray(true, np.float64)
    if not np.all(np.isfinite(pred)):
        return None
    return float(np.sqrt(np.mean((pred - true) ** 2)))
