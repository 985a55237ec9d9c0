"""Freeze-out's training step against its floating-point operation count (issue 21).

    python benchmarks/step_flops.py            # ~1 min on 2 cores

The default freeze-out trains with Levenberg–Marquardt steps on the output layers
(:class:`gluenn.GaussNewton`). One step forms the Jacobian ``J`` (``M × P``) of the loss rows by
the output-layer parameters, solves the damped system ``[J; √μ D] δ ≈ [−r; 0]`` by one SVD of the
column-scaled ``J D⁻¹`` (``M × P``; the damping only shifts its singular values), and evaluates the
rows once more at the candidate. The count:

- everything but the SVD: XLA's own cost analysis of the compiled step (the SVD is a LAPACK call,
  which XLA does not count);
- the SVD: ``6 m n² + 20 n³`` for ``U₁``, ``Σ`` and ``V`` of an ``m × n`` matrix (R-SVD; Golub and
  Van Loan, *Matrix Computations*, 4th ed., Fig. 8.6.1), ``m = M``, ``n = P``.

The limit is that count at the machine's measured float64 matrix-multiply rate (a compiled
2000 × 2000 product, both cores): no step can do its arithmetic faster. Measured beside it: the
step inside ``gluenn.fit`` (median chunk time of 10 steps per step, the first chunk left out), the
step alone at the trained parameters (compiled, median of 30 calls), and the SVD of a random
matrix of ``J``'s shape alone.
The Jacobian and the network come from the library's own (private) objective builder, as the
step inside ``fit`` sees them.
"""

from __future__ import annotations

import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

import gluenn as gn
from gluenn.pipeline import get


def _median_seconds(f, *args, repeat: int = 30) -> float:
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gemm_rate(n: int = 2000) -> float:
    """float64 FLOP/s of a compiled ``n × n`` matrix product."""
    a = jnp.asarray(np.random.default_rng(0).standard_normal((n, n)))
    return 2.0 * n**3 / _median_seconds(jax.jit(lambda x: x @ x), a, repeat=10)


def _flops(compiled) -> float:
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    return float(cost.get("flops", 0.0))


def main() -> None:
    e = get("freezeout")
    setup = e.build(e.params([]))
    prob = setup.components["y"].problem
    phase = setup.trainer.nonlinear[0] if isinstance(setup.trainer, gn.Auto) else setup.trainer[0]
    ansatz = gn.glue.init_ansatz(prob, setup.network, 0)
    objective = gn.glue.objective(prob, ansatz)
    f = gn.fit(prob, network=setup.network, trainer=setup.trainer, seed=0, log_every=10, progress=False)
    chunk = np.diff([r["time"] for r in f.history.rows[1:]])
    t_fit = statistics.median(chunk[1:]) / 10
    params = eqx.partition(f.ansatz, eqx.is_inexact_array)[0]  # the step where training ends
    state = phase.init(params)
    step = jax.jit(lambda p, s, d: phase.step(objective.over(d), p, s)).lower(params, state, objective.data).compile()
    M = jax.eval_shape(objective.rows, params).shape[0]
    P = sum(int(np.size(x)) for x in jax.tree_util.tree_leaves(eqx.filter(params, objective.linear)))
    m, n = M, P
    xla, svd = _flops(step), 6.0 * m * n**2 + 20.0 * n**3
    rate = gemm_rate()
    t_step = _median_seconds(step, params, state, objective.data)
    A = jnp.asarray(np.random.default_rng(1).standard_normal((m, n)))
    t_svd = _median_seconds(jax.jit(lambda a: jnp.linalg.svd(a, full_matrices=False)), A)
    limit = (xla + svd) / rate
    print(f"phase: {phase.name}({phase.steps}), damping {phase.damping}: rows M = {M}, output-layer parameters P = {P}, "
          f"SVD of {m} x {n}")
    print(f"machine: float64 matrix product {rate / 1e9:.1f} GFLOP/s ({jax.device_count()} device, all cores)")
    print(f"FLOPs per step: {(xla + svd) / 1e6:.1f} M = {xla / 1e6:.1f} M (XLA cost analysis: Jacobian, rows) "
          f"+ {svd / 1e6:.1f} M (SVD, 6mn^2 + 20n^3)")
    print(f"limit at the matrix-product rate: {limit * 1e3:.2f} ms per step")
    print(f"measured: step alone {t_step * 1e3:.2f} ms ({t_step / limit:.1f}x the limit); inside fit "
          f"{t_fit * 1e3:.2f} ms ({t_fit / limit:.1f}x); the SVD alone {t_svd * 1e3:.2f} ms "
          f"({t_svd / (svd / rate):.1f}x its own count at that rate)")


if __name__ == "__main__":
    main()
