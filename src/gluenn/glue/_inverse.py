"""Inverse problems from a parametric fit: the parameter θ from an observed read-out, with its interval."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from .._errors import ConfigError, TrustWarning, require


@dataclasses.dataclass(frozen=True)
class Inference:
    """A parameter inferred from an observation ``value ± sigma`` of a read-out.

    - `value`: the θ at which the read-out curve equals the observation (the members' mean for
      several fits); `lower`, `upper`: the 1σ interval — the θ where the curve crosses
      ``value ∓ sigma``, widened in quadrature by the spread of θ over the fits (seeds).
    - `observational`, `model`: the two half-widths that went into it (θ units).
    - `method`: how it was obtained, in words.
    """

    name: str
    value: float
    lower: float
    upper: float
    observational: float
    model: float
    method: str
    #: route (b): whether the fit at the answer and both refits passed their self-checks and the
    #: refits bracket the answer (``None``: not judged here, as for route a)
    trusted: bool | None = None
    #: route (b): the fit at the answer
    fit: object = dataclasses.field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return (f"{self.name} = {self.value:.6g} (1σ: [{self.lower:.6g}, {self.upper:.6g}]; observation ±{self.observational:.3g},"
                f" fits ±{self.model:.3g}) — {self.method}")

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "fit"}


def invert(fits, readout: Callable, observed: float, sigma: float, *, points: int = 2001) -> Inference:
    """θ from ``readout(θ) = observed ± sigma`` on one or more :class:`~gluenn.FamilyFit` s (seeds).

    - `readout`: ``readout(fit, θ) -> values``, vectorised over the NumPy array θ (shape ``(S,)``),
      e.g. ``lambda fit, k: fit.y([2.0], k=k)[:, 0]``. The family must have one parameter.
    - The curve is evaluated at `points` values across the range (in the parameter's own
      coordinate, ``log θ`` for a log parameter) and every crossing is located by linear
      interpolation between neighbours; exactly one crossing of `observed` is required (else a
      :class:`~gluenn.ConfigError` names them), and the interval ends where the curve crosses
      ``observed ∓ sigma`` (the range's end if it does not: the interval is then open, and says so).

    Cost: `points` evaluations of the read-out per fit, one compiled program.
    """
    fits = list(fits) if isinstance(fits, Sequence) else [fits]
    require(len(fits) >= 1, "fits", fits, "give one FamilyFit or a list of them (seeds)")
    family = fits[0].family
    require(len(family.parameters) == 1, "fits", [p.name for p in family.parameters],
            "invert one parameter at a time (a family with one Parameter)")
    require(np.isfinite(observed) and np.isfinite(sigma) and sigma >= 0, "observed ± sigma", (observed, sigma),
            "give a finite observation and an error bar >= 0")
    p = family.parameters[0]
    grid = p.value(np.linspace(0.0, 1.0, points))
    found = [_solve(np.asarray(readout(f, grid), dtype=np.float64), grid, observed, sigma, p.name) for f in fits]
    centres = np.array([c for c, _, _ in found])
    centre = float(np.mean(centres))
    lo = float(np.mean([a for _, a, _ in found]))
    hi = float(np.mean([b for _, _, b in found]))
    obs = 0.5 * (hi - lo)
    model = float(np.std(centres, ddof=1)) if len(fits) > 1 else 0.0
    lower = centre - float(np.hypot(centre - lo, model))
    upper = centre + float(np.hypot(hi - centre, model))
    open_ends = [s for s, v, end in (("below", lower, p.lo), ("above", upper, p.hi)) if np.isclose(v, end)]
    method = (f"root of the read-out curve of {len(fits)} parametric fit(s) over {p.name} in [{p.lo:g}, {p.hi:g}]"
              + (f"; interval open {' and '.join(open_ends)} (the range's end)" if open_ends else ""))
    return Inference(p.name, centre, lower, upper, obs, model, method)


def _solve(curve: np.ndarray, grid: np.ndarray, observed: float, sigma: float, name: str) -> tuple:
    """``(θ at observed, θ at one end of ±sigma, θ at the other)`` on one read-out curve."""
    if not np.all(np.isfinite(curve)):
        raise ConfigError(f"readout is invalid: it is not finite at {name}={grid[~np.isfinite(curve)][0]:.6g}")
    roots = _crossings(curve, grid, observed)
    if len(roots) != 1:
        where = "never" if not roots else f"{len(roots)} times (at {', '.join(f'{r:.6g}' for r in roots[:5])})"
        raise ConfigError(f"observed={observed:.6g} is invalid: the read-out curve reaches it {where} over "
                          f"{name} in [{grid[0]:.6g}, {grid[-1]:.6g}] (curve from {curve.min():.6g} to {curve.max():.6g});"
                          " widen the range or observe a read-out that is monotonic in the parameter")
    ends = []
    for v in (observed - sigma, observed + sigma):
        r = _crossings(curve, grid, v)
        ends.append(r[0] if len(r) == 1 else (grid[0] if (v - curve[0]) * (curve[-1] - curve[0]) < 0 else grid[-1]))
    return roots[0], min(ends), max(ends)


def _crossings(curve: np.ndarray, grid: np.ndarray, level: float) -> list[float]:
    d = curve - level
    out = [float(grid[i]) for i in np.flatnonzero(d == 0)]
    for i in np.flatnonzero(d[:-1] * d[1:] < 0):
        out.append(float(grid[i] + (grid[i + 1] - grid[i]) * d[i] / (d[i] - d[i + 1])))
    return sorted(set(out))


def invert_jointly(problem, unknown, observed: str, sigma: float, *, network=None, trainer=None, seed: int = 0,
                   progress: bool | None = None, rounds: int = 4) -> Inference:
    """θ from one fit in which it is trained with the coefficients (route b): `problem`'s functions
    take the :class:`~gluenn.Parameter` `unknown` as a keyword-only argument and its
    :class:`~gluenn.Data` set named `observed` holds the observation, whose 1σ error is `sigma`.

    The interval: two more fits, each started from the answer, with the observation moved by −σ
    and +σ (every point of that set moved alike). ``result.fit`` is the fit at the answer; its
    ``trust`` says whether it solved the problem (``to_dict()["trusted"]``). Each of the three fits
    that fails its self-checks is continued from where it stopped — up to `rounds` more times,
    while its loss still falls by a tenth a round — since the joint problem converges slowly
    where θ and the coefficients trade off. Cost: three fits (the last two warm-started), up to
    ``3·(1 + rounds)``.
    """
    from ._ansatz import Network
    from ._fit import DEFAULT_TRAINER
    from ._problem import Data
    from ._unknown import check_unknowns
    params = check_unknowns(problem, [unknown])
    sets = {s.name: s for s in problem.samples}
    require(isinstance(sets.get(observed), Data), "observed", observed,
            f"name the Data set that holds the observation: one of {[n for n, s in sets.items() if isinstance(s, Data)]}")
    require(np.isfinite(sigma) and sigma > 0, "sigma", sigma, "give the observation's 1σ error, > 0")
    require(not any(isinstance(s, Data) and s.noisy for s in problem.samples), "invert_jointly(problem)",
            "noisy data (Data(noise=...))", "fit it with gluenn.fit(problem, unknowns=[...]): θ and its error "
            "come from the declared noise (fit.unknowns, fit.noisy.errors)")
    network = Network() if network is None else network
    trainer = DEFAULT_TRAINER if trainer is None else trainer
    options = dict(log_every=100, tol=None, progress=progress, callback=None)
    require(isinstance(rounds, int) and rounds >= 0, "rounds", rounds, "give the most continuation rounds, >= 0")
    central, trained, n = _converged(problem, params, network, trainer, seed, options, None, rounds)
    shifted = [_converged(_shifted(problem, observed, shift), params, network, trainer, seed, options, trained, rounds)
               for shift in (-sigma, sigma)]
    refits, more = [f for f, _, _ in shifted], [k for _, _, k in shifted]
    ends = [f.unknowns[unknown.name] for f in refits]
    value, lower, upper = central.unknowns[unknown.name], min(ends), max(ends)
    edge = [w for w, v, e in (("below", lower, unknown.lo), ("above", upper, unknown.hi)) if np.isclose(v, e, rtol=1e-3)]
    failed = [f"{name} fit: {'; '.join(f.trust.reasons)}" for name, f in zip(("central", "−σ", "+σ"), [central] + refits)
              if not f.trust.trusted] + ([] if lower <= value <= upper else ["the refits do not bracket the answer"])
    continued = f"; continued {n}, {more[0]}, {more[1]} rounds (central, −σ, +σ)" if n or any(more) else ""
    method = (f"trained with the coefficients in one fit (route b), interval from refits at {observed} ∓ σ{continued}"
              + (f"; at the range's end {' and '.join(edge)}: widen the range" if edge else "")
              + (f"; NOT converged: {' / '.join(failed)}" if failed else ""))
    if failed:
        warnings.warn(f"invert_jointly: {unknown.name} = {value:.6g} cannot be trusted: {' / '.join(failed)}",
                      TrustWarning, stacklevel=2)
    return Inference(unknown.name, value, lower, upper, 0.5 * (upper - lower), 0.0, method, not failed, central)


def _converged(problem, params, network, trainer, seed, options, start, rounds) -> tuple:
    """``(fit, trained, continuation rounds)``: :func:`fit_unknowns` from `start`, continued from
    where it stopped while it fails its self-checks and its loss fell by a tenth in the last round."""
    from ._fit import fit_unknowns
    fit, trained = fit_unknowns(problem, params, network, trainer, seed, options, start=start)
    for n in range(rounds):
        if fit.trust.trusted:
            return fit, trained, n
        before = fit.history.final.get("loss", np.inf)
        fit, trained = fit_unknowns(problem, params, network, trainer, seed, options, start=trained)
        if not fit.history.final.get("loss", np.inf) < 0.9 * before:
            return fit, trained, n + 1
    return fit, trained, rounds


def _shifted(problem, name: str, shift: float):
    """`problem` with every target of its data set `name` moved by `shift`."""
    samples = tuple(dataclasses.replace(s, target=s.targets(s.points.values()) + shift) if s.name == name else s
                    for s in problem.samples)
    return dataclasses.replace(problem, samples=samples)
