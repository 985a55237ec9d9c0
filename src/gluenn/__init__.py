"""gluenn — interpretable physics-informed learning of differential equations.

GlueNN: a network outputs the integration constants ``c_j(x)`` of patchwise asymptotic
solutions ``f_j(x; c_j)``; ``y = sum_j f_j``. Declare :class:`Term` s, an :class:`Equation`
and sample sets (:class:`Data`, :class:`Residual`, :class:`Suppress`) in a :class:`Problem`,
then :func:`fit` it. float64 is enabled on import.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

__version__ = "0.1.0"

from . import baselines, metrics, reference  # noqa: E402
from ._ansatz import Ansatz, CoefficientNet, Network  # noqa: E402
from ._errors import ConfigError, GluennError, Interrupted, TrainingError, require  # noqa: E402
from ._experiment import Component, CustomSetup, Experiment, RunResult, Setup, run_experiment  # noqa: E402
from ._losses import Loss  # noqa: E402
from ._params import Param, Params, parse_overrides  # noqa: E402
from ._points import Interval, Points, linspace, logspace, points  # noqa: E402
from ._problem import Data, Equation, Plateau, Problem, Residual, SampleSet, Suppress, Term  # noqa: E402
from .readout import Evaluation, Solution  # noqa: E402
from .train import TRAINERS, trainer_phases
from .train import LBFGS, Adam, Fit, GaussNewton, GaussNewtonCG, History, Objective, Phase, fit, load, optimise, save  # noqa: E402

__all__ = [
    "TRAINERS", "trainer_phases",
    "Adam", "Ansatz", "CoefficientNet", "Component", "ConfigError", "CustomSetup", "Data", "Equation", "Evaluation",
    "Experiment", "Fit", "GaussNewton", "GaussNewtonCG", "GluennError", "History", "Interrupted", "Interval", "LBFGS", "Loss", "Network", "Objective", "Param",
    "Params", "Phase", "Plateau", "Points", "Problem", "Residual", "RunResult", "SampleSet", "Setup", "Solution",
    "Suppress", "Term", "TrainingError", "baselines", "fit", "linspace", "load", "logspace", "metrics",
    "node", "optimise", "parse_overrides", "points", "reference", "require", "run_experiment", "save",
]

from . import node  # noqa: E402  (after the training API it builds on)
