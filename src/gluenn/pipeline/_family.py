"""One training over a range of a physical parameter: ``gluenn run EXPERIMENT --vary NAME=LO:HI[:log]``.

The experiment's set-up is built at every training value of the parameter (its problem, the same
at every value but for the parameter, becomes a :class:`~gluenn.Family`), trained once
(:class:`~gluenn.FamilyFit`), and scored at **held-out** values — the middles of ``held_out``
equal steps of the range (in ``log θ`` for a log range), none of them a training value — against
the experiment's SciPy reference built there. The folder holds ``metrics.json`` (the read-out
table, the trust of the whole range), ``checkpoint.eqx`` (every member: :func:`~gluenn.load_family`),
``readouts.csv``, ``readouts.png`` (read-out vs θ with the
reference, and its error) and ``solution.png`` (y at three held-out values with the reference).
``metrics.json`` ``common_gauge`` says where, between training values, the coefficients are held
to the experiment's plateau and suppression sets (where every member was).
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from .._errors import ConfigError, Interrupted, TrustWarning, require
from .._io import write_csv
from ..engine import StopReason
from ..glue import Family, FamilyFit, FamilyLoss, Parameter, Trust, fit, save
from ._experiment import CustomSetup, Experiment, RunResult, Setup
from ._folder import claimed
from ._plots import plot_readout_curves, plot_solution
from ._report import score_readouts, versions
from ._trust import run_trust
from ._sweep_plan import Vary


@dataclasses.dataclass(frozen=True)
class FamilyRun:
    """How a ``--vary`` run is made: the parameter's range (`vary`), the training values (`train`,
    Chebyshev–Lobatto nodes of the range) and the held-out values scored (`held_out`)."""

    vary: Vary
    train: int = 8
    held_out: int = 20
    max_train: int = 29

    def __post_init__(self):
        require(isinstance(self.train, int) and 2 <= self.train <= 64, "--train", self.train,
                "use 2 to 64 training values (8 is the default)")
        require(isinstance(self.held_out, int) and 1 <= self.held_out <= 200, "--held-out", self.held_out,
                "score at 1 to 200 held-out values (20 is the default)")
        object.__setattr__(self, "max_train", max(self.max_train, self.train))

    @property
    def parameter(self) -> Parameter:
        return Parameter(self.vary.name, self.vary.lo, self.vary.hi, self.vary.log)

    def held_out_values(self, train: int | None = None) -> np.ndarray:
        """The middles of `held_out` equal steps of the range, nudged off the `train` training
        values (default: `train` of this plan; after a refinement, pass the count trained)."""
        u = (np.arange(self.held_out) + 0.5) / self.held_out
        nodes = self.parameter.fraction(self.parameter.grid(self.train if train is None else train))
        near = np.min(np.abs(u[:, None] - nodes[None, :]), axis=1) < 1e-3
        return self.parameter.value(np.where(near, u + 2e-3, u))

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self.vary), "train": self.train, "held_out": self.held_out,
                "max_train": self.max_train}


class SetupCache:
    """The experiment's set-up at each value of the varied parameter, built once per value, with
    the range declared to the build (:meth:`~gluenn.Params.span`: its structure follows the range)."""

    def __init__(self, experiment: Experiment, params, vary: Vary):
        self.experiment, self.name, self.cache = experiment, vary.name, {}
        self.params = params.spanning(vary.name, vary.lo, vary.hi)

    def __call__(self, value: float) -> Setup:
        key = float(value)
        if key not in self.cache:
            param = self.experiment.parameters[self.name]
            setup = self.experiment.build(self.params.replace(**{self.name: param.check(self.name, key)}))
            require(not isinstance(setup, CustomSetup), "--vary", self.name,
                    f"{self.experiment.name} trains its own models; --vary needs a GlueNN experiment")
            self.cache[key] = setup
        return self.cache[key]


def run_family(experiment: Experiment, plan: FamilyRun, *, overrides=(), seed: int = 0, out=None,
               progress: bool | None = None, overwrite: bool = False, announce=None) -> RunResult:
    """Train one :class:`~gluenn.FamilyFit` per component over `plan`'s range and score it at the
    held-out values against the experiment's reference (see the module notes).

    **Returns:** a :class:`RunResult` (``kind="family"``, ``fits``: ``{component: FamilyFit}``).
    **Raises:** :class:`~gluenn.ConfigError` before training for a parameter that is not a number of
    the experiment, set both by ``--set`` and ``--vary``, or that the experiment's functions read
    from their closure (they must take it as a keyword); :class:`~gluenn.Interrupted` on ``Ctrl-C``.
    """
    params = checked_params(experiment, plan, overrides)
    require(isinstance(seed, int) and 0 <= seed < 2**32, "--seed", seed, "use an integer in [0, 2**32)")
    fingerprint = {"experiment": experiment.name, "params": {k: v for k, v in params.items() if k != plan.vary.name},
                   "seed": seed, "vary": plan.to_dict()}
    with claimed(out, fingerprint, overwrite=overwrite) as folder:
        return _run(experiment, plan, params, seed, progress, folder, fingerprint, announce)


def checked_params(experiment: Experiment, plan: FamilyRun, overrides):
    """The experiment's parameters with `overrides`, after checking that the varied one is a real
    number of the experiment that `overrides` leaves alone (a ConfigError otherwise)."""
    name = plan.vary.name
    require(name in experiment.parameters, "--vary", name,
            f"{experiment.name} has no parameter {name!r}; see `gluenn show {experiment.name}`")
    default = experiment.parameters[name].default
    require(isinstance(default, float), "--vary", name, f"{name} is not a real number (default {default!r})")
    params = experiment.params(overrides)
    require(dict(experiment.params()).get(name) == params[name], "--vary", name, f"do not also --set {name}")
    return params


def _run(experiment, plan: FamilyRun, params, seed, progress, folder, fingerprint, announce) -> RunResult:
    t0 = time.perf_counter()
    builds = SetupCache(experiment, params, plan.vary)
    setup = builds(float(plan.parameter.value(0.5)))
    checked = families(builds, setup, plan)
    if folder is not None:
        folder.begin()
    if announce is not None:
        announce()
    fits = train_family(checked, setup, seed, progress)
    t_fit = time.perf_counter()
    thetas = plan.held_out_values(next(iter(fits.values())).family.train)
    rows = [_score(builds(th), {k: f.at(**{plan.vary.name: th}).solution for k, f in fits.items()}) for th in thetas]
    trust = _trust(fits, rows, setup)
    t_score = time.perf_counter()
    metrics = {**fingerprint, "versions": versions(), "trust": trust.to_dict(),
               "readouts": _table(thetas, rows), "train": _train_block(fits, setup),
               "common_gauge": {k: {n: list(r) for n, r in f.common_gauge.items()} for k, f in fits.items()},
               "timing": {"fit": t_fit - t0, "score": t_score - t_fit, "evaluate_1000": _evaluate_time(fits, plan)}}
    if folder is not None:
        _outputs(folder.path, experiment, plan, builds, fits, thetas, rows)
    metrics["seconds_total"] = round(time.perf_counter() - t0, 3)
    metrics["timing"] = {k: round(v, 3) for k, v in metrics["timing"].items()}
    if folder is not None:
        folder.seal(metrics)
    return RunResult(metrics, fits, folder.path if folder is not None else None, "family")


def families(builds: SetupCache, setup: Setup, plan: FamilyRun) -> dict[str, Family]:
    """``{component: Family}`` over `plan`'s range, each checked (built at every training value and
    compared with the middle: :class:`~gluenn.FamilyLoss`) — a ConfigError before any training."""
    out = {}
    for comp in setup.components:
        family = Family(lambda comp=comp, **theta: builds(theta[plan.vary.name]).components[comp].problem,
                        [plan.parameter], train=plan.train, max_train=plan.max_train)
        try:
            FamilyLoss(family)
        except ConfigError as exc:
            hint = "; hold the domain fixed with --set (see `gluenn show`)" if "its domain differ" in str(exc) else ""
            raise ConfigError(f"--vary {plan.vary.name}: {exc}{hint}") from None
        out[comp] = family
    return out


def train_family(checked: dict[str, Family], setup: Setup, seed: int, progress) -> dict[str, FamilyFit]:
    """One :class:`~gluenn.FamilyFit` per component of :func:`families` (trust warnings are reported
    once, by the caller)."""
    fits = {}
    for comp, family in checked.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TrustWarning)
            fits[comp] = fit(family, network=setup.network, trainer=setup.trainer, seed=seed,
                             log_every=setup.log_every, tol=setup.tol, progress=progress)
        if fits[comp].history.stop_reason is StopReason.INTERRUPTED:
            raise Interrupted(f"training interrupted in {comp!r}; --vary runs are not saved for --resume")
    return fits


def _score(setup: Setup, solutions: dict) -> dict:
    """The read-outs at one held-out value against the reference there (as in a single run)."""
    true = setup.readout({k: c.reference for k, c in setup.components.items()})
    return score_readouts(setup, true, [solutions])


def _trust(fits: dict, rows: list, setup: Setup) -> Trust:
    """:func:`run_trust` of a single run, with each read-out's largest coefficient-vs-y gap over the
    held-out values (every family check is already the worst over the range)."""
    gaps = {k: {"coefficients_vs_y": max(r[k]["coefficients_vs_y"] for r in rows)}
            for k in rows[0] if "coefficients_vs_y" in rows[0][k]}
    return run_trust(setup, [fits], gaps, {})


def _table(thetas: np.ndarray, rows: list) -> dict:
    """``{read-out: {"theta", "pred", "true", "rel_err" (lists), "max_abs_rel_err"}}``."""
    out = {}
    for k in rows[0]:
        err = [r[k].get("rel_err", float("nan")) for r in rows]
        out[k] = {"theta": thetas.tolist(), "pred": [r[k]["pred"] for r in rows],
                  "true": [r[k].get("true", float("nan")) for r in rows], "rel_err": err,
                  "max_abs_rel_err": float(np.nanmax(np.abs(err)))}
    return out


def _train_block(fits: dict, setup: Setup) -> dict:
    f = next(iter(fits.values()))
    return {"stop_reason": f.history.stop_reason.value, "members": int(f.family.training_values().shape[0]),
            "train_tried": list(getattr(f.history, "train_tried", [f.family.train])),
            "train_values": f.family.training_values()[:, 0].tolist(),
            "compile_seconds": f.history.compile_seconds, "train_seconds": f.history.train_seconds}


def _evaluate_time(fits: dict, plan: FamilyRun) -> float:
    """Wall time of ``y`` on 64 points at 1000 values of the parameter (compiled first: the warm cost)."""
    many = plan.parameter.value(np.linspace(0, 1, 1000))
    f = next(iter(fits.values()))
    lo, hi = f.domain
    x = np.linspace(lo, hi, 64)
    f.y(x, **{plan.vary.name: many})
    t = time.perf_counter()
    f.y(x, **{plan.vary.name: many})
    return time.perf_counter() - t


def _outputs(out, experiment, plan: FamilyRun, builds: SetupCache, fits: dict, thetas, rows) -> None:
    name = plan.vary.name
    columns = {name: thetas}
    for k in rows[0]:
        columns.update({f"{k}_pred": [r[k]["pred"] for r in rows], f"{k}_true": [r[k].get("true") for r in rows],
                        f"{k}_rel_err": [r[k].get("rel_err") for r in rows]})
    write_csv(out / "readouts.csv", columns)
    save(out / "checkpoint.eqx", fits, extra={"experiment": experiment.name, "vary": plan.to_dict()})
    plot_readout_curves(out / "readouts.png", name, plan.vary.log, thetas, rows,
                        title=f"{experiment.name}: one training over {name} ∈ [{plan.vary.lo:g}, {plan.vary.hi:g}]")
    picks = thetas[[0, len(thetas) // 2, -1]]
    setup = builds(float(picks[0]))
    x = np.geomspace(*setup.components[next(iter(fits))].problem.domain, 400) if setup.xscale == "log" else \
        np.linspace(*setup.components[next(iter(fits))].problem.domain, 400)
    curves = {}
    for th in picks:
        s = builds(float(th))
        for comp, f in fits.items():
            curves[f"{comp} at {name}={th:.4g}"] = {"label": f"{s.components[comp].label} at {name}={th:.4g}", "true": np.asarray(s.components[comp].reference.y(x)),
                                                   "pred": f.y(x, **{name: th})}
    plot_solution(out / "solution.png", x, curves, xscale=setup.xscale, yscale=setup.yscale, xlabel=setup.xlabel,
                  title=f"{experiment.name}: y at three held-out {name}")
