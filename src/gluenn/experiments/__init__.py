"""The papers' set-ups, each a small declarative file that uses only the public API."""

from __future__ import annotations

from . import darkphoton, fitzhugh_nagumo, freezeout, hodgkin_huxley, tunneling

BUILTIN = (freezeout.EXPERIMENT, darkphoton.EXPERIMENT, tunneling.EXPERIMENT, hodgkin_huxley.EXPERIMENT,
           fitzhugh_nagumo.EXPERIMENT)
