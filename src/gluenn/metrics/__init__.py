"""Scores: solution errors against a reference, read-out errors, spike-train metrics."""

from ._solution import readout_errors, rel_err, solution_errors
from ._spikes import Spikes, detect_spikes, match_spikes, rmse, spike_metrics

__all__ = ["Spikes", "detect_spikes", "match_spikes", "readout_errors", "rel_err", "rmse", "solution_errors",
           "spike_metrics"]
