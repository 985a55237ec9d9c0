"""The built-in experiments' physics: references, matching baselines, closed forms."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import gluenn as gn
from gluenn.metrics import detect_spikes
from gluenn.pipeline import get
from gluenn.systems.waves import plane_amplitudes


def test_plane_amplitudes_recover_known_A_B():
    A, B = 0.7 - 1.3j, -0.4 + 0.9j
    x = np.linspace(-3, 3, 7)
    k = 2.0
    psi = A * np.exp(1j * k * x) + B * np.exp(-1j * k * x)
    basis = np.column_stack([np.cos(k * x), np.sin(k * x)])
    (ar, br), (ai, bi) = (np.linalg.lstsq(basis, part, rcond=None)[0] for part in (psi.real, psi.imag))
    A2, B2 = plane_amplitudes(ar, br, ai, bi)
    assert A2 == pytest.approx(A, abs=1e-12) and B2 == pytest.approx(B, abs=1e-12)


def test_tunneling_matching_is_the_rectangular_barrier():
    """C¹ matching of plane waves to e^{±κx} at ±d/2 is the textbook rectangular barrier:
    T = 1 / (1 + V0² sinh²(κd) / (4 E (V0 − E)))."""
    exp = get("tunneling")
    for over in ({}, {"V0": 4.5, "d": 6.0}):
        p = exp.params(over)
        setup = exp.build(p)
        bands = {c: comp.matching for c, comp in setup.components.items()}
        got = setup.readout({c: b.central for c, b in bands.items()})
        E = p.k**2 / (2 * p.mass)
        kappa = math.sqrt(2 * p.mass * (p.V0 - E))
        T = 1 / (1 + p.V0**2 * math.sinh(kappa * p.d) ** 2 / (4 * E * (p.V0 - E)))
        assert got["T2"] == pytest.approx(T, rel=1e-6)
        assert got["R2_plus_T2"] == pytest.approx(1.0, abs=1e-9)


def test_tunneling_reference_conserves_flux_and_matches_spec():
    p = get("tunneling").params()
    setup = get("tunneling").build(p)
    true = setup.readout({c: comp.reference for c, comp in setup.components.items()})
    assert true["R2_plus_T2"] == pytest.approx(1.0, abs=1e-8)
    # SPEC §3 reference values (independent computation)
    assert true["T2"] == pytest.approx(0.012448, rel=2e-4)
    assert true["R2"] == pytest.approx(0.98755, rel=2e-5)


def test_tunneling_refuses_energy_above_barrier():
    with pytest.raises(gn.ConfigError, match="E < V0"):
        get("tunneling").build(get("tunneling").params({"V0": 3.0}))


def test_darkphoton_reference_closed_form_without_hubble_terms():
    """Dropping the two 1/H² terms, X = 20a/√(4 + 0.01a²) (SPEC §2)."""
    k, m = 2.0, 0.1

    def braces(a):
        q = k**2 + m**2 * a**2
        return -k**2 / q * (2 / a**2 - 3 * m**2 / q)

    eq = gn.Equation(lambda a, y, dy, d2y: d2y + 2 / a * dy + braces(a) * y)
    exact = lambda a: 20 * a / np.sqrt(4 + 0.01 * a**2)  # noqa: E731
    d_exact = lambda a: 20 / np.sqrt(4 + 0.01 * a**2) - 0.2 * a**2 / (4 + 0.01 * a**2) ** 1.5  # noqa: E731
    ref = gn.reference.solve_equation(eq, 0.1, [exact(0.1), d_exact(0.1)], 500.0)
    a = np.geomspace(0.1, 500, 40)
    np.testing.assert_allclose(ref.y(a), exact(a), rtol=1e-8)


@pytest.mark.parametrize("H", [150.0, 8.0])
def test_darkphoton_horizon_terms_solve_the_massless_early_equation(H):
    """The default early terms with constant coefficients solve X'' + 2X'/a + (k²/(H²a⁴) − 2/a²) X = 0
    (the equation at a ≪ k/m, m → 0) to rounding, inside (H = 8) and outside (H = 150) the horizon,
    and reduce to a/a_* and (a_*/a)² outside it. Derivatives by JAX, not by the formulas' authors."""
    import jax

    k, a_s = 2.5, 0.1
    terms = {t.name: t for t in get("darkphoton").build(get("darkphoton").params({"H": H, "k": k, "m": 0.01})).components["y"].problem.terms}
    a = jnp.geomspace(0.1, 3.0, 50)
    for name in ("growing", "early"):
        f = lambda x, n=name: terms[n].fn(x, jnp.ones(1))  # noqa: E731
        d1, d2 = jax.vmap(jax.grad(f)), jax.vmap(jax.grad(jax.grad(f)))
        X = jax.vmap(f)(a)
        terms_size = jnp.abs(d2(a)) + jnp.abs(2 / a * d1(a)) + jnp.abs((k**2 / (H**2 * a**4) + 2 / a**2) * X)
        residual = d2(a) + 2 / a * d1(a) + (k**2 / (H**2 * a**4) - 2 / a**2) * X
        assert float(jnp.max(jnp.abs(residual) / terms_size)) < 1e-9, name
    if H == 150.0:  # t = k/(Ha) ≤ 0.17: the super-horizon modes to O(t²)
        assert float(terms["growing"].fn(1.0, jnp.ones(1))) == pytest.approx(1.0 / a_s, rel=0.02)
        assert float(terms["early"].fn(1.0, jnp.ones(1))) == pytest.approx(a_s**2, rel=0.02)


@pytest.mark.parametrize("eta", [1e3, 1e4, 1e5])
def test_freezeout_late_term_and_its_exact_regions(eta):
    """The late term with a constant Y∞ solves Y' = −η Y²/x² to rounding (JAX derivatives); the
    declared regions are where the reference *is* each term to 1e-3, checked here on a grid 5× finer
    than the one that chose them; the late term's exact constant is 1/(1/Y(x_end) + η/x_end)."""
    import jax
    from gluenn.pipeline._constants import exact_constants

    setup = get("freezeout").build(get("freezeout").params({"eta": eta}))
    comp = setup.components["y"]
    late = {t.name: t for t in comp.problem.terms}["frozen"]
    x = jnp.geomspace(8.0, 31.0, 40)
    f = lambda xi: late.fn(xi, jnp.array([2e-4]))  # noqa: E731
    assert float(jnp.max(jnp.abs(jax.vmap(jax.grad(f))(x) + eta * jax.vmap(f)(x) ** 2 / x**2) / (eta * jax.vmap(f)(x) ** 2 / x**2))) < 1e-12
    regions = {k.label: k for k in setup.constants}
    assert "frozen" in regions and regions["frozen"].region[1] == 31.0
    y_end = float(comp.reference.y(31.0))
    xs = np.geomspace(*regions["frozen"].region, 10000)
    assert np.max(np.abs(np.asarray(jax.vmap(lambda xi: late.fn(xi, jnp.array([1 / (1 / y_end + eta / 31)])))(xs))
                         / np.asarray(comp.reference.y(xs)) - 1)) <= 1.01e-3
    (y_inf, _, _), = exact_constants(regions["frozen"], comp.problem, comp.reference, regions["frozen"].grid(scale="log")).values()
    assert y_inf == pytest.approx(1 / (1 / y_end + eta / 31), rel=1e-3)
    if "equilibrium" in regions:  # Y = Y_eq there: the normalisation is the prefactor 0.145
        (c, _, _), = exact_constants(regions["equilibrium"], comp.problem, comp.reference, regions["equilibrium"].grid()).values()
        assert c == pytest.approx(0.145, rel=1e-3)
    assert (eta < 1e4) == ("equilibrium" not in regions)  # weak coupling never tracks Y_eq to 1e-3


def test_darkphoton_reference_and_matching_values():
    setup = get("darkphoton").build(get("darkphoton").params())
    comp = setup.components["y"]
    true = setup.readout({"y": comp.reference})
    assert true["X_end"] == pytest.approx(199.2521, rel=1e-6)  # SPEC §2
    assert true["X_inf"] == pytest.approx(199.41, rel=2e-4)    # SPEC: far-out integration
    central = setup.readout({"y": comp.matching.central})
    assert central["X_end"] == pytest.approx(2 * 20 / 0.1 - (20**2 / 0.1) / 500, rel=1e-10)  # = 392


def test_hh_reference_agrees_with_a_tighter_implicit_solve_and_falls_back_to_it(monkeypatch):
    """The stored HH reference (explicit DOP853) against Radau two decades tighter, over two
    spikes; and when the explicit solve fails (as it would on a stiff field), Radau answers and
    the run says so."""
    from gluenn.systems import hodgkin_huxley as hh
    z0, t = hh.resting_state(), np.arange(0, 2501) * 0.01  # two spikes
    radau = gn.reference.trajectory(hh.hodgkin_huxley(9.909286, np), z0, t, rtol=1e-12, atol=1e-12)
    explicit, solver = hh.reference_run(9.909286, z0, t)
    assert solver == "DOP853"
    assert np.max(np.abs(explicit - radau)[:, 0]) < 1e-5 and np.max(np.abs(explicit - radau)[:, 1:]) < 1e-7
    tried, solve = [], hh.trajectory

    def stiff(*args, method="Radau", **kwargs):
        tried.append(method)
        if method == "DOP853":
            raise gn.ConfigError("max_evaluations is too few")
        return solve(*args, method=method, **kwargs)
    monkeypatch.setattr(hh, "trajectory", stiff)
    monkeypatch.setenv("GLUENN_CACHE", "off")  # solve again, not from the store
    fallback, solver = hh.reference_run(9.909286, z0, t[:1001])
    assert tried == ["DOP853", "Radau"] and solver == "Radau" and np.max(np.abs(fallback - radau[:1001])[:, 0]) < 1e-5


def test_hh_reference_spikes_where_spec_says():
    """SPEC §4: I_ext = 9.909286 from rest: peaks at 2.1479, 17.1236, ..., 90.5379 ms."""
    from gluenn.systems.hodgkin_huxley import hodgkin_huxley, resting_state
    field = hodgkin_huxley(9.909286, np)  # the NumPy form: a JAX call per Radau stage is ~10x slower
    z0 = resting_state()
    assert z0[0] == pytest.approx(-64.9964, abs=1e-3)
    t = np.arange(0, 10001) * 0.01
    z = gn.reference.trajectory(field, z0, t)
    sp = detect_spikes(t, z[:, 0])
    np.testing.assert_allclose(sp.times, [2.1479, 17.1236, 31.8168, 46.4978, 61.1779, 75.8579, 90.5379], atol=2e-3)
