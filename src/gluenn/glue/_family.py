"""Parametric problems: one GlueNN solution over a range of physical parameters, ``c_j(x; θ)``.

A :class:`Family` is a function ``θ -> Problem`` together with the ranges of the parameters
(:class:`Parameter`). Training fits one coefficient network per training value of θ — a grid of
Chebyshev–Lobatto nodes — each initialised from its own problem (same seed, the terms' inits at its
θ), all as one compiled program (each
member's θ, points and targets are its data); between the nodes the coefficients are the
polynomial interpolant through the members (:func:`interpolation_weights`), and the terms are
evaluated at θ itself. Why members and not one network of ``(x, θ)``: measured in
``docs/parametric.md`` (a shared network's frozen random features could not represent a
coefficient ``−1/k`` to better than 40 %; a polynomial output layer made every least-squares
Jacobian 16 times wider).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import math
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError, require
from .._limits import check_members
from ._ansatz import Ansatz, derivatives
from ._loss import UNSCALED, Loss
from ._points import Interval, Points
from ._problem import Plateau, Problem, Residual, Suppress

def lobatto(n: int) -> np.ndarray:
    """The ``n`` Chebyshev–Lobatto nodes on ``[0, 1]`` (both ends included, denser near them)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(n) / (n - 1))


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A physical parameter θ of a :class:`Family` and the range ``[lo, hi]`` it is learned over.

    `log`: the network sees ``log θ`` (and the training values are spaced in it) — the natural
    choice when θ spans decades (an annihilation strength ``1e3 … 1e6``).

    **Example:** ``Parameter("eta", 1e3, 1e6, log=True)``.
    """

    name: str
    lo: float
    hi: float
    log: bool = False

    def __post_init__(self) -> None:
        require(isinstance(self.name, str) and self.name.isidentifier(), "Parameter.name", self.name,
                "use a Python identifier, the keyword your problem function takes (e.g. 'eta')")
        try:
            lo, hi = float(self.lo), float(self.hi)
        except (TypeError, ValueError):
            lo = hi = math.nan
        require(math.isfinite(lo) and math.isfinite(hi) and lo < hi, f"Parameter({self.name}) range",
                (self.lo, self.hi), "give finite lo < hi")
        require(not self.log or lo > 0, f"Parameter({self.name}).log", self.log,
                f"a log parameter needs lo > 0 (got {lo:g}); use log=False")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)

    def grid(self, n: int) -> np.ndarray:
        """``n`` training values: Chebyshev–Lobatto nodes over the range (both ends included, denser
        near them, where an interpolant is least constrained), in ``log θ`` for a log parameter."""
        return self.value(lobatto(n))

    def value(self, u):
        """The θ at fractions `u` (``0`` … ``1``) of the range (in ``log θ`` for a log parameter);
        NumPy in, NumPy out; a JAX array (possibly traced) in, JAX out."""
        xp = jnp if isinstance(u, jax.Array) else np
        u = xp.asarray(u, dtype=xp.float64)
        if self.log:
            return xp.exp(np.log(self.lo) + u * (np.log(self.hi) - np.log(self.lo)))
        return self.lo + u * (self.hi - self.lo)

    def fraction(self, value):
        """The inverse of :meth:`value`: where `value` lies in the range, ``0`` … ``1`` (NumPy or JAX)."""
        xp = jnp if isinstance(value, jax.Array) else np
        v = xp.asarray(value, dtype=xp.float64)
        if self.log:
            return (xp.log(v) - math.log(self.lo)) / (math.log(self.hi) - math.log(self.lo))
        return (v - self.lo) / (self.hi - self.lo)

    def range(self) -> tuple[float, float, bool]:
        return (self.lo, self.hi, self.log)


@dataclasses.dataclass(frozen=True, eq=False)
class Family:
    """A :class:`~gluenn.Problem` for every value of some physical parameters θ.

    **Arguments:**

    - `problem`: ``problem(**θ) -> Problem``, called with one keyword per parameter and plain
      numbers: compute whatever the problem needs from them (a reference solution for the data,
      where to put the points). In the problem's *functions* — the terms, the equation and its
      normalisation, the sample sets' scales — θ must instead be a **keyword-only argument**
      (``lambda x, c, *, k: c[0] * jnp.cos(k * x)``): training passes it in, traced, so that one
      compiled program serves every θ. A function that reads θ from the enclosing ``problem``
      instead is detected (it would be frozen at one θ) and refused.
    - `parameters`: the :class:`Parameter` s, with their ranges.
    - `train`: training values per parameter (:meth:`Parameter.grid`); one member is trained at
      each, so training costs about `train` ** P single fits run as one program (compiled once).
      Sample sets must have the same names and numbers of points at every θ (their positions may
      move). How many are enough is checked, not assumed: the fit's trust looks between them.
    - `max_train`: while the trust fails, training is repeated with ``2·train − 1`` values per
      parameter (the old nodes among the new), up to `max_train` (``= train``: never). Measured on
      a damped oscillator over ζ ∈ [0.1, 0.9]: 8 values flagged (y off by 2.6e-4 between them),
      15–16 trusted and right to 3e-10 (``docs/parametric.md``).

    **Example:**

    ```python
    def decay(k):
        return gn.Problem([gn.Term("y", lambda x, c: c[0])], gn.Equation(lambda x, y, dy, *, k: dy + k * y),
                          [gn.Data(gn.points([0.0]), [1.0]), gn.Residual(gn.linspace(0, 2, 200))], (0, 2))
    fit = gn.fit(gn.Family(decay, [gn.Parameter("k", 0.5, 5)]))
    fit.y([1.0], k=[0.7, 2.0])   # shape (2, 1)
    ```
    """

    problem: Callable[..., Problem]
    parameters: tuple[Parameter, ...]
    train: int = 8
    max_train: int = 29

    def __post_init__(self) -> None:
        params = (self.parameters,) if isinstance(self.parameters, Parameter) else tuple(self.parameters)
        object.__setattr__(self, "parameters", params)
        require(callable(self.problem), "Family.problem", self.problem, "pass a function problem(**theta) -> Problem")
        require(len(params) >= 1 and all(isinstance(p, Parameter) for p in params), "Family.parameters", params,
                "give one or more gluenn.Parameter(name, lo, hi)")
        names = self.names
        require(len(set(names)) == len(names), "Family.parameters", names, "parameter names must be unique")
        require(isinstance(self.train, int) and not isinstance(self.train, bool) and self.train >= 2,
                "Family.train", self.train, "use at least 2 training values per parameter, e.g. 16")
        check_members(f"Family.train={self.train} over {len(params)} parameter(s)", self.train ** len(params))
        require(isinstance(self.max_train, int) and not isinstance(self.max_train, bool) and self.max_train >= self.train,
                "Family.max_train", self.max_train, f"use a whole number >= train ({self.train}); = train: no refinement")
        _check_signature(self.problem, names)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def ranges(self) -> tuple:
        """``((lo, hi, log), ...)``, what the network normalises θ with."""
        return tuple(p.range() for p in self.parameters)

    def training_values(self) -> np.ndarray:
        """The training grid, shape ``(train ** P, P)``: the product of every parameter's grid."""
        grids = np.meshgrid(*[p.grid(self.train) for p in self.parameters], indexing="ij")
        return np.stack([g.ravel() for g in grids], axis=1)

    def middle(self) -> np.ndarray:
        """θ at the middle of every range (shape ``(P,)``): where the problem's structure is read."""
        return np.array([float(p.value(0.5)) for p in self.parameters])

    def vector(self, values: dict) -> np.ndarray:
        """``{name: value}`` as θ of shape ``(P,)``, each inside its range (else a ConfigError)."""
        unknown = sorted(set(values) - set(self.names))
        require(not unknown, "parameter", unknown, f"this family's parameters are {self.names}")
        out = []
        for p in self.parameters:
            require(p.name in values, p.name, "missing", f"give {p.name}=VALUE (the family has {self.names})")
            v = float(values[p.name])
            slack = 1e-12 * (p.hi - p.lo)
            require(math.isfinite(v) and p.lo - slack <= v <= p.hi + slack, p.name, v,
                    f"the model was trained on [{p.lo:g}, {p.hi:g}] only; choose a value inside it")
            out.append(v)
        return np.array(out)

    def raw(self, theta) -> Problem:
        """What `problem` returns at the numbers θ (shape ``(P,)``): its functions still take θ."""
        problem = self.problem(**{n: float(theta[i]) for i, n in enumerate(self.names)})
        require(isinstance(problem, Problem), "Family.problem", type(problem).__name__, "return a gluenn.Problem")
        return problem

    def at(self, theta) -> Problem:
        """The ordinary problem at the numbers θ (shape ``(P,)``): :meth:`raw` with θ bound."""
        return bind(self.raw(theta), self.names, theta)


def _check_signature(fn, names: list[str]) -> None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(**{n: 1.0 for n in names})
    except TypeError:
        raise ConfigError(f"Family.problem={getattr(fn, '__name__', fn)!r} is invalid: it cannot be called as "
                          f"problem({', '.join(n + '=...' for n in names)}); take one keyword per parameter") from None


def _keywords(fn, names: Sequence[str], label: str) -> list[str]:
    """The parameters among `names` that `fn` takes as keyword-only arguments (a positional one is refused)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return []
    for n in names:
        if n in params and params[n].kind != params[n].KEYWORD_ONLY:
            raise ConfigError(f"{label} is invalid: it takes the parameter {n!r} positionally; make it keyword-only, "
                              f"after a *: e.g. lambda x, c, *, {n}: ...")
    return [n for n in names if n in params]


def _bound(fn, names: Sequence[str], theta, label: str):
    keys = _keywords(fn, names, label) if callable(fn) else []
    return functools.partial(fn, **{n: theta[names.index(n)] for n in keys}) if keys else fn


def bind(problem: Problem, names: Sequence[str], theta) -> Problem:
    """`problem` with θ (shape ``(P,)``, numbers or traced) passed to every function that takes one
    of `names` as a keyword-only argument: terms, the equation and its normalisation, the
    normalisation of :class:`~gluenn.Residual` sets and the scales of suppression and plateau sets."""
    names = list(names)
    terms = [dataclasses.replace(t, fn=_bound(t.fn, names, theta, f"Term({t.name}).fn")) for t in problem.terms]
    eq = problem.equation
    equation = dataclasses.replace(eq, residual=_bound(eq.residual, names, theta, "Equation.residual"),
                                   normalisation=_bound(eq.normalisation, names, theta, "Equation.normalisation"))
    samples = []
    for s in problem.samples:
        field = "normalisation" if isinstance(s, Residual) else "scale" if isinstance(s, (Suppress, Plateau)) else None
        if field is not None and callable(getattr(s, field)):
            s = dataclasses.replace(s, **{field: _bound(getattr(s, field), names, theta, f"{s.name}.{field}")})
        samples.append(s)
    return dataclasses.replace(problem, terms=tuple(terms), equation=equation, samples=tuple(samples))


def same_structure(base: Problem, other: Problem, where: str) -> None:
    """Raise a ConfigError naming the first thing in which `other` differs from `base` beyond what
    may vary with θ (the functions' θ, the targets, the points' positions, the terms' inits)."""
    def layout(p):
        return [(t.name, t.coefficients, t.positive) for t in p.terms]
    checks = [("terms", layout(base), layout(other)), ("domain", base.domain, other.domain),
              ("sample sets", [(type(s).__name__, s.name, len(s.points.values()), s.weight) for s in base.samples],
               [(type(s).__name__, s.name, len(s.points.values()), s.weight) for s in other.samples]),
              ("equation order", base.equation.order, other.equation.order)]
    for name, a, b in checks:
        if a != b:
            raise ConfigError(f"Family.problem is invalid: its {name} {'differs' if name in ('domain', 'equation order') else 'differ'} at {where} ({b}) from the middle "
                              f"of the range ({a}); only θ in the functions, the targets and the positions of "
                              "the points may vary")
    for a, b in zip(base.samples, other.samples):
        for f in dataclasses.fields(a) if dataclasses.is_dataclass(a) else ():
            va, vb = getattr(a, f.name), getattr(b, f.name)
            if f.name in ("points", "target") or callable(va) or callable(vb) or _same(va, vb):
                continue
            raise ConfigError(f"Family.problem is invalid: {a.name}.{f.name} is {vb!r} at {where} and {va!r} at the "
                              "middle of the range; training would use one value for all: make it a function that "
                              "takes the parameter as a keyword-only argument, or keep it fixed")


def _same(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b))) if not isinstance(a, (str, tuple)) else a == b
    except (TypeError, ValueError):
        return a == b


def same_functions(template: Problem, own: Problem, where: str) -> None:
    """Raise a ConfigError if a function of `own` (the problem built at θ, θ bound) — a term, the
    equation, a normalisation, a suppression or plateau scale — differs from `template`'s with the
    same θ bound: it then reads θ from its enclosing function, and would be frozen at one θ in
    training. Probed at three points (terms with their initial constants + 0.37)."""
    lo, hi = template.domain
    xs = [lo + f * (hi - lo) for f in (0.23, 0.51, 0.87)]
    pairs = [(f"Term({t.name}).fn", lambda x, f=t.fn, t=t: f(x, jnp.asarray(t.initial_values() + 0.37)),
              lambda x, f=u.fn, t=t: f(x, jnp.asarray(t.initial_values() + 0.37)))
             for t, u in zip(template.terms, own.terms)]
    n = template.equation.order + 1
    args = [0.31 + 0.17 * k for k in range(n)]
    pairs.append(("Equation.residual", lambda x: template.equation.residual(x, *args),
                  lambda x: own.equation.residual(x, *args)))
    if callable(template.equation.normalisation):
        pairs.append(("Equation.normalisation", lambda x: template.equation.normalisation(x, 0.3),
                      lambda x: own.equation.normalisation(x, 0.3)))
    for s, u in zip(template.samples, own.samples):
        if isinstance(s, Residual) and callable(s.normalisation):
            pairs.append((f"{s.name}.normalisation", lambda x, f=s.normalisation: f(x, 0.3),
                          lambda x, f=u.normalisation: f(x, 0.3)))
        if isinstance(s, (Suppress, Plateau)) and callable(s.scale):
            pairs.append((f"{s.name}.scale", s.scale, u.scale))
    for label, a, b in pairs:
        va = np.array([np.asarray(a(jnp.asarray(x)), dtype=np.float64) for x in xs])
        vb = np.array([np.asarray(b(jnp.asarray(x)), dtype=np.float64) for x in xs])
        if not np.allclose(va, vb, rtol=1e-9, atol=1e-300, equal_nan=True):
            raise ConfigError(f"{label} is invalid: in a Family, at {where} it gives {vb.ravel()[0]:.6g} where the "
                              f"same function with the parameters passed as keywords gives {va.ravel()[0]:.6g}; it "
                              "reads a parameter from its enclosing function instead of taking it as a keyword-only "
                              "argument (lambda x, c, *, NAME: ...), so training would freeze it at one value")


class FamilyLoss(Loss):
    """The loss of one member of a :class:`Family`: the problem at one training θ, with θ, the sample
    points, the targets and the data scales as *data* (``(θ, points, targets, data scales)``), so that
    every member runs the same compiled program (:func:`~gluenn.engine.optimise` with
    ``member_data=True``). A :class:`~gluenn.Loss` whose residuals are that member's (its terms,
    rows and total follow from them).

    Construction builds the problem at every training θ and checks it has the structure and the
    functions of the template, the problem built at the middle of the range (:func:`same_structure`,
    :func:`same_functions`); :attr:`data` then stacks every member's data on a leading axis.
    """

    def __init__(self, family: Family):
        self.family = family
        self.thetas = family.training_values()
        mid = family.middle()
        self.template = family.raw(mid)
        self.problem = bind(self.template, family.names, mid)
        self._base = Loss(self.problem)
        self.names, self.weights = self._base.names, self._base.weights
        losses, self.problems = [], []
        for th in self.thetas:
            where, own = _describe(family, th), family.at(th)
            same_structure(self.problem, own, where)
            same_functions(bind(self.template, family.names, th), own, where)
            losses.append(Loss(own))
            self.problems.append(own)
        self._data = (jnp.asarray(self.thetas),
                      [jnp.asarray(np.stack([loss.points[i] for loss in losses])) for i in range(len(self.names))],
                      [None if t is None else jnp.stack([loss.data[i] for loss in losses])
                       for i, t in enumerate(self._base.data)],
                      {k: jnp.asarray([loss.data_scales[k] for loss in losses]) for k in self._base.data_scales})
        self._member = None

    @property
    def data(self) -> tuple:
        """``(θ (T, P), points [(T, N_s)], targets [(T, N_s) or None], data scales {set: (T,)})``; for a
        bound member (:meth:`with_data`), its own slice."""
        return self._data if self._member is None else self._member

    def member(self, k: int) -> tuple:
        """Member `k`'s slice of :attr:`data`."""
        return jax.tree_util.tree_map(lambda a: a[k], self._data)

    def with_data(self, data: tuple) -> "FamilyLoss":
        """This loss for the member whose (possibly traced) slice of :attr:`data` is `data`."""
        other = copy.copy(self)
        other._member = data
        return other

    def _bound(self):
        require(self._member is not None, "FamilyLoss", "unbound", "bind a member first: loss.with_data(loss.member(k))")
        theta, points, targets, scales = self._member
        problem = bind(self.template, self.family.names, theta)
        return self._base.rebound(problem, points, targets, scales), problem.terms

    def residuals(self, ansatz, reference=None) -> dict:
        loss, terms = self._bound()
        return loss.residuals(_with_terms(ansatz, terms), _with_terms(reference, terms))

    def scales(self, reference) -> dict:
        loss, terms = self._bound()
        return loss.scales(_with_terms(reference, terms))

    def row_scales(self, reference):
        loss, terms = self._bound()
        return loss.row_scales(_with_terms(reference, terms))



class ParametricEquation(eqx.Module):
    """The template's equation with θ as an array leaf (not baked in): what the trust evaluates the
    residual with, so that one compiled check serves every θ of a :class:`Family`."""

    template: object = eqx.field(static=True)  # the template problem's Equation (its residual takes θ)
    names: tuple = eqx.field(static=True)
    theta: jax.Array

    @property
    def order(self) -> int:
        return self.template.order

    def residual(self, x, *derivs):
        return _bound(self.template.residual, list(self.names), self.theta, "Equation.residual")(x, *derivs)


def _with_terms(ansatz, terms):
    """`ansatz` with the terms of one member's problem (``None`` and :data:`UNSCALED` pass through)."""
    if ansatz is None or ansatz is UNSCALED:
        return ansatz
    return type(ansatz)(ansatz.net, tuple(terms))


class InterpolatedNet(eqx.Module):
    """The members' coefficient networks (stacked on a leading axis ``T``) combined with `weights`
    ``(T,)``: ``net(x) = Σ_k weights_k · net_k(x)``, the raw coefficients interpolated in θ (before the
    ``exp`` of positive terms, so that a coefficient spanning decades is interpolated in its log)."""

    members: eqx.Module
    weights: jax.Array

    def __call__(self, x):
        return self.weights @ jax.vmap(lambda net: net(x))(self.members)


class InterpolatedAnsatz(eqx.Module):
    """A :class:`Family` 's model at one θ between its training values, with the methods of an
    :class:`~gluenn.Ansatz` (so that a :class:`~gluenn.Fit`, its solution and its trust work on it).

    - ``y`` (and its derivatives) is the interpolant of the **members' solutions**,
      ``Σ_k L_k(θ) y_k(x)``, each ``y_k`` with its own θ_k: ``y`` does not depend on how a member
      splits it among the terms where nothing fixes the split (measured on freeze-out: interpolating
      the coefficients instead gave ``y`` off by 30 % between 8 nodes where the terms overlap; ``y``
      itself interpolates to 3.5e-4, ``docs/parametric.md``).
    - the coefficients are the interpolant of the members' raw coefficients, and the terms are
      evaluated with them at θ: meaningful where the problem's plateau and suppression sets fix the
      split (and checked there by the trust); elsewhere the terms need not add up to ``y``.
    """

    members: eqx.Module  # the members' networks, stacked on a leading axis T
    thetas: jax.Array    # (T, P) their training values
    weights: jax.Array   # (T,) interpolation weights L_k(θ)
    theta: jax.Array     # (P,)
    template: Problem = eqx.field(static=True)  # its functions still take θ as keywords
    names: tuple = eqx.field(static=True)

    @property
    def terms(self) -> tuple:
        return bind(self.template, self.names, self.theta).terms

    def raw(self, x):
        return InterpolatedNet(self.members, self.weights)(x)

    def coefficient_vectors(self, x) -> dict:
        return Ansatz(InterpolatedNet(self.members, self.weights), self.terms).coefficient_vectors(x)

    def term_values(self, x) -> dict:
        return Ansatz(InterpolatedNet(self.members, self.weights), self.terms).term_values(x)

    def y(self, x):
        own = lambda net, theta: Ansatz(net, bind(self.template, self.names, theta).terms).y(x)  # noqa: E731
        return self.weights @ jax.vmap(own)(self.members, self.thetas)

    def derivatives(self, x, order: int) -> tuple:
        return derivatives(self.y, x, order)


def interpolation_weights(family: Family, theta):
    """The weights ``L_k(θ)`` (shape ``(T,)``, summing to 1) of the training values in the
    interpolant through them: the product over the parameters of barycentric Lagrange weights at
    the Chebyshev–Lobatto nodes of :meth:`Parameter.grid`, in ``log θ`` for a log parameter.
    Exactly ``δ_k`` at a training value. `theta` (shape ``(P,)``) may be traced."""
    n = family.train
    nodes = jnp.asarray(lobatto(n))
    bary = jnp.asarray([(-1.0) ** k * (0.5 if k in (0, n - 1) else 1.0) for k in range(n)])
    out = jnp.ones((1,))
    for i, p in enumerate(family.parameters):
        diff = p.fraction(jnp.asarray(theta[i])) - nodes
        exact = diff == 0
        safe = bary / jnp.where(exact, 1.0, diff)
        w = jnp.where(jnp.any(exact), exact.astype(jnp.float64), safe / jnp.sum(safe))
        out = jnp.reshape(out[:, None] * w[None, :], (-1,))
    return out


def common_gauge(problems: Sequence[Problem]) -> dict[str, tuple[float, float]]:
    """``{set name: (lo, hi)}``: the part of x that every problem's :class:`~gluenn.Plateau` or
    :class:`~gluenn.Suppress` set of that name spans (sets with no common part are left out).

    Between training values a coefficient is the interpolant of every member's: it means what a
    gauge set says only where *every* member was held to that set. Where such a region moves with
    θ (freeze-out's early suppression region, the dark photon's early plateau) the members outside
    it split ``y`` among the terms freely, and the interpolated coefficient there is not the
    gauge's (measured: plateau variation 2.1 on the dark photon between nodes)."""
    spans: dict[str, tuple[float, float]] = {}
    for problem in problems:
        for s in problem.samples:
            if isinstance(s, (Plateau, Suppress)):
                x = s.points.values()
                lo, hi = spans.get(s.name, (-math.inf, math.inf))
                spans[s.name] = (max(lo, float(x.min())), min(hi, float(x.max())))
    return {k: v for k, v in spans.items() if v[0] < v[1]}


def restrict_gauge(problem: Problem, common: dict) -> Problem:
    """`problem` with its plateau and suppression sets cut to `common` (:func:`common_gauge`); a set
    left with fewer than two points is dropped."""
    samples = []
    for s in problem.samples:
        if isinstance(s, (Plateau, Suppress)):
            cut = _cut(s.points, *common.get(s.name, (math.inf, -math.inf)))
            if len(cut) < 2:
                continue
            s = dataclasses.replace(s, points=cut)
        samples.append(s)
    return dataclasses.replace(problem, samples=tuple(samples))


def _cut(pts: Points, lo: float, hi: float) -> Points:
    """The points of `pts` inside ``[lo, hi]``, each interval still its own piece (a plateau may
    hold a different constant on each: the plane waves left and right of a barrier)."""
    pieces = []
    for iv in pts.intervals:
        x = iv.values()
        keep = x[(x >= lo) & (x <= hi)]
        if keep.size:
            pieces.append(Interval(float(keep[0]), float(keep[-1]), int(keep.size), iv.spacing))
    explicit = tuple(v for v in pts.explicit if lo <= v <= hi)
    return Points(tuple(pieces), explicit)


def _describe(family: Family, theta: Sequence[float]) -> str:
    return ", ".join(f"{n}={float(v):.6g}" for n, v in zip(family.names, theta))
