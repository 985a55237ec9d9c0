"""Before training: every loss row must be finite at the initial coefficients, or the user is told
which term, equation or normalisation is not, at which ``x`` — not a NaN loss after the fact."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError
from ._ansatz import derivatives
from ._loss import Loss
from ._problem import Data, Problem, Residual


def explain_non_finite(problem: Problem, ansatz) -> ConfigError | None:
    """``None`` if every sample set's residual is finite at `ansatz`; otherwise the
    :class:`ConfigError` that names the first culprit (cost: one evaluation of the loss rows,
    then a few scalar evaluations at the offending point)."""
    loss = Loss(problem)
    residuals = jax.jit(loss.residuals)(ansatz)
    for s, x in zip(problem.samples, loss.points):
        r = np.asarray(residuals[s.name]).reshape(len(x), -1)
        bad = np.flatnonzero(~np.all(np.isfinite(r), axis=1))
        if bad.size:
            field, what = _culprit(problem, ansatz, s, float(x[bad[0]]))
            return ConfigError(f"{field} is invalid: {what} ({bad.size} of the {len(x)} points of sample set "
                               f"{s.name!r} are affected); fix the function or keep the sample points where it is finite")
    return None


def _culprit(problem: Problem, ansatz, s, x: float) -> tuple[str, str]:
    """``(field, what is wrong)`` at the point ``x`` of sample set ``s``."""
    order = problem.equation.order if isinstance(s, Residual) else 0
    xj = jnp.asarray(x)
    cs = ansatz.coefficient_vectors(xj)
    for t in problem.terms:
        c = np.asarray(cs[t.name])
        if not np.all(np.isfinite(c)):
            return f"Term({t.name}).init", f"its coefficients are {c.tolist()} at x={x!r}"
        values = derivatives(lambda u, t=t: ansatz.term_values(u)[t.name], xj, order)
        for k, v in enumerate(values):
            if not np.isfinite(float(v)):
                what = "value" if k == 0 else f"derivative of order {k}"
                return (f"Term({t.name}).fn", f"it is not finite at x={x!r}: its {what} is {float(v)!r} "
                        f"(coefficients {t.name}.{{{', '.join(t.coefficients)}}} = {c.tolist()})")
    if isinstance(s, Data) or not isinstance(s, Residual):
        return f"sample set {s.name!r}", f"its residual is not finite at x={x!r}"
    y = ansatz.derivatives(xj, order)
    r = float(problem.equation.residual(xj, *y))
    shown = ", ".join(f"{n}={float(v):.4g}" for n, v in zip(["y", "dy", "d2y", "d3y", "d4y"], y))
    if not np.isfinite(r):
        return "Equation.residual", f"it is {r!r} at x={x!r} ({shown})"
    norm = s.norm(problem.equation)
    if not callable(norm):
        return "Equation.normalisation", f"the equation's own scale is not finite near x={x!r} ({shown})"
    n = float(norm(xj, y[0]))
    return "Equation.normalisation", f"N(x, y) is {n!r} at x={x!r} ({shown}) and the residual divides by it"
