"""Resume after Ctrl-C: bit-identical to an uninterrupted run, which is deterministic."""

from __future__ import annotations

import json
import os
import pathlib
import signal

import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import get

QUICK = ["trainer=adam", "steps=300"]   # three chunks of 100 Adam steps


def _metrics(path) -> dict:
    m = json.loads((pathlib.Path(path) / "metrics.json").read_text())
    for k in ("seconds_total", "timing"):
        m.pop(k, None)
    for k in ("seconds", "compile_seconds", "setup_seconds"):
        m["train"].pop(k, None)
    return m


def _log(path) -> list:
    return [{k: v for k, v in json.loads(line).items() if k != "time"}
            for line in (pathlib.Path(path) / "log.jsonl").read_text().splitlines()]


@pytest.fixture
def interactive_ctrl_c():
    """SIGINT as an interactive shell leaves it. A job a shell starts in the background (``cmd &``,
    as a CI script may) inherits SIGINT *ignored*; Python then never sees a Ctrl-C at all."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


@pytest.mark.slow  # three runs of a real experiment (~17 s): the default set stays under 3 min on 2 cores
def test_interrupt_saves_progress_and_resume_gives_the_same_result(tmp_path, monkeypatch, capsys,
                                                                   interactive_ctrl_c):
    """Ctrl-C after the second chunk: a partial metrics.json and resume/ are written; `gluenn run
    --resume` continues to metrics bit-identical to an uninterrupted run's (determinism of a seed
    is tested on fits in tests/glue)."""
    a, c = tmp_path / "a", tmp_path / "c"
    gn.run_experiment(get("freezeout"), overrides=QUICK, out=a, progress=False)

    import gluenn.engine._loop as loop
    row, calls = loop._row, []

    def row_then_ctrl_c(*args, **kw):
        calls.append(1)
        if len(calls) == 3:                     # init row, chunk 1, chunk 2 → the user presses Ctrl-C
            os.kill(os.getpid(), signal.SIGINT)
        return row(*args, **kw)

    monkeypatch.setattr(loop, "_row", row_then_ctrl_c)
    with pytest.raises(gn.Interrupted, match="--resume"):
        gn.run_experiment(get("freezeout"), overrides=QUICK, out=c, progress=False)
    monkeypatch.undo()
    partial = json.loads((c / "metrics.json").read_text())
    assert partial["complete"] is False and partial["train"]["stop_reason"] == "interrupted"
    assert partial["train"]["steps"] == 200 and (c / "resume" / "state.json").is_file()

    # another configuration is refused, naming the difference
    code = main(["run", "freezeout", "--resume", str(c), "--set", "steps=400", "--no-progress"])
    assert code == 2 and "params.steps" in capsys.readouterr().err

    assert main(["run", "freezeout", "--resume", str(c), "--no-progress"]) == 0
    assert _metrics(c) == _metrics(a) and _log(c) == _log(a)
    assert not (c / "resume").exists()
