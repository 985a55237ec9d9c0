"""Unknown parameters of the known physics from an observed window: the known field's own
trajectory fitted to the data (single shooting), weighted by each channel's noise.

A neural field cannot tell a parameter of the physics (a stimulus current) apart from the
network's freedom: gradient steps on the two together stay where they start (measured on
Hodgkin–Huxley, ``docs/parametric.md``). The known field with the parameter is a small
least-squares problem of its own, solved here before the field is learned; the field then
learns with the calibrated physics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import least_squares

from .._errors import TrainingError, require
from ._loss import Trajectory
from ._solve import integrate, is_heun


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What :func:`calibrate` found.

    - `values`, `sigma`: ``{name: θ}`` and its 1σ (the least-squares covariance, widened by the
      residuals' correlation length: neighbouring samples of correlated noise are not independent).
    - `prior`: ``{name: (lo, hi)}``, the range searched; `edge`: the names whose value lies on an
      end of it (the window prefers a value outside: not a calibration).
    - `noise`: the residual rms of each observed channel (its units): the measurement noise the fit
      implies; `correlation`: the correlation length (samples) used for `sigma`.
    - `evaluations`: trajectories solved (the search's starts plus the least-squares steps).
    """

    values: dict
    sigma: dict
    prior: dict
    edge: tuple
    noise: dict
    correlation: float
    evaluations: int

    @property
    def relative_sigma(self) -> float:
        """The largest ``σ/|θ|`` over the parameters (``inf`` at θ = 0)."""
        return max((s / abs(self.values[k]) if self.values[k] else np.inf) for k, s in self.sigma.items())

    def to_dict(self) -> dict:
        return {"method": "known field fitted to the window (shooting, noise-weighted least squares)",
                **{k: {"value": v, "sigma": self.sigma[k], "prior": list(self.prior[k])} for k, v in self.values.items()},
                "on_prior_edge": list(self.edge), "noise": self.noise, "correlation_samples": self.correlation,
                "trajectories_solved": self.evaluations}


def calibrate(field: Callable, data: Trajectory, z0, parameters: Sequence, *, names: Sequence[str] | None = None,
              dt: float = 0.01, solver="heun", starts: int = 64, passes: int = 3) -> Calibration:
    """The unknowns of `field` (``field(t, z, **θ) -> dz/dt``) that make its trajectory from `z0`
    (shape ``(D,)``) match the observed channels of `data`.

    `parameters`: objects with ``name``, ``lo``, ``hi`` and ``value(u)`` (``u ∈ [0, 1]``), e.g.
    :class:`gluenn.Parameter`; the search runs over ``u``. `starts` quasi-random points of the
    range are solved at once and the best one refined by SciPy's bounded least squares; each of
    `passes` refits weighs every channel by the residual rms of the previous pass (pass 1: the
    channel's spread), so a noisy channel does not drown an exact one. `names`: the channel
    names for :attr:`Calibration.noise`. Cost: ``starts + ~5·passes`` Heun solves of the window.
    """
    params = tuple(parameters)
    require(len(params) >= 1 and starts >= 1 and passes >= 1, "calibrate", (len(params), starts, passes),
            "give at least one parameter, one start and one pass")
    obs, t = np.asarray(data.observed), data.t
    z = jnp.asarray(data.z[:, obs])
    names = tuple(names) if names is not None else tuple(str(j) for j in range(data.z.shape[1]))

    def theta(u):
        return {p.name: p.value(u[i]) for i, p in enumerate(params)}

    # forward mode through the solve (P columns): the scanned Heun steps, or Diffrax's forward mode
    if is_heun(solver):
        grad = "scan"
    else:
        import diffrax  # noqa: PLC0415 (on first use, as in ._solve)

        grad = diffrax.ForwardMode()

    def residuals(u, weight):
        zt = integrate(lambda s, y: field(s, y, **theta(u)), z0, t, solver=solver, dt=dt, adjoint=grad)
        return ((zt[:, obs] - z) / weight).ravel()

    weight = jnp.asarray(np.maximum(data.z[:, obs].std(0), 1e-12))
    grid = _starts(len(params), starts)
    misfit = np.asarray(jax.jit(jax.vmap(lambda u: jnp.mean(residuals(u, weight) ** 2)))(jnp.asarray(grid)))
    if not np.any(np.isfinite(misfit)):
        raise TrainingError(f"calibrate: the known field's trajectory is not finite for any of {starts} values of "
                            f"{', '.join(p.name for p in params)} in the prior; check the field, z0 and dt")
    u, evaluations = grid[int(np.argmin(np.where(np.isfinite(misfit), misfit, np.inf)))], starts
    f, jac = jax.jit(residuals), jax.jit(jax.jacfwd(residuals))
    for _ in range(passes):
        sol = least_squares(lambda x: np.asarray(f(jnp.asarray(x), weight)), u, bounds=(0.0, 1.0), x_scale="jac",
                            jac=lambda x: np.asarray(jac(jnp.asarray(x), weight)))
        u, evaluations = sol.x, evaluations + sol.nfev
        r = sol.fun.reshape(len(t), len(obs))
        weight = weight * np.maximum(r.std(0), 1e-12)
    return _summary(params, theta, u, sol, r, weight, {names[j]: float(w) for j, w in zip(obs, weight)}, evaluations)


def _starts(n: int, count: int) -> np.ndarray:
    """`count` points of ``(0, 1)^n``: the midpoints of a uniform grid (one parameter) or a Halton set."""
    if n == 1:
        return ((np.arange(count) + 0.5) / count)[:, None]
    from scipy.stats import qmc  # 0.5 s to import: only where it is used
    return qmc.Halton(d=n, scramble=False).random(count + 1)[1:]


def _summary(params, theta, u, sol, r, weight, noise, evaluations) -> Calibration:
    tau = max(_correlation(r[:, j]) for j in range(r.shape[1]))
    cov_u = np.mean(sol.fun ** 2) * np.linalg.pinv(sol.jac.T @ sol.jac) * tau
    d = np.asarray(jax.jacfwd(lambda x: jnp.stack([v for v in theta(x).values()]))(jnp.asarray(u)))
    sd = np.sqrt(np.diag(d @ cov_u @ d.T))
    values = {k: float(v) for k, v in theta(jnp.asarray(u)).items()}
    return Calibration(values, {p.name: float(s) for p, s in zip(params, sd)}, {p.name: (p.lo, p.hi) for p in params},
                       tuple(p.name for p, x in zip(params, u) if min(x, 1 - x) < 1e-3), noise, float(tau), evaluations)


def _correlation(x: np.ndarray) -> float:
    """Integrated autocorrelation time of a residual series (samples, ≥ 1): the sum of its
    autocorrelation up to the first negative lag."""
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x, 2 * len(x))) ** 2
    a = np.fft.irfft(power)[:len(x)] / max(float(x @ x), 1e-300)
    k = int(np.argmax(a < 0)) if np.any(a < 0) else len(a)
    return max(1.0, 1.0 + 2.0 * float(a[1:k].sum()))
