"""Figures of a trajectory-learning run (PI-NODE-SR paper Figs. 3, 5-7): spike raster, the
spiking channel vs truth, a phase portrait and the other channels."""

from __future__ import annotations

import numpy as np

from ..readout._plots import _save
from ..metrics import detect_spikes


def plot_node(path, t, z_pred, z_ref, names, units, k, data, train_window, spike_window, tol, title=""):
    import matplotlib.pyplot as plt

    others = [j for j in range(len(names)) if j != k]
    fig, ax = plt.subplots(2, 3, figsize=(15, 7.5))
    lo, hi = spike_window
    w = (t >= 0) & (t <= hi)
    sp, st = detect_spikes(t[w], np.nan_to_num(z_pred[w, k], nan=-1e9)), detect_spikes(t[w], z_ref[w, k])
    a = ax[0, 0]
    a.eventplot([st.times, sp.times], lineoffsets=[1, 0], colors=["k", "C3"], linelengths=0.7)
    a.set_yticks([0, 1], ["model", "truth"])
    a.axvspan(*train_window, color="0.9", zorder=-1)
    a.set_xlabel("t (ms)")
    a.set_title(f"spikes (match tolerance ±{tol:g} ms)")
    a = ax[0, 1]
    a.plot(t[w], z_ref[w, k], "k", lw=1.2, label="truth (stiff solver)")
    a.plot(t[w], z_pred[w, k], "C3", lw=1, ls="--", label="model")
    td, zd = data
    a.plot(td, zd[:, k], ".", ms=1, color="C0", alpha=0.4, label="training data")
    a.axvspan(*train_window, color="0.9", zorder=-1)
    a.set_xlabel("t (ms)")
    a.set_ylabel(f"{names[k]} ({units[k]})")
    a.legend(fontsize=8, loc="upper right")
    a = ax[0, 2]
    j = others[0]
    a.plot(z_ref[w, k], z_ref[w, j], "k", lw=1, label="truth")
    a.plot(z_pred[w, k], z_pred[w, j], "C3", lw=1, ls="--", label="model")
    a.set_xlabel(names[k])
    a.set_ylabel(names[j])
    a.set_title("phase portrait")
    a.legend(fontsize=8)
    for col, j in enumerate(others[:3]):
        a = ax[1, col]
        a.plot(t[w], z_ref[w, j], "k", lw=1.2)
        a.plot(t[w], z_pred[w, j], "C3", lw=1, ls="--")
        a.axvspan(*train_window, color="0.9", zorder=-1)
        a.set_xlabel("t (ms)")
        a.set_ylabel(names[j])
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
