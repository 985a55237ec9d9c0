"""Helpers shared by the benchmark scripts (run as ``python benchmarks/SCRIPT.py``)."""

from __future__ import annotations

from typing import Callable, Sequence


def sustained(history: Sequence[tuple[int, float, float]], ok: Callable[[float], bool]):
    """``(step, seconds)`` of the first checkpoint of ``history`` (rows ``(step, seconds, value)``)
    from which ``ok(value)`` holds at every later checkpoint; ``(None, None)`` if none."""
    for i, (step, t, _) in enumerate(history):
        if all(ok(v) for _, _, v in history[i:]):
            return step, t
    return None, None


def deepxde(seed: int):
    """DeepXDE on its PyTorch backend in float64, seeded, its start-up chatter silenced."""
    import os
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    with quiet():
        import deepxde as dde
        dde.config.set_default_float("float64")
    dde.config.set_random_seed(seed)
    return dde


def quiet():
    """A context that swallows what DeepXDE prints on stdout (``Compiling model...``)."""
    import contextlib
    import io
    return contextlib.redirect_stdout(io.StringIO())
