"""Baselines GlueNN is compared against: C^n matching of asymptotic solutions."""

from ._matching import Family, Matched, MatchingBand, match, matching_band

__all__ = ["Family", "Matched", "MatchingBand", "match", "matching_band"]
