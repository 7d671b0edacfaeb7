"""Test surfaces (SymPy and numpy agree) and the run() driver."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib
from gdlib.surfaces import x, y

SURFACES = [
    gdlib.ravine,
    gdlib.rosenbrock,
    gdlib.beale,
    gdlib.saddle,
    gdlib.quadratic(2, 7),
]
coord = st.floats(-3, 3, allow_nan=False)


@pytest.mark.parametrize("s", SURFACES, ids=lambda s: s.name)
@settings(max_examples=25, deadline=None)
@given(a=coord, b=coord)
def test_numpy_value_and_gradient_equal_the_sympy_expression(s, a, b):
    exact = s.expr.subs({x: sp.Float(a, 30), y: sp.Float(b, 30)})
    assert np.isclose(s.f([a, b]), float(exact), rtol=1e-12, atol=1e-12)
    grad = [float(sp.diff(s.expr, v).subs({x: a, y: b})) for v in (x, y)]
    np.testing.assert_allclose(s.grad([a, b]), grad, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("s", SURFACES, ids=lambda s: s.name)
def test_gradient_matches_finite_differences(s):
    rng = np.random.default_rng(0)
    for _ in range(5):
        theta = rng.uniform(-2, 2, 2)
        np.testing.assert_allclose(
            s.grad(theta), gdlib.numerical_gradient(s.f, theta), rtol=1e-6, atol=1e-5
        )


def test_known_minima():
    # Beale: f(3, 1/2) = 0 exactly, gradient 0 (textbook values).
    assert gdlib.beale.expr.subs({x: 3, y: sp.Rational(1, 2)}) == 0
    np.testing.assert_array_equal(gdlib.beale.minimum, [3.0, 0.5])
    assert gdlib.rosenbrock.expr.subs({x: 1, y: 1}) == 0
    assert gdlib.rosenbrock.f_min == 0.0 and gdlib.beale.f_min == 0.0
    assert [sp.diff(gdlib.saddle.expr, v).subs({x: 0, y: 0}) for v in (x, y)] == [0, 0]
    assert gdlib.saddle.minimum is None and gdlib.saddle.f_min is None
    # The saddle's Hessian has eigenvalues of both signs.
    assert sorted(np.linalg.eigvalsh(gdlib.saddle.hessian([0, 0]))) == [-2.0, 2.0]


def test_quadratic_lipschitz_constant_is_the_largest_curvature():
    q = gdlib.quadratic(3, 0.5)
    assert q.L == 3.0
    assert np.allclose(np.linalg.eigvalsh(q.hessian([1.0, 1.0])), [0.5, 3.0])
    assert gdlib.ravine.L == 50.0


def test_grid_for_contours():
    X, Y, Z = gdlib.beale.grid(50)
    assert X.shape == Y.shape == Z.shape == (50, 50)
    assert np.isclose(Z[0, 0], gdlib.beale.f([X[0, 0], Y[0, 0]]))


def test_grad_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="shape"):
        gdlib.beale.grad([1.0, 2.0, 3.0])


@pytest.mark.parametrize("s", SURFACES, ids=lambda s: s.name)
def test_value_gradient_and_hessian_reject_a_third_coordinate(s):
    # rosenbrock.hessian([1, 1, 5]) used to drop the 5 silently
    for method in (s.f, s.grad, s.hessian):
        with pytest.raises(ValueError, match=r"theta must have shape \(2,\)"):
            method([1.0, 1.0, 5.0])
        with pytest.raises(ValueError, match="theta"):
            method([1.0])


def test_hessian_by_hand():
    # Rosenbrock: f_xx = 2 − 400 y + 1200 x², f_xy = −400 x, f_yy = 200; at (−1, 2): 2 − 800 + 1200 = 402, 400.
    np.testing.assert_array_equal(
        gdlib.rosenbrock.hessian([-1.0, 2.0]), [[402.0, 400.0], [400.0, 200.0]]
    )
    np.testing.assert_array_equal(
        gdlib.quadratic(3, 0.5).hessian([7.0, -2.0]), [[3.0, 0.0], [0.0, 0.5]]
    )


def test_quadratic_and_grid_check_their_arguments():
    for a, b in [(0, 1), (1, -2), (float("nan"), 1), (1, float("inf"))]:
        with pytest.raises(ValueError, match=r"\b[ab] must"):
            gdlib.quadratic(a, b)
    with pytest.raises(ValueError, match=r"\bn must"):
        gdlib.beale.grid(1)
    with pytest.raises(ValueError, match=r"\bxlim must"):
        gdlib.beale.grid(10, xlim=(2.0, -2.0))


# --- the driver -------------------------------------------------------------------


def test_run_records_the_trajectory_and_losses():
    res = gdlib.run(gdlib.GD(eta=0.1), gdlib.quadratic(1, 1), [1.0, 2.0], steps=3)
    # θ_k = 0.9^k θ0 for f = (x² + y²)/2 and η = 0.1
    expected = np.array([[1.0, 2.0]]) * (0.9 ** np.arange(4))[:, None]
    np.testing.assert_allclose(res.thetas, expected, rtol=1e-15)
    np.testing.assert_allclose(res.losses, 0.5 * (expected**2).sum(axis=1), rtol=1e-15)
    assert res.status == "max_steps" and res.steps == 3
    np.testing.assert_allclose(res.theta, expected[-1])


def test_run_does_not_modify_theta0_and_resets_the_optimizer():
    theta0 = np.array([1.0, 2.0])
    opt = gdlib.Momentum(eta=0.1)
    a = gdlib.run(opt, gdlib.ravine, theta0, steps=20)
    b = gdlib.run(opt, gdlib.ravine, theta0, steps=20)
    np.testing.assert_array_equal(theta0, [1.0, 2.0])
    np.testing.assert_array_equal(a.thetas, b.thetas)


def test_run_stops_at_tolerance():
    res = gdlib.run(
        gdlib.GD(eta=0.5), gdlib.quadratic(1, 1), [1.0, 0.0], steps=100, tol=1e-3
    )
    # θ_k = 0.5^k: the gradient norm 0.5^k ≤ 1e-3 first at k = 10
    assert res.status == "converged" and res.steps == 10
    assert "after 10 steps" in res.message


def test_divergence_stops_with_a_message_and_no_silent_nan():
    # On f = (x² + 50y²)/2, η = 0.1 > 2/L = 0.04: |1 − 0.1·50| = 4, the y-coordinate grows 4× per step.
    res = gdlib.run(gdlib.GD(eta=0.1), gdlib.ravine, [1.0, 1.0], steps=10_000)
    assert res.status == "diverged" and res.diverged
    assert (
        "diverged" in res.message
        and "eta=0.1" in res.message
        and "smaller learning rate" in res.message
    )
    assert np.all(np.isfinite(res.losses[:-1]))
    assert res.steps < 10_000


def test_steps_to_and_distance():
    res = gdlib.run(gdlib.GD(eta=0.5), gdlib.quadratic(1, 1), [1.0, 0.0], steps=20)
    # loss_k = 0.5 · 0.25^k ≤ 1e-4 first at k = 7 (0.5·0.25^6 = 1.2e-4, 0.5·0.25^7 = 3.05e-5)
    assert res.steps_to(1e-4) == 7
    assert res.steps_to(1e-300) is None
    np.testing.assert_allclose(res.distance_to([0, 0])[:3], [1.0, 0.5, 0.25])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"steps": -1}, "steps must be an integer >= 0"),
        ({"steps": 2.5}, "steps must be an integer >= 0"),
        ({"tol": -1.0}, "tol must be >= 0"),
        ({"theta0": [np.nan, 0.0]}, "theta0 must be finite"),
    ],
)
def test_run_rejects_bad_arguments(kwargs, words):
    args = {"theta0": [1.0, 1.0], "steps": 5} | kwargs
    with pytest.raises(ValueError, match=words):
        gdlib.run(gdlib.GD(), gdlib.ravine, **args)


def test_run_with_a_plain_function_needs_a_gradient():
    with pytest.raises(ValueError, match="grad is required"):
        gdlib.run(gdlib.GD(), lambda th: float(th @ th), [1.0], steps=1)
    res = gdlib.run(
        gdlib.GD(eta=0.25),
        lambda th: float(th @ th),
        [1.0],
        steps=1,
        grad=lambda th: 2 * th,
    )
    np.testing.assert_allclose(res.theta, [0.5])
