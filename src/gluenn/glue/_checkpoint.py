"""Save and load trained GlueNN models in gluenn's one checkpoint format (see :func:`gluenn._io.save_checkpoint`).

``checkpoint.eqx`` holds the arrays; ``checkpoint.eqx.json`` holds what is needed to rebuild
the skeleton (network, seed, terms) and to refuse an incompatible problem.
"""

from __future__ import annotations

from .._errors import ConfigError
from .._io import checkpoint_config, read_leaves, save_checkpoint
from ._ansatz import Network
from ._fit import Fit, init_ansatz


def _layout(problem) -> list:
    return [{"name": t.name, "coefficients": list(t.coefficients), "positive": t.positive}
            for t in problem.terms]


def save(path, fits: "Fit | dict[str, Fit]", extra: dict | None = None) -> None:
    """Write one checkpoint for a :class:`Fit` or a dict of them (e.g. ``{"re": .., "im": ..}``)."""
    fits = fits if isinstance(fits, dict) else {"y": fits}
    config = {"kind": "glue",
              "components": {k: {"network": f.network.to_dict(), "seed": f.seed, "terms": _layout(f.problem)}
                             for k, f in fits.items()},
              **(extra or {})}
    save_checkpoint(path, {k: f.ansatz for k, f in fits.items()}, config)


def load(path, problems) -> dict:
    """Load the ansätze saved by :func:`save` for ``problems`` (a Problem or a dict of them).

    Returns ``{component: Ansatz}`` (``{"y": ...}`` for a single problem). Raises
    :class:`~gluenn.ConfigError` if the checkpoint is missing or was trained on other terms.
    """
    problems = problems if isinstance(problems, dict) else {"y": problems}
    comps = checkpoint_config(path, "glue").get("components", {})
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
