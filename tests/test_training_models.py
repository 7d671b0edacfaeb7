"""Models, the training loop, exponentially weighted averages and the data loaders.

Expected values come from finite differences, hand-written formulas, independent
transcriptions or exact arithmetic, never from the output of the code under test.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib

# --------------------------------------------------------------------------- helpers


def random_problem(kind, seed, n, d, n_classes=3):
    """Seeded data and parameters for one of the three models."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if kind == "linear":
        return X, rng.standard_normal(n), rng.standard_normal(d)
    if kind == "logistic":
        return X, (rng.random(n) < 0.5).astype(float), rng.standard_normal(d)
    return X, rng.integers(0, n_classes, size=n), rng.standard_normal((d, n_classes))


def make_model(kind, l2, n_classes=3):
    if kind == "linear":
        return gdlib.LinearRegression(l2=l2)
    if kind == "logistic":
        return gdlib.LogisticRegression(l2=l2)
    return gdlib.SoftmaxRegression(n_classes, l2=l2)


def hand_loss(kind, theta, X, y, l2):
    """The losses written out directly from their textbook definitions."""
    penalty = 0.5 * l2 * np.sum(theta**2)
    if kind == "linear":
        return np.mean((X @ theta - y) ** 2) / 2 + penalty
    if kind == "logistic":
        p = 1 / (1 + np.exp(-(X @ theta)))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)) + penalty
    z = X @ theta
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(len(y)), y])) + penalty


KINDS = ["linear", "logistic", "softmax"]


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    d=st.integers(1, 4),
    l2=st.sampled_from([0.0, 0.05, 1.0]),
)
def test_gradient_matches_finite_differences(kind, seed, n, d, l2):
    X, y, theta = random_problem(kind, seed, n, d)
    model = make_model(kind, l2)
    numeric = gdlib.numerical_gradient(lambda th: model.loss(th, X, y), theta)
    analytic = model.grad(theta, X, y)
    assert analytic.shape == theta.shape
    assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_loss_matches_the_textbook_formula(kind, l2):
    X, y, theta = random_problem(kind, 7, 15, 3)
    assert math.isclose(
        make_model(kind, l2).loss(theta, X, y),
        hand_loss(kind, theta, X, y, l2),
        rel_tol=1e-12,
        abs_tol=1e-12,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_l2_adds_half_lambda_norm_squared_and_lambda_theta(kind):
    X, y, theta = random_problem(kind, 3, 10, 3)
    plain, penalized = make_model(kind, 0.0), make_model(kind, 0.25)
    assert math.isclose(
        penalized.loss(theta, X, y) - plain.loss(theta, X, y),
        0.125 * np.sum(theta**2),
        rel_tol=1e-12,
    )
    assert np.allclose(
        penalized.grad(theta, X, y) - plain.grad(theta, X, y),
        0.25 * theta,
        rtol=1e-12,
        atol=1e-14,
    )


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), b=st.integers(1, 30))
def test_full_gradient_is_the_size_weighted_mean_of_batch_gradients(kind, seed, n, b):
    """The identity behind 'the mini-batch gradient is an unbiased estimate'."""
    X, y, theta = random_problem(kind, seed, n, 3)
    model = make_model(kind, 0.1)
    batches = gdlib.minibatches(n, min(b, n), np.random.default_rng(seed))
    weighted = sum(len(idx) * model.grad(theta, X[idx], y[idx]) for idx in batches) / n
    assert np.allclose(weighted, model.grad(theta, X, y), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("z", [1e3, 1e5, 1e300])
def test_logistic_loss_is_finite_and_exact_for_huge_logits(z):
    X = np.array([[z], [z], [-z], [-z]])  # logits +z, +z, -z, -z with theta = 1
    y = np.array([1.0, 0.0, 1.0, 0.0])
    theta = np.array([1.0])
    model = gdlib.LogisticRegression()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings either
        loss = model.loss(theta, X, y)
        grad = model.grad(theta, X, y)
        proba = model.predict_proba(theta, X)
    # per example: log(1 + e^z) - y z = max(z, 0) - y z + log1p(e^-|z|)  ->  0, z, z, 0
    assert np.isfinite(loss) and math.isclose(loss, z / 2, rel_tol=1e-12)
    # X^T (p - y) / n with p = (1, 1, 0, 0):  (0 + z + z + 0) / 4
    assert np.all(np.isfinite(grad)) and math.isclose(grad[0], z / 2, rel_tol=1e-12)
    assert np.array_equal(proba, [1.0, 1.0, 0.0, 0.0])


def test_logistic_loss_matches_log1p_form_for_moderate_logits():
    z = np.linspace(-30, 30, 13)
    X, y = z[:, None], (np.arange(13) % 2).astype(float)
    expected = np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))))
    assert math.isclose(
        gdlib.LogisticRegression().loss(np.array([1.0]), X, y), expected, rel_tol=1e-13
    )


def test_softmax_is_stable_for_huge_logits_and_rows_sum_to_one():
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    theta = np.array([[1e4, 0.0, -1e4], [0.0, 2e4, 0.0]])
    model = gdlib.SoftmaxRegression(3)
    p = model.predict_proba(theta, X)
    assert np.allclose(p.sum(axis=1), 1.0) and np.array_equal(p, [[1, 0, 0], [0, 1, 0]])
    assert model.loss(theta, X, np.array([0, 1])) == 0.0
    assert math.isclose(
        model.loss(theta, X, np.array([2, 0])), (2e4 + 2e4) / 2, rel_tol=1e-12
    )
    assert np.all(np.isfinite(model.grad(theta, X, np.array([2, 0]))))


def test_model_argument_checks():
    with pytest.raises(ValueError, match="l2"):
        gdlib.LogisticRegression(l2=-1)
    with pytest.raises(ValueError, match="n_classes"):
        gdlib.SoftmaxRegression(1)


# --------------------------------------------------------------------------- train()


@pytest.fixture(scope="module")
def regression():
    X, y, _ = gdlib.make_linear_regression(n=40, d=3, noise=0.5, seed=1)
    return X, y


@pytest.fixture(scope="module")
def classification():
    return gdlib.make_classification(n=50, d=3, seed=2)


@pytest.mark.parametrize("bad", [0, -1, 41, 2.5, "8", np.float64(4.0)])
def test_bad_batch_size_raises_naming_the_parameter(regression, bad):
    X, y = regression
    with pytest.raises(ValueError, match="batch_size"):
        gdlib.train(
            gdlib.GD(0.1),
            gdlib.LinearRegression(),
            X,
            y,
            batch_size=bad,
            epochs=1,
            progress=False,
        )


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"schedule_unit": "batch"}, "schedule_unit"),
    ],
)
def test_other_bad_arguments_raise_naming_the_parameter(regression, kwargs, word):
    X, y = regression
    with pytest.raises(ValueError, match=word):
        gdlib.train(
            gdlib.GD(0.1),
            gdlib.LinearRegression(),
            X,
            y,
            **{"epochs": 1, **kwargs},
            progress=False,
        )


@pytest.mark.parametrize("b", [1, 7, 40, None])
def test_batch_size_extremes_are_accepted(regression, b):
    X, y = regression
    res = gdlib.train(
        gdlib.GD(0.01),
        gdlib.LinearRegression(),
        X,
        y,
        batch_size=b,
        epochs=2,
        progress=False,
    )
    assert res.status == "finished" and len(res.step_losses) == 2 * math.ceil(
        40 / (b or 40)
    )


@pytest.mark.parametrize("b", [1, 8, None])
def test_same_seed_gives_identical_results(classification, b):
    X, y = classification
    runs = [
        gdlib.train(
            gdlib.GD(0.2),
            gdlib.LogisticRegression(),
            X,
            y,
            batch_size=b,
            epochs=3,
            seed=9,
            progress=False,
        )
        for _ in range(2)
    ]
    for field in ["theta", "epoch_losses", "grad_evals", "step_losses", "etas"]:
        assert np.array_equal(getattr(runs[0], field), getattr(runs[1], field)), field


def test_different_seeds_give_different_sgd_paths(classification):
    X, y = classification
    a, b = (
        gdlib.train(
            gdlib.GD(0.2),
            gdlib.LogisticRegression(),
            X,
            y,
            batch_size=1,
            epochs=2,
            seed=s,
            progress=False,
        )
        for s in (0, 1)
    )
    assert not np.array_equal(a.step_losses, b.step_losses)
    assert not np.allclose(a.theta, b.theta)


def test_batch_gd_equals_a_hand_loop_over_the_full_data(regression):
    X, y = regression
    model, eta = gdlib.LinearRegression(l2=0.1), 0.05
    res = gdlib.train(
        gdlib.GD(eta), model, X, y, batch_size=None, epochs=25, seed=3, progress=False
    )
    theta, losses = np.zeros(X.shape[1]), [0.5 * np.mean(y**2)]
    for _ in range(25):
        theta = theta - eta * (
            X.T @ (X @ theta - y) / len(y) + 0.1 * theta
        )  # θ -= η ∇J, written out
        losses.append(0.5 * np.mean((X @ theta - y) ** 2) + 0.05 * theta @ theta)
    assert np.allclose(res.theta, theta, rtol=1e-12, atol=1e-12)
    assert np.allclose(res.epoch_losses, losses, rtol=1e-12, atol=1e-12)
    assert np.allclose(
        res.step_losses, losses[:-1], rtol=1e-12, atol=1e-12
    )  # one full batch per epoch
    assert np.all(res.etas == eta)


def test_batch_size_n_is_batch_gradient_descent(classification):
    X, y = classification
    a = gdlib.train(
        gdlib.GD(0.3),
        gdlib.LogisticRegression(),
        X,
        y,
        batch_size=None,
        epochs=4,
        progress=False,
    )
    b = gdlib.train(
        gdlib.GD(0.3),
        gdlib.LogisticRegression(),
        X,
        y,
        batch_size=len(y),
        epochs=4,
        progress=False,
    )
    assert np.array_equal(a.theta, b.theta)


def test_sgd_follows_the_seeded_permutations(classification):
    X, y = classification
    model, eta = gdlib.LogisticRegression(), 0.1
    res = gdlib.train(
        gdlib.GD(eta), model, X, y, batch_size=1, epochs=2, seed=4, progress=False
    )
    rng, theta = np.random.default_rng(4), np.zeros(X.shape[1])
    for _ in range(2):
        for i in rng.permutation(len(y)):
            p = 1 / (1 + np.exp(-X[i] @ theta))
            theta = theta - eta * X[i] * (p - y[i])
    assert np.allclose(res.theta, theta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("b", [1, 6, 50, None])
def test_grad_evals_count_per_example_gradients(classification, b):
    X, y = classification
    res = gdlib.train(
        gdlib.GD(0.1),
        gdlib.LogisticRegression(),
        X,
        y,
        batch_size=b,
        epochs=5,
        progress=False,
    )
    assert np.array_equal(res.grad_evals, 50 * np.arange(6))
    assert len(res.epoch_losses) == 6 and len(res.step_losses) == len(
        res.etas
    ) == 5 * math.ceil(50 / (b or 50))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), b=st.integers(1, 60), seed=st.integers(0, 2**32 - 1))
def test_minibatches_partition_the_rows(n, b, seed):
    b = min(b, n)
    batches = gdlib.minibatches(n, b, np.random.default_rng(seed))
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    assert [len(idx) for idx in batches] == [b] * (n // b) + ([n % b] if n % b else [])


@pytest.mark.parametrize("unit", ["step", "epoch"])
def test_schedule_sets_eta_per_step_or_per_epoch(regression, unit):
    X, y = regression
    schedule = gdlib.robbins_monro(0.1, tau=5, power=1)
    res = gdlib.train(
        gdlib.GD(1.0),
        gdlib.LinearRegression(),
        X,
        y,
        batch_size=10,
        epochs=3,
        schedule=schedule,
        schedule_unit=unit,
        progress=False,
    )
    ticks = np.arange(12) if unit == "step" else np.repeat(np.arange(3), 4)
    assert np.allclose(res.etas, [0.1 * 5 / (5 + k) for k in ticks], rtol=1e-15)


def test_test_losses_are_recorded_per_epoch(classification):
    X, y = classification
    res = gdlib.train(
        gdlib.GD(0.1),
        gdlib.LogisticRegression(),
        X[:40],
        y[:40],
        batch_size=8,
        epochs=3,
        test=(X[40:], y[40:]),
        progress=False,
    )
    assert len(res.test_losses) == 4
    assert math.isclose(res.test_losses[0], math.log(2), rel_tol=1e-12)  # θ0 = 0
    assert math.isclose(
        res.test_losses[-1],
        gdlib.LogisticRegression().loss(res.theta, X[40:], y[40:]),
        rel_tol=1e-12,
    )


@pytest.mark.parametrize("b", [None, 1])
def test_divergence_is_reported_at_the_first_epoch_past_the_divergence_rule(
    regression, b
):
    # the rule: a loss that is non-finite or above 1e12 · max(|L0|, 1) has diverged
    X, y = regression
    res = gdlib.train(
        gdlib.GD(50.0),
        gdlib.LinearRegression(),
        X,
        y,
        batch_size=b,
        epochs=2000,
        progress=False,
    )
    assert res.status == "diverged" and res.diverged
    assert "diverged" in res.message and "eta=50" in res.message
    assert len(res.epoch_losses) < 2001  # stopped early
    limit = 1e12 * max(abs(res.epoch_losses[0]), 1.0)
    assert np.all(res.epoch_losses[:-1] <= limit) and not res.epoch_losses[-1] <= limit
    assert len(res.grad_evals) == len(res.epoch_losses)


def test_huge_learning_rate_on_logistic_regression_diverges_with_a_message(
    classification,
):
    X, y = classification
    res = gdlib.train(
        gdlib.GD(1e308), gdlib.LogisticRegression(), X, y, epochs=50, progress=False
    )
    assert res.status == "diverged" and "smaller learning rate" in res.message
    assert np.all(np.isfinite(res.epoch_losses[:-1])) and not np.isfinite(
        res.epoch_losses[-1]
    )


def test_a_small_learning_rate_finishes(regression):
    X, y = regression
    res = gdlib.train(
        gdlib.GD(0.1), gdlib.LinearRegression(), X, y, epochs=30, progress=False
    )
    assert (
        res.status == "finished"
        and not res.diverged
        and np.all(np.isfinite(res.epoch_losses))
    )
    assert np.all(
        np.diff(res.epoch_losses) <= 0
    )  # η below 2/L: batch GD is a descent method


# --------------------------------------------------------------------------- ewa


finite = st.floats(-100, 100, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(x=st.lists(finite, min_size=1, max_size=40), beta=st.floats(0, 0.999))
def test_ewa_equals_the_unrolled_sum(x, beta):
    x = np.array(x)
    expected = [
        sum((1 - beta) * beta ** (t - i) * x[i - 1] for i in range(1, t + 1))
        for t in range(1, len(x) + 1)
    ]
    expected_hat = [e / (1 - beta**t) for t, e in enumerate(expected, start=1)]
    assert np.allclose(gdlib.ewa(x, beta), expected, rtol=1e-9, atol=1e-9)
    assert np.allclose(
        gdlib.ewa(x, beta, bias_correction=True), expected_hat, rtol=1e-9, atol=1e-7
    )


@settings(max_examples=40, deadline=None)
@given(c=finite, beta=st.floats(0, 0.999), T=st.integers(1, 200))
def test_bias_corrected_ewa_of_a_constant_is_that_constant(c, beta, T):
    assert np.allclose(
        gdlib.ewa(np.full(T, c), beta, bias_correction=True), c, rtol=1e-9, atol=1e-9
    )
    assert np.allclose(
        gdlib.ewa(np.full(T, c), beta),
        c * (1 - beta ** np.arange(1, T + 1)),
        rtol=1e-9,
        atol=1e-9,
    )


def test_ewa_exact_rational_values():
    from fractions import Fraction

    beta, xs = (
        Fraction(3, 4),
        [Fraction(2), Fraction(-1, 2), Fraction(5, 3), Fraction(1, 7)],
    )
    v, plain, hat = Fraction(0), [], []
    for t, x in enumerate(xs, start=1):
        v = beta * v + (1 - beta) * x
        plain.append(v)
        hat.append(v / (1 - beta**t))
    x_float = np.array([float(x) for x in xs])
    assert np.allclose(
        gdlib.ewa(x_float, 0.75), [float(p) for p in plain], rtol=0, atol=1e-15
    )
    assert np.allclose(
        gdlib.ewa(x_float, 0.75, bias_correction=True),
        [float(h) for h in hat],
        rtol=0,
        atol=1e-15,
    )


def test_ewa_edge_cases_and_shapes():
    x = np.arange(12.0).reshape(6, 2)
    assert np.array_equal(gdlib.ewa(x, 0.0), x)  # β = 0 keeps the newest value
    both = gdlib.ewa(x, 0.6, bias_correction=True)
    assert both.shape == x.shape
    for j in range(2):
        assert np.allclose(
            both[:, j], gdlib.ewa(x[:, j], 0.6, bias_correction=True), rtol=1e-15
        )
    assert both[0, 0] == x[0, 0] and both[0, 1] == x[0, 1]  # v̂_1 = x_1
    original = x.copy()
    gdlib.ewa(x, 0.9)
    assert np.array_equal(x, original)
    assert gdlib.ewa([1, 2, 3], 0.5).dtype == np.float64


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5])
def test_bad_beta_raises_naming_beta(bad):
    with pytest.raises(ValueError, match="beta"):
        gdlib.ewa([1.0, 2.0], bad)
    with pytest.raises(ValueError, match="beta"):
        gdlib.ewa_weights(bad, 3)


@settings(max_examples=40, deadline=None)
@given(beta=st.floats(0, 0.999), t=st.integers(1, 300))
def test_ewa_weights_are_the_geometric_weights(beta, t):
    w = gdlib.ewa_weights(beta, t)
    assert w.shape == (t,)
    assert math.isclose(w[-1], 1 - beta, rel_tol=1e-12)  # newest input
    assert math.isclose(
        w.sum(), 1 - beta**t, rel_tol=1e-9, abs_tol=1e-12
    )  # missing mass β^t
    assert np.allclose(
        w[:-1], beta * w[1:], rtol=1e-12, atol=1e-290
    )  # ratio β per step of age
    x = np.random.default_rng(t).standard_normal(t)
    assert math.isclose(
        gdlib.ewa(x, beta)[-1], float(w @ x), rel_tol=1e-9, abs_tol=1e-12
    )


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def cancer():
    return gdlib.load_breast_cancer()


@pytest.fixture(scope="module")
def digits():
    return gdlib.load_digits()


def test_breast_cancer_shapes_labels_and_bias(cancer):
    assert cancer.X_train.shape == (427, 31) and cancer.X_test.shape == (142, 31)
    assert cancer.y_train.shape == (427,) and cancer.y_test.shape == (142,)
    assert set(np.unique(np.concatenate([cancer.y_train, cancer.y_test]))) == {0.0, 1.0}
    assert (
        np.sum(np.concatenate([cancer.y_train, cancer.y_test]) == 1) == 357
    )  # benign tumours
    assert (
        cancer.feature_names[0] == "bias"
        and len(cancer.feature_names) == 31 == cancer.n_features
    )
    assert np.all(cancer.X_train[:, 0] == 1) and np.all(cancer.X_test[:, 0] == 1)


def test_digits_shapes_and_labels(digits):
    assert digits.X_train.shape == (1348, 65) and digits.X_test.shape == (449, 65)
    assert digits.y_train.dtype.kind == "i" and set(np.unique(digits.y_train)) == set(
        range(10)
    )
    assert np.all(digits.X_train[:, 0] == 1)


def test_training_features_are_standardized(cancer, digits):
    Z = cancer.X_train[:, 1:]
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-12) and np.allclose(
        Z.std(axis=0), 1, atol=1e-12
    )
    D = digits.X_train[:, 1:]
    assert np.allclose(D.mean(axis=0), 0, atol=1e-12)
    std = D.std(axis=0)
    constant = std < 1e-12  # blank pixels: left at 0, not divided by 0
    assert np.allclose(std[~constant], 1, atol=1e-12) and np.all(D[:, constant] == 0)
    assert constant.any()


def test_test_set_uses_the_training_statistics(cancer):
    """Every column of train ∪ test is one increasing affine image of the raw column."""
    from sklearn.datasets import load_breast_cancer as raw_loader

    raw = raw_loader().data
    both = np.vstack([cancer.X_train, cancer.X_test])[:, 1:]
    for j in range(raw.shape[1]):
        r, s = np.sort(raw[:, j]), np.sort(both[:, j])
        slope, intercept = np.polyfit(r, s, 1)
        assert slope > 0 and np.allclose(slope * r + intercept, s, atol=1e-9)
    # with the training mean 0 and std 1 shown above, that affine map is the training standardization


def test_loaders_are_deterministic_and_seeded(cancer):
    again = gdlib.load_breast_cancer()
    assert np.array_equal(again.X_train, cancer.X_train) and np.array_equal(
        again.y_test, cancer.y_test
    )
    other = gdlib.load_breast_cancer(seed=1)
    assert other.X_train.shape == cancer.X_train.shape and not np.array_equal(
        other.y_train, cancer.y_train
    )


def test_loader_options(cancer):
    plain = gdlib.load_breast_cancer(bias=False)
    assert plain.X_train.shape == (427, 30) and "bias" not in plain.feature_names
    assert np.allclose(plain.X_train, cancer.X_train[:, 1:])
    half = gdlib.load_breast_cancer(test_size=0.5)
    assert (
        len(half.y_test) == round(0.5 * 569)
        and len(half.y_train) + len(half.y_test) == 569
    )
    for bad in [0, 1, 1.5]:
        with pytest.raises(ValueError, match="test_size"):
            gdlib.load_breast_cancer(test_size=bad)


def test_synthetic_generators():
    X, y, theta_star = gdlib.make_linear_regression(n=30, d=4, noise=0.0, seed=5)
    assert (
        X.shape == (30, 5) and np.all(X[:, 0] == 1) and np.allclose(y, X @ theta_star)
    )
    Xc, yc = gdlib.make_classification(n=30, d=2, seed=5)
    assert Xc.shape == (30, 3) and set(np.unique(yc)) <= {0.0, 1.0}
    Xs, ys, ts = gdlib.make_sparse_features(
        n=1000, frequencies=(0.5, 0.05), noise=0.0, seed=5
    )
    assert np.allclose(Xs.mean(axis=0), [0.5, 0.05], atol=0.05) and np.allclose(
        ys, Xs @ ts
    )
    assert np.array_equal(
        gdlib.make_linear_regression(seed=5)[0], gdlib.make_linear_regression(seed=5)[0]
    )


def test_loss_without_penalty_is_finite_for_huge_parameters():
    # (λ/2)‖θ‖² must not be evaluated when λ = 0: 0 · inf would turn the loss into NaN.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    theta = np.array([1e200, 0.0])
    assert gdlib.LinearRegression().loss(
        np.array([1e100, 0.0]), X, np.zeros(2)
    ) == pytest.approx(0.25e200)
    assert np.isfinite(gdlib.LogisticRegression().loss(theta, X, np.array([1.0, 0.0])))


@pytest.mark.parametrize(
    "kwargs, words",
    [({"batch_size": True}, "batch_size"), ({"epochs": True}, "epochs")],
)
def test_train_rejects_booleans_for_counts(kwargs, words):
    X, y = np.ones((4, 1)), np.ones(4)
    with pytest.raises(ValueError, match=words):
        gdlib.train(gdlib.GD(), gdlib.LinearRegression(), X, y, **kwargs)


def test_drop_last_leaves_out_the_short_batch():
    rng = np.random.default_rng(0)
    assert [len(b) for b in gdlib.minibatches(10, 4, rng)] == [4, 4, 2]
    batches = gdlib.minibatches(10, 4, rng, drop_last=True)
    assert [len(b) for b in batches] == [4, 4]
    X, y = np.ones((10, 1)), np.ones(10)
    res = gdlib.train(
        gdlib.GD(),
        gdlib.LinearRegression(),
        X,
        y,
        batch_size=4,
        epochs=3,
        drop_last=True,
    )
    assert len(res.step_losses) == 6 and list(res.grad_evals) == [0, 8, 16, 24]
    full = gdlib.train(
        gdlib.GD(), gdlib.LinearRegression(), X, y, batch_size=4, epochs=3
    )
    assert len(full.step_losses) == 9 and list(full.grad_evals) == [0, 10, 20, 30]
