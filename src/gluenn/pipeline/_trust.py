"""The ``trust`` block of a GlueNN run: every component's and member's self-checks (see
:class:`~gluenn.glue.Trust`), the coefficient read-outs against the same numbers taken from ``y``,
and the flatness of the declared constants — all without the reference solution's values."""

from __future__ import annotations

from ..glue import Check, Trust, TrustLimits


def run_trust(setup, members: list, readouts: dict, constants: dict) -> Trust:
    """The worst value of each check over components and ensemble members, plus the run's own checks."""
    worst: dict[str, Check] = {}
    multi = len(setup.components) > 1
    for fits in members:
        for comp, f in fits.items():
            for c in f.trust.checks:
                if c.name not in worst or not (c.value <= worst[c.name].value):
                    worst[c.name] = Check(c.name, c.value, c.limit, f"{comp}: {c.where}" if multi and c.where else c.where)
    checks = list(worst.values())
    gaps = {k: v["coefficients_vs_y"] for k, v in readouts.items() if "coefficients_vs_y" in v}
    if gaps:
        k = max(gaps, key=lambda n: gaps[n])
        checks.append(Check("coefficients_vs_y", gaps[k], setup.agreement_tol, k))
    if constants:
        k = max(constants, key=lambda n: constants[n]["variation"])
        checks.append(Check("constants", constants[k]["variation"], TrustLimits().plateau, k))
    return Trust(tuple(checks))
