"""An output folder is complete and consistent, or visibly not: faults injected for real (a kill
between two output files, another run's folder, a concurrent writer, an unwritable folder, damaged
resume state)."""

import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import get
from gluenn.pipeline._resume import FORMAT as RESUME_FORMAT

BUILDS = []


def _build(p):
    BUILDS.append(p.k)
    eq = gn.Equation(lambda x, y, dy: dy + p.k * y)
    ref = gn.reference.solve_equation(eq, 0.0, [1.0], 2.0 / p.k)
    problem = gn.Problem([gn.Term("decay", lambda x, c: c[0] * jnp.exp(-p.k * x))], eq,
                         [gn.Data(gn.linspace(0, 0.2 / p.k, 6), ref.y, weight=10.0),
                          gn.Residual(gn.linspace(0, 2.0 / p.k, 30))], (0.0, 2.0 / p.k))
    return gn.Setup({"y": gn.Component(problem, ref)}, gn.Network(head=(8,), head_out=8, trunk=(8,)),
                    gn.trainer_phases("lstsq", steps=0), log_every=1,
                    readout=lambda s: {"y_end": float(s["y"].y(np.array([2.0 / p.k]))[0])})


DECAY = gn.Experiment("decay", "y' = -k y", {"k": gn.Param(3.0, "rate", positive=True)}, _build)


def _run(out, k=3.0, **kw):
    return gn.run_experiment(DECAY, overrides={"k": k}, out=out, progress=False, **kw)


def _manifest(out) -> dict:
    return json.loads((pathlib.Path(out) / "manifest.json").read_text())


def test_manifest_lists_every_output_with_its_checksum(tmp_path):
    _run(tmp_path / "d")
    m = _manifest(tmp_path / "d")
    assert m["complete"] is True and m["experiment"] == "decay" and m["params"] == {"k": 3.0}
    assert set(m["files"]) == {"metrics.json", "solution.png", "coefficients.png", "coefficients.csv",
                               "checkpoint.eqx", "checkpoint.eqx.json", "log.jsonl"}
    for name, f in m["files"].items():
        data = (tmp_path / "d" / name).read_bytes()
        assert f == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert not (tmp_path / "d" / ".gluenn.lock").exists()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "d" / "metrics.json").stat().st_mode & 0o777 == 0o666 & ~umask   # not 0600


def test_a_folder_holding_another_run_is_refused_unless_overwrite(tmp_path):
    d = tmp_path / "d"
    _run(d)
    before = _manifest(d)
    BUILDS.clear()
    with pytest.raises(gn.ConfigError, match="holds a 'decay' run .* another params.*--overwrite"):
        _run(d, k=5.0)
    assert BUILDS == [] and _manifest(d) == before                  # refused before any work; untouched
    _run(d)                                                         # the same configuration again: fine
    _run(d, k=5.0, overwrite=True)
    assert _manifest(d)["params"] == {"k": 5.0}
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(gn.ConfigError, match=r"files that are not a gluenn run's \(notes.txt\)"):
        _run(tmp_path / "mine")


def test_a_refused_run_leaves_nothing_behind(tmp_path):
    with pytest.raises(gn.ConfigError, match="k=-1.0 is invalid"):
        _run(tmp_path / "new", k=-1.0)
    bad = gn.Experiment("bad", "", {"k": gn.Param(1.0, "")}, lambda p: gn.require(False, "k", p.k, "never"))
    with pytest.raises(gn.ConfigError, match="never"):
        gn.run_experiment(bad, out=tmp_path / "new2", progress=False)
    assert not (tmp_path / "new").exists() and not (tmp_path / "new2").exists()
    assert main(["run", "freezeout", "--out", "", "--no-progress"]) == 2


KILL = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    import gluenn.pipeline._report as report
    from pipeline.test_pipeline_folder import _run
    def killed(*a, **kw):
        os.kill(os.getpid(), signal.SIGKILL)      # kill -9 between two output files
    report.plot_solution = killed
    _run({out!r})
    """)


@pytest.mark.slow  # a fresh Python process that imports JAX, trains and is killed
def test_a_kill_between_two_output_files_leaves_no_completion_marker(tmp_path):
    d = tmp_path / "d"
    _run(d)                                                          # an occupied folder: a complete run
    code = subprocess.run([sys.executable, "-c", KILL.format(tests=str(pathlib.Path(__file__).parents[1]),
                                                             out=str(d))], capture_output=True).returncode
    assert code == -9
    names = {p.name for p in d.iterdir()}
    assert "manifest.json" not in names and "metrics.json" not in names   # visibly incomplete
    assert "coefficients.csv" in names and ".gluenn.lock" in names       # files of the killed run, its lock
    with pytest.raises(gn.ConfigError, match="an incomplete gluenn run.*--overwrite"):
        _run(d)
    _run(d, overwrite=True)                                          # the dead writer's lock is taken over
    assert _manifest(d)["complete"] and not (d / ".gluenn.lock").exists()


def test_a_concurrent_writer_is_refused(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (d / ".gluenn.lock").write_text(str(other.pid))
        with pytest.raises(gn.ConfigError, match=f"another gluenn run \\(pid {other.pid}\\) is writing into it"):
            _run(d)
    finally:
        other.kill()
        other.wait()
    _run(d)                                                          # its lock is stale now


def test_an_unwritable_folder_is_refused_before_any_work():
    BUILDS.clear()
    with pytest.raises(gn.ConfigError, match="cannot (write into|create) it"):
        _run("/proc/self/gluenn-out")
    with pytest.raises(gn.ConfigError, match="cannot write into it"):
        _run("/proc/self", overwrite=True)
    assert BUILDS == []


def test_an_immutable_folder_is_refused_before_any_work(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode:
        pytest.skip("chattr +i is not supported here (needs root and an ext-like filesystem)")
    try:
        BUILDS.clear()
        with pytest.raises(gn.ConfigError, match="cannot write into it"):
            _run(d)
        assert BUILDS == []
    finally:
        subprocess.run(["chattr", "-i", str(d)], capture_output=True)


def _damaged(tmp_path, state, files=()):
    d = tmp_path / "d"
    (d / "resume").mkdir(parents=True)
    (d / "resume" / "state.json").write_text(state if isinstance(state, str) else json.dumps(state))
    for f in files:
        (d / "resume" / f).write_bytes(b"\0" * 8)
    return d


@pytest.mark.parametrize("damage, says", [
    ("{not json", "not readable JSON"),
    ("[1, 2]", f"not in gluenn's {RESUME_FORMAT!r} format"),
    ("old-format", "written by another version of gluenn (format 'gluenn-resume-1'; this version reads"),
    ("missing-opt", "y.opt.eqx is missing"),
    ("no-history", "no log of part 'y'"),
    ("truncated", "does not fit this configuration"),
])
def test_damaged_resume_state_is_one_clear_line(tmp_path, capsys, damage, says):
    fp = {"experiment": "freezeout", "params": dict(get("freezeout").params()), "seed": 0, "preset": None,
          "weights": "fixed"}
    at = {"phase_index": 0, "done": 100, "phase": {"steps": 1500}, "weights": None}
    state = {"format": RESUME_FORMAT, "fingerprint": fp, "finished": [], "current": "y", "at": at,
             "histories": {"y": {"rows": [{"phase": "init", "step": 0, "loss": 1.0}]}}}
    if damage == "no-history":
        state["histories"] = {}
    if damage == "old-format":  # saved before the L-BFGS state gained its line-search counters
        state["format"] = "gluenn-resume-1"
    files = {"missing-opt": ["y.eqx"]}.get(damage, ["y.eqx", "y.opt.eqx"])
    d = _damaged(tmp_path, damage if damage.startswith(("{", "[")) else state, files)
    assert main(["run", "freezeout", "--resume", str(d), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gluenn: error: --resume") and says in err[-1], err
    assert "Traceback" not in "\n".join(err)
