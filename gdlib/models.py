"""Models with analytic gradients, and a finite-difference gradient check.

Each model has ``loss(theta, X, y)`` (the mean over the rows of X),
``grad(theta, X, y)`` (its exact gradient, shaped like θ) and
``init(n_features)``. An optional L2 penalty (λ_L2/2)‖θ‖² is added with ``l2=λ_L2``.
"""

from __future__ import annotations

import math

import numpy as np

from .base import check_int, check_real
from .validation import as_labels, as_rows, as_targets, as_theta, check_product

__all__ = [
    "LinearRegression",
    "LogisticRegression",
    "SoftmaxRegression",
    "numerical_gradient",
]


def _penalty(l2, theta):
    """(λ_L2/2)‖θ‖², and exactly 0 without a penalty (no 0·inf = NaN for huge θ)."""
    return 0.5 * l2 * float(theta.ravel() @ theta.ravel()) if l2 else 0.0


def _linear_inputs(model, theta, X, shape_of):
    """(θ, X) checked against each other: X 2-D with ≥ 1 row, θ finite and shaped for X."""
    X = as_rows(X)
    theta = as_theta(
        theta, shape_of(X.shape[1]), f"{model!r} on data with {X.shape[1]} features"
    )
    return theta, X


class LinearRegression:
    r"""Least squares: J(θ) = 1/(2n) ‖Xθ − y‖² (+ λ_L2/2 ‖θ‖²),  ∇J = Xᵀ(Xθ − y)/n (+ λ_L2 θ).

    Every method checks its inputs (a ValueError naming ``theta``, ``X`` or ``y``): X is
    n × d with n ≥ 1, θ is finite with shape (d,), y has n finite entries, and X holds no
    NaN/inf. If X θ overflows float64, ``loss`` is ``inf`` (never NaN) and ``grad`` is
    not finite, which :meth:`gdlib.Optimizer.step` refuses.
    """

    def __init__(self, l2=0.0):
        self.l2 = check_real("l2", l2, 0.0)

    def __repr__(self):
        return f"{type(self).__name__}(l2={self.l2:g})"

    def theta_shape(self, n_features):
        """The shape of θ for data with ``n_features`` columns."""
        return (n_features,)

    def init(self, n_features):
        return np.zeros(check_int("n_features", n_features, 1))

    def _z(self, theta, X):
        theta, X = _linear_inputs(self, theta, X, self.theta_shape)
        z = X @ theta  # a NaN/inf in X or an overflow: checked next
        return theta, X, z, check_product(z, X)

    def predict(self, theta, X):
        return self._z(theta, X)[2]

    def loss(self, theta, X, y):
        theta, X, z, finite = self._z(theta, X)
        y = as_targets(y, X.shape[0])
        if not finite:
            return math.inf
        with np.errstate(over="ignore"):
            r = z - y
            value = 0.5 * float(r @ r) / len(y) + _penalty(self.l2, theta)
        return value if not math.isnan(value) else math.inf

    def grad(self, theta, X, y):
        theta, X, z, _ = self._z(theta, X)
        y = as_targets(y, X.shape[0])
        return X.T @ (z - y) / len(y) + self.l2 * theta


class LogisticRegression:
    r"""Binary cross-entropy with labels in {0, 1} and p = σ(Xθ).

    J(θ) = −1/n Σ [y log p + (1 − y) log(1 − p)],  ∇J = Xᵀ(p − y)/n.
    The loss is computed as mean(log(1 + e^z) − y z) with z = Xθ, which never overflows.
    Labels must be 0 or 1 (integers, integral floats or booleans); anything else,
    −1/1 labels included, is a ValueError naming ``y``. θ and X are checked as in
    :class:`LinearRegression`.
    """

    def __init__(self, l2=0.0):
        self.l2 = check_real("l2", l2, 0.0)

    def __repr__(self):
        return f"{type(self).__name__}(l2={self.l2:g})"

    def theta_shape(self, n_features):
        """The shape of θ for data with ``n_features`` columns."""
        return (n_features,)

    def init(self, n_features):
        return np.zeros(check_int("n_features", n_features, 1))

    @staticmethod
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1/(1+e^{-z}), without overflow

    def _z(self, theta, X):
        theta, X = _linear_inputs(self, theta, X, self.theta_shape)
        z = X @ theta  # a NaN/inf in X or an overflow: checked next
        return theta, X, z, check_product(z, X)

    def predict_proba(self, theta, X):
        return self.sigmoid(self._z(theta, X)[2])

    def predict(self, theta, X):
        return (self._z(theta, X)[2] > 0).astype(float)

    def accuracy(self, theta, X, y):
        theta, X, z, _ = self._z(theta, X)
        y = as_labels(y, X.shape[0], 2)
        return float(np.mean((z > 0) == y))

    def loss(self, theta, X, y):
        theta, X, z, finite = self._z(theta, X)
        y = as_labels(y, X.shape[0], 2)
        if not finite:
            return math.inf
        return float(np.mean(np.logaddexp(0.0, z) - y * z)) + _penalty(self.l2, theta)

    def grad(self, theta, X, y):
        theta, X, z, _ = self._z(theta, X)
        y = as_labels(y, X.shape[0], 2)
        return X.T @ (self.sigmoid(z) - y) / len(y) + self.l2 * theta


class SoftmaxRegression:
    r"""Multinomial logistic regression. θ has shape (n_features, K); y holds class indices.

    J(θ) = −1/n Σ log softmax(Xθ)_{i, y_i},  ∇J = Xᵀ(P − Y)/n with Y one-hot.
    ``n_classes`` K is an integer ≥ 2; labels are integers (or integral floats) in
    [0, K) — a label −1 or 2.5 is a ValueError naming ``y``, never read as another class.
    """

    def __init__(self, n_classes, l2=0.0):
        self.n_classes = check_int("n_classes", n_classes, 2)
        self.l2 = check_real("l2", l2, 0.0)

    def __repr__(self):
        return f"SoftmaxRegression(n_classes={self.n_classes}, l2={self.l2:g})"

    def theta_shape(self, n_features):
        """The shape of θ for data with ``n_features`` columns."""
        return (n_features, self.n_classes)

    def init(self, n_features):
        return np.zeros((check_int("n_features", n_features, 1), self.n_classes))

    def _z(self, theta, X):
        theta, X = _linear_inputs(self, theta, X, self.theta_shape)
        z = X @ theta  # a NaN/inf in X or an overflow: checked next
        return theta, X, z, check_product(z, X)

    @staticmethod
    def _log_softmax(z):
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict_proba(self, theta, X):
        z = self._z(theta, X)[2]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, theta, X):
        return np.argmax(self._z(theta, X)[2], axis=1)

    def accuracy(self, theta, X, y):
        theta, X, z, _ = self._z(theta, X)
        y = as_labels(y, X.shape[0], self.n_classes)
        return float(np.mean(np.argmax(z, axis=1) == y))

    def loss(self, theta, X, y):
        theta, X, z, finite = self._z(theta, X)
        y = as_labels(y, X.shape[0], self.n_classes)
        if not finite:
            return math.inf
        log_p = self._log_softmax(z)
        return float(-np.mean(log_p[np.arange(len(y)), y])) + _penalty(self.l2, theta)

    def grad(self, theta, X, y):
        theta, X, z, _ = self._z(theta, X)
        y = as_labels(y, X.shape[0], self.n_classes)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1.0
        return X.T @ p / len(y) + self.l2 * theta


def numerical_gradient(f, theta, h=1e-6):
    """Central finite differences (f(θ + h e_i) − f(θ − h e_i)) / 2h for every entry of θ."""
    theta = np.array(theta, dtype=float)
    g = np.zeros_like(theta)
    for i in np.ndindex(theta.shape):
        old = theta[i]
        theta[i] = old + h
        f_plus = f(theta)
        theta[i] = old - h
        f_minus = f(theta)
        theta[i] = old
        g[i] = (f_plus - f_minus) / (2 * h)
    return g
