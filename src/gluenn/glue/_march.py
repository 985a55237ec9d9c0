"""Marching: a nonlinear fit redone by continuation away from its data.

A nonlinear initial-value problem trained on its whole domain at once often settles on the wrong
solution: the logistic equation from ``y(0) = 0.01`` over [0, 25] or van der Pol from ``y(0) = 2``
over [0, 5] end far from both the equation and the data, or on ``y ≈ 0`` (measured, seed 0; see
``docs/guide/defaults.md``). Solved first near its data, where the data decide the solution, and
then over a domain that grows away from them, each stage starts from the last one's answer and
Levenberg–Marquardt converges. Each stage keeps every residual point but draws the points outside
the data's span towards it by a factor ``s`` in (0, 1] (the same shapes, so the points travel as
data of one compiled program that every stage shares: ``Loss.with_moving_points``); ``s``
grows by ×1.5 steps after a stage that holds its equation and data, and the step is halved after one
that does not. Gauge sets (plateaus, suppressions) join at the end: they only split ``y`` among the
terms, and a plateau drawn into another regime would be wrong there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ._points import points
from ._problem import Data, Problem
from ..engine import GaussNewton

#: Levenberg–Marquardt on the output layers, for every stage and the final fit: a stage that
#: converges does so in a few steps (the loss falls to ~1e-20), one that does not stops at the cap.
MARCH_TRAINER = (GaussNewton(50, damping=1e-3),)
#: A stage holds its equation and data when every residual and data set's mean square (relative
#: units, as in the trust checks) is below this: an rms of 1e-3, a tenth of the trust limits.
STAGE_TOLERANCE = 1e-6
#: At most this many stages (each one a fit of 50 steps, ~0.3 s on 2 cores for 400 points),
#: then the march stops where it is. About half the stages fail and are retried with half the step;
#: at 40, Duffing, van der Pol on [0, 15] and y' = −y³ on [0, 50] stopped at 34–78 % of their domains
#: and needed 49, 59 and 123 (docs/guide/defaults.md).
MAX_STAGES = 200


def data_span(problem: Problem) -> tuple[float, float]:
    """``[min, max]`` of the points of the problem's data sets (the problem must have one)."""
    x = np.concatenate([np.asarray(s.points.values(), np.float64) for s in problem.samples if isinstance(s, Data)])
    return float(x.min()), float(x.max())


def can_march(problem: Problem) -> bool:
    """Whether the problem has exact data and some of its domain lies outside their span (noisy data
    cannot be held to a stage's tolerance: their misfit is of the size of their noise)."""
    data = [s for s in problem.samples if isinstance(s, Data)]
    if not data or any(s.noisy for s in data):
        return False
    a, b = data_span(problem)
    return a > problem.domain[0] or b < problem.domain[1]


def drawn_in(problem: Problem, s: float) -> Problem:
    """The problem's data and residual sets, every point outside the data's span ``[a, b]`` drawn
    towards it by `s` (``x → a − (a − x)·s`` left of it, ``b + (x − b)·s`` right); gauge sets left out."""
    a, b = data_span(problem)

    def draw(p):
        x = np.asarray(p.values(), np.float64)
        return points(np.where(x < a, a - (a - x) * s, np.where(x > b, b + (x - b) * s, x)))
    samples = tuple(st if isinstance(st, Data) else dataclasses.replace(st, points=draw(st.points))
                    for st in problem.samples if isinstance(st, Data) or st.priority == 0)
    return dataclasses.replace(problem, samples=samples)


def holds(stage: Problem, history) -> bool:
    """Whether a stage's fit holds its equation and data: training ended normally and every data and
    residual set's final mean square is at most :data:`STAGE_TOLERANCE`."""
    return history.stop_reason.ok and all(history.final.get(s.name, np.inf) <= STAGE_TOLERANCE
                                          for s in stage.samples if s.priority == 0)


def march(problem: Problem, start, train: Callable) -> tuple[object, int, float]:
    """``(ansatz, stages, s)``: `start` carried from the data's span over the whole domain.

    `train(problem, ansatz) -> (ansatz, history)` fits one stage from the previous answer. ``s = 1``
    when the march reached the whole domain; else the ansatz is the last stage that held (``s < 1``)."""
    s, step, stages, ansatz = 0.0, 1 / 8, 0, start
    while s < 1 and stages < MAX_STAGES and step > 1e-3:
        trial = min(1.0, s + step)
        stage = drawn_in(problem, trial)
        trained, history = train(stage, ansatz)
        stages += 1
        if holds(stage, history):
            s, ansatz, step = trial, trained, 1.5 * step
        else:
            step /= 2
    return ansatz, stages, s
