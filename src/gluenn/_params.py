"""Experiment parameters and ``--set NAME=VALUE`` overrides."""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from ._errors import ConfigError, shown


@dataclasses.dataclass(frozen=True)
class Param:
    """A named parameter of an experiment: its default (which fixes its type) and a doc line.

    - `kind`: ``"physical"`` or ``"training"`` (how ``gluenn show`` groups it).
    - `choices`: the allowed values of a text parameter (anything else is refused, naming them).
    - `minimum`: the smallest allowed value of a number (inclusive); `positive`: above zero.
    """

    default: Any
    doc: str
    kind: str = "physical"
    choices: tuple | None = None
    minimum: float | None = None
    positive: bool = False

    def check(self, name: str, value: Any) -> Any:
        """`value` if it has this parameter's type and lies in its range; else a :class:`ConfigError`
        that names the parameter, the value and what is allowed."""
        default = self.default
        if isinstance(default, bool) or isinstance(value, bool):
            ok = isinstance(value, bool) == isinstance(default, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int)
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and math.isfinite(value)
            value = float(value) if ok else value
        elif default == "auto" and isinstance(value, (int, float)) and math.isfinite(value):
            ok, value = True, repr(float(value))  # a number where "auto" is the default (margin=10.0)
        else:
            ok = isinstance(value, type(default))
        if not ok:
            raise ConfigError(f"{name}={shown(value)} is invalid: {name} is a {_kind(default)} "
                              f"(default {default!r})")
        if self.choices is not None and value not in self.choices:
            raise ConfigError(f"{name}={shown(value)} is invalid: use one of {', '.join(map(str, self.choices))}")
        if self.positive and not value > 0:
            raise ConfigError(f"{name}={shown(value)} is invalid: {name} must be positive (default {default!r})")
        if self.minimum is not None and not value >= self.minimum:
            raise ConfigError(f"{name}={shown(value)} is invalid: {name} must be >= {self.minimum:g}")
        return value


def _kind(default) -> str:
    return {bool: "switch (true/false)", int: "whole number", float: "number", str: "text"}.get(
        type(default), type(default).__name__)


class Params(Mapping):
    """Read-only parameter values with attribute access (``p.eta``).

    A parametric run (``--vary``) builds the set-up at many values of one parameter; :meth:`span`
    tells a ``build`` the whole range, so that what must not change with the parameter — the
    domain, the number of points — is computed once from it (a single run: the value itself).
    """

    def __init__(self, values: Mapping[str, Any], spans: Mapping[str, tuple[float, float]] | None = None):
        self._v = dict(values)
        self._spans = dict(spans or {})

    def __getattr__(self, name):
        try:
            return self._v[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, k):
        return self._v[k]

    def __iter__(self):
        return iter(self._v)

    def __len__(self):
        return len(self._v)

    def replace(self, **kw) -> "Params":
        return Params({**self._v, **kw}, self._spans)

    def span(self, name: str) -> tuple[float, float]:
        """``(lo, hi)`` of the number `name` over the run: ``(value, value)`` in a single run, the
        varied range in a ``--vary`` run. Base the structure of a set-up (domain, point counts,
        patch edges) on it, and the physics on the value."""
        value = self._v[name]
        return self._spans.get(name, (value, value))

    def spanning(self, name: str, lo: float, hi: float) -> "Params":
        """These values with `name` declared to range over ``[lo, hi]`` (:meth:`span`)."""
        return Params(self._v, {**self._spans, name: (float(lo), float(hi))})

    def number(self, name: str, auto: float) -> float:
        """A text parameter that is ``"auto"`` (then `auto`) or a positive finite number."""
        text = self._v[name]
        if text == "auto":
            return auto
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0 < value < math.inf:
            raise ConfigError(f"{name}={shown(text)} is invalid: give a positive finite number or 'auto'")
        return value

    def __repr__(self):
        return f"Params({self._v})"


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_value(name: str, text: str, default: Any) -> Any:
    """Parse ``text`` to the type of ``default``; a :class:`ConfigError` says what is expected."""
    t = text.strip()
    if isinstance(default, bool):
        if t.lower() in _TRUE:
            return True
        if t.lower() in _FALSE:
            return False
        raise ConfigError(f"--set {name}={shown(text)} is invalid: {name} is a switch; use true or false")
    if isinstance(default, int):
        try:
            v = float(t)
        except ValueError:
            raise ConfigError(f"--set {name}={shown(text)} is invalid: {name} is a whole number "
                              f"(default {default}); write e.g. {name}={default}") from None
        if not math.isfinite(v) or v != int(v):
            raise ConfigError(f"--set {name}={shown(text)} is invalid: {name} is a whole number "
                              f"(default {default}); write e.g. {name}={default}")
        return int(v)
    if isinstance(default, float):
        try:
            v = float(t)
        except ValueError:
            raise ConfigError(f"--set {name}={shown(text)} is invalid: {name} is a number "
                              f"(default {default!r}); write e.g. {name}={default!r}") from None
        if not math.isfinite(v):
            raise ConfigError(f"--set {name}={shown(text)} is invalid: {name} must be finite")
        return v
    if isinstance(default, str):
        if not t:
            raise ConfigError(f"--set {name}= is invalid: give a value, e.g. {name}={default}")
        return t
    raise ConfigError(f"--set {name} is not supported for parameters of type {type(default).__name__}")


def parse_overrides(items: Iterable[str], params: Mapping[str, Param]) -> dict:
    """``["eta=1e5", ...]`` → ``{"eta": 100000.0}``, typed by the parameters' defaults."""
    out = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ConfigError(f"--set {shown(item)} is invalid: write NAME=VALUE, e.g. --set "
                              f"{next(iter(params), 'name')}=1.0")
        name, text = item.split("=", 1)
        name = name.strip()
        if name not in params:
            close = difflib.get_close_matches(name, list(params), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise ConfigError(f"--set {shown(name)[1:-1]}=... is invalid: no such parameter; {hint}"
                              f"known: {', '.join(sorted(params))}")
        out[name] = parse_value(name, text, params[name].default)
    return out
