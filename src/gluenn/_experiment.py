"""Experiments: a declared set-up, and the one pipeline that trains, scores and writes it.

An :class:`Experiment` is a name, its parameters (with defaults and docs) and a ``build``
function that turns parameter values into a :class:`Setup`: the problem(s) to train, the SciPy
reference, the matching baseline and the read-outs. :func:`run_experiment` does the rest and
writes the output contract (``metrics.json``, figures, ``coefficients.csv``, checkpoint, log).
The built-in experiments use exactly this API; so can yours.
"""

from __future__ import annotations

import abc
import dataclasses
import pathlib
import platform
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ._ansatz import Network
from ._errors import ConfigError, Interrupted, require
from ._io import prepare_out_dir, write_csv, write_json, write_jsonl
from ._params import Param, Params, parse_overrides, parse_value
from ._problem import Problem
from .baselines import MatchingBand
from .metrics import readout_errors, rel_err, solution_errors
from .readout import Solution, SolutionLike
from .readout._plots import plot_coefficients, plot_solution
from .readout import mean_evaluation
from .train import Fit, Phase, fit, fit_ensemble, init_ansatz, save, weights_strategy
from .train._resume import ResumeStore


@dataclasses.dataclass(frozen=True, eq=False)
class Component:
    """One real unknown function trained as its own GlueNN problem (e.g. Re ψ or Im ψ).

    - `problem`: the :class:`~gluenn.Problem`.
    - `reference`: the SciPy solution of the same equation (anything with ``y``/``dy``).
    - `matching`: the matching baseline with its ±20 % variants, if any.
    - `label`: axis label.
    """

    problem: Problem
    reference: SolutionLike
    matching: MatchingBand | None = None
    label: str = "y"


@dataclasses.dataclass(frozen=True, eq=False)
class Setup:
    """Everything :func:`run_experiment` needs, built from parameter values.

    - `components`: ``{name: Component}``; one for a real problem, e.g. ``re``/``im`` for ψ.
    - `network`, `trainer`: architecture and optimiser phases (shared by the components).
    - `readout`: ``readout({name: solution}) -> {readout: float}`` for any solution (learned,
      reference, matched) — the physical numbers.
    - `coefficient_readout`: optional; the same numbers taken from the learned coefficients
      (``{name: Solution}``). When given, it is the prediction and ``readout`` is reported beside it.
    - `contributions`: optional ``contributions(component, Evaluation) -> {label: array}`` for
      the coefficient figure (default: ``f_j / y``; oscillating solutions want magnitudes).
    - `xscale`, `yscale`, `xlabel`: plotting; `score_floor`: floor of ``|true|`` in relative errors.
    - `score_points`: grid size for the solution errors (≥ 2000).
    - `agreement_tol`: relative gap between a coefficient read-out and the same number taken
      from y above which ``metrics.json`` flags ``coefficients_agree: false``.
    """

    components: Mapping[str, Component]
    network: Network
    trainer: Sequence[Phase]
    readout: Callable[[Mapping[str, SolutionLike]], dict]
    coefficient_readout: Callable[[Mapping[str, Solution]], dict] | None = None
    contributions: Callable | None = None
    xscale: str = "linear"
    yscale: str = "linear"
    xlabel: str = "x"
    score_floor: float = 0.0
    score_points: int = 2000
    log_every: int = 100
    tol: float | None = None
    agreement_tol: float = 1e-2


class CustomSetup(abc.ABC):
    """A set-up that trains, scores and draws itself (e.g. a neural ODE, :class:`gluenn.node.NODESetup`).

    :func:`run_experiment` calls :meth:`run` instead of the GlueNN pipeline, then adds the common
    fields (experiment, params, seed, versions, total time) and writes ``metrics.json`` last.
    """

    @abc.abstractmethod
    def run(self, *, seed: int, out_dir: pathlib.Path | None, progress: bool | None,
            store: ResumeStore, weights=None) -> tuple[dict, dict]:
        """Train and score; write every output except ``metrics.json`` into `out_dir` (if given).
        Train each named part through `store` (skip what it has finished, continue what it
        interrupted; on an interruption call :func:`interrupted`); `weights`: an automatic
        :class:`~gluenn.train.Weights` strategy or ``None``. Returns ``(metrics, models)``."""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A named, parameterised set-up. ``build(params) -> Setup``; ``parameters`` documents
    every value a user may change with ``--set NAME=VALUE``; ``presets`` are named sets of
    overrides (e.g. ``"paper"``: the paper's exact configuration)."""

    name: str
    summary: str
    parameters: Mapping[str, Param]
    build: Callable[[Params], "Setup | CustomSetup"]
    presets: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)

    def params(self, overrides: Mapping | Sequence[str] = (), preset: str | None = None) -> Params:
        """Defaults, then the `preset`'s values, then ``overrides`` (a dict of values or
        ``["NAME=VALUE", ...]``)."""
        base = {}
        if preset is not None:
            if preset not in self.presets:
                raise ConfigError(f"--preset/--variant {preset!r} is invalid: {self.name} has presets "
                                  f"{sorted(self.presets) or 'none'}")
            # preset values may be written as text ("1e-3", "false"): parse them like --set
            base = {k: parse_value(k, v, self.parameters[k].default) if isinstance(v, str) else v
                    for k, v in self.presets[preset].items()}
        if isinstance(overrides, Mapping):
            unknown = [k for k in overrides if k not in self.parameters]
            if unknown:
                raise ConfigError(f"--set {unknown[0]}=... is invalid: no such parameter of "
                                  f"{self.name}; known: {', '.join(sorted(self.parameters))}")
            values = dict(overrides)
        else:
            values = parse_overrides(overrides, self.parameters)
        values = {**base, **values}
        return Params({k: values.get(k, p.default) for k, p in self.parameters.items()})


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What :func:`run_experiment` produced: the metrics dict, the fits and the output folder."""

    metrics: dict
    fits: dict
    out: pathlib.Path | None


def _versions() -> dict:
    import equinox
    import jax
    import optax
    import scipy

    from . import __version__
    return {"gluenn": __version__, "jax": jax.__version__, "equinox": equinox.__version__,
            "optax": optax.__version__, "scipy": scipy.__version__, "python": platform.python_version(),
            "backend": jax.default_backend()}


def _grid(lo: float, hi: float, n: int, scale: str) -> np.ndarray:
    return np.geomspace(lo, hi, n) if scale == "log" else np.linspace(lo, hi, n)


def run_experiment(experiment: Experiment, *, overrides: Mapping | Sequence[str] = (), seed: int = 0,
                   out=None, progress: bool | None = None, preset: str | None = None,
                   resume: bool = False, ensemble: int = 1, weights: str = "fixed") -> RunResult:
    """Train, score against the reference and the matching baseline, and write the outputs.

    **Arguments:** `experiment`; `overrides` (``{"eta": 1e5}`` or ``["eta=1e5"]``); `seed`;
    `out` (output folder; ``None`` writes nothing); `progress` (progress bar); `preset` (a
    named configuration of the experiment, applied before `overrides`); `resume` (continue the
    interrupted run saved in `out`, which must have the same configuration); `ensemble` (train
    that many models, seeds ``seed, seed+1, ...``, together by ``jax.vmap``: every read-out is
    then the ensemble mean with its standard deviation ``std`` and the ``members``' values, the
    solution errors are those of the mean, and the figures show the members' band); `weights`
    (``"fixed"``: the experiment's λ; ``"auto"``: :class:`~gluenn.train.NTKBalance`, NTK-trace
    balancing by the sample sets' priorities; ``"gradnorm"``: :class:`~gluenn.train.GradNorm`;
    both ignore every λ).

    **Returns:** a :class:`RunResult`. **Raises:** :class:`~gluenn.ConfigError` for bad
    parameters (before any training starts); :class:`~gluenn.Interrupted` after ``Ctrl-C``
    (the progress is saved in ``out/resume/`` and a partial ``metrics.json`` is written).
    """
    require(isinstance(seed, int) and seed >= 0, "--seed", seed, "use a non-negative integer")
    params = experiment.params(overrides, preset)
    require(not resume or out is not None, "resume", resume, "give the output folder of the interrupted run")
    require(isinstance(ensemble, int) and ensemble >= 1, "--ensemble", ensemble, "use a whole number >= 1")
    require(not (resume and ensemble > 1), "--ensemble", ensemble, "ensemble runs cannot be resumed; rerun them")
    out_dir = prepare_out_dir(out) if out is not None else None
    balance = weights_strategy(weights)
    fingerprint = {"experiment": experiment.name, "params": dict(params), "seed": seed, "preset": preset,
                   "weights": weights}
    store = ResumeStore.open(out_dir, fingerprint) if resume else ResumeStore(out_dir, fingerprint)
    t_start = time.perf_counter()
    setup = experiment.build(params)
    t_setup = time.perf_counter() - t_start
    if isinstance(setup, CustomSetup):
        require(ensemble == 1, "--ensemble", ensemble, f"{experiment.name} trains its own models; run its "
                "seeds separately (gluenn ablate EXP --seeds 0,1,2)")
        body, models = setup.run(seed=seed, out_dir=out_dir, progress=progress, store=store, weights=balance)
        metrics = {**fingerprint, "versions": _versions(), **body}
        metrics.setdefault("train", {})["setup_seconds"] = round(t_setup, 3)
        metrics["seconds_total"] = round(time.perf_counter() - t_start, 3)
        if out_dir is not None:
            write_json(out_dir / "metrics.json", metrics)
        store.clear()
        return RunResult(metrics, models, out_dir)

    fits: dict[str, Fit] = {}
    members: list[dict[str, Fit]] = [{} for _ in range(ensemble)]
    for name, comp in setup.components.items():
        if ensemble > 1:
            require(balance is None, "--weights", weights, "ensembles use fixed weights")
            group = fit_ensemble(comp.problem, seeds=range(seed, seed + ensemble), network=setup.network,
                                 trainer=setup.trainer, log_every=setup.log_every, tol=setup.tol, progress=progress)
            if group[0].history.stop_reason == "interrupted":
                raise Interrupted(f"training interrupted in {name!r}; ensemble runs are not saved for --resume")
            for i, f in enumerate(group):
                members[i][name] = f
            fits[name] = group[0]
            continue
        like = init_ansatz(comp.problem, setup.network, seed) if resume else None
        done = store.done(name, like) if resume else None
        if done is not None:
            fits[name] = Fit(comp.problem, setup.network, seed, *done)
            continue
        start = store.start(name, like) if resume else None
        fits[name] = fit(comp.problem, network=setup.network, trainer=setup.trainer, seed=seed,
                         log_every=setup.log_every, tol=setup.tol, progress=progress,
                         init=start[0] if start else like, resume=start[1] if start else None, weights=balance)
        h = fits[name].history
        if h.stop_reason == "interrupted":
            interrupted(store, name, fits[name].ansatz, h,
                        [{"component": k, **r} for k, f in fits.items() for r in f.history.rows])
        store.finish(name, fits[name].ansatz, h)
    if ensemble == 1:
        members = [fits]
    member_sols = [{k: f.solution for k, f in m.items()} for m in members]
    refs = {k: c.reference for k, c in setup.components.items()}

    readout_true = setup.readout(refs)
    per_member = [(setup.coefficient_readout(ms) if setup.coefficient_readout is not None else setup.readout(ms))
                  for ms in member_sols]
    pred = {k: float(np.mean([float(r[k]) for r in per_member])) for k in per_member[0]}
    from_y = None
    if setup.coefficient_readout is not None:
        from_y_all = [setup.readout(ms) for ms in member_sols]
        from_y = {k: float(np.mean([float(r[k]) for r in from_y_all])) for k in from_y_all[0]}
    readouts = readout_errors(pred, readout_true)
    if ensemble > 1:
        for k, v in readouts.items():
            vals = [float(r[k]) for r in per_member]
            v.update(std=float(np.std(vals, ddof=1)), members=vals)
    if from_y is not None:
        for k, v in readouts.items():
            if k in from_y:
                v["pred_from_y"] = float(from_y[k])
                v["rel_err_from_y"] = rel_err(from_y[k], readout_true[k])
                # the paper's promise: coefficients that plateau give the same number as y itself
                gap = abs(v["pred"] - v["pred_from_y"]) / max(abs(v["pred_from_y"]), 1e-300)
                v["coefficients_vs_y"] = gap
                v["coefficients_agree"] = bool(gap <= setup.agreement_tol)

    matching = {}
    bands = {k: c.matching for k, c in setup.components.items() if c.matching is not None}
    if bands and len(bands) == len(setup.components):
        central = setup.readout({k: b.central for k, b in bands.items()})
        n_var = min(len(b.variants) for b in bands.values())
        variants = [setup.readout({k: b.variants[i] for k, b in bands.items()}) for i in range(n_var)]
        for k, v in central.items():
            vals = [float(v)] + [float(r[k]) for r in variants]
            entry = {"central": float(v), "low": min(vals), "high": max(vals)}
            if k in readout_true:
                entry["rel_err"] = rel_err(v, readout_true[k])
            matching[k] = entry
        matching["points"] = {k: list(b.at) for k, b in bands.items()}

    lo, hi = next(iter(setup.components.values())).problem.domain
    x = _grid(lo, hi, max(2000, setup.score_points), setup.xscale)
    member_evals = [{k: s.evaluate(x) for k, s in ms.items()} for ms in member_sols]
    evals = {k: mean_evaluation([me[k] for me in member_evals]) for k in fits}
    truths = {k: np.asarray(r.y(x)) for k, r in refs.items()}
    per = {k: solution_errors(evals[k].y, truths[k], floor=setup.score_floor) for k in fits}
    if len(per) == 1:
        solution = next(iter(per.values()))
    else:
        solution = {m: max(p[m] for p in per.values()) for m in ("max_abs_err", "max_rel_err",
                    "rms_rel_err", "max_abs_err_over_max", "points")}
        # vector-valued (e.g. Re ψ, Im ψ): errors relative to the largest |y| = max_x ||y(x)||₂
        norm = float(np.max(np.sqrt(sum(t**2 for t in truths.values()))))
        solution["max_abs_err_over_max_norm"] = solution["max_abs_err"] / norm
        solution.update(per)
    solution["domain"] = [lo, hi]

    train_seconds = sum(f.history.train_seconds for f in fits.values())
    compile_seconds = sum(f.history.compile_seconds for f in fits.values())
    loss_terms = {}
    for k, f in fits.items():
        terms = f.history.final_terms
        loss_terms.update(terms if len(fits) == 1 else {f"{k}.{t}": v for t, v in terms.items()})
    stop = {k: f.history.stop_reason for k, f in fits.items()}
    metrics = {
        "experiment": experiment.name,
        "params": dict(params),
        "seed": seed,
        "preset": preset,
        "versions": _versions(),
        **({"ensemble": {"size": ensemble, "seeds": list(range(seed, seed + ensemble))}} if ensemble > 1 else {}),
        "train": {
            "steps": max(f.history.steps for f in fits.values()),
            "seconds": round(train_seconds, 3),
            "compile_seconds": round(compile_seconds, 3),
            "setup_seconds": round(t_setup, 3),
            "final_loss": sum(f.history.final["loss"] for f in fits.values()),
            "loss_terms": loss_terms,
            "stop_reason": stop if len(stop) > 1 else next(iter(stop.values())),
            "retries": {k: f.history.retries for k, f in fits.items()},
            "weights": {"strategy": weights, "final": {k: final_weights(f.history) for k, f in fits.items()}},
            "trainer": [p.to_dict() for p in setup.trainer],
            "structure": {k: f.history.structure for k, f in fits.items()},
            "phases_run": {k: f.history.phases for k, f in fits.items()},
            "network": setup.network.to_dict(),
            "samples": {k: c.problem.describe() for k, c in setup.components.items()},
        },
        "solution": solution,
        "readouts": readouts,
        "matching": matching,
        "reference": {k: getattr(r, "info", {}) for k, r in refs.items()},
    }
    metrics["seconds_total"] = round(time.perf_counter() - t_start, 3)

    if out_dir is not None:
        _write_outputs(out_dir, experiment, setup, members, evals, member_evals, truths, x, metrics)
    store.clear()
    return RunResult(metrics, fits if ensemble == 1 else members, out_dir)


def final_weights(history) -> dict:
    """The loss-term weights of the last log row (``{}`` with fixed weights, which are not logged)."""
    return {k[2:]: v for k, v in history.final.items() if k.startswith("w:")}


def interrupted(store: ResumeStore, part: str, params, history, rows: list):
    """Save the progress of a run interrupted in `part` and raise :class:`~gluenn.Interrupted`.

    With an output folder: ``resume/`` (see :class:`~gluenn.train.ResumeStore`), the log so far
    and a ``metrics.json`` with ``"complete": false`` and the command that continues the run."""
    where = store.interrupted(part, params, history)
    steps = history.steps
    if where is None:
        raise Interrupted(f"training interrupted in {part!r} at step {steps} (no output folder: nothing saved)")
    out_dir = where.parent
    fp = store.fingerprint
    hint = f"gluenn run {fp['experiment']} --resume {out_dir}"
    write_jsonl(out_dir / "log.jsonl", rows)
    write_json(out_dir / "metrics.json", {
        **fp, "versions": _versions(), "complete": False,
        "train": {"stop_reason": "interrupted", "interrupted_in": part, "steps": steps,
                  "loss_terms": history.final_terms, "resume": hint}})
    raise Interrupted(f"training interrupted in {part!r} at step {steps}; progress saved in {where}; "
                      f"continue with: {hint}")


def _write_outputs(out_dir, experiment, setup, members, evals, member_evals, truths, x, metrics) -> None:
    fits = members[0]
    multi = len(fits) > 1
    cols = {"x": x}
    for k, ev in evals.items():
        pre = f"{k}." if multi else ""
        cols.update({f"{pre}c:{n}": v for n, v in ev.coefficients.items()})
        cols.update({f"{pre}f:{n}": v for n, v in ev.terms.items()})
        cols[f"{pre}y"] = ev.y
        cols[f"{pre}y_ref"] = truths[k]
        if len(members) > 1:
            cols[f"{pre}y_std"] = np.std([me[k].y for me in member_evals], axis=0, ddof=1)
    write_csv(out_dir / "coefficients.csv", cols)
    rows = []
    for k, f in fits.items():
        rows += [{"component": k, **r} for r in f.history.rows] if multi else f.history.rows
    write_jsonl(out_dir / "log.jsonl", rows)
    ckpt = fits if len(members) == 1 else {f"{k}@seed{f.seed}": f for m in members for k, f in m.items()}
    save(out_dir / "checkpoint.eqx", ckpt,
         extra={"experiment": experiment.name, "params": metrics["params"], "seed": metrics["seed"]})

    curves, panels = {}, {}
    for k, comp in setup.components.items():
        c = {"label": comp.label, "pred": evals[k].y, "true": truths[k], "floor": setup.score_floor}
        if len(members) > 1:
            ys = np.array([me[k].y for me in member_evals])
            c["ensemble"] = (ys.min(0), ys.max(0), len(members))
        if comp.matching is not None:
            c["match"] = comp.matching.central.y(x)
            if comp.matching.variants:
                c["band"] = comp.matching.envelope(x)
        curves[k] = c
        positive = all(t.positive for t in comp.problem.terms)
        fractions = (setup.contributions(k, evals[k]) if setup.contributions is not None
                     else evals[k].fractions)
        panels[k] = {"fractions": fractions, "coefficients": evals[k].coefficients,
                     "log_coefficients": positive, "label": f"f_j / {comp.label}"}
    title = f"{experiment.name}  seed={metrics['seed']}"
    plot_solution(out_dir / "solution.png", x, curves, xscale=setup.xscale, yscale=setup.yscale,
                  xlabel=setup.xlabel, title=title)
    plot_coefficients(out_dir / "coefficients.png", x, panels, xscale=setup.xscale,
                      xlabel=setup.xlabel, title=title)
    write_json(out_dir / "metrics.json", metrics)  # last: its presence means the run is complete
