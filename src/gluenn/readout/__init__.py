"""Read-outs: evaluate a trained ansatz on a grid, and the figures of a run."""

from ._solution import Evaluation, Solution, SolutionLike, mean_evaluation

__all__ = ["Evaluation", "Solution", "SolutionLike", "mean_evaluation"]
