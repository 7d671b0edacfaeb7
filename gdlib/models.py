"""Models with analytic gradients, and a finite-difference gradient check.

Each model has ``loss(theta, X, y)`` (the mean over the rows of X),
``grad(theta, X, y)`` (its exact gradient, shaped like θ) and
``init(n_features)``. An optional L2 penalty (λ/2)‖θ‖² is added with ``l2=λ``.
"""
from __future__ import annotations

import numpy as np

from .base import check_real

__all__ = ["LinearRegression", "LogisticRegression", "SoftmaxRegression", "numerical_gradient"]


def _penalty(l2, theta):
    """(λ/2)‖θ‖², and exactly 0 without a penalty (no 0·inf = NaN for huge θ)."""
    return 0.5 * l2 * float(theta.ravel() @ theta.ravel()) if l2 else 0.0


class LinearRegression:
    r"""Least squares: J(θ) = 1/(2n) ‖Xθ − y‖² (+ λ/2 ‖θ‖²),  ∇J = Xᵀ(Xθ − y)/n (+ λθ)."""

    def __init__(self, l2=0.0):
        self.l2 = check_real("l2", l2, 0.0)

    def init(self, n_features):
        return np.zeros(n_features)

    def predict(self, theta, X):
        return X @ theta

    def loss(self, theta, X, y):
        r = X @ theta - y
        return 0.5 * float(r @ r) / len(y) + _penalty(self.l2, theta)

    def grad(self, theta, X, y):
        return X.T @ (X @ theta - y) / len(y) + self.l2 * theta


class LogisticRegression:
    r"""Binary cross-entropy with labels in {0, 1} and p = σ(Xθ).

    J(θ) = −1/n Σ [y log p + (1 − y) log(1 − p)],  ∇J = Xᵀ(p − y)/n.
    The loss is computed as mean(log(1 + e^z) − y z) with z = Xθ, which never overflows.
    """

    def __init__(self, l2=0.0):
        self.l2 = check_real("l2", l2, 0.0)

    def init(self, n_features):
        return np.zeros(n_features)

    @staticmethod
    def sigmoid(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))        # = 1/(1+e^{-z}), without overflow

    def predict_proba(self, theta, X):
        return self.sigmoid(X @ theta)

    def predict(self, theta, X):
        return (X @ theta > 0).astype(float)

    def accuracy(self, theta, X, y):
        return float(np.mean(self.predict(theta, X) == y))

    def loss(self, theta, X, y):
        z = X @ theta
        return float(np.mean(np.logaddexp(0.0, z) - y * z)) + _penalty(self.l2, theta)

    def grad(self, theta, X, y):
        return X.T @ (self.sigmoid(X @ theta) - y) / len(y) + self.l2 * theta


class SoftmaxRegression:
    r"""Multinomial logistic regression. θ has shape (n_features, K); y holds class indices.

    J(θ) = −1/n Σ log softmax(Xθ)_{i, y_i},  ∇J = Xᵀ(P − Y)/n with Y one-hot.
    """

    def __init__(self, n_classes, l2=0.0):
        if int(n_classes) < 2:
            raise ValueError(f"n_classes must be >= 2, got {n_classes!r}")
        self.n_classes = int(n_classes)
        self.l2 = check_real("l2", l2, 0.0)

    def init(self, n_features):
        return np.zeros((n_features, self.n_classes))

    def predict_proba(self, theta, X):
        z = X @ theta
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, theta, X):
        return np.argmax(X @ theta, axis=1)

    def accuracy(self, theta, X, y):
        return float(np.mean(self.predict(theta, X) == y))

    def loss(self, theta, X, y):
        z = X @ theta
        z -= z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-np.mean(log_p[np.arange(len(y)), y])) + _penalty(self.l2, theta)

    def grad(self, theta, X, y):
        p = self.predict_proba(theta, X)
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
