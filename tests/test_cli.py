"""The command line: one-line errors."""

import textwrap

import pytest

from gluenn.cli import main


def test_cli_errors_are_one_line(capsys):
    assert main(["run", "nope"]) == 2
    assert "known experiments" in capsys.readouterr().err
    assert main(["run", "freezeout", "--set", "eta=fast"]) == 2
    err = capsys.readouterr().err
    assert "eta is a number" in err and "Traceback" not in err
    assert main(["run", "freezeout", "--preset", "nope"]) == 2
    assert main(["list"]) == 0 and "freezeout" in capsys.readouterr().out


def test_options_of_another_kind_of_experiment_are_named_as_such(capsys):
    """A neural-ODE experiment has no GlueNN trainer: --trainer is refused as an option it does not
    have (not as a misspelt parameter), and the old --variant alias is gone (--preset only)."""
    assert main(["run", "hodgkin-huxley", "--trainer", "lstsq", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--trainer='lstsq' is invalid: hodgkin-huxley has no 'trainer' parameter" in err
    assert "did you mean" not in err
    with pytest.raises(SystemExit):
        main(["run", "hodgkin-huxley", "--variant", "pinn"])
    capsys.readouterr()


def test_show_lists_the_allowed_values(capsys):
    assert main(["show", "hodgkin-huxley"]) == 0
    out = capsys.readouterr().out
    assert "[heun | tsit5 | kvaerno5]" in out and "preset 'pinn'" in out


@pytest.mark.slow  # ~8 s on one core: kept out of the default run's 3 minutes
def test_a_run_that_stops_on_a_non_finite_loss_says_so(tmp_path, monkeypatch, capsys):
    """Adam at a learning rate that blows up (1e300: the first step overflows y): the retries run
    out, the outputs are written, and the terminal says the numbers are not converged (never a
    silent success)."""
    (tmp_path / "blowup.py").write_text(textwrap.dedent('''
        import jax.numpy as jnp
        import numpy as np
        import gluenn as gn

        def build(p):
            eq = gn.Equation(lambda x, y, dy: dy + y)
            ref = gn.reference.solve_equation(eq, 0.0, [1.0], 2.0)
            problem = gn.Problem([gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x))], eq,
                                 [gn.Data(gn.linspace(0, 0.2, 6), ref.y), gn.Residual(gn.linspace(0, 2.0, 30))],
                                 (0.0, 2.0))
            return gn.Setup({"y": gn.Component(problem, ref)}, gn.Network(head=(8,), head_out=8, trunk=(8,)),
                            [gn.Adam(20, lr=1e300)], log_every=5,
                            readout=lambda s: {"y_end": float(s["y"].y(np.array([2.0]))[0])})

        EXPERIMENT = gn.Experiment("blowup", "", {"k": gn.Param(1.0, "unused")}, build)
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["run", "blowup:EXPERIMENT", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    captured = capsys.readouterr()
    err = captured.err
    trust_line = next(line for line in captured.out.splitlines() if line.startswith("trusted:"))
    assert trust_line.startswith("trusted: NO (self-checks, no reference used: training did not finish"), trust_line
    assert "gluenn: warning: training did not finish (non-finite loss at step" in err
    assert "gluenn: warning: this result cannot be trusted: training" in err


def test_each_configuration_gets_its_own_default_folder(tmp_path, monkeypatch, capsys):
    from gluenn.cli import _default_out
    from gluenn.pipeline import get
    e = get("tunneling")
    assert _default_out(e, [], 0, None, "fixed") == "runs/tunneling"
    other = _default_out(e, ["V0=4.5"], 0, None, "fixed")
    assert other.startswith("runs/tunneling-") and other == _default_out(e, ["V0=4.5"], 0, None, "fixed")
    assert len({other, _default_out(e, ["V0=4.5"], 1, None, "fixed"), _default_out(e, [], 0, "paper", "fixed"),
                _default_out(e, [], 0, None, "auto")}) == 4


def test_the_command_exits_quickly_but_loses_nothing():
    """``exit_now`` (how the ``gluenn`` command ends): the status is the process's, unflushed
    output arrives, exit handlers run and non-daemon threads finish first."""
    import subprocess
    import sys
    code = ("import atexit, threading, time\n"
            "from gluenn.cli import exit_now\n"
            "atexit.register(lambda: print('handler', end=''))\n"
            "threading.Thread(target=lambda: (time.sleep(0.3), print('thread', end=''))).start()\n"
            "print('unflushed ', end='')\n"
            "exit_now(3)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 3 and out.stdout == "unflushed threadhandler", (out.stdout, out.stderr[-500:])
