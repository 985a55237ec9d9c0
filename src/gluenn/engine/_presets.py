"""Named trainers for the CLI's ``--trainer`` (one place that maps a name to phases)."""

from __future__ import annotations

from .._errors import ConfigError
from ._phases import LBFGS, Adam, Auto, GaussNewton, Lexicographic, Phase

TRAINERS = ("auto", "adam", "adam+lbfgs", "lstsq", "lexicographic", "gauss-newton")
"""The trainer names :func:`trainer_phases` (and ``gluenn run --trainer``) accept."""


def trainer_phases(name: str, *, steps: int, lr: float = 1e-3, lbfgs_steps: int = 0,
                   gn_steps: int = 20) -> "list[Phase] | Auto":
    """Phases for a trainer name (``auto``: an :class:`Auto`, resolved before training).

    - ``adam``: Adam for `steps`.
    - ``adam+lbfgs``: Adam for `steps`, then L-BFGS for `lbfgs_steps`.
    - ``lstsq``: one exact linear least-squares solve of the output layers — the global
      minimum over them when the loss rows are linear in them (a linear ODE with a linear
      ansatz); on a nonlinear problem it is a single Gauss–Newton step (:func:`fit` warns).
    - ``lexicographic``: one exact least-squares solve with the fit rows before the gauge rows
      (:class:`~gluenn.engine.Lexicographic`; linear rows only).
    - ``gauss-newton``: Levenberg–Marquardt on the output layers for `gn_steps` (nonlinear
      residuals), after Adam for `steps` if `steps` > 0 to shape the hidden layers.
    - ``auto``: ``lstsq`` if the loss rows are linear in the output layers (detected before
      training), else ``gauss-newton``.
    """
    if name == "auto":
        kw = dict(steps=steps, lr=lr, lbfgs_steps=lbfgs_steps, gn_steps=gn_steps)
        if steps <= 0 and gn_steps <= 0:  # refused here, before a run starts, not once the problem is known
            raise ConfigError("steps=0, gn_steps=0 (trainer auto) is invalid: a nonlinear problem would take no "
                              "step and return the untrained model; give gn_steps > 0")
        return Auto(tuple(trainer_phases("lstsq", **kw)), tuple(trainer_phases("gauss-newton", **kw)))
    phases = _named_phases(name, steps=steps, lr=lr, lbfgs_steps=lbfgs_steps, gn_steps=gn_steps)
    if sum(p.steps for p in phases) == 0:
        counts = {"adam": "steps", "adam+lbfgs": "steps, lbfgs_steps", "gauss-newton": "steps, gn_steps"}[name]
        raise ConfigError(f"{counts.replace(', ', '=0, ')}=0 (trainer {name}) is invalid: the trainer would take "
                          f"no step and return the untrained model; give {counts.split(', ')[-1]} > 0")
    return phases


def _named_phases(name: str, *, steps: int, lr: float, lbfgs_steps: int, gn_steps: int) -> "list[Phase]":
    if name == "adam":
        return [Adam(steps, lr=lr)]
    if name == "adam+lbfgs":
        return [Adam(steps, lr=lr), LBFGS(lbfgs_steps)]
    if name == "lstsq":
        return [GaussNewton(1)]
    if name == "lexicographic":
        return [Lexicographic()]
    if name == "gauss-newton":
        return ([Adam(steps, lr=lr)] if steps > 0 else []) + [GaussNewton(gn_steps, damping=1e-3)]
    raise ConfigError(f"--trainer {name!r} is invalid: choose one of {', '.join(TRAINERS)}")
