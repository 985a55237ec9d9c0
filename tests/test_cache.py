"""The persistent compilation cache: on by default in its own folder per machine type, off on
request, the user's own JAX setting kept — and a warm run gives the cold run's numbers bit for bit.
Stored reference arrays: computed once per key, read back bit for bit, recomputed when damaged."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gluenn import _cache

RUN = """
import json, sys
import jax, gluenn as gn
from gluenn import _cache
r = gn.run_experiment(gn.pipeline.get("freezeout"), overrides=["steps=5", "lbfgs_steps=20"], progress=False)
print(json.dumps({"dir": jax.config.values["jax_compilation_cache_dir"],
                  "Y_end": r.metrics["readouts"]["Y_end"]["pred"], "compile": r.metrics["train"]["compile_seconds"]}))
"""

WHERE = "import json, jax, gluenn; print(json.dumps({'dir': jax.config.values['jax_compilation_cache_dir']}))"


def _python(code: str, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GLUENN_CACHE", "JAX_COMPILATION_CACHE"))}
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.slow  # three fresh interpreters (~9 s): the default set stays under 3 min on 2 cores
def test_the_cache_folder_is_per_machine_and_can_be_turned_off_or_kept(tmp_path):
    on = _python(WHERE, GLUENN_CACHE_DIR=str(tmp_path))
    assert on["dir"].startswith(str(tmp_path) + os.sep + "jax-") and os.path.isdir(on["dir"])
    assert _python(WHERE, GLUENN_CACHE_DIR=str(tmp_path), GLUENN_CACHE="off")["dir"] is None
    mine = str(tmp_path / "mine")
    assert _python(WHERE, GLUENN_CACHE_DIR=str(tmp_path), JAX_COMPILATION_CACHE_DIR=mine)["dir"] == mine


@pytest.mark.slow
def test_a_warm_run_loads_compiled_programs_and_gives_the_same_bits(tmp_path):
    cold = _python(RUN, GLUENN_CACHE_DIR=str(tmp_path))
    entries = [p for p in os.listdir(cold["dir"])]
    assert entries, "nothing was stored"
    warm = _python(RUN, GLUENN_CACHE_DIR=str(tmp_path))
    assert warm["Y_end"] == cold["Y_end"]
    off = _python(RUN, GLUENN_CACHE="off")
    assert off["Y_end"] == cold["Y_end"]


SHARED = """
import json, os, jax, numpy as np, jax.numpy as jnp, gluenn as gn
def problem(phase):
    return gn.Problem([gn.Term("osc", lambda x, c: c[0] * jnp.cos(x) + c[1] * jnp.sin(x), coefficients=("a", "b"))],
                      gn.Equation(lambda x, y, dy, d2y: d2y + y),
                      [gn.Data(gn.linspace(0.0, 1.0, 12), lambda x: np.cos(x + phase), scale=1.0),
                       gn.Residual(gn.linspace(0, 6, 60))], (0.0, 6.0))
folder = jax.config.values["jax_compilation_cache_dir"]
net = gn.Network(head=(16,), head_out=16, trunk=(16,))
counts = []
for phase in (0.0, 0.7):
    fit = gn.fit(problem(phase), network=net, seed=0, progress=False)
    counts.append(len(os.listdir(folder)))
ev = fit.solution.evaluate(np.array([3.0]))
print(json.dumps({"counts": counts, "y": float(ev.y[0]), "exact": float(np.cos(3.0 + 0.7))}))
"""


@pytest.mark.slow
def test_problems_that_differ_only_in_their_targets_share_every_compiled_program(tmp_path):
    """The targets are an argument of the compiled programs, not constants in them: a second problem
    that differs only in its data (the imaginary part of a wave, another observation) compiles nothing
    new — every program it runs is already in the cache."""
    out = _python(SHARED, GLUENN_CACHE_DIR=str(tmp_path))
    first, second = out["counts"]
    assert first > 0 and second == first, out["counts"]
    assert abs(out["y"] - out["exact"]) < 1e-6  # and the second problem is solved, not the first again


def test_a_stored_array_is_computed_once_per_key_and_read_back_bit_for_bit(tmp_path, monkeypatch):
    monkeypatch.setenv("GLUENN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GLUENN_CACHE", raising=False)
    calls = []

    def compute(scale=1.0):
        calls.append(scale)
        return scale * np.sin(np.linspace(0.0, 3.0, 7)) / 3.0

    grid = np.linspace(0.0, 1.0, 5)
    first = _cache.stored_array("test", (1.0, grid, "rtol=1e-9", _cache), compute)
    again = _cache.stored_array("test", (1.0, grid, "rtol=1e-9", _cache), compute)
    assert len(calls) == 1 and again.tobytes() == first.tobytes()
    _cache.stored_array("test", (1.0, grid + 1e-12, "rtol=1e-9", _cache), compute)  # another input
    assert len(calls) == 2
    damaged, emptied = sorted(tmp_path.rglob("*.npy"))
    damaged.write_bytes(b"not an array")  # a damaged file is computed again, not trusted
    emptied.write_bytes(b"")
    _cache.stored_array("test", (1.0, grid, "rtol=1e-9", _cache), compute)
    _cache.stored_array("test", (1.0, grid + 1e-12, "rtol=1e-9", _cache), compute)
    assert len(calls) == 4
    assert _cache.stored_array("test", (1.0, grid, "rtol=1e-9", _cache), compute).tobytes() == first.tobytes()
    assert len(calls) == 4  # and the recomputed files were stored again
    monkeypatch.setenv("GLUENN_CACHE", "off")  # off: computed every time
    _cache.stored_array("test", (1.0, grid, "rtol=1e-9", _cache), compute)
    assert len(calls) == 5
