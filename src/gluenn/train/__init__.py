"""Training: optimiser phases, the chunked jitted loop, ``fit`` and checkpoints."""

from ._balance import Fixed, GradNorm, NTKBalance, Weights, weights_strategy
from ._checkpoint import load, save
from ._fit import Fit, fit, fit_ensemble, init_ansatz, least_squares_structure
from ._loop import History, Resume, optimise
from ._presets import TRAINERS, trainer_phases
from ._phases import LBFGS, Adam, Auto, GaussNewton, GaussNewtonCG, Objective, Phase

__all__ = ["Fixed", "GradNorm", "NTKBalance", "Weights", "weights_strategy", "TRAINERS", "trainer_phases", "Adam", "Auto", "least_squares_structure", "GaussNewton", "GaussNewtonCG", "LBFGS", "Objective", "Phase", "History", "Resume", "optimise", "Fit", "fit", "fit_ensemble", "init_ansatz",
           "save", "load"]
