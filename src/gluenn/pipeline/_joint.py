"""A physical parameter from an observed read-out in one fit per seed: ``gluenn infer EXPERIMENT
--route joint --vary NAME=LO:HI[:log] --observe READOUT=VALUE±SIGMA`` (route b of issue 19).

The experiment declares the problem in which the parameter is a trainable unknown and the
observation a data set (:attr:`Experiment.joint` → :class:`JointProblem`); :func:`~gluenn.invert_jointly`
fits it per seed, with the interval from two refits at the observation ∓ σ. The seeds' answers are
averaged and their spread added to the interval in quadrature, as for route a. No reference is used.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np

from .._errors import TrustWarning, require
from ..glue import Inference, Network, Parameter, Problem, invert_jointly
from ._experiment import Experiment, RunResult
from ._folder import claimed
from ._report import versions
from ._sweep_plan import Vary


@dataclasses.dataclass(frozen=True, eq=False)
class JointProblem:
    """What an experiment gives route (b): the `problem` (its functions take the unknown as a
    keyword-only argument, and none of its data depend on it), the name of its data set that
    holds the observation (`observed`), and the `network` and `trainer` to fit it with."""

    problem: Problem
    observed: str
    network: Network
    trainer: object


def infer_jointly(experiment: Experiment, vary: Vary, observation, *, seeds=(0,), overrides=(), out=None,
                  progress: bool | None = None, overwrite: bool = False, announce=None) -> RunResult:
    """The parameter `vary` from `observation` (an :class:`Observation`) by route (b), one fit per
    seed. **Returns:** a :class:`RunResult` (``kind="inference"``; ``metrics["inference"]``: the
    combined :class:`~gluenn.Inference` and ``trusted``; ``metrics["seeds"]``: each seed's)."""
    require(experiment.joint is not None, "--route", "joint",
            f"{experiment.name} declares no route-(b) problem; use --route curve")
    params = experiment.params(overrides)
    require(vary.name in params, "--vary", vary.name, f"{experiment.name} has no parameter {vary.name!r}")
    require(1 <= len(seeds) <= 16, "--seeds", seeds, "infer with 1 to 16 seeds")
    unknown = Parameter(vary.name, vary.lo, vary.hi, vary.log)
    joint = experiment.joint(params, unknown, observation.readout, observation.value)
    fingerprint = {"experiment": experiment.name, "params": {k: v for k, v in params.items() if k != vary.name},
                   "seeds": list(seeds), "vary": dataclasses.asdict(vary), "observe": dataclasses.asdict(observation),
                   "route": "joint"}
    with claimed(out, fingerprint, overwrite=overwrite) as folder:
        if folder is not None:
            folder.begin()
        if announce is not None:
            announce()
        return _infer(joint, unknown, observation, seeds, progress, fingerprint, folder)


def _infer(joint: JointProblem, unknown, observation, seeds, progress, fingerprint, folder) -> RunResult:
    t0 = time.perf_counter()
    results = {}
    for seed in seeds:
        with warnings.catch_warnings():  # judged below, per seed and together
            warnings.simplefilter("ignore", TrustWarning)
            results[seed] = invert_jointly(joint.problem, unknown, joint.observed, observation.sigma, seed=seed,
                                           network=joint.network, trainer=joint.trainer, progress=progress)
    combined = _combine(unknown.name, list(results.values()))
    trusted = all(r.trusted for r in results.values())
    metrics = {**fingerprint, "versions": versions(),
               "inference": {**combined.to_dict(), "trusted": trusted, "route": "b: trained with the coefficients"},
               "seeds": {str(s): r.to_dict() for s, r in results.items()},
               "trust": {str(s): r.fit.trust.to_dict() for s, r in results.items()},
               "seconds_total": round(time.perf_counter() - t0, 3)}
    if folder is not None:
        folder.seal(metrics)
    return RunResult(metrics, {s: r.fit for s, r in results.items()}, folder.path if folder is not None else None,
                     "inference")


def _combine(name: str, results: list) -> Inference:
    """The seeds' mean, with the mean interval widened in quadrature by their spread."""
    values = np.array([r.value for r in results])
    value = float(values.mean())
    lo, hi = (float(np.mean([getattr(r, a) for r in results])) for a in ("lower", "upper"))
    model = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    methods = sorted({r.method for r in results})
    return Inference(name, value, value - float(np.hypot(value - lo, model)), value + float(np.hypot(hi - value, model)),
                     0.5 * (hi - lo), model, f"{len(results)} seed(s): " + " | ".join(methods),
                     all(r.trusted for r in results))
