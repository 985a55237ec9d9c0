"""Sample points: linear or logarithmic intervals, unions of them, or explicit arrays."""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

import numpy as np

from .._errors import ConfigError, require
from .._limits import check_points

Spacing = Literal["linear", "log"]

@dataclasses.dataclass(frozen=True)
class Interval:
    """``n`` points from ``lo`` to ``hi`` (both included), spaced linearly or logarithmically."""

    lo: float
    hi: float
    n: int
    spacing: Spacing = "linear"

    def __post_init__(self) -> None:
        require(isinstance(self.n, int) and self.n >= 1, "n", self.n, "use at least one point")
        check_points("n", self.n)  # the least-squares trainers build a Jacobian with a row per point
        require(
            math.isfinite(self.lo) and math.isfinite(self.hi), "interval", (self.lo, self.hi),
            "both ends must be finite numbers",
        )
        require(self.spacing in ("linear", "log"), "spacing", self.spacing, "use 'linear' or 'log'")
        if self.n > 1:
            require(self.lo < self.hi, "interval", (self.lo, self.hi),
                    "the interval is empty or reversed; give lo < hi")
        if self.spacing == "log":
            require(self.lo > 0, "interval", (self.lo, self.hi),
                    "log spacing needs 0 < lo < hi; use linear spacing for x <= 0")

    def values(self) -> np.ndarray:
        if self.n == 1:
            return np.array([self.lo], dtype=np.float64)
        if self.spacing == "log":
            return np.geomspace(self.lo, self.hi, self.n)
        return np.linspace(self.lo, self.hi, self.n)


@dataclasses.dataclass(frozen=True)
class Points:
    """A set of sample points: a union of :class:`Interval` s and/or explicit values.

    Build with :func:`linspace`, :func:`logspace` or :func:`points`, combine with ``|``.
    ``Points`` are declarative (they serialise to JSON for ``metrics.json``); the
    coordinates come from :meth:`values`, shape ``(N,)``, float64, sorted.
    """

    intervals: tuple[Interval, ...] = ()
    explicit: tuple[float, ...] = ()

    def values(self) -> np.ndarray:
        parts = [iv.values() for iv in self.intervals]
        if self.explicit:
            parts.append(np.asarray(self.explicit, dtype=np.float64))
        if not parts:
            raise ConfigError("points=[] is invalid: a sample set needs at least one point")
        return np.sort(np.concatenate(parts))

    def __len__(self) -> int:
        return sum(iv.n for iv in self.intervals) + len(self.explicit)

    def __or__(self, other: "Points") -> "Points":
        return Points(self.intervals + other.intervals, self.explicit + other.explicit)

    def refined(self) -> "Points":
        """The same points with one more between every two neighbours (intervals: ``2n − 1`` points of
        the same spacing, which keep the old ones; explicit values: their midpoints added)."""
        intervals = tuple(dataclasses.replace(iv, n=2 * iv.n - 1) if iv.n > 1 else iv for iv in self.intervals)
        x = np.unique(np.asarray(self.explicit, dtype=np.float64))
        extra = tuple(float(v) for v in 0.5 * (x[1:] + x[:-1]))
        return Points(intervals, self.explicit + extra)

    def describe(self) -> list[dict]:
        """A JSON-able description (for ``metrics.json``)."""
        out: list[dict] = [dataclasses.asdict(iv) for iv in self.intervals]
        if self.explicit:
            out.append({"explicit": len(self.explicit)})
        return out


def _count(n) -> int:
    require(isinstance(n, (int, np.integer)) or (isinstance(n, float) and n.is_integer()), "n", n,
            "the number of points must be a whole number")
    return int(n)


def linspace(lo: float, hi: float, n: int) -> Points:
    """``n`` linearly spaced points on ``[lo, hi]``."""
    return Points((Interval(float(lo), float(hi), _count(n), "linear"),))


def logspace(lo: float, hi: float, n: int) -> Points:
    """``n`` logarithmically spaced points on ``[lo, hi]`` (needs ``0 < lo < hi``)."""
    return Points((Interval(float(lo), float(hi), _count(n), "log"),))


def points(values) -> Points:
    """Explicit sample points from an array-like of finite numbers."""
    arr = np.asarray(values, dtype=np.float64).ravel()
    require(arr.size > 0, "points", "[]", "give at least one point")
    require(bool(np.all(np.isfinite(arr))), "points", "non-finite values",
            "remove NaN/inf from the sample points")
    return Points(explicit=tuple(float(v) for v in arr))


def as_points(value) -> Points:
    """Accept a :class:`Points` or an array-like."""
    return value if isinstance(value, Points) else points(value)
