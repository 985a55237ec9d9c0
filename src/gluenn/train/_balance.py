"""Loss-term weights during training: fixed, or balanced automatically from gradient norms.

A :class:`Weights` strategy turns the *unweighted* loss terms ``L_i`` into the objective
``Σ_i w_i L_i``. :func:`~gluenn.optimise` asks it for the initial weights and, after every
chunk of ``log_every`` steps, for new ones given the gradient norms ``g_i = ‖∇_θ L_i‖₂``
(computed at the current parameters). Every term's weight and gradient norm is logged
(``w:NAME``, ``g:NAME``). Phases whose state assumes a fixed objective (L-BFGS's curvature
memory) run with the weights frozen.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Mapping

from .._errors import require


class Weights(abc.ABC):
    """How the loss terms are weighted. Subclass and implement :meth:`init` and :meth:`update`."""

    @abc.abstractmethod
    def init(self, grad_norms: Mapping[str, float]) -> dict[str, float]:
        """The weights before training, one per term, given the gradient norms at the start."""

    @abc.abstractmethod
    def update(self, weights: Mapping[str, float], grad_norms: Mapping[str, float]) -> dict[str, float]:
        """New weights after a chunk, from the current ones and the terms' gradient norms."""

    def to_dict(self) -> dict:
        return {"name": type(self).__name__, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class Fixed(Weights):
    """Constant weights: the given ``values`` (missing names: 1)."""

    values: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def init(self, grad_norms):
        return {k: float(self.values.get(k, 1.0)) for k in grad_norms}

    def update(self, weights, grad_norms):
        return dict(weights)


@dataclasses.dataclass(frozen=True)
class GradNorm(Weights):
    """Gradient-norm balancing (Wang, Wang, Bhartari & Perdikaris, *An expert's guide to
    training physics-informed neural networks*, arXiv:2308.08468 (2023), Algorithm 1; the
    max-gradient form is Wang, Teng & Perdikaris, SIAM J. Sci. Comput. 43 (2021) A3055):

        ŵ_i = (Σ_j g_j) / g_i,        w_i ← α w_i + (1 − α) ŵ_i,

    so that every weighted term pulls the parameters equally hard (``w_i g_i`` equal). No λ is
    given: the weights start at ``ŵ`` of the initial parameters (the reference starts at 1 and
    waits 1000 steps; a least-squares trainer may take only a few steps); a term with zero
    gradient keeps its weight (1 at the start).

    - `alpha`: moving-average factor in ``[0, 1)`` (0.9 in the reference).
    """

    alpha: float = 0.9

    def __post_init__(self):
        require(0.0 <= self.alpha < 1.0, "GradNorm.alpha", self.alpha, "use a value in [0, 1)")

    def init(self, grad_norms):
        return self._target({k: 1.0 for k in grad_norms}, grad_norms, 0.0)

    def update(self, weights, grad_norms):
        return self._target(weights, grad_norms, self.alpha)

    @staticmethod
    def _target(weights, grad_norms, alpha):
        total = sum(g for g in grad_norms.values() if math.isfinite(g))
        out = {}
        for k, w in weights.items():
            g = grad_norms.get(k, 0.0)
            if not (math.isfinite(g) and g > 0 and total > 0):
                out[k] = w
                continue
            out[k] = alpha * w + (1.0 - alpha) * total / g
        return out


def weights_strategy(name: str) -> Weights | None:
    """``"fixed"`` → ``None`` (the problem's own λ), ``"auto"`` → :class:`GradNorm`."""
    from .._errors import ConfigError
    if name == "fixed":
        return None
    if name == "auto":
        return GradNorm()
    raise ConfigError(f"--weights {name!r} is invalid: use 'fixed' (the experiment's λ) or 'auto' "
                      "(gradient-norm balancing, no λ)")
