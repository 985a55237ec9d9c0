"""Figures of a run: the GlueNN paper's solution and coefficient panels (Figs. 2-4) and the
PI-NODE-SR paper's trajectory figure (Figs. 3, 5-7: spike raster, the spiking channel vs truth,
a phase portrait and the other channels)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .._io import atomic_write_bytes  # noqa: E402
from ..metrics import detect_spikes  # noqa: E402


def _save(fig, path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def plot_solution(path, x, curves: dict, *, xscale="linear", yscale="linear", xlabel="x",
                  title: str = "") -> None:
    """One column per component: reference, GlueNN, matching curve and band; error below.
    Writes the PNG `path` atomically; `x` has shape ``(N,)`` and so does every curve.

    ``curves[component]`` = ``{"label", "pred", "true", "match"?, "band"?: (low, high),
    "ensemble"?: (low, high, size)}``.
    """
    n = len(curves)
    fig, axes = plt.subplots(2, n, figsize=(5.2 * n, 5.6), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]}, sharex="col")
    for j, (name, c) in enumerate(curves.items()):
        ax, axe = axes[0, j], axes[1, j]
        if "band" in c:
            ax.fill_between(x, c["band"][0], c["band"][1], color="tab:orange", alpha=0.22,
                            lw=0, label="matching ±20 %")
        if "match" in c:
            ax.plot(x, c["match"], color="tab:orange", lw=1.4, ls=":", label=c.get("match_label", "matching"))
        ax.plot(x, c["true"], color="k", lw=2.2, alpha=0.75, label="reference (SciPy)")
        if "ensemble" in c:
            lo, hi, k = c["ensemble"]
            ax.fill_between(x, lo, hi, color="tab:blue", alpha=0.25, lw=0, label=f"GlueNN ensemble (min–max of {k})")
        ax.plot(x, c["pred"], color="tab:blue", lw=1.5, ls="--", label="GlueNN" + (" mean" if "ensemble" in c else ""))
        ax.set_xscale(xscale)
        ax.set_yscale(yscale)
        ax.set_ylabel(c["label"])
        ax.legend(fontsize=8, frameon=False)
        ax.grid(alpha=0.25, which="both", lw=0.5)
        scale = np.maximum(np.abs(c["true"]), c.get("floor", 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(c["pred"] - c["true"]) / scale
        axe.plot(x, rel, color="tab:blue", lw=1)
        axe.set_yscale("log")
        axe.set_xscale(xscale)
        axe.set_xlabel(xlabel)
        axe.set_ylabel(c.get("err_label", "|rel. error|"))
        axe.grid(alpha=0.25, which="both", lw=0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)


def plot_readout_curves(path, name: str, log: bool, theta, rows: list, *, title: str = "") -> None:
    """One column per read-out: the model's value against the parameter `name` with the reference
    at the same held-out values (`rows`: one read-out table per value), the relative error below."""
    keys = list(rows[0])
    fig, axes = plt.subplots(2, len(keys), figsize=(5.2 * len(keys), 5.6), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]}, sharex="col")
    for j, k in enumerate(keys):
        ax, axe = axes[0, j], axes[1, j]
        pred = np.array([r[k]["pred"] for r in rows])
        true = np.array([r[k].get("true", np.nan) for r in rows], dtype=float)
        ax.plot(theta, true, "o", color="k", ms=5, alpha=0.75, label="reference (SciPy), held-out")
        ax.plot(theta, pred, "-", color="tab:blue", lw=1.5, label="GlueNN, one training")
        ax.set_ylabel(k)
        ax.legend(fontsize=8, frameon=False)
        if np.all(true > 0) and np.all(pred > 0) and true.max() > 10 * true.min():
            ax.set_yscale("log")
        with np.errstate(divide="ignore", invalid="ignore"):
            axe.plot(theta, np.abs(pred / true - 1), "o-", color="tab:blue", ms=3, lw=1)
        axe.set_yscale("log")
        axe.set_xlabel(name)
        axe.set_ylabel("|rel. error|")
        for a in (ax, axe):
            a.set_xscale("log" if log else "linear")
            a.grid(alpha=0.25, which="both", lw=0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)


def plot_coefficients(path, x, panels: dict, *, xscale="linear", xlabel="x", title: str = "") -> None:
    """Normalised contributions f_j/y (top) and the coefficient functions c_j(x) (bottom), as in
    every run's ``coefficients.png``; writes the PNG `path` atomically, arrays of shape ``(N,)``
    (e.g. from :meth:`gluenn.Solution.evaluate`: ``ev.fractions``, ``ev.coefficients``).

    ``panels[component]`` = ``{"fractions": {term: array}, "coefficients": {name: array},
    "log_coefficients": True (log axis), a float (symlog threshold) or False, "constants": [(name, value, region)]}``.
    """
    n = len(panels)
    fig, axes = plt.subplots(2, n, figsize=(5.2 * n, 6.0), squeeze=False, sharex="col")
    for j, (name, p) in enumerate(panels.items()):
        ax = axes[0, j]
        for term, frac in p["fractions"].items():
            ax.plot(x, frac, lw=1.6, label=term)
        ax.axhline(1.0, color="gray", lw=0.6, ls=":")
        ax.axhline(0.0, color="gray", lw=0.6, ls=":")
        ax.set_xscale(xscale)
        lo, hi = p.get("ylim", (-0.2, 1.2))
        ax.set_ylim(lo, hi)
        ax.set_ylabel(p.get("label", f"f_j / {name}"))
        ax.legend(fontsize=8, frameon=False)
        ax.grid(alpha=0.25, lw=0.5)
        axc = axes[1, j]
        colours = {}
        for cname, c in p["coefficients"].items():
            colours[cname] = axc.plot(x, c, lw=1.4, label=cname)[0].get_color()
        _draw_constants(axc, p.get("constants", ()), colours)
        axc.set_xscale(xscale)
        log = p.get("log_coefficients", False)
        if log is True:
            axc.set_yscale("log")
        elif log:  # a float: symlog, linear below this size
            axc.set_yscale("symlog", linthresh=log)
        axc.set_xlabel(xlabel)
        axc.set_ylabel("coefficients c_j(x)")
        axc.legend(fontsize=8, frameon=False)
        axc.grid(alpha=0.25, which="both", lw=0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)


def _draw_constants(ax, constants, colours) -> None:
    """Shade each region where the physics makes coefficients constant; dash the exact constants."""
    shaded = set()
    for cname, value, (lo, hi) in constants:
        if (lo, hi) not in shaded:
            ax.axvspan(lo, hi, color="gray", alpha=0.08, lw=0)
            shaded.add((lo, hi))
        ax.plot([lo, hi], [value, value], ls="--", lw=1.0, color=colours.get(cname, "k"))


def plot_node(path, t, z_pred, z_ref, names, units, k, data, train_window, spike_window, tol, title=""):
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
