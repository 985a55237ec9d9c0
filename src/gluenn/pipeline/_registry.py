"""Which experiments ``gluenn`` knows: the built-in ones, those that installed packages declare
under the ``gluenn.experiments`` entry-point group, and any ``package.module:NAME`` given directly."""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points

from .._errors import ConfigError
from ._experiment import Experiment

GROUP = "gluenn.experiments"
"""The entry-point group a package declares its experiments in (``name = "package.module:EXPERIMENT"``); ``gluenn list`` shows them."""


def experiments() -> dict[str, Experiment]:
    """``{name: Experiment}``: the built-in experiments, then the entry points of installed packages."""
    from .. import experiments as builtin
    found = {e.name: e for e in builtin.BUILTIN}
    for ep in entry_points(group=GROUP):
        if ep.name not in found:
            found[ep.name] = _import(ep.value)
    return found


def get(name: str) -> Experiment:
    """The experiment called `name`, or the one at ``package.module:ATTRIBUTE`` (a
    :class:`ConfigError` lists the known names or says what could not be imported)."""
    if ":" in name:
        return _import(name)
    known = experiments()
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ConfigError(f"experiment={name!r} is invalid: {hint}known experiments: {', '.join(sorted(known))} "
                      "(see `gluenn list`), or give your own as package.module:EXPERIMENT")


def _import(spec: str) -> Experiment:
    module, _, attr = spec.partition(":")
    if not module or not attr:
        raise ConfigError(f"experiment={spec!r} is invalid: write package.module:NAME, e.g. mypkg.decay:EXPERIMENT")
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"experiment={spec!r} is invalid: cannot import {module!r} ({exc}); "
                          "check the module is on PYTHONPATH or installed") from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed while importing
        raise ConfigError(f"experiment={spec!r} is invalid: importing {module!r} failed "
                          f"({type(exc).__name__}: {exc}); fix the module") from None
    if not hasattr(loaded, attr):
        raise ConfigError(f"experiment={spec!r} is invalid: module {module!r} has no {attr!r}")
    return _checked(getattr(loaded, attr), spec)


def _checked(obj, where: str) -> Experiment:
    if not isinstance(obj, Experiment):
        raise ConfigError(f"experiment={where!r} is invalid: it is a {type(obj).__name__}, not a gluenn.Experiment")
    return obj
