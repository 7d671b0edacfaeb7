"""The one optimizer interface: every optimizer of the book obeys the same contract."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib
from gdlib import OPTIMIZERS

NAMES = [
    "GD",
    "Momentum",
    "NAG",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdaMax",
    "Nadam",
    "AMSGrad",
    "AdamW",
    "QHM",
    "QHAdam",
    "AggMo",
    "Shampoo",
    "SOAP",
    "Muon",
    "Adafactor",
    "LARS",
    "LAMB",
    "Lookahead",
    "Lion",
    "Sophia",
    "ScheduleFreeSGD",
    "ScheduleFreeAdamW",
    "Prodigy",
    "RAdam",
]


def quad_grad(theta):
    return np.array([1.0, 10.0]) * theta


def test_all_optimizers_are_exported_from_the_top_level():
    assert [cls.__name__ for cls in OPTIMIZERS] == NAMES
    for name in NAMES:
        assert getattr(gdlib, name) is getattr(gdlib.optimizers, name)
        assert issubclass(getattr(gdlib, name), gdlib.Optimizer)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_docstring_writes_the_rule_and_cites_a_source(cls):
    doc = cls.__doc__
    assert ".. math::" in doc
    assert "References" in doc and any(str(year) in doc for year in range(1847, 2027))


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_step_returns_updated_parameters_in_place(cls):
    # Prodigy's first steps are d0-sized by design (d0 = 1e-6 under-estimates ‖θ0 − θ*‖)
    opt = cls(d0=0.01) if cls is gdlib.Prodigy else cls()
    theta = np.array([1.0, -2.0])
    out = opt.step(theta, quad_grad)
    assert out is theta  # float arrays are updated in place
    assert opt.t == 1
    assert not np.allclose(theta, [1.0, -2.0])
    assert np.all(np.isfinite(theta))


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_lists_and_int_arrays_are_converted_not_mutated(cls):
    start = [1, -2]
    out = cls().step(start, quad_grad)
    assert start == [1, -2]
    assert out.dtype == np.float64


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_state_uses_the_books_names_and_reset_clears_it(cls):
    opt = cls()
    for name in cls.state_names:
        assert getattr(opt, name) is None
    first = opt.step(np.array([1.0, -2.0]), quad_grad).copy()
    for name in cls.state_names:
        assert isinstance(getattr(opt, name), np.ndarray)
    opt.step(np.array([3.0, 3.0]), quad_grad)
    opt.reset()
    assert opt.t == 0 and all(getattr(opt, n) is None for n in cls.state_names)
    again = opt.step(np.array([1.0, -2.0]), quad_grad)
    np.testing.assert_array_equal(again, first)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_gradient_with_the_wrong_shape_is_a_clear_error(cls):
    with pytest.raises(ValueError, match=r"shape \(3,\).*theta has shape \(2,\)"):
        cls().step(np.array([1.0, 2.0]), lambda th: np.ones(3))


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_theta0_is_a_clear_error(cls, bad):
    with pytest.raises(ValueError, match="theta0 must be finite"):
        cls().step(np.array([1.0, bad]), quad_grad)


RANGES = {  # hyperparameter -> (a bad value, words the message must contain)
    "eta": [(0.0, "eta must be in (0, inf)"), (-1e-3, "eta"), (np.nan, "eta")],
    "gamma": [(1.0, "gamma must be in [0, 1)"), (-0.1, "gamma")],
    "beta1": [(1.0, "beta1 must be in [0, 1)"), (-0.5, "beta1")],
    "beta2": [(1.0, "beta2 must be in"), (1.5, "beta2")],
    "beta": [(1.0, "beta must be in [0, 1)")],
    "eps": [(-1e-8, "eps must be in")],
    "weight_decay": [(-0.1, "weight_decay must be in [0, inf)")],
    "nu": [(1.5, "nu must be in [0, 1]"), (-0.1, "nu")],
    "nu1": [(2.0, "nu1 must be in [0, 1]")],
    "nu2": [(-1.0, "nu2 must be in [0, 1]")],
    "trust_coefficient": [(0.0, "trust_coefficient must be in (0, inf)")],
    "eta_slow": [(0.0, "eta_slow must be in (0, 1]"), (1.5, "eta_slow")],
    "k": [(0, "k must be an integer >= 1"), (2.5, "k must be an integer")],
    "hess_scale": [(0.0, "hess_scale must be in (0, inf)")],
    "warmup": [(-1, "warmup must be an integer >= 0")],
    "beta3": [(1.0, "beta3 must be in [0, 1)")],
    "d0": [(0.0, "d0 must be in (0, inf)")],
}


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_bad_hyperparameters_raise_value_errors_naming_them(cls):
    hyper = cls().hyperparameters()
    checked = 0
    for name in hyper:
        for value, words in RANGES.get(name, []):
            with pytest.raises(
                ValueError,
                match=words.replace("(", r"\(")
                .replace(")", r"\)")
                .replace("[", r"\[")
                .replace("]", r"\]"),
            ):
                cls(**{name: value})
            checked += 1
    assert checked >= 1


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_setting_a_hyperparameter_later_is_checked_too(cls):
    opt = cls()
    name = next(iter(opt.hyperparameters()))  # eta, or gamma for Adadelta
    with pytest.raises(ValueError, match=name):
        setattr(opt, name, -1.0)
    with pytest.raises(ValueError, match=f"{name} must be a real number"):
        setattr(opt, name, "0.1")


def test_adamax_beta2_must_be_positive_so_zero_coordinates_never_divide():
    with pytest.raises(ValueError, match=r"beta2 must be in \(0, 1\)"):
        gdlib.AdaMax(beta2=0.0)


@pytest.mark.parametrize("betas", [(), (0.9, 1.0), (-0.1,), (0.5, float("nan"))])
def test_aggmo_betas_are_checked(betas):
    with pytest.raises(ValueError, match="betas"):
        gdlib.AggMo(betas=betas)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_float32_parameters_stay_float32(cls):
    theta = np.array([1.0, -2.0], dtype=np.float32)
    out = cls().step(theta, lambda th: np.array([1.0, 10.0], dtype=np.float32) * th)
    assert out.dtype == np.float32


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_matrix_shaped_parameters_work(cls):
    theta = np.arange(6.0).reshape(2, 3) + 1
    out = cls().step(theta, lambda th: 2 * th)
    assert out.shape == (2, 3) and np.all(np.isfinite(out))


@settings(max_examples=40, deadline=None)
@given(eta=st.floats(1e-4, 0.5), x=st.floats(-10, 10), y=st.floats(-10, 10))
def test_gd_step_is_theta_minus_eta_times_gradient(eta, x, y):
    theta = np.array([x, y])
    expected = theta - eta * quad_grad(theta)
    np.testing.assert_allclose(
        gdlib.GD(eta=eta).step(theta, quad_grad), expected, rtol=1e-15, atol=1e-15
    )


def test_gd_hand_computed_steps():
    # f = (x² + 10 y²)/2 from (1, 1) with η = 0.1: x ← 0.9x, y ← 0·y
    opt, theta = gdlib.GD(eta=0.1), np.array([1.0, 1.0])
    opt.step(theta, quad_grad)
    np.testing.assert_allclose(theta, [0.9, 0.0], atol=1e-15)
    opt.step(theta, quad_grad)
    np.testing.assert_allclose(theta, [0.81, 0.0], atol=1e-15)


def test_repr_shows_hyperparameters():
    assert repr(gdlib.Momentum(eta=0.1, gamma=0.5)) == "Momentum(eta=0.1, gamma=0.5)"
    assert "betas=(0.0, 0.9)" in repr(gdlib.AggMo(betas=(0.0, 0.9)))
    assert math.isclose(gdlib.Adam().hyperparameters()["beta2"], 0.999)


@pytest.mark.parametrize("cls", OPTIMIZERS, ids=NAMES)
def test_chunked_updates_give_bit_identical_results(cls):
    # step() applies element-wise rules block by block for speed; the result must not change.
    rng = np.random.default_rng(1)
    theta0 = rng.standard_normal((3, 7001))
    scale = rng.uniform(0.1, 10, theta0.shape)
    grad = lambda th: scale * th + np.where(scale > 5, 0.0, 0.3)  # noqa: E731

    whole, chunked, threaded = cls(), cls(), cls()
    whole.chunk = 10**9
    chunked.chunk, chunked.threads = 1000, 1
    threaded.chunk, threaded.threads = 1000, 2  # 22 blocks: two threads of 11
    a, b, c = theta0.copy(), theta0.copy(), theta0.copy()
    for _ in range(5):
        whole.step(a, grad)
        chunked.step(b, grad)
        threaded.step(c, grad)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    for name in cls.state_names:
        np.testing.assert_array_equal(getattr(whole, name), getattr(chunked, name))
        np.testing.assert_array_equal(getattr(whole, name), getattr(threaded, name))
        packed = name in getattr(cls, "packed", {})  # per-matrix state is packed flat
        # the full state is kept (scalar state, such as Prodigy's d_t, has no shape)
        assert (
            packed
            or getattr(chunked, name).ndim == 0
            or (getattr(chunked, name).shape[-2:] == theta0.shape)
        )


def test_aggmo_betas_set_later_are_checked_and_reset_the_state():
    opt = gdlib.AggMo(betas=(0.0, 0.9))
    opt.step(np.array([1.0, 2.0]), quad_grad)
    with pytest.raises(ValueError, match="betas"):
        opt.betas = (1.5,)
    opt.betas = (0.5, 0.9, 0.99)
    assert opt.t == 0 and opt.v is None
    opt.step(np.array([1.0, 2.0]), quad_grad)
    assert opt.v.shape == (3, 2)


EPS_OPTIMIZERS = [
    cls
    for cls in OPTIMIZERS
    if "eps" in cls().hyperparameters() and cls is not gdlib.Adadelta
]


@pytest.mark.parametrize(
    "cls", EPS_OPTIMIZERS + [gdlib.AdaMax], ids=lambda c: c.__name__
)
def test_a_coordinate_that_sees_only_zero_gradients_never_becomes_nan(cls):
    # With ε = 0 the denominator of the first coordinate is exactly 0; it must stay put.
    opt = cls(eps=0.0) if cls is not gdlib.AdaMax else cls()
    if cls is gdlib.AdamW:
        opt.weight_decay = 0.0  # decay alone would move θ toward 0
    theta = np.array([0.5, 1.0])
    for _ in range(5):
        opt.step(theta, lambda th: np.array([0.0, 2 * th[1]]))
    assert theta[0] == 0.5 and np.isfinite(theta[1]) and theta[1] != 1.0


def test_adadelta_needs_a_positive_eps():
    with pytest.raises(ValueError, match=r"eps must be in \(0, inf\)"):
        gdlib.Adadelta(eps=0.0)


def test_blocks_are_views_in_order():
    from gdlib.base import blocks

    x = np.arange(10.0)
    W, b, c = blocks(x, [(2, 3), (3,), 1])
    assert W.tolist() == [[0, 1, 2], [3, 4, 5]] and b.tolist() == [6, 7, 8]
    W[0, 0] = -1.0
    assert x[0] == -1.0 and c.tolist() == [9.0]
    assert blocks(x)[0] is x


@pytest.mark.parametrize(
    "shapes", [[(2, 3)], [(0, 3), (10,)], "ab", [], [(2.5, 4)], [(True, 10)], 7]
)
def test_bad_shapes_are_refused(shapes):
    from gdlib.base import blocks

    with pytest.raises(ValueError, match="shape"):
        blocks(np.zeros(10), shapes)


def test_mlp_param_shapes_match_unpack():
    net = gdlib.MLP(4, hidden=(3,), n_classes=2)
    theta = np.arange(float(net.n_params))
    from gdlib.base import blocks

    for got, (W, b) in zip(
        zip(*[iter(blocks(theta, net.param_shapes))] * 2), net.unpack(theta)
    ):
        assert np.array_equal(got[0], W) and np.array_equal(got[1], b)
