"""The error family of gluenn: every user mistake becomes one readable line."""

from __future__ import annotations


class GluennError(Exception):
    """Base class of every error gluenn raises on purpose.

    The message names the offending field, the value it got and the fix, in one line,
    so that the CLI can print it without a traceback.
    """


class ConfigError(GluennError, ValueError):
    """A parameter, override or declaration is invalid (bad value, unknown name, wrong shape)."""


class TrainingError(GluennError, RuntimeError):
    """Training could not continue (e.g. the loss stayed non-finite after every retry)."""


def shown(value: object, limit: int = 120) -> str:
    """``repr(value)`` cut to `limit` characters: an error names the value without echoing a huge input."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text):,} characters)"


def require(condition: bool, field: str, value: object, fix: str) -> None:
    """Raise :class:`ConfigError` with a one-line message unless ``condition`` holds."""
    if not condition:
        raise ConfigError(f"{field}={shown(value)} is invalid: {fix}")


class TrustWarning(UserWarning):
    """A fit finished but its self-checks (``Fit.trust``) say its answer cannot be trusted."""


class SamplingWarning(UserWarning):
    """A sample set is too coarse for what the equation does there (checked before training)."""


class RefitWarning(UserWarning):
    """A fit missed its own checks and was redone another way (``fit(march=...)``); the message says
    how, and what the checks give now."""


class Interrupted(GluennError):
    """Training was stopped with Ctrl-C; the message says where the progress was saved and how
    to continue (``gluenn run ... --resume OUT``)."""
