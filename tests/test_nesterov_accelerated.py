"""gdlib.NesterovAGD: Nesterov's two-sequence method with the schedule γ_t = (t-1)/(t+2).

Reference values are computed here independently, with exact fractions; the generic
contract every optimizer of gdlib.OPTIMIZERS obeys (tests/test_interface.py and
tests/test_reliability_step.py) is run on NesterovAGD as well, by calling those very tests.
NesterovAGD is not in gdlib.OPTIMIZERS because test_interface pins that list by name
(and the benchmark runs every member of it).
"""

import inspect
import itertools
from fractions import Fraction

import numpy as np
import pytest
import test_interface
import test_reliability_step

import gdlib
from gdlib import NesterovAGD

A = (Fraction(1), Fraction(10))  # J(θ) = (θ_1² + 10 θ_2²)/2


def exact_two_sequence(theta0, eta, steps):
    """θ_t = y_{t-1} − η A y_{t-1}, y_t = θ_t + (t−1)/(t+2) (θ_t − θ_{t−1}), in fractions."""
    theta = [Fraction(x) for x in theta0]
    y = list(theta)
    out = []
    for t in range(1, steps + 1):
        new = [yi - eta * a * yi for yi, a in zip(y, A)]
        gamma_t = Fraction(t - 1, t + 2)
        y = [n + gamma_t * (n - o) for n, o in zip(new, theta)]
        theta = new
        out.append((theta, y))
    return out


def grad(theta):
    return np.array([float(a) for a in A]) * theta


def test_six_steps_match_exact_fractions():
    eta = Fraction(3, 50)
    opt, theta = NesterovAGD(eta=float(eta)), np.array([2.0, -1.0])
    for t, (theta_q, y_q) in enumerate(exact_two_sequence([2, -1], eta, 6), start=1):
        opt.step(theta, grad)
        assert opt.t == t
        np.testing.assert_allclose(
            theta, [float(x) for x in theta_q], rtol=0, atol=1e-14
        )
        np.testing.assert_allclose(opt.y, [float(x) for x in y_q], rtol=0, atol=1e-14)


def test_first_steps_by_hand():
    # J = θ²/2 in 1-D, η = 1/2: θ_1 = 1/2 (γ_1 = 0, y_1 = 1/2); θ_2 = 1/4,
    # y_2 = 1/4 + (1/4)(1/4 − 1/2) = 3/16; θ_3 = 3/32, y_3 = 3/32 + (2/5)(3/32 − 1/4) = 1/32.
    opt, theta = NesterovAGD(eta=0.5), np.array([1.0])
    expected = [(0.5, 0.5), (0.25, 3 / 16), (3 / 32, 1 / 32)]
    for th, y in expected:
        opt.step(theta, lambda x: x)
        assert theta[0] == th and opt.y[0] == y


def test_equals_lookahead_velocity_form_with_gamma_of_the_previous_step():
    # v_t = γ_{t−1} v_{t−1} + η ∇J(θ_{t−1} − γ_{t−1} v_{t−1}), θ_t = θ_{t−1} − v_t
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    H = Q @ np.diag([0.01, 0.1, 1.0, 3.0, 5.0]) @ Q.T
    g = lambda th: H @ th + 1.0  # noqa: E731
    eta, theta0 = 0.19, rng.standard_normal(5)
    opt, theta = NesterovAGD(eta=eta), theta0.copy()
    th_v, v = theta0.copy(), np.zeros(5)
    for t in range(1, 101):
        gam = max(0.0, (t - 2) / (t + 1))  # γ_{t−1}
        v = gam * v + eta * g(th_v - gam * v)
        th_v = th_v - v
        opt.step(theta, g)
        np.testing.assert_allclose(theta, th_v, rtol=0, atol=1e-12)


def test_the_rate_bound_holds_on_a_convex_quadratic():
    # J(θ_k) − J* ≤ 2‖θ_0 − θ*‖² / (η (k+1)²) for η ≤ 1/L (Su, Boyd & Candès, 2016)
    lam = 1.0 / np.arange(1, 2001)
    theta0 = 1.0 / np.sqrt(np.arange(1, 2001))
    for eta in (1.0, 0.5):
        opt, theta = NesterovAGD(eta=eta), theta0.copy()
        r2 = theta0 @ theta0
        for k in range(1, 301):
            opt.step(theta, lambda th: lam * th)
            assert 0.5 * np.sum(lam * theta**2) <= 2 * r2 / (eta * (k + 1) ** 2)


@pytest.mark.parametrize(
    "bad, words",
    [
        (0.0, r"eta must be in \(0, inf\)"),
        (-1.0, "eta"),
        (np.nan, "eta"),
        ("0.1", "eta"),
    ],
)
def test_bad_eta_is_refused_naming_it(bad, words):
    with pytest.raises(ValueError, match=words):
        NesterovAGD(eta=bad)
    opt = NesterovAGD()
    with pytest.raises(ValueError, match=words):
        opt.eta = bad


def test_exported_and_reset():
    assert gdlib.NesterovAGD is gdlib.optimizers.NesterovAGD
    assert "NesterovAGD" in gdlib.__all__ and "NesterovAGD" in gdlib.optimizers.__all__
    assert repr(NesterovAGD(eta=0.1)) == "NesterovAGD(eta=0.1)"


def _generic_cases():
    """(test function, keyword arguments) for every test run on all of gdlib.OPTIMIZERS."""
    for module in (test_interface, test_reliability_step):
        for name, fn in sorted(vars(module).items()):
            if not name.startswith("test_") or not callable(fn):
                continue
            marks = [
                m
                for m in getattr(fn, "pytestmark", [])
                if m.name == "parametrize"
                and m.args[0] == "cls"
                and m.args[1] is gdlib.OPTIMIZERS  # the tests every optimizer passes
            ]
            if not marks:
                continue
            others = [
                m
                for m in getattr(fn, "pytestmark", [])
                if m.name == "parametrize" and m not in marks
            ]
            grids = []
            for m in others:
                names = [a.strip() for a in m.args[0].split(",")]
                grids.append(
                    [dict(zip(names, v if len(names) > 1 else (v,))) for v in m.args[1]]
                )
            for combo in itertools.product(*grids):
                kwargs = {"cls": NesterovAGD}
                for part in combo:
                    kwargs.update(part)
                label = "-".join(
                    str(v)[:20] for k, v in kwargs.items() if k == "label" or k == "bad"
                )
                yield pytest.param(fn, kwargs, id=f"{name}[{label}]" if label else name)


@pytest.mark.parametrize("fn, kwargs", list(_generic_cases()))
def test_generic_contract(fn, kwargs):
    params = inspect.signature(fn).parameters
    kwargs = {k: v for k, v in kwargs.items() if k in params or k == "cls"}
    try:
        fn(**kwargs)
    except pytest.skip.Exception:
        pass
