"""Figures of a sweep: each read-out and its error against each swept parameter (mean ± std over
seeds; the reference where there is one; untrusted points ringed in red), a map of the error over
two swept parameters, and — for a seeds-only sweep — the read-out per seed."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Sequence

import numpy as np

from ._plots import _save, plt

#: columns of the table that are not read-outs
META = {"point", "status", "seed", "folder", "error", "trusted", "trust_reasons", "stop_reason", "train_seconds",
        "compile_seconds", "total_seconds", "wall_seconds", "reused"}
#: at most this many read-out figures per sweep
MAX_FIGURES = 16


def readout_names(table, swept: Sequence[str]) -> list[str]:
    """The read-out columns of a sweep's table (numbers that are not swept values or bookkeeping)."""
    skip = META | set(swept)
    return [c for c in table.columns if c not in skip and not re.search(r"_(true|rel_err|std)$", c)
            and not c.startswith("solution_") and np.issubdtype(table[c].dtype, np.number)]


def sweep_figures(out_dir: pathlib.Path, table, swept: Sequence[str], log: Sequence[str] = ()) -> list[pathlib.Path]:
    """Write ``sweep-<read-out>.png`` for each read-out; the paths written. `log`: swept parameters
    drawn on a log axis (besides any whose positive values span more than two decades)."""
    done = table[table["status"] == "done"] if "status" in table else table
    if done.empty:
        return []
    paths = []
    for name in readout_names(done, swept)[:MAX_FIGURES]:
        path = out_dir / f"sweep-{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
        if swept:
            _by_parameter(path, done, name, list(swept), int((table["status"] == "failed").sum()), set(log))
        else:
            _by_seed(path, done, name)
        paths.append(path)
    return paths


def _groups(done, swept: list[str], name: str):
    """Mean and std of `name` (and of |rel_err|, and the reference) over seeds at each swept point."""
    cols = [name] + [c for c in (f"{name}_rel_err", f"{name}_true") if c in done]
    d = done[swept + cols].copy()
    if f"{name}_rel_err" in d:
        d[f"{name}_rel_err"] = d[f"{name}_rel_err"].abs()
    g = d.groupby(swept, sort=True)
    return g.mean(), g.std(ddof=0).fillna(0.0)


def _by_parameter(path, done, name: str, swept: list[str], failed: int, log: set) -> None:
    mean, std = _groups(done, swept, name)
    err = f"{name}_rel_err" in mean
    ncols = len(swept) + (1 if len(swept) == 2 and err else 0)
    fig, axes = plt.subplots(2 if err else 1, ncols, figsize=(4.6 * ncols, 6.4 if err else 3.6), squeeze=False)
    untrusted = done[done["trusted"] == False] if "trusted" in done else done.iloc[:0]  # noqa: E712
    for j, p in enumerate(swept):
        x = mean.index.get_level_values(p) if len(swept) > 1 else mean.index.values
        order = np.argsort(x)
        ax = axes[0, j]
        if f"{name}_true" in mean:
            ax.plot(np.asarray(x)[order], mean[f"{name}_true"].values[order], "k-" if len(swept) == 1 else "kx",
                    lw=1, label="reference")
        ax.errorbar(x, mean[name], yerr=std[name], fmt="o", ms=4, capsize=2, label="GlueNN (mean ± std over seeds)")
        ax.plot(untrusted[p], untrusted[name], "o", mfc="none", mec="tab:red", ms=9, label="trusted: no")
        ax.set(xlabel=p, ylabel=name, xscale=_scale(x, p in log))
        if err:
            axe = axes[1, j]
            axe.errorbar(x, mean[f"{name}_rel_err"], yerr=std[f"{name}_rel_err"], fmt="o", ms=4, capsize=2)
            axe.plot(untrusted[p], untrusted[f"{name}_rel_err"].abs(), "o", mfc="none", mec="tab:red", ms=9)
            positive = bool((mean[f"{name}_rel_err"] > 0).any())
            axe.set(xlabel=p, ylabel=f"|rel. error of {name}|", xscale=_scale(x, p in log),
                    yscale="log" if positive else "linear")
    axes[0, 0].legend(fontsize=7)
    for ax in axes.flat:
        _plain_log_ticks(ax)
    if ncols > len(swept):
        _error_map(fig, axes[:, -1], mean, swept, name, log)
    fig.suptitle(f"{name}: {len(done)} runs{f', {failed} failed (see sweep.csv)' if failed else ''}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)


def _error_map(fig, axes, mean, swept: list[str], name: str, log: set) -> None:
    """|rel. error| over the two swept parameters (a heat map of the points)."""
    from matplotlib.colors import LogNorm
    x, y = (mean.index.get_level_values(p) for p in swept)
    e = np.maximum(mean[f"{name}_rel_err"].values, 1e-12)
    ax = axes[0]
    sc = ax.scatter(x, y, c=e, s=120, marker="s", cmap="viridis", norm=LogNorm(vmin=e.min(), vmax=max(e.max(), e.min() * 10)))
    fig.colorbar(sc, ax=ax, label=f"|rel. error of {name}|")
    ax.set(xlabel=swept[0], ylabel=swept[1], xscale=_scale(x, swept[0] in log), yscale=_scale(y, swept[1] in log),
           title="error map")
    _plain_log_ticks(ax)
    axes[1].axis("off")


def _by_seed(path, done, name: str) -> None:
    """A seeds-only sweep: the read-out of each seed, its mean and ± std band."""
    err = f"{name}_rel_err" in done
    fig, axes = plt.subplots(1, 2 if err else 1, figsize=(9.2 if err else 4.8, 3.4), squeeze=False)
    seeds, v = done["seed"].values, done[name].values.astype(float)
    ax = axes[0, 0]
    ax.axhspan(np.nanmean(v) - np.nanstd(v), np.nanmean(v) + np.nanstd(v), color="tab:blue", alpha=0.15, lw=0)
    ax.axhline(np.nanmean(v), color="tab:blue", lw=1, label=f"mean {np.nanmean(v):.4g} ± {np.nanstd(v):.2g}")
    ax.plot(seeds, v, "o", color="tab:blue")
    if f"{name}_true" in done:
        ax.axhline(float(done[f"{name}_true"].iloc[0]), color="k", lw=1, ls="--", label="reference")
    ax.set(xlabel="seed", ylabel=name, title=f"{name} over {len(v)} seeds")
    ax.legend(fontsize=7)
    if err:
        axes[0, 1].plot(seeds, np.abs(done[f"{name}_rel_err"].values), "o")
        positive = bool((np.abs(done[f"{name}_rel_err"].values) > 0).any())
        axes[0, 1].set(xlabel="seed", ylabel=f"|rel. error of {name}|", yscale="log" if positive else "linear")
    fig.tight_layout()
    _save(fig, path)


def _plain_log_ticks(ax) -> None:
    """Ticks at 1, 2, 5 × 10^k written plainly on a log axis (the default sub-decade labels overlap)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":
            axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())


def _scale(values, log: bool = False) -> str:
    v = np.asarray(values, dtype=float)
    positive = bool(v.size) and bool(np.all(v > 0))
    return "log" if positive and (log or v.max() / v.min() > 100) else "linear"
