"""Training: optimiser phases, the chunked jitted loop, ``fit`` and checkpoints."""

from ._checkpoint import load, save
from ._fit import Fit, fit, init_ansatz
from ._loop import History, optimise
from ._phases import LBFGS, Adam, Phase

__all__ = ["Adam", "LBFGS", "Phase", "History", "optimise", "Fit", "fit", "init_ansatz",
           "save", "load"]
