"""Optimizer.step is all or nothing, never hangs, and never turns finite input into NaN.

Each test names the class of failure it guards against (issue "Reliability"):
a forked child and the thread pool, a step that raises half-way, NaN/inf in the gradient or
the parameters, finite inputs that overflow, and the in-place contract for every dtype.
"""

import multiprocessing as mp

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gdlib
from gdlib import OPTIMIZERS, NonFiniteError
from gdlib.base import BACKUP_LIMIT

NAMES = [cls.__name__ for cls in OPTIMIZERS]


def snapshot(opt, theta):
    """Everything a step may change: t, a copy of each state array (or None), θ."""
    state = {
        n: None if getattr(opt, n) is None else getattr(opt, n).copy()
        for n in opt.state_names
    }
    return opt.t, state, np.array(theta, copy=True)


def assert_unchanged(opt, theta, snap):
    t, state, theta_before = snap
    assert opt.t == t
    for name, value in state.items():
        now = getattr(opt, name)
        if value is None:
            assert now is None, f"{name} was created by a step that failed"
        else:
            np.testing.assert_array_equal(now, value, err_msg=f"state {name} changed")
    np.testing.assert_array_equal(theta, theta_before)


def quadratic_grad(theta):
    return 2.0 * theta


# --- 1. nothing hangs: the thread pool in a forked child -------------------------------------


def _large_step_in_child(n):
    theta = np.ones(n)
    gdlib.Adam().step(theta, quadratic_grad)  # needs the (child's own) pool
    assert np.all(theta < 1.0)


def test_a_forked_child_can_take_a_large_step():
    """The parent used the worker pool; a child forked afterwards must not wait on its threads."""
    n = 32 * gdlib.Optimizer.chunk  # enough blocks for two threads
    opt = gdlib.Adam()
    opt.threads = 2
    opt.step(np.ones(n), quadratic_grad)  # the parent's pool now exists
    assert gdlib.base._POOLS, "the large step should have created a thread pool"
    ctx = mp.get_context("fork")
    child = ctx.Process(target=_large_step_in_child, args=(n,))
    child.start()
    child.join(timeout=120)
    hung = child.is_alive()
    if hung:
        child.kill()
        child.join()
    assert not hung, "the forked child hung on its first large step"
    assert child.exitcode == 0


@pytest.mark.parametrize(
    "attr, value",
    [("chunk", 0), ("chunk", -5), ("chunk", 2.5), ("threads", 0), ("threads", True)],
)
def test_chunk_and_threads_are_validated(attr, value):
    opt = gdlib.GD()
    setattr(opt, attr, value)
    with pytest.raises(ValueError, match=attr):
        opt.step(np.ones(10), quadratic_grad)


# --- 2. a step is all or nothing ---------------------------------------------------------------


def _bad_calls():
    """(label, theta factory, grad_fn) triples that must each raise and change nothing."""

    def read_only():
        theta = np.ones(3)
        theta.flags.writeable = False
        return theta

    def raising(theta):
        raise RuntimeError("the model failed")

    return [
        ("read-only theta", read_only, quadratic_grad),
        ("shape change", lambda: np.ones(4), quadratic_grad),
        ("complex gradient", lambda: np.ones(3), lambda th: th * (1 + 1j)),
        ("gradient of wrong shape", lambda: np.ones(3), lambda th: np.ones(2)),
        ("object gradient", lambda: np.ones(3), lambda th: np.array([None] * 3)),
        ("NaN gradient", lambda: np.ones(3), lambda th: np.array([1.0, np.nan, 1.0])),
        ("inf gradient", lambda: np.ones(3), lambda th: np.array([1.0, 1.0, -np.inf])),
        ("NaN parameters", lambda: np.array([1.0, np.nan, 1.0]), quadratic_grad),
        ("grad_fn raises", lambda: np.ones(3), raising),
        ("int theta", lambda: np.ones(3, dtype=np.int64), quadratic_grad),
    ]


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
@pytest.mark.parametrize(
    "label, make_theta, grad_fn", _bad_calls(), ids=[c[0] for c in _bad_calls()]
)
@pytest.mark.parametrize("steps_before", [0, 2])
def test_a_failed_step_changes_nothing(cls, label, make_theta, grad_fn, steps_before):
    opt = cls()
    theta_ok = np.array([0.5, -1.0, 2.0])
    for _ in range(steps_before):
        opt.step(theta_ok, quadratic_grad)
    if steps_before == 0 and label == "shape change":
        pytest.skip("a first step may choose any shape")
    theta = make_theta()
    snap = snapshot(opt, theta)
    with pytest.raises((ValueError, RuntimeError)):
        opt.step(theta, grad_fn)
    assert_unchanged(opt, theta, snap)
    opt.step(theta_ok, quadratic_grad)  # and it still works afterwards
    assert opt.t == steps_before + 1


def test_errors_say_what_where_and_how_many():
    opt = gdlib.Adam()
    opt.step(np.ones(4), quadratic_grad)
    with pytest.raises(
        NonFiniteError,
        match=r"gradient with 2 NaN or inf coordinate\(s\) of 4 at step 2",
    ) as err:
        opt.step(np.ones(4), lambda th: np.array([np.nan, 1.0, np.inf, 1.0]))
    assert (err.value.what, err.value.step, err.value.count) == ("gradient", 2, 2)
    with pytest.raises(
        NonFiniteError,
        match=r"parameters hold 1 NaN or inf coordinate\(s\) of 4 at step 2",
    ) as err:
        opt.step(np.array([1.0, 1.0, 1.0, -np.inf]), quadratic_grad)
    assert (err.value.what, err.value.step, err.value.count) == ("parameters", 2, 1)
    with pytest.raises(ValueError, match=r"call reset\(\)"):
        opt.step(np.ones(5), quadratic_grad)
    opt.reset()
    opt.step(np.ones(5), quadratic_grad)  # after reset() any shape is fine


def test_a_subclass_that_overrides_reset_still_steps():
    class Plain(gdlib.Optimizer):
        def __init__(self):
            self.t = 0  # no super().__init__(), no reset()

        def update(self, theta, g):
            theta -= 0.5 * g

    theta = np.array([2.0])
    Plain().step(theta, quadratic_grad)
    assert theta[0] == 0.0  # 2 − 0.5·4


# --- 3. no silent NaN or inf -------------------------------------------------------------------


def test_nadam_with_a_huge_finite_gradient_raises_instead_of_nan():
    theta = np.zeros(1)
    opt = gdlib.Nadam()
    with pytest.raises(NonFiniteError, match="square overflows") as err:
        opt.step(theta, lambda th: np.array([1e308]))
    assert err.value.what == "gradient"
    assert opt.t == 0 and opt.m is None and theta[0] == 0.0


def test_adam_without_second_moment_memory_stays_finite_after_a_huge_gradient():
    opt = gdlib.Adam(beta2=0.0)
    theta = np.zeros(1)
    with pytest.raises(NonFiniteError):
        opt.step(theta, lambda th: np.array([1.4e154]))  # g² = 1.96e308 overflows
    opt.step(theta, lambda th: np.array([1.0]))  # the next, ordinary step
    assert (
        np.isfinite(theta).all()
        and np.isfinite(opt.v).all()
        and np.isfinite(opt.m).all()
    )
    # with β2 = 0 and one step: v̂ = g² = 1, m̂ = g = 1, so θ = −η·1/(1 + ε)
    assert theta[0] == pytest.approx(-0.001 / (1 + 1e-8), rel=1e-12)


def test_a_gradient_just_below_the_square_limit_is_accepted():
    opt = gdlib.Adagrad()
    theta = np.zeros(1)
    opt.step(theta, lambda th: np.array([1e154]))  # 1e308 < float64 max
    assert np.isfinite(opt.G).all() and opt.G[0] == pytest.approx(1e308)


def test_an_overflowing_update_is_undone():
    opt = gdlib.GD(eta=1e300)
    theta = np.array([1e10, 1.0])
    with pytest.raises(NonFiniteError, match="overflowed") as err:
        opt.step(theta, quadratic_grad)  # 1e300 · 2e10 overflows
    assert err.value.what == "update"
    np.testing.assert_array_equal(theta, [1e10, 1.0])
    assert opt.t == 0


def test_an_overflowing_running_sum_is_caught_and_undone():
    """Adagrad's G is a sum: it can overflow while θ stays finite."""
    opt = gdlib.Adagrad()
    theta = np.zeros(2)
    g = np.array([1.2e154, 0.0])
    opt.step(theta, lambda th: g)  # G = 1.44e308
    snap = snapshot(opt, theta)
    with pytest.raises(NonFiniteError, match="G") as err:
        opt.step(theta, lambda th: g)  # G would be 2.88e308 = inf
    assert err.value.what == "update"
    assert_unchanged(opt, theta, snap)


def test_large_theta_with_huge_values_is_undone_too():
    n = 2 * BACKUP_LIMIT
    theta = np.full(n, 1e200)
    opt = gdlib.GD(eta=1e200)
    with pytest.raises(NonFiniteError):
        opt.step(theta, lambda th: np.full(n, 1e120))
    assert opt.t == 0 and np.all(theta == 1e200)


def test_large_theta_that_cannot_be_undone_refuses_to_go_on():
    """Moderate θ and g, absurd η: the update overflows and no copy was taken (documented)."""
    n = 2 * BACKUP_LIMIT
    opt = gdlib.GD(eta=1e305)
    theta = np.full(n, 1.0)
    with pytest.raises(NonFiniteError, match="could not be undone"):
        opt.step(theta, lambda th: np.full(n, 1e10))
    with pytest.raises(RuntimeError, match=r"reset\(\)"):
        opt.step(np.ones(n), quadratic_grad)
    opt.reset()
    opt.eta = 0.1
    opt.step(theta := np.ones(n), quadratic_grad)
    assert np.all(theta == 0.8)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
vectors = st.integers(1, 4).flatmap(
    lambda n: st.tuples(
        st.lists(finite, min_size=n, max_size=n),
        st.lists(st.lists(finite, min_size=n, max_size=n), min_size=1, max_size=4),
    )
)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=vectors)
def test_finite_inputs_never_give_nan(cls, data):
    """Any finite θ and gradients: each step either succeeds with finite θ and state, or
    raises and changes nothing."""
    theta0, grads = data
    opt, theta = cls(), np.array(theta0)
    for g in grads:
        snap = snapshot(opt, theta)
        try:
            opt.step(theta, lambda th, g=g: np.array(g))
        except NonFiniteError:
            assert_unchanged(opt, theta, snap)
            continue
        assert np.isfinite(theta).all()
        for name in opt.state_names:
            assert np.isfinite(getattr(opt, name)).all(), name


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-300, 1e-3, 1.0, 1e10, 1e150, 1e300]),
)
def test_chunked_and_whole_updates_stay_bit_identical(cls, seed, scale):
    rng = np.random.default_rng(seed)
    theta0 = scale * rng.standard_normal(23)
    grads = [scale * rng.standard_normal(23) for _ in range(3)]
    whole, chunked = cls(), cls()
    whole.chunk = 10**9
    chunked.chunk, chunked.threads = 2, 2  # 12 blocks: the threaded path
    a, b = theta0.copy(), theta0.copy()
    for g in grads:
        outcome = []
        for opt, theta in ((whole, a), (chunked, b)):
            try:
                opt.step(theta, lambda th, g=g: g)
                outcome.append(None)
            except NonFiniteError as err:
                outcome.append(err.what)
        assert outcome[0] == outcome[1]
        np.testing.assert_array_equal(a, b)
        for name in cls.state_names:
            np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name))


# --- 4. the in-place contract ---------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype",
    [np.float16, np.longdouble, np.int64, np.int8, np.bool_, np.complex128, object],
)
def test_unsupported_dtypes_are_refused_not_copied(dtype):
    theta = np.ones(3, dtype=dtype)
    with pytest.raises(ValueError, match="float64 or float32"):
        gdlib.GD().step(theta, quadratic_grad)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_float32_theta_is_updated_in_place(cls):
    theta = np.array([1.0, -2.0], dtype=np.float32)
    out = cls().step(theta, quadratic_grad)
    assert out is theta and theta.dtype == np.float32
    assert not np.array_equal(theta, [1.0, -2.0])


def test_a_list_is_converted_and_complex_lists_are_refused():
    assert isinstance(gdlib.GD().step([1, 2], quadratic_grad), np.ndarray)
    with pytest.raises(ValueError, match="real numbers"):
        gdlib.GD().step([1j, 2], quadratic_grad)


def test_integer_and_bool_gradients_are_read_as_floats():
    theta = np.array([1.0, 1.0])
    gdlib.GD(eta=0.5).step(theta, lambda th: np.array([True, False]))
    np.testing.assert_array_equal(theta, [0.5, 1.0])
    gdlib.GD(eta=0.5).step(
        theta, lambda th: np.array([2**62, 0])
    )  # no integer wrap-around
    assert theta[0] == pytest.approx(0.5 - 2.0**61)
