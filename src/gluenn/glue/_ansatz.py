"""The coefficient network (paper Fig. 1) and the ansatz ``y = sum_j f_j(x; c_j(x))``."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._random import bernoulli, fold_in, split, uniform
from .._errors import require
from .._limits import check_width
from ._problem import Term

_ACTIVATIONS = {"tanh": jnp.tanh, "silu": jax.nn.silu, "gelu": jax.nn.gelu, "sin": jnp.sin}


@dataclasses.dataclass(frozen=True)
class Network:
    """Architecture of the coefficient network (paper Fig. 1), JSON-serialisable.

    A shared *head* MLP maps the transformed input to a feature vector of width `head_out`;
    one *trunk* per coefficient (hidden widths `trunk`) maps it to that coefficient.

    **Arguments:**

    - `head`: hidden widths of the head (paper: ``(100, 100)`` for freeze-out).
    - `head_out`: width of the head's output layer (activated, fed to every trunk).
    - `trunk`: hidden widths of each trunk (paper: ``(100,)``).
    - `activation`: ``"tanh"`` (default), ``"silu"``, ``"gelu"`` or ``"sin"``.
    - `input`: ``"linear"`` maps the domain affinely onto `input_range`; ``"log"`` does the same
      to ``log x`` (needs a positive domain) — the natural choice when the regimes are decades apart.
    - `input_range`: the image of the domain. ``None`` (default): ``(-6, 6)`` for ``"linear"``,
      ``(-1, 1)`` for ``"log"``. With ``features="spread"`` it only fixes the units the network
      computes in (the first layer is placed in the domain's own coordinate). With
      ``features="random"`` it sets how finely the coefficient functions can vary, since the hidden
      layers of a least-squares fit are never trained: measured, ``(-1, 1)`` could not split
      Bessel's J0 or a Pöschl–Teller wave between its terms, ``(-4, 4)`` to ``(-8, 8)`` could.
    - `output_scale`: multiplies the initial trunk output weights; small values start every
      coefficient close to its :attr:`Term.init` (measured: faster, more stable training).
    - `features`: how the first hidden layer is drawn. ``"spread"`` (default): each unit is a
      step ``tanh(±(t − t_i)/w_i)`` in the input's own coordinate ``t`` (``x``, or ``log x``), its
      centre ``t_i`` drawn from the distribution of the collocation points
      (:meth:`Problem.collocation_points`) and its width ``w_i`` log-uniform from the domain's span
      down to twice the local spacing of the centres (or of the points, if wider) — so the
      coefficients can carry detail wherever the equation is imposed, down to the scale the
      points resolve, whatever `input_range` is. ``"random"``: the usual uniform initialisation
      (±1 for one input; the paper's networks), whose steps sit near the middle of `input_range`
      with widths ≳ 1 there. Measured with 100 units on a domain of length 26: the random layer
      spans ~50 independent functions and fits a step of width 0.3 to 10 %; the spread one spans
      all 100 and fits it to 0.1 % (``docs/features.md``).
    """

    head: tuple[int, ...] = (100, 100)
    head_out: int = 100
    trunk: tuple[int, ...] = (100,)
    activation: str = "tanh"
    input: str = "linear"
    input_range: tuple[float, float] | None = None
    output_scale: float = 0.1
    features: str = "spread"

    def __post_init__(self) -> None:
        if self.input_range is None:
            object.__setattr__(self, "input_range", (-1.0, 1.0) if self.input == "log" else (-6.0, 6.0))
        object.__setattr__(self, "head", tuple(int(w) for w in self.head))
        object.__setattr__(self, "trunk", tuple(int(w) for w in self.trunk))
        object.__setattr__(self, "input_range", tuple(float(v) for v in self.input_range))
        require(all(w >= 1 for w in self.head + self.trunk) and self.head_out >= 1, "Network widths",
                (self.head, self.head_out, self.trunk), "every width must be a positive integer")
        check_width("Network width", self.head + self.trunk + (self.head_out,))
        require(self.activation in _ACTIVATIONS, "Network.activation", self.activation,
                f"choose one of {sorted(_ACTIVATIONS)}")
        require(self.input in ("linear", "log"), "Network.input", self.input, "use 'linear' or 'log'")
        require(self.features in ("spread", "random"), "Network.features", self.features,
                "use 'spread' (steps spread over the collocation points) or 'random' (the usual initialisation)")
        require(math.isfinite(self.output_scale) and self.output_scale > 0, "Network.output_scale",
                self.output_scale, "use a positive number such as 0.1")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def _uniform(key, shape, fan_in, scale: float = 1.0):
    """``scale ·`` U(−1/√fan_in, 1/√fan_in) of `shape` (drawn in NumPy: ``gluenn._random``)."""
    bound = 1.0 / math.sqrt(fan_in)
    return jnp.asarray(scale * uniform(key, shape, -bound, bound))


def _spread(key, n: int, lo: float, hi: float, where: np.ndarray | None):
    """Centres ``(n,)`` and widths ``(n,)`` (in the input coordinate ``t``) of ``n`` steps that
    follow the sample points `where` (sorted ``t`` values; ``None``: uniform on ``[lo, hi]``).

    Centres are drawn from the samples' own distribution (their interpolated quantile function),
    so features sit where the user asked for detail. At a centre where the samples are ``h``
    apart, the narrowest width is twice the larger of ``h`` and the local spacing of the centres
    ``h · N / n`` (a narrower step would bend the solution between the points where the equation is
    imposed, unseen by the loss); widths are log-uniform from there up to the span of the domain.
    Why twice: ``docs/features.md`` (1× let Airy's residual between the points reach 2 %)."""
    t = np.array([lo, hi]) if where is None or len(where) < 2 else where
    N = len(t) - 1
    kc, kw = split(key)
    u = uniform(kc, (n,))
    grid = np.linspace(0.0, 1.0, N + 1)
    centre = np.interp(u, grid, t)
    half = min(4, N) / N
    a, b = np.clip(u - half, 0, 1), np.clip(u + half, 0, 1)
    h = (np.interp(b, grid, t) - np.interp(a, grid, t)) / ((b - a) * N)
    span = hi - lo
    narrow = np.minimum(np.maximum(2 * h * max(N / n, 1.0), 1e-12 * span), span)
    r = uniform(kw, (n,))
    return centre, narrow * (span / narrow) ** r


def _first_layer(key, n: int, lo: float, hi: float, scale: float, shift: float, where):
    """First-layer weights ``(n, 1)`` and biases ``(n,)`` of the steps ``tanh(±(t − t_i)/w_i)``
    (:func:`_spread`); the network sees ``u = scale·t + shift``, so the slope in ``u`` is ``1/(w_i·scale)``."""
    kspread, ksign = split(key)
    centre, width = _spread(kspread, n, lo, hi, where)
    sign = np.where(bernoulli(ksign, 0.5, (n,)), 1.0, -1.0)
    slope = sign / (width * scale)
    return jnp.asarray(slope[:, None]), jnp.asarray(-slope * (centre * scale + shift))


class CoefficientNet(eqx.Module):
    """Head MLP + one trunk per coefficient; ``net(x)`` returns the raw coefficients, shape ``(K,)``.

    Trunk parameters are stacked along a leading axis of size ``K`` (one slice per
    coefficient), so all trunks run as one batched matmul. ``out_w[k]`` (shape ``(W,)``) and
    ``out_b[k]`` are trunk ``k``'s output layer: the ansatz is linear in them whenever the terms
    are linear in their coefficients.
    """

    head_w: list
    head_b: list
    trunk_w: list
    trunk_b: list
    out_w: jax.Array
    out_b: jax.Array
    shift: float = eqx.field(static=True)
    scale: float = eqx.field(static=True)
    log_input: bool = eqx.field(static=True)
    activation: str = eqx.field(static=True)

    def __init__(self, spec: Network, n_coefficients: int, domain: tuple[float, float],
                 raw_init: np.ndarray, *, key, where: np.ndarray | None = None):
        lo, hi = domain
        if spec.input == "log":
            require(lo > 0, "Network.input", "log", f"the domain {domain} is not positive; use input='linear'")
            lo, hi = math.log(lo), math.log(hi)
        a, b = spec.input_range
        self.scale = (b - a) / (hi - lo)
        self.shift = a - lo * self.scale
        self.log_input = spec.input == "log"
        self.activation = spec.activation
        widths = (1,) + spec.head + (spec.head_out,)
        keys = iter(split(key, 2 * (len(widths) + len(spec.trunk) + 2)))
        self.head_w, self.head_b = [], []
        for w_in, w_out in zip(widths[:-1], widths[1:]):
            self.head_w.append(_uniform(next(keys), (w_out, w_in), w_in))
            self.head_b.append(_uniform(next(keys), (w_out,), w_in))
        if spec.features == "spread":
            t = None if where is None else np.unique(np.log(where) if self.log_input else where)
            t = None if t is None else t[(t >= lo) & (t <= hi)]
            self.head_w[0], self.head_b[0] = _first_layer(fold_in(key, 1), widths[1], lo, hi, self.scale,
                                                          self.shift, t)
        K = n_coefficients
        twidths = (spec.head_out,) + spec.trunk
        self.trunk_w, self.trunk_b = [], []
        for w_in, w_out in zip(twidths[:-1], twidths[1:]):
            self.trunk_w.append(_uniform(next(keys), (K, w_out, w_in), w_in))
            self.trunk_b.append(_uniform(next(keys), (K, w_out), w_in))
        self.out_w = _uniform(next(keys), (K, twidths[-1]), twidths[-1], spec.output_scale)
        self.out_b = jnp.asarray(raw_init, dtype=jnp.float64)

    def features(self, x):
        """The last hidden activations of every trunk, shape ``(K, W)``."""
        act = _ACTIVATIONS[self.activation]
        u = jnp.log(x) if self.log_input else x
        h = jnp.reshape(u * self.scale + self.shift, (1,))
        for w, b in zip(self.head_w, self.head_b):
            h = act(w @ h + b)
        z = jnp.broadcast_to(h, (self.out_b.shape[0],) + h.shape)
        for w, b in zip(self.trunk_w, self.trunk_b):
            z = act(jnp.einsum("kij,kj->ki", w, z) + b)
        return z

    def __call__(self, x):
        z = self.features(x)
        return jnp.sum(self.out_w * z, axis=-1) + self.out_b


class Ansatz(eqx.Module):
    """``y(x) = sum_j f_j(x; c_j(x))`` with the coefficients from a :class:`CoefficientNet`.

    All methods take a *scalar* ``x``; vmap them for arrays (see :class:`gluenn.Solution`).
    """

    net: CoefficientNet
    terms: tuple[Term, ...] = eqx.field(static=True)

    def raw(self, x):
        return self.net(x)

    def coefficient_vectors(self, x) -> dict:
        """``{term name: c}`` with ``c`` of shape ``(n_term,)`` (after ``exp`` for positive terms)."""
        raw = self.net(x)
        out, i = {}, 0
        for t in self.terms:
            c = raw[i:i + t.n]
            out[t.name] = jnp.exp(c) if t.positive else c
            i += t.n
        return out

    def term_values(self, x) -> dict:
        """``{term name: f_j(x; c_j(x))}`` (scalars)."""
        cs = self.coefficient_vectors(x)
        return {t.name: jnp.asarray(t.fn(x, cs[t.name]), dtype=jnp.float64).reshape(())
                for t in self.terms}

    def y(self, x):
        return sum(self.term_values(x).values())

    def derivatives(self, x, order: int) -> tuple:
        """``(y, y', ..., y^(order))`` at scalar ``x`` by nested forward-mode ``jvp``."""
        return derivatives(self.y, x, order)


def derivatives(f, x, order: int) -> tuple:
    """``(f, f', ..., f^(order))`` of a scalar function `f` at scalar `x` by nested forward-mode ``jvp``."""
    if order == 0:
        return (f(x),)
    primal, tangent = jax.jvp(lambda s: derivatives(f, s, order - 1), (x,), (jnp.ones_like(x),))
    return primal + (tangent[-1],)


def make_ansatz(terms: Sequence[Term], spec: Network, domain, *, key, where: np.ndarray | None = None) -> Ansatz:
    """Build an :class:`Ansatz` with trunk biases set from every term's ``init``; `where` (sample
    coordinates, any order) places the first layer's steps for ``features="spread"``.

    Terms whose ``init`` is a function get their trunks' output layers least-squares fitted to
    it on 256 points of the domain (log-spaced for ``input="log"``), hidden layers untouched.
    """
    raw_init = np.concatenate([t.raw_init() for t in terms])
    net = CoefficientNet(spec, len(raw_init), tuple(domain), raw_init, key=key, where=where)
    if any(callable(t.init) for t in terms):
        lo, hi = domain
        x = np.geomspace(lo, hi, 256) if spec.input == "log" else np.linspace(lo, hi, 256)
        feats = np.asarray(jax.jit(jax.vmap(net.features))(jnp.asarray(x)))  # (N, K, W): one program, not ~15
        out_w, out_b = np.array(net.out_w), np.array(net.out_b)
        k = 0
        for t in terms:
            target = t.raw_init_function(x)
            for j in range(t.n):
                if target is not None:
                    A = np.column_stack([feats[:, k, :], np.ones(len(x))])
                    sol = np.linalg.lstsq(A, target[:, j], rcond=None)[0]
                    out_w[k], out_b[k] = sol[:-1], sol[-1]
                k += 1
        net = eqx.tree_at(lambda n: (n.out_w, n.out_b), net, (jnp.asarray(out_w), jnp.asarray(out_b)))
    return Ansatz(net, tuple(terms))
