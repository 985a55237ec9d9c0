"""Freeze-out's η from an observed Y(31) by route (b): η trained with the coefficients in one fit
(``gn.invert_jointly`` on the experiment's route-(b) problem, ``gluenn.experiments.freezeout_joint``),
issue 19. The observation is SciPy's Y(31) at the true η (±1 %); the prior is η ∈ [1e3, 1e6].

    python benchmarks/inverse_freezeout.py [ETA_TRUE [SEED]]

The same from the command line, for several seeds at once:
``gluenn infer freezeout --route joint --vary eta=1e3:1e6:log --observe Y_end=VALUE±1% --seeds 0,1,2``.
Measured results: ``docs/parametric.md``.
"""
import sys, time

import gluenn as gn
from gluenn.experiments import freezeout as fo

eta_true = float(sys.argv[1]) if len(sys.argv) > 1 else 4.2e4
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
prior = gn.Parameter("eta", 1e3, 1e6, log=True)

truth = fo.build(fo.EXPERIMENT.params({"eta": eta_true}))
y_obs = truth.readout({"y": truth.components["y"].reference})["Y_end"]
joint = fo.joint(fo.EXPERIMENT.params(), prior, "Y_end", y_obs)
t = time.perf_counter()
result = gn.invert_jointly(joint.problem, prior, joint.observed, 0.01 * y_obs, seed=seed, progress=False,
                           network=joint.network, trainer=joint.trainer)
print(f"eta_true {eta_true:g}, seed {seed}: {result}  ({time.perf_counter() - t:.1f} s)")
print(f"rel. error {result.value / eta_true - 1:+.3%}, trusted {result.trusted}, true value inside the 1σ interval: "
      f"{result.lower <= eta_true <= result.upper}; {result.fit.trust.line()}")
