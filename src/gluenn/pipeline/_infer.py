"""A physical parameter from an observed read-out: ``gluenn infer EXPERIMENT --vary NAME=LO:HI[:log]
--observe READOUT=VALUE±SIGMA`` (route a of issue 19).

For each seed, one model over the range is trained (as ``gluenn run --vary``); the read-out curve
is the experiment's own read-out of that model at ``curve`` values of the parameter (Chebyshev–
Lobatto in the range's coordinate, each with the set-up built there), a cubic spline in between;
:func:`~gluenn.invert` finds where it crosses the observation and ``observation ∓ σ``, and adds the
seeds' spread in quadrature. No reference solution is used. The folder holds ``metrics.json``
(``inference``, the ``trust`` of every seed's model) and ``readouts.csv`` (the curves).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import time

import numpy as np
import scipy.interpolate

from .._errors import ConfigError, require, shown
from .._io import write_csv
from ..glue import invert, load_family
from ._experiment import Experiment, RunResult
from ._family import FamilyRun, SetupCache, checked_params, families, train_family
from ._folder import MANIFEST, claimed
from ._report import versions
from ._sweep_plan import Vary


@dataclasses.dataclass(frozen=True)
class Observation:
    """An observed read-out ``value ± sigma`` (``sigma`` absolute)."""

    readout: str
    value: float
    sigma: float

    @classmethod
    def parse(cls, text: str) -> "Observation":
        """``"Y_end=4.1e-4±4.1e-6"``, ``"Y_end=4.1e-4+-4.1e-6"`` or ``"Y_end=4.1e-4±1%"``."""
        m = re.fullmatch(r"\s*(\w+)\s*=\s*([^±+]+?)\s*(?:±|\+-|\+/-)\s*([^%]+?)\s*(%?)\s*", str(text))
        if m is None:
            raise ConfigError(f"--observe {shown(text)} is invalid: write READOUT=VALUE±SIGMA (or +- for ±, or "
                              "SIGMA as a percentage), e.g. --observe Y_end=4.1e-4±1%")
        try:
            value, sigma = float(m.group(2)), float(m.group(3))
        except ValueError:
            raise ConfigError(f"--observe {shown(text)} is invalid: VALUE and SIGMA must be numbers") from None
        sigma = abs(value) * sigma / 100 if m.group(4) else sigma
        require(np.isfinite(value) and np.isfinite(sigma) and sigma > 0, "--observe", text,
                "give a finite value and an error bar > 0")
        return cls(m.group(1), value, sigma)


def load_runs(experiment: Experiment, folders) -> tuple[FamilyRun, dict, dict]:
    """``(plan, overrides, {seed: {component: FamilyFit}})`` from complete ``gluenn run --vary`` folders
    of `experiment` (their ``metrics.json`` and ``checkpoint.eqx``), which must share the range and
    the other parameters: models trained once, read instead of trained again."""
    plans, models = [], {}
    for folder in map(pathlib.Path, folders):
        require((folder / MANIFEST).is_file() and (folder / "checkpoint.eqx").is_file(), "--from", str(folder),
                "give the folder of a complete `gluenn run EXPERIMENT --vary ...` (it has manifest.json and checkpoint.eqx)")
        m = json.loads((folder / "metrics.json").read_text())
        require(m.get("experiment") == experiment.name and "vary" in m, "--from", str(folder),
                f"it holds a {m.get('experiment')!r} run{'' if 'vary' in m else ' without --vary'}, not {experiment.name} --vary")
        v = m["vary"]
        plan = FamilyRun(Vary(v["name"], v["lo"], v["hi"], v["log"]), v["train"], v["held_out"], v.get("max_train", 29))
        plans.append((plan.vary, m["params"]))
        require(plans[0] == plans[-1], "--from", str(folder), "every run must share the range and the other parameters")
        require(m["seed"] not in models, "--from", str(folder), f"two runs of seed {m['seed']}")
        builds = SetupCache(experiment, experiment.params(m["params"]), plan.vary)
        checked = families(builds, builds(float(plan.parameter.value(0.5))), plan)
        models[m["seed"]] = load_family(folder / "checkpoint.eqx", checked)
    return plan, plans[0][1], models


def infer(experiment: Experiment, plan: FamilyRun, observation: Observation, *, seeds=(0,), overrides=(),
          models: dict | None = None, curve: int = 33, out=None, progress: bool | None = None, overwrite: bool = False,
          announce=None) -> RunResult:
    """The varied parameter from `observation` (see the module notes); one model per seed, trained
    here or given (`models`: ``{seed: {component: FamilyFit}}``, e.g. from :func:`load_runs`).

    **Returns:** a :class:`RunResult` (``kind="inference"``; ``metrics["inference"]``: the
    :class:`~gluenn.Inference` as a dict, plus ``trusted``). **Raises:** :class:`~gluenn.ConfigError`
    before training for an unknown read-out or a bad range; after training, when the curve reaches
    the observation never or more than once.
    """
    params = checked_params(experiment, plan, overrides)
    seeds = tuple(seeds if models is None else sorted(models))
    require(1 <= len(seeds) <= 16, "--seeds", seeds, "infer with 1 to 16 seeds")
    builds = SetupCache(experiment, params, plan.vary)
    setup = builds(float(plan.parameter.value(0.5)))
    known = sorted(setup.readout({k: c.reference for k, c in setup.components.items()}))
    require(observation.readout in known, "--observe", observation.readout, f"{experiment.name}'s read-outs are {known}")
    fingerprint = {"experiment": experiment.name, "params": {k: v for k, v in params.items() if k != plan.vary.name},
                   "seeds": list(seeds), "vary": plan.to_dict(), "observe": dataclasses.asdict(observation),
                   "models": "trained here" if models is None else "read from --from"}
    with claimed(out, fingerprint, overwrite=overwrite) as folder:
        checked = families(builds, setup, plan) if models is None else None
        if folder is not None:
            folder.begin()
        if announce is not None:
            announce()
        models = models or {seed: None for seed in seeds}
        return _infer(builds, setup, checked, plan, observation, models, curve, progress, fingerprint, folder)


def _readout_function(setup):
    """The prediction, as in a run: the coefficient read-out where the experiment has one."""
    return setup.coefficient_readout if setup.coefficient_readout is not None else setup.readout


def _infer(builds, setup, checked, plan, observation, models, curve, progress, fingerprint, folder) -> RunResult:
    t0 = time.perf_counter()
    name, param = plan.vary.name, plan.parameter
    u = 0.5 - 0.5 * np.cos(np.pi * np.arange(curve) / (curve - 1))
    thetas = param.value(u)
    fits, curves, trusts, seeds = [], [], [], list(models)
    for seed in seeds:
        fit = models[seed] or train_family(checked, setup, seed, progress)
        values = [_readout_function(builds(th))({k: f.at(**{name: th}).solution for k, f in fit.items()})
                  for th in thetas]
        curves.append(np.array([float(v[observation.readout]) for v in values]))
        trusts.append({k: f.trust.to_dict() for k, f in fit.items()})
        fits.append(next(iter(fit.values())))
    splines = {id(f): scipy.interpolate.CubicSpline(u, c) for f, c in zip(fits, curves)}
    result = invert(fits, lambda f, th: splines[id(f)](param.fraction(th)), observation.value, observation.sigma)
    trusted = all(t["trusted"] for seed_trust in trusts for t in seed_trust.values())
    metrics = {**fingerprint, "versions": versions(),
               "inference": {**result.to_dict(), "trusted": trusted, "route": "a: root of the read-out curve"},
               "trust": {str(s): t for s, t in zip(seeds, trusts)}, "seconds_total": round(time.perf_counter() - t0, 3)}
    if folder is not None:
        write_csv(folder.path / "readouts.csv", {name: thetas, **{f"{observation.readout}_seed{s}": c
                                                                  for s, c in zip(seeds, curves)}})
        folder.seal(metrics)
    return RunResult(metrics, {s: f for s, f in zip(seeds, fits)}, folder.path if folder is not None else None,
                     "inference")
