"""Shampoo, SOAP, Muon and Adafactor (gdlib.optimizers.matrix) against independent references.

Expected values are computed here, never by gdlib: singular value decompositions, scipy's
Schur-based fractional matrix powers, hand transcriptions of the papers' equations in numpy.
The second half runs the generic contract (tests/test_interface.py, test_reliability_step.py)
on *matrix* parameters: the generic tests use a 1-D θ, which only reaches the vector rule.
"""

import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gdlib
from gdlib import NonFiniteError
from gdlib.optimizers.matrix import NS_COEFFS

MATRIX = [gdlib.Shampoo, gdlib.SOAP, gdlib.Muon, gdlib.Adafactor]
rng = np.random.default_rng(0)


def ns_scalar(s, steps=5):
    """Jordan's quintic, applied to numbers (the singular values)."""
    a, b, c = NS_COEFFS
    for _ in range(steps):
        s = a * s + b * s**3 + c * s**5
    return s


# --- Newton–Schulz ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 6), (7, 3), (5, 5)])
def test_newton_schulz_maps_singular_values_by_the_polynomial(shape):
    X = np.random.default_rng(1).standard_normal(shape)
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    expected = U @ np.diag(ns_scalar(S / np.linalg.norm(X))) @ Vt
    np.testing.assert_allclose(gdlib.newton_schulz(X, eps=0.0), expected, atol=1e-12)


def test_newton_schulz_is_close_to_the_polar_factor():
    """With σ_i/‖X‖_F ≥ 2e-3 the 5 steps land every singular value in [0.68, 1.21]."""
    X = np.random.default_rng(2).standard_normal((20, 30))
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    assert S.min() / np.linalg.norm(X) > 2e-3
    s = np.linalg.svd(gdlib.newton_schulz(X), compute_uv=False)
    assert 0.68 < s.min() and s.max() < 1.21
    O = gdlib.newton_schulz(X)
    # same singular vectors as the polar factor U Vᵀ: Uᵀ O V is diagonal
    D = U.T @ O @ Vt.T
    np.testing.assert_allclose(D - np.diag(np.diag(D)), 0, atol=1e-10)
    assert np.linalg.norm(O - U @ Vt, 2) < 0.33


# --- Shampoo ---------------------------------------------------------------------------------


def test_shampoo_two_steps_by_hand_with_scipy_roots():
    eta, eps = 0.1, 1e-3
    W0 = rng.standard_normal((3, 4))
    A = rng.standard_normal((3, 3))
    grad = lambda W: A @ A.T @ W + 0.5  # noqa: E731
    opt, W = gdlib.Shampoo(eta=eta, eps=eps), W0.copy()
    L, R, Wr = np.zeros((3, 3)), np.zeros((4, 4)), W0.copy()
    for _ in range(2):
        G = grad(Wr)
        L, R = L + G @ G.T, R + G.T @ G
        P = scipy.linalg.fractional_matrix_power
        Wr = Wr - eta * np.real(
            P(L + eps * np.eye(3), -0.25) @ G @ P(R + eps * np.eye(4), -0.25)
        )
        opt.step(W, grad)
        np.testing.assert_allclose(W, Wr, atol=1e-10)
    np.testing.assert_allclose(opt.L.reshape(3, 3), L, atol=1e-12)


def test_shampoo_first_step_is_the_polar_factor():
    """L_1 = G Gᵀ, R_1 = Gᵀ G: L^{-1/4} G R^{-1/4} = U S^{-1/2} S S^{-1/2} Vᵀ = U Vᵀ (ε → 0)."""
    G = np.random.default_rng(3).standard_normal((4, 4))
    U, _, Vt = np.linalg.svd(G)
    W = np.zeros((4, 4))
    gdlib.Shampoo(eta=1.0, eps=1e-14).step(W, lambda W: G)
    np.testing.assert_allclose(-W, U @ Vt, atol=1e-6)


def test_shampoo_is_a_kronecker_product_preconditioner():
    G = rng.standard_normal((3, 5))
    opt, W = gdlib.Shampoo(eta=1.0, eps=0.1), np.zeros((3, 5))
    opt.step(W, lambda W: G)
    P = scipy.linalg.fractional_matrix_power
    K = np.kron(
        P(G @ G.T + 0.1 * np.eye(3), -0.25), P(G.T @ G + 0.1 * np.eye(5), -0.25)
    )
    np.testing.assert_allclose(-W.reshape(-1), np.real(K @ G.reshape(-1)), atol=1e-12)


def test_shampoo_vector_is_full_matrix_adagrad_and_long_sides_are_diagonal():
    g = np.array([3.0, -4.0])
    theta = np.zeros(2)
    gdlib.Shampoo(eta=1.0, eps=1e-6).step(theta, lambda th: g)
    np.testing.assert_allclose(theta, -g / math.sqrt(25 + 1e-6), rtol=1e-12)
    G = rng.standard_normal((2, 6))
    W = np.zeros((2, 6))
    opt = gdlib.Shampoo(eta=1.0, eps=0.01, max_dim=4)  # R (6 × 6) is kept diagonal
    opt.step(W, lambda W: G)
    assert opt.R.shape == (6,)
    Lr = scipy.linalg.fractional_matrix_power(G @ G.T + 0.01 * np.eye(2), -0.25)
    col = (np.sum(G * G, axis=0) + 0.01) ** -0.25
    np.testing.assert_allclose(-W, np.real(Lr) @ G * col, atol=1e-12)


# --- SOAP ------------------------------------------------------------------------------------


def soap_by_hand(W0, b0, grad, steps, eta, b1, b2, eps, wd, f):
    """Vyas et al. (2025), Algorithm 3, transcribed for one matrix and one (Adam) vector."""
    W, b = W0.copy(), b0.copy()
    m, v, mb, vb = 0 * W, 0 * W, 0 * b, 0 * b
    L, R = np.zeros((W.shape[0],) * 2), np.zeros((W.shape[1],) * 2)
    QL, QR = np.eye(W.shape[0]), np.eye(W.shape[1])
    for t in range(1, steps + 1):
        G, gb = grad(W, b)
        k = t - 1  # the matrix waits one step for its first basis
        W_new = W
        if k >= 1:
            m = b1 * m + (1 - b1) * G
            v = b2 * v + (1 - b2) * (QL.T @ G @ QR) ** 2
            mh, vh = m / (1 - b1**k), v / (1 - b2**k)
            W_new = (
                W - eta * QL @ ((QL.T @ mh @ QR) / (np.sqrt(vh) + eps)) @ QR.T - wd * W
            )
        mb = b1 * mb + (1 - b1) * gb
        vb = b2 * vb + (1 - b2) * gb**2
        b = b - eta * (mb / (1 - b1**t)) / (np.sqrt(vb / (1 - b2**t)) + eps) - wd * b
        L = b2 * L + (1 - b2) * G @ G.T
        R = b2 * R + (1 - b2) * G.T @ G
        if k % f == 0:
            QL, QR = np.linalg.eigh(L)[1], np.linalg.eigh(R)[1]
        W = W_new
    return W, b


def test_soap_steps_by_hand_with_a_bias():
    A = rng.standard_normal((3, 3))
    W0, b0 = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def grad(W, b):
        return A @ A.T @ W + np.outer(np.ones(3), b), b + W.sum(axis=0)

    shapes = [(3, 4), (4,)]

    def flat_grad(theta):
        W, b = gdlib.base.blocks(theta, shapes)
        return np.concatenate([g.reshape(-1) for g in grad(W, b)])

    kw = dict(eta=0.05, beta1=0.9, beta2=0.95, eps=1e-8)
    opt = gdlib.SOAP(**kw, weight_decay=0.01, frequency=2, shapes=shapes)
    theta = np.concatenate([W0.reshape(-1), b0])
    for _ in range(5):
        opt.step(theta, flat_grad)
    W, b = soap_by_hand(W0, b0, grad, 5, kw["eta"], 0.9, 0.95, 1e-8, 0.01, 2)
    np.testing.assert_allclose(theta, np.concatenate([W.reshape(-1), b]), atol=1e-12)


def test_soap_first_step_builds_the_basis_and_leaves_the_matrix():
    G = rng.standard_normal((3, 2))
    W = np.zeros((3, 2))
    opt = gdlib.SOAP(eta=0.1)
    opt.step(W, lambda W: G)
    assert np.all(W == 0)
    U, _, Vt = np.linalg.svd(G)  # eigenvectors of G Gᵀ and Gᵀ G, up to order and sign
    for Q, ref in ((opt.QL.reshape(3, 3), U), (opt.QR.reshape(2, 2), Vt.T)):
        np.testing.assert_allclose(
            np.sort(np.abs(Q.T @ ref), axis=1)[:, -1], 1, atol=1e-12
        )


# --- Muon ------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", ["shape", "rms", "none"])
def test_muon_steps_by_hand(scale):
    gamma, eta = 0.9, 0.02
    W0 = rng.standard_normal((3, 5))
    grad = lambda W: W - 1.0  # noqa: E731
    opt, W, Wr, m = (
        gdlib.Muon(eta=eta, gamma=gamma, eps=0.0, scale=scale),
        W0.copy(),
        W0.copy(),
        0,
    )
    s = {"shape": math.sqrt(5 / 3), "rms": 0.2 * math.sqrt(5), "none": 1.0}[scale]
    for _ in range(3):
        G = grad(Wr)
        m = gamma * m + (1 - gamma) * G
        M = (1 - gamma) * G + gamma * m
        U, S, Vt = np.linalg.svd(M, full_matrices=False)
        Wr = Wr - eta * s * U @ np.diag(ns_scalar(S / np.linalg.norm(M))) @ Vt
        opt.step(W, grad)
        np.testing.assert_allclose(W, Wr, atol=1e-12)


def test_muon_vectors_get_adam():
    theta = np.array([1.0, -2.0])
    gdlib.Muon(eta_vector=0.1, eps=0.0).step(theta, lambda th: th)
    np.testing.assert_allclose(theta, [0.9, -1.9], atol=1e-15)


# --- Adafactor -------------------------------------------------------------------------------


def adafactor_by_hand(W0, grad, steps, eps1=1e-30, eps2=1e-3, d=1.0, c=0.8):
    """Shazeer & Stern (2018), Algorithm 4, with ρ_t = min(1e-2, 1/√t)."""
    W, R, C = W0.copy(), 0, 0
    for t in range(1, steps + 1):
        G = grad(W)
        beta = 1 - t**-c
        R = beta * R + (1 - beta) * (G**2 + eps1) @ np.ones(W.shape[1])
        C = beta * C + (1 - beta) * np.ones(W.shape[0]) @ (G**2 + eps1)
        V = np.outer(R, C) / R.sum()
        U = G / np.sqrt(V)
        U = U / max(1, np.sqrt(np.mean(U**2)) / d)
        W = W - max(eps2, np.sqrt(np.mean(W**2))) * min(1e-2, 1 / math.sqrt(t)) * U
    return W


def test_adafactor_steps_by_hand():
    W0 = rng.standard_normal((4, 3))
    grad = lambda W: W * np.arange(1.0, 4.0) + 0.1  # noqa: E731
    W = W0.copy()
    opt = gdlib.Adafactor()
    for _ in range(4):
        opt.step(W, grad)
    np.testing.assert_allclose(W, adafactor_by_hand(W0, grad, 4), atol=1e-14)
    assert opt.R.shape == (4,) and opt.C.shape == (3,)  # m + n numbers, not m·n


def test_adafactor_factored_estimate_is_exact_for_a_rank_one_square():
    """G² = r cᵀ (rank 1): R C / 1ᵀR recovers it, so the first step is G/|G| scaled."""
    r, c = np.array([1.0, 4.0, 9.0]), np.array([0.25, 1.0])
    G = np.sqrt(np.outer(r, c))
    W = np.full((3, 2), 2.0)
    gdlib.Adafactor(eps1=0.0, clip=math.inf).step(W, lambda W: G)
    np.testing.assert_allclose(W, 2.0 - 2.0 * 1e-2, rtol=1e-14)


# --- the generic contract, on matrices ------------------------------------------------------


@pytest.mark.parametrize("cls", MATRIX, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"shapes": [(2, 2)]}, "shapes hold 4 numbers but theta has 6"),
        ({"shapes": [(0, 3)]}, "shape"),
        ({"eta": 0.0}, "eta must be in"),
    ],
)
def test_bad_input_names_the_parameter(cls, kwargs, words):
    with pytest.raises(ValueError, match=words):
        cls(**kwargs).step(np.ones(6), lambda th: th)


@pytest.mark.parametrize(
    "cls, kwargs, name",
    [
        (gdlib.Shampoo, {"max_dim": 0}, "max_dim"),
        (gdlib.SOAP, {"frequency": 0}, "frequency"),
        (gdlib.SOAP, {"max_dim": 2.5}, "max_dim"),
        (gdlib.Muon, {"ns_steps": -1}, "ns_steps"),
        (gdlib.Muon, {"scale": "spectral"}, "scale"),
        (gdlib.Muon, {"nesterov": 1}, "nesterov"),
        (gdlib.Muon, {"gamma": 1.0}, "gamma"),
        (gdlib.Adafactor, {"clip": 0.0}, "clip"),
        (gdlib.Adafactor, {"decay_exponent": 1.5}, "decay_exponent"),
        (gdlib.Adafactor, {"relative_step": "yes"}, "relative_step"),
    ],
)
def test_bad_settings_raise_value_errors_naming_them(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("cls", MATRIX, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    "bad",
    [
        lambda th: np.full(th.shape, np.nan),
        lambda th: np.ones((2, 2)),
        lambda th: (_ for _ in ()).throw(RuntimeError("model failed")),
    ],
    ids=["nan", "shape", "raises"],
)
def test_a_failed_matrix_step_changes_nothing(cls, bad):
    shapes = [(3, 4), (4,)]
    opt, theta = cls(shapes=shapes), rng.standard_normal(16)
    for _ in range(3):
        opt.step(theta, lambda th: th - 0.5)
    before = opt.t, theta.copy(), {n: getattr(opt, n).copy() for n in opt.state_names}
    with pytest.raises((ValueError, RuntimeError)):
        opt.step(theta, bad)
    assert opt.t == before[0]
    np.testing.assert_array_equal(theta, before[1])
    for n, a in before[2].items():
        np.testing.assert_array_equal(getattr(opt, n), a)
    opt.step(theta, lambda th: th)
    assert opt.t == 4


finite = st.floats(-1e300, 1e300, allow_nan=False, width=64)


@pytest.mark.parametrize("cls", MATRIX, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.lists(st.lists(finite, min_size=6, max_size=6), min_size=2, max_size=4))
def test_finite_matrices_never_give_silent_nan(cls, data):
    opt, theta = cls(), np.array(data[0]).reshape(2, 3)
    for g in data[1:]:
        before = theta.copy()
        try:
            opt.step(theta, lambda th, g=g: np.array(g).reshape(2, 3))
        except NonFiniteError:
            np.testing.assert_array_equal(theta, before)
            continue
        assert np.isfinite(theta).all()
        for name in opt.state_names:
            assert np.isfinite(getattr(opt, name)).all(), name


@pytest.mark.parametrize("cls", MATRIX, ids=lambda c: c.__name__)
def test_mlp_blocks_and_float32(cls):
    net = gdlib.MLP(4, hidden=(5,), n_classes=3)
    X = np.random.default_rng(0).standard_normal((40, 4))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 1)
    theta = net.init(seed=0).astype(np.float32)
    opt = cls(shapes=net.param_shapes)
    loss0 = net.loss(theta.astype(float), X, y)
    for _ in range(20):
        opt.step(theta, lambda th: net.grad(th.astype(float), X, y).astype(np.float32))
    assert theta.dtype == np.float32 and net.loss(theta.astype(float), X, y) < loss0
    with pytest.raises(ValueError, match="shape"):
        opt.step(np.zeros(theta.size + 1), lambda th: th)
    opt.reset()
    assert opt.t == 0 and all(getattr(opt, n) is None for n in opt.state_names)


@pytest.mark.parametrize("cls", MATRIX, ids=lambda c: c.__name__)
def test_a_matrix_step_is_rotation_equivariant(cls):
    """W ↦ Q_1 W Q_2ᵀ with orthogonal Q's: Shampoo, SOAP's basis and Muon commute with it;
    the element-wise Adafactor does not (checked as a contrast)."""
    A = rng.standard_normal((4, 4))
    A = A @ A.T + np.eye(4)
    W0, B = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    Q1 = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    Q2 = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    kw = {"eta": 0.05}
    a, b = cls(**kw), cls(**kw)
    W, V = W0.copy(), Q1 @ W0 @ Q2.T
    for _ in range(3):
        a.step(W, lambda W: A @ (W - B))
        b.step(V, lambda V: Q1 @ A @ Q1.T @ (V - Q1 @ B @ Q2.T))
    gap = np.abs(Q1 @ W @ Q2.T - V).max()
    if cls is gdlib.Adafactor:
        assert gap > 1e-4
    else:
        assert gap < 1e-6  # round-off of eigh (SOAP) and of the products
