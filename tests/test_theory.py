"""gdlib.theory and the rotated quadratics, checked against brute force and exact algebra."""

import numpy as np
import pytest
import sympy as sp

import gdlib
from gdlib import theory


def test_momentum_matrix_reproduces_the_iterates():
    eta, gamma, lam = 0.03, 0.8, 7.0
    theta, v = 1.3, 0.0
    state = np.array([theta, v])
    M = theory.momentum_matrix(eta, gamma, lam)
    opt = gdlib.Momentum(eta=eta, gamma=gamma)
    th = np.array([theta])
    for _ in range(20):
        opt.step(th, lambda x: lam * x)
        state = M @ state
        assert abs(th[0] - state[0]) < 1e-12 and abs(opt.v[0] - state[1]) < 1e-12


def test_nag_matrix_reproduces_the_iterates():
    eta, gamma, lam = 0.03, 0.8, 7.0
    state = np.array([1.3, 0.0])
    M = theory.nag_matrix(eta, gamma, lam)
    opt = gdlib.NAG(eta=eta, gamma=gamma)
    th = np.array([1.3])
    for _ in range(20):
        opt.step(th, lambda x: lam * x)
        state = M @ state
        assert abs(th[0] - state[0]) < 1e-12


def test_complex_roots_have_modulus_sqrt_gamma():
    # eta*lam = 1 and gamma = 0.5: discriminant (1 + g - 1)^2 - 4g < 0
    assert theory.rate(theory.momentum_matrix(0.02, 0.5, 50.0)) == pytest.approx(
        np.sqrt(0.5)
    )


def test_tuned_rates_beat_every_point_of_a_grid():
    mu, L = 1.0, 50.0
    lams = np.linspace(mu, L, 25)
    eta_gd, r_gd = theory.gd_optimal(mu, L)
    assert r_gd == pytest.approx(49 / 51)
    grid_gd = min(np.max(np.abs(1 - e * lams)) for e in np.linspace(1e-3, 2 / L, 400))
    assert r_gd <= grid_gd + 1e-12
    eta_hb, gamma_hb, r_hb = theory.momentum_optimal(mu, L)
    assert theory.rate_over(
        theory.momentum_matrix, eta_hb, gamma_hb, lams
    ) == pytest.approx(r_hb, rel=1e-6)
    best_grid = min(
        theory.rate_over(theory.momentum_matrix, e, g, [mu, L])
        for e in np.linspace(0.005, 0.12, 40)
        for g in np.linspace(0.0, 0.95, 40)
    )
    assert r_hb <= best_grid + 1e-9
    assert r_hb < r_gd


@pytest.mark.parametrize(
    "call",
    [
        lambda: theory.momentum_matrix(0.0, 0.5, 1.0),
        lambda: theory.momentum_matrix(0.1, 1.0, 1.0),
        lambda: theory.nag_matrix(0.1, -0.1, 1.0),
        lambda: theory.momentum_matrix(0.1, 0.5, float("nan")),
        lambda: theory.gd_optimal(2.0, 1.0),
        lambda: theory.momentum_optimal(0.0, 1.0),
        lambda: theory.rate(np.ones((2, 3))),
        lambda: theory.rate_over(theory.momentum_matrix, 0.1, 0.5, []),
    ],
)
def test_bad_input_is_refused(call):
    with pytest.raises(ValueError):
        call()


def test_rotated_ravine_has_the_ravine_curvatures_on_the_diagonals():
    H = sp.hessian(gdlib.rotated_ravine.expr, (gdlib.surfaces.x, gdlib.surfaces.y))
    assert sorted(H.eigenvals()) == [1, 50]
    assert H * sp.Matrix([1, 1]) == sp.Matrix([1, 1])
    assert H * sp.Matrix([1, -1]) == 50 * sp.Matrix([1, -1])
    assert gdlib.rotated_ravine.L == 50.0


def test_a_rotated_quadratic_is_the_same_function_in_rotated_coordinates():
    q, r = gdlib.quadratic(2, 9), gdlib.quadratic(2, 9, angle=0.7)
    c, s = np.cos(0.7), np.sin(0.7)
    rng = np.random.default_rng(0)
    for p in rng.standard_normal((5, 2)):
        rotated = np.array([c * p[0] - s * p[1], s * p[0] + c * p[1]])
        assert r.f(rotated) == pytest.approx(q.f(p), rel=1e-12)


@pytest.mark.parametrize("angle", [float("nan"), float("inf"), "0.3", sp.oo])
def test_a_bad_angle_is_refused(angle):
    with pytest.raises(ValueError, match="angle"):
        gdlib.quadratic(1, 2, angle=angle)
