"""Tests of gdlib.strategies: batch normalization, early stopping, gradient noise, orders and fit."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib
from gdlib.strategies import (
    BatchNormMLP,
    EarlyStopping,
    GradientNoise,
    batchnorm_backward,
    batchnorm_forward,
    curriculum,
    fit,
)


# --- batch normalization ---------------------------------------------------------------------
@pytest.mark.parametrize("m, k, seed", [(2, 1, 0), (3, 2, 1), (7, 4, 2), (16, 3, 3)])
def test_batchnorm_backward_matches_finite_differences(m, k, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(1.0, 2.0, size=(m, k))
    gamma, beta, dy = rng.normal(size=k), rng.normal(size=k), rng.normal(size=(m, k))
    _, cache = batchnorm_forward(z, gamma, beta, eps=1e-3)
    dz, dgamma, dbeta = batchnorm_backward(dy, cache)

    def L(z_, g_=gamma, b_=beta):
        return float(np.sum(dy * batchnorm_forward(z_, g_, b_, eps=1e-3)[0]))

    np.testing.assert_allclose(dz, gdlib.numerical_gradient(L, z), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        dgamma,
        gdlib.numerical_gradient(lambda g: L(z, g_=g), gamma),
        rtol=1e-6,
        atol=1e-8,
    )
    np.testing.assert_allclose(
        dbeta,
        gdlib.numerical_gradient(lambda b: L(z, b_=b), beta),
        rtol=1e-6,
        atol=1e-8,
    )


def test_batchnorm_backward_closed_form_by_hand():
    # m = 2, eps = 0: z_hat = (+1, -1) for z1 > z2, and the gradient with respect to z vanishes
    # (derived by hand: z_hat does not change under small changes of z1, z2).
    y, cache = batchnorm_forward(
        np.array([[3.0], [1.0]]), np.array([2.0]), np.array([0.5]), eps=0.0
    )
    np.testing.assert_allclose(y.ravel(), [2.5, -1.5])
    dz, dgamma, dbeta = batchnorm_backward(np.array([[0.7], [-0.2]]), cache)
    np.testing.assert_allclose(dz, 0.0, atol=1e-15)
    assert dgamma[0] == pytest.approx(0.7 * 1 + (-0.2) * (-1))
    assert dbeta[0] == pytest.approx(0.5)


@given(st.integers(2, 30), st.integers(1, 5), st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_batchnorm_output_is_standardized_per_feature(m, k, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(rng.normal(size=k) * 5, rng.uniform(0.5, 3.0, size=k), size=(m, k))
    if np.any(z.std(axis=0) < 1e-6):
        return
    y, _ = batchnorm_forward(z, np.ones(k), np.zeros(k), eps=0.0)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-10)
    y_eps, _ = batchnorm_forward(z, np.ones(k), np.zeros(k), eps=0.1)
    np.testing.assert_allclose(
        y_eps.var(axis=0), z.var(axis=0) / (z.var(axis=0) + 0.1), rtol=1e-10
    )


def test_batchnorm_rejects_a_single_row():
    with pytest.raises(ValueError, match="at least 2 rows"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("hidden, seed", [((4,), 0), ((5, 3), 1), ((3, 3, 2), 2)])
def test_batchnorm_mlp_gradient_matches_finite_differences(activation, hidden, seed):
    rng = np.random.default_rng(seed)
    net = BatchNormMLP(4, hidden, 3, activation=activation, l2=0.02)
    theta = net.init() + 0.1 * rng.standard_normal(net.n_params)
    X, y = rng.standard_normal((9, 4)), rng.integers(0, 3, 9)
    g = net.grad(theta, X, y)
    np.testing.assert_allclose(
        g,
        gdlib.numerical_gradient(lambda th: net.loss(th, X, y), theta),
        rtol=1e-5,
        atol=1e-8,
    )


def test_batchnorm_mlp_parameter_count():
    # hidden layers with BN: W (m*k) + gamma (k) + beta (k); output: W + b, counted by hand
    net = BatchNormMLP(4, (5, 3), 2)
    assert net.n_params == (4 * 5 + 5 + 5) + (5 * 3 + 3 + 3) + (3 * 2 + 2)
    layers = net.unpack(net.init())
    assert set(layers[0]) == {"W", "gamma", "beta"} and set(layers[-1]) == {"W", "b"}
    np.testing.assert_array_equal(layers[0]["gamma"], 1.0)


def test_without_batchnorm_it_is_gdlib_mlp():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((12, 6)), rng.integers(0, 4, 12)
    ours, theirs = (
        BatchNormMLP(6, (5, 4), 4, batchnorm=False, l2=0.1),
        gdlib.MLP(6, (5, 4), 4, l2=0.1),
    )
    theta = ours.init()
    np.testing.assert_array_equal(theta, theirs.init())
    assert ours.loss(theta, X, y) == theirs.loss(theta, X, y)
    np.testing.assert_array_equal(ours.grad(theta, X, y), theirs.grad(theta, X, y))


def test_running_statistics_are_an_ewa_of_the_batch_statistics():
    rng = np.random.default_rng(1)
    net = BatchNormMLP(3, (4,), 2, decay=0.8)
    theta = net.init()
    X1, X2 = rng.standard_normal((5, 3)), rng.standard_normal((6, 3)) + 2.0
    W = net.unpack(theta)[0]["W"]
    net.grad(theta, X1, np.zeros(5, dtype=int))
    net.grad(theta, X2, np.zeros(6, dtype=int))
    z1, z2 = X1 @ W, X2 @ W
    mean = 0.8 * (0.8 * 0 + 0.2 * z1.mean(0)) + 0.2 * z2.mean(0)
    var = 0.8 * (0.8 * 1 + 0.2 * z1.var(0, ddof=1)) + 0.2 * z2.var(
        0, ddof=1
    )  # unbiased variance
    np.testing.assert_allclose(net.running_mean[0], mean, atol=1e-12)
    np.testing.assert_allclose(net.running_var[0], var, atol=1e-12)
    net.init()  # init resets them
    np.testing.assert_array_equal(net.running_mean[0], 0.0)
    np.testing.assert_array_equal(net.running_var[0], 1.0)


def test_inference_uses_the_running_statistics():
    rng = np.random.default_rng(2)
    net = BatchNormMLP(3, (4,), 3, eps=1e-5)
    theta = net.init() + 0.1 * rng.standard_normal(net.n_params)
    net.running_mean[0] = rng.normal(size=4)
    net.running_var[0] = rng.uniform(0.5, 2.0, size=4)
    X = rng.standard_normal((6, 3))
    hid, out = net.unpack(theta)
    z = X @ hid["W"]
    a = np.tanh(
        hid["gamma"] * (z - net.running_mean[0]) / np.sqrt(net.running_var[0] + 1e-5)
        + hid["beta"]
    )
    logits = a @ out["W"] + out["b"]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(net.predict_proba(theta, X), p, atol=1e-12)
    # one row at a time gives the same answer: no batch statistics at inference
    np.testing.assert_allclose(net.predict_proba(theta, X[2:3])[0], p[2], atol=1e-12)
    y = np.array([0, 1, 2, 0, 1, 2])
    assert net.eval_loss(theta, X, y) == pytest.approx(
        -np.mean(np.log(p[np.arange(6), y])), rel=1e-12
    )
    # training mode differs: it normalizes with the batch's own statistics
    assert net.loss(theta, X, y) != pytest.approx(net.eval_loss(theta, X, y), rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"decay": 1.0}, "decay"),
        ({"decay": -0.1}, "decay"),
        ({"eps": -1.0}, "eps"),
        ({"l2": -1.0}, "l2"),
        ({"activation": "sigmoid"}, "activation"),
    ],
)
def test_batchnorm_mlp_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BatchNormMLP(3, (4,), 2, **kwargs)


# --- early stopping --------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_and_keeps_the_best():
    rule = EarlyStopping(patience=3)
    values = [5.0, 4.0, 3.0, 3.5, 3.2, 3.0, 2.9, 3.1]
    thetas = [np.array([float(i)]) for i in range(len(values))]
    fired = [rule.update(v, th) for v, th in zip(values, thetas)]
    # epoch 2 is best (3.0); epochs 3, 4, 5 do not improve (3.0 is not < 3.0): stop at 5
    assert fired == [
        False,
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]  # the decision is final
    assert (
        rule.stopped_epoch == 5 and rule.best_epoch == 2 and rule.best_value == 3.0
    )  # 2.9 came too late
    assert rule.history == values[:6]
    thetas[2][0] = 99.0  # a copy was kept
    np.testing.assert_array_equal(rule.best_theta, [2.0])


def test_early_stopping_min_delta():
    rule = EarlyStopping(patience=2, min_delta=0.5)
    assert rule.scan([10.0, 9.6, 9.7, 9.4]) == (
        2,
        0,
    )  # 9.6 and 9.7 are not 0.5 below 10
    # 9.4 improves (< 9.5); 9.0 does not (>= 8.9); 8.8 does (< 8.9); 8.7 and 8.5 do not (>= 8.3)
    assert rule.scan([10.0, 9.4, 9.0, 8.8, 8.7, 8.5]) == (5, 3)
    rule.reset()
    assert rule.scan([3.0, 2.0]) == (None, 1)


def _reference_stop(values, patience, min_delta):
    """Independent transcription: the first epoch that closes `patience` non-improving epochs."""
    best, since = float("inf"), 0
    best_epoch = None
    for epoch, v in enumerate(values):
        if v < best - min_delta:
            best, best_epoch, since = v, epoch, 0
        else:
            since += 1
            if since == patience:
                return epoch, best_epoch
    return None, best_epoch


@given(
    st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=40),
    st.integers(1, 6),
    st.sampled_from([0.0, 0.1, 1.0]),
)
@settings(max_examples=200, deadline=None)
def test_early_stopping_agrees_with_a_reference(values, patience, min_delta):
    assert EarlyStopping(patience, min_delta).scan(values) == _reference_stop(
        values, patience, min_delta
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"patience": 0}, "patience"),
        ({"patience": 2.5}, "patience"),
        ({"patience": True}, "patience"),
        ({"min_delta": -0.1}, "min_delta"),
        ({"min_delta": float("nan")}, "min_delta"),
    ],
)
def test_early_stopping_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        EarlyStopping(**kwargs)


# --- gradient noise --------------------------------------------------------------------------
def test_noise_variance_matches_the_schedule():
    noise = GradientNoise(eta=0.3, gamma=0.55, seed=11)
    draw = noise(lambda th: np.zeros(40_000))
    for t in range(1, 6):
        sample = draw(None)
        expected = 0.3 / (1 + t) ** 0.55  # sigma_t^2 = eta / (1 + t)^gamma
        assert noise.t == t
        assert noise.sigma2(t) == pytest.approx(expected, rel=1e-15)
        # 40 000 draws: the relative standard error of the variance is sqrt(2/40000) = 0.7 %
        assert abs(sample.var() / expected - 1) < 0.04
        assert abs(sample.mean()) < 4 * np.sqrt(expected / 40_000)


def test_noise_is_added_to_the_gradient_and_is_reproducible():
    grad = lambda th: 3.0 * th  # noqa: E731
    theta = np.array([1.0, -2.0, 0.5])
    a, b = GradientNoise(1.0, 0.55, seed=4), GradientNoise(1.0, 0.55, seed=4)
    first = [a(grad)(theta) for _ in range(3)]
    second = [b(grad)(theta) for _ in range(3)]
    np.testing.assert_array_equal(first, second)
    rng = np.random.default_rng(4)  # the same draws by hand
    for t, g in enumerate(first, start=1):
        np.testing.assert_allclose(
            g,
            grad(theta) + np.sqrt(1.0 / (1 + t) ** 0.55) * rng.standard_normal(3),
            atol=1e-15,
        )
    a.reset()
    np.testing.assert_array_equal(a(grad)(theta), first[0])
    assert GradientNoise(1.0, 0.55, seed=5)(grad)(theta).tolist() != first[0].tolist()


def test_zero_noise_is_the_identity():
    noise = GradientNoise(eta=0.0)
    theta = np.array([1.0, 2.0])
    np.testing.assert_array_equal(noise(lambda th: th**2)(theta), theta**2)
    assert noise.t == 1
    a = gdlib.run(gdlib.GD(0.1), gdlib.rosenbrock, [-1.0, 1.0], steps=20)
    b = gdlib.run(
        gdlib.GD(0.1),
        gdlib.rosenbrock,
        [-1.0, 1.0],
        steps=20,
        grad=noise(gdlib.rosenbrock.grad),
    )
    np.testing.assert_array_equal(a.thetas, b.thetas)


def test_noisy_gd_leaves_the_saddle_plain_gd_does_not():
    plain = gdlib.run(gdlib.GD(0.1), gdlib.saddle, [1.0, 0.0], steps=60)
    assert np.all(plain.thetas[:, 1] == 0.0)
    noisy = gdlib.run(
        gdlib.GD(0.1),
        gdlib.saddle,
        [1.0, 0.0],
        steps=60,
        grad=GradientNoise(0.3, 0.55, seed=0)(gdlib.saddle.grad),
    )
    assert np.abs(noisy.thetas[-1, 1]) > 1.0


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"eta": -0.1}, "eta"),
        ({"eta": float("inf")}, "eta"),
        ({"gamma": -1.0}, "gamma"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"eta": "0.3"}, "eta"),
    ],
)
def test_noise_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        GradientNoise(**kwargs)


# --- orders, curricula and fit ---------------------------------------------------------------
def test_fit_with_shuffle_is_gdlib_train():
    X, y = gdlib.make_classification(n=90, d=3, seed=1)
    model = gdlib.LogisticRegression(l2=0.01)
    a = gdlib.train(
        gdlib.Momentum(0.1, 0.9),
        model,
        X,
        y,
        batch_size=8,
        epochs=3,
        seed=5,
        progress=False,
    )
    b = fit(gdlib.Momentum(0.1, 0.9), model, X, y, batch_size=8, epochs=3, seed=5)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.epoch_losses, b.epoch_losses)
    np.testing.assert_array_equal(a.step_losses, b.step_losses)
    np.testing.assert_array_equal(a.grad_evals, b.grad_evals)


def test_fit_fixed_order_is_sgd_in_that_order():
    xs = [Fraction(1), Fraction(2), Fraction(6)]
    theta = Fraction(0)
    for _ in range(2):  # theta <- theta - 1/4 (theta - x_i), in order
        for x in xs:
            theta = theta - Fraction(1, 4) * (theta - x)
    res = fit(
        gdlib.GD(0.25),
        gdlib.LinearRegression(),
        np.ones((3, 1)),
        np.array([1.0, 2.0, 6.0]),
        batch_size=1,
        epochs=2,
        order="fixed",
    )
    assert res.theta[0] == pytest.approx(float(theta), abs=1e-14)


def test_curriculum_pools_and_epoch_sizes():
    difficulty = np.arange(100.0)[::-1]  # example 99 is the easiest
    order = curriculum(difficulty, start=0.2, ramp_epochs=4)
    rng = np.random.default_rng(0)
    first = order(0, rng)
    assert len(first) == 100 and set(first.tolist()) == set(range(80, 100))
    assert np.all(
        np.bincount(first, minlength=100)[80:] == 5
    )  # five full passes over the pool
    half = order(2, rng)  # f = 0.2 + 0.8 * 2/4 = 0.6
    assert set(half.tolist()) == set(range(40, 100))
    assert set(order(4, rng).tolist()) == set(range(100)) == set(order(9, rng).tolist())
    combined = curriculum(difficulty, start=0.2, ramp_epochs=4, mix=0.5)(0, rng)
    assert len(combined) == 100 and np.sum(combined < 80) > 0  # hard examples mixed in


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"start": 0.0}, "start"),
        ({"start": 1.5}, "start"),
        ({"ramp_epochs": 0}, "ramp_epochs"),
        ({"mix": 1.5}, "mix"),
        ({"mix": -0.1}, "mix"),
    ],
)
def test_curriculum_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        curriculum(np.arange(10.0), **kwargs)


def test_fit_early_stopping_restores_the_best_epoch():
    rng = np.random.default_rng(0)
    X = gdlib.add_bias(
        rng.standard_normal((30, 40))
    )  # more features than examples: it overfits
    y = (X[:, 1] + 0.7 * rng.standard_normal(30) > 0).astype(float)
    Xv = gdlib.add_bias(rng.standard_normal((200, 40)))
    yv = (Xv[:, 1] + 0.7 * rng.standard_normal(200) > 0).astype(float)
    model = gdlib.LogisticRegression()
    rule = EarlyStopping(patience=5)
    res = fit(
        gdlib.GD(0.5), model, X, y, epochs=300, validation=(Xv, yv), early_stopping=rule
    )
    assert res.status == "stopped early" and res.stopped_epoch == res.best_epoch + 5
    assert res.best_epoch == int(np.argmin(res.val_losses)) >= 1
    replay = fit(gdlib.GD(0.5), model, X, y, epochs=res.best_epoch)
    np.testing.assert_array_equal(res.theta, replay.theta)
    assert not np.array_equal(res.final_theta, res.theta)


def test_fit_bad_arguments():
    X, y = np.ones((4, 1)), np.zeros(4)
    model = gdlib.LinearRegression()
    with pytest.raises(ValueError, match="order"):
        fit(gdlib.GD(0.1), model, X, y, order="sorted")
    with pytest.raises(ValueError, match="validation"):
        fit(gdlib.GD(0.1), model, X, y, early_stopping=EarlyStopping(2))
    with pytest.raises(ValueError, match="epochs"):
        fit(gdlib.GD(0.1), model, X, y, epochs=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit(gdlib.GD(0.1), model, X, y, batch_size=5)
