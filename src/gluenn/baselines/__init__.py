"""Baselines gluenn is compared against: C^n matching of asymptotic solutions (GlueNN) and the
vanilla PINN for ODE systems (PI-NODE-SR). The vanilla Neural ODE is :class:`gluenn.node.NODELoss`
with ``physics=None``."""

from ._matching import Family, Matched, MatchingBand, match, matching_band
from ._pinn import PINNLoss, TrajectoryNet

__all__ = ["Family", "Matched", "MatchingBand", "PINNLoss", "TrajectoryNet", "match", "matching_band"]
