"""Neural ODEs and PI-NODE-SR (physics-informed neural ODEs with scale-aware residuals).

A :class:`VectorField` ``f_θ(z, t)`` is trained through a fixed-step Heun solve of a short
observed :class:`Trajectory` with :class:`NODELoss`: the data term plus, optionally, the
scale-aware residual ``λ mean Σ_j ((f_θ − f_known)_j / s_j)²`` of known :class:`Physics`.
Training runs through :func:`gluenn.optimise` like every other model; :func:`integrate`
evaluates any field with Heun, Tsit5 or the stiff Kvaerno5.
"""

from ._field import VectorField
from ._loss import NODELoss, Physics, TermsLoss, Trajectory
from ._run import NODESetup, Stage
from ._solve import ADJOINTS, SOLVERS, check_solution, integrate

__all__ = ["ADJOINTS", "NODELoss", "NODESetup", "Physics", "SOLVERS", "Stage", "TermsLoss", "Trajectory", "VectorField", "check_solution", "integrate"]
