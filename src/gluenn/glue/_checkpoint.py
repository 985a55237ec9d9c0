"""Save and load trained GlueNN models in gluenn's one checkpoint format (see :func:`gluenn._io.save_checkpoint`).

``checkpoint.eqx`` holds the arrays; ``checkpoint.eqx.json`` holds what is needed to rebuild
the skeleton (network, seed, terms) and to refuse an incompatible problem.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._errors import ConfigError
from .._io import checkpoint_config, read_leaves, save_checkpoint
from ..engine import History
from ._ansatz import Network
from ._family import Family
from ._fit import FamilyFit, Fit, init_ansatz


def _layout(problem) -> list:
    return [{"name": t.name, "coefficients": list(t.coefficients), "positive": t.positive}
            for t in problem.terms]


def save(path, fits: "Fit | FamilyFit | dict", extra: dict | None = None) -> None:
    """Write one checkpoint for a :class:`Fit` or a dict of them (e.g. ``{"re": .., "im": ..}``), or
    for :class:`FamilyFit` s (all members, the parameters' ranges and the training values)."""
    fits = fits if isinstance(fits, dict) else {"y": fits}
    family = all(isinstance(f, FamilyFit) for f in fits.values())
    config = {"kind": "glue-family" if family else "glue",
              "components": {k: {"network": f.network.to_dict(), "seed": f.seed,
                                 "terms": _layout(f.template if family else f.problem),
                                 **(_family_layout(f.family) if family else {})} for k, f in fits.items()},
              **(extra or {})}
    save_checkpoint(path, {k: f.ansatz for k, f in fits.items()}, config)


def _family_layout(family: Family) -> dict:
    return {"parameters": [[p.name, p.lo, p.hi, p.log] for p in family.parameters], "train": family.train}


def load_family(path, families: "Family | dict[str, Family]") -> dict[str, FamilyFit]:
    """The :class:`FamilyFit` s saved by :func:`save` for `families` (a Family or a dict of them,
    ``{"y": ...}`` for one), which must declare the same terms and parameter ranges; trained with
    ``train`` values (the checkpoint's: a refined family keeps its count). Their ``history`` is empty."""
    families = families if isinstance(families, dict) else {"y": families}
    comps = checkpoint_config(path, "glue-family").get("components", {})
    if sorted(comps) != sorted(families):
        raise ConfigError(f"checkpoint={str(path)!r} is invalid: it holds components {sorted(comps)}, "
                          f"expected {sorted(families)}")
    skeleton, fams = {}, {}
    for k, fam in families.items():
        c = comps[k]
        fam = Family(fam.problem, fam.parameters, train=int(c["train"]), max_train=max(fam.max_train, int(c["train"])))
        template = fam.raw(fam.middle())
        if c["terms"] != _layout(template) or c["parameters"] != _family_layout(fam)["parameters"]:
            raise ConfigError(f"checkpoint={str(path)!r} is invalid: component {k!r} was trained with terms "
                              f"{c['terms']} over {c['parameters']}; the family declares {_layout(template)} over "
                              f"{_family_layout(fam)['parameters']}")
        network = _network(c["network"])
        one = init_ansatz(fam.at(fam.middle()), network, int(c["seed"]))
        skeleton[k] = jax.tree_util.tree_map(lambda a, n=fam.training_values().shape[0]: jnp.stack([a] * n)
                                             if isinstance(a, jax.Array) else a, one)
        fams[k] = (fam, network, int(c["seed"]))
    ansatze = read_leaves(path, skeleton, f"checkpoint={str(path)!r}")
    return {k: FamilyFit(fam, network, seed, ansatze[k], History()) for k, (fam, network, seed) in fams.items()}


def _network(net: dict) -> Network:
    return Network(**{**net, "head": tuple(net["head"]), "trunk": tuple(net["trunk"]),
                      "input_range": tuple(net["input_range"])})


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
        skeleton[k] = init_ansatz(prob, _network(c["network"]), int(c["seed"]))
    return read_leaves(path, skeleton, f"checkpoint={str(path)!r}")
