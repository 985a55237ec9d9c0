"""GlueNN: a network outputs the integration constants ``c_j(x)`` of patchwise asymptotic
solutions ``f_j(x; c_j)``; ``y = Σ_j f_j(x; c_j(x))``.

Declare :class:`Term` s, an :class:`Equation` and sample sets in a :class:`Problem`, then
:func:`fit` it (through :func:`gluenn.engine.optimise`); :class:`Solution` evaluates the trained
coefficients, terms and ``y`` on any grid; :func:`save` / :func:`load` write and read checkpoints.
"""

from ._ansatz import Ansatz, CoefficientNet, Network, derivatives
from ._checkpoint import load, load_family, save
from ._family import Family, FamilyLoss, Parameter
from ._inverse import Inference, invert, invert_jointly
from ._fit import FamilyFit, Fit, fit, fit_ensemble, init_ansatz, least_squares_structure, objective
from ._loss import UNSCALED, Loss, check_user_functions
from ._points import Interval, Points, linspace, logspace, points
from ._problem import Data, Equation, EquationScale, Plateau, Problem, Residual, SampleSet, Suppress, Term
from ._solution import Evaluation, Solution, SolutionLike, mean_evaluation
from ._trust import Check, Trust, TrustLimits, diagnose

__all__ = ["Ansatz", "Check", "CoefficientNet", "Data", "Equation", "EquationScale", "Evaluation", "Family", "FamilyFit", "FamilyLoss", "Fit", "Inference", "Interval", "Loss", "Network",
           "Parameter", "Plateau", "Points", "Problem", "Residual", "SampleSet", "Solution", "SolutionLike", "Suppress", "Term", "Trust", "TrustLimits", "UNSCALED",
           "check_user_functions", "derivatives", "diagnose", "fit", "fit_ensemble", "init_ansatz", "invert", "invert_jointly", "least_squares_structure", "objective",
           "linspace", "load", "load_family", "logspace", "mean_evaluation", "points", "save"]
