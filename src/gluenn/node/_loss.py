"""Data + scale-aware physics loss of a (physics-informed) neural ODE (PI-NODE-SR eqs. 6-8)."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import TrainingError, require
from ..engine import mean_square, weighted_rows

from ._solve import ScanAdjoint, adjoint, integrate, is_heun, solver

if TYPE_CHECKING:
    import diffrax


@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory:
    """Observed states ``z`` (shape ``(N, D)``) at times ``t`` (shape ``(N,)``, increasing).

    `observed`: the channels that were measured (indices into the ``D`` state components);
    ``None`` — all of them. The others are *latent*: their columns of ``z`` are never read (fill
    them with NaN), no data term sees them, and only the physics constrains them — e.g. the
    membrane voltage of a neuron observed, its gating variables latent. :meth:`fill` completes
    a partial observation with states from elsewhere (a solve of the known physics).
    """

    t: np.ndarray
    z: np.ndarray
    observed: tuple[int, ...] | None = None

    def __post_init__(self):
        t, z = np.asarray(self.t, np.float64), np.asarray(self.z, np.float64)
        require(t.ndim == 1 and len(t) >= 2, "Trajectory.t", t.shape, "give a 1-D array of at least 2 times")
        require(z.ndim == 2 and z.shape[0] == len(t), "Trajectory.z", z.shape,
                f"give states of shape (len(t), D) = ({len(t)}, D)")
        d = z.shape[1]
        obs = tuple(range(d)) if self.observed is None else tuple(self.observed)
        require(len(obs) >= 1 and all(isinstance(j, (int, np.integer)) and not isinstance(j, (bool, np.bool_))
                                      and 0 <= j < d for j in obs)
                and len(set(obs)) == len(obs), "Trajectory.observed", self.observed,
                f"give distinct channel indices in [0, {d}) (at least one; not a boolean mask), or None for all")
        obs = tuple(sorted(int(j) for j in obs))
        require(bool(np.all(np.isfinite(t)) and np.all(np.isfinite(z[:, obs]))), "Trajectory", "NaN/inf",
                "remove or interpolate non-finite samples of the observed channels")
        require(bool(np.all(np.diff(t) > 0)), "Trajectory.t", "not increasing", "sort the samples by time")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "z", z)
        object.__setattr__(self, "observed", obs)

    @property
    def partial(self) -> bool:
        """Whether some channels are latent (not observed)."""
        return len(self.observed) < self.z.shape[1]

    def fill(self, z) -> "Trajectory":
        """The fully observed trajectory whose latent channels are taken from `z` (shape ``(N, D)``,
        e.g. the known physics solved from an initial state) and observed ones from the data."""
        full = np.array(z, np.float64)
        require(full.shape == self.z.shape, "Trajectory.fill z", full.shape, f"give states of shape {self.z.shape}")
        full[:, self.observed] = self.z[:, self.observed]
        return Trajectory(self.t, full)

    def derivative_scales(self) -> np.ndarray:
        """``s_j``: standard deviation of ``dz_j/dt`` (finite differences), shape ``(D,)``; NaN for a latent channel."""
        s = np.maximum(np.gradient(self.z, self.t, axis=0).std(0), 1e-12)
        return np.where(np.isin(np.arange(len(s)), self.observed), s, np.nan)


@dataclasses.dataclass(frozen=True, eq=False)
class Physics:
    """The known dynamics ``f_known(t, z) -> dz/dt`` (shape ``(D,)``, one state) and its use in the loss.

    - `field`: the known vector field (jittable; ``t`` scalar, ``z`` shape ``(D,)``).
    - `weight`: λ in ``L = L_data + λ L_phys`` (paper: 1.5).
    - `scales`: ``s_j`` of the scale-aware residual ``Σ_j (r_j/s_j)²`` (shape ``(D,)``); ``None``
      is the plain residual ``Σ_j r_j²`` (the vanilla PINN / PI-NODE baseline).
    - `at`: where the residual ``r = f_θ − f_known`` is evaluated: ``"trajectory"`` (the model's
      own solve), ``"data"`` (the observed states) or ``"both"``.
    - `horizon`: with ``at`` ``"trajectory"`` or ``"both"``, also evaluate the residual along the
      model's own continuation of its trajectory past the last observation, up to this time
      (same units as ``t``; no gradient through those states). The physics needs no data, so
      it can be imposed where the model will forecast: a field whose residual vanishes along
      its own trajectory *is* the known dynamics there. ``None``: the observed window only.
    - `spacing`: time between those forecast states (a multiple of the solver step; it should
      resolve the fastest time scale of the system); ``None``: the data spacing.
    - `relative`: ``None`` — the scale-aware residual ``r_j/s_j``; a number ``a`` — the pointwise
      relative residual ``r_j / (a s_j + |f_known,j|)``, which weighs a slow phase of the
      dynamics (small ``|f|``, where a limit cycle's period is decided) like its fast phases.
    - `priority`: what automatic weights (``--weights auto``) make of the term next to the data
      (priority 0): 0 — a fit term of equal standing; 1 — a regulariser of the data fit,
      weighted ``gauge`` (1e-6) below it (see :class:`~gluenn.engine.NTKBalance`).
    - `unknowns`: names of keyword-only arguments of `field` that are *not* known — parameters of
      the physics (a stimulus current, a conductance) learned with the field: the model is then a
      :class:`~gluenn.node.WithParameters` and they are read from it. They learn only where the
      data are in the loss (:class:`NODELoss`); the physics alone (:meth:`alone`) holds them fixed,
      since a free field can match the physics at any value of them.
    """

    field: Callable
    weight: float = 1.5
    scales: np.ndarray | None = None
    at: str = "both"
    priority: int = 0
    horizon: float | None = None
    spacing: float | None = None
    relative: float | None = None
    unknowns: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "unknowns", tuple(self.unknowns))
        require(np.isfinite(self.weight) and self.weight >= 0, "physics weight", self.weight, "use a value >= 0")
        require(isinstance(self.priority, int) and self.priority >= 0, "Physics.priority", self.priority,
                "use 0 (fit term) or 1 (regulariser)")
        require(self.at in ("trajectory", "data", "both"), "Physics.at", self.at, "use trajectory, data or both")
        if self.horizon is not None:
            require(np.isfinite(self.horizon), "Physics.horizon", self.horizon, "give a finite time or None")
        if self.spacing is not None:
            require(np.isfinite(self.spacing) and self.spacing > 0, "Physics.spacing", self.spacing,
                    "give a positive time step or None (the data spacing)")
        if self.relative is not None:
            require(np.isfinite(self.relative) and self.relative > 0, "Physics.relative", self.relative,
                    "give a positive floor (in units of the scales) or None (the scale-aware residual)")
        if self.scales is not None:
            s = np.asarray(self.scales, np.float64)
            require(bool(np.all(np.isfinite(s)) and np.all(s > 0)), "Physics.scales", s, "give positive scales")
            object.__setattr__(self, "scales", s)

    def known(self, model, fixed: bool = False):
        """``f_known(t, z)`` with the `unknowns` read from `model` (`fixed`: no gradient into them)."""
        if not self.unknowns:
            return self.field
        values = {k: model.values[k] for k in self.unknowns}
        values = jax.lax.stop_gradient(values) if fixed else values
        return lambda t, z: self.field(t, z, **values)

    def residuals(self, model, t, z, f_known=None, fixed: bool = False):
        """``(f_θ − f_known)(t_i, z_i)_j / s_j`` (or the `relative` form) at the states `z`
        (``(N, D)``) and times `t`, shape ``(N, D)``; `f_known` may be given precomputed (fixed states
        and no `unknowns`); `fixed`: the unknowns get no gradient."""
        t, z = jnp.asarray(t), jnp.asarray(z)
        f = jax.vmap(self.known(model, fixed))(t, z) if f_known is None else f_known
        r = jax.vmap(model)(t, z) - f
        s = 1.0 if self.scales is None else jnp.asarray(self.scales)
        if self.relative is not None:
            return r / (self.relative * s + jnp.abs(f))
        return r if self.scales is None else r / s

    def residual_loss(self, model, t, z, f_known=None):
        """``mean_i Σ_j ((f_θ − f_known)(t_i, z_i)_j / s_j)²`` (see :meth:`residuals`)."""
        return mean_square(self.residuals(model, t, z, f_known))

    def alone(self, data: "Trajectory", forecast: "Trajectory | None" = None) -> "TermsLoss":
        """The weighted physics term alone, as a loss ``model -> (total, terms)``, on fixed states:
        those of `data` (the observed ones, or any fixed trajectory — a forecast alone) and, if
        given, a `forecast` of the model (see :meth:`NODELoss.forecast`). No ODE solve inside the loss: the cheap warm start of PI-NODE-SR, and its refinement
        along the model's own forecast (a :class:`~gluenn.node.Stage` with ``refresh``)."""
        require(not data.partial, "Physics.alone data", f"observed channels {data.observed}",
                "the physics needs full states: complete the data with Trajectory.fill (e.g. from a solve of "
                "the known field) or use the model's own forecast")
        t, z = data.t, data.z
        if forecast is not None:
            t, z = np.concatenate([t, forecast.t]), np.concatenate([z, forecast.z])
        if self.unknowns:  # f_known depends on the model's parameters: evaluated in the loss, held fixed
            ok = np.all(np.isfinite(z), axis=1)
            t, z = t[ok], z[ok]
            return TermsLoss(lambda model: {"physics": self.residuals(model, t, z, fixed=True)}, {"physics": self.weight})
        f_known = jax.vmap(self.field)(jnp.asarray(t), jnp.asarray(z))
        if forecast is not None:  # a wild forecast can leave the known field's domain (overflow)
            ok = np.asarray(jnp.all(jnp.isfinite(f_known), axis=1))
            t, z, f_known = t[ok], z[ok], f_known[ok]
        return TermsLoss(lambda model: {"physics": self.residuals(model, t, z, f_known)}, {"physics": self.weight})


class ResidualLoss(abc.ABC):
    """A loss ``Σ_k λ_k mean_i Σ_j r_kij²`` given by its residual vectors — the extension point
    for losses of trajectory models (neural ODEs, PINN baselines).

    Subclasses implement :meth:`residuals` and give `weights` (``{term: λ}``, missing: 1) and,
    for automatic weights, `priorities`. Calling the loss returns ``(total, {term: unweighted
    value})``; :meth:`rows` are the least-squares rows (``|rows|² = total``) that Gauss–Newton
    phases solve and NTK weights differentiate. See :func:`gluenn.node.objective`.
    """

    weights: dict
    priorities: dict | None = None

    @abc.abstractmethod
    def residuals(self, model) -> dict:
        """``{term: r}`` with ``r`` of shape ``(N,)`` or ``(N, D)``: unsquared, unweighted."""

    def __call__(self, model):
        terms = {k: mean_square(r) for k, r in self.residuals(model).items()}
        return sum(self.weights.get(k, 1.0) * v for k, v in terms.items()), terms

    def rows(self, model):
        """All residuals as one vector ``sqrt(λ_k/N_k) r_k`` with ``|rows|² = total`` (what a
        :class:`~gluenn.GaussNewton` phase solves)."""
        return weighted_rows(self.residuals(model), self.weights)


@dataclasses.dataclass(frozen=True, eq=False)
class TermsLoss(ResidualLoss):
    """A :class:`ResidualLoss` from a function ``residual_fn(model) -> {term: r}``."""

    residual_fn: Callable
    weights: dict
    priorities: dict | None = None

    def residuals(self, model) -> dict:
        return self.residual_fn(model)


@dataclasses.dataclass(frozen=True, eq=False)
class NODELoss(ResidualLoss):
    """``L = mean_i |ẑ(t_i) − z_i|² + λ mean_i Σ_j (r_ij/s_j)²`` for a vector field model.

    ``ẑ`` is the model's trajectory from the initial state `z0` (shape ``(D,)``; ``None``: the
    first observed state, which needs every channel observed). `solver`, `dt`, `adjoint`:
    Diffrax objects or their names, see :func:`~gluenn.node.integrate` (checked here, once).
    ``physics=None`` is the data-only Neural ODE. Calling ``loss(model)`` returns
    ``(total, {"data": ..., "physics": ...})``.

    A partially observed `data` (:attr:`Trajectory.observed`): the data term compares only
    the observed channels, and the physics' "data" states (``Physics.at``) are the model's
    trajectory with its observed channels replaced by the observations — the latent channels
    are never compared with anything but the physics.
    """

    data: Trajectory
    physics: Physics | None = None
    solver: diffrax.AbstractSolver | str = "heun"
    dt: float = 0.01
    adjoint: diffrax.AbstractAdjoint | ScanAdjoint | str = ScanAdjoint()
    z0: np.ndarray | None = None

    def __post_init__(self):
        object.__setattr__(self, "solver", solver(self.solver))
        object.__setattr__(self, "adjoint", adjoint(self.adjoint))
        require(self.dt > 0, "dt", self.dt, "use a positive step")
        d = self.data.z.shape[1]
        if self.z0 is None:
            require(not self.data.partial, "NODELoss z0", None,
                    f"the first state is not fully observed (channels {self.data.observed} of {d}): give z0, "
                    "the initial state with the latent channels inferred (e.g. a steady state)")
            object.__setattr__(self, "z0", self.data.z[0])
        z0 = np.asarray(self.z0, np.float64)
        require(z0.shape == (d,) and bool(np.all(np.isfinite(z0))), "NODELoss z0", z0.shape,
                f"give a finite initial state of shape ({d},)")
        object.__setattr__(self, "z0", z0)

    def trajectory(self, model):
        return integrate(model, self.z0, self.data.t, solver=self.solver, dt=self.dt, adjoint=self.adjoint)

    def residuals(self, model) -> dict:
        """``{"data": ẑ − z (N, D_obs), "physics": r/s (M, D)}`` (no physics entry without physics)."""
        obs, partial = np.asarray(self.data.observed), self.data.partial
        z_obs = jnp.asarray(self.data.z[:, obs] if partial else self.data.z)
        z_hat = self.trajectory(model)
        out = {"data": (z_hat[:, obs] if partial else z_hat) - z_obs}
        ph = self.physics
        if ph is not None and ph.weight > 0:
            t = np.asarray(self.data.t)
            z_traj = jax.lax.stop_gradient(z_hat)
            z_data = z_traj.at[:, obs].set(z_obs) if partial else z_obs
            states = {"trajectory": [z_traj], "data": [z_data], "both": [z_traj, z_data]}[ph.at]
            r = [ph.residuals(model, np.concatenate([t] * len(states)), jnp.concatenate(states))]
            t_ext = self._forecast_times(t[-1])
            if ph.at != "data" and t_ext is not None:
                z_ext = jax.lax.stop_gradient(self._solve(model, z_traj[-1], t_ext))[1:]
                r_ext = ph.residuals(model, t_ext[1:], z_ext)
                # a diverging continuation (or one outside the known field's domain) must not
                # poison the loss: its non-finite residuals count as zero
                r.append(jnp.where(jnp.isfinite(r_ext), r_ext, 0.0))
            out["physics"] = jnp.concatenate(r)
        return out

    def forecast(self, model) -> Trajectory:
        """The model's own trajectory from the initial state `z0` up to ``physics.horizon``
        (sampled every ``physics.spacing``; beyond the data too), where its physics residual
        can be imposed: the collocation states of :meth:`Physics.alone`. A forecast that
        diverges is cut before its first non-finite state (the physics there pulls it back)."""
        ph = self.physics
        last = float(self.data.t[-1])
        require(ph is not None and ph.horizon is not None and ph.horizon > last, "Physics.horizon",
                None if ph is None else ph.horizon, f"give the physics a forecast horizon past the data (> {last:g})")
        t = self._forecast_times(self.data.t[0])
        z = np.asarray(self._solve(model, self.z0, t))
        n = int(np.argmin(np.all(np.isfinite(z), axis=1))) if not np.all(np.isfinite(z)) else len(t)
        if n < 2:
            raise TrainingError("the model's forecast diverged at once; train the field on the data first "
                                "(a physics warm start) or lower dt")
        return Trajectory(t[:n], z[:n])

    def _solve(self, model, z0, t):
        # forward only (callers stop the gradient): the scan is the cheapest for every solver
        return integrate(model, z0, t, solver=self.solver, dt=self.dt, adjoint=ScanAdjoint())

    def _forecast_times(self, t0):
        """Times from `t0` to ``physics.horizon`` every ``physics.spacing`` (``None``: nothing past the data)."""
        ph, t = self.physics, self.data.t
        if ph is None or ph.horizon is None or ph.horizon <= t[-1]:
            return None
        step = ph.spacing if ph.spacing is not None else float(np.median(np.diff(t)))
        step = self.dt * max(1, round(step / self.dt)) if is_heun(self.solver) else step
        return t0 + step * np.arange(int(np.floor((ph.horizon - t0) / step + 1e-9)) + 1)

    @property
    def weights(self) -> dict:
        return {"physics": self.physics.weight} if self.physics is not None else {}

    @property
    def priorities(self) -> dict | None:
        return {"physics": self.physics.priority} if self.physics is not None else None
