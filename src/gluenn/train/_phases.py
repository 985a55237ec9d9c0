"""Optimiser phases: one small declarative class per optimiser (Optax underneath).

A training run is a sequence of phases, e.g. ``[Adam(2000), LBFGS(500)]``: the paper's Adam,
then L-BFGS refinement (measured here to hold 0.1 % on freeze-out where Adam alone wobbled).
Add an optimiser by subclassing :class:`Phase` and implementing ``init`` and ``step``.
"""

from __future__ import annotations

import abc
import dataclasses
import math

import jax
import optax

from .._errors import require


class Phase(abc.ABC):
    """One optimiser run for a number of steps on a scalar loss ``f(params)``."""

    steps: int
    name: str = "phase"

    def _check(self) -> None:
        require(isinstance(self.steps, int) and self.steps >= 0, f"{self.name}.steps", self.steps,
                "use a non-negative integer")

    @abc.abstractmethod
    def init(self, params):
        """The optimiser state for ``params``."""

    @abc.abstractmethod
    def step(self, f, params, state):
        """One update: returns ``(params, state)``. ``f(params) -> scalar`` is pure and jittable."""

    def to_dict(self) -> dict:
        return {"name": self.name, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class Adam(Phase):
    """Adam with a learning-rate schedule.

    - `steps`: number of updates.
    - `lr`: peak learning rate.
    - `schedule`: ``"cosine"`` (decay to ``lr * final_ratio``), ``"exponential"`` (same end
      point, geometric), or ``"constant"``.
    - `clip`: global gradient-norm clip (``None``: off).
    """

    steps: int = 2000
    lr: float = 1e-3
    schedule: str = "cosine"
    final_ratio: float = 0.01
    clip: float | None = None
    name: str = "adam"

    def __post_init__(self):
        self._check()
        require(math.isfinite(self.lr) and self.lr > 0, "adam.lr", self.lr, "use a positive learning rate")
        require(self.schedule in ("cosine", "exponential", "constant"), "adam.schedule", self.schedule,
                "use 'cosine', 'exponential' or 'constant'")
        require(0 < self.final_ratio <= 1, "adam.final_ratio", self.final_ratio, "use a value in (0, 1]")

    def _transform(self):
        n = max(self.steps, 1)
        if self.schedule == "cosine":
            lr = optax.cosine_decay_schedule(self.lr, n, alpha=self.final_ratio)
        elif self.schedule == "exponential":
            lr = optax.exponential_decay(self.lr, n, self.final_ratio)
        else:
            lr = self.lr
        parts = [optax.clip_by_global_norm(self.clip)] if self.clip else []
        return optax.chain(*parts, optax.adam(lr))

    def init(self, params):
        return self._transform().init(params)

    def step(self, f, params, state):
        grad = jax.grad(f)(params)
        updates, state = self._transform().update(grad, state, params)
        return optax.apply_updates(params, updates), state


@dataclasses.dataclass(frozen=True)
class LBFGS(Phase):
    """Optax L-BFGS with a zoom line search (full batch, deterministic).

    Costs more compile time than Adam (a few seconds: the line search is a while-loop) and
    about 2-4 loss evaluations per step; converges far further on smooth, full-batch losses.
    """

    steps: int = 500
    memory: int = 10
    name: str = "lbfgs"

    def __post_init__(self):
        self._check()
        require(isinstance(self.memory, int) and self.memory >= 1, "lbfgs.memory", self.memory,
                "use a positive integer")

    def _transform(self):
        return optax.lbfgs(memory_size=self.memory)

    def init(self, params):
        return self._transform().init(params)

    def step(self, f, params, state):
        opt = self._transform()
        value, grad = optax.value_and_grad_from_state(f)(params, state=state)
        updates, state = opt.update(grad, state, params, value=value, grad=grad, value_fn=f)
        return optax.apply_updates(params, updates), state
