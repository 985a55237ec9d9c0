"""What a sweep runs: the points (parameter values × seeds) of a Latin hypercube and/or a grid.

A :class:`Point` is one ordinary run of an experiment (its ``--set`` overrides, seed, preset and
weights); its folder is named by a hash of its *resolved* configuration, so the same run always
lands in the same folder and two different runs never share one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np

from .._errors import ConfigError, GluennError, require, shown
from .._io import jsonable
from ._experiment import Experiment

#: the most points one sweep may hold (each is a whole training run)
MAX_POINTS = 10_000


@dataclasses.dataclass(frozen=True)
class Vary:
    """A parameter sampled on ``[lo, hi]`` by the Latin hypercube (uniformly, or in log if `log`)."""

    name: str
    lo: float
    hi: float
    log: bool = False

    def __post_init__(self):
        field = f"--vary {self.name}"
        require(math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi, field,
                f"{self.lo:g}:{self.hi:g}", "give LO:HI with finite LO < HI")
        require(not self.log or self.lo > 0, field, f"{self.lo:g}:{self.hi:g}:log", "a log range needs LO > 0")

    @classmethod
    def parse(cls, text: str) -> "Vary":
        """``"eta=1e3:1e6:log"`` or ``"sigma=0.2:1"``."""
        name, _, spec = str(text).partition("=")
        parts = spec.split(":")
        log = len(parts) == 3 and parts[2].strip().lower() == "log"
        if not name.strip() or len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise ConfigError(f"--vary {shown(text)} is invalid: write NAME=LO:HI or NAME=LO:HI:log, "
                              "e.g. --vary eta=1e3:1e6:log")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except ValueError:
            raise ConfigError(f"--vary {shown(text)} is invalid: LO and HI must be numbers, "
                              "e.g. --vary eta=1e3:1e6:log") from None
        return cls(name.strip(), lo, hi, log)

    def at(self, u: np.ndarray) -> np.ndarray:
        """The values at unit-cube coordinates `u` (shape ``(n,)``)."""
        if self.log:
            return np.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)


def parse_grid(text: str) -> tuple[str, tuple[str, ...]]:
    """``"eta=1e3,1e4,1e5"`` → ``("eta", ("1e3", "1e4", "1e5"))`` (values parsed later, by the parameter)."""
    name, _, values = str(text).partition("=")
    items = tuple(v.strip() for v in values.split(",") if v.strip())
    if not name.strip() or not items:
        raise ConfigError(f"--grid {shown(text)} is invalid: write NAME=V1,V2,..., e.g. --grid eta=1e3,1e4,1e5")
    return name.strip(), items


def parse_seeds(text) -> tuple[int, ...]:
    """``"0-9"``, ``"0,2,5"``, ``"0-3,7"`` or a sequence of ints → the seeds, in order, without repeats."""
    if not isinstance(text, str):
        items = list(text)
        require(all(isinstance(s, int) and not isinstance(s, bool) for s in items) and items, "seeds", text,
                "give a list of whole numbers, e.g. [0, 1, 2]")
        return tuple(dict.fromkeys(items))
    seeds: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if m is None or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ConfigError(f"--seeds {shown(text)} is invalid: write a list and/or ranges of whole numbers, "
                              "e.g. 0-9 or 0,2,5 or 0-3,7")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        require(hi - lo < MAX_POINTS, "--seeds", text, f"at most {MAX_POINTS} seeds")
        seeds.extend(range(lo, hi + 1))
    return tuple(dict.fromkeys(seeds))


@dataclasses.dataclass(frozen=True)
class Point:
    """One run of a sweep. `values`: the swept parameters' values (for the table); `overrides`:
    every ``NAME=VALUE`` of the run; `name`: its folder under the sweep's; `error`: why it cannot
    run (set when planning found its configuration invalid)."""

    values: Mapping
    overrides: tuple[str, ...]
    seed: int
    preset: str | None = None
    weights: str = "fixed"
    name: str = ""
    error: str | None = None

    def fingerprint(self, experiment: Experiment) -> dict:
        """The run's configuration as ``metrics.json`` and ``manifest.json`` record it."""
        params = experiment.params(list(self.overrides), self.preset)
        return {"experiment": experiment.name, "params": dict(params), "seed": self.seed, "preset": self.preset,
                "weights": self.weights}


def config_hash(fingerprint: Mapping, digits: int = 12) -> str:
    """Hex digits of the SHA-256 of a run's configuration (its folder name in a sweep)."""
    key = json.dumps(jsonable(dict(fingerprint)), sort_keys=True, default=str)
    return hashlib.sha256(key.encode()).hexdigest()[:digits]


def _format(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def _lhs(vary: Sequence[Vary], n: int, sample_seed: int, experiment: Experiment) -> list[dict]:
    """`n` Latin-hypercube points (whole-number parameters rounded)."""
    from scipy.stats import qmc
    for v in vary:
        default = experiment.parameters[v.name].default
        require(isinstance(default, (int, float)) and not isinstance(default, bool) or default == "auto",
                f"--vary {v.name}", f"{v.lo:g}:{v.hi:g}", f"{v.name} is not a number (default {default!r}); "
                "use --grid for it")
    u = qmc.LatinHypercube(d=len(vary), seed=sample_seed).random(n)
    rows = [{} for _ in range(n)]
    for j, v in enumerate(vary):
        whole = isinstance(experiment.parameters[v.name].default, int)
        for i, x in enumerate(v.at(u[:, j])):
            rows[i][v.name] = int(round(x)) if whole else float(x)
    return rows


def plan(experiment: Experiment, *, vary: Sequence[Vary] = (), grid: Mapping[str, Sequence] | None = None,
         points: int | None = None, seeds: Sequence[int] = (0,), sample_seed: int = 0,
         overrides: Sequence[str] = (), preset: str | None = None, weights: str = "fixed") -> list[Point]:
    """Every point of the sweep: (Latin-hypercube point) × (grid point) × seed, in that order.

    Each point's configuration is checked here; an invalid one (say η < 0 in a grid) keeps its
    message in :attr:`Point.error` and is reported as failed, without stopping the others.
    """
    grid = dict(grid or {})
    _check_names(experiment, [v.name for v in vary] + list(grid), overrides)
    if vary and points is None:
        raise ConfigError("--points is invalid: it is missing; --vary samples N Latin-hypercube points: "
                          "give --points N (e.g. --points 12)")
    require(not vary or (isinstance(points, int) and points >= 1), "--points", points,
            "give the number of Latin-hypercube points (a whole number >= 1)")
    require(points is None or vary, "--points", points, "--points samples the --vary ranges; add a --vary")
    total = (points if vary else 1) * math.prod(len(v) for v in grid.values()) * len(seeds)
    require(total <= MAX_POINTS, "sweep size (points × grid values × seeds)", total,
            f"a sweep holds at most {MAX_POINTS} runs; sample fewer")
    lhs = _lhs(vary, points, sample_seed, experiment) if vary else [{}]
    combos = [dict(zip(grid, c)) for c in itertools.product(*grid.values())] or [{}]
    out = []
    for values, combo, seed in itertools.product(lhs, combos, seeds):
        values = {**values, **combo}
        items = tuple(overrides) + tuple(f"{k}={_format(v)}" for k, v in values.items())
        out.append(_resolved(experiment, Point(values, items, seed, preset, weights)))
    return out


def _resolved(experiment: Experiment, point: Point) -> Point:
    """`point` with its folder name, or with the reason its configuration is invalid."""
    try:
        fp = point.fingerprint(experiment)
        values = {k: fp["params"][k] for k in point.values}  # typed as the parameter is
        return dataclasses.replace(point, values=values, name=point.name or config_hash(fp))
    except GluennError as exc:
        return dataclasses.replace(point, values={k: _number(v) for k, v in point.values.items()}, name=point.name or "invalid-" + config_hash(
            {"overrides": point.overrides, "seed": point.seed, "preset": point.preset}), error=str(exc))


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return text


def _check_names(experiment: Experiment, names: Sequence[str], overrides: Sequence[str]) -> None:
    """Every swept name is a parameter of the experiment, swept once, and not also ``--set``."""
    fixed = {str(o).partition("=")[0].strip(): str(o) for o in overrides}
    for name in names:
        if name not in experiment.parameters:
            raise ConfigError(f"--vary/--grid {name}=... is invalid: no such parameter of {experiment.name}; "
                              f"known: {', '.join(sorted(experiment.parameters))} (see `gluenn show {experiment.name}`)")
        if names.count(name) > 1:
            raise ConfigError(f"--vary/--grid {name}=... is invalid: {name} is swept twice; sweep each parameter once")
        if name in fixed:
            raise ConfigError(f"--set {shown(fixed[name])[1:-1]} is invalid: {name} is swept (--vary/--grid); "
                              "leave it out of --set")
