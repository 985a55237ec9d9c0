"""Save and load a trained trajectory model (a neural ODE field, a PINN network) in gluenn's one
checkpoint format (:func:`gluenn._io.save_checkpoint`, ``kind: "node"``)."""

from __future__ import annotations

import pathlib

import equinox as eqx

from .._errors import ConfigError
from .._io import checkpoint_config, read_leaves, save_checkpoint


def save(path, model, extra: dict | None = None) -> None:
    """Write `model` (an Equinox module) to ``path`` and its description to ``path.json``
    (`extra`: JSON-ready facts to keep beside it, e.g. the experiment and seed)."""
    save_checkpoint(path, eqx.filter(model, eqx.is_array), {"kind": "node", "model": type(model).__name__,
                                                           **(extra or {})})


def load(path, like):
    """The model saved by :func:`save`, read into `like` — a model of the same architecture (e.g.
    the experiment's ``init(key)``: any seed, the arrays are replaced). Predicts bit-identically
    to the saved one. Raises :class:`~gluenn.ConfigError` if the files are missing or do not fit."""
    config = checkpoint_config(path, "node")
    field = f"checkpoint={str(path)!r}"
    if config.get("model") != type(like).__name__:
        raise ConfigError(f"{field} is invalid: it holds a {config.get('model')!r}, not a {type(like).__name__!r}")
    arrays, static = eqx.partition(like, eqx.is_array)
    return eqx.combine(read_leaves(pathlib.Path(path), arrays, field), static)
