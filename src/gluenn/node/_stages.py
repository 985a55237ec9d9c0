"""Training a trajectory model in stages: each :class:`Stage` a loss minimised by optimiser phases
(through :func:`gluenn.engine.optimise`), optionally in rounds whose loss is rebuilt from the model."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import equinox as eqx
import jax

from .._errors import require
from ..engine import History, Objective, Phase, Resume, StopReason, Weights, optimise
from ._loss import ResidualLoss


@dataclasses.dataclass(frozen=True, eq=False)
class Stage:
    """One training stage: a loss ``loss(model) -> (total, terms)`` minimised by `phases`.

    With `refresh`, the stage runs `rounds` times and each round minimises a loss rebuilt from
    the current model, ``refresh(model) -> loss`` (e.g. the physics on the model's own forecast,
    ``lambda m: physics.alone(data, loss.forecast(m))``); `loss` is then ``None``. With
    `max_rounds` > `rounds` it goes on, up to `max_rounds`, while the rounds have not settled:
    while the last refresh raised the loss more than `settle`-fold over the previous round's
    final loss (the states the loss is built on were still moving).
    """

    name: str
    loss: Callable | None
    phases: Sequence[Phase]
    rounds: int = 1
    refresh: Callable | None = None
    max_rounds: int | None = None
    settle: float = 5.0

    def __post_init__(self):
        require(isinstance(self.rounds, int) and self.rounds >= 1, f"Stage {self.name!r} rounds", self.rounds,
                "use a positive integer")
        require((self.loss is None) != (self.refresh is None), f"Stage {self.name!r}", "loss/refresh",
                "give either a loss or a refresh(model) -> loss, not both")
        require(self.refresh is not None or max(self.rounds, self.max_rounds or 1) == 1, f"Stage {self.name!r} rounds",
                self.rounds, "rounds > 1 need a refresh(model) -> loss (a fixed loss would only restart the optimiser)")
        require(self.max_rounds is None or (isinstance(self.max_rounds, int) and self.max_rounds >= self.rounds),
                f"Stage {self.name!r} max_rounds", self.max_rounds, f"use an integer >= rounds ({self.rounds}) or None")
        require(self.settle > 1, f"Stage {self.name!r} settle", self.settle, "use a factor > 1")

    def parts(self) -> list[str]:
        """The name of each possible round (logs, metrics, resume store); a single round keeps the stage's name."""
        n = max(self.rounds, self.max_rounds or 1)
        return [self.name] if n == 1 else [f"{self.name}-{k + 1}" for k in range(n)]

    def another(self, done: int, jump: float | None) -> bool:
        """Whether to run round ``done + 1`` after `done` rounds, the last one's loss having
        jumped `jump`-fold at its refresh (``None``: unknown)."""
        if done < self.rounds:
            return True
        return done < len(self.parts()) and jump is not None and jump > self.settle

    def to_dict(self) -> dict:
        return {"name": self.name, "rounds": self.rounds, "max_rounds": self.max_rounds,
                "phases": [p.to_dict() for p in self.phases]}


@runtime_checkable
class LinearHead(Protocol):
    """A model that is linear in some of its leaves (its output layer): a
    :class:`~gluenn.GaussNewton` phase solves for exactly those."""

    def output_layer(self) -> tuple:
        """The leaves the model is linear in."""


def objective(loss, params, static) -> Objective:
    """The :class:`~gluenn.engine.Objective` of `loss` over the trainable `params` (the model is
    ``eqx.combine(params, static)``). A :class:`ResidualLoss` also gives least-squares rows
    (Gauss–Newton phases), residual vectors and priorities (NTK weights); on a
    :class:`LinearHead` model its output layer is marked for :class:`~gluenn.GaussNewton`."""
    def f(p):
        return loss(eqx.combine(p, static))
    if not isinstance(loss, ResidualLoss):
        return Objective(f, terms=lambda p: f(p)[1])

    def on_model(method):
        return lambda p: method(eqx.combine(p, static))
    model, linear = eqx.combine(params, static), None
    if isinstance(model, LinearHead):
        flags = jax.tree_util.tree_map(lambda _: False, params)
        linear = eqx.tree_at(lambda m: m.output_layer(), flags, replace=(True,) * len(model.output_layer()))
    return Objective(f, terms=lambda p: f(p)[1], rows=on_model(loss.rows), linear=linear,
                     residuals=on_model(loss.residuals), priorities=loss.priorities)


class PartStore(Protocol):
    """Where the parts (stage rounds) of a run keep their progress, for resuming
    (:class:`gluenn.pipeline.ResumeStore` is one)."""

    def done(self, name: str, like) -> "tuple[object, History] | None": ...
    def start(self, name: str, like) -> "tuple[object, tuple[History, Resume]] | None": ...
    def finish(self, name: str, params, history: History) -> None: ...


@dataclasses.dataclass
class StagedFit:
    """What :func:`fit_stages` returns.

    - `params`, `static`: the model as ``eqx.combine(params, static)`` (:attr:`model`).
    - `parts`: ``[(part name, History)]`` in the order they ran; `rows`: every part's log rows
      with ``stage`` and a global ``step``.
    - `stopped`: the part that did not complete (interrupted, or failed), or ``None``.
    """

    params: object
    static: object
    parts: list = dataclasses.field(default_factory=list)
    rows: list = dataclasses.field(default_factory=list)
    stopped: str | None = None

    @property
    def model(self):
        return eqx.combine(self.params, self.static)

    @property
    def steps(self) -> int:
        return sum(h.steps for _, h in self.parts)

    @property
    def stop(self) -> str:
        return "; ".join(f"{name}: {h.stop}" for name, h in self.parts)

    @property
    def last(self) -> History:
        return self.parts[-1][1]

    def add(self, name: str, hist: History) -> None:
        steps = self.steps
        self.rows += [{"stage": name, **r, "step": r["step"] + steps} for r in hist.rows]
        self.parts.append((name, hist))


def fit_stages(model, stages: Sequence[Stage], *, log_every: int = 50, progress: bool | None = None,
               weights: Weights | None = None, store: PartStore | None = None) -> StagedFit:
    """Train `model` (an Equinox module) through `stages` in order; stop at the first part that
    does not complete (``StagedFit.stopped``; interrupted: its ``History.resume`` is set).

    `store`: skip the parts it has finished, continue the one it holds interrupted (the same
    chunks, so resuming is bit-identical), and record each finished part."""
    params, static = eqx.partition(model, eqx.is_inexact_array)
    fit, like = StagedFit(params, static), params
    for stage in stages:
        jump = end = None  # the last refresh's loss jump; the last round's final loss
        for k, part in enumerate(stage.parts()):
            if not stage.another(k, jump):
                break
            hist = _run_part(fit, stage, part, like, log_every, progress, weights, store)
            fit.add(part, hist)
            start_loss = next((r["loss"] for r in hist.rows if r["phase"] == "init"), None)
            jump = start_loss / end if start_loss is not None and end else None
            end = hist.rows[-1]["loss"] if hist.rows else None
            if not hist.stop_reason.ok:
                fit.stopped = part
                return fit
    return fit


def _run_part(fit: StagedFit, stage: Stage, part: str, like, log_every, progress, weights, store) -> History:
    done = store.done(part, like) if store is not None else None
    if done is not None:
        fit.params = done[0]
        return done[1]
    start = store.start(part, like) if store is not None else None
    if start:  # a resumed round refreshes its loss from where it was interrupted
        fit.params = start[0]
    loss = stage.loss if stage.refresh is None else stage.refresh(fit.model)
    fit.params, hist = optimise(objective(loss, fit.params, fit.static), fit.params, stage.phases,
                                log_every=log_every, progress=progress, resume=start[1] if start else None,
                                weights=weights)
    if store is not None and hist.stop_reason is not StopReason.INTERRUPTED:
        store.finish(part, fit.params, hist)
    return hist
