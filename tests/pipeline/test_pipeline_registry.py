"""A user's own experiment, in a package of its own, runs under the same CLI: by
``package.module:NAME`` or through the ``gluenn.experiments`` entry-point group."""

import json
import textwrap

import pytest

import gluenn as gn
from gluenn.cli import main
from gluenn.pipeline import experiments, get

MODULE = textwrap.dedent('''
    """A user's experiment: y' = -k y on [0, 2/k], from y(0) = 1."""
    import jax.numpy as jnp
    import numpy as np

    import gluenn as gn


    def build(p):
        eq = gn.Equation(lambda x, y, dy: dy + p.k * y)
        ref = gn.reference.solve_equation(eq, 0.0, [1.0], 2.0 / p.k)
        problem = gn.Problem([gn.Term("decay", lambda x, c: c[0] * jnp.exp(-p.k * x), init=0.5)], eq,
                             [gn.Data(gn.linspace(0, 0.2 / p.k, 6), ref.y, weight=10.0),
                              gn.Residual(gn.linspace(0, 2.0 / p.k, 30))], (0.0, 2.0 / p.k))
        return gn.Setup({"y": gn.Component(problem, ref)}, gn.Network(head=(8,), head_out=8, trunk=(8,)),
                        gn.trainer_phases(p.trainer, steps=0, gn_steps=5),
                        readout=lambda s: {"y_end": float(s["y"].y(np.array([2.0 / p.k]))[0])}, log_every=1)


    EXPERIMENT = gn.Experiment("user-decay", "y' = -k y", {
        "k": gn.Param(3.0, "rate", positive=True),
        "trainer": gn.Param("auto", "optimiser phases", "training", choices=gn.TRAINERS)}, build)
    ''')


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """``userexp/decay.py`` on the path, and a distribution that declares it as an entry point."""
    (tmp_path / "userexp").mkdir()
    (tmp_path / "userexp" / "__init__.py").write_text("")
    (tmp_path / "userexp" / "decay.py").write_text(MODULE)
    (tmp_path / "userexp" / "broken.py").write_text("raise RuntimeError('boom')\n")
    info = tmp_path / "userexp-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: userexp\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gluenn.experiments]\nuser-decay = userexp.decay:EXPERIMENT\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_user_experiment_runs_by_module_path(user_package, capsys):
    out = user_package / "run"
    assert main(["run", "userexp.decay:EXPERIMENT", "--set", "k=5", "--out", str(out), "--no-progress"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["experiment"] == "user-decay" and m["params"]["k"] == 5.0
    assert abs(m["readouts"]["y_end"]["rel_err"]) < 1e-6          # linear problem: one exact solve
    assert "user-decay" in capsys.readouterr().out


def test_an_installed_experiment_is_listed_and_runs_by_name(user_package, capsys):
    assert "user-decay" in experiments()
    assert main(["list"]) == 0 and "user-decay" in capsys.readouterr().out
    res = gn.run_experiment(get("user-decay"), progress=False)
    assert res.metrics["readouts"]["y_end"]["true"] == pytest.approx(float(__import__("numpy").exp(-2.0)), rel=1e-8)


def test_a_bad_experiment_path_is_one_clear_line(user_package, capsys):
    for spec, says in (("nosuchpkg.mod:EXP", "cannot import 'nosuchpkg.mod'"),
                       ("userexp.decay:NOPE", "has no 'NOPE'"),
                       ("userexp.decay:build", "is a function, not a gluenn.Experiment"),
                       ("userexp.broken:EXPERIMENT", "importing 'userexp.broken' failed (RuntimeError: boom)"),
                       (":EXPERIMENT", "write package.module:NAME")):
        assert main(["run", spec, "--no-progress", "--out", str(user_package / "x")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("gluenn: error: experiment=") and says in err and "\n" not in err
