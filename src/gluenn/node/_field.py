"""The learned vector field ``f_θ(z, t) -> dz/dt`` of a neural ODE."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._errors import require
from .._limits import check_width


class VectorField(eqx.Module):
    """MLP vector field with layer norm, tanh and data-statistics normalisation.

    ``f(t, z) = out_scale · MLP((z − z_mean)/z_std [, t/t_scale])`` — the network sees states of
    order one and predicts derivatives in units of their typical size. The normalisation
    constants are fixed (no gradient flows into them).

    **Arguments of** :meth:`create`:

    - `key`: a JAX PRNG key.
    - `z`: observed states, shape ``(N, D)`` (sets ``z_mean``, ``z_std``).
    - `dz_scale`: typical derivative size per channel, shape ``(D,)`` (sets ``out_scale``).
    - `width`, `depth`: hidden width and number of hidden layers (paper: 3 layers of 64–128).
    - `time_input`: also feed ``t/t_scale`` (the paper's non-autonomous ``f(z, t)``).
    - `normalise`: ``False`` uses the raw state and unit output scale (the ablation baseline).
    - `layer_norm`: layer normalisation after each hidden linear layer.
    - `out_init`: scale of the initial output layer (a near-zero field at the start).
    """

    hidden: list
    norms: list
    out: eqx.nn.Linear
    z_mean: jax.Array
    z_std: jax.Array
    out_scale: jax.Array
    t_scale: float = eqx.field(static=True)
    time_input: bool = eqx.field(static=True)

    @classmethod
    def create(cls, key, z, dz_scale, *, width: int = 64, depth: int = 3, time_input: bool = False,
               normalise: bool = True, layer_norm: bool = True, t_scale: float = 1.0,
               out_init: float = 0.1) -> "VectorField":
        z = np.asarray(z, np.float64)
        require(z.ndim == 2 and z.shape[0] >= 2, "VectorField z", z.shape, "give observed states of shape (N, D), N >= 2")
        require(isinstance(width, int) and width >= 1 and isinstance(depth, int) and depth >= 1,
                "VectorField width/depth", (width, depth), "use positive integers")
        check_width("VectorField width", (width, 256 * depth))  # depth counts like a width: both cost memory
        d = z.shape[1]
        dz_scale = np.asarray(dz_scale, np.float64).reshape(d)
        require(bool(np.all(np.isfinite(dz_scale)) and np.all(dz_scale > 0)), "VectorField dz_scale", dz_scale,
                "give positive, finite derivative scales (one per channel)")
        keys = jax.random.split(key, depth + 1)
        n_in = d + (1 if time_input else 0)
        hidden, norms = [], []
        for i in range(depth):
            hidden.append(eqx.nn.Linear(n_in if i == 0 else width, width, key=keys[i], dtype=jnp.float64))
            norms.append(eqx.nn.LayerNorm(width, dtype=jnp.float64) if layer_norm else eqx.nn.Identity())
        out = eqx.nn.Linear(width, d, key=keys[-1], dtype=jnp.float64)
        # a small initial field keeps the first trajectories near the data (a random field
        # integrated over the window runs off to saturated, gradient-free states)
        out = eqx.tree_at(lambda o: (o.weight, o.bias), out, (out.weight * out_init, out.bias * out_init))
        if normalise:
            mean, std, scale = z.mean(0), np.maximum(z.std(0), 1e-12), dz_scale
        else:
            mean, std, scale = np.zeros(d), np.ones(d), np.ones(d)
        return cls(hidden, norms, out, jnp.asarray(mean), jnp.asarray(std), jnp.asarray(scale),
                   float(t_scale), bool(time_input))

    def output_layer(self):
        """The leaves the field is linear in (the output layer): what a
        :class:`~gluenn.GaussNewton` phase solves for exactly."""
        return self.out.weight, self.out.bias

    def __call__(self, t, z, args=None):
        """``dz/dt`` at time `t` (scalar) and state `z` (shape ``(D,)``)."""
        mean, std, scale = (jax.lax.stop_gradient(a) for a in (self.z_mean, self.z_std, self.out_scale))
        x = (z - mean) / std
        if self.time_input:
            x = jnp.concatenate([x, jnp.reshape(t / self.t_scale, (1,))])
        for lin, norm in zip(self.hidden, self.norms):
            x = jnp.tanh(norm(lin(x)))
        return self.out(x) * scale


class WithParameters(eqx.Module):
    """A vector field trained together with unknown parameters of the known physics.

    ``model(t, z)`` is `field`'s; :attr:`values` are the parameters, each kept inside its range by
    construction, ``θ_i = parameters[i].value(sigmoid(raw_i))`` (any object with ``name`` and
    ``value(u)``, ``u ∈ (0, 1)``, e.g. :class:`gluenn.Parameter`). A :class:`~gluenn.node.Physics`
    with ``unknowns`` reads them from the model; starts at the middle of every range.
    """

    field: eqx.Module
    raw: jax.Array  # (P,) unconstrained
    parameters: tuple = eqx.field(static=True)

    @classmethod
    def create(cls, field: eqx.Module, parameters) -> "WithParameters":
        parameters = tuple(parameters)
        return cls(field, jnp.zeros(len(parameters)), parameters)

    @property
    def values(self) -> dict:
        """``{name: value}`` (traced inside training, numbers outside)."""
        u = jax.nn.sigmoid(self.raw)
        return {p.name: p.value(u[i]) for i, p in enumerate(self.parameters)}

    def output_layer(self):
        return self.field.output_layer()

    def __call__(self, t, z, args=None):
        return self.field(t, z, args)
