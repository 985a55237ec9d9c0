"""Freeze-out: gluenn (JAX) against the same GlueNN model in eager PyTorch and against DeepXDE
solving the same ODE as a plain PINN (issue 5), one process.

    pip install -e ".[bench]"    # torch, deepxde: the peers; not dependencies of gluenn
    python benchmarks/bench_freezeout.py --steps 3000 --peer-steps 20000 --recipe 1000 2000 --seeds 0 1 2

Both sides train the *same* model from the *same* initial weights (copied from gluenn's
initialisation for the seed): the paper's problem (``BASE``: its constant late term; log input, head 100-100 → 100,
one 100-wide trunk per coefficient, exponentiated coefficients ``c₁ x^{3/2} e^{-x} + c₂``; data,
residual and gap sets with their weights and normalisations), float64, Adam with the same
cosine schedule, full batch. Printed per seed: time per step (median over chunks of 50 after
the first), compile time (JAX), steps and seconds to reach 1 % and 0.1 % error on Y(31)
(against SciPy's reference), the final error, and the ratio PyTorch / gluenn.

DeepXDE (PyTorch backend, float64) solves the same problem as a plain PINN, as a DeepXDE user
would write it: a network x → Y (3 hidden tanh layers of 100, Glorot normal) with the same log
input scaling as gluenn and positivity by an ``exp`` output transform, the same data points
(``PointSetBC``, weight λ_a), the same residual and gap points as anchors with the same
normalisations and weights (each set's mean square, as gluenn's loss), Adam at the same peak
rate with a cosine decay to 1 % of it over ``--peer-steps`` (it is given more steps than gluenn:
a plain PINN needs them) — the issue's protocol. A second comparison gives both sides DeepXDE's
usual recipe, ``--recipe ADAM LBFGS``: Adam steps (cosine over them) then L-BFGS iterations
(Optax's in gluenn, ``torch.optim.LBFGS`` with strong Wolfe in DeepXDE), counted on after the Adam
steps ("1300 steps" is 1000 Adam steps and 300 L-BFGS iterations); a third, gluenn's *default*
freeze-out (``gluenn run freezeout``'s problem and trainer: the Riccati late term, one
Gauss–Newton phase) against DeepXDE's recipe, each seed in a fresh process with an empty
compilation cache (cold) and again in a second process with the cache the first filled (warm).
Timed: the wall time of ``model.train`` in chunks of 50 steps (which includes DeepXDE's own evaluation at the end of each chunk); Y(31) is read between chunks,
outside the timing. "Reached" means *sustained*: the first checkpoint after which the error
stays within the tolerance at every later checkpoint. Against DeepXDE, gluenn's time is its
wall time from the start of ``fit`` (every compilation up to that checkpoint included).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import gluenn as gn
from _common import deepxde, quiet, sustained
from gluenn.pipeline import get

CHUNK = 50


def _targets(setup):
    comp = setup.components["y"]
    prob = comp.problem
    x_end = prob.domain[1]
    return comp, prob, x_end, float(comp.reference.y(np.array([x_end]))[0])


# the problem these comparisons were built on (the paper's constant late term, which the PyTorch and
# DeepXDE models mirror; the defaults of its time): today's default Riccati late term is for Gauss–Newton
BASE = ["late=constant", "trainer=adam+lbfgs", "steps=1500", "gn_steps=50"]

def run_gluenn_tracked(seed: int, phases: list, log_every: int = CHUNK) -> dict:
    """gluenn with Y(31) evaluated after every chunk (outside the timed training)."""
    import equinox as eqx
    e = get("freezeout")
    setup = e.build(e.params(BASE))
    comp, prob, x_end, truth = _targets(setup)
    ansatz0 = gn.glue.init_ansatz(prob, setup.network, seed)
    _, static = eqx.partition(ansatz0, eqx.is_inexact_array)
    errs, errs_wall, spent = [], [], [0.0]

    def cb(row, params):
        now = time.perf_counter()
        a = eqx.combine(params, static)
        e = abs(float(a.y(x_end)) / truth - 1)
        errs.append((row["step"], row["time"], e))
        errs_wall.append((row["step"], now - t_start - spent[0], e))   # compilations included
        spent[0] += time.perf_counter() - now

    t_start = time.perf_counter()
    f = gn.fit(prob, network=setup.network, trainer=phases, seed=seed, log_every=log_every,
               progress=False, callback=cb, init=ansatz0)
    h = f.history
    chunk_times = np.diff([0.0] + [r["time"] for r in h.rows[1:]])
    return {"ansatz0": ansatz0, "errs": errs, "errs_wall": errs_wall, "chunk_times": chunk_times, "compile": h.compile_seconds,
            "loss0": h.rows[0]["loss"],
            "prob": prob, "setup": setup, "truth": truth, "x_end": x_end}


def default_fit(seed: int) -> dict:
    """gluenn's default freeze-out (the experiment's own problem, network and trainer) fitted in this
    process, Y(31) read after every chunk of 10 steps by a callback whose own time is taken off the
    clock. Run in a fresh process (:func:`default_runs`) so that nothing is compiled before ``fit``."""
    import equinox as eqx
    process_start = time.perf_counter()
    e = get("freezeout")
    setup = e.build(e.params([]))
    comp, prob, x_end, truth = _targets(setup)
    errs, spent, static = [], [0.0], []

    def cb(row, params):
        now = time.perf_counter()
        if not static:  # the network's fixed parts, as fit builds them (drawn in NumPy: no compilation)
            static.append(eqx.partition(gn.glue.init_ansatz(prob, setup.network, seed), eqx.is_inexact_array)[1])
        err = abs(float(eqx.combine(params, static[0]).y(x_end)) / truth - 1)
        errs.append((row["step"], now - t_start - spent[0], err))
        spent[0] += time.perf_counter() - now

    t_start = time.perf_counter()
    f = gn.fit(prob, network=setup.network, trainer=setup.trainer, seed=seed, log_every=10, progress=False, callback=cb)
    return {"errs": errs, "errs_wall": errs, "compile": f.history.compile_seconds, "steps": f.history.rows[-1]["step"],
            "process": time.perf_counter() - process_start - spent[0]}


def default_runs(seed: int) -> dict:
    """:func:`default_fit` in a fresh process with an empty compilation cache, then again with the
    cache it filled: ``{"cold": ..., "warm": ...}``."""
    import json
    import os
    import subprocess
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as cache:
        env = {**{k: v for k, v in os.environ.items() if k != "GLUENN_CACHE"}, "GLUENN_CACHE_DIR": cache}  # on
        out = {}
        for run in ("cold", "warm"):
            res = subprocess.run([sys.executable, __file__, "--default-fit", str(seed)], env=env,
                                 capture_output=True, text=True, check=True)
            out[run] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def run_torch(g: dict, steps: int, lr: float) -> dict:
    import torch
    torch.set_default_dtype(torch.float64)
    net0 = g["ansatz0"].net
    prob = g["prob"]
    P = lambda a: torch.nn.Parameter(torch.tensor(np.asarray(a)))  # noqa: E731
    head_w = [P(w) for w in net0.head_w]
    head_b = [P(b) for b in net0.head_b]
    trunk_w = [P(w) for w in net0.trunk_w]
    trunk_b = [P(b) for b in net0.trunk_b]
    out_w, out_b = P(net0.out_w), P(net0.out_b)
    params = head_w + head_b + trunk_w + trunk_b + [out_w, out_b]
    scale, shift = net0.scale, net0.shift
    eta = float(get("freezeout").params([]).eta)
    gpref = float(get("freezeout").params([]).prefactor)

    def y_of(x):
        h = (torch.log(x) * scale + shift)[:, None]
        for w, b in zip(head_w, head_b):
            h = torch.tanh(h @ w.T + b)
        z = h[:, None, :].expand(-1, out_b.shape[0], -1)
        for w, b in zip(trunk_w, trunk_b):
            z = torch.tanh(torch.einsum("kij,nkj->nki", w, z) + b)
        c = torch.exp((out_w * z).sum(-1) + out_b)          # both coefficients positive
        return c[:, 0] * x**1.5 * torch.exp(-x) + c[:, 1]

    sets = {s.name: s for s in prob.samples}
    xd = torch.tensor(sets["data"].points.values())
    td = torch.tensor(np.asarray(sets["data"].targets(sets["data"].points.values())))
    xr = torch.tensor(sets["residual"].points.values(), requires_grad=True)
    xg = torch.tensor(sets["gap"].points.values(), requires_grad=True)
    y_eq = lambda x: gpref * x**1.5 * torch.exp(-x)  # noqa: E731

    def residual(x, norm):
        y = y_of(x)
        dy = torch.autograd.grad(y.sum(), x, create_graph=True)[0]
        return (dy + eta / x**2 * (y**2 - y_eq(x) ** 2)) / norm(x, y)

    def loss_fn():
        data = ((y_of(xd) - td) ** 2).mean()
        res = (residual(xr, lambda x, y: y) ** 2).mean()
        gap = (residual(xg, lambda x, y: y * (1 + 2 * eta * y / x**2)) ** 2).mean()
        return sets["data"].weight * data + sets["residual"].weight * res + sets["gap"].weight * gap

    loss0 = float(loss_fn().detach())
    if abs(loss0 / g["loss0"] - 1) > 1e-9:  # same model, same weights: same loss
        raise SystemExit(f"the PyTorch port disagrees with gluenn at the start: {loss0} vs {g['loss0']}")
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=0.01 * lr)
    x_end = torch.tensor([g["x_end"]])
    errs, chunk_times, done, t_train = [], [], 0, 0.0
    while done < steps:
        t0 = time.perf_counter()
        for _ in range(min(CHUNK, steps - done)):
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
            sched.step()
        dt = time.perf_counter() - t0
        t_train += dt
        done += min(CHUNK, steps - done)
        chunk_times.append(dt)
        with torch.no_grad():
            errs.append((done, t_train, abs(float(y_of(x_end)[0]) / g["truth"] - 1)))
    return {"errs": errs, "chunk_times": np.array(chunk_times)}


def run_deepxde(g: dict, steps: int, lr: float, seed: int, lbfgs: int = 0, chunk: int = CHUNK) -> dict:
    """The same ODE as a plain PINN in DeepXDE: Y = exp(N(x)), same points, weights, schedule;
    then ``lbfgs`` L-BFGS iterations (DeepXDE's usual second phase)."""
    import torch
    dde = deepxde(seed)
    prob = g["prob"]
    p = get("freezeout").params([])
    eta, gpref = float(p.eta), float(p.prefactor)
    sets = {s.name: s for s in prob.samples}
    xd = sets["data"].points.values()
    td = np.asarray(sets["data"].targets(xd))
    xr, xg = sets["residual"].points.values(), sets["gap"].points.values()
    anchors = np.concatenate([xr, xg])[:, None]
    in_res = torch.tensor(np.r_[np.ones_like(xr), np.zeros_like(xg)])[:, None]
    # each set's mean square as gluenn's loss: DeepXDE averages a residual over all anchors,
    # so a set's residual is masked to its points and scaled by sqrt(N_all / N_set)
    f_res, f_gap = np.sqrt(len(anchors) / len(xr)), np.sqrt(len(anchors) / len(xg))

    def ode(x, y):
        dy = dde.grad.jacobian(y, x)
        d = dy + eta / x**2 * (y**2 - (gpref * x**1.5 * torch.exp(-x)) ** 2)
        n = x.shape[0] - len(anchors)                   # DeepXDE evaluates it at the data points too
        m = torch.cat([torch.zeros(n, 1), in_res]) if n > 0 else in_res
        return [m * f_res * d / y, (1 - m) * f_gap * d / (y * (1 + 2 * eta * y / x**2))]

    geom = dde.geometry.Interval(*prob.domain)
    bc = dde.icbc.PointSetBC(xd[:, None], td[:, None])
    data = dde.data.PDE(geom, ode, [bc], num_domain=0, num_boundary=0, anchors=anchors)
    scale, shift = float(g["ansatz0"].net.scale), float(g["ansatz0"].net.shift)
    net = dde.nn.FNN([1, 100, 100, 100, 1], "tanh", "Glorot normal")
    net.apply_feature_transform(lambda x: torch.log(x) * scale + shift)
    net.apply_output_transform(lambda x, y: torch.exp(y))
    model = dde.Model(data, net)
    w = [sets["residual"].weight, sets["gap"].weight, sets["data"].weight]
    with quiet():
        model.compile("adam", lr=lr, decay=("cosine", steps, 0.01 * lr), loss_weights=w)
    x_end = np.array([[g["x_end"]]])
    errs, chunk_times, done, t_train, signed = [], [], 0, 0.0, float("nan")
    while done < steps:
        n = min(chunk, steps - done)
        t0 = time.perf_counter()
        model.train(iterations=n, display_every=10**9, verbose=0)
        dt = time.perf_counter() - t0
        t_train += dt
        done += n
        chunk_times.append(dt / n * CHUNK)               # per CHUNK steps, as the others
        signed = float(model.predict(x_end)[0, 0]) / g["truth"] - 1
        errs.append((done, t_train, abs(signed)))
    adam_end = (done, t_train, signed)
    if lbfgs > 0:
        # DeepXDE's L-BFGS runs `iter_per_step` iterations per optimiser step; the error is read
        # after each step by a callback whose own time is taken off the clock
        class Track(dde.callbacks.Callback):
            def on_epoch_begin(self):
                self.t0 = time.perf_counter()

            def on_epoch_end(self):
                nonlocal t_train, signed
                t_train += time.perf_counter() - self.t0
                signed = float(model.predict(x_end)[0, 0]) / g["truth"] - 1
                errs.append((steps + model.train_state.step - adam_end[0], t_train, abs(signed)))

        dde.optimizers.config.set_LBFGS_options(maxiter=lbfgs)
        opts = dde.optimizers.config.LBFGS_options       # per-step keys are set at import only
        opts["iter_per_step"], opts["fun_per_step"] = chunk, int(1.25 * chunk)
        with quiet():
            model.compile("L-BFGS", loss_weights=w)
        model.train(display_every=10**9, verbose=0, callbacks=[Track()])
    return {"errs": errs, "chunk_times": np.array(chunk_times), "signed_end": signed, "adam_end": adam_end,
            "model": model}


LABELS = {"adam": "Adam only", "recipe": "Adam + L-BFGS on both sides",
          "default-cold": "gluenn's default (cold cache) vs DeepXDE Adam + L-BFGS",
          "default-warm": "gluenn's default (warm cache) vs DeepXDE Adam + L-BFGS"}


def _fmt(s, tm):
    return "never" if s is None else f"{s} steps / {tm:.1f} s"


def _versus(g: dict, d: dict, tol: float, ratios: list) -> str:
    """DeepXDE's time to a sustained ``tol`` over gluenn's wall time (compilations included)."""
    sg, tg = sustained(g["errs_wall"], lambda e: e <= tol)
    sd, td = sustained(d["errs"], lambda e: e <= tol)
    part = f"gluenn {_fmt(sg, tg)} (wall, compilation included), deepxde {_fmt(sd, td)}"
    if sg is None:
        return part
    if sd is None:
        ratios.append(float("inf"))
        return part + f"; deepxde/gluenn > {d['errs'][-1][1] / tg:.1f}x (DeepXDE never, in {d['errs'][-1][1]:.0f} s)"
    ratios.append(td / tg)
    return part + f"; deepxde/gluenn {td / tg:.1f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3000, help="gluenn and eager-PyTorch Adam steps")
    ap.add_argument("--peer-steps", type=int, default=20000, help="DeepXDE Adam steps (0: skip DeepXDE)")
    ap.add_argument("--recipe", type=int, nargs=2, default=[1000, 2000], metavar=("ADAM", "LBFGS"),
                    help="Adam steps then L-BFGS iterations, the same on both sides (0 0: skip)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--default-fit", type=int, metavar="SEED", help=argparse.SUPPRESS)  # one run of default_runs
    args = ap.parse_args()
    if args.default_fit is not None:
        import json
        print(json.dumps(default_fit(args.default_fit)))
        return
    ratios = []
    dde = {(r, tol): [] for r in LABELS for tol in (1e-2, 1e-3)}
    for seed in args.seeds:
        g = run_gluenn_tracked(seed, [gn.Adam(args.steps, lr=args.lr)])
        t = run_torch(g, args.steps, args.lr)
        d = run_deepxde(g, args.peer_steps, args.lr, seed) if args.peer_steps > 0 else None
        per_g = statistics.median(g["chunk_times"][1:]) / CHUNK * 1e3
        per_t = statistics.median(t["chunk_times"][1:]) / CHUNK * 1e3
        ratios.append(per_t / per_g)
        line = [f"seed {seed}: ms/step gluenn {per_g:.3f}  torch {per_t:.3f}  (torch/gluenn {per_t / per_g:.2f}x)"
                + (f"  deepxde {statistics.median(d['chunk_times'][1:]) / CHUNK * 1e3:.3f}" if d else "")
                + f"; gluenn compile {g['compile']:.1f} s"]
        for tol in (1e-2, 1e-3):
            sg, tg = sustained(g["errs"], lambda e: e <= tol)
            st, tt = sustained(t["errs"], lambda e: e <= tol)
            line.append(f"  Adam only, to {tol:.1%} (sustained): gluenn {_fmt(sg, tg)}, torch {_fmt(st, tt)}")
            if d:
                line.append(f"    vs DeepXDE ({args.peer_steps} Adam steps): " + _versus(g, d, tol, dde["adam", tol]))
        line.append(f"  final error on Y(31): gluenn {g['errs'][-1][2]:.2e}, torch {t['errs'][-1][2]:.2e}"
                    + (f", deepxde {d['signed_end']:+.2e} ({args.peer_steps} Adam steps, {d['errs'][-1][1]:.0f} s)"
                       if d else ""))
        a, b = args.recipe
        if a + b > 0 and args.peer_steps > 0:
            g2 = run_gluenn_tracked(seed, [gn.Adam(a, lr=args.lr), gn.LBFGS(b)])
            d2 = run_deepxde(g2, a, args.lr, seed, lbfgs=b)
            for tol in (1e-2, 1e-3):
                line.append(f"  Adam {a} + L-BFGS {b} on both sides, to {tol:.1%}: " + _versus(g2, d2, tol, dde["recipe", tol]))
            line.append(f"    final error on Y(31): gluenn {g2['errs'][-1][2]:.2e} ({g2['errs_wall'][-1][1]:.1f} s; "
                        f"compile {g2['compile']:.1f} s of it), "
                        f"deepxde {d2['signed_end']:+.2e} ({d2['errs'][-1][1]:.1f} s)")
            runs = default_runs(seed)
            for cache in ("cold", "warm"):
                g3 = runs[cache]
                for tol in (1e-2, 1e-3):
                    line.append(f"  gluenn's default (Riccati late term, Auto: GaussNewton({g3['steps']})), {cache} cache, vs DeepXDE "
                                f"Adam {a} + L-BFGS {b}, to {tol:.1%}: " + _versus(g3, d2, tol, dde["default-" + cache, tol]))
                line.append(f"    final error on Y(31): gluenn {g3['errs'][-1][2]:.2e} ({g3['errs_wall'][-1][1]:.1f} s "
                            f"from the start of fit; compile {g3['compile']:.1f} s of it; process {g3['process']:.1f} s)")
        print("\n".join(line), flush=True)
    print(f"median per-step ratio torch/gluenn over seeds {args.seeds}: {statistics.median(ratios):.2f}x")
    for (recipe, tol), r in dde.items():
        if r:
            print(f"median time-to-{tol:.1%} ratio deepxde/gluenn, "
                  f"{LABELS[recipe]}, over seeds {args.seeds}: "
                  f"{statistics.median(r):.1f}x (inf: DeepXDE never sustained it)")


if __name__ == "__main__":
    main()
