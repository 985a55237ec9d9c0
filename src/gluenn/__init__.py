"""gluenn — interpretable physics-informed learning of differential equations.

GlueNN: a network outputs the integration constants ``c_j(x)`` of patchwise asymptotic
solutions ``f_j(x; c_j)``; ``y = sum_j f_j``. Declare :class:`Term` s, an :class:`Equation`
and sample sets (:class:`Data`, :class:`Residual`, :class:`Suppress`) in a :class:`Problem`,
then :func:`fit` it.

Layers (each imports only those before it): :mod:`gluenn.engine` (objectives, optimiser phases,
the compiled loop) ← :mod:`gluenn.glue` and :mod:`gluenn.node` (the two methods) ←
:mod:`gluenn.pipeline` (experiments: build, train, score, report) ← :mod:`gluenn.cli`.

**Global state.** Importing gluenn turns on JAX's 64-bit mode (``jax_enable_x64``) for the whole
process: the methods need float64 (least-squares solves at condition numbers ~1e12, stiff
reference comparisons), and JAX fixes the mode before the first array is made. Code in the same
process that wants float32 must then ask for it explicitly (``dtype=jnp.float32``). It also turns
on JAX's persistent compilation cache (``~/.cache/gluenn``, at most 2 GB; ``GLUENN_CACHE=off``
opts out, and a cache directory you set for JAX yourself is kept): see :mod:`gluenn._cache`.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from ._cache import enable as _enable_compilation_cache  # noqa: E402

_enable_compilation_cache()

__version__ = "0.1.0"

from . import baselines, engine, glue, metrics, node, pipeline, reference, systems  # noqa: E402
from ._errors import ConfigError, GluennError, Interrupted, RefitWarning, SamplingWarning, TrainingError, TrustWarning, require  # noqa: E402
from ._limits import Limits, check_memory, check_points, check_steps, check_width, limits  # noqa: E402
from ._params import Param, Params, parse_overrides  # noqa: E402
from .engine import (  # noqa: E402
    LBFGS, TRAINERS, Adam, Auto, GaussNewton, GaussNewtonCG, History, Lexicographic, Objective, Phase, StopReason, optimise,
    trainer_phases)
from .glue import (  # noqa: E402
    Ansatz, CoefficientNet, Data, Equation, EquationScale, Evaluation, Family, FamilyFit, Fit, Inference, Interval, Loss, Network, Parameter, Plateau, Points, Problem,
    Residual, SampleSet, Solution, Suppress, Term, Trust, fit, fit_ensemble, invert, invert_jointly, linspace, load, load_family, logspace, points, save)
from .pipeline import Component, CustomSetup, Experiment, RunResult, Setup, run_experiment, sweep  # noqa: E402

__all__ = [
    "Adam", "Ansatz", "Auto", "CoefficientNet", "Component", "ConfigError", "CustomSetup", "Data", "Equation", "EquationScale",
    "Evaluation", "Experiment", "Family", "FamilyFit", "Fit", "GaussNewton", "GaussNewtonCG", "GluennError", "History", "Inference", "Interrupted",
    "Interval", "LBFGS", "Lexicographic", "Limits", "Loss", "Network", "Objective", "Param", "Params", "Parameter", "Phase", "Plateau", "Points", "Problem",
    "RefitWarning", "Residual", "RunResult", "SampleSet", "SamplingWarning", "Setup", "Solution", "StopReason", "Suppress", "TRAINERS", "Term",
    "TrainingError", "Trust", "TrustWarning", "baselines", "check_memory", "check_points", "check_steps", "check_width", "engine", "fit", "fit_ensemble", "glue", "invert", "invert_jointly", "limits", "linspace", "load", "load_family", "logspace", "metrics",
    "node", "optimise", "parse_overrides", "pipeline", "points", "reference", "require", "run_experiment", "save", "sweep", "systems",
    "trainer_phases",
]
