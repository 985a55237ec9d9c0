"""Reference ("true") solutions computed with SciPy's stiff solvers in the same run."""

from ._scipy import ReferenceSolution, solve_equation, solve_ivp, trajectory

__all__ = ["ReferenceSolution", "solve_equation", "solve_ivp", "trajectory"]
