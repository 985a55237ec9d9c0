"""PI-NODE-SR training step: gluenn (JAX) against the same model in eager PyTorch (issue 5).

    pip install torch
    python benchmarks/bench_hh.py --steps 60 --seeds 0 1 2

Both sides take the default ``hodgkin-huxley`` set-up's composite loss — Heun through the
1468-point training window (dt = 0.01 ms) from the first observed state, data MSE plus
λ = 1.5 times the scale-aware residual Σ_j ((f_θ − f_HH)/s_j)² at the trajectory and the observed
states — with the *same* vector field (width 128, depth 3, layer norm, tanh, data-statistics
normalisation) and the same initial weights copied from gluenn, float64, and take Adam steps
(lr 1e-4). Printed per seed: median time per step after warm-up, JAX's compile time, and the
ratio PyTorch / gluenn. The start losses are checked to agree.

The issue names torchdiffeq as the peer; it has no wheel in this machine's package index, so the
PyTorch side integrates with a hand-written fixed-step Heun loop (what torchdiffeq's fixed-grid
``heun`` method does, without its bookkeeping). Time-to-F1 is not compared: it needs the whole
PI-NODE-SR pipeline (physics warm start, L-BFGS) on the PyTorch side.
"""

from __future__ import annotations

import argparse
import statistics
import time

import equinox as eqx
import jax
import numpy as np

import gluenn as gn
from gluenn.experiments import get
from gluenn.experiments.hodgkin_huxley import hodgkin_huxley


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--lr", type=float, default=1e-4)
    args = ap.parse_args()
    import torch
    torch.set_default_dtype(torch.float64)

    e = get("hodgkin-huxley")
    p = e.params([])
    setup = e.build(p)
    stage = setup.stages[-1]
    loss = stage.loss                                  # NODELoss(data, physics, heun, dt)
    t_obs, z_obs = np.asarray(loss.data.t), np.asarray(loss.data.z)
    scales = np.asarray(loss.physics.scales)
    lam, dt = loss.physics.weight, loss.dt
    f_hh = hodgkin_huxley(p.I_ext, torch)
    ratios = []
    for seed in args.seeds:
        model = setup.init(jax.random.PRNGKey(seed))
        params, static = eqx.partition(model, eqx.is_inexact_array)
        chunk = 10
        _, hist = gn.optimise(lambda q: loss(eqx.combine(q, static)), params, [gn.Adam(args.steps, lr=args.lr)],
                              log_every=chunk, progress=False)
        per_g = statistics.median(np.diff([r["time"] for r in hist.rows[1:]])) / chunk * 1e3

        T = lambda a: torch.nn.Parameter(torch.tensor(np.asarray(a)))  # noqa: E731
        lins = [(T(lin.weight), T(lin.bias)) for lin in model.hidden]
        norms = [(T(n.weight), T(n.bias), n.eps) for n in model.norms]
        out_w, out_b = T(model.out.weight), T(model.out.bias)
        mean, std, oscale = (torch.tensor(np.asarray(a)) for a in (model.z_mean, model.z_std, model.out_scale))
        tparams = [x for pair in lins for x in pair] + [x for n in norms for x in n[:2]] + [out_w, out_b]

        def field(z):                                  # z: (D,) or (N, D)
            x = (z - mean) / std
            for (w, b), (nw, nb, eps) in zip(lins, norms):
                x = torch.tanh(torch.nn.functional.layer_norm(x @ w.T + b, (w.shape[0],), nw, nb, eps))
            return (x @ out_w.T + out_b) * oscale

        zo = torch.tensor(z_obs)
        s = torch.tensor(scales)
        f_obs = f_hh(0.0, zo.T).T

        def loss_fn():
            z, traj = zo[0], [zo[0]]
            for _ in range(len(t_obs) - 1):
                k1 = field(z)
                k2 = field(z + dt * k1)
                z = z + 0.5 * dt * (k1 + k2)
                traj.append(z)
            zh = torch.stack(traj)
            data = ((zh - zo) ** 2).sum(-1).mean()
            zd = zh.detach()
            states = torch.cat([zd, zo])
            known = torch.cat([f_hh(0.0, zd.T).T, f_obs])
            phys = (((field(states) - known) / s) ** 2).sum(-1).mean()
            return data + lam * phys

        start_g = hist.rows[0]["loss"]
        start_t = float(loss_fn().detach())
        if abs(start_t / start_g - 1) > 1e-8:
            raise SystemExit(f"the PyTorch port disagrees with gluenn at the start: {start_t} vs {start_g}")
        opt = torch.optim.Adam(tparams, lr=args.lr)
        times = []
        for _ in range(min(args.steps, 30)):
            t0 = time.perf_counter()
            opt.zero_grad()
            loss_fn().backward()
            opt.step()
            times.append(time.perf_counter() - t0)
        per_t = statistics.median(times[2:]) * 1e3
        ratios.append(per_t / per_g)
        print(f"seed {seed}: ms/step gluenn {per_g:.1f}  torch {per_t:.1f}  (torch/gluenn {per_t / per_g:.2f}x); "
              f"gluenn compile {hist.compile_seconds:.1f} s; start loss {start_g:.6g} (both)", flush=True)
    print(f"median per-step ratio torch/gluenn over seeds {args.seeds}: {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
