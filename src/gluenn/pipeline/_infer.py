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
import re
import time

import numpy as np
import scipy.interpolate

from .._errors import ConfigError, require, shown
from .._io import write_csv
from ..glue import invert
from ._experiment import Experiment, RunResult
from ._family import FamilyRun, SetupCache, checked_params, families, train_family
from ._folder import RunFolder
from ._report import versions


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


def infer(experiment: Experiment, plan: FamilyRun, observation: Observation, *, seeds=(0,), overrides=(),
          curve: int = 33, out=None, progress: bool | None = None, overwrite: bool = False, announce=None) -> RunResult:
    """The varied parameter from `observation` (see the module notes); one model per seed.

    **Returns:** a :class:`RunResult` (``kind="inference"``; ``metrics["inference"]``: the
    :class:`~gluenn.Inference` as a dict, plus ``trusted``). **Raises:** :class:`~gluenn.ConfigError`
    before training for an unknown read-out or a bad range; after training, when the curve reaches
    the observation never or more than once.
    """
    params = checked_params(experiment, plan, overrides)
    seeds = tuple(seeds)
    require(1 <= len(seeds) <= 16, "--seeds", seeds, "infer with 1 to 16 seeds")
    builds = SetupCache(experiment, params, plan.vary.name)
    setup = builds(float(plan.parameter.value(0.5)))
    known = sorted(setup.readout({k: c.reference for k, c in setup.components.items()}))
    require(observation.readout in known, "--observe", observation.readout, f"{experiment.name}'s read-outs are {known}")
    fingerprint = {"experiment": experiment.name, "params": {k: v for k, v in params.items() if k != plan.vary.name},
                   "seeds": list(seeds), "vary": plan.to_dict(), "observe": dataclasses.asdict(observation)}
    folder = RunFolder.claim(out, fingerprint, overwrite=overwrite) if out is not None else None
    failed = True
    try:
        checked = families(builds, setup, plan)
        if folder is not None:
            folder.begin()
        if announce is not None:
            announce()
        result = _infer(builds, setup, checked, plan, observation, seeds, curve, progress, fingerprint, folder)
        failed = False
        return result
    finally:
        if folder is not None:
            folder.release(failed=failed)


def _readout_function(setup):
    """The prediction, as in a run: the coefficient read-out where the experiment has one."""
    return setup.coefficient_readout if setup.coefficient_readout is not None else setup.readout


def _infer(builds, setup, checked, plan, observation, seeds, curve, progress, fingerprint, folder) -> RunResult:
    t0 = time.perf_counter()
    name, param = plan.vary.name, plan.parameter
    u = 0.5 - 0.5 * np.cos(np.pi * np.arange(curve) / (curve - 1))
    thetas = param.value(u)
    fits, curves, trusts = [], [], []
    for seed in seeds:
        fit = train_family(checked, setup, seed, progress)
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
