"""What a training run reports: its log rows, why it stopped, and where to resume it."""

from __future__ import annotations

import dataclasses
import enum

from ._phases import Phase


class StopReason(enum.StrEnum):
    """Why :func:`~gluenn.engine.optimise` stopped (a ``str``, so it is written to JSON as its value)."""

    COMPLETED = "completed"
    TOLERANCE = "tolerance reached"
    NON_FINITE = "non-finite loss"
    INTERRUPTED = "interrupted"

    @property
    def ok(self) -> bool:
        """Training ran to its end (or to its tolerance): the result is what was asked for."""
        return self in (StopReason.COMPLETED, StopReason.TOLERANCE)


@dataclasses.dataclass
class Resume:
    """Where an interrupted :func:`optimise` stopped, to continue it bit-identically.

    - `phase_index`: index into the phases given to :func:`optimise`.
    - `phase`: that phase as it was running (after retries its step is smaller).
    - `done`: steps of `phase` already taken.
    - `state`: its optimiser state (a pytree), or the bytes of one written by
      ``eqx.tree_serialise_leaves`` (read back against ``phase.init(params)``).
    - `weights`: the loss-term weights of an automatic :class:`~gluenn.engine.Weights` strategy.

    `phase` may also be the dict of its fields (as saved in JSON); :func:`optimise` rebuilds it
    on the class of the phase at `phase_index`.
    """

    phase_index: int
    phase: Phase | dict
    done: int
    state: object
    weights: dict | None = None


@dataclasses.dataclass
class History:
    """What happened during training.

    - `rows`: one dict per log point: ``phase``, ``step`` (global), ``loss`` (the weighted total),
      each *unweighted* loss term (see :class:`~gluenn.engine.Objective`), ``time`` (seconds of
      training so far); with automatic weights also ``w:NAME``.
    - `stop_reason`: a :class:`StopReason`; `stop_detail`: where and how (e.g. the step and
      phase of a non-finite loss), ``""`` when there is nothing to add.
    - `retries`: one dict per non-finite chunk that was rolled back and retried with a
      smaller step (phase, step, the phase's new settings).
    - `compile_seconds` / `train_seconds`: compilation separated from stepping.
    - `resume`: where an interrupted run stopped (``None`` otherwise).
    """

    rows: list = dataclasses.field(default_factory=list)
    term_names: list = dataclasses.field(default_factory=list)
    stop_reason: StopReason = StopReason.COMPLETED
    stop_detail: str = ""
    structure: str | None = None
    phases: list = dataclasses.field(default_factory=list)
    retries: list = dataclasses.field(default_factory=list)
    steps: int = 0
    compile_seconds: float = 0.0
    train_seconds: float = 0.0
    resume: Resume | None = None

    def to_dict(self) -> dict:
        """JSON-ready (without `resume`)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "resume"}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        known = {f.name for f in dataclasses.fields(cls)}
        h = cls(**{k: v for k, v in d.items() if k in known})
        h.stop_reason = StopReason(h.stop_reason)
        return h

    @property
    def stop(self) -> str:
        """The stop reason with its detail, for people (``"non-finite loss at step 300 of adam"``)."""
        return f"{self.stop_reason.value} {self.stop_detail}".strip()

    @property
    def final(self) -> dict:
        return self.rows[-1] if self.rows else {}

    @property
    def final_terms(self) -> dict:
        """The unweighted loss terms of the last log row (without step, time or diagnostics)."""
        return {k: self.final[k] for k in self.term_names if k in self.final}

    @property
    def final_weights(self) -> dict:
        """The loss-term weights of the last log row (``{}`` with fixed weights, which are not logged)."""
        return {k[2:]: v for k, v in self.final.items() if k.startswith("w:")}
