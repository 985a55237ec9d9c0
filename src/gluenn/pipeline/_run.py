"""The one pipeline: experiment → set-up → train → score → report, for GlueNN and custom set-ups."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Mapping, Sequence

from .._errors import Interrupted, TrustWarning, require
from .._limits import check_members
from ..engine import StopReason, weights_strategy
from ..glue import Fit, fit, fit_ensemble, init_ansatz
from ._constants import all_exact_constants
from ._experiment import CustomSetup, Experiment, RunResult, Setup
from ._folder import RunFolder, claimed
from ._report import glue_metrics, versions, write_glue_outputs
from ._resume import ResumeStore


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """How one run of an experiment is made (everything but the experiment's own parameters)."""

    seed: int = 0
    preset: str | None = None
    ensemble: int = 1
    weights: str = "fixed"
    resume: bool = False
    progress: bool | None = None

    def __post_init__(self):
        require(isinstance(self.seed, int) and 0 <= self.seed < 2**32, "--seed", self.seed,
                "use an integer in [0, 2**32)")
        require(isinstance(self.ensemble, int) and self.ensemble >= 1, "--ensemble", self.ensemble,
                "use a whole number >= 1")
        check_members("--ensemble", self.ensemble)
        require(self.seed + self.ensemble <= 2**32, "--ensemble", self.ensemble, "the last seed must be < 2**32")
        require(not (self.resume and self.ensemble > 1), "--ensemble", self.ensemble,
                "ensemble runs cannot be resumed; rerun them")
        weights_strategy(self.weights)  # a known name
        require(self.ensemble == 1 or self.weights == "fixed", "--weights", self.weights, "ensembles use fixed weights")

    def fingerprint(self, experiment: Experiment, params) -> dict:
        """What must match for ``--resume``: experiment, parameters, seed, preset, weights."""
        return {"experiment": experiment.name, "params": dict(params), "seed": self.seed, "preset": self.preset,
                "weights": self.weights}


def run_experiment(experiment: Experiment, *, overrides: Mapping | Sequence[str] = (), seed: int = 0,
                   out=None, progress: bool | None = None, preset: str | None = None,
                   resume: bool = False, ensemble: int = 1, weights: str = "fixed",
                   overwrite: bool = False, announce=None) -> RunResult:
    """Train, score against the reference and the matching baseline, and write the outputs.

    **Arguments:** `experiment`; `overrides` (``{"eta": 1e5}`` or ``["eta=1e5"]``); `seed`;
    `out` (output folder; ``None`` writes nothing); `progress` (progress bar); `preset` (a
    named configuration of the experiment, applied before `overrides`); `resume` (continue the
    interrupted run saved in `out`, which must have the same configuration); `ensemble` (train
    that many models, seeds ``seed, seed+1, ...``, together by ``jax.vmap``: every read-out is
    then the ensemble mean with its standard deviation ``std`` and the ``members``' values, the
    solution errors are those of the mean, and the figures show the members' band); `weights`
    (``"fixed"``: the experiment's λ; ``"auto"``: :class:`~gluenn.engine.NTKBalance`, NTK-trace
    balancing by the sample sets' priorities; ``"gradnorm"``: :class:`~gluenn.engine.GradNorm`;
    both ignore every λ); `overwrite` (write into a folder that holds another run, replacing it);
    `announce` (called once everything is checked and the set-up is built, before training).

    **Returns:** a :class:`RunResult`. **Raises:** :class:`~gluenn.ConfigError` for bad
    parameters or an unusable `out` (before any training starts; see :class:`RunFolder`);
    :class:`~gluenn.Interrupted` after ``Ctrl-C`` (the progress is saved in ``out/resume/`` and a
    partial ``metrics.json`` is written). The folder is complete — ``manifest.json`` written last —
    or has no ``manifest.json``.
    """
    config = RunConfig(seed, preset, ensemble, weights, resume, progress)
    require(not resume or out is not None, "resume", resume, "give the output folder of the interrupted run")
    params = experiment.params(overrides, preset)
    balance = weights_strategy(weights)
    fingerprint = config.fingerprint(experiment, params)
    with claimed(out, fingerprint, resume=resume, overwrite=overwrite) as folder:
        return _run(experiment, config, params, fingerprint, balance, folder, announce)


def _run(experiment: Experiment, config: RunConfig, params, fingerprint: dict, balance, folder: RunFolder | None,
         announce) -> RunResult:
    out_dir = folder.path if folder is not None else None
    store = ResumeStore.open(out_dir, fingerprint) if config.resume else ResumeStore(out_dir, fingerprint)
    t_start = time.perf_counter()
    setup = experiment.build(params)
    custom = isinstance(setup, CustomSetup)
    t_build = time.perf_counter() - t_start
    exact = None if custom else all_exact_constants(setup.constants, setup.components, setup.xscale)
    t_setup = time.perf_counter() - t_start
    require(not custom or config.ensemble == 1, "--ensemble", config.ensemble, f"{experiment.name} trains its own "
            "models; run its seeds separately (gluenn ablate EXP --seeds 0,1,2)")
    if folder is not None:
        folder.begin(resume=config.resume)
    if announce is not None:
        announce()
    if custom:
        body, models = setup.run(seed=config.seed, out_dir=out_dir, progress=config.progress, store=store,
                                 weights=balance)
        metrics = {**fingerprint, "versions": versions(), **body}
        metrics.setdefault("train", {})["setup_seconds"] = round(t_setup, 3)
    else:
        t_fit = time.perf_counter()
        members = _train(setup, config, store, balance)
        t_score = time.perf_counter()
        metrics, tables = glue_metrics(experiment, setup, config, params, members, t_setup, exact)
        models = members[0] if config.ensemble == 1 else members
        metrics["timing"] = {"build": t_build, "exact_constants": t_setup - t_build, "fit": t_score - t_fit,
                             "score": time.perf_counter() - t_score}
    metrics["seconds_total"] = round(time.perf_counter() - t_start, 3)
    if folder is not None and not custom:
        t_out = time.perf_counter()
        write_glue_outputs(out_dir, experiment, setup, members, tables, metrics)
        metrics["timing"]["outputs"] = time.perf_counter() - t_out
    if not custom:
        metrics["timing"] = {k: round(v, 3) for k, v in metrics["timing"].items()}
    if folder is not None:
        folder.seal(metrics)
    store.clear()
    return RunResult(metrics, models, out_dir, "custom" if custom else "glue")


def _train(setup: Setup, config: RunConfig, store: ResumeStore, balance) -> list[dict[str, Fit]]:
    """Every component of `setup`, for every ensemble member: ``[{component: Fit}]`` (one per seed).
    The fits' trust warnings are not repeated: the run reports one ``trust`` block for all of them."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrustWarning)
        return _train_all(setup, config, store, balance)


def _train_all(setup: Setup, config: RunConfig, store: ResumeStore, balance) -> list[dict[str, Fit]]:
    if config.ensemble > 1:
        return _train_ensemble(setup, config)
    fits: dict[str, Fit] = {}
    for name, comp in setup.components.items():
        like = init_ansatz(comp.problem, setup.network, config.seed) if config.resume else None
        done = store.done(name, like) if config.resume else None
        if done is not None:
            fits[name] = Fit(comp.problem, setup.network, config.seed, *done)
            continue
        start = store.start(name, like) if config.resume else None
        fits[name] = fit(comp.problem, network=setup.network, trainer=setup.trainer, seed=config.seed,
                         log_every=setup.log_every, tol=setup.tol, progress=config.progress,
                         init=start[0] if start else like, resume=start[1] if start else None, weights=balance,
                         refine=0, march=False, widen=0)  # an experiment's points, trainer and network are declared and
        # recorded as they are, and resume must equal uninterrupted: no refit with other points, trainer or width
        h = fits[name].history
        if h.stop_reason is StopReason.INTERRUPTED:
            store.interrupted_run(name, fits[name].ansatz, h, _log_rows(fits), versions())
        store.finish(name, fits[name].ansatz, h)
    return [fits]


def _train_ensemble(setup: Setup, config: RunConfig) -> list[dict[str, Fit]]:
    members: list[dict[str, Fit]] = [{} for _ in range(config.ensemble)]
    seeds = range(config.seed, config.seed + config.ensemble)
    for name, comp in setup.components.items():
        group = fit_ensemble(comp.problem, seeds=seeds, network=setup.network, trainer=setup.trainer,
                             log_every=setup.log_every, tol=setup.tol, progress=config.progress)
        if group[0].history.stop_reason is StopReason.INTERRUPTED:
            raise Interrupted(f"training interrupted in {name!r}; ensemble runs are not saved for --resume")
        for i, f in enumerate(group):
            members[i][name] = f
    return members


def _log_rows(fits: Mapping[str, Fit]) -> list[dict]:
    """The log rows of every component (with a ``component`` column when there are several)."""
    if len(fits) == 1:
        return list(next(iter(fits.values())).history.rows)
    return [{"component": k, **r} for k, f in fits.items() for r in f.history.rows]
