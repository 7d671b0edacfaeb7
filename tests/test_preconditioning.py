"""gdlib.Newton and gdlib.Preconditioned: hand-computed steps, the invariances the
preconditioning chapter relies on, bad input named, and all-or-nothing steps.

Neither class is in gdlib.OPTIMIZERS: Newton needs a Hessian and Preconditioned a
preconditioner sized for θ, so neither can be built with defaults as the generic tests of
tests/test_interface.py and tests/test_reliability_step.py require. The contract those
tests check is checked here instead.
"""

import numpy as np
import pytest

import gdlib
from gdlib import Newton, Preconditioned


def quartic_grad(th):
    return th**3  # J = θ⁴/4


def quartic_hess(th):
    return np.diag(3 * th**2)


# --- Newton -----------------------------------------------------------------------------


def test_newton_hand_computed_steps_on_a_quartic():
    # θ − θ³/(3θ²) = 2θ/3: from 3 the iterates are 2, 4/3, 8/9
    opt, theta = Newton(hessian=quartic_hess), np.array([3.0])
    for expected in (2.0, 4 / 3, 8 / 9):
        opt.step(theta, quartic_grad)
        assert theta[0] == pytest.approx(expected, rel=1e-15)
    assert opt.t == 3


def test_newton_reaches_the_minimum_of_any_quadratic_in_one_step():
    # J = ½ θᵀAθ − bᵀθ with a hand-chosen SPD A: the minimizer solves A θ = b.
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([1.0, 2.0])
    expected = np.array([1 / 11, 7 / 11])  # Cramer's rule: det 11
    for start in ([5.0, -7.0], [0.0, 0.0], [-1e3, 2e3]):
        theta = np.array(start)
        Newton(hessian=lambda th: A).step(theta, lambda th: A @ th - b)
        np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-12)
    theta = np.array([-6.0, 4.0])  # and the rotated ravine, from its Surface Hessian
    Newton(hessian=gdlib.rotated_ravine.hessian).step(theta, gdlib.rotated_ravine.grad)
    np.testing.assert_allclose(theta, [0.0, 0.0], atol=1e-13)


def test_newton_eta_and_damping():
    # J = λθ²/2 with λ = 4: the step is θ − η λθ/(λ + λ_damp)
    grad, hess = (lambda th: 4 * th), (lambda th: np.array([[4.0]]))
    theta = np.array([2.0])
    Newton(eta=0.5, hessian=hess).step(theta, grad)
    assert theta[0] == pytest.approx(1.0, rel=1e-15)
    theta = np.array([2.0])
    Newton(hessian=hess, damping=4.0).step(theta, grad)
    assert theta[0] == pytest.approx(1.0, rel=1e-15)  # 2 − 8/8


def test_newton_converges_quadratically_on_rosenbrock():
    r = gdlib.rosenbrock
    res = gdlib.run(Newton(hessian=r.hessian), r, [1.2, 1.2], steps=6)
    err = res.distance_to([1.0, 1.0])
    assert err[-1] < 1e-14
    k = next(i for i in range(1, 6) if err[i + 1] < 1e-10)
    ratios = [err[i + 1] / err[i] ** 2 for i in range(1, k + 1)]
    assert max(ratios) < 10  # e_{t+1} ≤ C e_t², not merely e_{t+1} ≤ r e_t


def test_newton_is_affine_invariant_and_gd_is_not():
    # θ = Aφ + b: J̃(φ) = J(Aφ + b) has ∇J̃ = Aᵀ g and ∇²J̃ = Aᵀ H A.
    r = gdlib.rosenbrock
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    b = np.array([0.3, -0.2])
    theta0 = np.array([1.3, 1.5])
    phi0 = np.linalg.solve(A, theta0 - b)

    def g_phi(phi):
        return A.T @ r.grad(A @ phi + b)

    def h_phi(phi):
        return A.T @ r.hessian(A @ phi + b) @ A

    th, ph = theta0.copy(), phi0.copy()
    newton_t, newton_p = Newton(hessian=r.hessian), Newton(hessian=h_phi)
    for _ in range(4):
        newton_t.step(th, r.grad)
        newton_p.step(ph, g_phi)
        np.testing.assert_allclose(A @ ph + b, th, rtol=1e-10, atol=1e-12)
    th, ph = theta0.copy(), phi0.copy()
    gd_t, gd_p = gdlib.GD(eta=1e-3), gdlib.GD(eta=1e-3)
    gd_t.step(th, r.grad)
    gd_p.step(ph, g_phi)
    assert np.linalg.norm(A @ ph + b - th) > 1e-3


def test_newton_matrix_shaped_theta_and_float32():
    theta = np.arange(1.0, 7.0).reshape(2, 3)
    scale = np.arange(1.0, 7.0)
    Newton(hessian=lambda th: np.diag(scale)).step(
        theta, lambda th: scale.reshape(2, 3) * th
    )
    np.testing.assert_allclose(theta, 0.0, atol=1e-15)
    theta = np.array([1.0, -2.0], dtype=np.float32)
    out = Newton(hessian=lambda th: np.eye(2)).step(theta, lambda th: th)
    assert out.dtype == np.float32 and np.all(out == 0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({}, "hessian must be a callable"),
        ({"hessian": np.eye(2)}, "hessian must be a callable"),
        ({"hessian": np.eye, "eta": 0.0}, r"eta must be in \(0, inf\)"),
        ({"hessian": np.eye, "damping": -1.0}, r"damping must be in \[0, inf\)"),
        ({"hessian": np.eye, "damping": np.nan}, "damping"),
    ],
)
def test_newton_bad_arguments_are_named(kwargs, words):
    with pytest.raises(ValueError, match=words):
        Newton(**kwargs)


@pytest.mark.parametrize(
    "hessian, words",
    [
        (lambda th: np.eye(3), r"2 x 2 matrix.*shape \(3, 3\)"),
        (lambda th: np.full((2, 2), np.nan), "NaN or inf"),
        (lambda th: np.zeros((2, 2)), "singular"),
        (lambda th: np.array([["a", "b"], ["c", "d"]]), "real 2 x 2"),
    ],
    ids=["shape", "nan", "singular", "strings"],
)
@pytest.mark.parametrize("steps_before", [0, 2])
def test_newton_bad_hessian_changes_nothing(hessian, words, steps_before):
    good = Newton(eta=0.5, hessian=lambda th: np.eye(2))
    theta = np.array([1.0, -2.0])
    for _ in range(steps_before):
        good.step(theta, lambda th: th)
    before = theta.copy()
    good.hessian = hessian
    with pytest.raises(ValueError, match=words):
        good.step(theta, lambda th: th)
    assert good.t == steps_before
    np.testing.assert_array_equal(theta, before)
    good.hessian = lambda th: np.eye(2)
    good.step(theta, lambda th: th)  # and it still works
    np.testing.assert_allclose(theta, before / 2)


def test_newton_with_damping_steps_where_the_hessian_is_singular():
    theta = np.array([2.0, 2.0])
    Newton(hessian=lambda th: np.diag([0.0, 1.0]), damping=1.0).step(
        theta, lambda th: np.array([1.0, th[1]])
    )
    np.testing.assert_allclose(theta, [1.0, 1.0], rtol=1e-15)


def test_newton_gradient_errors_are_all_or_nothing_too():
    opt = Newton(hessian=lambda th: np.eye(2))
    theta = np.array([1.0, 2.0])
    with pytest.raises(gdlib.NonFiniteError):
        opt.step(theta, lambda th: np.array([np.nan, 1.0]))
    assert opt.t == 0 and list(theta) == [1.0, 2.0]


def test_newton_repr_and_docstring():
    opt = Newton(eta=0.5, hessian=np.eye, damping=0.1)
    assert repr(opt) == "Newton(eta=0.5, damping=0.1)"
    assert ".. math::" in Newton.__doc__ and "2006" in Newton.__doc__
    assert "2004" in Newton.__doc__  # affine invariance: Boyd & Vandenberghe


# --- Preconditioned ---------------------------------------------------------------------


def test_preconditioned_with_the_identity_is_gradient_descent():
    a = gdlib.run(Preconditioned(0.01, np.eye(2)), gdlib.rosenbrock, [-1.5, 2.0], 50)
    b = gdlib.run(gdlib.GD(0.01), gdlib.rosenbrock, [-1.5, 2.0], 50)
    np.testing.assert_array_equal(a.thetas, b.thetas)


def test_preconditioned_hand_computed_steps():
    # ravine gradient (θ1, 50 θ2); P = diag(1, 1/50), η = 0.5: both coordinates halve
    opt, theta = Preconditioned(0.5, [1.0, 0.02]), np.array([-8.0, 2.0])
    opt.step(theta, gdlib.ravine.grad)
    np.testing.assert_allclose(theta, [-4.0, 1.0], rtol=1e-15)
    P = np.array([[2.0, 1.0], [1.0, 2.0]])  # η P g with g = (1, 0): (2, 1) η
    theta = np.array([0.0, 0.0])
    Preconditioned(0.1, P).step(theta, lambda th: np.array([1.0, 0.0]))
    np.testing.assert_allclose(theta, [-0.2, -0.1], rtol=1e-15)


def test_a_vector_p_is_the_diagonal_matrix():
    d = np.array([1.0, 0.02])
    a = gdlib.run(Preconditioned(0.3, d), gdlib.rotated_ravine, [-6.0, 4.0], 30)
    b = gdlib.run(
        Preconditioned(0.3, np.diag(d)), gdlib.rotated_ravine, [-6.0, 4.0], 30
    )
    np.testing.assert_allclose(a.thetas, b.thetas, rtol=1e-13, atol=1e-13)


def test_inverse_hessian_preconditioner_is_newton_on_a_quadratic():
    r = gdlib.rotated_ravine
    Hinv = np.linalg.inv(r.hessian(np.zeros(2)))
    theta = np.array([-6.0, 4.0])
    Preconditioned(1.0, Hinv).step(theta, r.grad)
    np.testing.assert_allclose(theta, 0.0, atol=1e-13)


def test_jacobi_preconditioner_conditions_the_axis_aligned_ravine_only():
    # P^{1/2} H P^{1/2} with P = diag(H)^{-1}: κ 50 → 1 on the ravine, 50 → 50 rotated
    for surface, kappa in ((gdlib.ravine, 1.0), (gdlib.rotated_ravine, 50.0)):
        H = surface.hessian(np.zeros(2))
        s = 1 / np.sqrt(np.diag(H))
        lam = np.linalg.eigvalsh(s[:, None] * H * s[None, :])
        assert lam.max() / lam.min() == pytest.approx(kappa, rel=1e-12)


@pytest.mark.parametrize(
    "P, words",
    [
        (None, "P must be"),
        (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
        (np.array([[1.0, 0.0], [0.0, -1.0]]), "positive definite"),
        (np.ones((2, 3)), "square"),
        ([1.0, 0.0], "> 0"),
        ([1.0, np.inf], "finite"),
        ([[np.nan, 0], [0, 1]], "finite"),
        ("abc", "P"),
    ],
)
def test_preconditioned_bad_p_is_named(P, words):
    with pytest.raises(ValueError, match=words):
        Preconditioned(0.1, P)


def test_preconditioned_p_of_the_wrong_size_changes_nothing():
    opt = Preconditioned(0.1, np.eye(3))
    theta = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match="P is for 3 coordinates, but theta has 2"):
        opt.step(theta, lambda th: th)
    assert opt.t == 0 and list(theta) == [1.0, 2.0]
    with pytest.raises(ValueError, match="P"):
        opt.P = [[1.0, 2.0], [2.0, 1.0]]  # indefinite: refused when set later, too
    opt.P = [1.0, 1.0]
    opt.step(theta, lambda th: th)
    np.testing.assert_allclose(theta, [0.9, 1.8])


def test_preconditioned_eta_is_checked_and_repr():
    with pytest.raises(ValueError, match=r"eta must be in \(0, inf\)"):
        Preconditioned(-1.0, np.eye(2))
    assert (
        repr(Preconditioned(0.5, [1.0, 2.0]))
        == "Preconditioned(eta=0.5, P=diag of size 2)"
    )
    assert ".. math::" in Preconditioned.__doc__ and "2006" in Preconditioned.__doc__
