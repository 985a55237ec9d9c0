"""The command line: one-line errors."""

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
