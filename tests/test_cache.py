"""The persistent compilation cache: on by default in its own folder per machine type, off on
request, the user's own JAX setting kept — and a warm run gives the cold run's numbers bit for bit."""

import json
import os
import subprocess
import sys

import pytest

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
