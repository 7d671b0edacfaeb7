"""Learning-rate schedules, line searches and the log grid (gdlib.schedules).

Expected values are hand computations (written out in the comments), closed forms such as
harmonic numbers, or independent checks of the defining property (the Armijo inequality,
the minimizer of a parabola). None of them comes from running the code under test.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gdlib import (
    backtracking,
    constant,
    exponential_decay,
    golden_section,
    log_grid,
    robbins_monro,
    step_decay,
    time_based_decay,
)
from gdlib.schedules import LineSearchError

# --- schedule values against hand formulas ---------------------------------------------------


def test_constant_is_constant():
    sched = constant(0.1)
    assert [sched(t) for t in (0, 1, 7, 10**6)] == [0.1] * 4


def test_time_based_decay_values():
    sched = time_based_decay(0.3, 0.1)  # 0.3 / (1 + 0.1 t)
    assert sched(0) == pytest.approx(0.3, rel=1e-15)
    assert sched(10) == pytest.approx(0.15, rel=1e-15)  # 0.3 / 2
    assert sched(30) == pytest.approx(0.075, rel=1e-15)  # 0.3 / 4
    assert time_based_decay(0.3, 0.0)(1000) == 0.3  # k = 0: no decay


def test_step_decay_values():
    sched = step_decay(0.8, drop=0.5, every=3)  # 0.8 * 0.5 ** floor(t / 3)
    expected = [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]
    assert [sched(t) for t in range(10)] == pytest.approx(expected, rel=1e-15)
    default = step_decay(1.0)  # drop 0.5 every 10 ticks
    assert default(9) == 1.0 and default(10) == 0.5 and default(25) == 0.25
    assert step_decay(0.7, drop=1.0, every=2)(101) == 0.7  # drop = 1: constant


def test_exponential_decay_values():
    sched = exponential_decay(2.0, math.log(2))  # 2 * exp(-t log 2) = 2 ** (1 - t)
    assert sched(0) == pytest.approx(2.0, rel=1e-15)
    assert sched(1) == pytest.approx(1.0, rel=1e-14)
    assert sched(3) == pytest.approx(0.25, rel=1e-14)
    assert exponential_decay(0.5, 0.02)(50) == pytest.approx(0.5 / math.e, rel=1e-14)


def test_robbins_monro_values():
    sched = robbins_monro(2.0, tau=4.0, power=1.0)  # 2 * 4 / (4 + t)
    assert sched(0) == pytest.approx(2.0, rel=1e-15)
    assert sched(4) == pytest.approx(1.0, rel=1e-15)
    assert sched(12) == pytest.approx(0.5, rel=1e-15)
    sched = robbins_monro(0.5, tau=10.0, power=0.75)  # 0.5 * (10 / (10 + t)) ** 0.75
    assert sched(0) == pytest.approx(0.5, rel=1e-15)
    assert sched(10) == pytest.approx(0.5 * 2**-0.75, rel=1e-14)
    assert sched(150) == pytest.approx(0.5 * 16**-0.75, rel=1e-14)  # = 0.0625


def test_robbins_monro_with_power_one_is_time_based_decay():
    # eta0 tau / (tau + t) = eta0 / (1 + t / tau)
    rm, tb = robbins_monro(0.4, tau=25.0, power=1.0), time_based_decay(0.4, 1 / 25)
    for t in (0, 1, 10, 1000):
        assert rm(t) == pytest.approx(tb(t), rel=1e-14)


# --- bad inputs raise ValueError naming the parameter -----------------------------------------

BAD = [
    (constant, dict(eta0=0.0), "eta0"),
    (time_based_decay, dict(eta0=-0.1, k=0.1), "eta0"),
    (time_based_decay, dict(eta0=float("nan"), k=0.1), "eta0"),
    (time_based_decay, dict(eta0=float("inf"), k=0.1), "eta0"),
    (time_based_decay, dict(eta0=0.1, k=-1.0), "k"),
    (step_decay, dict(eta0=0.0), "eta0"),
    (step_decay, dict(eta0=0.1, drop=0.0), "drop"),
    (step_decay, dict(eta0=0.1, drop=1.5), "drop"),
    (step_decay, dict(eta0=0.1, every=0), "every"),
    (step_decay, dict(eta0=0.1, every=2.5), "every"),
    (exponential_decay, dict(eta0=-1.0, k=0.1), "eta0"),
    (exponential_decay, dict(eta0=0.1, k=-0.5), "k"),
    (exponential_decay, dict(eta0=0.1, k=float("inf")), "k"),
    (robbins_monro, dict(eta0=0.0), "eta0"),
    (robbins_monro, dict(eta0=0.1, tau=0.0), "tau"),
    (robbins_monro, dict(eta0=0.1, power=0.0), "power"),
    (robbins_monro, dict(eta0=0.1, power=1.5), "power"),
    (log_grid, dict(low=0.0, high=1.0), "low"),
    (log_grid, dict(low=-1.0, high=1.0), "low"),
    (log_grid, dict(low=1.0, high=1.0), "high"),
]


@pytest.mark.parametrize(
    "fn, kwargs, name",
    BAD,
    ids=[f"{f.__name__}-{n}-{i}" for i, (f, _, n) in enumerate(BAD)],
)
def test_bad_schedule_inputs_raise_value_error_naming_the_parameter(fn, kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        fn(**kwargs)


def quad_f(theta):
    """J = (x^2 + 50 y^2) / 2, the book's ravine."""
    return 0.5 * (theta[0] ** 2 + 50.0 * theta[1] ** 2)


def quad_grad(theta):
    return np.array([theta[0], 50.0 * theta[1]])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eta0=0.0), "eta0"),
        (dict(eta0=-1.0), "eta0"),
        (dict(c=0.0), "c"),
        (dict(c=1.0), "c"),
        (dict(rho=0.0), "rho"),
        (dict(rho=1.0), "rho"),
    ],
)
def test_bad_backtracking_inputs_raise_value_error_naming_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        backtracking(quad_f, quad_grad, np.array([1.0, 1.0]), **kwargs)


def test_golden_section_rejects_an_empty_interval():
    with pytest.raises(ValueError, match=r"a < b"):
        golden_section(lambda e: e**2, 1.0, 1.0)


def test_golden_section_rejects_infinite_bounds_and_a_nan_objective():
    with pytest.raises(ValueError, match=r"\bb must be a finite"):
        golden_section(lambda e: e**2, 0.0, float("inf"))  # used to return NaN
    with pytest.raises(ValueError, match=r"phi returned nan at eta"):
        golden_section(lambda e: float("nan"), 0.0, 1.0)  # used to return 0.99999999995
    with pytest.raises(ValueError, match=r"\btol\b"):
        golden_section(lambda e: e**2, 0.0, 1.0, tol=0.0)


# --- backtracking (Armijo) --------------------------------------------------------------------

THETA = np.array([-8.0, 2.0])
# By hand at theta = (-8, 2): g = (-8, 100), g.g = 10064, f(theta) = (64 + 50*4)/2 = 132.
#   eta = 1/16: theta - eta g = (-7.5, -4.25),   f = (56.25 + 50*18.0625)/2 = 479.6875  (> 132: reject)
#   eta = 1/32: theta - eta g = (-7.75, -1.125), f = (60.0625 + 50*1.265625)/2 = 61.671875
#               Armijo, c = 1e-4: 61.671875 <= 132 - 1e-4 * 10064 / 32 = 131.96855   (accept)
#               Armijo, c = 0.5:  61.671875 <= 132 - 0.5 * 10064 / 32 = -25.25       (reject)
#   eta = 1/64: theta - eta g = (-7.875, 0.4375), f = (62.015625 + 50*0.19140625)/2 = 35.79296875
#               Armijo, c = 0.5:  35.79296875 <= 132 - 0.5 * 10064 / 64 = 53.375     (accept)


def test_backtracking_hand_computed_answer_small_c():
    assert backtracking(quad_f, quad_grad, THETA, eta0=1.0, c=1e-4, rho=0.5) == 1 / 32


def test_backtracking_hand_computed_answer_half_c():
    assert backtracking(quad_f, quad_grad, THETA, eta0=1.0, c=0.5, rho=0.5) == 1 / 64


def test_backtracking_tries_eta0_then_halves():
    trials = []

    def recording_f(theta):
        theta = np.asarray(theta, dtype=float)
        if not np.array_equal(theta, THETA):
            trials.append(
                (theta[0] + 8.0) / 8.0
            )  # theta_x = -8 - eta * g_x = -8 + 8 eta
        return quad_f(theta)

    eta = backtracking(recording_f, quad_grad, THETA, eta0=1.0, c=1e-4, rho=0.5)
    assert eta == 1 / 32
    assert trials == pytest.approx([1.0, 0.5, 0.25, 0.125, 0.0625, 0.03125], rel=1e-15)


def test_backtracking_returns_eta0_when_it_already_satisfies_armijo():
    # For J = theta^2 / 2 in 1-D, the step eta = 1 lands exactly on the minimum.
    eta = backtracking(
        lambda th: 0.5 * float(th @ th), lambda th: th.copy(), np.array([3.0]), eta0=1.0
    )
    assert eta == 1.0


def test_backtracking_with_rho_other_than_half():
    # rho = 0.3: trials 1, 0.3, 0.09, 0.027, ... ; Armijo on the ravine accepts eta <= 2 (1 - c) * 10064 / 500064
    limit = 2 * (1 - 1e-4) * 10064 / 500064  # = 0.040247...
    expected = next(0.3**j for j in range(60) if 0.3**j <= limit)  # 0.3**3 = 0.027
    assert expected == pytest.approx(0.027)
    assert backtracking(
        quad_f, quad_grad, THETA, eta0=1.0, c=1e-4, rho=0.3
    ) == pytest.approx(0.027, rel=1e-14)


def test_backtracking_raises_when_no_step_decreases_the_loss():
    with pytest.raises(RuntimeError, match="Armijo"):
        backtracking(
            lambda th: 1.0, lambda th: np.ones_like(th), np.zeros(2), max_iter=10
        )


def test_backtracking_along_an_ascent_direction_raises():
    # g = −∇J: the search direction −g = ∇J goes uphill. The old code shrank η until θ − ηg == θ
    # in float64 and returned 0.5**59 ≈ 1.7e-18 as if it were a step.
    with pytest.raises(LineSearchError, match="no longer changes theta"):
        backtracking(quad_f, quad_grad, THETA, g=-quad_grad(THETA))
    with pytest.raises(ValueError, match=r"\bd must be a descent direction"):
        backtracking(quad_f, quad_grad, THETA, d=quad_grad(THETA))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(eta0=float("nan")), "eta0"),
        (dict(c=float("nan")), "c"),
        (dict(rho=float("inf")), "rho"),
        (dict(max_iter=0), "max_iter"),
        (dict(theta=[float("nan"), 1.0]), "theta"),
        (dict(f=lambda th: float("nan")), "f"),
        (dict(g=[1.0, float("inf")]), "g"),
    ],
)
def test_backtracking_rejects_non_finite_inputs(kwargs, name):
    args = dict(f=quad_f, grad=quad_grad, theta=np.array([1.0, 1.0])) | kwargs
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        backtracking(**args)


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(0.1, 100.0),
    b=st.floats(0.1, 100.0),
    x=st.floats(-10.0, 10.0),
    y=st.floats(-10.0, 10.0),
    c=st.floats(1e-4, 0.9),
    rho=st.floats(0.1, 0.9),
)
def test_backtracking_returns_the_first_step_satisfying_armijo(a, b, x, y, c, rho):
    theta = np.array([x, y])
    g = np.array([a * x, b * y])
    if g @ g < 1e-12:
        return

    def f(th):
        return 0.5 * (a * th[0] ** 2 + b * th[1] ** 2)

    eta = backtracking(
        f, lambda th: np.array([a * th[0], b * th[1]]), theta, eta0=1.0, c=c, rho=rho
    )
    j = round(math.log(eta) / math.log(rho))
    assert eta == pytest.approx(rho**j, rel=1e-9)  # a power of rho
    assert f(theta - eta * g) <= f(theta) - c * eta * (g @ g)  # Armijo holds
    if j > 0:  # the previous trial failed
        prev = eta / rho
        assert f(theta - prev * g) > f(theta) - c * prev * (g @ g)
    # on a quadratic, Armijo holds iff eta <= 2 (1 - c) g.g / g.A.g
    limit = 2 * (1 - c) * (g @ g) / (a * g[0] ** 2 + b * g[1] ** 2)
    assert eta <= limit * (1 + 1e-9)
    assert eta > rho * limit * (1 - 1e-9) or j == 0


# --- golden-section search --------------------------------------------------------------------


def test_golden_section_finds_the_vertex_of_a_parabola():
    # phi(eta) = 3 (eta - 0.7)^2 + 2 has its minimum at eta = 0.7
    eta = golden_section(lambda e: 3 * (e - 0.7) ** 2 + 2, 0.0, 2.0, tol=1e-8)
    assert abs(eta - 0.7) <= 1e-8


def test_golden_section_exact_line_search_on_the_ravine():
    # the exact step along -g at theta = (-8, 2) is g.g / g.A.g = 10064 / 500064
    g = quad_grad(THETA)
    eta = golden_section(lambda e: quad_f(THETA - e * g), 0.0, 1.0, tol=1e-12)
    assert abs(eta - 10064 / 500064) < 1e-9


def test_golden_section_on_a_monotone_function_goes_to_the_boundary():
    eta = golden_section(
        lambda e: e, 1.0, 3.0, tol=1e-9
    )  # increasing: minimum at a = 1
    assert abs(eta - 1.0) < 1e-8


@settings(max_examples=50, deadline=None)
@given(
    centre=st.floats(-5.0, 5.0),
    curvature=st.floats(0.01, 100.0),
    width=st.floats(0.5, 10.0),
    shift=st.floats(0.05, 0.95),
)
def test_golden_section_property(centre, curvature, width, shift):
    a = centre - shift * width  # the vertex lies strictly inside [a, b]
    b = a + width
    eta = golden_section(lambda e: curvature * (e - centre) ** 2, a, b, tol=1e-9)
    assert abs(eta - centre) <= 1e-6


# --- the log grid -----------------------------------------------------------------------------


def test_log_grid_endpoints_and_spacing():
    grid = log_grid(1e-4, 1.0, per_decade=3)
    assert len(grid) == 13  # 4 decades * 3 + 1
    assert grid[0] == pytest.approx(1e-4, rel=1e-12) and grid[-1] == pytest.approx(
        1.0, rel=1e-12
    )
    assert np.allclose(grid[1:] / grid[:-1], 10 ** (1 / 3), rtol=1e-12)


def test_log_grid_one_point_per_decade():
    assert np.allclose(
        log_grid(0.01, 100.0, per_decade=1), [0.01, 0.1, 1.0, 10.0, 100.0], rtol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    low_exp=st.integers(-8, 2), decades=st.integers(1, 6), per_decade=st.integers(1, 8)
)
def test_log_grid_property(low_exp, decades, per_decade):
    low, high = 10.0**low_exp, 10.0 ** (low_exp + decades)
    grid = log_grid(low, high, per_decade=per_decade)
    assert len(grid) == decades * per_decade + 1
    assert grid[0] == pytest.approx(low, rel=1e-12) and grid[-1] == pytest.approx(
        high, rel=1e-12
    )
    assert np.allclose(np.diff(np.log10(grid)), 1 / per_decade, rtol=1e-9)


# --- the Robbins-Monro conditions, numerically over 10^5 terms --------------------------------

N = 10**5


def test_robbins_monro_harmonic_case_against_closed_forms():
    # eta_t = 1 / (1 + t): sum_{t<N} eta_t = H_N = log N + gamma_E + 1/(2N) - ...,
    # and sum eta_t^2 -> pi^2 / 6 with a tail of about 1/N.
    eta = robbins_monro(1.0, tau=1.0, power=1.0)(np.arange(N))
    euler_gamma = 0.5772156649015329
    assert eta.sum() == pytest.approx(math.log(N) + euler_gamma + 1 / (2 * N), abs=1e-9)
    assert (eta**2).sum() == pytest.approx(math.pi**2 / 6 - 1 / N, abs=1e-9)


@settings(max_examples=15, deadline=None)
@given(
    power=st.floats(0.5, 1.0, exclude_min=True),
    tau=st.floats(1.0, 100.0),
    eta0=st.floats(0.01, 1.0),
)
def test_robbins_monro_sums(power, tau, eta0):
    t = np.arange(N)
    eta = robbins_monro(eta0, tau=tau, power=power)(t)
    s1, s2 = np.cumsum(eta), np.cumsum(eta**2)
    scale = eta0 * tau**power
    # Integral bounds for the decreasing function s -> scale (tau + s)^(-p):
    #   sum_{t<n} eta_t >= integral_0^n = scale [(tau+n)^(1-p) - tau^(1-p)] / (1-p)   (log for p = 1)
    #   sum_t eta_t^2 <= eta0^2 + scale^2 tau^(1-2p) / (2p-1) = eta0^2 (1 + tau / (2p - 1))  < infinity
    for n in (10**3, 10**4, 10**5):
        log_ratio = math.log((tau + n) / tau)
        if power == 1.0:
            lower = scale * log_ratio
        else:  # the same bound, written without cancellation for p near 1
            lower = (
                scale
                * tau ** (1 - power)
                * math.expm1((1 - power) * log_ratio)
                / (1 - power)
            )
        assert s1[n - 1] >= lower * (1 - 1e-12)
    assert np.all(s2 <= eta0**2 * (1 + tau / (2 * power - 1)) * (1 + 1e-12))
    # Each decade adds at least as much to sum eta_t as the one before, so the sum has no limit:
    # the ten late terms 10t..10t+9 are each >= (10 (tau + t))^(-p) when tau >= 1, and
    # 10 * 10^(-p) >= 1 for p <= 1.
    tail1_late, tail1_early = s1[N - 1] - s1[10**4 - 1], s1[10**4 - 1] - s1[10**3 - 1]
    assert tail1_late >= tail1_early * (1 - 1e-12)
    # The squares' tail is a vanishing fraction of eta's tail (eta_t^2 <= eta_{10^4} eta_t there) ...
    tail2_late = s2[N - 1] - s2[10**4 - 1]
    assert tail2_late <= eta[10**4] * tail1_late * (1 + 1e-12)
    # ... and carries a smaller share of its total than eta's tail does of its own (eta decreasing).
    assert tail2_late / s2[N - 1] <= tail1_late / s1[N - 1] * (1 + 1e-12)
