"""The numerical helpers reject what they cannot do: one test per class of bad input.

Classes: (1) backtracking, (2) golden-section search, (3) the test surfaces, (4) the
learning-rate schedules, (5) ewa / benchmark / animation / plotting arguments.
Each bad input must raise the stated exception with a message that names the argument.
Expected values are worked out by hand in the comments, never by the code under test.
"""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import gdlib  # noqa: E402
from gdlib import benchmark as B  # noqa: E402
from gdlib import plotting  # noqa: E402
from gdlib.animation import (
    animate_race,
    frame_grid,
    frame_steps,
    html_size,
    race,
    to_html,
)  # noqa: E402
from gdlib.schedules import LineSearchError  # noqa: E402

NAN, INF = float("nan"), float("inf")


def _named(name):
    """A regular expression that finds ``name`` as a word in a message."""
    return rf"(?<![\w.]){name}(?!\w)"


# --- (1) backtracking --------------------------------------------------------------------------


def ravine_f(theta):
    """J = (x² + 50 y²) / 2."""
    return 0.5 * (theta[0] ** 2 + 50.0 * theta[1] ** 2)


def ravine_grad(theta):
    return np.array([theta[0], 50.0 * theta[1]])


THETA = np.array([-8.0, 2.0])  # g = (-8, 100) by hand


BACKTRACKING_BAD = [
    (dict(theta=[NAN, 1.0]), "theta"),
    (dict(theta=[INF, 1.0]), "theta"),
    (dict(theta="ab"), "theta"),
    (dict(f=lambda th: NAN), "f"),
    (dict(f=lambda th: INF), "f"),
    (dict(f=None), "f"),
    (dict(grad=lambda th: np.array([NAN, 1.0])), "grad"),
    (dict(grad=lambda th: np.ones(3)), "grad"),
    (dict(g=[1.0, INF]), "g"),
    (dict(g=[1.0]), "g"),
    (dict(d=[NAN, 0.0]), "d"),
    (dict(d=[-8.0, 100.0]), "d"),  # d = g: uphill, g·d = 10064 > 0
    (dict(d=[0.0, 0.0]), "d"),  # g·d = 0: not a descent direction
    (dict(eta0=NAN), "eta0"),
    (dict(eta0=INF), "eta0"),
    (dict(eta0=0.0), "eta0"),
    (dict(eta0="1"), "eta0"),
    (dict(c=NAN), "c"),
    (dict(c=0.0), "c"),
    (dict(c=1.0), "c"),
    (dict(c=-0.5), "c"),
    (dict(rho=NAN), "rho"),
    (dict(rho=0.0), "rho"),
    (dict(rho=1.0), "rho"),
    (dict(rho=INF), "rho"),
    (dict(max_iter=0), "max_iter"),
    (dict(max_iter=2.5), "max_iter"),
    (dict(max_iter=True), "max_iter"),
]


@pytest.mark.parametrize(
    "kwargs, name",
    BACKTRACKING_BAD,
    ids=[f"{n}-{i}" for i, (_, n) in enumerate(BACKTRACKING_BAD)],
)
def test_backtracking_rejects_bad_input_naming_it(kwargs, name):
    args = dict(f=ravine_f, grad=ravine_grad, theta=THETA) | kwargs
    with pytest.raises(ValueError, match=_named(name)):
        gdlib.backtracking(**args)


def test_backtracking_along_an_ascent_direction_raises_instead_of_a_tiny_step():
    # g passed with the wrong sign: -g = +grad points uphill, f only grows along it. The old code
    # shrank eta until theta - eta g == theta in float64 and returned 0.5**59 = 1.7e-18.
    with pytest.raises(LineSearchError, match="no longer changes theta") as info:
        gdlib.backtracking(ravine_f, ravine_grad, THETA, g=-ravine_grad(THETA))
    assert isinstance(info.value, RuntimeError) and 0 < info.value.eta < 1e-15
    # With a large offset the uphill values round to f(theta) itself: 1e6 + x² at x = 1, 1 + 2 eta
    # stays "equal" to 1e6 + 1 once 2 eta < 6e-11. Rounding must not pass for a decrease.
    with pytest.raises(LineSearchError):
        gdlib.backtracking(
            lambda th: 1e6 + th[0] ** 2, None, np.array([1.0]), g=np.array([-2.0])
        )


def test_backtracking_says_when_max_iter_runs_out():
    # Trials 1, 1/2, 1/4 are all rejected on the ravine at (-8, 2) (the first accepted is 1/32).
    with pytest.raises(LineSearchError, match=r"Armijo.*max_iter=3") as info:
        gdlib.backtracking(ravine_f, ravine_grad, THETA, max_iter=3)
    assert info.value.eta == 0.25 and info.value.iterations == 3


def test_backtracking_with_a_direction_and_at_a_stationary_point():
    # d = (8, 0) from (-8, 2): g·d = -64; f(theta + eta d) = (64 (1 - eta)² + 200) / 2.
    #   eta = 1: f = 100 <= 132 - 1e-4 * 64 = 131.9936: accepted at once.
    assert gdlib.backtracking(ravine_f, ravine_grad, THETA, d=[8.0, 0.0]) == 1.0
    # d = (16, 0): eta = 1 lands on x = 8, f = 132, not a strict decrease; eta = 1/2 gives x = 0, f = 100.
    assert gdlib.backtracking(ravine_f, ravine_grad, THETA, d=[16.0, 0.0]) == 0.5
    # g = 0: nothing to search, eta0 comes back.
    assert gdlib.backtracking(ravine_f, ravine_grad, np.zeros(2), eta0=0.3) == 0.3


# --- (2) golden-section search -----------------------------------------------------------------


def parabola(e):
    return (e - 0.3) ** 2


GOLDEN_BAD = [
    (dict(a=-INF), "a"),
    (dict(b=INF), "b"),
    (dict(a=NAN), "a"),
    (dict(b=NAN), "b"),
    (dict(b="1"), "b"),
    (dict(a=1.0, b=0.0), "a < b"),
    (dict(a=0.5, b=0.5), "a < b"),
    (dict(a=-1.5e308, b=1.5e308), "a, b"),  # b - a overflows
    (dict(tol=0.0), "tol"),
    (dict(tol=-1e-3), "tol"),
    (dict(tol=NAN), "tol"),
    (dict(tol=INF), "tol"),
    (dict(max_iter=0), "max_iter"),
    (dict(max_iter=3.0), "max_iter"),
    (dict(phi=lambda e: NAN), "phi"),
    (dict(phi=lambda e: INF), "phi"),
    (dict(phi=lambda e: math.log(e - 0.5) ** 2 if e > 0.5 else NAN), "phi"),
    (dict(phi="x^2"), "phi"),
]


@pytest.mark.parametrize(
    "kwargs, name", GOLDEN_BAD, ids=[f"{n}-{i}" for i, (_, n) in enumerate(GOLDEN_BAD)]
)
def test_golden_section_rejects_bad_input_naming_it(kwargs, name):
    args = dict(phi=parabola, a=0.0, b=1.0) | kwargs
    with pytest.raises(
        ValueError, match=name if " " in name else _named(name)
    ):  # "a < b", "[a, b]"
        gdlib.golden_section(**args)


def test_golden_section_names_the_point_where_phi_is_not_finite():
    # The first two evaluations are at c = 1 - 0.618... = 0.381966 and d = 0.618034 on [0, 1].
    with pytest.raises(ValueError, match=r"phi returned nan at eta = 0\.38196"):
        gdlib.golden_section(lambda e: NAN, 0.0, 1.0)


def test_golden_section_says_when_max_iter_runs_out():
    # 5 iterations shrink [0, 1] to 0.618^5 = 0.09 > tol = 1e-10.
    with pytest.raises(LineSearchError, match="max_iter=5"):
        gdlib.golden_section(parabola, 0.0, 1.0, max_iter=5)
    # A tol below the float64 spacing near 1e6 (1.2e-10) cannot be met at all.
    with pytest.raises(LineSearchError, match="tol"):
        gdlib.golden_section(lambda e: (e - 1e6 - 0.3) ** 2, 1e6, 1e6 + 1, tol=1e-12)


@settings(max_examples=150, deadline=None)
@given(
    a=st.floats(allow_nan=True, allow_infinity=True),
    width=st.floats(allow_nan=True, allow_infinity=True),
    tol=st.floats(allow_nan=True, allow_infinity=True),
    values=st.lists(st.floats(), min_size=1, max_size=8),
)
def test_golden_section_never_returns_nan(a, width, tol, values):
    """Whatever the bounds, tolerance and values of phi, the answer is a point of [a, b] or an error."""
    b = a + width if math.isfinite(a) and math.isfinite(width) else width
    calls = []

    def phi(e):
        calls.append(e)
        return values[len(calls) % len(values)]

    try:
        eta = gdlib.golden_section(phi, a, b, tol=tol, max_iter=60)
    except (ValueError, LineSearchError):
        return
    assert math.isfinite(eta) and a <= eta <= b


# --- (3) surfaces ------------------------------------------------------------------------------

SURFACES = [
    gdlib.ravine,
    gdlib.rosenbrock,
    gdlib.beale,
    gdlib.saddle,
    gdlib.quadratic(2, 7),
]
WRONG_SHAPES = [
    [1.0, 1.0, 5.0],
    [1.0],
    3.0,
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
    "ab",
    None,
]


@pytest.mark.parametrize("s", SURFACES, ids=lambda s: s.name)
@pytest.mark.parametrize("method", ["f", "grad", "hessian"])
def test_surfaces_reject_theta_of_the_wrong_dimension(s, method):
    for theta in WRONG_SHAPES:
        with pytest.raises(ValueError, match=_named("theta")):
            getattr(s, method)(theta)
    # a grid, shape (2, ...), is a valid argument of f only
    with (
        pytest.raises(ValueError, match=_named("theta"))
        if method != "f"
        else _nothing()
    ):
        getattr(s, method)(np.zeros((2, 3)))


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_surfaces_hessian_values_and_nan_propagation():
    # Rosenbrock: H = [[2 - 400 y + 1200 x², -400 x], [-400 x, 200]]; at (1, 1): [[802, -400], [-400, 200]].
    np.testing.assert_array_equal(
        gdlib.rosenbrock.hessian([1.0, 1.0]), [[802.0, -400.0], [-400.0, 200.0]]
    )
    # at (2, -1): 2 + 400 + 4800 = 5202, -800
    np.testing.assert_array_equal(
        gdlib.rosenbrock.hessian([2.0, -1.0]), [[5202.0, -800.0], [-800.0, 200.0]]
    )
    # NaN in, NaN out (the formula's value), never an exception: run() reports such runs as diverged.
    assert math.isnan(gdlib.rosenbrock.f([NAN, 1.0]))
    assert np.isnan(gdlib.rosenbrock.grad([1.0, NAN])).all()
    assert math.isinf(gdlib.ravine.f([INF, 0.0]))


QUADRATIC_BAD = [
    (dict(a=0.0), "a"),
    (dict(a=-1.0), "a"),
    (dict(b=NAN), "b"),
    (dict(b=INF), "b"),
    (dict(a="2"), "a"),
    (dict(b=True), "b"),
    (dict(name=3), "name"),
]


@pytest.mark.parametrize(
    "kwargs, name",
    QUADRATIC_BAD,
    ids=[f"{n}-{i}" for i, (_, n) in enumerate(QUADRATIC_BAD)],
)
def test_quadratic_rejects_bad_coefficients(kwargs, name):
    with pytest.raises(ValueError, match=_named(name)):
        gdlib.quadratic(**(dict(a=1.0, b=10.0) | kwargs))


def test_quadratic_keeps_tiny_coefficients_exact():
    # nsimplify(1e-300) is 0: the surface must still have curvature 1e-300, not 0.
    q = gdlib.quadratic(1e-300, 1.0)
    assert q.f([2.0, 0.0]) == pytest.approx(2e-300, rel=1e-15)  # (1e-300 * 4) / 2
    assert q.L == 1.0


GRID_BAD = [
    (dict(n=1), "n"),
    (dict(n=2.5), "n"),
    (dict(n=True), "n"),
    (dict(xlim=(1.0, 0.0)), "xlim"),
    (dict(xlim=(0.0, INF)), "xlim"),
    (dict(xlim=3.0), "xlim"),
    (dict(ylim=(NAN, 1.0)), "ylim"),
    (dict(ylim=(0.0, 1.0, 2.0)), "ylim"),
]


@pytest.mark.parametrize(
    "kwargs, name", GRID_BAD, ids=[f"{n}-{i}" for i, (_, n) in enumerate(GRID_BAD)]
)
def test_grid_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=_named(name)):
        gdlib.beale.grid(**kwargs)


# --- (4) schedules -----------------------------------------------------------------------------

SCHEDULES = {
    "constant": lambda: gdlib.constant(0.1),
    "time_based_decay": lambda: gdlib.time_based_decay(0.1, 0.5),
    "step_decay": lambda: gdlib.step_decay(0.1, 0.5, 3),
    "exponential_decay": lambda: gdlib.exponential_decay(0.1, 0.5),
    "robbins_monro": lambda: gdlib.robbins_monro(0.1, 2.0, 0.75),
}
BAD_T = [-1, -0.5, NAN, INF, -INF, True, "3", None, 1j, [0, -2], np.array([1.0, NAN])]


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_reject_a_bad_tick_naming_t(name):
    sched = SCHEDULES[name]()
    for t in BAD_T:
        with pytest.raises(ValueError, match=_named("t")):
            sched(t)
    assert sched(0) == pytest.approx(
        0.1, rel=1e-15
    )  # every schedule starts at eta0 = 0.1
    assert np.asarray(sched(np.array([0, 1]))).shape == (
        2,
    )  # arrays of ticks are evaluated element-wise


SCHEDULE_BAD = [
    (gdlib.constant, dict(eta0=NAN), "eta0"),
    (gdlib.constant, dict(eta0="0.1"), "eta0"),
    (gdlib.time_based_decay, dict(eta0=0.1, k=NAN), "k"),
    (gdlib.time_based_decay, dict(eta0=0.1, k=INF), "k"),
    (gdlib.step_decay, dict(eta0=0.1, drop=NAN), "drop"),
    (gdlib.step_decay, dict(eta0=0.1, drop=-0.5), "drop"),
    (gdlib.step_decay, dict(eta0=0.1, drop="0.5"), "drop"),
    (gdlib.step_decay, dict(eta0=0.1, every=True), "every"),
    (gdlib.step_decay, dict(eta0=0.1, every=-3), "every"),
    (gdlib.exponential_decay, dict(eta0=0.1, k=NAN), "k"),
    (gdlib.robbins_monro, dict(eta0=0.1, tau=INF), "tau"),
    (gdlib.robbins_monro, dict(eta0=0.1, power=NAN), "power"),
    (gdlib.log_grid, dict(low=1e-3, high=INF), "high"),
    (gdlib.log_grid, dict(low=1e-3, high=NAN), "high"),
    (gdlib.log_grid, dict(low=1e-3, high=1.0, per_decade=0), "per_decade"),
    (gdlib.log_grid, dict(low=1e-3, high=1.0, per_decade=2.5), "per_decade"),
]


@pytest.mark.parametrize(
    "fn, kwargs, name",
    SCHEDULE_BAD,
    ids=[f"{f.__name__}-{n}-{i}" for i, (f, _, n) in enumerate(SCHEDULE_BAD)],
)
def test_schedule_parameters_are_checked(fn, kwargs, name):
    with pytest.raises(ValueError, match=_named(name)):
        fn(**kwargs)


def test_step_decay_reaches_exactly_zero_where_its_docstring_says():
    # 1 * (1/2)^j: 2^-1074 (the smallest subnormal, 4.9e-324) after j = 1074 drops, then 0.0.
    sched = gdlib.step_decay(1.0, drop=0.5, every=10)
    assert sched(10739) == 2.0**-1073
    assert sched(10749) == 2.0**-1074 > 0
    assert sched(10750) == 0.0 and sched(10**6) == 0.0
    assert "1075" in gdlib.step_decay.__doc__


def test_schedules_do_not_overflow_to_nan():
    # eta0 tau^p / (tau + t)^p with tau = 1e308 and t = 1e308 is eta0 / 2; eta0 tau^p overflows.
    assert gdlib.robbins_monro(1.0, tau=1e308, power=1.0)(1e308) == 0.5
    assert gdlib.time_based_decay(1.0, 1e300)(1e300) == 0.0  # k t = inf: the limit 0
    assert gdlib.exponential_decay(1.0, 1e300)(1e300) == 0.0
    assert len(gdlib.log_grid(1e-300, 1e300, 1)) == 601  # high/low would overflow


finite = st.floats(allow_nan=False, allow_infinity=False)
anything = st.one_of(finite, st.floats(), st.integers(-5, 5))


@settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from(["constant", "time", "step", "exp", "rm"]),
    eta0=anything,
    p=anything,
    every=st.integers(-2, 1000),
    ts=st.lists(st.floats(0, 1e308), min_size=1, max_size=5),
)
def test_schedules_give_finite_nonnegative_rates_or_refuse(kind, eta0, p, every, ts):
    make = {
        "constant": lambda: gdlib.constant(eta0),
        "time": lambda: gdlib.time_based_decay(eta0, p),
        "step": lambda: gdlib.step_decay(eta0, p, every),
        "exp": lambda: gdlib.exponential_decay(eta0, p),
        "rm": lambda: gdlib.robbins_monro(eta0, p, 1.0),
    }[kind]
    try:
        sched = make()
    except ValueError:
        return
    for t in ts + [0, 7]:
        eta = sched(t)
        assert isinstance(eta, float) and math.isfinite(eta) and 0.0 <= eta <= eta0
    etas = sched(np.array(ts))
    assert np.all(np.isfinite(etas)) and np.all(etas >= 0)


# --- (5) ewa, benchmark, animation and plotting ------------------------------------------------


def test_ewa_values_by_hand():
    # beta = 1/2, x = (1, 2): v1 = 1/2, v2 = 1/4 + 1 = 5/4; corrected v1/(1/2) = 1, v2/(3/4) = 5/3.
    np.testing.assert_allclose(gdlib.ewa([1.0, 2.0], 0.5), [0.5, 1.25], rtol=1e-15)
    np.testing.assert_allclose(
        gdlib.ewa([1.0, 2.0], 0.5, bias_correction=True), [1.0, 5 / 3], rtol=1e-15
    )
    assert gdlib.ewa([], 0.9).shape == (0,)
    np.testing.assert_allclose(
        gdlib.ewa_weights(0.5, 2), [0.25, 0.5], rtol=1e-15
    )  # (1/2)(1/2)^1, (1/2)
    assert gdlib.ewa_weights(0.5, 0).shape == (0,)


def _problem(**kw):
    q = gdlib.quadratic(1, 10)
    args = dict(
        name="q",
        loss=q.f,
        grad=q.grad,
        theta0=lambda rng: np.array([1.0, 1.0]),
        steps=5,
        target=1e-8,
    )
    return B.Problem(**(args | kw))


def _race():
    return race(
        gdlib.ravine,
        {"GD": gdlib.GD(eta=0.02), "Adam": gdlib.Adam(eta=0.5)},
        [-8.0, 2.0],
        steps=4,
    )


GD_METHOD = B.Method("GD", lambda eta: gdlib.GD(eta=eta))

PUBLIC_BAD = {
    "ewa-beta-1": (lambda: gdlib.ewa([1.0], 1.0), "beta"),
    "ewa-beta-nan": (lambda: gdlib.ewa([1.0], NAN), "beta"),
    "ewa-beta-str": (lambda: gdlib.ewa([1.0], "0.9"), "beta"),
    "ewa-x-nan": (lambda: gdlib.ewa([1.0, NAN, 2.0], 0.9), "x"),
    "ewa-x-inf": (lambda: gdlib.ewa([[1.0, INF]], 0.9), "x"),
    "ewa-x-scalar": (lambda: gdlib.ewa(3.0, 0.9), "x"),
    "ewa-x-str": (lambda: gdlib.ewa(["a"], 0.9), "x"),
    "ewa-bias": (
        lambda: gdlib.ewa([1.0], 0.9, bias_correction="yes"),
        "bias_correction",
    ),
    "ewa_weights-beta": (lambda: gdlib.ewa_weights(-0.1, 3), "beta"),
    "ewa_weights-t-neg": (lambda: gdlib.ewa_weights(0.9, -1), "t"),
    "ewa_weights-t-float": (lambda: gdlib.ewa_weights(0.9, 2.5), "t"),
    "methods-str": (lambda: B.methods("Adam"), "names"),
    "methods-unknown": (lambda: B.methods(["Adma"]), "names"),
    "methods-schedules": (lambda: B.methods(None, schedules="no"), "schedules"),
    "problems-unknown": (lambda: B.problems(["ravine", "rosenbrok"]), "names"),
    "problems-scale": (lambda: B.problems(["ravine"], scale=0.0), "scale"),
    "problems-scale-nan": (lambda: B.problems(["ravine"], scale=NAN), "scale"),
    "Problem-steps": (lambda: _problem(steps=0), "steps"),
    "Problem-target": (lambda: _problem(target=NAN), "target"),
    "Problem-eval_every": (lambda: _problem(eval_every=0), "eval_every"),
    "Problem-loss": (lambda: _problem(loss=3.0), "loss"),
    "Problem-batch_size": (
        lambda: _problem(grad=None, batch_grad=lambda th, r: th, n=10, batch_size=20),
        "batch_size",
    ),
    "Method-make": (lambda: B.Method("m", make=None), "make"),
    "run_problem-eta": (lambda: B.run_problem(GD_METHOD, 0.0, _problem(), 0), "eta"),
    "run_problem-eta-nan": (
        lambda: B.run_problem(GD_METHOD, NAN, _problem(), 0),
        "eta",
    ),
    "run_problem-seed": (lambda: B.run_problem(GD_METHOD, 0.1, _problem(), -1), "seed"),
    "run_problem-theta0": (
        lambda: B.run_problem(
            GD_METHOD, 0.1, _problem(theta0=lambda rng: [NAN, 0.0]), 0
        ),
        "problem.theta0",
    ),
    "run_problem-method": (lambda: B.run_problem("GD", 0.1, _problem(), 0), "method"),
    "tune-grid-nan": (lambda: B.tune(GD_METHOD, _problem(), [0.1, NAN]), "grid"),
    "tune-grid-neg": (lambda: B.tune(GD_METHOD, _problem(), [-0.1]), "grid"),
    "tune-grid-empty": (lambda: B.tune(GD_METHOD, _problem(), []), "grid"),
    "tune-seeds-empty": (
        lambda: B.tune(GD_METHOD, _problem(), [0.1], seeds=()),
        "seeds",
    ),
    "tune-seeds-float": (
        lambda: B.tune(GD_METHOD, _problem(), [0.1], seeds=(0.5,)),
        "seeds",
    ),
    "evaluate-eta": (lambda: B.evaluate(GD_METHOD, INF, _problem()), "eta"),
    "evaluate-seeds": (
        lambda: B.evaluate(GD_METHOD, 0.1, _problem(), seeds=[]),
        "seeds",
    ),
    "benchmark-problem_set": (
        lambda: B.benchmark([_problem()], {"GD": GD_METHOD}, [0.1]),
        "problem_set",
    ),
    "benchmark-method_set": (
        lambda: B.benchmark({"q": _problem()}, {"GD": "GD"}, [0.1]),
        "method_set",
    ),
    "benchmark-eval_seeds": (
        lambda: B.benchmark({"q": _problem()}, {"GD": GD_METHOD}, [0.1], eval_seeds=()),
        "eval_seeds",
    ),
    "benchmark-progress": (
        lambda: B.benchmark({"q": _problem()}, {"GD": GD_METHOD}, [0.1], progress=1),
        "progress",
    ),
    "markdown_table-rows": (lambda: B.markdown_table([{"problem": "q"}]), "rows"),
    "markdown_table-columns": (lambda: B.markdown_table([], columns=[]), "columns"),
    "race-optimizers-empty": (lambda: race(gdlib.ravine, {}, [0.0, 1.0]), "optimizers"),
    "race-optimizer-type": (
        lambda: race(gdlib.ravine, {"GD": "GD"}, [0.0, 1.0]),
        "optimizers",
    ),
    "race-theta0-shape": (
        lambda: race(gdlib.ravine, {"GD": gdlib.GD()}, [0.0, 1.0, 2.0]),
        "theta0",
    ),
    "race-theta0-nan": (
        lambda: race(gdlib.ravine, {"GD": gdlib.GD()}, [NAN, 1.0]),
        "theta0",
    ),
    "race-theta0-extra": (
        lambda: race(gdlib.ravine, {"GD": gdlib.GD()}, {"GD": [0, 1], "Adam": [0, 1]}),
        "theta0",
    ),
    "race-steps": (
        lambda: race(gdlib.ravine, {"GD": gdlib.GD()}, [0.0, 1.0], steps=-1),
        "steps",
    ),
    "race-tol": (
        lambda: race(gdlib.ravine, {"GD": gdlib.GD()}, [0.0, 1.0], tol=NAN),
        "tol",
    ),
    "race-surface": (
        lambda: race(lambda th: 0.0, {"GD": gdlib.GD()}, [0.0, 1.0]),
        "surface",
    ),
    "frame_steps-frames": (lambda: frame_steps(_race(), 0), "frames"),
    "frame_steps-frames-bool": (lambda: frame_steps(_race(), True), "frames"),
    "frame_steps-results": (lambda: frame_steps({}, 3), "results"),
    "animate_race-frames": (
        lambda: animate_race(gdlib.ravine, _race(), frames=0),
        "frames",
    ),
    "animate_race-dpi": (lambda: animate_race(gdlib.ravine, _race(), dpi=0), "dpi"),
    "animate_race-figsize": (
        lambda: animate_race(gdlib.ravine, _race(), figsize=(5, NAN)),
        "figsize",
    ),
    "animate_race-interval": (
        lambda: animate_race(gdlib.ravine, _race(), interval=-1),
        "interval",
    ),
    "animate_race-marks": (
        lambda: animate_race(gdlib.ravine, _race(), marks={"p": [1.0]}),
        "marks",
    ),
    "frame_grid-ncols": (lambda: frame_grid(gdlib.ravine, _race(), ncols=0), "ncols"),
    "frame_grid-steps": (
        lambda: frame_grid(gdlib.ravine, _race(), steps=[0, -1]),
        "steps",
    ),
    "frame_grid-n_frames": (
        lambda: frame_grid(gdlib.ravine, _race(), n_frames=0),
        "n_frames",
    ),
    "frame_grid-panel_size": (
        lambda: frame_grid(gdlib.ravine, _race(), panel_size=3),
        "panel_size",
    ),
    "to_html-anim": (lambda: to_html("anim"), "anim"),
    "html_size-html": (lambda: html_size(b"<p>"), "html"),
    "color_for-float": (lambda: plotting.color_for(2.7), "name_or_index"),
    "linestyle_for-int": (lambda: plotting.linestyle_for(3), "name"),
    "contour-n": (lambda: plotting.contour(gdlib.ravine, n=1), "n"),
    "contour-levels": (lambda: plotting.contour(gdlib.ravine, levels=1), "levels"),
    "contour-xlim": (lambda: plotting.contour(gdlib.ravine, xlim=(2, 1)), "xlim"),
    "contour-window": (
        lambda: plotting.contour(gdlib.rosenbrock, xlim=(-1e200, 1e200)),
        "xlim",
    ),
    "contour-surface": (lambda: plotting.contour(lambda th: 0.0), "surface"),
    "plot_path-thetas": (
        lambda: plotting.plot_path(plt.gca(), [1.0, 2.0, 3.0]),
        "thetas",
    ),
    "plot_path-every": (
        lambda: plotting.plot_path(plt.gca(), [[1.0, 2.0]], every=0),
        "every",
    ),
    "plot_paths-results": (lambda: plotting.plot_paths(gdlib.ravine, {}), "results"),
    "loss_curves-f_min": (
        lambda: plotting.loss_curves({"a": [1.0, 0.5]}, f_min=NAN),
        "f_min",
    ),
    "loss_curves-results": (lambda: plotting.loss_curves([1.0, 0.5]), "results"),
    "loss_curves-shape": (lambda: plotting.loss_curves({"a": [[1.0, 0.5]]}), "results"),
}


@pytest.mark.parametrize("case", PUBLIC_BAD)
def test_public_arguments_are_checked_and_named(case):
    call, name = PUBLIC_BAD[case]
    try:
        with pytest.raises(ValueError, match=_named(name)):
            call()
    finally:
        plt.close("all")


def test_to_html_checks_colors_before_rendering():
    anim = animate_race(gdlib.ravine, _race(), frames=2, figsize=(2, 2), dpi=30)
    try:
        for colors in (1, 300, 2.5, True):
            with pytest.raises(ValueError, match=_named("colors")):
                to_html(anim, colors=colors)
        assert (
            html_size(to_html(anim, colors=16)) > 0
        )  # the same animation still renders
    finally:
        plt.close("all")
