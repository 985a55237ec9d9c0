"""The bad inputs a user may give, tried for real; ``python tests/bad_inputs.py`` writes the table
``docs/reliability.md`` from them (``tests/test_reliability.py`` checks each line and that the
table is current)."""

from __future__ import annotations

import contextlib
import io
import pathlib
import sys
import tempfile

import jax.numpy as jnp
import numpy as np

from conftest import SMALL
import gluenn as gn
from gluenn.cli import main

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs" / "reliability.md"


def cli_cases(tmp: pathlib.Path) -> list:
    a_file = tmp / "a-file"
    a_file.write_text("not a folder")
    run = lambda *a: ["run", *a, "--no-progress", "--out", str(tmp / "out")]  # noqa: E731
    return [
        ("unknown experiment", ["run", "freezout"]),
        ("unknown `--set` key", run("freezeout", "--set", "etta=1e5")),
        ("`--set` without a value", run("freezeout", "--set", "eta")),
        ("value that is not a number", run("freezeout", "--set", "eta=abc")),
        ("NaN value", run("freezeout", "--set", "eta=nan")),
        ("fraction for a whole number", run("freezeout", "--set", "steps=1.5")),
        ("switch that is not true/false", run("tunneling", "--set", "normalise=maybe")),
        ("unknown trainer", run("freezeout", "--trainer", "sgd")),
        ("a trainer that takes no step", run("freezeout", "--set", "trainer=adam", "--set", "steps=0")),
        ("`auto` with no step for a nonlinear problem", run("freezeout", "--set", "trainer=auto", "--set", "steps=0",
                                                             "--set", "gn_steps=0")),
        ("unknown weights strategy", run("tunneling", "--weights", "equal")),
        ("automatic weights with an ensemble", run("tunneling", "--weights", "auto", "--ensemble", "2")),
        ("unknown preset / variant", run("hodgkin-huxley", "--preset", "nope")),
        ("negative seed", run("freezeout", "--seed", "-1")),
        ("non-physical value", run("freezeout", "--set", "eta=-1")),
        ("reversed domain", run("freezeout", "--set", "x_end=0.5")),
        ("log spacing over x ≤ 0", run("freezeout", "--set", "x_start=0")),
        ("zero points", run("freezeout", "--set", "data_points=0")),
        ("negative loss weight", run("freezeout", "--set", "lambda_data=-1")),
        ("zero learning rate", run("freezeout", "--set", "lr=0")),
        ("regime the ansatz cannot describe (E ≥ V0)", run("tunneling", "--set", "V0=3")),
        ("mistyped length (10⁹ wavelengths)", run("tunneling", "--set", "margin=1e9")),
        ("negative physics weight", run("hodgkin-huxley", "--set", "lam=-1")),
        ("unknown solver", run("hodgkin-huxley", "--set", "solver=euler")),
        ("observed channels without the voltage", run("hodgkin-huxley", "--set", "observe=n,m")),
        ("physics parameter to calibrate without its range", run("hodgkin-huxley", "--set", "learn=I_ext=5")),
        ("PINN baseline with latent channels", run("fitzhugh-nagumo", "--preset", "pinn", "--set", "observe=v")),
        ("output folder that is a file", ["run", "freezeout", "--no-progress", "--out", str(a_file)]),
        ("`--resume` where nothing was interrupted", ["run", "freezeout", "--resume", str(tmp / "empty")]),
        ("malformed seed list", ["ablate", "tunneling", "--seeds", "a,b"]),
        ("sweep: `--vary` without `--points`", ["sweep", "freezeout", "--vary", "eta=1e3:1e6:log"]),
        ("sweep: reversed range", ["sweep", "freezeout", "--vary", "eta=1e6:1e3", "--points", "4"]),
        ("sweep: log range through zero", ["sweep", "freezeout", "--vary", "eta=0:1e3:log", "--points", "4"]),
        ("sweep: a text parameter in `--vary`", ["sweep", "freezeout", "--vary", "trainer=1:2", "--points", "4"]),
        ("sweep: unknown parameter in `--grid`", ["sweep", "freezeout", "--grid", "etta=1e3,1e4"]),
        ("sweep: a parameter both swept and `--set`", ["sweep", "freezeout", "--grid", "eta=1e3", "--set", "eta=1"]),
        ("sweep: 10⁸ points", ["sweep", "freezeout", "--vary", "eta=1:2", "--points", "10000", "--seeds", "0-9999"]),
        ("sweep: negative worker count", ["sweep", "freezeout", "--grid", "eta=1e3", "--workers", "-2"]),
        ("sweep: `--workers` with `--scheduler`", ["sweep", "freezeout", "--grid", "eta=1e3", "--workers", "2",
                                                  "--scheduler", "tcp://127.0.0.1:1"]),
        ("sweep: malformed seed range", ["sweep", "freezeout", "--seeds", "9-0"]),
        ("run --vary: a parameter the experiment reads from a closure", run("freezeout", "--vary", "prefactor=0.1:0.2",
                                                                           "--train", "3")),
        ("run --vary: a range that moves the domain", run("darkphoton", "--vary", "k=1.5:3", "--train", "3")),
        ("run --vary: with `--ensemble`", run("freezeout", "--vary", "eta=1e3:1e6:log", "--ensemble", "2")),
        ("infer: an observation without an error bar", ["infer", "freezeout", "--vary", "eta=1e3:1e6:log", "--observe",
                                                       "Y_end=4e-4"]),
        ("infer: an unknown read-out", ["infer", "freezeout", "--vary", "eta=1e3:1e6:log", "--observe", "Y_nope=4e-4±1%"]),
        ("infer --route joint: an experiment without a route-(b) problem",
         ["infer", "tunneling", "--route", "joint", "--vary", "k=1.9:1.98", "--observe", "T2=1e-4±5%"]),
        ("infer --route joint: a read-out it does not observe",
         ["infer", "freezeout", "--route", "joint", "--vary", "eta=1e3:1e6:log", "--observe", "Y_inf=4e-4±1%"]),
        ("infer --route joint: with --from", ["infer", "freezeout", "--route", "joint", "--from", "runs/x",
                                              "--observe", "Y_end=4e-4±1%"]),
        ("unknown option", run("freezeout", "--bogus")),
        ("an option the experiment does not have", run("hodgkin-huxley", "--trainer", "lstsq")),
        ("experiment module that does not exist", run("nosuch.module:EXPERIMENT")),
        ("seed past 2**64", run("freezeout", "--seed", "18446744073709551616")),
        ("astronomical step count (1e300)", run("freezeout", "--set", "steps=1e300")),
        ("10¹⁰ steps", run("freezeout", "--steps", "10000000000")),
        ("10⁴ ensemble members", run("tunneling", "--ensemble", "10000")),
        ("reference grid of 10¹¹ points (t_long)", run("hodgkin-huxley", "--set", "t_long=1e9")),
        ("reference grid of 10⁹ points (dt)", run("hodgkin-huxley", "--set", "dt=1e-6")),
        ("network 200 000 wide", run("darkphoton", "--set", "head=200000,200000")),
        ("matching point below the domain", run("freezeout", "--set", "x_match=-5")),
        ("matching point beyond the domain", run("freezeout", "--set", "x_match=1e9")),
        ("infinite domain end", run("darkphoton", "--set", "a_end=inf")),
        ("edges sharper than the sampling", run("tunneling", "--set", "sigma=1e-4")),
        ("empty output folder name", ["run", "freezeout", "--no-progress", "--out", ""]),
        ("a 100 000-character value", run("freezeout", "--set", "eta=" + "x" * 100_000)),
    ]


def api_cases() -> list:
    term = gn.Term("decay", lambda x, c: c[0] * jnp.exp(-x))
    eq = gn.Equation(lambda x, y, dy: dy + y)
    res = [gn.Residual(gn.linspace(0, 3, 10))]
    fit = lambda problem, **kw: gn.fit(problem, network=SMALL, trainer=[gn.Adam(1)], progress=False, **kw)  # noqa: E731
    return [
        ("reversed interval", lambda: gn.linspace(2.0, 1.0, 10)),
        ("log spacing over x ≤ 0", lambda: gn.logspace(0.0, 1.0, 10)),
        ("zero points", lambda: gn.linspace(0.0, 1.0, 0)),
        ("fractional point count", lambda: gn.linspace(0.0, 1.0, 2.5)),
        ("NaN sample point", lambda: gn.points([0.0, np.nan])),
        ("inf in data", lambda: gn.Data(gn.linspace(0, 1, 3), [1.0, np.inf, 2.0]).targets(np.linspace(0, 1, 3))),
        ("negative weight", lambda: gn.Residual(gn.linspace(0, 1, 3), weight=-1.0)),
        ("negative priority", lambda: gn.Plateau(gn.linspace(0, 1, 3), terms="y", priority=-1)),
        ("suppression of a term that does not exist",
         lambda: gn.Problem([term], eq, [gn.Suppress(gn.linspace(0, 1, 3), terms="nope")], (0.0, 3.0))),
        ("reversed domain", lambda: gn.Problem([term], eq, res, (3.0, 0.0))),
        ("term returning the wrong shape", lambda: fit(gn.Problem(
            [gn.Term("vec", lambda x, c: c * jnp.exp(-x), coefficients=("a", "b"))], eq, res, (0.0, 3.0)))),
        ("term returning the wrong dtype", lambda: fit(gn.Problem(
            [gn.Term("cplx", lambda x, c: c[0] * jnp.exp(1j * x))], eq, res, (0.0, 3.0)))),
        ("residual that fails", lambda: fit(gn.Problem([term], gn.Equation(lambda x, y, dy: dy + y.nope),
                                                     res, (0.0, 3.0)))),
        ("residual returning a vector", lambda: fit(gn.Problem(
            [term], gn.Equation(lambda x, y, dy: jnp.stack([dy, y])), res, (0.0, 3.0)))),
        ("log network input over x ≤ 0", lambda: gn.fit(gn.Problem([term], eq, res, (0.0, 3.0)),
                                                        network=gn.Network(input="log"), trainer=[gn.Adam(1)],
                                                        progress=False)),
        ("negative Adam steps", lambda: gn.Adam(-5)),
        ("unknown reference method", lambda: gn.reference.solve_ivp(lambda x, s: -s, 0.0, [1.0], 1.0, method="Euler")),
        ("domain with three ends", lambda: gn.Problem([term], eq, res, (1.0, 5.0, 9.0))),
        ("more initial values than coefficients",
         lambda: gn.Term("t", lambda x, c: c[0], coefficients=("a", "b"), init=(1, 2, 3))),
        ("term that reads a coefficient it did not declare",
         lambda: fit(gn.Problem([gn.Term("t", lambda x, c: c[5] * jnp.exp(-x))], eq, res, (0.0, 3.0)))),
        ("a phase where a trainer (a list) is expected", lambda: gn.fit(gn.Problem([term], eq, res, (0.0, 3.0)),
                                                                      trainer=gn.Adam(5), progress=False)),
        ("an empty trainer (no phase: an untrained model)", lambda: gn.fit(gn.Problem([term], eq, res, (0.0, 3.0)),
                                                                          trainer=[], progress=False)),
        ("10¹⁰ Adam steps", lambda: gn.Adam(10**10)),
        ("an ensemble of 1000", lambda: gn.fit_ensemble(gn.Problem([term], eq, res, (0.0, 3.0)), seeds=range(1000),
                                                         network=SMALL)),
        ("seed past 2**64", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)), seed=2**64)),
        ("evaluating outside the trained domain", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)))
         .solution.evaluate([1.0, 7.0])),
        ("a diffrax adjoint by a name it does not have", lambda: gn.node.adjoint("direct")),
        ("a term that is NaN at some sample points (x ** -0.25 through x ≤ 0)", lambda: fit(gn.Problem(
            [gn.Term("root", lambda x, c: c[0] * x ** -0.25)], gn.Equation(lambda x, y, dy: dy + 0.25 * y / x),
            [gn.Residual(gn.linspace(-1, 3, 41))], (-1.0, 3.0)))),
        ("a negative derivative order for data", lambda: gn.Data(gn.points([0.0]), [1.0], derivative=-1)),
        ("an equation that divides by zero at a sample point", lambda: fit(gn.Problem(
            [term], gn.Equation(lambda x, y, dy: dy + y / x), [gn.Residual(gn.linspace(0, 3, 10))], (0.0, 3.0)))),
        ("a data scale of zero", lambda: gn.Data(gn.points([0.0]), [1.0], scale=0.0)),
        ("a normalisation that is a string", lambda: gn.Equation(lambda x, y, dy: dy + y, normalisation="auto")),
        ("a lexicographic tolerance of zero", lambda: gn.engine.Lexicographic(tol=0.0)),
        ("a negative lexicographic slack", lambda: gn.engine.Lexicographic(slack=-1.0)),
        ("a billion lexicographic bisections (unbounded work)", lambda: gn.engine.Lexicographic(bisections=10**9)),
        ("sample points outside the domain", lambda: gn.Problem([term], eq, [gn.Residual(gn.linspace(0, 6, 10))],
                                                                 (0.0, 3.0))),
        ("a stopping tolerance that is NaN", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)), tol=float("nan"))),
        ("evaluating at text", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0))).solution.evaluate("a")),
        ("marching given as text", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)), march="yes")),
        ("a thousand refinement rounds (unbounded work)", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)), refine=1000)),
        ("widening rounds given as a fraction", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0)), widen=0.5)),
        ("a data target function that returns text", lambda: fit(gn.Problem([term], eq, [gn.Data(gn.points([0.0, 1.0]), lambda x: "a"),
                                                                                *res], (0.0, 3.0)))),
        ("a negative noise for data", lambda: gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4], noise=-0.1)),
        ("one noise per point, of the wrong length", lambda: gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4], noise=[0.1, 0.1, 0.1])),
        ("noise and a scale together", lambda: gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4], noise=0.1, scale=1.0)),
        ("noise given as text", lambda: gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4], noise="5%")),
        ("an ensemble over noisy data", lambda: gn.fit_ensemble(gn.Problem([term], eq, [gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4],
                                                                                              noise=0.1), *res], (0.0, 3.0)), seeds=[0, 1])),
        ("the uncertainty of a fit without noisy data", lambda: fit(gn.Problem([term], eq, res, (0.0, 3.0))).uncertainty([1.0])),
        ("a joint inversion of noisy data", lambda: gn.invert_jointly(gn.Problem(
            [term], gn.Equation(lambda x, y, dy, *, k: dy + k * y),
            [gn.Data(gn.points([0.0, 1.0]), [1.0, 0.4], noise=0.1, name="obs"), *res], (0.0, 3.0)),
            gn.Parameter("k", 0.1, 2.0), "obs", 0.1)),
    ]


def collect(tmp: pathlib.Path) -> list:
    """``[(what, how it was tried, exit code or exception type, the message)]`` for every case."""
    rows = []
    for what, argv in cli_cases(tmp):
        rows.append((what, argv, _stderr_of(argv)))
    for what, call in api_cases():
        try:
            call()
        except gn.GluennError as exc:
            rows.append((what, None, (type(exc).__name__, str(exc))))
        else:
            rows.append((what, None, (None, "no error")))
    return rows


def _stderr_of(argv) -> tuple[int, str]:
    """The exit code of ``gluenn ARGV`` and what it printed on stderr."""
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors exit (with gluenn's one-line message)
            code = exc.code
    return code, buf.getvalue().strip()


def render(rows, tmp: pathlib.Path) -> str:
    lines = ["# What a user sees for bad input",
             "",
             "Generated by `python tests/bad_inputs.py` (do not edit by hand; `tests/test_reliability.py` checks",
             "that it is current). Each input is tried for real; the CLI exits with status 2 and prints the one",
             "line shown, the Python API raises `gluenn.ConfigError` (a `GluennError`) with the same kind of message.",
             "",
             "| bad input | tried as | message |", "|---|---|---|"]
    for what, argv, (_, msg) in rows:
        how = "Python API" if argv is None else _shown(argv, tmp)
        cell = lambda s: s.replace(str(tmp), "TMP").replace("|", "\\|")  # noqa: E731
        last = msg.splitlines()[-1] if msg else ""
        lines.append(f"| {what} | `{cell(how)}` | {cell(last)} |")
    return "\n".join(lines) + "\n"


def _shown(argv, tmp) -> str:
    return ("gluenn " + " ".join(argv)).replace(f" --out {tmp / 'out'}", "").replace(" --no-progress", "")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        DOCS.write_text(render(collect(pathlib.Path(d)), pathlib.Path(d)))
    print(f"wrote {DOCS}", file=sys.stderr)
