"""Bad data, labels and arguments get clear ValueErrors; run/train tell the truth about how they end.

Expected values are written down by hand (labels, shapes, counts), never computed by gdlib.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib
from gdlib.strategies import BatchNormMLP, fit

X4 = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
Y01 = np.array([0, 1, 0, 1])


def models():
    """(model, θ, X, valid labels) for every model with labels."""
    mlp, bn = gdlib.MLP(2, (3,), 3), BatchNormMLP(2, (3,), 3)
    return [
        (gdlib.LogisticRegression(), np.zeros(2), X4, np.array([0, 1, 0, 1])),
        (gdlib.SoftmaxRegression(3), np.zeros((2, 3)), X4, np.array([0, 1, 2, 1])),
        (mlp, mlp.init(2), X4, np.array([0, 1, 2, 1])),
        (bn, bn.init(2), X4, np.array([0, 1, 2, 1])),
    ]


METHODS_WITH_Y = ["loss", "grad", "accuracy"]


# ------------------------------------------------------------------ 1. labels
@pytest.mark.parametrize("case", range(4))
@pytest.mark.parametrize("method", METHODS_WITH_Y)
@pytest.mark.parametrize(
    "bad", [[0, 1, -1, 1], [0, 1, 0.75, 1], [0, 1, np.nan, 1], [0, 1, 7, 1]]
)
def test_bad_labels_are_a_value_error_naming_y(case, method, bad):
    model, theta, X, _ = models()[case]
    with pytest.raises(ValueError, match=r"^y must hold"):
        getattr(model, method)(theta, X, np.array(bad, dtype=float))


def test_logistic_regression_rejects_minus_one_plus_one_labels():
    with pytest.raises(ValueError, match=r"y must hold class labels in \[0, 2\)"):
        gdlib.LogisticRegression().grad(np.zeros(2), X4, np.array([-1, 1, -1, 1]))


def test_integral_float_and_boolean_labels_are_accepted():
    model = gdlib.LogisticRegression()
    assert model.loss(np.zeros(2), X4, np.array([0.0, 1.0, 0.0, 1.0])) == pytest.approx(
        math.log(2)
    )
    assert model.loss(
        np.zeros(2), X4, np.array([False, True, False, True])
    ) == pytest.approx(math.log(2))
    soft = gdlib.SoftmaxRegression(3)
    assert soft.loss(
        np.zeros((2, 3)), X4, np.array([0.0, 2.0, 1.0, 2.0])
    ) == pytest.approx(math.log(3))


@pytest.mark.parametrize("bad", [2.7, 1, 0, -3, "3", True, None])
def test_n_classes_must_be_an_integer_of_at_least_two(bad):
    with pytest.raises(ValueError, match="n_classes"):
        gdlib.SoftmaxRegression(bad)
    with pytest.raises(ValueError, match="n_classes"):
        gdlib.MLP(2, (3,), bad)


@pytest.mark.parametrize(
    "kwargs, word",
    [
        ({"n_inputs": 2.5}, "n_inputs"),
        ({"hidden": (3, 2.5)}, "hidden"),
        ({"hidden": ()}, "hidden"),
        ({"hidden": (0,)}, "hidden"),
        ({"l2": -1.0}, "l2"),
        ({"seed": -1}, "seed"),
    ],
)
def test_network_architecture_is_never_truncated(kwargs, word):
    args = {"n_inputs": 2, "hidden": (3,), "n_classes": 3} | kwargs
    with pytest.raises(ValueError, match=word):
        gdlib.MLP(**args)
    with pytest.raises(ValueError, match=word):
        BatchNormMLP(**args)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(
        st.one_of(
            st.integers(-5, 8),
            st.floats(-5, 8),
            st.sampled_from([np.nan, np.inf, -np.inf]),
        ),
        min_size=4,
        max_size=4,
    ),
    case=st.integers(0, 3),
)
def test_property_labels_outside_the_classes_always_raise_naming_y(labels, case):
    model, theta, X, _ = models()[case]
    y = np.array(labels, dtype=float)
    k = 2 if case == 0 else 3
    valid = bool(
        np.all(np.isfinite(y))
        and np.all(y == np.floor(y))
        and np.all((y >= 0) & (y < k))
    )
    if valid:
        assert math.isfinite(model.loss(theta, X, y))
    else:
        with pytest.raises(ValueError, match="^y must hold"):
            model.loss(theta, X, y)


# ------------------------------------------------------------------ 1. shapes and finiteness
ALL = [
    (gdlib.LinearRegression(), np.zeros(2), X4, np.array([0.5, 1.0, 1.5, 2.0]))
] + models()


@pytest.mark.parametrize("case", range(5))
def test_mismatched_lengths_one_d_and_empty_x_name_the_argument(case):
    model, theta, X, y = ALL[case]
    with pytest.raises(ValueError, match="y has 3 entries but X has 4 rows"):
        model.loss(theta, X, y[:3])
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        model.grad(theta, X[:, 1], y)
    with pytest.raises(ValueError, match="X must have at least"):
        model.loss(theta, X[:0], y[:0])
    with pytest.raises(ValueError, match="y must be a 1-D array"):
        model.loss(theta, X, y[:, None])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("case", range(5))
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_x_is_a_value_error_naming_x(case, value):
    model, theta, X, y = ALL[case]
    X = X.copy()
    X[2, 1] = value
    for call in (
        lambda: model.loss(theta, X, y),
        lambda: model.grad(theta, X, y),
        lambda: model.predict(theta, X),
    ):
        with pytest.raises(ValueError, match="X must be finite: 1 of its 8 entries"):
            call()


def test_non_finite_regression_targets_name_y():
    y = np.array([0.5, np.nan, 1.5, np.inf])
    with pytest.raises(ValueError, match="y must be finite: 2 of its 4 entries"):
        gdlib.LinearRegression().loss(np.zeros(2), X4, y)


@pytest.mark.parametrize("case", range(5))
def test_theta_of_the_wrong_shape_or_non_finite_names_theta(case):
    model, theta, X, y = ALL[case]
    with pytest.raises(ValueError, match="theta must have shape"):
        model.loss(np.zeros(theta.size + 1), X, y)
    with pytest.raises(ValueError, match="theta must have shape"):
        model.predict(theta.reshape(1, -1) if theta.ndim == 1 else theta.ravel(), X)
    bad = theta.copy()
    bad.flat[0] = np.nan
    with pytest.raises(ValueError, match="theta must be finite"):
        model.grad(bad, X, y)


def test_x_with_the_wrong_number_of_features_names_x():
    with pytest.raises(ValueError, match="theta must have shape \\(3,\\)"):
        gdlib.LinearRegression().loss(np.zeros(2), np.ones((4, 3)), np.ones(4))
    with pytest.raises(ValueError, match="X has 3 features"):
        gdlib.MLP(2, (3,), 3).predict(gdlib.MLP(2, (3,), 3).init(2), np.ones((4, 3)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_overflow_at_finite_inputs_is_an_infinite_loss_not_nan():
    X = np.array([[1e300, -1e300], [1.0, 1.0]])
    theta = np.array([1e10, 1e10])  # X θ = 1e310 - 1e310: inf - inf
    assert gdlib.LinearRegression().loss(theta, X, np.zeros(2)) == math.inf
    assert gdlib.LogisticRegression().loss(theta, X, np.array([1, 0])) == math.inf


@settings(max_examples=40, deadline=None)
@given(n_rows=st.integers(1, 6), n_y=st.integers(0, 7), d=st.integers(1, 4))
def test_property_any_length_mismatch_is_a_value_error_never_an_index_error(
    n_rows, n_y, d
):
    X, y = np.ones((n_rows, d)), np.zeros(n_y)
    for model, theta in [
        (gdlib.LinearRegression(), np.zeros(d)),
        (gdlib.SoftmaxRegression(2), np.zeros((d, 2))),
        (gdlib.MLP(d, (2,), 2), gdlib.MLP(d, (2,), 2).init(d)),
    ]:
        if n_y == n_rows:
            assert math.isfinite(model.loss(theta, X, y))
        else:
            with pytest.raises(
                ValueError, match=f"y has {n_y} entries but X has {n_rows} rows"
            ):
                model.grad(theta, X, y)


# ------------------------------------------------------------------ 2. train / run / fit / loaders arguments
XR = np.column_stack([np.ones(6), np.arange(6.0)])
YR = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"X": XR[:, 1]}, "X must be a 2-D array"),
        ({"X": XR[:0], "y": YR[:0]}, "X must have at least 1 row"),
        ({"y": YR[:5]}, "y has 5 entries but X has 6 rows"),
        ({"theta0": np.zeros(3)}, r"theta0 must have shape \(2,\)"),
        ({"theta0": np.array([np.inf, 0.0])}, "theta0 must be finite"),
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.0}, "epochs"),
        ({"batch_size": 7}, "batch_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"test": (XR,)}, "test must be a pair"),
        ({"test": (XR[:, :1], YR)}, r"test\[0\] \(X_test\) has 1 features"),
        ({"test": (XR, YR[:2])}, r"test\[1\] \(y_test\) has 2 entries"),
        ({"schedule": 0.1}, "schedule must be a callable"),
        ({"schedule_unit": "batch"}, "schedule_unit"),
        ({"progress": "yes"}, "progress"),
    ],
)
def test_train_names_the_bad_argument(kwargs, words):
    args = {"X": XR, "y": YR, "progress": False} | kwargs
    with pytest.raises(ValueError, match=words):
        gdlib.train(gdlib.GD(0.01), gdlib.LinearRegression(), **args)


@pytest.mark.parametrize("where", ["X", "y"])
def test_train_counts_non_finite_data_before_training(where):
    X, y = XR.copy(), YR.copy()
    if where == "X":
        X[1, 1] = X[3, 1] = np.nan
    else:
        y[4] = np.inf
    count = 2 if where == "X" else 1
    with pytest.raises(ValueError, match=f"{where} must be finite: {count} of its"):
        gdlib.train(gdlib.GD(0.01), gdlib.LinearRegression(), X, y, progress=False)
    with pytest.raises(ValueError, match=f"{where} must be finite: {count} of its"):
        fit(gdlib.GD(0.01), gdlib.LinearRegression(), X, y)


def test_train_rejects_bad_labels_before_the_first_step():
    with pytest.raises(ValueError, match="y must hold class labels"):
        gdlib.train(
            gdlib.GD(0.1),
            gdlib.LogisticRegression(),
            XR,
            np.array([-1, 1, -1, 1, -1, 1]),
            progress=False,
        )


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"steps": True}, "steps"),
        ({"steps": -1}, "steps"),
        ({"tol": np.nan}, "tol"),
        ({"tol": -1.0}, "tol"),
        ({"theta0": []}, "theta0 must have at least one entry"),
        ({"theta0": ["a", "b"]}, "theta0"),
        ({"f": 3.0}, "f must be"),
        ({"grad": 3.0}, "grad must be"),
        ({"reset": "no"}, "reset"),
        (
            {"f": lambda th: np.array([1.0, 2.0]), "grad": lambda th: th},
            "f must return a real number",
        ),
        ({"f": lambda th: np.nan, "grad": lambda th: th}, r"f\(theta0\) is nan"),
    ],
)
def test_run_names_the_bad_argument(kwargs, words):
    args = {"f": gdlib.ravine, "theta0": [1.0, 1.0], "steps": 5} | kwargs
    with pytest.raises(ValueError, match=words):
        gdlib.run(gdlib.GD(0.01), **args)


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: gdlib.make_linear_regression(n=0), "n"),
        (lambda: gdlib.make_linear_regression(d=0), "d"),
        (lambda: gdlib.make_linear_regression(noise=-0.1), "noise"),
        (lambda: gdlib.make_linear_regression(noise=np.nan), "noise"),
        (lambda: gdlib.make_linear_regression(n=2.5), "n"),
        (lambda: gdlib.make_linear_regression(seed=-1), "seed"),
        (lambda: gdlib.make_classification(n=0), "n"),
        (lambda: gdlib.make_classification(d=1.5), "d"),
        (lambda: gdlib.make_classification(separation=np.inf), "separation"),
        (lambda: gdlib.make_sparse_features(frequencies=(0.5, np.nan)), "frequencies"),
        (lambda: gdlib.make_sparse_features(frequencies=()), "frequencies"),
        (lambda: gdlib.make_sparse_features(frequencies=(0.5, 1.5)), "frequencies"),
        (lambda: gdlib.make_sparse_features(n=0), "n"),
        (lambda: gdlib.make_sparse_features(noise=-1), "noise"),
        (lambda: gdlib.load_breast_cancer(test_size=np.nan), "test_size"),
        (lambda: gdlib.load_breast_cancer(test_size=1e-5), "test_size"),
        (lambda: gdlib.load_digits(test_size=0.9999), "test_size"),
        (lambda: gdlib.load_digits(seed=-2), "seed"),
        (lambda: gdlib.add_bias(np.ones(3)), "X must be a 2-D array"),
    ],
)
def test_data_functions_name_the_bad_argument(call, word):
    with pytest.raises(ValueError, match=word):
        call()


# ------------------------------------------------------------------ 3. errors tell the truth
def test_a_gradient_function_returning_nan_is_blamed_not_the_learning_rate():
    with pytest.raises(
        gdlib.NonFiniteError, match="grad returned NaN or inf .* at step 1"
    ) as info:
        gdlib.run(
            gdlib.GD(0.01),
            gdlib.ravine,
            [1.0, 1.0],
            grad=lambda th: np.array([np.nan, 1.0]),
        )
    assert "smaller learning rate" not in str(info.value) and "at fault" in str(
        info.value
    )
    assert isinstance(info.value, ValueError)


def test_a_gradient_returning_nan_after_some_steps_is_blamed_with_its_step():
    calls = []

    def grad(th):
        calls.append(1)
        return 2 * th if len(calls) < 4 else np.full_like(th, np.nan)

    with pytest.raises(gdlib.NonFiniteError, match="at step 4"):
        gdlib.run(gdlib.GD(0.1), lambda th: float(th @ th), [1.0, 1.0], grad=grad)


class NaNGradient(gdlib.LinearRegression):
    def grad(self, theta, X, y):
        g = super().grad(theta, X, y)
        g[1] = np.nan
        return g


def test_train_blames_a_model_gradient_that_returns_nan():
    with pytest.raises(
        gdlib.NonFiniteError, match="gradient returned NaN or inf"
    ) as info:
        gdlib.train(gdlib.GD(0.01), NaNGradient(), XR, YR, progress=False)
    assert "smaller learning rate" not in str(info.value)


def test_a_finite_explosion_ends_as_diverged_not_finished():
    # logistic loss is ~linear in θ: with η = 1e250 it jumps from log 2 to ~1e250, finite
    X = np.array([[1.0, 2.0], [1.0, -1.0], [1.0, 0.5], [1.0, -2.0]])
    y = np.array([1, 1, 0, 0])
    res = gdlib.train(
        gdlib.GD(1e250), gdlib.LogisticRegression(), X, y, epochs=5, progress=False
    )
    assert res.status == "diverged" and "smaller learning rate" in res.message
    assert res.epoch_losses[0] == pytest.approx(math.log(2))
    r = gdlib.run(
        gdlib.GD(1e250),
        lambda th: gdlib.LogisticRegression().loss(th, X, y),
        [0.0, 0.0],
        steps=5,
        grad=lambda th: gdlib.LogisticRegression().grad(th, X, y),
    )
    assert r.status == "diverged" and r.steps == 1


def test_run_divergence_rule_is_a_trillionfold_growth():
    # GD η = 0.1 on f = (x² + 50 y²)/2 from (0, 1): y_k = (−4)^k, f_k = 25 · 16^k.
    # f_k > 1e12 · 25 first at k = 10 (16^9 = 6.9e10, 16^10 = 1.1e12)
    res = gdlib.run(gdlib.GD(0.1), gdlib.ravine, [0.0, 1.0], steps=100)
    assert res.status == "diverged" and res.steps == 10
    assert "try a smaller learning rate" in res.message


def test_a_schedule_that_underflows_to_zero_stops_with_a_message():
    # 0.1 · 0.5^k underflows to exactly 0 after about 1080 halvings
    res = gdlib.train(
        gdlib.GD(0.1),
        gdlib.LinearRegression(),
        XR,
        YR,
        epochs=3000,
        schedule=gdlib.step_decay(0.1, drop=0.5, every=1),
        progress=False,
    )
    assert (
        res.status == "stopped"
        and "reached 0" in res.message
        and "schedule" in res.message
    )
    assert 1000 < len(res.etas) < 1200 and np.all(np.isfinite(res.epoch_losses))


@pytest.mark.parametrize("value", [-0.1, np.nan, "0.1", np.inf])
def test_a_schedule_returning_a_bad_value_names_schedule_and_step(value):
    with pytest.raises(ValueError, match=r"schedule\(3\) must return .* at step 3"):
        gdlib.train(
            gdlib.GD(0.1),
            gdlib.LinearRegression(),
            XR,
            YR,
            batch_size=1,
            epochs=2,
            schedule=lambda t: 0.01 if t < 3 else value,
            progress=False,
        )


# ------------------------------------------------------------------ 4. a failed call leaves state as it was
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_batchnorm_running_statistics_are_untouched_by_a_failing_call():
    net = BatchNormMLP(2, (3,), 3)
    theta = net.init(2)
    before = [m.copy() for m in net.running_mean], [v.copy() for v in net.running_var]
    X = X4.copy()
    X[0, 0] = np.nan
    for call in (
        lambda: net.grad(theta, X, [0, 1, 2, 1]),
        lambda: net.grad(theta, X4, [0, 1, 5, 1]),
        lambda: net.grad(theta, X4[:1], [0]),
    ):
        with pytest.raises(ValueError):
            call()
    assert all(np.array_equal(a, b) for a, b in zip(before[0], net.running_mean))
    assert all(np.array_equal(a, b) for a, b in zip(before[1], net.running_var))
    net.grad(theta, X4, [0, 1, 2, 1])  # a good call does update them
    assert not np.array_equal(before[0][0], net.running_mean[0])
