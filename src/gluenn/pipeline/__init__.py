"""The experiment pipeline: an :class:`Experiment` is built into a set-up (a GlueNN :class:`Setup`
or a :class:`CustomSetup` such as :class:`NODESetup`), trained, scored against its reference and
reported (``metrics.json``, figures, log, checkpoint) by :func:`run_experiment`. It depends on
both methods (:mod:`gluenn.glue`, :mod:`gluenn.node`); neither depends on it."""

from ._ablate import ablate
from ._constants import Constant
from ._family import FamilyRun, run_family
from ._infer import Observation, infer, load_runs
from ._joint import JointProblem, infer_jointly
from ._experiment import Component, CustomSetup, Experiment, RunResult, Setup
from ._node import NODESetup
from . import pinode
from ._registry import GROUP, experiments, get
from ._report import versions
from ._resume import ResumeStore, read_state
from ._run import RunConfig, run_experiment
from ._sweep import Workers, run_points, sweep
from ._sweep_plan import Point, Vary, config_hash, parse_seeds, plan
from ._plots import plot_coefficients, plot_solution
from ._sweep_plots import sweep_figures
from ._sweep_table import frame as sweep_frame

__all__ = ["Component", "Constant", "CustomSetup", "Experiment", "GROUP", "NODESetup", "ResumeStore", "RunConfig", "RunResult",
           "FamilyRun", "Observation", "Point", "Setup", "Vary", "Workers", "ablate", "config_hash", "experiments", "get", "infer", "infer_jointly", "JointProblem", "load_runs", "parse_seeds", "pinode", "plan", "plot_coefficients", "plot_solution", "read_state",
           "run_experiment", "run_family", "run_points", "sweep", "sweep_figures", "sweep_frame", "versions"]
