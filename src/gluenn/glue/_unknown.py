"""Unknown physical parameters trained with the coefficients: the inverse problem in one fit
(route b of issue 19).

A problem whose functions take θ as a keyword-only argument (as for a :class:`Family`) and whose
data include an observation is fitted with θ as trainable scalars: ``θ = value(sigmoid(s))`` for
each :class:`Parameter` (inside its range by construction), ``s`` trained with the output layers
by the same phases (a Gauss–Newton phase takes ``s`` into its Jacobian). The interval comes from
two more fits, warm-started at the answer, with the observation moved by ∓σ.
"""

from __future__ import annotations

from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError, require
from ._ansatz import Ansatz, CoefficientNet, derivatives
from ._family import Parameter, bind
from ._loss import UNSCALED, Loss
from ._problem import Data, Problem


class UnknownAnsatz(eqx.Module):
    """An :class:`~gluenn.Ansatz` and the unknown parameters θ trained with it (the methods of an
    ansatz, with the problem's functions bound to the current θ)."""

    net: CoefficientNet
    s: jax.Array  # (P,) θ = value(sigmoid(s)) per parameter
    template: Problem = eqx.field(static=True)
    parameters: tuple = eqx.field(static=True)
    #: θ held where it is (no gradient, not in a least-squares Jacobian), yet an argument of the
    #: compiled programs, not a constant: fits at many θ share one compilation
    frozen: bool = eqx.field(static=True, default=False)

    def theta(self) -> jax.Array:
        """θ, shape ``(P,)``."""
        u = jax.nn.sigmoid(jax.lax.stop_gradient(self.s) if self.frozen else self.s)
        return jnp.stack([p.value(u[i]) for i, p in enumerate(self.parameters)])

    @property
    def terms(self) -> tuple:
        return bind(self.template, [p.name for p in self.parameters], self.theta()).terms

    def plain(self) -> Ansatz:
        return Ansatz(self.net, self.terms)

    def raw(self, x):
        return self.net(x)

    def coefficient_vectors(self, x) -> dict:
        return self.plain().coefficient_vectors(x)

    def term_values(self, x) -> dict:
        return self.plain().term_values(x)

    def y(self, x):
        return self.plain().y(x)

    def derivatives(self, x, order: int) -> tuple:
        return derivatives(self.y, x, order)


class UnknownLoss(Loss):
    """The :class:`~gluenn.Loss` of `template` with its θ read from the :class:`UnknownAnsatz`
    evaluated (rows, terms and total follow from :meth:`residuals`)."""

    def __init__(self, template: Problem, parameters: Sequence[Parameter]):
        self.template, self.parameters = template, tuple(parameters)
        self.names_theta = [p.name for p in self.parameters]
        middle = np.array([float(p.value(0.5)) for p in self.parameters])
        super().__init__(bind(template, self.names_theta, middle))
        self._base = Loss(self.problem)

    def _at(self, ansatz) -> Loss:
        """A plain :class:`~gluenn.Loss` of the problem at the ansatz's θ, over this loss's targets."""
        problem = bind(self.template, self.names_theta, ansatz.theta())
        points, targets = [x for x, _ in self._arrays], [t for _, t in self._arrays]
        return self._base.rebound(problem, points, targets, self.data_scales)

    def residuals(self, ansatz, reference=None) -> dict:
        ref = reference if reference is None or reference is UNSCALED else reference.plain()
        return self._at(ansatz).residuals(ansatz.plain(), ref)

    def scales(self, reference) -> dict:
        return self._at(reference).scales(reference.plain())

    def row_scales(self, reference):
        return self._at(reference).row_scales(reference.plain())


def check_unknowns(problem: Problem, parameters) -> tuple[Parameter, ...]:
    """`parameters` as a tuple of :class:`Parameter` s whose names some function of `problem`
    takes as a keyword (else a ConfigError: nothing would depend on them), and at least one
    :class:`~gluenn.Data` set (the observation)."""
    params = (parameters,) if isinstance(parameters, Parameter) else tuple(parameters)
    require(len(params) >= 1 and all(isinstance(p, Parameter) for p in params), "unknowns", params,
            "give one or more gluenn.Parameter(name, lo, hi)")
    require(any(isinstance(s, Data) for s in problem.samples), "unknowns", [p.name for p in params],
            "the problem needs data (the observation) to infer a parameter from")
    for p in params:
        probe = bind(problem, [p.name], np.array([p.value(0.5)]))
        if probe == problem or _unchanged(problem, probe):
            raise ConfigError(f"unknowns={p.name!r} is invalid: no term, equation or scale of the problem takes "
                              f"{p.name} as a keyword-only argument (lambda x, y, dy, *, {p.name}: ...), so nothing "
                              "depends on it")
    return params


def _unchanged(a: Problem, b: Problem) -> bool:
    fns = lambda p: [t.fn for t in p.terms] + [p.equation.residual, p.equation.normalisation] + \
        [getattr(s, f, None) for s in p.samples for f in ("normalisation", "scale")]  # noqa: E731
    return all(x is y for x, y in zip(fns(a), fns(b)))
