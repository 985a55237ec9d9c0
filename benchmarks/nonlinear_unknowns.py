"""Unknown parameters of *nonlinear* equations from exact data (and one noisy set), each fitted with
``gn.fit(problem, unknowns=..., seed=0)`` and nothing else; the truth is a closed form or SciPy's ``solve_ivp``.

    python benchmarks/nonlinear_unknowns.py [CASE ...]   # ~6 min on 2 cores; prints one table row per case

Written 2026-12-05 before the nonlinear route was first run. ``logistic`` is the case it was built on;
the others are fresh, run once after it was built. ``wrong_model`` must be flagged. ``noisy_logistic``
compares r ± σ with SciPy's ``least_squares`` over r with the closed form.
"""
import sys, time, warnings
import jax.numpy as jnp
import numpy as np
import scipy.optimize
import exact_unknowns  # noqa: E402 - the folder of benchmarks is first on the path (run as a script)
import gluenn as gn

ivp, ic, Y = exact_unknowns.ivp, exact_unknowns.ic, exact_unknowns.Y
R = lambda a, b, n: gn.Residual(gn.linspace(a, b, n))

def logistic():  # building case
    ex = lambda x: 1 / (1 + 19 * np.exp(-1.2 * np.asarray(x))); xs = np.linspace(0.5, 8, 20)
    eq = gn.Equation(lambda x, y, dy, *, r: dy - r * y * (1 - y))
    return gn.Problem(Y, eq, [gn.Data([0.0], [0.05]), gn.Data(xs, ex(xs), name="observed"), R(0, 8, 200)], (0, 8)), [gn.Parameter("r", 0.2, 3.0)], {"r": 1.2}, ex

def cubic_decay():
    ex = lambda x: 1 / np.sqrt(1 + 2 * 1.1 * np.asarray(x)); xs = np.linspace(0.5, 5, 15)
    eq = gn.Equation(lambda x, y, dy, *, k: dy + k * y**3)
    return gn.Problem(Y, eq, [gn.Data([0.0], [1.0]), gn.Data(xs, ex(xs), name="observed"), R(0, 5, 200)], (0, 5)), [gn.Parameter("k", 0.2, 3.0)], {"k": 1.1}, ex

def pendulum():
    ex = ivp(lambda x, u: [u[1], -1.69 * np.sin(u[0])], 0, 10, [1.5, 0]); xs = np.linspace(0.3, 10, 30)
    eq = gn.Equation(lambda x, y, dy, d2y, *, w: d2y + w**2 * jnp.sin(y))
    return gn.Problem(Y, eq, [*ic(1.5, 0), gn.Data(xs, ex(xs), name="observed"), R(0, 10, 300)], (0, 10)), [gn.Parameter("w", 0.5, 2.0)], {"w": 1.3}, ex

def van_der_pol():
    ex = ivp(lambda x, u: [u[1], 1.0 * (1 - u[0]**2) * u[1] - u[0]], 0, 10, [2, 0]); xs = np.linspace(0.2, 10, 40)
    eq = gn.Equation(lambda x, y, dy, d2y, *, mu: d2y - mu * (1 - y**2) * dy + y)
    return gn.Problem(Y, eq, [*ic(2, 0), gn.Data(xs, ex(xs), name="observed"), R(0, 10, 300)], (0, 10)), [gn.Parameter("mu", 0.1, 3.0)], {"mu": 1.0}, ex

def logistic_data_only():
    ex = lambda x: 1 / (1 + 9 * np.exp(-0.8 * np.asarray(x))); xs = np.linspace(0, 8, 20)
    eq = gn.Equation(lambda x, y, dy, *, r: dy - r * y * (1 - y))
    return gn.Problem(Y, eq, [gn.Data(xs, ex(xs), name="observed"), R(0, 8, 200)], (0, 8)), [gn.Parameter("r", 0.2, 3.0)], {"r": 0.8}, ex

def two_unknowns():
    ex = lambda x: 2.0 / (1 + 39 * np.exp(-0.9 * np.asarray(x))); xs = np.linspace(0.5, 12, 25)
    eq = gn.Equation(lambda x, y, dy, *, r, K: dy - r * y * (1 - y / K))
    return gn.Problem(Y, eq, [gn.Data([0.0], [0.05]), gn.Data(xs, ex(xs), name="observed"), R(0, 12, 250)], (0, 12)), [gn.Parameter("r", 0.2, 3.0), gn.Parameter("K", 0.5, 5.0)], {"r": 0.9, "K": 2.0}, ex

def wrong_model():  # data of y' = -1.1 y^3 - 0.3 y fitted with y' = -k y^3: must be flagged
    ex = ivp(lambda x, u: [-1.1 * u[0]**3 - 0.3 * u[0]], 0, 5, [1.0]); xs = np.linspace(0.5, 5, 15)
    eq = gn.Equation(lambda x, y, dy, *, k: dy + k * y**3)
    return gn.Problem(Y, eq, [gn.Data([0.0], [1.0]), gn.Data(xs, ex(xs), name="observed"), R(0, 5, 200)], (0, 5)), [gn.Parameter("k", 0.2, 3.0)], {"k": float("nan")}, ex

CASES = {f.__name__: f for f in (logistic, cubic_decay, pendulum, van_der_pol, logistic_data_only, two_unknowns, wrong_model)}

def run(name):
    print(exact_unknowns.run(name, CASES), flush=True)

def noisy_logistic():
    xs = np.linspace(0.5, 8, 30); true = lambda x, r: 1 / (1 + 19 * np.exp(-r * np.asarray(x)))
    h = true(xs, 1.2) + 0.02 * np.random.default_rng(7).standard_normal(xs.size)
    eq = gn.Equation(lambda x, y, dy, *, r: dy - r * y * (1 - y))
    problem = gn.Problem(Y, eq, [gn.Data([0.0], [0.05]), gn.Data(xs, h, noise=0.02, name="observed"), R(0, 8, 200)], (0, 8))
    ref = scipy.optimize.least_squares(lambda r: (true(xs, r[0]) - h) / 0.02, [1.0])
    sd = np.sqrt(np.linalg.inv(ref.jac.T @ ref.jac))[0, 0]
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = gn.fit(problem, unknowns=[gn.Parameter("r", 0.2, 3.0)], seed=0, progress=False)
    print(f"| noisy_logistic | r = {fit.unknowns['r']:.6g} ± {fit.noisy.errors['r']:.4g} (SciPy {ref.x[0]:.6g} ± {sd:.4g}; true 1.2) | | {'yes' if fit.trust.trusted else 'no'} | {fit.trust.line()[:80]} | {time.perf_counter() - t:.0f} |", flush=True)

for name in sys.argv[1:] or [*CASES, "noisy_logistic"]:
    noisy_logistic() if name == "noisy_logistic" else run(name)
