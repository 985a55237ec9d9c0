"""What a physicist declares: asymptotic terms, the equation, the sample sets, the problem.

A GlueNN ansatz is ``y(x) = sum_j f_j(x; c_j(x))`` (paper eq. 3): each :class:`Term` is an
asymptotic solution ``f_j`` with its integration constants promoted to functions ``c_j(x)``
that a network outputs. The :class:`Equation` supplies the residual ``D[y]``; the sample sets
(:class:`Data`, :class:`Residual`, :class:`Suppress`) define the loss (paper eqs. 5-8).
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError, require
from ._points import Points, as_points


@dataclasses.dataclass(frozen=True, eq=False)
class Term:
    """One asymptotic solution ``f(x; c)`` whose constants ``c`` become functions ``c(x)``.

    **Arguments:**

    - `name`: a unique label (``"equilibrium"``, ``"growing"``, ``"plane_cos"``).
    - `fn`: ``fn(x, c) -> f``, with scalar ``x`` and ``c`` a vector of shape ``(len(coefficients),)``.
      It must be written with ``jax.numpy`` and return a scalar.
    - `coefficients`: names of the constants, one network trunk each (default one, ``"c"``).
    - `positive`: if true the network output ``u`` enters as ``c = exp(u)`` (paper eq. 12): the
      constants stay positive and can span decades.
    - `init`: the value(s) each constant should start near (after ``exp`` when `positive`). It
      sets the trunk's output bias; a good order of magnitude speeds training a lot. May also be
      a function ``init(x) -> (N, n)`` array (or ``(N,)`` for one coefficient) of starting
      coefficient *functions* — e.g. from a matched asymptotic solution; the trunks' output
      layers are then least-squares fitted to it before training.

    **Example:**

    ```python
    Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=0.145)
    ```
    """

    name: str
    fn: Callable[[Any, Any], Any]
    coefficients: tuple[str, ...] = ("c",)
    positive: bool = False
    init: float | tuple[float, ...] | Callable | None = None

    def __post_init__(self) -> None:
        require(isinstance(self.name, str) and self.name.isidentifier(), "Term.name", self.name,
                "use a Python identifier such as 'equilibrium'")
        require(callable(self.fn), f"Term({self.name}).fn", self.fn, "pass a function fn(x, c)")
        coeffs = tuple(self.coefficients)
        object.__setattr__(self, "coefficients", coeffs)
        require(len(coeffs) >= 1 and len(set(coeffs)) == len(coeffs), f"Term({self.name}).coefficients",
                coeffs, "give one or more distinct names")
        if self.init is not None and not callable(self.init):
            try:
                vals = np.asarray(self.init, dtype=np.float64)
            except (TypeError, ValueError):
                vals = None
            require(vals is not None and vals.ndim <= 1 and vals.size in (1, len(coeffs)), f"Term({self.name}).init",
                    self.init, f"give one number, or one per coefficient ({len(coeffs)}: {', '.join(coeffs)})")

    @property
    def n(self) -> int:
        return len(self.coefficients)

    def initial_values(self) -> np.ndarray:
        """The starting constants, shape ``(n,)`` (physical values, i.e. after ``exp``)."""
        if self.init is None:
            return np.full(self.n, 1.0 if self.positive else 0.0)
        if callable(self.init):
            return np.full(self.n, 1.0 if self.positive else 0.0)  # refined by init_functions
        vals = np.broadcast_to(np.asarray(self.init, dtype=np.float64), (self.n,)).copy()
        require(bool(np.all(np.isfinite(vals))), f"Term({self.name}).init", self.init, "give finite numbers")
        if self.positive:
            require(bool(np.all(vals > 0)), f"Term({self.name}).init", self.init,
                    "a positive (exponentiated) coefficient needs init > 0")
        return vals

    def raw_init(self) -> np.ndarray:
        """The network-output value that produces :meth:`initial_values`."""
        vals = self.initial_values()
        return np.log(vals) if self.positive else vals

    def raw_init_function(self, x: np.ndarray) -> np.ndarray | None:
        """Starting raw coefficients on ``x``, shape ``(N, n)``, if `init` is a function."""
        if not callable(self.init):
            return None
        vals = np.asarray(self.init(np.asarray(x)), dtype=np.float64).reshape(len(x), -1)
        require(vals.shape == (len(x), self.n) and bool(np.all(np.isfinite(vals))), f"Term({self.name}).init",
                f"shape {vals.shape}", f"return finite values of shape (N, {self.n})")
        if self.positive:
            require(bool(np.all(vals > 0)), f"Term({self.name}).init", "values <= 0",
                    "a positive coefficient needs init(x) > 0")
            return np.log(vals)
        return vals


@dataclasses.dataclass(frozen=True)
class EquationScale:
    """The equation's own scale, the default normalisation of the residual: ``D / S`` with

        S(x) = Σ_k |∂D/∂y⁽ᵏ⁾ · y⁽ᵏ⁾| + |D(x, 0, …, 0)|,

    the size of the terms that must cancel (the same scale the trust check uses), taken from the
    current solution with no gradient through it and smoothed as a moving root-mean-square over
    `window` sample points on each side (so that it does not vanish at the nodes of an oscillating
    ``y``); at most ``1e6`` times smaller than its largest value on the set. Every residual row is
    then relative, whatever the units of ``x`` and ``y`` and however ``y`` grows or decays, and for
    a linear equation the rows stay linear in the coefficients at a fixed scale: least-squares
    trainers re-solve with the scale refreshed (:class:`~gluenn.engine.Lexicographic`).
    """

    window: int = 8

    def __post_init__(self) -> None:
        require(isinstance(self.window, int) and not isinstance(self.window, bool) and self.window >= 0,
                "EquationScale.window", self.window, "use a number of points >= 0, e.g. 8")


@dataclasses.dataclass(frozen=True, eq=False)
class Equation:
    """An ordinary differential equation ``D[y](x) = 0`` of order ``n``.

    **Arguments:**

    - `residual`: ``residual(x, y, dy, ..., d^n y) -> D`` for scalar arguments, written with
      ``jax.numpy``. The order is the number of arguments minus two unless given.
    - `normalisation`: the residual loss uses ``(D / N)^2`` (paper eq. 7). Default:
      :class:`EquationScale` ``()``, the size of the equation's own terms at the current solution
      (no units, no weight to choose). Or your own ``N(x, y)``, e.g. ``lambda x, y: y`` for a
      relative residual; ``None`` for none (``D`` in the units of the equation).
    - `order`: the order ``n`` if the signature cannot tell (``*args`` functions).

    Derivatives of the ansatz with respect to ``x`` are taken by forward-mode autodiff.
    """

    residual: Callable[..., Any]
    normalisation: "Callable[[Any, Any], Any] | EquationScale | None" = EquationScale()
    order: int | None = None

    def __post_init__(self) -> None:
        require(callable(self.residual), "Equation.residual", self.residual,
                "pass a function residual(x, y, dy, ...)")
        order = self.order
        if order is None:
            try:
                params = inspect.signature(self.residual).parameters.values()
            except (TypeError, ValueError):
                params = None
            if params is None or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
                raise ConfigError("Equation.order=None is invalid: the residual's signature does "
                                  "not tell the order; pass order=n")
            # keyword-only arguments are a Family's parameters, not derivatives
            order = len([p for p in params if p.kind != p.KEYWORD_ONLY]) - 2
        require(isinstance(order, int) and order >= 1, "Equation.order", order,
                "the residual takes (x, y, dy, ...) with at least one derivative")
        object.__setattr__(self, "order", order)
        require(self.normalisation is None or callable(self.normalisation) or isinstance(self.normalisation, EquationScale),
                "Equation.normalisation", self.normalisation,
                "pass a function N(x, y), gluenn.EquationScale() (the default) or None")

    def explicit(self, x, state) -> tuple:
        """The equation solved for its highest derivative, as SciPy's integrators take it:
        ``(state', bend)`` at a scalar ``x`` for ``state = (y, …, y⁽ⁿ⁻¹⁾)`` (shape ``(n,)``), with
        ``state' = (y', …, y⁽ⁿ⁾)`` and ``y⁽ⁿ⁾ = −D(x, …, 0) / ∂D/∂y⁽ⁿ⁾``. Exact where ``D`` is linear in
        ``y⁽ⁿ⁾``; ``bend`` says how far from linear it is, ``(D(…, 1) − D(…, 0) − ∂D/∂y⁽ⁿ⁾) / max(|∂D/∂y⁽ⁿ⁾|, 1)``:
        0 when linear, NaN where ``∂D/∂y⁽ⁿ⁾`` vanishes (a singular point). Written with ``jax.numpy``
        (trace it, ``jit`` it, ``vmap`` it); cost: two evaluations of the residual and one derivative."""
        n = self.order

        def d(top):
            return jnp.reshape(self.residual(x, *[state[i] for i in range(n)], top), ())
        slope = jax.grad(d)(0.0)
        bend = (d(1.0) - d(0.0) - slope) / jnp.maximum(jnp.abs(slope), 1.0)
        return jnp.append(state[1:], -d(0.0) / slope), jnp.where(slope == 0, jnp.nan, bend)

    def is_explicit_at(self, x: float, state) -> bool:
        """Whether :meth:`explicit` is exact at ``x`` and ``state``: ``D`` linear in ``y⁽ⁿ⁾`` there
        (to 1e-8 of its coefficient) with a nonzero coefficient."""
        bend = float(jax.jit(self.explicit)(x, jnp.asarray(state, dtype=jnp.float64))[1])
        return bool(np.isfinite(bend) and abs(bend) <= 1e-8)


class SampleSet(abc.ABC):
    """A loss term: a set of points, a weight ``λ`` and a pointwise residual ``r(x)``.

    Subclass to add a new kind of constraint; implement :meth:`residual`. The loss term is
    ``λ · mean_x r(x)²`` (paper eqs. 6-8); least-squares trainers use the rows
    ``sqrt(λ/N) · r(x_i)`` directly.

    ``priority`` says what the set is for, which automatic weights (``--weights auto``) respect
    in place of ``λ``: 0 — it determines the solution ``y`` (data, the equation); 1 — a gauge:
    it only chooses how ``y`` is split among the terms' coefficients (suppression, plateau);
    2 — a tie-breaker among gauge choices (a weak magnitude penalty). Each level gets
    ``gauge`` (1e-6) times the weight of the one above (:class:`~gluenn.engine.NTKBalance`).
    """

    name: str
    points: Points
    weight: float
    priority: int = 0

    def _check(self) -> None:
        require(isinstance(self.name, str) and self.name != "", "SampleSet.name", self.name,
                "give the set a non-empty name")
        require(isinstance(self.weight, (int, float)) and math.isfinite(self.weight) and self.weight >= 0,
                f"{self.name}.weight", self.weight, "loss weights must be finite and >= 0")
        require(isinstance(self.priority, int) and not isinstance(self.priority, bool) and self.priority >= 0,
                f"{self.name}.priority", self.priority, "use 0 (fit), 1 (gauge) or a larger integer (tie-breaker)")

    def _init_term_set(self, prefix: str) -> None:
        """Normalise ``terms`` (a name or names), ``points`` and a default name, then check."""
        terms = (self.terms,) if isinstance(self.terms, str) else tuple(self.terms)
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "points", as_points(self.points))
        if not self.name:
            object.__setattr__(self, "name", prefix + "_".join(terms))
        require(len(terms) >= 1, f"{self.name}.terms", terms, "name at least one term")
        self._check()

    def targets(self, x: np.ndarray) -> np.ndarray | None:
        """Per-point targets, shape ``(N,)``, or ``None`` if the set needs none."""
        return None

    @abc.abstractmethod
    def residual(self, ansatz, equation: Equation, x, target) -> Any:
        """The (unsquared) residual at one scalar point ``x``: a scalar or a small vector."""

    def residuals(self, ansatz, equation: Equation, x, targets):
        """The residual at all the set's points ``x`` (shape ``(N,)``), ``(N,)`` or ``(N, m)``, before
        any scale taken from a solution (:meth:`solution_scale`); by default :meth:`residual` at every point."""
        if targets is None:
            return jax.vmap(lambda xi: self.residual(ansatz, equation, xi, None))(x)
        return jax.vmap(lambda xi, ti: self.residual(ansatz, equation, xi, ti))(x, targets)

    def solution_scale(self, equation: Equation, x, reference):
        """What the residuals are divided by, taken from the solution `reference` (shape ``(N,)``), or
        ``None`` if this set takes no scale from a solution (the default)."""
        return None


@dataclasses.dataclass(frozen=True, eq=False)
class Data(SampleSet):
    """Known values ``h(x)`` (the initial/boundary patch): ``|y(x) - h(x)|²`` (paper eq. 6).

    `target` is a callable ``h(x)`` on a NumPy array or an array of shape ``(N,)``.
    `derivative` = k makes them known values of ``y⁽ᵏ⁾`` instead (an initial slope: ``derivative=1``).
    `scale` divides the misfit: ``None`` (default) the targets' own root-mean-square, so that the
    term is relative whatever the units of ``y`` (targets that are all zero, e.g. ``y(0) = 0``, take
    the largest scale among the problem's other data sets, or 1); or a number (1: absolute).

    `noise` declares measured data: the standard deviation σ of each target's error, in the units of
    ``y`` (one number, or one per point, shape ``(N,)``); ``None`` (default): the targets are exact.
    Noisy targets are fitted in the least-squares sense *among the equation's solutions*: the misfit
    is ``(y − h)/σ`` (so the term is χ²/N), and the fit is judged by the trust check ``chi2`` (χ² per
    degree of freedom against its 99.9 % quantile) instead of the exact-data check. Not with `scale`.
    """

    points: Points
    target: Callable[[np.ndarray], np.ndarray] | Sequence[float] | np.ndarray
    weight: float = 1.0
    priority: int = 0
    name: str = "data"
    derivative: int = 0
    scale: float | None = None
    noise: float | Sequence[float] | np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", as_points(self.points))
        require(self.scale is None or (isinstance(self.scale, (int, float)) and math.isfinite(self.scale)
                                       and self.scale > 0), f"{self.name}.scale", self.scale,
                "use None (the data's own size) or a positive number")
        if self.noise is not None:
            self._check_noise()
        require(isinstance(self.derivative, int) and not isinstance(self.derivative, bool) and self.derivative >= 0,
                f"{self.name}.derivative", self.derivative, "use 0 (values of y), 1 (of y') or a higher order")
        self._check()

    def targets(self, x: np.ndarray) -> np.ndarray:
        try:
            h = np.asarray(self.target(x) if callable(self.target) else self.target, dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - whatever the user's target does wrong, one line
            raise ConfigError(f"{self.name}.target is invalid: {'calling it on the points' if callable(self.target) else 'it'}"
                              f" did not give numbers ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
                              "give an array of floats, or a function of a NumPy array of x that returns one") from None
        require(h.shape == x.shape, f"{self.name}.target", f"shape {h.shape}",
                f"give one target per point, shape {x.shape}")
        require(bool(np.all(np.isfinite(h))), f"{self.name}.target", "non-finite values",
                "the data contain NaN or inf; clean or drop those points")
        return h

    def _check_noise(self) -> None:
        require(self.scale is None, f"{self.name}.scale", self.scale,
                "give either noise (measured data: the misfit is divided by σ) or scale, not both")
        require(not isinstance(self.noise, (bool, str)), f"{self.name}.noise", repr(self.noise),
                "give the standard deviation of the data's errors: a positive number or one per point")
        try:
            sigma = np.asarray(self.noise, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.name}.noise is invalid: {self.noise!r} is not numbers; give the standard "
                              "deviation of the data's errors: a positive number or one per point") from None
        n = self.points.values().shape
        require(sigma.shape in ((), n), f"{self.name}.noise", f"shape {sigma.shape}",
                f"give one number, or one standard deviation per point, shape {n}")
        bad = np.flatnonzero(~(np.isfinite(sigma) & (sigma > 0)))
        require(bad.size == 0, f"{self.name}.noise", float(sigma) if sigma.shape == () else
                f"{sigma.ravel()[bad[0]]:g} at point {bad[0]}" if bad.size else "",
                "every standard deviation must be positive and finite (exact data: leave noise=None)")
        object.__setattr__(self, "noise", float(sigma) if sigma.shape == () else sigma)

    @property
    def noisy(self) -> bool:
        """Whether the targets are measurements with a declared `noise`."""
        return self.noise is not None

    def sigma(self) -> np.ndarray:
        """The standard deviation of every target, shape ``(N,)`` (only for noisy data)."""
        return np.broadcast_to(np.asarray(self.noise, dtype=np.float64), self.points.values().shape)

    def own_scale(self) -> float:
        """The targets' root-mean-square (0 if they are all zero)."""
        return float(np.sqrt(np.mean(self.targets(self.points.values()) ** 2)))

    def residual(self, ansatz, equation, x, target):
        if self.derivative:
            return ansatz.derivatives(x, self.derivative)[self.derivative] - target
        return ansatz.y(x) - target


@dataclasses.dataclass(frozen=True, eq=False)
class Residual(SampleSet):
    """Collocation points where the equation must hold: ``|D[y]/N[y]|²`` (paper eq. 7).

    `normalisation` overrides the equation's ``N(x, y)`` (or :class:`EquationScale`) on this set
    only (e.g. a stiffness scale in a region where the plain relative residual is badly conditioned).
    """

    points: Points
    weight: float = 1.0
    priority: int = 0
    name: str = "residual"
    normalisation: object = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", as_points(self.points))
        require(self.normalisation is None or callable(self.normalisation) or isinstance(self.normalisation, EquationScale),
                f"{self.name}.normalisation", self.normalisation,
                "pass a function N(x, y), gluenn.EquationScale() or None (the equation's)")
        self._check()

    def norm(self, equation: Equation):
        """The normalisation in force on this set (its own, else the equation's)."""
        return self.normalisation if self.normalisation is not None else equation.normalisation

    def residual(self, ansatz, equation, x, target):
        derivs = ansatz.derivatives(x, equation.order)
        r = equation.residual(x, *derivs)
        norm = self.norm(equation)
        if callable(norm):
            r = r / norm(x, derivs[0])
        return r

    def solution_scale(self, equation, x, reference):
        norm = self.norm(equation)
        if not isinstance(norm, EquationScale):
            return None
        return equation_scale(reference, equation, x, norm.window)

    def residuals(self, ansatz, equation, x, targets):
        if not isinstance(self.norm(equation), EquationScale):
            return super().residuals(ansatz, equation, x, targets)
        return jax.vmap(lambda xi: equation.residual(xi, *ansatz.derivatives(xi, equation.order)))(x)


@dataclasses.dataclass(frozen=True, eq=False)
class Suppress(SampleSet):
    """Out-of-patch suppression: ``|sum of the named terms|²`` where they must vanish (eq. 8).

    With ``separately=True`` each named term is suppressed on its own (``Σ_j |f_j|²``): large
    terms that cancel each other are then penalised too. With ``coefficients=True`` the named
    terms' coefficients themselves are pushed to zero (``Σ |c|²``): a term's coefficients cannot
    then cancel each other either (e.g. ``c₁ cos kx + c₂ sin kx`` with huge c₁, c₂).
    `scale` divides the residual: ``None`` (default) the size of the current ``y`` there (a moving
    root-mean-square over ±8 points, no gradient through it), so that the suppression is relative
    whatever the units of ``y`` and however it grows or decays; or a number, or a function of ``x``
    only (e.g. the expected size of ``y`` there).
    """

    points: Points
    terms: tuple[str, ...]
    weight: float = 1.0
    priority: int = 1
    name: str = ""
    separately: bool = False
    coefficients: bool = False
    scale: float | Callable | None = None

    def __post_init__(self) -> None:
        self._init_term_set("suppress_")

    def solution_scale(self, equation, x, reference):
        return None if self.scale is not None else moving_rms(jax.vmap(reference.y)(x), x, 8)

    def residual(self, ansatz, equation, x, target):
        scale = 1.0 if self.scale is None else self.scale(x) if callable(self.scale) else self.scale
        if self.coefficients:
            cs = ansatz.coefficient_vectors(x)
            return jnp.concatenate([cs[t] for t in self.terms]) / scale
        values = ansatz.term_values(x)
        if self.separately:
            return jnp.stack([values[t] for t in self.terms]) / scale
        return sum(values[t] for t in self.terms) / scale


@dataclasses.dataclass(frozen=True, eq=False)
class Plateau(SampleSet):
    """Ask the named terms' coefficients to be constant here: ``|dc/dx|²`` (scaled by `scale`).

    The ansatz only fixes ``y``; where several terms are alive (e.g. ``c₁ cos kx + c₂ sin kx``)
    the split of ``y`` among coefficient functions is not unique (variation of parameters), so
    coefficients read at a domain end need not be the asymptotic constants. A plateau set
    removes that freedom where the patch's solution is exact — the paper's promise that the
    coefficients *are* the physics. `scale` (a length, or a function ``scale(x)`` such as
    ``lambda a: a`` for ``dc/d ln a``) makes ``scale · dc/dx`` a coefficient change.
    """

    points: Points
    terms: tuple[str, ...]
    weight: float = 1.0
    priority: int = 1
    scale: float | Callable = 1.0
    name: str = ""

    def __post_init__(self) -> None:
        self._init_term_set("plateau_")

    def residual(self, ansatz, equation, x, target):
        def coeffs(s):
            cs = ansatz.coefficient_vectors(s)
            return jnp.concatenate([cs[t] for t in self.terms])
        _, dc = jax.jvp(coeffs, (x,), (jnp.ones_like(x),))
        scale = self.scale(x) if callable(self.scale) else self.scale
        return scale * dc


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """A GlueNN problem: the ansatz terms, the equation and the loss's sample sets.

    **Arguments:**

    - `terms`: the asymptotic :class:`Term` s; ``y = sum_j f_j``.
    - `equation`: the :class:`Equation`.
    - `samples`: :class:`Data`, :class:`Residual`, :class:`Suppress` (or your own
      :class:`SampleSet`) instances, with distinct names.
    - `domain`: ``(lo, hi)``, the interval on which the network's input is normalised and the
      solution is plotted and scored.

    Construction checks names and that every :class:`Suppress` set names existing terms.
    """

    terms: tuple[Term, ...]
    equation: Equation
    samples: tuple[SampleSet, ...]
    domain: tuple[float, float]

    def __post_init__(self) -> None:
        terms = tuple(self.terms)
        samples = tuple(self.samples)
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "samples", samples)
        require(len(terms) >= 1, "Problem.terms", terms, "declare at least one Term")
        for t in terms:
            require(isinstance(t, Term), "Problem.terms", t, "every entry must be a gluenn.Term")
        names = [t.name for t in terms]
        require(len(set(names)) == len(names), "Problem.terms", names, "term names must be unique")
        require(isinstance(self.equation, Equation), "Problem.equation", self.equation,
                "pass a gluenn.Equation")
        require(len(samples) >= 1, "Problem.samples", samples, "give at least one sample set")
        set_names = [s.name for s in samples]
        require(len(set(set_names)) == len(set_names), "Problem.samples", set_names,
                "sample-set names must be unique; pass name=... to tell them apart")
        for s in samples:
            require(isinstance(s, SampleSet), "Problem.samples", s, "every entry must be a SampleSet")
            if isinstance(s, (Suppress, Plateau)):
                for t in s.terms:
                    require(t in names, f"{s.name}.terms", t, f"no such term; the terms are {names}")
        try:
            lo, hi = (float(v) for v in self.domain)
        except (TypeError, ValueError):
            lo = hi = float("nan")
        require(math.isfinite(lo) and math.isfinite(hi) and lo < hi, "Problem.domain", self.domain,
                "give a finite (lo, hi) with lo < hi")
        object.__setattr__(self, "domain", (lo, hi))
        slack = 1e-12 * (hi - lo)  # a grid end that rounding put a hair outside is still inside
        for s in samples:
            x = s.points.values()
            require(bool(x.min() >= lo - slack and x.max() <= hi + slack), f"{s.name}.points",
                    f"[{x.min():g}, {x.max():g}]", f"they must lie in Problem.domain=({lo:g}, {hi:g}), where the "
                    "solution is defined and checked: widen the domain or drop those points")

    def collocation_points(self) -> np.ndarray:
        """Where the equation is imposed: the points of every :class:`Residual` set (of every
        set if there is none), shape ``(N,)``, unsorted. The network's first layer follows them."""
        sets = [s for s in self.samples if isinstance(s, Residual)] or list(self.samples)
        return np.concatenate([s.points.values() for s in sets])

    @property
    def coefficient_names(self) -> list[str]:
        """Flat names ``"term.coefficient"`` in network-output order."""
        return [f"{t.name}.{c}" for t in self.terms for c in t.coefficients]

    def describe(self) -> dict:
        """A JSON-able summary of the sample sets (for ``metrics.json``)."""
        out = {}
        for s in self.samples:
            d = {"kind": type(s).__name__, "weight": s.weight, "priority": s.priority, "points": s.points.describe()}
            if isinstance(s, (Suppress, Plateau)):
                d["terms"] = list(s.terms)
            if isinstance(s, Data) and s.noisy:
                d["noise"] = s.noise if isinstance(s.noise, float) else [float(v) for v in s.noise]
            out[s.name] = d
        return out


def pointwise_scale(ansatz, equation: Equation, x):
    """``(D, Σ_k |∂D/∂y⁽ᵏ⁾ · y⁽ᵏ⁾| + |D(x, 0, …, 0)|)`` of `ansatz` at one scalar ``x``."""
    derivs = ansatz.derivatives(x, equation.order)
    res = lambda *d: jnp.reshape(equation.residual(x, *d), ())  # noqa: E731
    r, grads = jax.value_and_grad(res, argnums=tuple(range(len(derivs))))(*derivs)
    source = jnp.abs(res(*(jnp.zeros_like(d) for d in derivs)))
    return r, sum(jnp.abs(g * d) for g, d in zip(grads, derivs)) + source


def equation_scale(ansatz, equation: Equation, x, window: int):
    """:class:`EquationScale` at the points ``x`` (shape ``(N,)``): the pointwise scale of `ansatz`,
    smoothed by :func:`moving_rms`."""
    return moving_rms(jax.vmap(lambda xi: pointwise_scale(ansatz, equation, xi)[1])(x), x, window)


def moving_rms(s, x, window: int):
    """The root-mean-square of `s` over ``±window`` neighbours in ``x`` (shape ``(N,)``), floored at
    1e-6 of its largest value (1 where `s` is zero everywhere): a local size that does not vanish at
    the nodes of an oscillating function."""
    order = jnp.argsort(x)
    s2 = jnp.concatenate([jnp.zeros(1), jnp.cumsum(s[order] ** 2)])
    n = x.shape[0]
    i = jnp.arange(n)
    lo, hi = jnp.maximum(i - window, 0), jnp.minimum(i + window + 1, n)
    smooth = jnp.sqrt((s2[hi] - s2[lo]) / (hi - lo))
    top = jnp.max(smooth)
    smooth = jnp.where(top > 0, jnp.maximum(smooth, 1e-6 * top), 1.0)
    return jnp.zeros(n).at[order].set(smooth)
