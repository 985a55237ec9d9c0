"""Figures in the style of the GlueNN paper (Figs. 2-4): solution panel and coefficient panel."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .._io import atomic_write_bytes  # noqa: E402


def _save(fig, path) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def plot_solution(path, x, curves: dict, *, xscale="linear", yscale="linear", xlabel="x",
                  title: str = "") -> None:
    """One column per component: reference, GlueNN, matching curve and band; error below.

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


def plot_coefficients(path, x, panels: dict, *, xscale="linear", xlabel="x", title: str = "") -> None:
    """Normalised contributions f_j/y (top) and the coefficient functions c_j(x) (bottom).

    ``panels[component]`` = ``{"fractions": {term: array}, "coefficients": {name: array},
    "positive": set of coefficient names plotted on a log axis}``.
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
        for cname, c in p["coefficients"].items():
            axc.plot(x, c, lw=1.4, label=cname)
        axc.set_xscale(xscale)
        if p.get("log_coefficients"):
            axc.set_yscale("log")
        axc.set_xlabel(xlabel)
        axc.set_ylabel("coefficients c_j(x)")
        axc.legend(fontsize=8, frameon=False)
        axc.grid(alpha=0.25, which="both", lw=0.5)
    if title:
        fig.suptitle(title, fontsize=10)
    _save(fig, path)
