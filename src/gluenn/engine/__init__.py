"""The optimisation engine: objectives, optimiser phases, loss weights and the compiled loop.

It knows nothing about GlueNN or neural ODEs: an :class:`Objective` gives a weighted total,
its unweighted terms and (optionally) least-squares rows; :func:`optimise` runs :class:`Phase` s
over it in jitted chunks and returns the parameters and a :class:`History`.
"""

from ._balance import Fixed, GradNorm, NTKBalance, Weights, weights_name, weights_strategy
from ._history import History, Resume, StopReason
from ._loop import optimise
from ._phases import LBFGS, Adam, Auto, GaussNewton, GaussNewtonCG, Lexicographic, Objective, Phase, row_priorities
from ._presets import TRAINERS, trainer_phases
from ._rows import mean_square, weighted_rows

__all__ = ["Adam", "Auto", "Fixed", "GaussNewton", "GaussNewtonCG", "GradNorm", "History", "LBFGS", "Lexicographic", "NTKBalance",
           "Objective", "Phase", "Resume", "StopReason", "TRAINERS", "Weights", "mean_square", "optimise", "row_priorities",
           "trainer_phases", "weighted_rows", "weights_name", "weights_strategy"]
