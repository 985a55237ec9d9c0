"""Neural ODEs and PI-NODE-SR (physics-informed neural ODEs with scale-aware residuals).

A :class:`VectorField` ``f_θ(z, t)`` is trained through a fixed-step Heun solve of a short
observed :class:`Trajectory` with :class:`NODELoss`: the data term plus, optionally, the
scale-aware residual ``λ mean Σ_j ((f_θ − f_known)_j / s_j)²`` of known :class:`Physics`.
:func:`fit_stages` trains a model through :class:`Stage` s on :func:`gluenn.engine.optimise`
(:func:`objective` turns any :class:`ResidualLoss` into an engine objective with least-squares
rows); :func:`calibrate` fits unknown parameters of the known physics to the window; :func:`integrate` evaluates any field with Diffrax solvers; :func:`save` / :func:`load`
write and read a model in gluenn's checkpoint format.
"""

from ._calibrate import Calibration, calibrate
from ._checkpoint import load, save
from ._field import VectorField, WithParameters
from ._loss import NODELoss, Physics, ResidualLoss, TermsLoss, Trajectory
from ._solve import ADJOINTS, SOLVERS, ScanAdjoint, adjoint, check_solution, integrate, solver
from ._stages import LinearHead, PartStore, Stage, StagedFit, fit_stages, objective

__all__ = ["ADJOINTS", "Calibration", "LinearHead", "NODELoss", "PartStore", "Physics", "ResidualLoss", "SOLVERS", "ScanAdjoint",
           "Stage", "StagedFit", "TermsLoss", "Trajectory", "VectorField", "WithParameters", "adjoint", "calibrate", "check_solution", "fit_stages",
           "integrate", "load", "objective", "save", "solver"]
