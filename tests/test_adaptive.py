"""Adagrad, Adadelta and RMSprop: exact first steps, hyperparameter checks, reset, a 100-step
transcription, and properties checked with hypothesis.

Expected values come from SymPy (exact rational arithmetic with exact square roots) or from
independent numpy transcriptions of the update rules, never from gdlib itself.
"""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gdlib import Adadelta, Adagrad, RMSprop


# --- a polynomial test function that works on sympy numbers and on numpy arrays --------------
def poly_grad(theta):
    """Gradient of J = theta1^4/4 + theta1 theta2 + theta2^2."""
    t1, t2 = theta[0], theta[1]
    return [t1**3 + t2, t1 + 2 * t2]


def np_poly_grad(theta):
    return np.array(poly_grad(theta), dtype=float)


# --- exact references -------------------------------------------------------------------------
def exact_adagrad(theta0, eta, eps, steps):
    theta, G, out = [sp.nsimplify(v) for v in theta0], [0, 0], []
    for _ in range(steps):
        g = poly_grad(theta)
        G = [G[i] + g[i] ** 2 for i in range(2)]
        theta = [theta[i] - eta * g[i] / sp.sqrt(G[i] + eps) for i in range(2)]
        out.append(theta)
    return out


def exact_adadelta(theta0, gamma, eps, steps):
    theta, Eg, Ed, out = [sp.nsimplify(v) for v in theta0], [0, 0], [0, 0], []
    for _ in range(steps):
        g = poly_grad(theta)
        Eg = [gamma * Eg[i] + (1 - gamma) * g[i] ** 2 for i in range(2)]
        d = [-sp.sqrt(Ed[i] + eps) / sp.sqrt(Eg[i] + eps) * g[i] for i in range(2)]
        Ed = [gamma * Ed[i] + (1 - gamma) * d[i] ** 2 for i in range(2)]
        theta = [theta[i] + d[i] for i in range(2)]
        out.append(theta)
    return out


def exact_rmsprop(theta0, eta, gamma, eps, steps):
    theta, E, out = [sp.nsimplify(v) for v in theta0], [0, 0], []
    for _ in range(steps):
        g = poly_grad(theta)
        E = [gamma * E[i] + (1 - gamma) * g[i] ** 2 for i in range(2)]
        theta = [theta[i] - eta * g[i] / sp.sqrt(E[i] + eps) for i in range(2)]
        out.append(theta)
    return out


R = sp.Rational
THETA0 = [R(1, 2), R(-3, 4)]


def assert_matches_exact(opt, exact):
    theta = np.array([float(v) for v in THETA0])
    for step, reference in enumerate(exact, start=1):
        opt.step(theta, np_poly_grad)
        ref = np.array([float(sp.N(v, 40)) for v in reference])
        assert np.allclose(theta, ref, rtol=0, atol=1e-12), (step, theta, ref)


@pytest.mark.parametrize(
    "eta, eps", [(R(1, 10), R(1, 10**8)), (R(1, 2), R(1, 100)), (R(3, 1), R(0))]
)
def test_adagrad_first_steps_are_exact(eta, eps):
    assert_matches_exact(
        Adagrad(eta=float(eta), eps=float(eps)), exact_adagrad(THETA0, eta, eps, 3)
    )


@pytest.mark.parametrize(
    "gamma, eps", [(R(9, 10), R(1, 10**6)), (R(1, 2), R(1, 100)), (R(0), R(1, 10**4))]
)
def test_adadelta_first_steps_are_exact(gamma, eps):
    assert_matches_exact(
        Adadelta(gamma=float(gamma), eps=float(eps)),
        exact_adadelta(THETA0, gamma, eps, 3),
    )


@pytest.mark.parametrize(
    "eta, gamma, eps",
    [
        (R(1, 1000), R(9, 10), R(1, 10**8)),
        (R(1, 20), R(99, 100), R(1, 100)),
        (R(1, 5), R(0), R(0)),
    ],
)
def test_rmsprop_first_steps_are_exact(eta, gamma, eps):
    assert_matches_exact(
        RMSprop(eta=float(eta), gamma=float(gamma), eps=float(eps)),
        exact_rmsprop(THETA0, eta, gamma, eps, 3),
    )


def test_adadelta_first_step_closed_form():
    # Delta theta_1 = -sqrt(eps) g / sqrt((1 - gamma) g^2 + eps), derived by hand
    g = np.array([3.0, -0.25, 40.0])
    opt = Adadelta(gamma=0.95, eps=1e-6)
    theta = opt.step(np.zeros(3), lambda th: g)
    assert np.allclose(
        theta, -np.sqrt(1e-6) * g / np.sqrt(0.05 * g**2 + 1e-6), rtol=1e-14, atol=0
    )


# --- hyperparameter checks --------------------------------------------------------------------
BAD = [
    (Adagrad, {"eta": 0.0}, "eta"),
    (Adagrad, {"eta": -0.1}, "eta"),
    (Adagrad, {"eta": math.nan}, "eta"),
    (Adagrad, {"eta": "0.1"}, "eta"),
    (Adagrad, {"eps": -1e-8}, "eps"),
    (Adagrad, {"eta": math.inf}, "eta"),
    (Adadelta, {"gamma": 1.0}, "gamma"),
    (Adadelta, {"gamma": -0.1}, "gamma"),
    (Adadelta, {"gamma": 1.5}, "gamma"),
    (Adadelta, {"eps": -1.0}, "eps"),
    (Adadelta, {"gamma": True}, "gamma"),
    (RMSprop, {"eta": 0.0}, "eta"),
    (RMSprop, {"gamma": 1.0}, "gamma"),
    (RMSprop, {"gamma": -0.5}, "gamma"),
    (RMSprop, {"eps": -1e-8}, "eps"),
    (RMSprop, {"eps": math.nan}, "eps"),
]


@pytest.mark.parametrize(
    "cls, kwargs, name", BAD, ids=[f"{c.__name__}-{k}" for c, k, _ in BAD]
)
def test_bad_hyperparameters_raise_value_error_naming_the_parameter(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize(
    "cls, name, value",
    [(Adagrad, "eta", -1.0), (Adadelta, "gamma", 1.0), (RMSprop, "eps", -1.0)],
)
def test_bad_hyperparameter_set_later_is_rejected_and_old_value_kept(cls, name, value):
    opt = cls()
    old = getattr(opt, name)
    with pytest.raises(ValueError, match=name):
        setattr(opt, name, value)
    assert getattr(opt, name) == old


def test_defaults_are_the_books():
    assert (Adagrad().eta, Adagrad().eps) == (0.01, 1e-8)
    assert (Adadelta().gamma, Adadelta().eps) == (0.9, 1e-8)
    assert (RMSprop().eta, RMSprop().gamma, RMSprop().eps) == (0.001, 0.9, 1e-8)


# --- reset --------------------------------------------------------------------------------------
STATE = {Adagrad: ("G",), Adadelta: ("Eg2", "Edtheta2"), RMSprop: ("Eg2",)}


@pytest.mark.parametrize("cls", [Adagrad, Adadelta, RMSprop])
def test_reset_restores_initial_behaviour(cls):
    opt = cls()
    theta0 = np.array([0.7, -1.3])
    theta = theta0.copy()
    for _ in range(5):
        opt.step(theta, np_poly_grad)
    assert opt.t == 5
    opt.reset()
    assert opt.t == 0 and all(getattr(opt, s) is None for s in STATE[cls])
    fresh, reused = cls(), opt
    a, b = theta0.copy(), theta0.copy()
    for _ in range(5):
        fresh.step(a, np_poly_grad)
        reused.step(b, np_poly_grad)
    assert np.array_equal(a, b)
    for s in STATE[cls]:
        assert np.array_equal(getattr(fresh, s), getattr(reused, s))


# --- 100 steps against independent numpy transcriptions ---------------------------------------
def numpy_adagrad(grad, theta, eta, eps, steps):
    theta, G = np.array(theta, dtype=float), np.zeros(len(theta))
    for _ in range(steps):
        g = grad(theta)
        G = G + g**2
        theta = theta - eta / np.sqrt(G + eps) * g
    return theta


def numpy_adadelta(grad, theta, gamma, eps, steps):
    theta = np.array(theta, dtype=float)
    Eg, Ed = np.zeros_like(theta), np.zeros_like(theta)
    for _ in range(steps):
        g = grad(theta)
        Eg = gamma * Eg + (1 - gamma) * g**2
        d = -np.sqrt(Ed + eps) / np.sqrt(Eg + eps) * g
        Ed = gamma * Ed + (1 - gamma) * d**2
        theta = theta + d
    return theta


def numpy_rmsprop(grad, theta, eta, gamma, eps, steps):
    theta, E = np.array(theta, dtype=float), np.zeros(len(theta))
    for _ in range(steps):
        g = grad(theta)
        E = gamma * E + (1 - gamma) * g**2
        theta = theta - eta * g / np.sqrt(E + eps)
    return theta


_rng = np.random.default_rng(0)
_M = _rng.standard_normal((10, 10))
A10 = _M @ _M.T / 10 + np.eye(10)  # a random positive-definite Hessian
B10 = _rng.standard_normal(10)


def quad10_grad(theta):
    return A10 @ theta - B10 + 0.1 * np.sin(theta)  # a little non-linearity


CASES = [
    (
        lambda: Adagrad(eta=0.3, eps=1e-8),
        lambda g, th: numpy_adagrad(g, th, 0.3, 1e-8, 100),
    ),
    (
        lambda: Adadelta(gamma=0.95, eps=1e-4),
        lambda g, th: numpy_adadelta(g, th, 0.95, 1e-4, 100),
    ),
    (
        lambda: RMSprop(eta=0.01, gamma=0.9, eps=1e-8),
        lambda g, th: numpy_rmsprop(g, th, 0.01, 0.9, 1e-8, 100),
    ),
]


@pytest.mark.parametrize(
    "make, reference", CASES, ids=["Adagrad", "Adadelta", "RMSprop"]
)
@pytest.mark.parametrize("chunk", [None, 3])
def test_100_steps_agree_with_numpy_transcription(make, reference, chunk):
    opt = make()
    if chunk is not None:
        opt.chunk = chunk  # forces the block-wise update path (10 > 3)
    theta0 = np.linspace(-1.0, 1.0, 10)
    theta = theta0.copy()
    for _ in range(100):
        opt.step(theta, quad10_grad)
    expected = reference(quad10_grad, theta0)
    assert np.all(np.isfinite(expected))
    assert np.max(np.abs(theta - expected)) < 1e-12


# --- properties ---------------------------------------------------------------------------------
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
grad_seqs = st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=15)
etas = st.floats(min_value=1e-4, max_value=10.0)
gammas = st.floats(min_value=0.0, max_value=0.999)
epss = st.floats(min_value=1e-12, max_value=1.0)


def feed(opt, grads, theta=None):
    """Apply the given gradient sequence; return the updates theta_{t+1} - theta_t and, for each,
    a bound on the rounding error of that subtraction (a few ulps of the larger operand)."""
    theta = np.zeros(3) if theta is None else theta
    updates, slack = [], []
    for g in grads:
        before = theta.copy()
        g = np.array(g)
        opt.step(theta, lambda th, g=g: g)
        updates.append(theta - before)
        slack.append(4e-16 * np.maximum(np.abs(theta), np.abs(before)))
    return updates, slack


@settings(max_examples=50, deadline=None)
@given(grads=grad_seqs, eta=etas, eps=epss)
def test_adagrad_G_never_decreases_and_steps_never_exceed_eta(grads, eta, eps):
    opt, theta = Adagrad(eta=eta, eps=eps), np.zeros(3)
    previous = np.zeros(3)
    for g in grads:
        before = theta.copy()
        g = np.array(g)
        opt.step(theta, lambda th, g=g: g)
        assert np.all(opt.G >= previous)
        slack = 4e-16 * np.maximum(np.abs(theta), np.abs(before))
        assert np.all(
            np.abs(theta - before) <= eta * (1 + 1e-12) + slack
        )  # G_t >= g_t^2
        previous = opt.G.copy()


@settings(max_examples=60, deadline=None)
@given(
    theta0=st.lists(finite, min_size=3, max_size=3),
    steps=st.integers(1, 10),
    which=st.sampled_from(["Adagrad", "Adadelta", "RMSprop"]),
    eta=etas,
    gamma=gammas,
    eps=epss,
)
def test_zero_gradient_from_zero_state_never_moves(
    theta0, steps, which, eta, gamma, eps
):
    opt = {
        "Adagrad": lambda: Adagrad(eta=eta, eps=eps),
        "Adadelta": lambda: Adadelta(gamma=gamma, eps=eps),
        "RMSprop": lambda: RMSprop(eta=eta, gamma=gamma, eps=eps),
    }[which]()
    theta = np.array(theta0)
    for _ in range(steps):
        opt.step(theta, lambda th: np.zeros(3))
    assert np.array_equal(theta, np.array(theta0))


@settings(max_examples=60, deadline=None)
@given(
    grads=grad_seqs,
    which=st.sampled_from(["Adagrad", "Adadelta", "RMSprop"]),
    eta=etas,
    gamma=gammas,
    eps=epss,
)
def test_negating_every_gradient_negates_every_update(grads, which, eta, gamma, eps):
    make = {
        "Adagrad": lambda: Adagrad(eta=eta, eps=eps),
        "Adadelta": lambda: Adadelta(gamma=gamma, eps=eps),
        "RMSprop": lambda: RMSprop(eta=eta, gamma=gamma, eps=eps),
    }[which]
    up, _ = feed(make(), grads)
    down, _ = feed(make(), [[-v for v in g] for g in grads])
    for a, b in zip(up, down):
        assert np.array_equal(a, -b)


@settings(max_examples=50, deadline=None)
@given(grads=grad_seqs, eta=etas, gamma=gammas, eps=epss)
def test_rmsprop_steps_never_exceed_eta_over_sqrt_one_minus_gamma(
    grads, eta, gamma, eps
):
    # E[g^2]_t >= (1 - gamma) g_t^2, hence |step| <= eta |g| / sqrt((1 - gamma) g^2) = eta / sqrt(1 - gamma)
    updates, slack = feed(RMSprop(eta=eta, gamma=gamma, eps=eps), grads)
    for update, s in zip(updates, slack):
        assert np.all(np.abs(update) <= eta / math.sqrt(1 - gamma) * (1 + 1e-12) + s)


@settings(max_examples=50, deadline=None)
@given(
    g=st.lists(st.floats(min_value=1e-2, max_value=1e3), min_size=3, max_size=3),
    gamma=gammas,
    eps=st.floats(min_value=1e-12, max_value=1e-8),
)
def test_adadelta_first_step_is_about_sqrt_eps_over_one_minus_gamma_whatever_the_gradient(
    g, gamma, eps
):
    # exact: |dtheta_1| = sqrt(eps) |g| / sqrt((1-gamma) g^2 + eps); with (1-gamma) g^2 >> eps this is
    # sqrt(eps / (1-gamma)) up to a relative error below eps / (2 (1-gamma) g^2)
    (update,), _ = feed(Adadelta(gamma=gamma, eps=eps), [g])
    g = np.array(g)
    assert np.allclose(
        np.abs(update),
        np.sqrt(eps) * g / np.sqrt((1 - gamma) * g**2 + eps),
        rtol=1e-13,
        atol=0,
    )
    bound = eps / (2 * (1 - gamma) * g**2)
    assert np.all(
        np.abs(np.abs(update) / np.sqrt(eps / (1 - gamma)) - 1)
        <= bound * (1 + 1e-6) + 1e-14
    )


@settings(max_examples=60, deadline=None)
@given(
    grads=st.lists(
        st.lists(st.floats(min_value=0.5, max_value=2.0), min_size=3, max_size=3),
        min_size=1,
        max_size=10,
    ),
    signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=30, max_size=30),
    c=st.floats(min_value=1.0, max_value=10.0),
    gamma=st.floats(min_value=0.5, max_value=0.99),
    eps=st.floats(min_value=1e-12, max_value=1e-8),
)
def test_adadelta_is_only_approximately_invariant_to_the_loss_scale(
    grads, signs, c, gamma, eps
):
    # Multiplying the loss by c multiplies every gradient by c. If epsilon were 0 in RMS[g], Adadelta's
    # updates would not change at all; with epsilon > 0 each step's denominator changes by a relative
    # amount below eps / (2 E[g^2]) <= eps / (2 (1 - gamma) 0.25) <= 2e-6 here, so ten steps differ by
    # far less than 1e-4 (relative). The invariance is approximate, not exact (see also the next test).
    grads = [
        [s * v for s, v in zip(signs[3 * i : 3 * i + 3], g)]
        for i, g in enumerate(grads)
    ]
    plain, _ = feed(Adadelta(gamma=gamma, eps=eps), grads)
    scaled, _ = feed(
        Adadelta(gamma=gamma, eps=eps), [[c * v for v in g] for g in grads]
    )
    for a, b in zip(plain, scaled):
        assert np.allclose(a, b, rtol=1e-4, atol=0)


def test_adadelta_is_not_exactly_invariant_to_the_loss_scale():
    # first step: sqrt(eps) g / sqrt((1-gamma) g^2 + eps) changes with the scale of g when eps > 0
    (a,), _ = feed(Adadelta(gamma=0.9, eps=1e-2), [[1.0, 1.0, 1.0]])
    (b,), _ = feed(Adadelta(gamma=0.9, eps=1e-2), [[10.0, 10.0, 10.0]])
    assert np.allclose(a, -0.1 / np.sqrt(0.1 + 1e-2), rtol=1e-14)
    assert np.allclose(b, -0.1 * 10 / np.sqrt(10.0 + 1e-2), rtol=1e-14)
    assert not np.allclose(a, b, rtol=1e-3)


@pytest.mark.parametrize("cls", [Adagrad, RMSprop])
def test_eps_zero_with_a_zero_gradient_coordinate_stays_finite(cls):
    opt = cls(eps=0.0)
    theta = opt.step(np.array([1.0, 2.0]), lambda th: np.array([0.0, 1.0]))
    assert theta[0] == 1.0 and np.all(np.isfinite(theta))


def test_adadelta_rejects_eps_zero_because_it_could_never_move():
    with pytest.raises(ValueError, match="eps"):
        Adadelta(eps=0.0)
