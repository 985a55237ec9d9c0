"""Freeze-out over η ∈ [1e3, 1e6] as a ``gn.Family`` through the public API (issue 19, a first look).

Eight log-spaced nodes, the experiment's sample sets minus its early suppression set (absent at
η = 1e3), Gauss–Newton 200 steps. Prints the fit's time, Y(31) against SciPy at 20 η between the
nodes, the evaluation time for 1000 η, the family's trust line, and each member at its node.
Measured results: ``docs/parametric.md``. Not part of the tests.

    python benchmarks/family_freezeout.py [TRAIN]
"""
import sys, time, math
import numpy as np, jax.numpy as jnp
import gluenn as gn
from gluenn.experiments import freezeout as fo

g, x0, x1 = 0.145, 1.0, 31.0

def xf_traced(eta):  # x_f(eta) by fixed-point iteration, traceable
    L = jnp.log(2 * eta * g); x = L
    for _ in range(30):
        x = L - 0.5 * jnp.log(x) - jnp.log(1 - 1.5 / x)
    return x

def freezeout(eta):
    x_f = fo.freezeout_point(eta, g)
    y_eq = lambda x: g * x**1.5 * jnp.exp(-x)
    equation = gn.Equation(lambda x, y, dy, *, eta: dy + eta / x**2 * (y**2 - y_eq(x) ** 2), normalisation=lambda x, y: y)
    ref = gn.reference.solve_equation(gn.Equation(lambda x, y, dy: dy + eta / x**2 * (y**2 - y_eq(x) ** 2)),
                                      x0, [float(y_eq(x0))], x1, rtol=1e-11, atol=1e-16)
    x_res = 7.8 * x_f / fo.freezeout_point(1e4, g)
    regions = fo._exact_regions(ref, eta, g, x0, x1)  # the experiment's own rule (private: a first look)
    assert "frozen" in regions, (eta, regions)
    samples = [gn.Data(gn.logspace(x0, 1.9, 28), ref.y, weight=1600.0, scale=1.0),
               gn.Residual(gn.logspace(x_res, x1, 60), weight=700.0),
               gn.Residual(gn.logspace(1.9, x_res, 30), weight=700.0, name="gap",
                           normalisation=lambda x, y, *, eta: y * (1.0 + 2.0 * eta * y / x**2))]
    at = gn.logspace(*regions["frozen"], 60)
    samples += [gn.Plateau(at, terms=("frozen",), weight=1.0, scale=lambda x, *, eta: x * eta / xf_traced(eta)),
                gn.Suppress(at, terms=("equilibrium",), weight=1.0)]
    late = gn.Term("frozen", lambda x, c, *, eta: c[0] / (1 - eta * c[0] / x), coefficients=("Y_inf",),
                   init=lambda x: 1 / (eta / x + eta / x_f))
    return gn.Problem([gn.Term("equilibrium", lambda x, c: c[0] * x**1.5 * jnp.exp(-x), positive=True, init=g), late],
                      equation, samples, (x0, x1))

train = int(sys.argv[1]) if len(sys.argv) > 1 else 8
t0 = time.time()
fam = gn.Family(freezeout, [gn.Parameter("eta", 1e3, 1e6, log=True)], train=train)
fit = gn.fit(fam, network=gn.Network(head=(100, 100), head_out=100, trunk=(100,), input="log"),
             trainer=gn.trainer_phases("gauss-newton", steps=0, gn_steps=200), progress=False)
h = fit.history
print(f"train={train}: fit {time.time()-t0:.1f} s (compile {h.compile_seconds:.1f}, train {h.train_seconds:.1f})", h.stop_reason)
etas = np.geomspace(1e3, 1e6, 22)[1:-1] * 1.0137  # held out
etas = etas[etas < 1e6]
t = time.time(); y = fit.y([x1], eta=etas)[:, 0]; print("eval", time.time() - t)
def yend(e):
    eq = gn.Equation(lambda x, yy, dy: dy + e / x**2 * (yy**2 - (g * x**1.5 * jnp.exp(-x))**2))
    return float(gn.reference.solve_equation(eq, x0, [g * math.exp(-1.0)], x1, rtol=1e-11, atol=1e-16).y(np.array([x1]))[0])
ref = np.array([yend(e) for e in etas])
err = np.abs(y / ref - 1)
print("held-out eta:", len(etas), "max rel err Y(31)", err.max(), "median", np.median(err))
for e, a, b in zip(etas[::4], y[::4], ref[::4]): print(f"  eta {e:.4g}: {a:.6g} vs {b:.6g}")
t = time.time(); fit.y([x1], eta=np.geomspace(1e3, 1e6, 1000)); print("1000 eta eval", time.time() - t)
print(fit.trust.line())
nodes = fam.training_values()[:, 0]
for k, e in enumerate(nodes):
    m = fit.member(k)
    print(f"node eta {e:.4g}: member Y(31) {float(m.solution.y(np.array([x1]))[0]):.6g} ref {yend(e):.6g} trusted {m.trust.trusted} {m.trust.reasons[:2]}")
