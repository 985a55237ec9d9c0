"""Sweeps: the plan (Latin hypercube, grid, seeds), the folder and table contract, reuse of finished
points, failed points, Ctrl-C; and (slow) the same on a real Dask LocalCluster of two worker
processes — bit-for-bit equal to single runs, and a worker killed in the middle of a sweep."""

import json
import os
import pathlib
import signal
import threading
import time

import numpy as np
import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import Vary, get, parse_seeds, plan

#: a user experiment that trains nothing: it records each run in a file and reports a read-out
MODULE = '''
import pathlib
import gluenn as gn

class Counting(gn.CustomSetup):
    def __init__(self, p):
        self.p = p

    def run(self, *, seed, out_dir, progress, store, weights=None):
        with open(self.p.calls, "a") as fh:
            fh.write(f"{self.p.a} {seed}\\n")
        if self.p.a == 13.0:
            raise KeyboardInterrupt
        pred = self.p.a * (1 + 1e-3 * seed)
        body = {"train": {"steps": 1, "seconds": 0.0, "compile_seconds": 0.0, "stop_reason": "completed"},
                "readouts": {"a2": {"pred": pred, "true": self.p.a, "rel_err": pred / self.p.a - 1}},
                "trust": {"trusted": seed == 0, "reasons": [] if seed == 0 else ["seed"], "checks": {}}}
        return body, {}

EXPERIMENT = gn.Experiment("counting", "records its runs", {
    "a": gn.Param(1.0, "a positive number", positive=True),
    "n": gn.Param(3, "a whole number", minimum=1),
    "calls": gn.Param("calls.txt", "where runs are recorded", kind="training")}, Counting)
'''


@pytest.fixture
def counting(tmp_path, monkeypatch):
    (tmp_path / "sweepexp.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    calls = tmp_path / "calls.txt"
    calls.write_text("")
    return get("sweepexp:EXPERIMENT"), calls


def _calls(path) -> list[str]:
    return path.read_text().split("\n")[:-1]


def test_seed_lists_and_ranges():
    assert parse_seeds("0-3,7") == (0, 1, 2, 3, 7)
    assert parse_seeds("2,2,1") == (2, 1)
    for bad in ("3-1", "a", "1,,x", "-1"):
        with pytest.raises(gn.ConfigError, match="--seeds"):
            parse_seeds(bad)


def test_latin_hypercube_fills_every_stratum_once_in_log_and_linear(counting):
    exp, _ = counting
    pts = plan(exp, vary=[Vary.parse("a=1e-2:1e2:log"), Vary.parse("n=1:100")], points=10, seeds=[0])
    a = np.array([p.values["a"] for p in pts])
    n = np.array([p.values["n"] for p in pts])
    strata = np.floor((np.log10(a) + 2) / 4 * 10).astype(int)
    assert sorted(strata) == list(range(10))                       # one point per log-decile
    assert all(isinstance(p.values["n"], int) for p in pts) and n.min() >= 1 and n.max() <= 100  # a whole-number parameter stays whole
    again = plan(exp, vary=[Vary.parse("a=1e-2:1e2:log"), Vary.parse("n=1:100")], points=10, seeds=[0])
    assert [p.name for p in again] == [p.name for p in pts]          # seeded: the same points, the same folders
    other = plan(exp, vary=[Vary.parse("a=1e-2:1e2:log"), Vary.parse("n=1:100")], points=10, seeds=[0],
                 sample_seed=1)
    assert {p.name for p in other}.isdisjoint(p.name for p in pts)


def test_grid_times_seeds_and_an_invalid_point(counting):
    exp, _ = counting
    pts = plan(exp, grid={"a": ["1", "2", "-1"]}, seeds=(0, 1))
    assert [(p.values["a"], p.seed) for p in pts] == [(1.0, 0), (1.0, 1), (2.0, 0), (2.0, 1), (-1.0, 0), (-1.0, 1)]
    assert len({p.name for p in pts}) == 6
    assert [p.error is None for p in pts] == [True] * 4 + [False] * 2
    assert "a=-1.0 is invalid" in pts[-1].error
    for kw, says in (({"grid": {"nope": ["1"]}}, "no such parameter"), ({"vary": [Vary.parse("a=1:2")]}, "--points"),
                     ({"grid": {"a": ["1"]}, "overrides": ["a=2"]}, "a is swept")):
        with pytest.raises(gn.ConfigError, match=says):
            plan(exp, **kw)
    for bad in ("a=2:1", "a=0:1:log", "a=1:x", "a"):
        with pytest.raises(gn.ConfigError, match="--vary"):
            Vary.parse(bad)



def test_a_point_leaves_no_compiled_programs_behind(counting, tmp_path):
    """A worker runs point after point: each run's programs (built around its own problem objects)
    are dropped when it ends, or a long sweep grows without bound (freeze-out: +21 MB a point)."""
    import jax
    from gluenn.pipeline._sweep_exec import run_point
    exp, calls = counting
    compiled = jax.jit(lambda v: v + 1.0)
    compiled(1.0)
    assert compiled._cache_size() == 1
    point = plan(exp, grid={"a": ["2"]}, seeds=(0,), overrides=[f"calls={calls}"])[0]
    assert run_point(exp, point, tmp_path / "p")["status"] == "done"
    assert compiled._cache_size() == 0

def test_sweep_table_reuse_and_failed_points(counting, tmp_path):
    exp, calls = counting
    out = tmp_path / "sw"
    kw = dict(out=out, grid={"a": ["1", "2", "-1"]}, seeds="0-1", overrides=[f"calls={calls}"], workers=0,
              progress=False)
    t = gn.sweep(exp, **{**kw, "progress": True})
    assert list(t["status"]) == ["done"] * 4 + ["failed"] * 2
    assert "a=-1.0 is invalid" in t["error"].iloc[-1]
    assert np.allclose(t["a2_rel_err"].iloc[:4], [0, 1e-3, 0, 1e-3])
    assert list(t["trusted"].iloc[:4]) == [True, False, True, False]
    assert len(_calls(calls)) == 4
    data = json.loads((out / "sweep.json").read_text())
    assert data["counts"] == {"done": 4, "failed": 2, "pending": 0, "untrusted": 2} and len(data["rows"]) == 6
    for r in t.iloc[:4].itertuples():                               # every point: an ordinary, complete run folder
        m = json.loads((pathlib.Path(r.folder) / "metrics.json").read_text())
        assert (pathlib.Path(r.folder) / "manifest.json").exists() and m["seed"] == r.seed
    assert (out / "sweep-a2.png").exists()
    again = gn.sweep(exp, **kw)                                      # re-run: nothing trained
    assert len(_calls(calls)) == 4 and list(again["reused"].iloc[:4]) == [True] * 4
    assert again["a2"].tolist()[:4] == t["a2"].tolist()[:4]


def test_an_incomplete_point_is_run_again_and_another_sweep_is_refused(counting, tmp_path):
    exp, calls = counting
    out = tmp_path / "sw"
    kw = dict(out=out, grid={"a": ["1", "2"]}, overrides=[f"calls={calls}"], workers=0, progress=False)
    t = gn.sweep(exp, **kw)
    half = pathlib.Path(t["folder"].iloc[1])
    (half / "manifest.json").unlink()                               # as if killed between metrics and manifest
    (half / ".gluenn.lock").write_text("999999999")                 # the dead writer's lock
    t2 = gn.sweep(exp, **kw)
    assert _calls(calls) == ["1.0 0", "2.0 0", "2.0 0"] and list(t2["reused"]) == [True, False]
    with pytest.raises(gn.ConfigError, match="holds another sweep"):
        gn.sweep(exp, **{**kw, "grid": {"a": ["3"]}})
    t3 = gn.sweep(exp, **{**kw, "grid": {"a": ["1", "3"]}, "overwrite": True})
    assert sorted(p.name for p in (out / "points").iterdir()) == sorted(t3["point"])   # the dropped point is gone


def test_ctrl_c_keeps_finished_points_and_the_same_command_finishes(counting, tmp_path):
    exp, calls = counting
    kw = dict(out=tmp_path / "sw", grid={"a": ["1", "13", "2"]}, overrides=[f"calls={calls}"], workers=0,
              progress=False)
    with pytest.raises(gn.Interrupted, match="1 of 3 points are finished"):
        gn.sweep(exp, **kw)
    rows = json.loads((tmp_path / "sw" / "sweep.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["done", "pending", "pending"]
    assert not (pathlib.Path(rows[1]["folder"]) / "manifest.json").exists()


def test_cli_sweep_exit_status_and_one_line_errors(counting, tmp_path, capsys):
    exp, calls = counting
    base = ["sweep", "sweepexp:EXPERIMENT", "--set", f"calls={calls}", "--workers", "0", "--no-progress"]
    assert main(base + ["--grid", "a=1,2", "--out", str(tmp_path / "ok")]) == 0
    out = capsys.readouterr().out
    assert "a2_rel_err" in out and "outputs:" in out
    assert main(base + ["--grid", "a=1,-2", "--out", str(tmp_path / "bad")]) == 1
    assert "1 of 2 points failed" in capsys.readouterr().err
    for args, says in ((["--vary", "a=1:2"], "--points is invalid"), (["--grid", "zz=1"], "no such parameter"),
                       (["--seeds", "x"], "--seeds"), (["--workers", "-1"], "--workers=-1 is invalid")):
        assert main(base + args + ["--out", str(tmp_path / "no")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("gluenn: error: ") and says in err and "\n" not in err
    assert not (tmp_path / "no").exists()


# --- a real Dask LocalCluster (two worker processes) ---------------------------------------------

TINY = ["steps=5", "lbfgs_steps=20", "gn_steps=5"]  # small whichever trainer the default is


@pytest.mark.slow
def test_a_local_cluster_sweep_equals_single_runs_bit_for_bit(tmp_path):
    exp = get("freezeout")
    t = gn.sweep(exp, out=tmp_path / "sw", vary=["eta=1e3:1e6:log"], points=3, seeds="0-1", overrides=TINY,
                 workers=2, progress=False)
    assert list(t["status"]) == ["done"] * 6
    for r in t.itertuples():
        single = gn.run_experiment(exp, overrides=TINY + [f"eta={r.eta!r}"], seed=r.seed, progress=False)
        for k in ("Y_end", "Y_inf"):
            assert single.metrics["readouts"][k]["pred"] == getattr(r, k)
        assert single.metrics["solution"]["max_abs_err_over_max"] == r.solution_err
    stamps = {p: (p / "metrics.json").stat().st_mtime_ns for p in (tmp_path / "sw" / "points").iterdir()}
    again = gn.sweep(exp, out=tmp_path / "sw", vary=["eta=1e3:1e6:log"], points=3, seeds="0-1", overrides=TINY,
                     workers=2, progress=False)
    assert again["reused"].all() and again["Y_end"].tolist() == t["Y_end"].tolist()
    assert stamps == {p: (p / "metrics.json").stat().st_mtime_ns for p in stamps}   # no point was run again


@pytest.mark.slow
def test_a_killed_worker_leaves_every_point_once_and_a_bad_point_is_reported(tmp_path):
    from distributed import Client, LocalCluster
    out = tmp_path / "sw"
    killed = []

    def kill_one_running_point():
        deadline = time.time() + 120
        while time.time() < deadline and not killed:
            for lock in out.glob("points/*/.gluenn.lock"):
                try:
                    pid = int(lock.read_text())
                except (OSError, ValueError):
                    continue
                if time.time() - lock.stat().st_mtime > 1.0:      # well into the run
                    os.kill(pid, signal.SIGKILL)
                    killed.append(lock.parent.name)
                    return
            time.sleep(0.05)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        killer = threading.Thread(target=kill_one_running_point)
        killer.start()
        t = gn.sweep("freezeout", out=out, grid={"eta": ["1e3", "1e4", "-5"]}, seeds="0-1", overrides=TINY,
                     workers=gn.pipeline.Workers(client=client), progress=False)
        killer.join()
    assert killed, "no running point was found to kill"
    assert list(t["status"]) == ["done"] * 4 + ["failed"] * 2 and "eta=-5.0 is invalid" in t["error"].iloc[-1]
    folders = sorted(p.name for p in (out / "points").iterdir())
    assert folders == sorted(t["point"].iloc[:4])                   # every valid point exactly once
    for name in folders:                                            # each complete, none marked complete wrongly
        m = json.loads((out / "points" / name / "manifest.json").read_text())
        assert m["complete"] and not (out / "points" / name / ".gluenn.lock").exists()
    assert killed[0] in folders
