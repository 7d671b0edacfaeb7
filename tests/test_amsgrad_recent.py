"""AMSGrad, AdamW, QHM, QHAdam and AggMo: exact first steps, hyperparameter checks, reset,
long runs against independent numpy transcriptions, and the special cases that relate them to
GD, Momentum, NAG and Adam (chapters book/amsgrad.ipynb and book/recent.ipynb)."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib

R = sp.Rational

# --- a test problem with an exact rational gradient ------------------------------------------
# J(θ) = ½ θᵀAθ + bᵀθ with a coupled, rational A: its gradient Aθ + b is exact in SymPy.
A_EXACT = sp.Matrix([[1, R(1, 2)], [R(1, 2), 3]])
B_EXACT = sp.Matrix([-1, R(1, 2)])
A_FLOAT = np.array(A_EXACT, dtype=float)
B_FLOAT = np.array(B_EXACT, dtype=float).ravel()
THETA0 = [R(1), R(-1, 2)]


def grad_float(theta):
    return A_FLOAT @ theta + B_FLOAT


def grad_exact(theta):
    return list(A_EXACT * sp.Matrix(theta) + B_EXACT)


# --- exact SymPy transcriptions of each update rule (independent of gdlib) ---------------------
def exact_amsgrad(steps, eta, beta1, beta2, eps):
    th, m, v, vh, out = list(THETA0), [0, 0], [0, 0], [0, 0], []
    for _ in range(steps):
        g = grad_exact(th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        vh = [sp.Max(vh[i], v[i]) for i in range(2)]
        th = [th[i] - eta / (sp.sqrt(vh[i]) + eps) * m[i] for i in range(2)]
        out.append((th, {"m": m, "v": v, "v_max": vh}))
    return out


def exact_adamw(steps, eta, beta1, beta2, eps, weight_decay, schedule):
    th, m, v, out = list(THETA0), [0, 0], [0, 0], []
    for t in range(1, steps + 1):
        g = grad_exact(th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        mh = [m[i] / (1 - beta1**t) for i in range(2)]
        vh = [v[i] / (1 - beta2**t) for i in range(2)]
        th = [
            th[i]
            - schedule * (eta * mh[i] / (sp.sqrt(vh[i]) + eps) + weight_decay * th[i])
            for i in range(2)
        ]
        out.append((th, {"m": m, "v": v}))
    return out


def exact_qhm(steps, eta, beta, nu):
    th, m, out = list(THETA0), [0, 0], []
    for _ in range(steps):
        g = grad_exact(th)
        m = [beta * m[i] + (1 - beta) * g[i] for i in range(2)]
        th = [th[i] - eta * ((1 - nu) * g[i] + nu * m[i]) for i in range(2)]
        out.append((th, {"m": m}))
    return out


def exact_qhadam(steps, eta, beta1, beta2, nu1, nu2, eps):
    th, m, v, out = list(THETA0), [0, 0], [0, 0], []
    for t in range(1, steps + 1):
        g = grad_exact(th)
        m = [beta1 * m[i] + (1 - beta1) * g[i] for i in range(2)]
        v = [beta2 * v[i] + (1 - beta2) * g[i] ** 2 for i in range(2)]
        mh = [m[i] / (1 - beta1**t) for i in range(2)]
        vh = [v[i] / (1 - beta2**t) for i in range(2)]
        th = [
            th[i]
            - eta
            * ((1 - nu1) * g[i] + nu1 * mh[i])
            / (sp.sqrt((1 - nu2) * g[i] ** 2 + nu2 * vh[i]) + eps)
            for i in range(2)
        ]
        out.append((th, {"m": m, "v": v}))
    return out


def exact_aggmo(steps, eta, betas):
    K = len(betas)
    th, v, out = list(THETA0), [[0, 0] for _ in betas], []
    for _ in range(steps):
        g = grad_exact(th)
        v = [[betas[k] * v[k][i] - g[i] for i in range(2)] for k in range(K)]
        th = [th[i] + eta / K * sum(v[k][i] for k in range(K)) for i in range(2)]
        out.append((th, {"v": v}))
    return out


EXACT_CASES = {
    # beta2 = 1/2 makes the running maximum of AMSGrad active within three steps
    "AMSGrad": (
        gdlib.AMSGrad,
        exact_amsgrad,
        dict(eta=R(1, 5), beta1=R(1, 2), beta2=R(1, 2), eps=R(1, 10**8)),
    ),
    "AdamW": (
        gdlib.AdamW,
        exact_adamw,
        dict(
            eta=R(1, 10),
            beta1=R(9, 10),
            beta2=R(99, 100),
            eps=R(1, 10**8),
            weight_decay=R(1, 10),
            schedule=R(3, 4),
        ),
    ),
    "QHM": (gdlib.QHM, exact_qhm, dict(eta=R(1, 10), beta=R(4, 5), nu=R(7, 10))),
    "QHAdam": (
        gdlib.QHAdam,
        exact_qhadam,
        dict(
            eta=R(1, 10),
            beta1=R(9, 10),
            beta2=R(999, 1000),
            nu1=R(7, 10),
            nu2=R(3, 10),
            eps=R(1, 10**8),
        ),
    ),
    "AggMo": (
        gdlib.AggMo,
        exact_aggmo,
        dict(eta=R(1, 10), betas=(0, R(1, 2), R(9, 10))),
    ),
}


def to_float_kwargs(hyper):
    return {
        k: (tuple(float(b) for b in v) if k == "betas" else float(v))
        for k, v in hyper.items()
    }


@pytest.mark.parametrize("name", list(EXACT_CASES))
def test_first_three_steps_match_sympy_rationals(name):
    cls, exact_fn, hyper = EXACT_CASES[name]
    expected = exact_fn(3, **hyper)
    opt = cls(**to_float_kwargs(hyper))
    theta = np.array([float(z) for z in THETA0])
    for th_exact, state in expected:
        theta = opt.step(theta, grad_float)
        np.testing.assert_allclose(
            theta, np.array(th_exact, dtype=float), rtol=0, atol=1e-12
        )
        for key, val in state.items():
            np.testing.assert_allclose(
                getattr(opt, key), np.array(val, dtype=float), rtol=0, atol=1e-12
            )
    assert opt.t == 3


def test_amsgrad_exact_case_really_uses_the_maximum():
    _, exact_fn, hyper = EXACT_CASES["AMSGrad"]
    steps = exact_fn(3, **hyper)
    active = [
        float(st_["v_max"][i]) > float(st_["v"][i])
        for _, st_ in steps
        for i in range(2)
    ]
    assert any(active)


# --- hyperparameter validation ------------------------------------------------------------------
BAD = [
    (gdlib.AMSGrad, dict(eta=0.0), "eta"),
    (gdlib.AMSGrad, dict(eta=-1e-3), "eta"),
    (gdlib.AMSGrad, dict(eta=float("nan")), "eta"),
    (gdlib.AMSGrad, dict(eta="0.1"), "eta"),
    (gdlib.AMSGrad, dict(beta1=1.0), "beta1"),
    (gdlib.AMSGrad, dict(beta1=-0.1), "beta1"),
    (gdlib.AMSGrad, dict(beta2=1.0), "beta2"),
    (gdlib.AMSGrad, dict(eps=-1e-8), "eps"),
    (gdlib.AdamW, dict(eta=0.0), "eta"),
    (gdlib.AdamW, dict(beta1=1.5), "beta1"),
    (gdlib.AdamW, dict(beta2=-0.5), "beta2"),
    (gdlib.AdamW, dict(eps=-1.0), "eps"),
    (gdlib.AdamW, dict(weight_decay=-1e-4), "weight_decay"),
    (gdlib.AdamW, dict(schedule=-0.5), "schedule"),
    (gdlib.AdamW, dict(weight_decay=math.inf), "weight_decay"),
    (gdlib.QHM, dict(eta=-0.1), "eta"),
    (gdlib.QHM, dict(beta=1.0), "beta"),
    (gdlib.QHM, dict(nu=1.1), "nu"),
    (gdlib.QHM, dict(nu=-0.1), "nu"),
    (gdlib.QHAdam, dict(eta=0.0), "eta"),
    (gdlib.QHAdam, dict(beta1=1.0), "beta1"),
    (gdlib.QHAdam, dict(beta2=2.0), "beta2"),
    (gdlib.QHAdam, dict(nu1=1.5), "nu1"),
    (gdlib.QHAdam, dict(nu2=-0.2), "nu2"),
    (gdlib.QHAdam, dict(eps=-1e-8), "eps"),
    (gdlib.AggMo, dict(eta=0.0), "eta"),
    (gdlib.AggMo, dict(eta=-0.1), "eta"),
    (gdlib.AggMo, dict(betas=()), "betas"),
    (gdlib.AggMo, dict(betas=(1.0,)), "betas"),
    (gdlib.AggMo, dict(betas=(-0.1, 0.9)), "betas"),
    (gdlib.AggMo, dict(betas=(0.5, 1.2)), "betas"),
    (gdlib.AggMo, dict(betas=(0.9, float("nan"))), "betas"),
]


@pytest.mark.parametrize(
    "cls, kwargs, name",
    BAD,
    ids=[f"{c.__name__}-{n}-{next(iter(kw.values()))!r}" for c, kw, n in BAD],
)
def test_bad_hyperparameters_raise_valueerror_naming_the_parameter(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


@pytest.mark.parametrize(
    "cls, attr, value",
    [
        (gdlib.AMSGrad, "beta2", 1.0),
        (gdlib.AdamW, "schedule", -1.0),
        (gdlib.QHM, "nu", 2.0),
        (gdlib.QHAdam, "nu1", -1.0),
        (gdlib.AggMo, "eta", 0.0),
    ],
)
def test_setting_a_bad_value_later_is_also_rejected(cls, attr, value):
    opt = cls()
    with pytest.raises(ValueError, match=attr):
        setattr(opt, attr, value)


def test_boundary_values_are_accepted():
    gdlib.AMSGrad(beta1=0.0, beta2=0.0, eps=0.0)
    gdlib.AdamW(weight_decay=0.0, schedule=0.0)
    gdlib.QHM(nu=0.0), gdlib.QHM(nu=1.0), gdlib.QHAdam(nu1=0.0, nu2=1.0)
    assert gdlib.AggMo(betas=0.9).betas == (0.9,)
    assert gdlib.AggMo(betas=[0, 0.5]).betas == (0.0, 0.5)


# --- reset ----------------------------------------------------------------------------------------
RESET_CASES = [
    (gdlib.AMSGrad, dict(eta=0.05)),
    (gdlib.AdamW, dict(eta=0.05, weight_decay=0.01, schedule=0.5)),
    (gdlib.QHM, dict(eta=0.05, beta=0.9, nu=0.7)),
    (gdlib.QHAdam, dict(eta=0.05, nu2=0.5)),
    (gdlib.AggMo, dict(eta=0.05, betas=(0.0, 0.9, 0.99))),
]


@pytest.mark.parametrize(
    "cls, kwargs", RESET_CASES, ids=[c.__name__ for c, _ in RESET_CASES]
)
def test_reset_restores_the_initial_state(cls, kwargs):
    start = np.array([1.0, -0.5])
    fresh = cls(**kwargs)
    first = fresh.step(start.copy(), grad_float)
    used = cls(**kwargs)
    theta = start.copy()
    for _ in range(7):
        theta = used.step(theta, grad_float)
    used.reset()
    assert used.t == 0
    assert all(getattr(used, name) is None for name in cls.state_names)
    again = used.step(start.copy(), grad_float)
    np.testing.assert_array_equal(again, first)
    for name in cls.state_names:
        np.testing.assert_array_equal(getattr(used, name), getattr(fresh, name))
    assert used.hyperparameters() == fresh.hyperparameters()


# --- 100 steps against an independent numpy transcription ----------------------------------------
def rosen_grad(th):
    x, y = th
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def numpy_transcription(kind, h, steps=100, theta0=(-1.5, 2.0), grad=rosen_grad):
    th = np.array(theta0, dtype=float)
    m, v, v_max = np.zeros_like(th), np.zeros_like(th), np.zeros_like(th)
    vel = np.zeros((len(h.get("betas", ())),) + th.shape)
    out = [th.copy()]
    for t in range(1, steps + 1):
        g = grad(th)
        if kind == "AMSGrad":
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g * g
            v_max = np.maximum(v_max, v)
            th = th - h["eta"] / (np.sqrt(v_max) + h["eps"]) * m
        elif kind == "AdamW":
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g * g
            m_hat, vv = m / (1 - h["beta1"] ** t), v / (1 - h["beta2"] ** t)
            th = th - h["schedule"] * (
                h["eta"] * m_hat / (np.sqrt(vv) + h["eps"]) + h["weight_decay"] * th
            )
        elif kind == "QHM":
            m = h["beta"] * m + (1 - h["beta"]) * g
            th = th - h["eta"] * ((1 - h["nu"]) * g + h["nu"] * m)
        elif kind == "QHAdam":
            m = h["beta1"] * m + (1 - h["beta1"]) * g
            v = h["beta2"] * v + (1 - h["beta2"]) * g * g
            m_hat, vv = m / (1 - h["beta1"] ** t), v / (1 - h["beta2"] ** t)
            num = (1 - h["nu1"]) * g + h["nu1"] * m_hat
            th = th - h["eta"] * num / (
                np.sqrt((1 - h["nu2"]) * g * g + h["nu2"] * vv) + h["eps"]
            )
        elif kind == "AggMo":
            vel = np.reshape(h["betas"], (-1,) + (1,) * th.ndim) * vel - g
            th = th + h["eta"] / len(h["betas"]) * vel.sum(axis=0)
        out.append(th.copy())
    return np.array(out)


LONG_CASES = {
    "AMSGrad": (gdlib.AMSGrad, dict(eta=0.02, beta1=0.9, beta2=0.99, eps=1e-8)),
    "AdamW": (
        gdlib.AdamW,
        dict(
            eta=0.02, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.005, schedule=0.8
        ),
    ),
    "QHM": (gdlib.QHM, dict(eta=0.002, beta=0.9, nu=0.7)),
    "QHAdam": (
        gdlib.QHAdam,
        dict(eta=0.02, beta1=0.95, beta2=0.999, nu1=0.7, nu2=0.6, eps=1e-8),
    ),
    "AggMo": (gdlib.AggMo, dict(eta=0.0005, betas=(0.0, 0.9, 0.99))),
}


@pytest.mark.parametrize("name", list(LONG_CASES))
def test_100_steps_match_a_numpy_transcription(name):
    cls, h = LONG_CASES[name]
    opt, theta, path = cls(**h), np.array([-1.5, 2.0]), [np.array([-1.5, 2.0])]
    for _ in range(100):
        theta = opt.step(theta, rosen_grad)
        path.append(theta.copy())
    path = np.array(path)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(path, numpy_transcription(name, h), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(LONG_CASES))
def test_large_parameter_vectors_match_the_transcription(name):
    """More coordinates than one update chunk: the blockwise update must not change results."""
    cls, h = LONG_CASES[name]
    rng = np.random.default_rng(0)
    n = 40_000
    scales = rng.uniform(0.1, 2.0, size=n)
    grad = lambda th: scales * th
    theta0 = rng.normal(size=n)
    opt, theta = cls(**h), theta0.copy()
    for _ in range(20):
        theta = opt.step(theta, grad)
    expected = numpy_transcription(name, h, steps=20, theta0=theta0, grad=grad)[-1]
    np.testing.assert_allclose(theta, expected, rtol=0, atol=1e-12)


# --- properties (hypothesis) --------------------------------------------------------------------
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
decay = st.floats(0.0, 0.999)
rate = st.floats(1e-4, 0.1)
curv = st.lists(st.floats(0.1, 5.0), min_size=3, max_size=3)
start3 = st.lists(st.floats(-3.0, 3.0), min_size=3, max_size=3)


@settings(max_examples=25, deadline=None)
@given(
    grads=st.lists(st.lists(finite, min_size=3, max_size=3), min_size=1, max_size=30),
    beta1=decay,
    beta2=decay,
    eta=rate,
)
def test_amsgrad_v_max_never_decreases(grads, beta1, beta2, eta):
    opt = gdlib.AMSGrad(eta=eta, beta1=beta1, beta2=beta2)
    theta, prev, prev_rate = np.zeros(3), np.zeros(3), np.full(3, np.inf)
    for g in grads:
        theta = opt.step(theta, lambda th, g=g: np.array(g))
        assert np.all(opt.v_max >= prev)
        assert np.all(opt.v_max >= opt.v)
        rate_now = opt.eta / (np.sqrt(opt.v_max) + opt.eps)
        assert np.all(rate_now <= prev_rate)
        prev, prev_rate = opt.v_max.copy(), rate_now


def _run(opt, h, theta0, steps=25):
    grad = lambda th: np.array(h) * th
    theta, path = np.array(theta0, dtype=float), [np.array(theta0, dtype=float)]
    for _ in range(steps):
        theta = opt.step(theta, grad)
        path.append(theta.copy())
    return np.array(path)


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta=decay, h=curv, theta0=start3)
def test_qhm_with_nu_zero_is_gradient_descent(eta, beta, h, theta0):
    np.testing.assert_allclose(
        _run(gdlib.QHM(eta=eta, beta=beta, nu=0.0), h, theta0),
        _run(gdlib.GD(eta=eta), h, theta0),
        rtol=0,
        atol=1e-12,
    )


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta=decay, h=curv, theta0=start3)
def test_qhm_with_nu_one_is_rescaled_momentum(eta, beta, h, theta0):
    qhm = gdlib.QHM(eta=eta, beta=beta, nu=1.0)
    mom = gdlib.Momentum(eta=eta * (1 - beta), gamma=beta)
    np.testing.assert_allclose(
        _run(qhm, h, theta0), _run(mom, h, theta0), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(eta * qhm.m, mom.v, rtol=0, atol=1e-12)  # v = η m


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta=st.floats(0.0, 0.99), h=curv, theta0=start3)
def test_qhm_with_nu_beta_gives_the_nag_look_ahead_points(eta, beta, h, theta0):
    nag = gdlib.NAG(eta=eta * (1 - beta), gamma=beta)
    grad = lambda th: np.array(h) * th
    theta, phis = np.array(theta0, dtype=float), [np.array(theta0, dtype=float)]
    for _ in range(25):
        theta = nag.step(theta, grad)
        phis.append(theta - beta * nag.v)
    np.testing.assert_allclose(
        _run(gdlib.QHM(eta=eta, beta=beta, nu=beta), h, theta0),
        np.array(phis),
        rtol=0,
        atol=1e-12,
    )


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta1=decay, beta2=decay, h=curv, theta0=start3)
def test_qhadam_with_nus_one_is_adam(eta, beta1, beta2, h, theta0):
    qh = gdlib.QHAdam(eta=eta, beta1=beta1, beta2=beta2, nu1=1.0, nu2=1.0)
    adam = gdlib.Adam(eta=eta, beta1=beta1, beta2=beta2)
    np.testing.assert_allclose(
        _run(qh, h, theta0), _run(adam, h, theta0), rtol=0, atol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta=decay, h=curv, theta0=start3)
def test_aggmo_with_one_beta_is_rescaled_momentum(eta, beta, h, theta0):
    agg = gdlib.AggMo(eta=eta, betas=(beta,))
    mom = gdlib.Momentum(eta=eta, gamma=beta)
    np.testing.assert_allclose(
        _run(agg, h, theta0), _run(mom, h, theta0), rtol=0, atol=1e-12
    )
    assert agg.v.shape == (1, 3)
    np.testing.assert_allclose(
        agg.v[0], -mom.v / eta, rtol=1e-9, atol=1e-9
    )  # v_AggMo = −v_Mom/η


@settings(max_examples=25, deadline=None)
@given(eta=rate, beta1=decay, beta2=decay, h=curv, theta0=start3)
def test_adamw_without_decay_is_adam(eta, beta1, beta2, h, theta0):
    aw = gdlib.AdamW(eta=eta, beta1=beta1, beta2=beta2, weight_decay=0.0)
    adam = gdlib.Adam(eta=eta, beta1=beta1, beta2=beta2)
    np.testing.assert_allclose(
        _run(aw, h, theta0), _run(adam, h, theta0), rtol=0, atol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(alpha=rate, lam=st.floats(0.0, 0.05), h=curv, theta0=start3)
def test_adamw_decay_is_not_multiplied_by_the_learning_rate(alpha, lam, h, theta0):
    """PyTorch's AdamW(lr=α, weight_decay=λ/α) takes the same steps as gdlib.AdamW(eta=α, weight_decay=λ)."""
    grad = lambda th: np.array(h) * th
    th, m, v = np.array(theta0, dtype=float), np.zeros(3), np.zeros(3)
    path = [th.copy()]
    for t in range(1, 26):
        g = grad(th)
        th = th * (1 - alpha * (lam / alpha))
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        th = th - alpha * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        path.append(th.copy())
    np.testing.assert_allclose(
        _run(gdlib.AdamW(eta=alpha, weight_decay=lam), h, theta0),
        np.array(path),
        rtol=0,
        atol=1e-12,
    )
