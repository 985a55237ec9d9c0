"""How a period error turns into the Hodgkin–Huxley gating RMSEs on [100, 1000] ms.

Stretches SciPy's Radau solution in time, ``z(t·T/(T+δ))`` (a model whose inter-spike interval
is off by δ), and prints RMSE(v, n, m, h) against the unstretched solution on [100, 1000] ms.
It shows what the acceptance's gating RMSEs ≤ 0.05 demand of the period. Not part of the tests.

    python benchmarks/hh_period_sensitivity.py
"""

from __future__ import annotations

import numpy as np

from gluenn.systems.hodgkin_huxley import hodgkin_huxley, resting_state
from gluenn.reference import trajectory

PERIOD = 14.68  # ms, at the experiment's I_ext (SPEC §4)


def main() -> None:
    t = np.arange(0, 110001) * 0.01
    z = trajectory(hodgkin_huxley(9.909286, np), resting_state(), t, rtol=1e-9, atol=1e-9)
    w = (t >= 100) & (t <= 1000)
    print("ISI error (ms)   RMSE v (mV)   n        m        h")
    for d in (0.001, 0.003, 0.004, 0.01, 0.02, 0.05, 0.1):
        stretched = np.column_stack([np.interp(t * PERIOD / (PERIOD + d), t, z[:, j]) for j in range(4)])
        r = np.sqrt(((stretched - z)[w] ** 2).mean(0))
        print(f"{d:<16g} {r[0]:<13.3g} {r[1]:<8.3g} {r[2]:<8.3g} {r[3]:.3g}")


if __name__ == "__main__":
    main()
