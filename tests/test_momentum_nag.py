"""Momentum and Nesterov accelerated gradient (gdlib.Momentum, gdlib.NAG).

Expected values come from SymPy (exact rational arithmetic) or from independent numpy
transcriptions of the update rules written here, never from gdlib's own output.
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gdlib import GD, NAG, Momentum

CLASSES = [Momentum, NAG]
IDS = ["Momentum", "NAG"]
A = np.array([1.0, 50.0])  # J = (x^2 + 50 y^2) / 2, the book's ravine


def quad_grad(theta):
    return A * theta


# --- independent transcriptions ----------------------------------------------------------


def momentum_numpy(theta0, grad, eta, gamma, steps):
    theta, v = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta.copy()]
    for _ in range(steps):
        v = gamma * v + eta * grad(theta)
        theta = theta - v
        path.append(theta.copy())
    return np.array(path)


def nag_lookahead_numpy(theta0, grad, eta, gamma, steps):
    """v_t = γ v_{t-1} + η ∇J(θ_{t-1} − γ v_{t-1});  θ_t = θ_{t-1} − v_t."""
    theta, v = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta.copy()]
    for _ in range(steps):
        v = gamma * v + eta * grad(theta - gamma * v)
        theta = theta - v
        path.append(theta.copy())
    return np.array(path)


def nag_framework_numpy(theta0, grad, eta, gamma, steps):
    """The stored-point form: φ_t = φ_{t-1} − γ v_t − η ∇J(φ_{t-1}); returns the φ's."""
    phi, v = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [phi.copy()]
    for _ in range(steps):
        g = grad(phi)
        v = gamma * v + eta * g
        phi = phi - gamma * v - eta * g
        path.append(phi.copy())
    return np.array(path)


def run_gdlib(opt, theta0, grad, steps):
    theta = np.array(theta0, dtype=float)
    path, vs = [theta.copy()], [np.zeros_like(theta)]
    for _ in range(steps):
        opt.step(theta, grad)
        path.append(theta.copy())
        vs.append(opt.v.copy())
    return np.array(path), np.array(vs)


# --- first steps against SymPy -------------------------------------------------------------


def sympy_steps(lookahead, eta, gamma, theta0, steps=3):
    """Exact iterates on the ravine with rational η, γ, θ0."""
    theta, v = sp.Matrix(theta0), sp.zeros(2, 1)
    diag = sp.diag(1, 50)
    out = []
    for _ in range(steps):
        point = theta - gamma * v if lookahead else theta
        v = gamma * v + eta * diag * point
        theta = theta - v
        out.append(
            (np.array(theta, dtype=float).ravel(), np.array(v, dtype=float).ravel())
        )
    return out


@pytest.mark.parametrize("cls, lookahead", [(Momentum, False), (NAG, True)], ids=IDS)
@pytest.mark.parametrize(
    "eta, gamma",
    [
        (sp.Rational(1, 50), sp.Rational(9, 10)),
        (sp.Rational(1, 100), sp.Rational(1, 2)),
        (sp.Rational(3, 100), sp.Rational(0)),
    ],
)
def test_first_three_steps_match_sympy(cls, lookahead, eta, gamma):
    expected = sympy_steps(lookahead, eta, gamma, [-9, 2])
    opt = cls(eta=float(eta), gamma=float(gamma))
    theta = np.array([-9.0, 2.0])
    for theta_exact, v_exact in expected:
        opt.step(theta, quad_grad)
        np.testing.assert_allclose(theta, theta_exact, rtol=0, atol=1e-12)
        np.testing.assert_allclose(opt.v, v_exact, rtol=0, atol=1e-12)


def test_first_steps_by_hand():
    # Momentum, eta = 0.1, gamma = 0.5, J = θ²/2 from θ0 = 1:
    # v1 = 0.1, θ1 = 0.9;  v2 = 0.05 + 0.09 = 0.14, θ2 = 0.76
    opt = Momentum(eta=0.1, gamma=0.5)
    theta = np.array([1.0])
    opt.step(theta, lambda th: th)
    assert theta[0] == pytest.approx(0.9, abs=1e-15) and opt.v[0] == pytest.approx(
        0.1, abs=1e-15
    )
    opt.step(theta, lambda th: th)
    assert theta[0] == pytest.approx(0.76, abs=1e-15) and opt.v[0] == pytest.approx(
        0.14, abs=1e-15
    )
    # NAG, same setting: step 1 equals momentum's (v0 = 0); step 2 looks ahead to 0.9 − 0.05 = 0.85:
    # v2 = 0.05 + 0.085 = 0.135, θ2 = 0.765
    opt = NAG(eta=0.1, gamma=0.5)
    theta = np.array([1.0])
    opt.step(theta, lambda th: th)
    assert theta[0] == pytest.approx(0.9, abs=1e-15)
    opt.step(theta, lambda th: th)
    assert theta[0] == pytest.approx(0.765, abs=1e-15) and opt.v[0] == pytest.approx(
        0.135, abs=1e-15
    )


def test_momentum_terminal_velocity_is_eta_g_over_one_minus_gamma():
    opt, theta, g = Momentum(eta=0.01, gamma=0.9), np.zeros(2), np.array([1.0, -3.0])
    for _ in range(400):
        opt.step(theta, lambda th: g)
    np.testing.assert_allclose(opt.v, 0.01 * g / (1 - 0.9), rtol=1e-12)


# --- hyperparameter checks ---------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize("eta", [0.0, -0.01, -1.0, math.nan, math.inf, -math.inf])
def test_bad_eta_raises_naming_eta(cls, eta):
    with pytest.raises(ValueError, match="eta"):
        cls(eta=eta)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize("gamma", [-0.1, -1e-12, 1.0, 1.5, math.nan, math.inf])
def test_bad_gamma_raises_naming_gamma(cls, gamma):
    with pytest.raises(ValueError, match="gamma"):
        cls(gamma=gamma)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_bad_hyperparameters_set_later_also_raise(cls):
    opt = cls()
    with pytest.raises(ValueError, match="eta"):
        opt.eta = -0.5
    with pytest.raises(ValueError, match="gamma"):
        opt.gamma = 1.0
    assert (opt.eta, opt.gamma) == (0.01, 0.9)  # defaults untouched by the failed sets


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_edge_values_are_accepted(cls):
    opt = cls(eta=1e-12, gamma=0.0)
    assert opt.gamma == 0.0
    cls(eta=5.0, gamma=0.999999)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_defaults(cls):
    opt = cls()
    assert (opt.eta, opt.gamma) == (0.01, 0.9)


# --- state, shapes, inputs ---------------------------------------------------------------


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_reset_restores_initial_behaviour(cls):
    opt = cls(eta=0.02, gamma=0.9)
    first, _ = run_gdlib(opt, [-9.0, 2.0], quad_grad, 25)
    assert opt.t == 25 and np.any(opt.v != 0)
    opt.reset()
    assert opt.t == 0 and opt.v is None
    second, _ = run_gdlib(opt, [-9.0, 2.0], quad_grad, 25)
    np.testing.assert_array_equal(first, second)
    fresh, _ = run_gdlib(cls(eta=0.02, gamma=0.9), [-9.0, 2.0], quad_grad, 25)
    np.testing.assert_array_equal(first, fresh)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize(
    "bad",
    [lambda th: np.zeros(3), lambda th: np.zeros((2, 1)), lambda th: np.float64(1.0)],
    ids=["too-long", "column", "scalar"],
)
def test_gradient_shape_mismatch_raises(cls, bad):
    with pytest.raises(ValueError, match="shape"):
        cls().step(np.array([1.0, 2.0]), bad)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
@pytest.mark.parametrize("theta0", [[math.nan, 1.0], [1.0, math.inf], [-math.inf, 0.0]])
def test_non_finite_theta0_raises(cls, theta0):
    with pytest.raises(ValueError, match="finite"):
        cls().step(np.array(theta0), quad_grad)


# --- agreement with transcriptions ---------------------------------------------------------


@pytest.mark.parametrize(
    "grad, start",
    [
        (quad_grad, [-9.0, 2.0]),
        (
            lambda th: np.array(
                [
                    -2 * (1 - th[0]) - 400 * th[0] * (th[1] - th[0] ** 2),
                    200 * (th[1] - th[0] ** 2),
                ]
            ),
            [-1.5, 2.0],
        ),
    ],
    ids=["ravine", "rosenbrock"],
)
def test_100_steps_match_numpy_transcriptions(grad, start):
    eta = 0.02 if grad is quad_grad else 2e-4
    path, _ = run_gdlib(Momentum(eta=eta, gamma=0.9), start, grad, 100)
    np.testing.assert_allclose(
        path, momentum_numpy(start, grad, eta, 0.9, 100), rtol=0, atol=1e-12
    )
    path, vs = run_gdlib(NAG(eta=eta, gamma=0.9), start, grad, 100)
    np.testing.assert_allclose(
        path, nag_lookahead_numpy(start, grad, eta, 0.9, 100), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        path - 0.9 * vs,
        nag_framework_numpy(start, grad, eta, 0.9, 100),
        rtol=0,
        atol=1e-12,
    )


# --- properties ----------------------------------------------------------------------------

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
etas = st.floats(1e-6, 10.0)
gammas = st.floats(0.0, 0.999)


@settings(max_examples=60, deadline=None)
@given(
    cls=st.sampled_from(CLASSES),
    theta0=arrays(np.float64, st.integers(1, 6), elements=finite),
    eta=etas,
    gamma=gammas,
    steps=st.integers(1, 20),
)
def test_zero_gradient_from_zero_state_never_moves(cls, theta0, eta, gamma, steps):
    opt, theta = cls(eta=eta, gamma=gamma), theta0.copy()
    for _ in range(steps):
        opt.step(theta, np.zeros_like)
    np.testing.assert_array_equal(theta, theta0)
    np.testing.assert_array_equal(opt.v, np.zeros_like(theta0))


@st.composite
def quadratic_problems(draw):
    """A random SPD quadratic J = θᵀHθ/2 − bᵀθ, a start, and a stable (η, γ) for NAG."""
    d = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    lam = rng.uniform(0.1, 10.0, d)
    H = (q * lam) @ q.T
    b = rng.standard_normal(d)
    theta0 = rng.uniform(-5, 5, d)
    eta = draw(st.floats(0.01, 1.0)) / lam.max()  # eta * lambda_max <= 1 < NAG's limit
    gamma = draw(st.floats(0.0, 0.99))
    return H, b, theta0, eta, gamma


@settings(max_examples=60, deadline=None)
@given(problem=quadratic_problems())
def test_nag_lookahead_and_framework_forms_agree_on_random_quadratics(problem):
    H, b, theta0, eta, gamma = problem
    grad = lambda th: H @ th - b
    steps = 60
    theta_la = nag_lookahead_numpy(theta0, grad, eta, gamma, steps)
    phi_fw = nag_framework_numpy(theta0, grad, eta, gamma, steps)
    path, vs = run_gdlib(NAG(eta=eta, gamma=gamma), theta0, grad, steps)
    # velocities of the look-ahead form, recovered from its iterates: v_t = θ_{t-1} − θ_t
    v_la = np.vstack([np.zeros((1, len(theta0))), theta_la[:-1] - theta_la[1:]])
    scale = 1.0 + np.max(np.abs(theta_la))
    np.testing.assert_allclose(
        theta_la - gamma * v_la, phi_fw, rtol=0, atol=1e-10 * scale
    )
    np.testing.assert_allclose(path, theta_la, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(path - gamma * vs, phi_fw, rtol=0, atol=1e-10 * scale)


@settings(max_examples=60, deadline=None)
@given(problem=quadratic_problems())
def test_momentum_with_gamma_zero_is_gd(problem):
    H, b, theta0, eta, _ = problem
    grad = lambda th: H @ th - b
    a, _ = run_gdlib(Momentum(eta=eta, gamma=0.0), theta0, grad, 30)
    b_, _ = run_gdlib(NAG(eta=eta, gamma=0.0), theta0, grad, 30)
    gd = GD(eta=eta)
    theta, c = theta0.copy(), [theta0.copy()]
    for _ in range(30):
        gd.step(theta, grad)
        c.append(theta.copy())
    np.testing.assert_array_equal(a, np.array(c))  # the same floating-point operations
    np.testing.assert_array_equal(b_, np.array(c))


@settings(max_examples=40, deadline=None)
@given(problem=quadratic_problems())
def test_momentum_matches_numpy_on_random_quadratics(problem):
    H, b, theta0, eta, gamma = problem
    grad = lambda th: H @ th - b
    path, _ = run_gdlib(Momentum(eta=eta, gamma=gamma), theta0, grad, 100)
    ref = momentum_numpy(theta0, grad, eta, gamma, 100)
    np.testing.assert_allclose(
        path, ref, rtol=0, atol=1e-12 * (1.0 + np.max(np.abs(ref)))
    )


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_large_parameter_vectors_match_numpy(cls):
    """θ with more coordinates than one update chunk: same iterates as the transcription."""
    rng = np.random.default_rng(0)
    n = 3 * (1 << 14) + 5
    h = rng.uniform(0.1, 10.0, n)
    theta0 = rng.standard_normal(n)
    grad = lambda th: h * th
    eta, gamma = 0.05, 0.9
    path, _ = run_gdlib(cls(eta=eta, gamma=gamma), theta0, grad, 20)
    ref = (momentum_numpy if cls is Momentum else nag_lookahead_numpy)(
        theta0, grad, eta, gamma, 20
    )
    np.testing.assert_allclose(path, ref, rtol=0, atol=1e-12)
