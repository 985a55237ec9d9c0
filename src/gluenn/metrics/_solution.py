"""Errors of a solution and of its read-outs against the reference."""

from __future__ import annotations

import math

import numpy as np


def rel_err(pred: float, true: float) -> float:
    """Signed relative error ``(pred - true) / |true|`` (SPEC output contract)."""
    pred, true = float(pred), float(true)
    if true == 0.0:
        return math.inf if pred != 0.0 else 0.0
    return (pred - true) / abs(true)


def solution_errors(pred: np.ndarray, true: np.ndarray, *, floor: float = 0.0) -> dict:
    """``max_abs_err``, ``max_rel_err``, ``rms_rel_err`` and ``max_abs_err_over_max`` on a grid.

    Relative errors divide by ``max(|true|, floor)`` (a floor avoids dividing by the zeros of
    an oscillating solution; ``max_abs_err_over_max`` is the natural score for those).
    """
    pred = np.asarray(pred, dtype=np.float64)
    true = np.asarray(true, dtype=np.float64)
    err = np.abs(pred - true)
    denom = np.maximum(np.abs(true), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(denom > 0, err / denom, np.inf)
    scale = float(np.max(np.abs(true)))
    return {
        "max_abs_err": float(np.max(err)),
        "max_rel_err": float(np.max(rel)),
        "rms_rel_err": float(np.sqrt(np.mean(rel**2))),
        "max_abs_err_over_max": float(np.max(err) / scale) if scale > 0 else math.inf,
        "points": int(pred.size),
    }


def readout_errors(pred: dict, true: dict) -> dict:
    """``{name: {"pred", "true", "rel_err"}}`` for every read-out present in both."""
    return {k: {"pred": float(pred[k]), "true": float(true[k]), "rel_err": rel_err(pred[k], true[k])}
            for k in pred if k in true}
