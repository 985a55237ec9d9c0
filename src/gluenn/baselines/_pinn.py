"""Vanilla PINN baseline for a system of ODEs: a network ``t -> z(t)`` trained on data and the
plain (or scale-aware) residual ``dz/dt − f_known(t, z)`` (PI-NODE-SR paper §4.2)."""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import require
from .._limits import check_width
from ..node import ResidualLoss


class TrajectoryNet(eqx.Module):
    """MLP ``t -> z`` (tanh, layer norm). With `normalise`, ``t`` is mapped to ``[-1, 1]`` over
    the training window and the output is ``z_mean + z_std · MLP``; without, raw units."""

    hidden: list
    norms: list
    out: eqx.nn.Linear
    t_lo: float = eqx.field(static=True)
    t_hi: float = eqx.field(static=True)
    z_mean: jax.Array
    z_std: jax.Array

    @classmethod
    def create(cls, key, t, z, *, width: int = 64, depth: int = 3, normalise: bool = True) -> "TrajectoryNet":
        t, z = np.asarray(t, np.float64), np.asarray(z, np.float64)
        require(z.ndim == 2 and z.shape[0] == len(t), "TrajectoryNet z", z.shape, "give states of shape (len(t), D)")
        check_width("TrajectoryNet width", (width, 256 * depth))
        keys = jax.random.split(key, depth + 1)
        hidden = [eqx.nn.Linear(1 if i == 0 else width, width, key=keys[i], dtype=jnp.float64) for i in range(depth)]
        norms = [eqx.nn.LayerNorm(width, dtype=jnp.float64) for _ in range(depth)]
        out = eqx.nn.Linear(width, z.shape[1], key=keys[-1], dtype=jnp.float64)
        if normalise:
            lo, hi, mean, std = float(t[0]), float(t[-1]), z.mean(0), np.maximum(z.std(0), 1e-12)
        else:
            lo, hi, mean, std = -1.0, 1.0, np.zeros(z.shape[1]), np.ones(z.shape[1])
        return cls(hidden, norms, out, lo, hi, jnp.asarray(mean), jnp.asarray(std))

    def __call__(self, t):
        """``z(t)`` for a scalar `t`, shape ``(D,)``."""
        x = jnp.reshape(2 * (t - self.t_lo) / (self.t_hi - self.t_lo) - 1, (1,))
        for lin, norm in zip(self.hidden, self.norms):
            x = jnp.tanh(norm(lin(x)))
        return jax.lax.stop_gradient(self.z_mean) + jax.lax.stop_gradient(self.z_std) * self.out(x)


@dataclasses.dataclass(frozen=True, eq=False)
class PINNLoss(ResidualLoss):
    """``mean_i |z(t_i) − z_i|² + λ mean_k Σ_j (r_kj / s_j)²`` with ``r = dz/dt − f_known(t, z)``
    at the data times (``dz/dt`` by forward-mode autodiff). ``scales=None``: plain residual."""

    t: np.ndarray
    z: np.ndarray
    field: object
    weight: float = 1.0
    scales: np.ndarray | None = None

    def residuals(self, net) -> dict:
        """``{"data": z(t_i) − z_i, "physics": r/s}``, each of shape ``(N, D)``."""
        t = jnp.asarray(self.t)

        def value_and_rate(ti):
            return jax.jvp(net, (ti,), (jnp.ones_like(ti),))

        z, dz = jax.vmap(value_and_rate)(t)
        r = dz - jax.vmap(self.field)(t, z)
        if self.scales is not None:
            r = r / jnp.asarray(self.scales)
        return {"data": z - jnp.asarray(self.z), "physics": r}

    @property
    def weights(self) -> dict:
        return {"physics": self.weight}
