"""Physical systems the experiments share with anyone who wants them: vector fields, rest states
and noise models, written once for JAX (training), NumPy and plain floats (SciPy references)."""

from . import hodgkin_huxley, relic, waves
from .noise import ou_noise

__all__ = ["hodgkin_huxley", "ou_noise", "relic", "waves"]
