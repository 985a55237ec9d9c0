"""The compiled loop: the non-finite guard, retries, tolerance, tracing once."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import gluenn as gn


def _toy(blowup: float):
    """Loss (p − 3)², non-finite wherever |p| > blowup."""
    def f(p):
        loss = jnp.sum((p - 3.0) ** 2)
        return jnp.where(jnp.all(jnp.abs(p) <= blowup), loss, jnp.nan), {"fit": loss}
    return f


def test_nonfinite_chunk_is_rolled_back_and_retried_with_a_smaller_step():
    p0 = jnp.zeros(2)
    params, hist = gn.optimise(_toy(10.0), p0, [gn.Adam(200, lr=16.0)], log_every=50, progress=False)
    assert hist.stop_reason == "completed"
    assert [r["lr"] for r in hist.retries] == [4.0]          # 16 → 4: the first step jumped past |p| = 10
    assert np.all(np.isfinite(params)) and float(jnp.max(jnp.abs(params - 3.0))) < 0.1
    assert all(np.isfinite(r["loss"]) for r in hist.rows)


def test_retries_are_bounded_and_the_reason_is_reported():
    p0 = jnp.zeros(2)
    params, hist = gn.optimise(_toy(1e-9), p0, [gn.Adam(100, lr=1.0)], log_every=50, progress=False,
                               max_retries=2)
    assert hist.stop_reason is gn.StopReason.NON_FINITE and "after 2 retries" in hist.stop_detail
    assert [r["lr"] for r in hist.retries] == [0.25, 0.0625]
    np.testing.assert_array_equal(params, p0)                # rolled back to the last finite state
    assert hist.steps == 0


def test_training_traces_the_loss_a_fixed_number_of_times():
    """No re-tracing per step or per chunk: the loss is traced by the evaluation and by each
    phase's compiled chunk only, however many steps run."""
    def count(steps):
        traces = []

        def f(p):
            traces.append(1)                      # runs only while JAX traces
            loss = jnp.sum((p - 2.0) ** 2)
            return loss, {"fit": loss}
        gn.optimise(f, jnp.zeros(3), [gn.Adam(steps, lr=1e-2), gn.LBFGS(steps // 10)], log_every=25,
                    progress=False)
        return len(traces)
    assert count(100) == count(400) <= 6


def test_an_objectives_data_reach_the_compiled_programs_as_an_argument():
    """Objective.data/bind: the chunk is traced with the data as an argument (problems that differ
    only in their data then share one program), and trains exactly as the objective with the data
    baked in."""
    traced = []

    def over(t):
        traced.append(isinstance(t, jax.core.Tracer))

        def f(p):
            loss = jnp.sum((p - t) ** 2)
            return loss, {"fit": loss}
        return gn.engine.Objective(f, data=t, bind=over)

    target = jnp.array([1.0, -2.0, 0.5])
    baked = over(target)
    baked = gn.engine.Objective(baked.value)  # the same loss, its data a constant
    phases = [gn.Adam(60, lr=0.1), gn.LBFGS(10)]
    p1, h1 = gn.optimise(over(target), jnp.zeros(3), phases, log_every=20, progress=False)
    p2, h2 = gn.optimise(baked, jnp.zeros(3), phases, log_every=20, progress=False)
    assert any(traced[2:]), "bind was never called with traced data: the data are baked in"
    np.testing.assert_array_equal(p1, p2)
    assert [r["loss"] for r in h1.rows] == [r["loss"] for r in h2.rows]


def test_programs_shared_between_calls_give_the_same_result_and_compile_each_phase_once():
    """``optimise(..., programs=d)``: calls over other data (and other starting values) of the same
    computation run the programs compiled by the first call, and give bit for bit what a call of
    its own would; one entry per phase."""
    def over(t):
        def f(p):
            loss = jnp.sum((p - t) ** 2) + 0.1 * jnp.sum(p**4)
            return loss, {"fit": loss}
        return gn.engine.Objective(f, data=t, bind=over)
    phases, programs = [gn.Adam(40, lr=0.1), gn.LBFGS(10)], {}
    for k, (target, start) in enumerate([(jnp.array([1.0, -2.0]), jnp.zeros(2)), (jnp.array([0.3, 4.0]), jnp.ones(2))]):
        alone, h1 = gn.optimise(over(target), start, phases, log_every=20, progress=False)
        shared, h2 = gn.optimise(over(target), start, phases, log_every=20, progress=False, programs=programs)
        np.testing.assert_array_equal(alone, shared)
        assert [r["loss"] for r in h1.rows] == [r["loss"] for r in h2.rows]
        assert len(programs) == 2
        if k:
            assert h2.compile_seconds < 0.2 * h1.compile_seconds, (h1.compile_seconds, h2.compile_seconds)


def test_the_initial_row_is_the_loss_at_the_start_once_whatever_the_first_chunk_does():
    """The initial row comes from the first chunk's own evaluation at its start (no run of the
    chunk for 0 steps): it is the loss at the initial parameters, logged once, before the first
    chunk's row, also when that chunk is rolled back and retried or a second phase follows."""
    p0 = jnp.array([0.5, -1.0])
    loss0 = float(jnp.sum((p0 - 3.0) ** 2))
    _, hist = gn.optimise(_toy(10.0), p0, [gn.Adam(100, lr=16.0), gn.LBFGS(20)], log_every=25, progress=False)
    assert [r["phase"] for r in hist.rows].count("init") == 1 and hist.rows[0]["phase"] == "init"
    assert hist.rows[0]["loss"] == loss0 and hist.rows[0]["fit"] == loss0
    assert hist.retries and hist.rows[1]["phase"] == "adam" and hist.rows[1]["step"] == 25
    _, hist = gn.optimise(_toy(1e-9), p0, [gn.Adam(50, lr=1.0)], log_every=25, progress=False, max_retries=1)
    assert hist.steps == 0 and [r["phase"] for r in hist.rows] == ["init"] and np.isnan(hist.rows[0]["loss"])
