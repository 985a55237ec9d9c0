"""The papers' set-ups, each a small file that uses only the public API."""

from __future__ import annotations

import difflib

from .._errors import ConfigError
from . import darkphoton, freezeout, hodgkin_huxley, tunneling

EXPERIMENTS = {e.name: e for e in (freezeout.EXPERIMENT, darkphoton.EXPERIMENT, tunneling.EXPERIMENT,
                                    hodgkin_huxley.EXPERIMENT)}


def get(name: str):
    """The registered experiment called ``name`` (a :class:`ConfigError` lists the others)."""
    try:
        return EXPERIMENTS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(EXPERIMENTS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"experiment={name!r} is invalid: {hint}known experiments: "
                          f"{', '.join(sorted(EXPERIMENTS))} (see `gluenn list`)") from None
