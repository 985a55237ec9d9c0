"""Work is bounded before it starts: declared limits on what one run may ask for.

Every place where a request turns into work checks it here first — optimiser steps per phase,
sample points per set or grid, ensemble members, network widths, and the memory of the largest
arrays (a least-squares Jacobian, a reference trajectory) estimated *before* they are allocated —
so that a mistyped ``1e10`` is a one-line error naming the limit instead of a run that never ends
or a memory traceback. The limits are generous for the problems gluenn is for; to go past one
deliberately, raise it for the process with the environment variable ``GLUENN_LIMITS``, e.g.
``GLUENN_LIMITS="steps=1e8,memory_gib=64" gluenn run ...`` (read at each check, so a script can
also set ``os.environ`` before it calls gluenn).
"""

from __future__ import annotations

import dataclasses
import os

from ._errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits (see the module notes); `memory_gib` defaults to half the machine's memory."""

    steps: int = 10_000_000
    points: int = 1_000_000
    members: int = 256
    width: int = 16_384
    memory_gib: float | None = None

    def memory_bytes(self) -> float:
        if self.memory_gib is not None:
            return self.memory_gib * 2**30
        try:
            return 0.5 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return 8 * 2**30


def limits() -> Limits:
    """The limits in force: the defaults, changed by ``GLUENN_LIMITS`` (``name=value,...``)."""
    text = os.environ.get("GLUENN_LIMITS", "").strip()
    if not text:
        return Limits()
    known = {f.name: f for f in dataclasses.fields(Limits)}
    values = {}
    for item in text.split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if name not in known or not number > 0:
            raise ConfigError(f"GLUENN_LIMITS={text!r} is invalid: write name=positive number, separated by commas, "
                              f"with names from {', '.join(known)}")
        values[name] = number if name == "memory_gib" else int(number)
    return Limits(**values)


def _num(v) -> str:
    return f"{v:,}" if abs(v) < 1e15 else f"{float(v):.3g}"


def _over(what: str, value, limit_name: str, limit, unit: str = "") -> ConfigError:
    return ConfigError(f"{what}={_num(value)}{unit} is invalid: above the limit {limit_name}={_num(limit)}{unit}; check it "
                       f"is not a typo, or raise the limit deliberately with GLUENN_LIMITS=\"{limit_name}=...\"")


def check_steps(what: str, steps: int) -> None:
    """Optimiser steps of one phase."""
    if steps > limits().steps:
        raise _over(what, steps, "steps", limits().steps)


def check_points(what: str, n: int) -> None:
    """Sample points of one set, or the points of one evaluation grid."""
    if n > limits().points:
        raise _over(what, n, "points", limits().points)


def check_members(what: str, n: int) -> None:
    """Models trained together (an ensemble)."""
    if n > limits().members:
        raise _over(what, n, "members", limits().members)


def check_width(what: str, widths) -> None:
    """Widths of a network's layers."""
    top = max(widths, default=0)
    if top > limits().width:
        raise _over(what, top, "width", limits().width)


def check_memory(what: str, n_bytes: float) -> None:
    """An array (or a few) of `n_bytes` about to be allocated."""
    cap = limits().memory_bytes()
    if n_bytes > cap:
        raise ConfigError(f"{what} needs about {n_bytes / 2**30:.3g} GiB: above the limit of {cap / 2**30:.3g} GiB; "
                          f"check the sizes are not a typo, or raise it deliberately with GLUENN_LIMITS=\"memory_gib=...\"")
