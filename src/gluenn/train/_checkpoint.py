"""Save and load trained models: Equinox leaf serialisation plus a JSON of the configuration.

``checkpoint.eqx`` holds the arrays; ``checkpoint.eqx.json`` holds what is needed to rebuild
the skeleton (network, seed, terms) and to refuse an incompatible problem.
"""

from __future__ import annotations

import json
import pathlib


from .._ansatz import Network
from .._errors import ConfigError
from .._io import atomic_write_bytes, leaves_from_bytes, leaves_to_bytes
from ._fit import Fit, init_ansatz


def _layout(problem) -> list:
    return [{"name": t.name, "coefficients": list(t.coefficients), "positive": t.positive}
            for t in problem.terms]


def save(path, fits: "Fit | dict[str, Fit]", extra: dict | None = None) -> None:
    """Write one checkpoint for a :class:`Fit` or a dict of them (e.g. ``{"re": .., "im": ..}``)."""
    path = pathlib.Path(path)
    fits = fits if isinstance(fits, dict) else {"y": fits}
    config = {
        "format": "gluenn-checkpoint-1",
        "components": {k: {"network": f.network.to_dict(), "seed": f.seed, "terms": _layout(f.problem)}
                       for k, f in fits.items()},
        **(extra or {}),
    }
    atomic_write_bytes(path, leaves_to_bytes({k: f.ansatz for k, f in fits.items()}))
    atomic_write_bytes(path.with_name(path.name + ".json"), json.dumps(config, indent=2).encode())


def load(path, problems) -> dict:
    """Load the ansätze saved by :func:`save` for ``problems`` (a Problem or a dict of them).

    Returns ``{component: Ansatz}`` (``{"y": ...}`` for a single problem). Raises
    :class:`~gluenn.ConfigError` if the checkpoint is missing or was trained on other terms.
    """
    path = pathlib.Path(path)
    problems = problems if isinstance(problems, dict) else {"y": problems}
    cfg_path = path.with_name(path.name + ".json")
    if not path.is_file() or not cfg_path.is_file():
        raise ConfigError(f"checkpoint={str(path)!r} is invalid: expected {path.name} and "
                          f"{cfg_path.name} side by side (written by gluenn)")
    config = json.loads(cfg_path.read_text())
    comps = config.get("components", {})
    if sorted(comps) != sorted(problems):
        raise ConfigError(f"checkpoint={str(path)!r} is invalid: it holds components {sorted(comps)}, "
                          f"expected {sorted(problems)}")
    skeleton = {}
    for k, prob in problems.items():
        c = comps[k]
        if c["terms"] != _layout(prob):
            raise ConfigError(f"checkpoint={str(path)!r} is invalid: component {k!r} was trained with "
                              f"terms {c['terms']}, the problem declares {_layout(prob)}")
        net = c["network"]
        network = Network(**{**net, "head": tuple(net["head"]), "trunk": tuple(net["trunk"]),
                             "input_range": tuple(net["input_range"])})
        skeleton[k] = init_ansatz(prob, network, int(c["seed"]))
    return read_leaves(path, skeleton, f"checkpoint={str(path)!r}")


def read_leaves(path, like, field: str):
    """Arrays saved by ``eqx.tree_serialise_leaves`` read into the skeleton `like`; a file that
    does not fit it is a :class:`~gluenn.ConfigError` naming `field`."""
    try:
        return leaves_from_bytes(pathlib.Path(path).read_bytes(), like)
    except Exception as exc:  # noqa: BLE001
        raise ConfigError(f"{field} is invalid: {pathlib.Path(path).name} does not fit this configuration "
                          f"({type(exc).__name__}: {exc}); start a fresh run") from None
