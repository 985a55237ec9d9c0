"""The ``gluenn`` command line: run the papers' experiments (or your own), list them, show their
parameters, tabulate ablations, sweep parameters and seeds."""

from __future__ import annotations

import argparse
import atexit
import os
import pathlib
import sys
import textwrap
import threading
from typing import NoReturn

from ._errors import ConfigError, GluennError, Interrupted

_EPILOG = textwrap.dedent("""\
    examples:
      gluenn list                                  the experiments and what they reproduce
      gluenn show freezeout                        every parameter, its default and meaning
      gluenn run freezeout                         train, score against SciPy, write runs/freezeout/
      gluenn run freezeout --set eta=1e5 --seed 1  another interaction strength (reference and
                                                   matching baseline are recomputed)
      gluenn run freezeout --preset paper          the paper's Table I sampling exactly
      gluenn run freezeout --steps 500 --out /tmp/quick
      gluenn run tunneling                         |R|², |T|² of the paper's barrier (≈ 25 s)
      gluenn run tunneling --set V0=4.5 --set d=6  your own barrier: sampling follows d, σ, k
      gluenn run tunneling --ensemble 8            8 seeds trained together (jax.vmap): T2 ± std
      gluenn run darkphoton                        late amplitude X_end of the dark photon (≈ 20 s)
      gluenn run hodgkin-huxley                    PI-NODE-SR: spike F1, drift, RMSEs over 1000 ms
      gluenn run hodgkin-huxley --preset pinn      a baseline or ablation row (see `gluenn show`)
      gluenn run hodgkin-huxley --set observe=v    voltage only: n, m, h latent (physics alone)
      gluenn run fitzhugh-nagumo                   the same recipe on a second neuron model
      gluenn ablate hodgkin-huxley --quick         the paper's Tables 2-3 as Markdown + JSON
      gluenn run freezeout --vary eta=1e3:1e6:log  ONE training over the range: Y(31; η) scored
                                                   against SciPy at 20 held-out η (readouts.png)
      gluenn sweep freezeout --vary eta=1e3:1e6:log --points 12
                                                   12 runs on a Dask cluster, one table + figures
      gluenn sweep hodgkin-huxley --seeds 0-9      10 seeds (see `gluenn sweep --help`)
      gluenn run mypackage.mymodule:EXPERIMENT     your own gluenn.Experiment, same outputs
      gluenn run freezeout --resume runs/freezeout continue a run stopped with Ctrl-C (the first
                                                   Ctrl-C finishes the running chunk and saves)

    every run writes into its --out folder: metrics.json (read-outs with pred/true/rel_err,
    solution errors, matching baseline, timings, why training stopped), solution.png,
    coefficients.png, coefficients.csv, checkpoint.eqx (+ .json) and log.jsonl.

    your own equation: see the README ("Your own equation in 15 lines") — the built-in
    experiments are written with exactly the same public API.
    """)

_SWEEP_EPILOG = textwrap.dedent("""\
    examples:
      gluenn sweep freezeout --vary eta=1e3:1e6:log --points 12      12 Latin-hypercube points
      gluenn sweep tunneling --grid V0=4.1,4.3,4.5 --grid d=6,8        the 3 x 2 grid
      gluenn sweep hodgkin-huxley --seeds 0-9                          10 seeds, one table
      gluenn sweep freezeout --grid eta=1e4,1e5 --seeds 0-2 --workers 2
      gluenn sweep freezeout --vary eta=1e3:1e6:log --points 40 --scheduler tcp://head:8786

    every point is an ordinary `gluenn run` into OUT/points/HASH/ (HASH: its configuration);
    OUT/sweep.csv and OUT/sweep.json hold one row per point (parameters, seed, read-outs with
    true value and rel_err, solution error, trusted, stop reason, timings, folder, error) and are
    rewritten as points finish; OUT/sweep-READOUT.png draws each read-out and its error against
    the swept parameters. Run the same command again to finish an interrupted sweep: complete
    points are reused, not retrained. A point whose configuration is invalid is recorded as
    failed and the others run; the exit status is then 1.
    """)

#: CLI shortcuts for an experiment parameter: option -> parameter name
_SHORTCUTS = {"steps": "steps", "trainer": "trainer"}


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in gluenn's one-line form (``gluenn: error: …``, exit status 2)."""

    def error(self, message):
        self.exit(2, f"gluenn: error: the command line is invalid: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gluenn",
        description="Interpretable physics-informed learning: GlueNN learns the integration "
                    "constants c_j(x) of patchwise asymptotic solutions, y = Σ_j f_j(x; c_j(x)).",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("list", help="list the experiments")
    sub.add_parser("show", help="show an experiment's parameters").add_argument("experiment")
    _run_parser(sub)
    ab = sub.add_parser("ablate", help="run every variant of an experiment and tabulate the read-outs",
                        epilog="writes ablation.md and ablation.json (plus one run folder per row) into --out")
    ab.add_argument("experiment", help="name from `gluenn list` (its ablation presets are the rows)")
    ab.add_argument("--out", default=None, help="output folder (default: runs/EXPERIMENT-ablation)")
    ab.add_argument("--seeds", default="0", help="seeds: a list and/or ranges, e.g. 0,1,2 or 0-9 (default 0)")
    ab.add_argument("--quick", action="store_true", help="few training steps per row (a smoke run, not results)")
    ab.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                    help="override applied to every row (repeatable)")
    ab.add_argument("--overwrite", action="store_true", help="replace the rows' runs of another configuration")
    _worker_options(ab)
    _sweep_parser(sub)
    _infer_parser(sub)
    return p


def _infer_parser(sub) -> None:
    inf = sub.add_parser("infer", help="a physical parameter from an observed read-out, with its 1σ interval",
                         formatter_class=argparse.RawDescriptionHelpFormatter, epilog=textwrap.dedent("""\
        examples:
          gluenn infer freezeout --vary eta=1e3:1e6:log --observe Y_end=2.9e-4±1% --seeds 0,1,2
          gluenn infer freezeout --from runs/freezeout-vary-HASH --observe Y_end=2.9e-4±1%   no training
          gluenn infer freezeout --route joint --vary eta=1e3:1e6:log --observe Y_end=2.9e-4±1%

        one model over the range per seed (as `gluenn run --vary`), the read-out curve from it, and
        the parameter where the curve crosses the observation; the interval is where it crosses
        VALUE ∓ SIGMA, widened in quadrature by the spread over seeds. No reference is used.
        --route joint trains the parameter with the coefficients instead (one fit and two refits at
        VALUE ∓ SIGMA per seed), where the experiment declares that problem.
        writes metrics.json (inference, every seed's trust) and readouts.csv (the curves)."""))
    inf.add_argument("experiment", help="name from `gluenn list`, or package.module:EXPERIMENT")
    inf.add_argument("--vary", default=None, metavar="NAME=LO:HI[:log]", help="the parameter and its prior range")
    inf.add_argument("--from", dest="runs", action="append", default=[], metavar="RUN",
                     help="read the models of complete `gluenn run EXPERIMENT --vary` folders instead of training "
                          "(repeatable: one per seed; --vary, --seeds, --train and --set are then theirs)")
    inf.add_argument("--observe", required=True, metavar="READOUT=VALUE±SIGMA",
                     help="the observed read-out and its 1σ error (SIGMA may be a percentage: ±1%%; +- for ±)")
    inf.add_argument("--seeds", default="0", help="one model per seed: 0,1,2 or 0-4 (default 0)")
    inf.add_argument("--route", choices=("curve", "joint"), default="curve",
                     help="curve (default): root of the read-out curve of a model over the range (route a); joint: "
                          "the parameter trained with the coefficients in one fit per seed, the observation its "
                          "data (route b; experiments that declare it: freezeout)")
    inf.add_argument("--train", type=int, default=8, metavar="N", help="training values per model (default 8)")
    inf.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                     help="another parameter fixed (repeatable)")
    inf.add_argument("--out", default=None, help="output folder (default: runs/EXPERIMENT-infer-HASH)")
    inf.add_argument("--overwrite", action="store_true", help="replace another run in --out")
    inf.add_argument("--no-progress", action="store_true", help="no progress bar")


def _worker_options(p) -> None:
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the embedded Dask cluster (default: one per core, each given "
                        "cores/N threads); 0: no Dask, one point after another in this process")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the points on a running Dask cluster (tcp://host:8786) instead; see docs/sweeps.md")


def _sweep_parser(sub) -> None:
    sw = sub.add_parser("sweep", help="run an experiment over parameter ranges, grids and seeds (on Dask)",
                        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_SWEEP_EPILOG)
    sw.add_argument("experiment", help="name from `gluenn list`, or package.module:EXPERIMENT")
    sw.add_argument("--vary", action="append", default=[], metavar="NAME=LO:HI[:log]",
                    help="sample a parameter on [LO, HI] by a Latin hypercube of --points points (repeatable)")
    sw.add_argument("--points", type=int, default=None, metavar="N", help="Latin-hypercube points (with --vary)")
    sw.add_argument("--sample-seed", type=int, default=0, metavar="S", help="seed of the Latin hypercube (default 0)")
    sw.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2,...",
                    help="every listed value of a parameter (repeatable; the Cartesian product)")
    sw.add_argument("--seeds", default="0", help="initialisation seeds of every point: 0-9, 0,2,5 (default 0)")
    sw.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                    help="a parameter fixed for every point (repeatable)")
    sw.add_argument("--steps", type=int, default=None, help="shortcut for --set steps=N")
    sw.add_argument("--trainer", default=None, metavar="NAME", help="shortcut for --set trainer=NAME")
    sw.add_argument("--preset", default=None, help="a named configuration applied to every point")
    sw.add_argument("--weights", default="fixed", metavar="{fixed,auto,gradnorm}", help="as for `gluenn run`")
    sw.add_argument("--out", default=None, help="the sweep's folder (default: runs/EXPERIMENT-sweep-HASH)")
    sw.add_argument("--overwrite", action="store_true",
                    help="replace another sweep in --out (its points this sweep does not have are deleted)")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    _worker_options(sw)


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="train an experiment and write its outputs",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="see `gluenn show EXPERIMENT` for the parameters --set accepts")
    run.add_argument("experiment", help="name from `gluenn list`, or package.module:EXPERIMENT")
    run.add_argument("--out", default=None, help="output folder (default: runs/EXPERIMENT for the default "
                     "configuration, runs/EXPERIMENT-HASH for any other)")
    run.add_argument("--seed", type=int, default=None, help="initialisation seed (default 0)")
    run.add_argument("--steps", type=int, default=None,
                     help="shortcut for --set steps=N (experiments with a steps parameter)")
    run.add_argument("--trainer", default=None, metavar="NAME",
                     help="auto | adam | adam+lbfgs | lstsq | lexicographic | gauss-newton: shortcut for --set trainer=NAME "
                          "(GlueNN experiments)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                     help="override a physical or training parameter (repeatable)")
    run.add_argument("--preset", default=None,
                     help="a named configuration: 'paper', or a variant/ablation row (see `gluenn show`)")
    run.add_argument("--ensemble", type=int, default=1, metavar="K",
                     help="train K models (seeds SEED..SEED+K-1) together with jax.vmap; read-outs become "
                          "mean ± std (GlueNN experiments)")
    run.add_argument("--weights", default="fixed", metavar="{fixed,auto,gradnorm}",
                     help="loss-term weights: the experiment's λ (fixed); or no λ at all: NTK-trace balancing "
                          "of the data and equation terms, gauge terms (suppression, plateau) 1e-6 below "
                          "them (auto); gradient-norm balancing of every term (gradnorm)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--overwrite", action="store_true",
                     help="write into --out even if it holds another run (of another experiment or configuration), "
                          "replacing it")
    run.add_argument("--resume", metavar="OUT", default=None,
                     help="continue the run that Ctrl-C interrupted in folder OUT (same configuration; "
                          "--set/--seed/--preset may be left out: they are read from OUT)")
    run.add_argument("--vary", default=None, metavar="NAME=LO:HI[:log]",
                     help="one training over a range of a physical parameter (e.g. eta=1e3:1e6:log): read-outs "
                          "scored against SciPy at --held-out values that are not training values; writes "
                          "readouts.csv, readouts.png, solution.png, metrics.json")
    run.add_argument("--train", type=int, default=8, metavar="N",
                     help="with --vary: training values to start with (Chebyshev–Lobatto nodes of the range; "
                          "default 8); while the trust, which checks between them, fails: 2N−1, up to 29")
    run.add_argument("--held-out", type=int, default=20, metavar="N",
                     help="with --vary: held-out values scored against the reference (default 20)")


def _cmd_list(args) -> None:
    from .pipeline import experiments
    for name, e in experiments().items():
        print(f"{name:16s} {e.summary}")


def _cmd_show(args) -> None:
    from .pipeline import get
    e = get(args.experiment)
    print(f"{e.name}: {e.summary}\n")
    print(f"{'parameter':22s} {'default':>10s}  {'kind':9s} meaning")
    for k, prm in e.parameters.items():
        allowed = f" [{' | '.join(map(str, prm.choices))}]" if prm.choices else ""
        print(f"{k:22s} {prm.default!s:>10s}  {prm.kind:9s} {prm.doc}{allowed}")
    for k, v in e.presets.items():
        print(f"\npreset {k!r}: " + ", ".join(f"{n}={val}" for n, val in v.items()))


def _fmt(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def _overrides(e, args) -> list[str]:
    """``--set`` items plus the shortcuts, each shortcut checked to exist for this experiment."""
    overrides = list(args.overrides)
    for option, param in _SHORTCUTS.items():
        value = getattr(args, option)
        if value is None:
            continue
        if param not in e.parameters:
            raise ConfigError(f"--{option}={value!r} is invalid: {e.name} has no {param!r} parameter; "
                              f"see `gluenn show {e.name}` for what --set accepts")
        overrides.append(f"{param}={value}")
    return overrides


def _resume_config(e, args, overrides) -> tuple:
    """``(overrides, seed, preset, out, weights)`` for ``--resume OUT``: what the user gave, or else the
    interrupted run's own configuration read from ``OUT/resume/state.json``."""
    from .pipeline import read_state
    out = pathlib.Path(args.resume)
    if args.out is not None and pathlib.Path(args.out) != out:
        raise ConfigError(f"--out {args.out!r} is invalid with --resume {args.resume!r}: a resumed run "
                          "writes into its own folder; leave --out out")
    fp = read_state(out).get("fingerprint", {})
    if fp.get("experiment") != e.name:
        raise ConfigError(f"--resume {args.resume!r} is invalid: it holds a {fp.get('experiment')!r} run, "
                          f"not {e.name!r}")
    if overrides or args.seed is not None or args.preset is not None:
        return overrides, args.seed or 0, args.preset, out, args.weights
    return dict(fp.get("params", {})), int(fp.get("seed", 0)), fp.get("preset"), out, fp.get("weights", "fixed")


def _cmd_run(args) -> None:
    from .pipeline import get, run_experiment
    e = get(args.experiment)
    overrides = _overrides(e, args)
    if args.vary is not None:
        return _cmd_run_family(e, args, overrides)
    if args.resume is not None:
        overrides, seed, preset, out, weights = _resume_config(e, args, overrides)
    else:
        seed, preset, weights = args.seed or 0, args.preset, args.weights
        out = args.out if args.out is not None else _default_out(e, overrides, seed, preset, weights)
    e.params(overrides, preset)  # validate before any output
    header = f"gluenn run {e.name} (seed {seed}){' resumed' if args.resume else ''} -> {out}"
    res = run_experiment(e, overrides=overrides, seed=seed, out=out, progress=False if args.no_progress else None,
                         preset=preset, resume=args.resume is not None, ensemble=args.ensemble, weights=weights,
                         overwrite=args.overwrite, announce=lambda: print(header, file=sys.stderr))
    m, t = res.metrics, res.metrics["train"]
    print(f"\n{e.name}: {t['steps']} steps, stopped: {t['stop_reason']}; train {t['seconds']:.1f} s, "
          f"compile {t['compile_seconds']:.1f} s, total {m['seconds_total']:.1f} s")
    if res.kind == "glue":
        _print_glue(m)
    else:
        for k, v in m["readouts"].items():
            print(f"{k:22s} {_fmt(v)}")
        _print_calibration(m.get("calibration"))
        if "trust" in m:
            _print_trust(m["trust"])
    print(f"outputs: {res.out}/")
    early = _stopped_early(t["stop_reason"])
    if early:
        print(f"gluenn: warning: training did not finish ({early}); the numbers above are those of the last "
              "finite state — do not trust them as converged", file=sys.stderr)


def _print_calibration(cal) -> None:
    """One line per calibrated physics parameter (see :func:`gluenn.node.calibrate`)."""
    for k, c in (cal or {}).items():
        if isinstance(c, dict) and "value" in c:
            truth = f"; true {c['true']:g} ({c['error_pct']:+.3f} %)" if c.get("error_pct") is not None else ""
            print(f"calibrated {k} = {c['value']:.6g} ± {c['sigma']:.2g} (prior [{c['prior'][0]:g}, {c['prior'][1]:g}]"
                  f"{truth})")


def _cmd_run_family(e, args, overrides) -> None:
    """``gluenn run EXPERIMENT --vary NAME=LO:HI[:log]``: one training over the range (see
    :func:`gluenn.pipeline.run_family`)."""
    from .pipeline import FamilyRun, Vary, config_hash, run_family
    for option, value, default in (("--resume", args.resume, None), ("--ensemble", args.ensemble, 1),
                                   ("--weights", args.weights, "fixed"), ("--preset", args.preset, None)):
        if value != default:
            raise ConfigError(f"{option}={value} is invalid: with --vary one model is trained over the range "
                              f"with the experiment's own settings; leave {option} out")
    plan = FamilyRun(Vary.parse(args.vary), args.train, args.held_out)
    seed = args.seed or 0
    e.params(overrides)
    out = args.out or f"runs/{e.name}-vary-{config_hash({'o': overrides, 'seed': seed, **plan.to_dict()}, 8)}"
    header = f"gluenn run {e.name} --vary {args.vary} (seed {seed}, {plan.train} training values) -> {out}"
    res = run_family(e, plan, overrides=overrides, seed=seed, out=out, progress=False if args.no_progress else None,
                     overwrite=args.overwrite, announce=lambda: print(header, file=sys.stderr))
    m = res.metrics
    tried = m["train"]["train_tried"]
    print(f"\n{e.name} over {plan.vary.name} ∈ [{plan.vary.lo:g}, {plan.vary.hi:g}]: {m['train']['members']} "
          f"training values{' (tried ' + ', '.join(map(str, tried)) + ')' if len(tried) > 1 else ''}, stopped: {m['train']['stop_reason']}; fit {m['timing']['fit']:.1f} s, total "
          f"{m['seconds_total']:.1f} s; y at 1000 values of {plan.vary.name}: {m['timing']['evaluate_1000']:.3f} s")
    print(f"{'read-out':14s} {'held-out':>9s} {'max |rel_err|':>14s} {'median':>10s}   (vs SciPy, none a training value)")
    for k, r in m["readouts"].items():
        med = float(sorted(abs(v) for v in r["rel_err"])[len(r["rel_err"]) // 2])
        print(f"{k:14s} {len(r['theta']):>9d} {r['max_abs_rel_err']:>14.3%} {med:>10.3%}")
    _print_trust(m["trust"])
    print(f"outputs: {res.out}/")


def _cmd_infer(args) -> None:
    from .pipeline import FamilyRun, Observation, Vary, config_hash, get, infer, infer_jointly, load_runs, parse_seeds
    e = get(args.experiment)
    obs, models, overrides = Observation.parse(args.observe), None, args.overrides
    if args.route == "joint":
        if args.runs or args.train != 8 or args.vary is None:
            raise ConfigError("--route='joint' is invalid: it fits the parameter with the coefficients, per seed, "
                              "without --from or --train; give --vary NAME=LO:HI[:log] (the prior range)")
        vary, seeds = Vary.parse(args.vary), parse_seeds(args.seeds)
        key = {'o': overrides, 's': seeds, 'obs': args.observe, 'route': 'joint', 'vary': args.vary}
        out = args.out or f"runs/{e.name}-infer-{config_hash(key, 8)}"
        header = f"gluenn infer {e.name} --route joint: {vary.name} from {obs.readout} = {obs.value:.6g} ± {obs.sigma:.3g} -> {out}"
        res = infer_jointly(e, vary, obs, seeds=seeds, overrides=overrides, out=out, overwrite=args.overwrite,
                            progress=False if args.no_progress else None, announce=lambda: print(header, file=sys.stderr))
        return _print_inference(res, seeds, "every seed's fit passed its self-checks and its refits bracket it")
    if args.runs:
        if args.vary is not None or overrides or args.seeds != "0" or args.train != 8:
            raise ConfigError("--vary/--seeds/--train/--set is invalid: with --from they are the runs' own; leave them out")
        plan, overrides, models = load_runs(e, args.runs)
        seeds = tuple(sorted(models))
    elif args.vary is None:
        raise ConfigError("--vary is invalid: it is missing; give the range (--vary eta=1e3:1e6:log) or --from RUN")
    else:
        plan, seeds = FamilyRun(Vary.parse(args.vary), args.train), parse_seeds(args.seeds)
    key = {'o': overrides, 's': seeds, 'obs': args.observe, 'from': args.runs, **plan.to_dict()}
    out = args.out or f"runs/{e.name}-infer-{config_hash(key, 8)}"
    header = f"gluenn infer {e.name}: {plan.vary.name} from {obs.readout} = {obs.value:.6g} ± {obs.sigma:.3g} -> {out}"
    res = infer(e, plan, obs, seeds=seeds, overrides=overrides, models=models, out=out,
                progress=False if args.no_progress else None, overwrite=args.overwrite,
                announce=lambda: print(header, file=sys.stderr))
    _print_inference(res, seeds, "every seed's model passed its self-checks over the range")


def _print_inference(res, seeds, judged: str) -> None:
    inf = res.metrics["inference"]
    print(f"\n{inf['name']} = {inf['value']:.6g}, 1σ interval [{inf['lower']:.6g}, {inf['upper']:.6g}] "
          f"(observation ±{inf['observational']:.3g}, seeds ±{inf['model']:.3g}; {len(seeds)} seed(s))")
    print(f"how: {inf['method']}")
    print(f"trusted: {'yes' if inf['trusted'] else 'NO'} (requires: {judged})")
    if not inf["trusted"]:
        print("gluenn: warning: this inference cannot be trusted: see trust in metrics.json", file=sys.stderr)
    print(f"outputs: {res.out}/")


def _stopped_early(stop) -> str | None:
    """The first stop reason (of any component or stage) other than completed / tolerance reached."""
    reasons = list(stop.values()) if isinstance(stop, dict) else [r.split(": ", 1)[-1] for r in str(stop).split("; ")]
    return next((r for r in reasons if not r.startswith(("completed", "tolerance reached"))), None)


def _default_out(e, overrides, seed, preset, weights) -> str:
    """``runs/EXPERIMENT`` for the default configuration; another configuration gets a folder of its
    own, ``runs/EXPERIMENT-<8 hex digits of its configuration>``, so that runs never meet in one."""
    from .pipeline import config_hash
    params = e.params(overrides, preset)
    if params == e.params() and seed == 0 and preset is None and weights == "fixed":
        return f"runs/{e.name}"
    return f"runs/{e.name}-{config_hash({'params': dict(params), 'seed': seed, 'preset': preset, 'weights': weights}, 8)}"


def _print_glue(m: dict) -> None:
    """Read-outs against the reference and the matching band; the solution errors."""
    ens = m.get("ensemble")
    if ens:
        print(f"ensemble of {ens['size']} (seeds {ens['seeds'][0]}..{ens['seeds'][-1]}): mean ± standard deviation")
    print(f"{'read-out':14s} {'GlueNN':>13s} {'reference':>13s} {'rel_err':>10s}   matching (±20 %)")
    for k, r in m["readouts"].items():
        mt = m["matching"].get(k)
        band = (f"{_fmt(mt['central'])} [{_fmt(mt['low'])}, {_fmt(mt['high'])}] "
                f"({mt.get('rel_err', float('nan')):+.2%})") if mt else ""
        std = f" ± {_fmt(r['std'])} ({r['std'] / max(abs(r['true']), 1e-300):.2%})" if "std" in r else ""
        print(f"{k:14s} {_fmt(r['pred']):>13s} {_fmt(r['true']):>13s} {r['rel_err']:>+10.3%}   {band}{std}")
    s = m["solution"]
    parts = {k: v for k, v in s.items() if isinstance(v, dict)} or {"y": s}
    for name, v in parts.items():
        print(f"solution {name} vs reference on {v['points']} points: max rel err {v['max_rel_err']:.3%}, "
              f"max abs err {v['max_abs_err']:.3g} ({v['max_abs_err_over_max']:.3%} of max|y|)")
    if "max_abs_err_over_max_norm" in s:
        print(f"largest error over all components: {s['max_abs_err_over_max_norm']:.3%} of max ||y||")
    _print_trust(m["trust"])


def _print_trust(trust: dict) -> None:
    """The self-checks (no reference needed): one line; a warning on stderr if they fail."""
    def shown(k, v):  # training is a pass/fail check: named only when it failed
        return "training did not finish" if k == "training" else \
            f"{k} {v['value']:.1g} {'<=' if v['passed'] else '>'} {v['limit']:g}"
    checks = ", ".join(shown(k, v) for k, v in trust["checks"].items() if k != "training" or not v["passed"]) \
        or "training"
    print(f"trusted: {'yes' if trust['trusted'] else 'NO'} (self-checks, no reference used: {checks})")
    if not trust["trusted"]:
        print(f"gluenn: warning: this result cannot be trusted: {'; '.join(trust['reasons'])}", file=sys.stderr)


def _cmd_ablate(args) -> None:
    from .pipeline import ablate, get, parse_seeds
    e = get(args.experiment)
    seeds = parse_seeds(args.seeds)
    out = args.out or f"runs/{e.name}-ablation"
    print(ablate(e, seeds=seeds, out=out, quick=args.quick, overrides=args.overrides, overwrite=args.overwrite,
                 workers=_workers(args)))
    print(f"outputs: {out}/ablation.md, {out}/ablation.json, {out}/sweep.csv")


def _workers(args):
    from .pipeline import Workers
    return Workers(n=args.workers, scheduler=args.scheduler)


def _cmd_sweep(args) -> int:
    from .pipeline import get, sweep
    e = get(args.experiment)
    overrides = _overrides(e, args)
    out = args.out or _default_sweep_out(e, args, overrides)
    table = sweep(e, out=out, vary=args.vary, grid=args.grid, points=args.points, seeds=args.seeds,
                  sample_seed=args.sample_seed, overrides=overrides, preset=args.preset, weights=args.weights,
                  workers=_workers(args), progress=not args.no_progress, overwrite=args.overwrite,
                  announce=lambda: print(f"gluenn sweep {e.name} -> {out}", file=sys.stderr))
    _print_sweep(table)
    print(f"outputs: {out}/sweep.csv, {out}/sweep.json, {out}/sweep-*.png, {out}/points/")
    failed = table[table["status"] == "failed"]
    for _, r in failed.head(5).iterrows():
        print(f"gluenn: warning: point {r['point']} (seed {r['seed']}) failed: {r['error']}", file=sys.stderr)
    if len(failed):
        print(f"gluenn: warning: {len(failed)} of {len(table)} points failed (see sweep.csv)", file=sys.stderr)
    return 1 if len(failed) else 0


def _default_sweep_out(e, args, overrides) -> str:
    """``runs/EXPERIMENT-sweep-<8 hex digits of the sweep's specification>``."""
    from .pipeline import config_hash
    spec = {"vary": args.vary, "grid": args.grid, "points": args.points, "seeds": args.seeds, "overrides": overrides,
            "sample_seed": args.sample_seed, "preset": args.preset, "weights": args.weights}
    return f"runs/{e.name}-sweep-{config_hash(spec, 8)}"


def _print_sweep(table, limit: int = 30) -> None:
    """The table's essentials: swept values, seed, each read-out's error (or value), trusted."""
    skip = {"point", "folder", "error", "trust_reasons", "stop_reason", "train_seconds", "compile_seconds",
            "total_seconds", "reused"}
    cols = [c for c in table.columns if c not in skip and not c.endswith(("_true", "_std"))
            and not (f"{c}_rel_err" in table.columns)]
    shown = table[cols].head(limit)
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if len(table) > limit:
        print(f"... {len(table) - limit} more rows in sweep.csv")


_COMMANDS = {"list": _cmd_list, "show": _cmd_show, "run": _cmd_run, "ablate": _cmd_ablate, "sweep": _cmd_sweep,
             "infer": _cmd_infer}


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command not in _COMMANDS:
        parser.print_help()
        return 0
    try:
        status = _COMMANDS[args.command](args)
    except Interrupted as exc:
        print(f"gluenn: {exc}", file=sys.stderr)
        return 130
    except GluennError as exc:
        print(f"gluenn: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gluenn: interrupted", file=sys.stderr)
        return 130
    return status or 0


def exit_now(status: int) -> NoReturn:
    """End the process with `status` without the interpreter's teardown.

    Tearing down the thousands of modules and objects that JAX, SciPy and Matplotlib load takes
    ~0.4 s (measured on 2 cores: ``python -c "import gluenn"`` 2.7 s, 2.3 s this way) and does
    nothing a finished command needs. Everything that does matter still happens, in the order
    Python would do it: other non-daemon threads are joined, the exit handlers run (Dask clusters
    close and their worker processes are joined, logging flushes), the standard streams are
    flushed; every file the commands write is already closed (atomic writes)."""
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to deliver
            pass
    os._exit(status)


def run() -> NoReturn:
    """The ``gluenn`` command: :func:`main` on the command line's arguments, then :func:`exit_now`.
    ``python -m gluenn.cli`` exits the usual way instead, so that a tool wrapping it (``python -m
    cProfile``) can still write its output after ``main`` returns."""
    exit_now(main())


if __name__ == "__main__":
    sys.exit(main())
