"""``fit``: train a GlueNN :class:`~gluenn.Problem` and return an immutable :class:`Fit`."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from ._ansatz import Ansatz, Network, make_ansatz
from ._family import (Family, FamilyLoss, Parameter, ParametricEquation, InterpolatedAnsatz, bind, common_gauge, interpolation_weights, lobatto,
                      restrict_gauge)
from .._random import key as prng_key
from .._errors import ConfigError, RefitWarning, SamplingWarning, TrustWarning, require
from .._limits import check_members, check_memory, limits
from ._density import coarse_sets
from ._finite import explain_non_finite
from ._loss import UNSCALED, Loss, check_user_functions
from ._noisy import (LeastSquares, as_measured, has_noisy_data, least_squares_member, nonlinear_member,
                     nonlinear_profiled, profiled)
from ._march import MARCH_TRAINER, can_march, march as march_from_data
from ._problem import Problem, Residual
from ._solution import Solution
from ._trust import Check, Trust, TrustLimits, diagnose, resolution_check
from ._unknown import UnknownAnsatz, UnknownLoss, check_unknowns
from ..engine import LBFGS, Adam, Auto, GaussNewton, History, Lexicographic, Objective, Phase, Weights, optimise


@dataclasses.dataclass(frozen=True)
class Fit:
    """A trained GlueNN model with its provenance.

    - `problem`, `network`, `seed`: what was trained.
    - `ansatz`: the trained :class:`~gluenn.Ansatz` (an Equinox module).
    - `history`: the :class:`History` (log rows, stop reason, timings).

    :attr:`trust` holds the self-checks that need no true solution (see :class:`~gluenn.glue.Trust`).
    """

    problem: Problem
    network: Network
    seed: int
    ansatz: Ansatz
    history: History
    #: ``{name: value}`` of the parameters trained with the coefficients (``fit(..., unknowns=...)``)
    unknowns: dict = dataclasses.field(default_factory=dict)
    #: how noisy data (``Data(noise=σ)``) were fitted by least squares, else ``None``
    noisy: LeastSquares | None = None
    #: ``y`` against a refit with twice the trunk width (``fit(..., widen=...)``), else ``None``
    resolution: Check | None = None
    #: the `unknowns` against the ends of their declared ranges (``fit(..., unknowns=...)``), else ``None``
    ranges: Check | None = None

    @functools.cached_property
    def trust(self) -> Trust:
        """The fit's self-checks: the residual on a fresh grid relative to the equation's own scale,
        the data misfit relative to the data's scale, the declared plateaus' flatness, how training
        stopped, for an initial- or two-point boundary-value problem ``y`` against SciPy's solution, and the `resolution`
        check if :func:`fit` widened; ``trust.trusted`` is true only if all pass (computed once, on first
        access). Noisy data that cannot fix a constant of the solution fail the `data` check."""
        trust = diagnose(self.problem, self.ansatz, self.history.stop_reason.ok, fitted=len(self.unknowns))
        trust = trust + Trust(tuple(c for c in (self.resolution, self.ranges) if c is not None))
        if self.noisy is None or not self.noisy.undetermined:
            return trust
        why = (f"the noisy data do not fix {', '.join(self.noisy.undetermined)}: y is the same at every data point "
               "whatever their value; measure where the solutions differ, or add an exact condition")
        limit = next((c.limit for c in trust.checks if c.name == "data"), TrustLimits().data)
        return Trust(tuple(c for c in trust.checks if c.name != "data") + (Check("data", 1.0, limit, why),))

    @property
    def solution(self):
        """The trained model as a :class:`~gluenn.Solution` (evaluate on any grid)."""
        return Solution(self.ansatz, self.problem)

    def uncertainty(self, x) -> "Evaluation":
        """One standard deviation of y, y', every coefficient and term at the points `x`, from the
        declared noise of the data (``Data(noise=σ)``) propagated through the equation: an
        :class:`~gluenn.glue.Evaluation` of standard deviations (``fit.uncertainty(x).coefficients["tail.a"]``).
        Exact for a linear problem (its solutions are an affine family), linearised at the answer for
        a nonlinear one; the declared σ is used as given (check ``trust``'s ``chi2``)."""
        require(self.noisy is not None, "Fit.uncertainty", "no noisy data" if not has_noisy_data(self.problem)
                else "noisy data fitted as they are", "declare the data's noise (gn.Data(..., noise=sigma)) and fit "
                "afresh with the default trainer (not init/resume)")
        return self.noisy.standard_deviations(self.problem, self.ansatz, x)

    def loss_terms(self) -> dict:
        """The unweighted loss terms of the trained model (as in the log and ``metrics.json``)."""
        total, terms = jax.jit(Loss(self.problem))(self.ansatz)
        return {k: float(v) for k, v in terms.items()}


@dataclasses.dataclass(frozen=True)
class FamilyFit:
    """A GlueNN model for a whole :class:`~gluenn.Family`: ``c_j(x; θ)`` at any θ in range.

    The members — one model per training θ, trained together as one program — are `ansatz`
    (its arrays stacked on a leading axis ``T``, in :meth:`Family.training_values` order). Between
    them the raw coefficients are interpolated in θ through the members (Chebyshev–Lobatto nodes:
    spectrally accurate for a smooth dependence on θ), and the terms are evaluated at θ itself.

    - :meth:`at` (``fit.at(eta=2e4)``) is the :class:`Fit` of the problem at that θ: every method of a
      single fit (``solution``, ``trust``, ``loss_terms``) works there.
    - :meth:`y` and :meth:`coefficients` evaluate at many θ at once (one compiled program).
    - :attr:`trust` holds the self-checks at the ends of the ranges and at θ halfway between training
      values (never a training value), the worst of each: what the interpolation claims is checked.
    """

    family: Family
    network: Network
    seed: int
    ansatz: Ansatz
    history: History

    def at(self, **values) -> Fit:
        """The fit of the problem at ``θ`` (``name=value`` per parameter, inside the trained range)."""
        theta = jnp.asarray(self.family.vector(values))
        ansatz = InterpolatedAnsatz(self.ansatz.net, jnp.asarray(self.family.training_values()),
                                    interpolation_weights(self.family, theta), theta, self.template,
                                    tuple(self.family.names))
        return Fit(self.family.at(np.asarray(theta)), self.network, self.seed, ansatz, self.history)

    def member(self, k: int) -> Fit:
        """The fit of training value `k` itself (row `k` of :meth:`Family.training_values`)."""
        theta = self.family.training_values()[k]
        problem = self.family.at(theta)
        net = jax.tree_util.tree_map(lambda a: a[k], self.ansatz.net)
        return Fit(problem, self.network, self.seed, Ansatz(net, problem.terms), self.history)

    @functools.cached_property
    def common_gauge(self) -> dict[str, tuple[float, float]]:
        """``{gauge set: (lo, hi)}``: where every member was held to that plateau or suppression set —
        between training values the coefficients mean what the set says only there
        (:func:`~gluenn.glue._family.common_gauge`; builds every member's problem once)."""
        return common_gauge([self.family.at(theta) for theta in self.family.training_values()])

    @functools.cached_property
    def trust(self) -> Trust:
        """The worst of each self-check over :meth:`check_values` (``where`` names the θ); between
        training values the gauge checks look at :attr:`common_gauge` only."""
        worst: dict = {}
        for where, checks in self._checks:
            for c in checks:
                seen = worst.get(c.name)
                if seen is None or not (c.value <= seen.value):
                    worst[c.name] = Check(c.name, c.value, c.limit, f"{where}: {c.where}" if c.where else where)
        return Trust(tuple(worst.values()))

    @property
    def members_trusted(self) -> bool:
        """Whether the fits at both ends of the ranges — training values, the members themselves — pass
        every check. If one does not, the members missed their own problems, and more training values
        (which only shorten the interpolation between them) cannot help: :func:`fit` does not refine."""
        return all(c.passed for _, checks in self._checks[:2] for c in checks)

    @functools.cached_property
    def _checks(self) -> list:
        """``(where, checks)`` at each row of :meth:`check_values` (the first two: the ends of the ranges)."""
        nodes, out = self.family.training_values(), []
        for theta in self.check_values():
            values = dict(zip(self.family.names, theta))
            at = self.at(**values)
            problem = at.problem
            if not np.any(np.all(np.isclose(nodes, theta, rtol=1e-12, atol=0), axis=1)):
                problem = restrict_gauge(problem, self.common_gauge)
            equation = ParametricEquation(self.template.equation, tuple(self.family.names), at.ansatz.theta)
            checks = diagnose(problem, at.ansatz, at.history.stop_reason.ok, equation=equation).checks
            out.append((", ".join(f"{k}={v:.4g}" for k, v in values.items()), checks))
        return out

    def check_values(self) -> np.ndarray:
        """Where :attr:`trust` looks, shape ``(K, P)``: both ends of every range and, for each
        parameter, four θ halfway (in its coordinate) between consecutive training values."""
        params, mid = self.family.parameters, self.family.middle()
        rows = [np.array([p.lo for p in params]), np.array([p.hi for p in params])]
        for i, p in enumerate(params):
            u = lobatto(self.family.train)
            between = 0.5 * (u[:-1] + u[1:])
            for j in np.unique(np.linspace(0, len(between) - 1, 4).round().astype(int)):
                theta = mid.copy()
                theta[i] = float(p.value(between[j]))
                rows.append(theta)
        return np.array(rows)

    def y(self, x, **values) -> np.ndarray:
        """``y`` at the points `x` (shape ``(N,)``) for every θ given (arrays of one shape ``S`` per
        parameter, every parameter given): shape ``S + (N,)``. One compiled program for all θ."""
        return self._evaluate(x, values)[0]

    def coefficients(self, x, **values) -> dict:
        """``{"term.coef": c}`` at `x` for every θ given, each of shape ``S + (N,)``."""
        c = self._evaluate(x, values)[1]
        return {n: c[..., i] for i, n in enumerate(self.template.coefficient_names)}

    @property
    def domain(self) -> tuple[float, float]:
        """The problem's domain (the same at every θ)."""
        return self.template.domain

    @functools.cached_property
    def template(self) -> Problem:
        """The problem built at the middle of the range, its functions still taking θ."""
        return self.family.raw(self.family.middle())

    def _evaluate(self, x, values: dict):
        x = np.atleast_1d(np.asarray(x, dtype=np.float64))
        names = self.family.names
        require(set(values) == set(names), "parameters", sorted(values), f"give every parameter of the family: {names}")
        arrays = np.broadcast_arrays(*[np.asarray(values[n], dtype=np.float64) for n in names])
        shape = arrays[0].shape
        thetas = np.stack([a.ravel() for a in arrays], axis=1)
        for theta in (thetas.min(axis=0), thetas.max(axis=0)):
            self.family.vector(dict(zip(names, theta)))
        require(bool(np.all(np.isfinite(thetas))), "parameters", "NaN", "give finite values")
        lo, hi = self.template.domain
        outside = x[~((x >= lo) & (x <= hi))]
        require(outside.size == 0, "x", float(outside[0]) if outside.size else None,
                f"the model is trained on [{lo:g}, {hi:g}] only; evaluate inside it")
        y, c = _family_values(self.family, self.template, self.ansatz.net, jnp.asarray(thetas), jnp.asarray(x))
        return np.asarray(y).reshape(shape + (len(x),)), np.asarray(c).reshape(shape + (len(x), -1))


@eqx.filter_jit
def _family_values(family, template, members, thetas, x):
    """``(y (S, N), coefficients (S, N, K))`` at the θ rows `thetas` ``(S, P)`` and points `x` ``(N,)``:
    the members' solutions and raw coefficients at `x` once, then interpolated per θ (as
    :class:`InterpolatedAnsatz`: ``y`` from the members' ``y``, the coefficients from theirs)."""
    names, nodes = family.names, jnp.asarray(family.training_values())
    own = lambda net, theta: jax.vmap(Ansatz(net, bind(template, names, theta).terms).y)(x)  # noqa: E731
    ys = jax.vmap(own)(members, nodes)  # (T, N)
    raw = jax.vmap(lambda net: jax.vmap(net)(x))(members)  # (T, N, K)
    positive = jnp.asarray([t.positive for t in template.terms for _ in t.coefficients])

    def one(theta):
        w = interpolation_weights(family, theta)
        r = jnp.einsum("t,tnk->nk", w, raw)
        return w @ ys, jnp.where(positive, jnp.exp(r), r)
    return jax.vmap(one)(thetas)


#: The default trainer: when the loss rows are linear in the output layers (a linear equation with
#: linear terms) one exact least-squares solve that honours the fit rows (data, equation) to a
#: relative 3e-5 and makes the gauge (suppression, plateaus) as strong as that allows
#: (:class:`~gluenn.engine.Lexicographic`: no λ to choose, invariant to the units of y); else Adam
#: then L-BFGS. The tolerance trades y against the split among the terms; measured with the spread
#: first layer (``benchmarks/results/zoo.md``): 1e-4 left Airy's y off by 1.6e-3 of its size,
#: 1e-5 let Bessel's coefficients stray on seed 1 (A off by 2 %, flagged), 3e-5 did neither.
DEFAULT_TRAINER = Auto((Lexicographic(),), (Adam(2000), LBFGS(500)))


def init_ansatz(problem: Problem, network: Network, seed: int) -> Ansatz:
    """The untrained ansatz for ``problem`` (deterministic in ``seed``)."""
    require(isinstance(seed, int) and 0 <= seed < 2**32, "seed", seed, "use an integer in [0, 2**32)")
    ansatz = make_ansatz(problem.terms, network, problem.domain, key=prng_key(seed),
                         where=problem.collocation_points())
    check_user_functions(problem, ansatz)
    return ansatz


def fit(
    problem: "Problem | Family",
    *,
    network: Network = Network(),
    trainer: "Sequence[Phase] | Auto" = DEFAULT_TRAINER,
    seed: int = 0,
    log_every: int = 100,
    tol: float | None = None,
    progress: bool | None = None,
    callback=None,
    init: Ansatz | None = None,
    resume=None,
    weights: Weights | None = None,
    unknowns: "Sequence[Parameter] | None" = None,
    refine: int = 2,
    march: bool = True,
    widen: int = 2,
) -> Fit:
    """Train the coefficient network of ``problem``.

    **Main arguments:**

    - `problem`: the :class:`~gluenn.Problem`, or a :class:`~gluenn.Family` of them over parameter ranges (one model).
    - `network`, `seed`: the :class:`~gluenn.Network` and its initialisation (same seed, same machine: same numbers).
    - `trainer`: phases run in order, e.g. ``[Adam(2000), LBFGS(500)]``, or an :class:`~gluenn.engine.Auto` that picks
      them (default :data:`DEFAULT_TRAINER`: one exact least-squares solve if linear, else Adam + L-BFGS).

    **Other arguments:** `log_every` (steps per compiled chunk and log row), `tol` (stop once
    the total loss is below it), `progress` (progress bar; default on a terminal), `callback`
    (``callback(row, params)`` per chunk), `init` (start from this ansatz instead of a fresh one),
    `resume` (``(history, Resume)`` of an interrupted fit, with `init` its returned ansatz: continue it),
    `weights` (a :class:`~gluenn.engine.Weights` strategy, e.g. ``GradNorm()``, instead of the sets' own).
    `unknowns` (:class:`~gluenn.Parameter` s found with the coefficients, keyword-only in the problem's
    functions; values in ``fit.unknowns``; by least squares where values are observed along x, else
    trained jointly; :func:`invert_jointly`). `refine` (default 2): rounds of refitting a linear problem
    with one more residual point between every two while its equation holds at the points but not
    between them (warns; ``Fit.problem`` has the points). `march` (default on): a nonlinear fit by an
    :class:`~gluenn.engine.Auto` trainer that misses its equation or data is redone by marching away
    from its data (``docs/guide/defaults.md``), kept if it passes more checks; it warns. `widen`
    (default 2): a linear problem solved by an :class:`~gluenn.engine.Auto` trainer is refitted with
    twice the trunk width, ``y`` compared (the `resolution` check), the wider fit kept while they differ
    by more than 1 % and it passes its checks, at most `widen` times (warns; ``Fit.network`` has the
    width); a fit that fails its checks only if SciPy can solve the problem (the `integration` check).
    None of these for `init`/`resume`. **Noisy data** (``Data(noise=σ)``, ``docs/guide/noisy-data.md``):
    the solution and `unknowns` that fit them best in χ², with ``Fit.uncertainty``, ``Fit.noisy.errors``.

    **Returns:** a :class:`Fit` (:class:`FamilyFit` for a family). **Raises:** :class:`~gluenn.ConfigError`
    for an invalid problem or user function (found before compiling)."""
    if isinstance(problem, Family) or unknowns is not None:
        require(init is None and resume is None and weights is None, "fit(family)" if unknowns is None else
                "fit(unknowns=...)", "init/resume/weights", "it trains from a fresh start with the sample sets' own weights")
        return _fit_jointly(problem, unknowns, network, trainer, seed, dict(log_every=log_every, tol=tol,
                                                                            progress=progress, callback=callback))
    _check_remedies(refine, march, widen)
    options = dict(log_every=log_every, tol=tol, progress=progress, callback=callback, resume=resume, weights=weights)
    ansatz = init if init is not None else init_ansatz(problem, network, seed)
    _warn_coarse(problem)
    fresh = init is None and resume is None
    remedies = dict(refine=refine if fresh else 0, march=march and fresh, widen=widen if fresh else 0)
    return _warned(_fit_one(problem, ansatz, network, trainer, seed, options, fresh, **remedies))


def _fit_one(problem: Problem, ansatz, network: Network, trainer, seed: int, options: dict, fresh: bool,
             refine: int, march: bool, widen: int) -> Fit:
    """One problem from `ansatz`: noisy data by least squares (fresh fits), else the fit itself; then
    the remedies of fresh fits: the refinement rounds, the march, the widening."""
    route = _structure(problem, network, seed) if fresh and has_noisy_data(problem) else None
    if route == "nonlinear" and isinstance(trainer, Auto):
        return _least_squares_nonlinear(problem, network, trainer, seed, options)
    noisy = route == "linear"
    solve = functools.partial(_least_squares if noisy else _solve, seed=seed, trainer=trainer, options=options)
    result = solve(problem, network) if noisy else Fit(problem, network, seed, *_train(Loss(problem), ansatz, trainer, options))
    result = _refined(result, functools.partial(solve, network=network), refine)
    if not isinstance(trainer, Auto):
        return result
    result = _marched(result, options) if march else result
    return _widened(result, solve, widen, refine) if widen and not noisy else result


def _solve(problem: Problem, network: Network, seed: int, trainer, options: dict) -> Fit:
    """`problem` fitted from a fresh start."""
    return Fit(problem, network, seed, *_train(Loss(problem), init_ansatz(problem, network, seed), trainer, options))


def _least_squares(problem: Problem, network: Network, seed: int, trainer, options: dict) -> Fit:
    """The solution of a linear problem that fits its noisy data best (:mod:`gluenn.glue._noisy`),
    as a :class:`Fit` of the problem as given; ``Fit.noisy`` holds the conditions found. The solves
    differ only in the conditions' values (data of the compiled programs): they share one compilation."""
    quiet = {**options, "progress": False, "callback": None, "programs": {}}

    def train(p):
        return _train(Loss(p), init_ansatz(p, network, seed), trainer, quiet)
    ansatz, history, how = least_squares_member(problem, train)
    return Fit(problem, network, seed, ansatz, history, noisy=how)


def _least_squares_nonlinear(problem: Problem, network: Network, trainer, seed: int, options: dict) -> Fit:
    """The solution of a nonlinear problem that fits its noisy data best (:func:`gluenn.glue._noisy.nonlinear_member`):
    the first member by the default fit (marching if it must), the others by Levenberg–Marquardt from the last."""
    quiet = {**options, "progress": False, "callback": None, "tol": None, "weights": None, "programs": {}}

    def first(q):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (TrustWarning, RefitWarning))
            result = fit(q, network=network, trainer=trainer, seed=seed, progress=False, refine=0)
        return result.ansatz, result.history

    def warm(q, start):
        return _train(Loss(q), start, list(MARCH_TRAINER), quiet)
    ansatz, history, how = nonlinear_member(problem, first, warm)
    return Fit(problem, network, seed, ansatz, history, noisy=how)


def _check_remedies(refine, march, widen) -> None:
    require(isinstance(refine, int) and not isinstance(refine, bool) and 0 <= refine <= 4, "fit(refine=...)", refine,
            "use 0 (fit the points as given) to 4 rounds of one more residual point between every two")
    require(isinstance(march, bool), "fit(march=...)", march, "use True (redo a failed nonlinear fit by marching) or False")
    require(isinstance(widen, int) and not isinstance(widen, bool) and 0 <= widen <= 4, "fit(widen=...)", widen,
            "use 0 (the network as given, unchecked) to 4 rounds of refitting with twice the trunk width")


def _fit_jointly(problem, unknowns, network, trainer, seed: int, options: dict) -> "Fit | FamilyFit":
    """A :class:`~gluenn.Family` (one model over its parameters) or a problem with unknowns (θ trained too)."""
    if unknowns is None:
        return _fit_family(problem, network, trainer, seed, **options)
    require(isinstance(problem, Problem), "fit(unknowns=...)", type(problem).__name__, "give a single Problem")
    parameters = check_unknowns(problem, unknowns)
    measured = problem if has_noisy_data(problem) else as_measured(problem, len(parameters))
    if measured is None:
        return _warned(_in_ranges(fit_unknowns(problem, parameters, network, trainer, seed, options)[0], parameters))
    middle = bind(problem, [p.name for p in parameters], np.array([p.value(0.5) for p in parameters]))
    solve = _profiled if _structure(middle, network, seed) == "linear" else _profiled_nonlinear
    found = solve(measured, parameters, network, trainer, seed, options)
    return _warned(_in_ranges(found if measured is problem else _as_exact(problem, found), parameters))


#: an unknown within this fraction of its range from an end is *at* the end (the sigmoid of the
#: joint route saturates there; the least squares stop on the bound exactly)
AT_AN_END = 1e-4


def _in_ranges(result: Fit, parameters) -> Fit:
    """`result` with the `ranges` check: it fails if an unknown sits at an end of its declared range,
    where the data want a value outside it and the answer and its error bars mean nothing (the
    logistic's rate 1.2 fitted within [0.2, 0.9]: 0.9, measured)."""
    ends = []
    for p in parameters:
        lo, hi, v = (np.log([p.lo, p.hi, result.unknowns[p.name]]) if p.log else (p.lo, p.hi, result.unknowns[p.name]))
        u = (v - lo) / (hi - lo)
        ends.append((1 - 2 * min(u, 1 - u), f"{p.name} = {result.unknowns[p.name]:.6g} at an end of [{p.lo:g}, {p.hi:g}]"))
    value, where = max(ends)
    limit = 1 - 2 * AT_AN_END
    why = f"{where}: the data want a value beyond it; widen the range" if value > limit else ""
    return dataclasses.replace(result, ranges=Check("ranges", float(value), limit, why))


def _as_exact(problem: Problem, found: Fit) -> Fit:
    """The profiled `found` (its exact data declared measured: :func:`~gluenn.glue._noisy.as_measured`)
    judged against `problem` as written: the data check, not χ², and no standard deviations (exact
    data have none; declare ``Data(noise=σ)`` for them)."""
    bound = bind(problem, list(found.unknowns), np.array(list(found.unknowns.values())))
    return Fit(bound, found.network, found.seed, Ansatz(found.ansatz.net, bound.terms), found.history, found.unknowns)


def _structure(problem: Problem, network: Network, seed: int) -> str:
    """``"linear"`` or ``"nonlinear"``: how the problem's loss rows depend on the output layers."""
    ansatz = init_ansatz(problem, network, seed)
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    return _checked_structure(problem, ansatz, _objective(problem, params, static), params)


def _profiled(problem: Problem, parameters, network: Network, trainer, seed: int, options: dict) -> Fit:
    """A linear problem's unknown parameters and solution that fit its noisy data best
    (:func:`gluenn.glue._noisy.profiled`); ``Fit.noisy`` has their errors. Each solve holds θ in a
    frozen :class:`UnknownAnsatz`, so that every θ and every condition runs the same compiled programs."""
    quiet = {**options, "progress": False, "callback": None, "programs": {}}
    names = [p.name for p in parameters]
    net = init_ansatz(bind(problem, names, np.array([p.value(0.5) for p in parameters])), network, seed).net

    def train_at(p: Problem, u: np.ndarray):
        u = np.clip(np.asarray(u, dtype=np.float64), 1e-12, 1 - 1e-12)
        start = UnknownAnsatz(net, jnp.asarray(np.log(u / (1 - u))), p, parameters, frozen=True)
        trained, history = _train(UnknownLoss(p, parameters), start, trainer, quiet)
        return Ansatz(trained.net, bind(p, names, np.asarray(trained.theta())).terms), history
    ansatz, history, how, theta = profiled(problem, parameters, train_at)
    bound = bind(problem, names, theta)
    return Fit(bound, network, seed, Ansatz(ansatz.net, bound.terms), history, dict(how.parameters), noisy=how)


def _profiled_nonlinear(problem: Problem, parameters, network: Network, trainer, seed: int, options: dict) -> Fit:
    """A nonlinear problem's unknown parameters and solution that fit its noisy data best
    (:func:`gluenn.glue._noisy.nonlinear_profiled`): the first member by the default fit (marching if
    it must), the others by Levenberg–Marquardt from the nearest, θ frozen in an :class:`UnknownAnsatz`
    so that every solve runs the same compiled programs."""
    quiet = {**options, "progress": False, "callback": None, "tol": None, "programs": {}}
    names = [p.name for p in parameters]

    def first(q: Problem, u: np.ndarray):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", (TrustWarning, RefitWarning))
            result = fit(bind(q, names, _values_of(parameters, u)), network=network, trainer=trainer, seed=seed,
                         progress=False, refine=0)
        return result.ansatz, result.history

    def warm(q: Problem, u: np.ndarray, start):
        u = np.clip(np.asarray(u, dtype=np.float64), 1e-12, 1 - 1e-12)
        held = UnknownAnsatz(start.net, jnp.asarray(np.log(u / (1 - u))), q, parameters, frozen=True)
        trained, history = _train(UnknownLoss(q, parameters), held, list(MARCH_TRAINER), quiet, "nonlinear")
        return Ansatz(trained.net, bind(q, names, np.asarray(trained.theta())).terms), history
    ansatz, history, how, theta = nonlinear_profiled(problem, parameters, first, warm)
    bound = bind(problem, names, theta)
    return Fit(bound, network, seed, Ansatz(ansatz.net, bound.terms), history, dict(how.parameters), noisy=how)


def _values_of(parameters, u) -> np.ndarray:
    return np.array([p.value(float(ui)) for p, ui in zip(parameters, np.clip(u, 0.0, 1.0))])


def _refined(result: Fit, solve: Callable[[Problem], Fit], rounds: int) -> Fit:
    """`result`, refitted by `solve` with more residual points while it interpolates them (at most `rounds`)."""
    for _ in range(rounds):
        if not _interpolates(result):
            break
        result = _refit(result, solve)
    return result


def _interpolates(result: Fit) -> bool:
    """Whether a linear fit holds the equation at its residual points but not between them: its
    `residual` check fails inside a residual set, at over 100 times the training residual's rms. One
    exact least-squares solve with about as many rows as output-layer parameters interpolates
    (``−y'' = 1``, y(0) = y(1) = 0 at 100 points, 101 parameters: training residual 4e-16, y'' off by
    0.94 between the points near x = 0). A fit that misses at the points too (an optimiser stopped
    early) is not refitted."""
    check = next((c for c in result.trust.checks if c.name == "residual"), None)
    trained = [result.history.final.get(s.name, np.inf) for s in result.problem.samples if isinstance(s, Residual)]
    return (result.history.structure == "linear" and result.history.stop_reason.ok and check is not None
            and not check.passed and "no residual points there" not in check.where
            and bool(trained) and np.sqrt(max(trained)) < 1e-2 * check.value)


def _refit(result: Fit, solve: Callable[[Problem], Fit]) -> Fit:
    """The same fit with one more residual point between every two (a fresh start, same seed), if that
    lowers the residual check and fails no check the fit passed; said by a
    :class:`~gluenn.SamplingWarning` naming the new counts."""
    samples = tuple(dataclasses.replace(s, points=s.points.refined()) if isinstance(s, Residual) else s
                    for s in result.problem.samples)
    refined = solve(dataclasses.replace(result.problem, samples=samples))
    before, after = (next(c for c in f.trust.checks if c.name == "residual") for f in (result, refined))
    counts = ", ".join(f"{s.name} {len(old.points)} -> {len(s.points)}" for s, old in zip(samples, result.problem.samples)
                       if isinstance(s, Residual))
    passed = {c.name for c in result.trust.checks if c.passed}
    if not (after.value < before.value and passed <= {c.name for c in refined.trust.checks if c.passed}):
        return result
    warnings.warn(f"the equation held at the residual points but not between them (residual {before.value:.2g}, "
                  f"{before.where}): refitted with one more point between every two ({counts} points; residual "
                  f"{after.value:.2g}); Fit.problem has the points used. fit(..., refine=0) keeps yours as given",
                  SamplingWarning, stacklevel=4)
    return refined


def _widened(result: Fit, solve: Callable[..., Fit], rounds: int, refine: int) -> Fit:
    """A linear `result`, with its `resolution` check: ``y`` against a refit with twice the trunk
    width (:func:`_wider`; a fresh start, same seed and points, refined as `result` was). A residual
    within its limit can still add up to a wrong ``y`` over a long domain. If they differ by more than
    the limit, the wider fit takes its place when it passes its checks, and is checked the same way,
    up to `rounds` times; the first one confirmed is returned (said by a :class:`~gluenn.RefitWarning`),
    else `result`, flagged. Only a fit that passes its checks is widened — wider fits of a flagged
    one were measured to agree with each other and still be wrong (``docs/trust.md``) — unless the
    problem has the independent `integration` check (initial values or two-point conditions), which any wider fit
    must pass too; then a flagged fit is widened while each width at least halves its distance to the
    integration. Cost: one solve of the wider network per round; a width the limits refuse ends them."""
    verifiable = any(c.name == "integration" for c in result.trust.checks)
    if result.history.structure != "linear" or not (result.trust.trusted or verifiable):
        return result
    current, checked = result, None
    for _ in range(rounds + 1):
        at = functools.partial(solve, network=_wider(current.network))
        try:
            wider = _refined(at(current.problem), at, refine)
        except ConfigError:
            break
        current = dataclasses.replace(current, resolution=resolution_check(current.problem, current.ansatz, wider.ansatz))
        checked = checked or current
        closer = verifiable and _value(wider, "integration") < _value(current, "integration") / 2
        if current.trust.trusted or not (wider.trust.trusted or closer):
            break
        current = wider
    if current.resolution is None or not current.trust.trusted:
        return checked or result
    if current is not checked:
        warnings.warn(f"{checked.trust.line()}: refitted with twice the trunk width, {current.network.trunk} (was "
                      f"{result.network.trunk}); now {current.trust.line()}. Fit.network has the width used; "
                      "fit(..., widen=0) keeps yours as given, unchecked", RefitWarning, stacklevel=4)
    return current


def _value(result: Fit, check: str) -> float:
    """The value of `result`'s check named `check` (inf if it has none)."""
    return next((c.value for c in result.trust.checks if c.name == check), float("inf"))


def _wider(network: Network) -> Network:
    """`network` with twice the trunk widths (the basis a linear solve combines), or twice the head's
    output width if it has no trunk layers."""
    if network.trunk:
        return dataclasses.replace(network, trunk=tuple(2 * w for w in network.trunk))
    return dataclasses.replace(network, head_out=2 * network.head_out)


def _marched(result: Fit, options: dict) -> Fit:
    """`result`, or if it is a nonlinear fit that fails its residual, data or integration check and has domain
    beyond its data, the same problem solved by marching away from the data, when that passes more
    checks, none that the first fit passed among its failures (said by a :class:`~gluenn.RefitWarning`)."""
    failing = {c.name for c in result.trust.checks if not c.passed}
    if result.history.structure != "nonlinear" or not failing & {"residual", "data", "integration"} or not can_march(result.problem):
        return result
    stage_options = {**options, "progress": False, "callback": None, "tol": None, "weights": None, "programs": {}}
    def train(p: Problem, a, structure: str | None = "nonlinear"):  # the stages: the first fit's structure
        return _train(Loss(p).with_moving_points(), a, list(MARCH_TRAINER), stage_options, structure)
    ansatz, stages, reach = march_from_data(result.problem, init_ansatz(result.problem, result.network, result.seed), train)
    if explain_non_finite(result.problem, ansatz) is not None:
        return result  # the last stage's model overflows on the rest of the domain: nothing to start the whole fit from
    marched = Fit(result.problem, result.network, result.seed, *train(result.problem, ansatz, None))
    passed = {c.name for c in marched.trust.checks if c.passed}
    if not (marched.trust.trusted or passed > {c.name for c in result.trust.checks if c.passed}):
        return result  # kept only if it passes every check the first fit passed, and more
    line = "; ".join(f"{c.name} {c.value:.2g}" for c in result.trust.checks if c.name in ("residual", "data", "integration"))
    warnings.warn(f"the fit missed its equation or data ({line}): redone by marching away from the data in "
                  f"{stages} stages of Levenberg–Marquardt{'' if reach == 1 else f' (reached {reach:.0%} of the way)'}; "
                  f"now {marched.trust.line()}. fit(..., march=False) keeps the first fit",
                  RefitWarning, stacklevel=4)
    return marched


def _fit_family(family: Family, network, trainer, seed, log_every, tol, progress, callback) -> FamilyFit:
    """:func:`_fit_family_once`, repeated with ``2·train − 1`` training values while the trust fails
    between the training values only (:attr:`FamilyFit.members_trusted`), up to ``family.max_train``;
    ``history.train_tried`` lists the counts tried."""
    require(not has_noisy_data(family.at(family.training_values()[0])), "fit(family)", "noisy data (Data(noise=...))",
            "fit one problem at a time with gluenn.fit (a family of noisy-data fits is not built yet)")
    tried = []
    while True:
        result = _fit_family_once(family, network, trainer, seed, log_every, tol, progress, callback)
        tried.append(family.train)
        result.history.train_tried = tried
        if result.trust.trusted or not result.members_trusted or 2 * family.train - 1 > family.max_train:
            return _warned(result)
        family = dataclasses.replace(family, train=2 * family.train - 1)


def _fit_family_once(family: Family, network, trainer, seed, log_every, tol, progress, callback) -> FamilyFit:
    """One member per training θ, each initialised from its own problem (the same seed; the terms'
    inits at that θ), trained as one program (:func:`~gluenn.engine.optimise` with
    ``ensemble=True, member_data=True``)."""
    loss = FamilyLoss(family)
    ansatz = init_ansatz(loss.problem, network, seed)
    _warn_coarse(loss.problem)
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    members = [eqx.partition(Ansatz(init_ansatz(p, network, seed).net, ansatz.terms), eqx.is_inexact_array)[0]
               for p in loss.problems]  # the terms are static, and each member's are rebound to its θ in the loss
    objective = _objective(loss.problem, params, static, loss)
    middle = objective.over(loss.member(len(loss.thetas) // 2))
    structure = _checked_structure(loss.problem, ansatz, middle, params)
    phases = _resolve(trainer, structure)
    batch = _member_batch(middle, params, phases, loss.problem.equation.order, network, len(loss.thetas))
    stacked = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *members)
    stacked, history = optimise(objective, stacked, phases, log_every=log_every, tol=tol, progress=progress,
                                callback=callback, ensemble=True, member_data=True, member_batch=batch)
    history.structure = structure
    history.phases = [p.to_dict() for p in phases]
    return FamilyFit(family, network, seed, eqx.combine(stacked, static), history)


def fit_unknowns(problem: Problem, parameters: tuple, network, trainer, seed: int, options: dict, *,
                 start: UnknownAnsatz | None = None) -> tuple[Fit, UnknownAnsatz]:
    """`problem` fitted with the `parameters` trainable (:mod:`gluenn.glue._unknown`), from `start`
    or fresh (θ at the middle of its ranges). Returns the :class:`Fit` (problem bound at the fitted
    θ, ``unknowns`` set) and the trained module."""
    loss = UnknownLoss(problem, parameters)
    if start is None:
        start = UnknownAnsatz(init_ansatz(loss.problem, network, seed).net, jnp.zeros(len(parameters)), problem, parameters)
    trained, history = _train(loss, start, trainer, options)
    theta = np.asarray(trained.theta())
    bound = bind(problem, [p.name for p in parameters], theta)
    unknowns = {p.name: float(v) for p, v in zip(parameters, theta)}
    return Fit(bound, network, seed, Ansatz(trained.net, bound.terms), history, unknowns), trained


def _train(loss: Loss, start, trainer, options: dict, structure: str | None = None) -> tuple:
    """`start` (an ansatz, or an :class:`UnknownAnsatz` with its θ) trained on `loss` by the phases
    `trainer` resolves to; `options` go to :func:`~gluenn.engine.optimise`. ``(trained, history)``.
    A `structure` already known (a march's stages) skips the probe that finds it (~0.1 s a call)."""
    params, static = eqx.partition(start, eqx.is_inexact_array)
    objective = _objective(loss.problem, params, static, loss)
    structure = structure or _checked_structure(loss.problem, start, objective, params)
    phases = _resolve(trainer, structure)
    _check_jacobian(objective, params, phases)
    params, history = optimise(objective, params, phases, **options)
    history.structure, history.phases = structure, [p.to_dict() for p in phases]
    return eqx.combine(params, static), history


def fit_ensemble(
    problem: Problem,
    *,
    seeds: Sequence[int],
    network: Network = Network(),
    trainer: "Sequence[Phase] | Auto" = DEFAULT_TRAINER,
    log_every: int = 100,
    tol: float | None = None,
    progress: bool | None = None,
) -> list[Fit]:
    """Train one model per seed, all together: every optimiser step is ``jax.vmap`` ped over the
    models (one compilation, one loop), each model exactly as :func:`fit` would train it alone
    up to floating-point reassociation (on the points as given: no `refine` rounds).

    Returns one :class:`Fit` per seed (they share the ensemble's :class:`History`, whose
    rows are means over the members, with ``loss_max`` the worst). A chunk in which any member
    goes non-finite is retried for all of them with a smaller step.
    """
    seeds = list(seeds)
    require(not isinstance(problem, Family), "fit_ensemble(problem)", "a Family",
            "fit a family once per seed with gluenn.fit (ensembles of families are not built yet)")
    require(not has_noisy_data(problem), "fit_ensemble(problem)", "noisy data (Data(noise=...))",
            "fit it once with gluenn.fit: its uncertainty from the noise is fit.uncertainty(x), not a seed spread")
    require(len(seeds) >= 1 and len(set(seeds)) == len(seeds), "seeds", seeds, "give distinct seeds")
    check_members("seeds", len(seeds))
    parts = [eqx.partition(init_ansatz(problem, network, s), eqx.is_inexact_array) for s in seeds]
    _warn_coarse(problem)
    static = parts[0][1]
    params = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[p for p, _ in parts])
    objective = _objective(problem, parts[0][0], static)
    # a property of the problem, not the seed
    structure = _checked_structure(problem, eqx.combine(parts[0][0], static), objective, parts[0][0])
    phases = _resolve(trainer, structure)
    _check_jacobian(objective, parts[0][0], phases, members=len(seeds))
    params, history = optimise(objective, params, phases, log_every=log_every, tol=tol,
                               progress=progress, ensemble=True)
    history.structure = structure
    history.phases = [p.to_dict() for p in phases]
    return [_warned(Fit(problem, network, s, eqx.combine(jax.tree_util.tree_map(lambda x, i=i: x[i], params), static),
                        history)) for i, s in enumerate(seeds)]


def _warn_coarse(problem: Problem) -> None:
    """A :class:`~gluenn.SamplingWarning` per residual set too coarse for the equation's local waves."""
    for message in coarse_sets(problem):
        warnings.warn(f"sample set {message}", SamplingWarning, stacklevel=3)


def _warned(result: "Fit | FamilyFit") -> "Fit | FamilyFit":
    """`result`, after a :class:`~gluenn.TrustWarning` if its self-checks fail: never a silent wrong answer."""
    if not result.trust.trusted:
        warnings.warn(f"this fit (seed {result.seed}) cannot be trusted: {'; '.join(result.trust.reasons)} "
                      "(see Fit.trust)", TrustWarning, stacklevel=3)
    return result


def objective(problem: Problem, ansatz) -> Objective:
    """The loss :func:`fit` trains, as an engine :class:`~gluenn.engine.Objective` over the
    ansatz's trainable arrays ``eqx.partition(ansatz, eqx.is_inexact_array)[0]`` (output layers
    marked `linear`): for driving a :class:`~gluenn.engine.Phase` or ``gn.optimise`` by hand."""
    params, static = eqx.partition(ansatz, eqx.is_inexact_array)
    return _objective(problem, params, static)


def _objective(problem: Problem, params, static, loss: "Loss | FamilyLoss | None" = None) -> Objective:
    """The problem's :class:`~gluenn.engine.Objective` over the trainable `params`; its data are the
    loss's targets (an argument of the compiled programs: see ``Objective.data``)."""
    loss = Loss(problem) if loss is None else loss
    linear = jax.tree_util.tree_map(lambda _: False, params)
    linear = eqx.tree_at(lambda a: (a.net.out_w, a.net.out_b), linear, replace=(True, True))
    if isinstance(params, UnknownAnsatz) and not params.frozen:  # a Gauss–Newton phase trains them too
        linear = eqx.tree_at(lambda a: a.s, linear, replace=True)
    return Objective(value=lambda p: loss(eqx.combine(p, static)),
                     rows=lambda p: loss.rows(eqx.combine(p, static)), linear=linear,
                     unscaled_rows=lambda p: loss.rows(eqx.combine(p, static), reference=UNSCALED),
                     row_scales=lambda p: loss.row_scales(eqx.combine(p, static)),
                     terms=lambda p: loss.terms(eqx.combine(p, static)),
                     residuals=lambda p: loss.residuals(eqx.combine(p, static)),
                     priorities={s.name: s.priority for s in problem.samples}, data=loss.data,
                     bind=lambda data: _objective(problem, params, static, loss.with_data(data)))


def _resolve(trainer: "Sequence[Phase] | Auto", structure: str) -> list:
    if isinstance(trainer, Auto):
        phases = list(trainer.linear if structure == "linear" else trainer.nonlinear)
    else:
        require(not isinstance(trainer, Phase) and all(isinstance(p, Phase) for p in trainer), "trainer", trainer,
                "give a list of phases, e.g. [gn.Adam(2000), gn.LBFGS(500)], or gn.Auto(linear, nonlinear) itself")
        phases = list(trainer)
    require(len(phases) > 0, "trainer", trainer, "give at least one phase, e.g. [gn.Adam(2000)]; an empty "
            "trainer would return the untrained initial model")
    if structure == "nonlinear" and any(isinstance(p, GaussNewton) and p.damping == 0 for p in phases):
        warnings.warn("an undamped GaussNewton phase (trainer 'lstsq') is one exact solve only when the loss "
                      "rows are linear in the output layers; this problem's are not, so it is a single "
                      "linearised step: use trainer 'auto' or 'gauss-newton'", stacklevel=3)
    return phases


def _member_batch(objective: Objective, params, phases, order: int, network: Network, members: int) -> int | None:
    """How many members of a family a least-squares step forms at once (None: all). Forming one
    member's Jacobian carries every output-layer tangent through the widest layer and the
    derivatives in x: about ``8 · rows · P · (width + 3) · (order + 1)`` bytes (measured on tunneling:
    ~1 GB a member; 29 members at once ran out of 23 GB), so the members go in batches that fit the
    memory limit, one batch after another."""
    if not any(p.linear_only for p in phases):
        return None
    rows = jax.eval_shape(objective.rows, params).shape[0]
    lin = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(eqx.filter(params, objective.linear)))
    width = max((*network.head, network.head_out, *network.trunk), default=1)
    each = 8.0 * rows * lin * (width + 3) * (order + 1)
    _check_jacobian(objective, params, phases)
    batch = max(1, int(limits().memory_bytes() // each))
    return None if batch >= members else batch


def _check_jacobian(objective: Objective, params, phases, members: int = 1) -> None:
    """A least-squares phase forms the Jacobian of every row by every output-layer parameter (and an
    SVD of it): its memory, estimated before anything is allocated."""
    if not any(p.linear_only for p in phases):
        return
    rows = jax.eval_shape(objective.rows, params).shape[0]
    lin = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(eqx.filter(params, objective.linear)))
    check_memory(f"a Gauss–Newton step over {rows:,} rows and {lin:,} output-layer parameters"
                 + (f" for {members} members" if members > 1 else ""), 3 * 8.0 * rows * lin * members)


def _checked_structure(problem: Problem, ansatz: Ansatz, objective: Objective, params) -> str:
    """:func:`least_squares_structure`, after making sure every loss row is finite at the start
    (a non-finite row raises a :class:`~gluenn.ConfigError` naming the term and the ``x``)."""
    probe = _probe_rows(objective, params)
    if not np.all(np.isfinite(probe[0])):
        error = explain_non_finite(problem, ansatz)
        if error is not None:
            raise error
    return _classify(*probe)


def least_squares_structure(objective: Objective, params, seed: int = 0) -> str:
    """``"linear"`` if the loss rows are affine in the objective's linear leaves (the trunks'
    output layers) — then one least-squares solve is the global minimum over them — else
    ``"nonlinear"``. Probe: the second difference ``r(θ+2δ) − 2 r(θ+δ) + r(θ)`` along a random
    ``δ`` vanishes (to rounding) exactly for affine rows."""
    return _classify(*_probe_rows(objective, params, seed))


def _probe_rows(objective: Objective, params, seed: int = 0) -> tuple:
    """The rows at ``θ``, ``θ+δ`` and ``θ+2δ`` for a random ``δ`` in the linear leaves."""
    lin, rest = eqx.partition(params, objective.linear)
    flat, unravel = ravel_pytree(lin)

    @jax.jit
    def rows(v, data):  # no scale taken from the solution: linear rows stay linear
        over = objective.over(data)
        return (over.unscaled_rows or over.rows)(eqx.combine(unravel(v), rest))

    flat = np.asarray(flat)  # the direction in NumPy: no compiled program for a few vector operations
    d = np.random.default_rng(seed).standard_normal(flat.shape)
    d *= 1e-1 * (np.linalg.norm(flat) / np.sqrt(flat.size) + 1e-2)
    return tuple(np.asarray(rows(jnp.asarray(flat + k * d), objective.data)) for k in (0, 1, 2))


def _classify(r0, r1, r2) -> str:
    with np.errstate(invalid="ignore", over="ignore"):  # overflow (e.g. e^c) means nonlinear
        first = np.linalg.norm(r1 - r0)
        second = np.linalg.norm(r2 - 2 * r1 + r0)
    if not (np.isfinite(first) and np.isfinite(second)):
        return "nonlinear"
    return "linear" if second <= 1e-9 * max(first, np.linalg.norm(r0), 1e-300) else "nonlinear"
