"""The report of a GlueNN run: ``metrics.json`` (read-outs, matching baseline, solution errors,
training facts) and the files beside it (figures, ``coefficients.csv``, log, checkpoint).

``train.loss_terms`` holds the *unweighted* loss terms of the last log row, for every kind of
model (GlueNN and neural ODEs alike); ``train.final_loss`` is the weighted total that was minimised.
"""

from __future__ import annotations

import dataclasses
import platform

import numpy as np

from .._io import write_csv, write_jsonl
from ..engine import Auto
from ..glue import Evaluation, mean_evaluation, save
from ..metrics import readout_errors, rel_err, solution_errors
from ._constants import score_constants
from ._plots import plot_coefficients, plot_solution
from ._trust import run_trust


def versions() -> dict:
    """The versions of gluenn, its stack and Python, and JAX's backend."""
    import equinox
    import jax
    import optax
    import scipy

    from .. import __version__
    return {"gluenn": __version__, "jax": jax.__version__, "equinox": equinox.__version__,
            "optax": optax.__version__, "scipy": scipy.__version__, "python": platform.python_version(),
            "backend": jax.default_backend()}


def trainer_dict(trainer) -> list | dict:
    """A trainer (a list of phases, or an :class:`~gluenn.engine.Auto`) as JSON."""
    return trainer.to_dict() if isinstance(trainer, Auto) else [p.to_dict() for p in trainer]


@dataclasses.dataclass
class Tables:
    """The evaluation of a run on its scoring grid ``x``: the (mean) evaluations, each member's,
    and the reference ``y``, per component."""

    x: np.ndarray
    evals: dict
    member_evals: list
    truths: dict


def glue_metrics(experiment, setup, config, params, members: list, t_setup: float, exact: list) -> tuple[dict, Tables]:
    """``metrics.json`` of a GlueNN run (without ``seconds_total``) and the evaluated tables
    (`exact`: the declared constants' exact values, :func:`all_exact_constants`)."""
    fits = members[0]
    member_sols = [{k: f.solution for k, f in m.items()} for m in members]
    refs = {k: c.reference for k, c in setup.components.items()}
    tables = _evaluate(setup, member_sols, refs)
    true = setup.readout(refs)
    readouts = score_readouts(setup, true, member_sols)
    constants = score_constants(setup.constants, {k: _MeanSolution([ms[k] for ms in member_sols]) for k in setup.components},
                                exact, setup.xscale)
    metrics = {
        **config.fingerprint(experiment, params),
        "versions": versions(),
        **({"ensemble": {"size": config.ensemble, "seeds": list(range(config.seed, config.seed + config.ensemble))}}
           if config.ensemble > 1 else {}),
        "train": _train_block(setup, config, fits, t_setup),
        "solution": _solution_block(setup, tables),
        "trust": run_trust(setup, members, readouts, constants).to_dict(),
        "readouts": readouts,
        "matching": _matching(setup, true),
        "constants": constants,
        "reference": {k: getattr(r, "info", {}) for k, r in refs.items()},
    }
    return metrics, tables


class _MeanSolution:
    """The members' mean as one solution (an ensemble's prediction); a single member as it is."""

    def __init__(self, solutions: list):
        self.solutions = solutions

    def evaluate(self, x) -> Evaluation:
        return mean_evaluation([s.evaluate(x) for s in self.solutions])


def _mean_readout(readout, solutions: list) -> dict:
    values = [readout(s) for s in solutions]
    return {k: float(np.mean([float(v[k]) for v in values])) for k in values[0]}, values


def score_readouts(setup, true: dict, member_sols) -> dict:
    """Each read-out's prediction (mean over members), the reference, the relative error, the
    spread over members and — for coefficient read-outs — the same number taken from y."""
    primary = setup.coefficient_readout if setup.coefficient_readout is not None else setup.readout
    pred, per_member = _mean_readout(primary, member_sols)
    readouts = readout_errors(pred, true)
    if len(member_sols) > 1:
        for k, v in readouts.items():
            vals = [float(r[k]) for r in per_member]
            v.update(std=float(np.std(vals, ddof=1)), members=vals)
    if setup.coefficient_readout is not None:
        from_y, _ = _mean_readout(setup.readout, member_sols)
        for k, v in readouts.items():
            if k in from_y:
                v["pred_from_y"] = float(from_y[k])
                v["rel_err_from_y"] = rel_err(from_y[k], true[k])
                # the paper's promise: coefficients that plateau give the same number as y itself
                gap = abs(v["pred"] - v["pred_from_y"]) / max(abs(v["pred_from_y"]), 1e-300)
                v["coefficients_vs_y"] = gap
                v["coefficients_agree"] = bool(gap <= setup.agreement_tol)
    return readouts


def _matching(setup, true: dict) -> dict:
    """The matching baseline's read-outs: central value and the band of its ±20 % variants."""
    bands = {k: c.matching for k, c in setup.components.items() if c.matching is not None}
    if not bands or len(bands) != len(setup.components):
        return {}
    central = setup.readout({k: b.central for k, b in bands.items()})
    n_var = min(len(b.variants) for b in bands.values())
    variants = [setup.readout({k: b.variants[i] for k, b in bands.items()}) for i in range(n_var)]
    matching = {}
    for k, v in central.items():
        vals = [float(v)] + [float(r[k]) for r in variants]
        entry = {"central": float(v), "low": min(vals), "high": max(vals)}
        if k in true:
            entry["rel_err"] = rel_err(v, true[k])
        matching[k] = entry
    matching["points"] = {k: list(b.at) for k, b in bands.items()}
    return matching


def _evaluate(setup, member_sols, refs) -> Tables:
    lo, hi = next(iter(setup.components.values())).problem.domain
    n = max(2000, setup.score_points)
    x = np.geomspace(lo, hi, n) if setup.xscale == "log" else np.linspace(lo, hi, n)
    member_evals = [{k: s.evaluate(x) for k, s in ms.items()} for ms in member_sols]
    evals = {k: mean_evaluation([me[k] for me in member_evals]) for k in setup.components}
    truths = {k: np.asarray(r.y(x)) for k, r in refs.items()}
    return Tables(x, evals, member_evals, truths)


def _solution_block(setup, t: Tables) -> dict:
    """Errors of the learned y against the reference on the scoring grid (per component, and the
    worst over components relative to the largest ``||y||`` for a vector-valued solution)."""
    per = {k: solution_errors(t.evals[k].y, t.truths[k], floor=setup.score_floor) for k in setup.components}
    if len(per) == 1:
        solution = next(iter(per.values()))
    else:
        solution = {m: max(p[m] for p in per.values()) for m in ("max_abs_err", "max_rel_err",
                    "rms_rel_err", "max_abs_err_over_max", "points")}
        norm = float(np.max(np.sqrt(sum(y**2 for y in t.truths.values()))))
        solution["max_abs_err_over_max_norm"] = solution["max_abs_err"] / norm
        solution.update(per)
    solution["domain"] = list(next(iter(setup.components.values())).problem.domain)
    return solution


def _train_block(setup, config, fits: dict, t_setup: float) -> dict:
    one = len(fits) == 1
    loss_terms = {}
    for k, f in fits.items():
        terms = f.history.final_terms
        loss_terms.update(terms if one else {f"{k}.{n}": v for n, v in terms.items()})
    stop = {k: f.history.stop for k, f in fits.items()}
    return {
        "steps": max(f.history.steps for f in fits.values()),
        "seconds": round(sum(f.history.train_seconds for f in fits.values()), 3),
        "compile_seconds": round(sum(f.history.compile_seconds for f in fits.values()), 3),
        "setup_seconds": round(t_setup, 3),
        "final_loss": sum(f.history.final["loss"] for f in fits.values()),
        "loss_terms": loss_terms,
        "stop_reason": next(iter(stop.values())) if one else stop,
        "retries": {k: f.history.retries for k, f in fits.items()},
        "weights": {"strategy": config.weights, "final": {k: f.history.final_weights for k, f in fits.items()}},
        "trainer": trainer_dict(setup.trainer),
        "structure": {k: f.history.structure for k, f in fits.items()},
        "phases_run": {k: f.history.phases for k, f in fits.items()},
        "network": setup.network.to_dict(),
        "samples": {k: c.problem.describe() for k, c in setup.components.items()},
    }


def write_glue_outputs(out_dir, experiment, setup, members: list, t: Tables, metrics: dict) -> None:
    """Everything but ``metrics.json``: ``coefficients.csv``, ``log.jsonl``, the checkpoint and
    the two figures."""
    fits = members[0]
    write_csv(out_dir / "coefficients.csv", _columns(t, len(fits) > 1, len(members) > 1))
    rows = []
    for k, f in fits.items():
        rows += [{"component": k, **r} for r in f.history.rows] if len(fits) > 1 else f.history.rows
    write_jsonl(out_dir / "log.jsonl", rows)
    ckpt = fits if len(members) == 1 else {f"{k}@seed{f.seed}": f for m in members for k, f in m.items()}
    save(out_dir / "checkpoint.eqx", ckpt,
         extra={"experiment": experiment.name, "params": metrics["params"], "seed": metrics["seed"]})
    title = f"{experiment.name}  seed={metrics['seed']}"
    plot_solution(out_dir / "solution.png", t.x, _curves(setup, t, len(members)), xscale=setup.xscale,
                  yscale=setup.yscale, xlabel=setup.xlabel, title=title)
    plot_coefficients(out_dir / "coefficients.png", t.x, _panels(setup, t.evals, metrics["constants"]), xscale=setup.xscale,
                      xlabel=setup.xlabel, title=title)


def _columns(t: Tables, multi: bool, ensemble: bool) -> dict:
    cols = {"x": t.x}
    for k, ev in t.evals.items():
        pre = f"{k}." if multi else ""
        cols.update({f"{pre}c:{n}": v for n, v in ev.coefficients.items()})
        cols.update({f"{pre}f:{n}": v for n, v in ev.terms.items()})
        cols[f"{pre}y"] = ev.y
        cols[f"{pre}y_ref"] = t.truths[k]
        if ensemble:
            cols[f"{pre}y_std"] = np.std([me[k].y for me in t.member_evals], axis=0, ddof=1)
    return cols


def _curves(setup, t: Tables, n_members: int) -> dict:
    curves = {}
    for k, comp in setup.components.items():
        c = {"label": comp.label, "pred": t.evals[k].y, "true": t.truths[k], "floor": setup.score_floor}
        if n_members > 1:
            ys = np.array([me[k].y for me in t.member_evals])
            c["ensemble"] = (ys.min(0), ys.max(0), n_members)
        if comp.matching is not None:
            c["match"] = comp.matching.central.y(t.x)
            if comp.matching.variants:
                c["band"] = comp.matching.envelope(t.x)
        curves[k] = c
    return curves


def _log_scale(curves) -> bool | float:
    """The coefficient axis: ``True`` (log) for functions that are all positive and span over two
    decades; a symlog threshold when their sizes (``max|c|``) differ by over two decades, so that
    the smaller ones' plateaus show; ``False`` (linear) otherwise."""
    curves = [np.ravel(c) for c in curves]
    if not curves:
        return False
    values, sizes = np.concatenate(curves), np.array([np.max(np.abs(c)) for c in curves])
    if np.all(values > 0) and values.max() > 100 * values.min():
        return True
    return float(sizes.min() / 10) if sizes.min() > 0 and sizes.max() > 100 * sizes.min() else False


def _panels(setup, evals: dict[str, Evaluation], constants: dict) -> dict:
    panels = {}
    for k, comp in setup.components.items():
        exact = [(name.split(".", 1)[1].split("@")[0], c["true"], c["region"]) for name, c in constants.items()
                 if name.startswith(f"{k}.")]
        fractions = (setup.contributions(k, evals[k]) if setup.contributions is not None else evals[k].fractions)
        panels[k] = {"fractions": fractions, "coefficients": evals[k].coefficients,
                     "log_coefficients": _log_scale(evals[k].coefficients.values()), "label": f"f_j / {comp.label}",
                     "constants": exact}
    return panels
