"""Experiments as declarations: a name, typed parameters with defaults and docs, presets, and a
``build`` function that turns parameter values into a set-up — a GlueNN :class:`Setup` (the
problem(s), the SciPy reference, the matching baseline and the read-outs) or a
:class:`CustomSetup` that trains and scores itself (a neural ODE). :func:`run_experiment` does the
rest. The built-in experiments use exactly this API; so can yours (``gluenn run module:NAME``).
"""

from __future__ import annotations

import abc
import dataclasses
import pathlib
from collections.abc import Callable, Mapping, Sequence

from .._errors import ConfigError
from .._params import Param, Params, parse_overrides
from ..engine import Auto, Phase, Weights
from ..glue import Network, Problem, Solution, SolutionLike
from ..baselines import MatchingBand
from ._constants import Constant
from ._resume import ResumeStore


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
    - `constants`: :class:`Constant` s — regions where the physics makes coefficients constant;
      scored against the exact constants in ``metrics.json`` ``constants`` and drawn on the
      coefficient figure.
    """

    components: Mapping[str, Component]
    network: Network
    trainer: "Sequence[Phase] | Auto"
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
    constants: Sequence["Constant"] = ()


class CustomSetup(abc.ABC):
    """A set-up that trains, scores and draws itself (e.g. a neural ODE, :class:`gluenn.pipeline.NODESetup`).

    :func:`run_experiment` calls :meth:`run` instead of the GlueNN pipeline, then adds the common
    fields (experiment, params, seed, versions, total time) and writes ``metrics.json`` last.
    """

    @abc.abstractmethod
    def run(self, *, seed: int, out_dir: pathlib.Path | None, progress: bool | None,
            store: ResumeStore, weights: Weights | None = None) -> tuple[dict, dict]:
        """Train and score; write every output except ``metrics.json`` into `out_dir` (if given).
        Train each named part through `store` (skip what it has finished, continue what it
        interrupted; on an interruption call :meth:`ResumeStore.interrupted_run`); `weights`: an
        automatic weighting strategy or ``None``. Returns ``(metrics, models)``."""


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A named, parameterised set-up.

    - `build`: ``build(params) -> Setup | CustomSetup``, called with checked values.
    - `parameters`: every value a user may change with ``--set NAME=VALUE`` (:class:`~gluenn.Param`:
      default, doc, allowed range).
    - `presets`: named sets of typed values (e.g. ``"paper"``: the paper's exact configuration),
      checked against `parameters` when the experiment is declared.
    - `ablation`: the presets that are rows of ``gluenn ablate`` besides the default (``None``: all).
    - `joint`: ``joint(params, unknown, readout, value) -> JointProblem``, the problem in which the
      :class:`~gluenn.Parameter` `unknown` is trained with the coefficients and the observation
      ``readout = value`` is data (``gluenn infer --route joint``); ``None``: route (a) only.
    """

    name: str
    summary: str
    parameters: Mapping[str, Param]
    build: Callable[[Params], "Setup | CustomSetup"]
    presets: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)
    ablation: tuple[str, ...] | None = None
    joint: Callable | None = None

    def __post_init__(self):
        for preset, values in self.presets.items():
            for k, v in values.items():
                if k not in self.parameters:
                    raise ConfigError(f"preset {preset!r} of {self.name} sets {k}, which is not a parameter")
                self.parameters[k].check(f"{self.name} preset {preset!r}: {k}", v)
        unknown = [r for r in self.ablation or () if r not in self.presets]
        if unknown:
            raise ConfigError(f"ablation row {unknown[0]!r} of {self.name} is not a preset")

    def ablation_rows(self) -> tuple[str, ...]:
        """The presets ``gluenn ablate`` runs after the default configuration."""
        return tuple(self.presets) if self.ablation is None else self.ablation

    def params(self, overrides: Mapping | Sequence[str] = (), preset: str | None = None) -> Params:
        """Defaults, then the `preset`'s values, then ``overrides`` (a dict of values or
        ``["NAME=VALUE", ...]``), each checked against its :class:`~gluenn.Param`."""
        base = {}
        if preset is not None:
            if preset not in self.presets:
                raise ConfigError(f"--preset {preset!r} is invalid: {self.name} has presets "
                                  f"{sorted(self.presets) or 'none'}")
            base = dict(self.presets[preset])
        if isinstance(overrides, Mapping):
            unknown = [k for k in overrides if k not in self.parameters]
            if unknown:
                raise ConfigError(f"--set {unknown[0]}=... is invalid: no such parameter of "
                                  f"{self.name}; known: {', '.join(sorted(self.parameters))}")
            values = dict(overrides)
        else:
            values = parse_overrides(overrides, self.parameters)
        values = {**base, **values}
        return Params({k: p.check(k, values.get(k, p.default)) for k, p in self.parameters.items()})


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What :func:`run_experiment` produced: the metrics dict, the trained models and the output folder."""

    metrics: dict
    fits: dict
    out: pathlib.Path | None
    #: ``"glue"`` (read-outs with pred/true/rel_err, solution errors) or ``"custom"`` (a :class:`CustomSetup`'s own scores)
    kind: str = "glue"
