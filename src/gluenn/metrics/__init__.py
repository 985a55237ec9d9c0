"""Scores: solution errors against a reference, read-out errors, (later) spike metrics."""

from ._solution import readout_errors, rel_err, solution_errors

__all__ = ["readout_errors", "rel_err", "solution_errors"]
