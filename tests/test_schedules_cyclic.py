"""Warm-up, cosine annealing, SGDR, one-cycle, warm-up + cosine, scheduled(), the range test, RAdam.

Expected values are computed independently: exact rationals and SymPy cosines of rational
multiples of π, or hand transcriptions of the papers' formulas written here, never by gdlib.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import gdlib
from gdlib import schedules as S
from gdlib.optimizers.rectified import rectification, sma_length


def cos_half(a, b, s):
    """b + (a − b)(1 + cos πs)/2, in SymPy, exactly, evaluated to float at the end."""
    return float(b + (a - b) * (1 + sp.cos(sp.pi * sp.nsimplify(s))) / 2)


# --- schedules: exact values -------------------------------------------------------------------


def test_linear_warmup_exact_values():
    sched = S.linear_warmup(0.6, 3)
    assert [sched(t) for t in range(5)] == pytest.approx(
        [0.2, 0.4, 0.6, 0.6, 0.6], abs=1e-15
    )
    assert S.linear_warmup(2.0, 1)(0) == 2.0  # T_w = 1: no warm-up
    # arrays are evaluated element-wise, and fractional t is allowed
    np.testing.assert_allclose(sched(np.array([0.5, 10.0])), [0.3, 0.6])


def test_cosine_annealing_exact_values():
    sched = S.cosine_annealing(1.0, 4, eta_min=0.2)
    # cos(0), cos(π/4), cos(π/2), cos(3π/4), cos(π), then clamped at η_min
    expected = [cos_half(1, Fraction(1, 5), Fraction(k, 4)) for k in range(5)] + [0.2]
    np.testing.assert_allclose(sched(np.arange(6)), expected, rtol=1e-15)
    assert sched(2) == pytest.approx(
        0.6, abs=1e-15
    )  # the midpoint is the mean of the ends
    assert sched(10**9) == pytest.approx(0.2, abs=1e-15)


def test_sgdr_restarts_where_the_paper_says():
    # T_0 = 2, T_mult = 2: periods of 2, 4, 8, ... starting at t = 0, 2, 6, 14, 30
    sched = S.sgdr(1.0, 2, mult=2)
    for start, length in [(0, 2), (2, 4), (6, 8), (14, 16), (30, 32)]:
        for k in range(length):
            assert sched(start + k) == pytest.approx(
                cos_half(1, 0, Fraction(k, length)), abs=1e-15
            ), (start, k)
    # fractional epochs (the paper updates T_cur after every batch)
    assert sched(2.5) == pytest.approx(cos_half(1, 0, Fraction(1, 8)), abs=1e-15)
    # mult = 1: one period repeated
    flat = S.sgdr(0.5, 3, eta_min=0.1)
    np.testing.assert_allclose(
        flat(np.arange(9)), np.tile(flat(np.arange(3)), 3), rtol=1e-15
    )


def test_sgdr_fractional_mult_restarts_at_the_sums_of_the_periods():
    sched = S.sgdr(1.0, 4, mult=1.5)  # periods 4, 6, 9: restarts at 4, 10, 19
    for restart in (4, 10, 19):
        assert sched(restart) == 1.0
        assert sched(restart - 1e-9) < 1e-6


def test_one_cycle_exact_values():
    sched = S.one_cycle(1.0, 10, pct_start=0.2, div_factor=4, final_div_factor=10)
    # up from 1/4 to 1 over t in [0, 2], down from 1 to 1/40 over [2, 10]
    assert sched(0) == 0.25
    assert sched(1) == pytest.approx(
        cos_half(Fraction(1, 4), 1, Fraction(1, 2)), abs=1e-15
    )
    assert sched(2) == 1.0
    assert sched(6) == pytest.approx(
        cos_half(1, Fraction(1, 40), Fraction(1, 2)), abs=1e-15
    )
    assert sched(10) == sched(50) == pytest.approx(0.025, abs=1e-15)
    lin = S.one_cycle(1.0, 10, 0.2, 4, 10, anneal="linear", pct_final=0.6)
    # three phases: 1/4 -> 1 on [0, 2], 1 -> 1/4 on [2, 6], 1/4 -> 1/40 on [6, 10]
    expected = [
        0.25,
        0.625,
        1,
        0.8125,
        0.625,
        0.4375,
        0.25,
        0.19375,
        0.1375,
        0.08125,
        0.025,
    ]
    np.testing.assert_allclose(lin(np.arange(11)), expected, rtol=1e-14)


def test_warmup_cosine_exact_values():
    sched = S.warmup_cosine(0.9, 3, 7, eta_min=0.1)
    # warm-up 0.3, 0.6, 0.9 at t = 0, 1, 2; then the cosine over T' = 5 ticks from t = 2
    expected = [0.3, 0.6] + [
        cos_half(Fraction(9, 10), Fraction(1, 10), Fraction(k, 5)) for k in range(6)
    ]
    np.testing.assert_allclose(sched(np.arange(8)), expected, rtol=1e-15)
    # T_w = 1 is plain cosine annealing
    np.testing.assert_array_equal(
        S.warmup_cosine(0.5, 1, 20)(np.arange(25)),
        S.cosine_annealing(0.5, 20)(np.arange(25)),
    )


def test_schedule_sums_match_closed_forms():
    """Σ η(t) of a cosine over T steps is T(η + η_min)/2 exactly: the cosines cancel in pairs."""
    for total in (5, 16, 101):
        rates = S.cosine_annealing(1.0, total, 0.1)(np.arange(total))
        # Σ_{k<T} cos(πk/T) = 1 (the terms k and T − k cancel, k = 0 leaves 1)
        assert rates.sum() == pytest.approx(total * 0.55 + 0.45, rel=1e-13)


# --- schedules: bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: S.linear_warmup(0.0, 5), "eta"),
        (lambda: S.linear_warmup(0.1, 0), "warmup"),
        (lambda: S.linear_warmup(0.1, 2.5), "warmup"),
        (lambda: S.cosine_annealing(0.1, 0), "total"),
        (lambda: S.cosine_annealing(0.1, 10, eta_min=0.2), "eta_min"),
        (lambda: S.cosine_annealing(0.1, 10, eta_min=-1e-3), "eta_min"),
        (lambda: S.cosine_annealing(math.nan, 10), "eta"),
        (lambda: S.sgdr(0.1, 0), "period"),
        (lambda: S.sgdr(0.1, 5, mult=0.5), "mult"),
        (lambda: S.sgdr(0.1, 5, eta_min=1.0), "eta_min"),
        (lambda: S.one_cycle(-1.0, 10), "eta_max"),
        (lambda: S.one_cycle(1.0, 1), "total"),
        (lambda: S.one_cycle(1.0, 10, pct_start=1.0), "pct_start"),
        (lambda: S.one_cycle(1.0, 10, div_factor=0.5), "div_factor"),
        (lambda: S.one_cycle(1.0, 10, final_div_factor=0.0), "final_div_factor"),
        (lambda: S.one_cycle(1.0, 10, anneal="exp"), "anneal"),
        (lambda: S.one_cycle(1.0, 10, pct_start=0.5, pct_final=0.4), "pct_final"),
        (lambda: S.warmup_cosine(0.1, 10, 5), "total"),
        (lambda: S.warmup_cosine(0.1, 0, 5), "warmup"),
    ],
)
def test_bad_arguments_name_the_parameter(make, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        make()


@pytest.mark.parametrize(
    "sched",
    [
        S.linear_warmup(0.1, 3),
        S.cosine_annealing(0.1, 3),
        S.sgdr(0.1, 3, 2),
        S.one_cycle(0.1, 10),
        S.warmup_cosine(0.1, 2, 10),
    ],
)
@pytest.mark.parametrize("t", [-1, math.nan, math.inf, "3", True, [1, -2]])
def test_bad_ticks_name_t(sched, t):
    with pytest.raises(ValueError, match="^t must"):
        sched(t)


@pytest.mark.parametrize(
    "sched",
    [
        S.linear_warmup(1e300, 3),
        S.cosine_annealing(1e300, 7, 1e-300),
        S.sgdr(1e300, 1e-300, 1e300),
        S.sgdr(1.0, 3, 3.0),
        S.one_cycle(1e300, 10),
        S.warmup_cosine(1e300, 2, 10),
    ],
)
def test_rates_are_finite_and_nonnegative(sched):
    ts = np.concatenate([np.arange(200), [1e6, 1e12, 1e300, np.finfo(float).max]])
    rates = sched(ts)
    assert np.all(np.isfinite(rates)) and np.all(rates >= 0)


# --- scheduled(): any optimizer under a schedule -------------------------------------------------


def test_scheduled_sets_eta_before_each_step():
    # GD on J = θ²/2 with η(t) = (t + 1)/4: θ_t = θ_{t−1}(1 − η), by hand in fractions
    opt = S.scheduled(gdlib.GD(eta=1.0), S.linear_warmup(1.0, 4))
    theta, expected = np.array([1.0]), Fraction(1)
    for t in range(6):
        theta = opt.step(theta, lambda th: th)
        expected *= 1 - min(Fraction(1), Fraction(t + 1, 4))
        assert theta[0] == float(expected)
    assert opt.t == 6 and opt.optimizer.t == 6 and opt.eta == 1.0


def test_scheduled_matches_a_hand_written_loop_for_every_optimizer():
    sched = S.warmup_cosine(0.05, 5, 40, eta_min=0.001)
    grad = lambda th: np.array([1.0, 10.0]) * th  # noqa: E731
    for cls in gdlib.OPTIMIZERS:
        if "eta" not in cls().hyperparameters():
            with pytest.raises(ValueError, match="no hyperparameter 'eta'"):
                S.scheduled(cls(), sched)
            continue
        wrapped, plain = S.scheduled(cls(), sched), cls()
        a, b = np.array([1.0, -1.0]), np.array([1.0, -1.0])
        for k in range(40):
            a = wrapped.step(a, grad)
            plain.eta = sched(k)
            b = plain.step(b, grad)
        np.testing.assert_array_equal(a, b, err_msg=cls.__name__)


def test_scheduled_other_hyperparameters_and_run():
    mom = S.scheduled(
        gdlib.Momentum(eta=0.01, gamma=0.9),
        S.cosine_annealing(0.01, 50),
        gamma=S.linear_warmup(0.9, 10),
    )
    result = gdlib.run(mom, gdlib.ravine, [-8.0, 2.0], steps=30)
    assert result.status == "max_steps" and mom.t == 30
    assert mom.gamma == 0.9 and mom.eta == pytest.approx(
        S.cosine_annealing(0.01, 50)(29)
    )
    mom.reset()
    assert mom.t == 0 and mom.optimizer.t == 0


def test_scheduled_skips_a_zero_rate_and_rejects_bad_values():
    opt = S.scheduled(gdlib.Adam(), lambda t: 0.0 if t == 0 else 0.1)
    theta = opt.step(np.array([1.0]), lambda th: th)
    assert theta[0] == 1.0 and opt.t == 1 and opt.optimizer.t == 0
    bad = S.scheduled(gdlib.Adam(eta=0.3), lambda t: -1.0)
    theta = np.array([1.0])
    with pytest.raises(ValueError, match="schedule of eta"):
        bad.step(theta, lambda th: th)
    assert bad.t == 0 and bad.eta == 0.3 and theta[0] == 1.0
    gamma_too_big = S.scheduled(gdlib.Momentum(), gamma=lambda t: 1.5)
    with pytest.raises(ValueError, match="rejects"):
        gamma_too_big.step(np.array([1.0]), lambda th: th)
    assert gamma_too_big.gamma == 0.9
    with pytest.raises(ValueError, match="at least one schedule"):
        S.scheduled(gdlib.GD())
    with pytest.raises(ValueError, match="callable"):
        S.scheduled(gdlib.GD(), 0.1)
    with pytest.raises(ValueError, match="gdlib.Optimizer"):
        S.scheduled("GD", S.constant(0.1))


def test_scheduled_drives_train_like_trains_own_schedule():
    X, y, _ = gdlib.make_linear_regression(n=64, d=3, seed=1)
    model = gdlib.LinearRegression()
    sched = S.warmup_cosine(0.1, 4, 32)
    a = gdlib.train(
        S.scheduled(gdlib.Adam(), sched), model, X, y, batch_size=8, epochs=4
    )
    b = gdlib.train(gdlib.Adam(), model, X, y, batch_size=8, epochs=4, schedule=sched)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.etas, b.etas)


# --- the learning-rate range test ---------------------------------------------------------------


def test_range_test_on_a_quadratic_finds_the_stability_edge():
    """GD on J = λθ²/2 diverges for η > 2/λ; the test must stop past it and suggest below it."""
    lam = 4.0
    surface = gdlib.quadratic(lam, lam)
    res = S.lr_range_test(gdlib.GD(), surface, [1.0, 1.0], 1e-4, 10.0, steps=80)
    assert res.status == "diverged"
    assert res.etas[-1] > 2 / lam  # it ran past the edge of stability
    assert res.suggested < 2 / lam < 10 * res.suggested * 4
    assert res.eta_at_min == pytest.approx(10 * res.suggested)
    assert len(res.pairs()) == len(res.etas) and res.pairs()[0][0] == pytest.approx(
        1e-4
    )
    # the geometric ramp, by hand
    np.testing.assert_allclose(res.etas[:3], 1e-4 * 1e5 ** (np.arange(3) / 79))


def test_range_test_records_the_loss_before_each_step_and_smooths_it():
    losses_seen = []

    def loss_grad(theta, k):
        losses_seen.append(float(theta @ theta) / 2)
        return float(theta @ theta) / 2, theta.copy()

    res = S.lr_range_test(
        gdlib.GD(), loss_grad, [2.0], 0.1, 0.5, steps=5, smoothing=0.5, ramp="linear"
    )
    np.testing.assert_allclose(res.etas, [0.1, 0.2, 0.3, 0.4, 0.5])
    theta, expect = 2.0, []
    for eta in res.etas:
        expect.append(theta * theta / 2)
        theta *= 1 - eta
    np.testing.assert_allclose(res.losses, expect, rtol=1e-15)
    s1 = expect[0]
    s2 = (0.25 * expect[0] + 0.5 * expect[1]) / 0.75  # (β(1−β)L1 + (1−β)L2)/(1−β²)
    np.testing.assert_allclose(res.smoothed[:2], [s1, s2], rtol=1e-15)
    assert res.status == "finished"


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eta_min=0.0), "eta_min"),
        (dict(eta_min=1.0, eta_max=0.5), "eta_max"),
        (dict(steps=1), "steps"),
        (dict(smoothing=1.0), "smoothing"),
        (dict(stop_factor=1.0), "stop_factor"),
        (dict(ramp="cubic"), "ramp"),
        (dict(theta0=[np.nan]), "theta0"),
    ],
)
def test_range_test_bad_input(kwargs, name):
    args = dict(theta0=[1.0, 1.0])
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        S.lr_range_test(gdlib.GD(), gdlib.quadratic(1, 1), **args)


def test_range_test_needs_an_optimizer_with_eta():
    with pytest.raises(ValueError, match="learning rate eta"):
        S.lr_range_test(gdlib.Adadelta(), gdlib.quadratic(1, 1), [1.0, 1.0])
    with pytest.raises(ValueError, match="loss_grad"):
        S.lr_range_test(gdlib.GD(), 3.0, [1.0, 1.0])


# --- RAdam ------------------------------------------------------------------------------------


def test_sma_length_and_rectification_exact():
    b = sp.Rational(9, 10)
    n_inf = 2 / (1 - b) - 1
    for t in range(1, 30):
        n_t = n_inf - 2 * t * b**t / (1 - b**t)
        assert sma_length(0.9, t) == pytest.approx(float(n_t), rel=1e-13)
        if n_t > 4:
            q = sp.sqrt(
                (n_t - 4) * (n_t - 2) * n_inf / ((n_inf - 4) * (n_inf - 2) * n_t)
            )
            assert rectification(0.9, t) == pytest.approx(float(q), rel=1e-13)
    assert sma_length(0.999, 1) == pytest.approx(1.0, abs=1e-9)  # N_1 = 1 for every β2
    assert 4 < sma_length(0.999, 5) < 5 < sma_length(0.999, 6)


def test_radam_first_steps_exact():
    """β2 = 0.9: steps 1–4 are momentum (N_t ≤ 4), step 5 is rectified; SymPy by hand."""
    b1, b2, eta = sp.Rational(1, 2), sp.Rational(9, 10), sp.Rational(1, 10)
    grads = [sp.Rational(v) for v in (2, -1, 3, 1, -2)]
    m = v = 0
    theta = sp.Rational(1)
    opt, th = gdlib.RAdam(eta=0.1, beta1=0.5, beta2=0.9, eps=0.0), np.array([1.0])
    n_inf = 2 / (1 - b2) - 1
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        n_t = n_inf - 2 * t * b2**t / (1 - b2**t)
        if n_t > 4:
            q = sp.sqrt(
                (n_t - 4) * (n_t - 2) * n_inf / ((n_inf - 4) * (n_inf - 2) * n_t)
            )
            theta -= eta * q * m_hat / sp.sqrt(v_hat)
        else:
            theta -= eta * m_hat
        th = opt.step(th, lambda x, g=g: np.array([float(g)]))
        assert th[0] == pytest.approx(float(theta), abs=1e-15), t
    assert float(n_inf - 10 * b2**5 / (1 - b2**5)) > 4  # step 5 was rectified


def test_radam_is_adam_times_q_once_rectified():
    """Fed the same gradients, a rectified RAdam step is q_t times Adam's step."""
    gs = np.random.default_rng(0).normal(size=(12, 2))
    radam, adam = gdlib.RAdam(eta=0.01), gdlib.Adam(eta=0.01)
    a, b = np.zeros(2), np.zeros(2)
    for t in range(1, 13):
        before_a, before_b = a.copy(), b.copy()
        a = radam.step(a, lambda th, t=t: gs[t - 1])
        b = adam.step(b, lambda th, t=t: gs[t - 1])
        if t >= 5:  # N_t > 4 from t = 5 with β2 = 0.999
            np.testing.assert_allclose(
                a - before_a, rectification(0.999, t) * (b - before_b), rtol=1e-12
            )
        else:  # SGD with momentum: the step is −η m̂_t
            np.testing.assert_allclose(
                a - before_a, -0.01 * radam.m / (1 - 0.9**t), rtol=1e-14
            )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eta=0.0), "eta"),
        (dict(beta1=1.0), "beta1"),
        (dict(beta2=-0.1), "beta2"),
        (dict(eps=-1e-8), "eps"),
        (dict(threshold=3.0), "threshold"),
        (dict(threshold=math.inf), "threshold"),
        (dict(threshold="5"), "threshold"),
    ],
)
def test_radam_bad_hyperparameters(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        gdlib.RAdam(**kwargs)


def test_radam_without_rectifiable_beta2_is_momentum_sgd():
    """β2 = 0.6 gives N_∞ = 4: the variance is never finite, every step is SGD with momentum."""
    radam, mom = gdlib.RAdam(eta=0.1, beta1=0.5, beta2=0.6), np.array([1.0])
    theta, m = np.array([1.0]), 0.0
    for t in range(1, 20):
        g = 2 * mom[0]
        m = 0.5 * m + 0.5 * g
        mom = mom - 0.1 * m / (1 - 0.5**t)
        theta = radam.step(theta, lambda th: 2 * th)
        assert theta[0] == pytest.approx(mom[0], rel=1e-14)
