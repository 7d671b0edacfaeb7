"""Data sets: real ones that ship inside scikit-learn (no download) and synthetic generators.

Every loader standardizes the features with the *training* mean and standard
deviation and, with ``bias=True``, prepends a column of ones so that a model's
θ[0] is its intercept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import check_int, check_real
from .validation import as_rows, check_seed

__all__ = [
    "Dataset",
    "load_breast_cancer",
    "load_digits",
    "make_linear_regression",
    "make_classification",
    "make_sparse_features",
    "add_bias",
]


@dataclass
class Dataset:
    """Train/test arrays and a description of where they came from."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    description: str = ""
    feature_names: tuple = ()

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def add_bias(X):
    """Prepend a column of ones to X (a 2-D array, n × d)."""
    X = as_rows(X, min_rows=0)
    return np.hstack([np.ones((X.shape[0], 1)), X])


def _check_loader(test_size, seed, bias, n):
    test_size = check_real("test_size", test_size, 0.0, low_open=True)
    if not test_size < 1:
        raise ValueError(f"test_size must be in (0, 1), got {test_size!r}")
    n_test = int(round(test_size * n))
    if not 1 <= n_test <= n - 2:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_test} of {n} rows for testing and {n - n_test} "
            "for training: both sets need rows (at least 1 and 2)"
        )
    check_seed(seed)
    _check_bool("bias", bias)
    return n_test


def _check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _split_standardize(X, y, test_size, seed, bias, description, names):
    n_test = _check_loader(test_size, seed, bias, len(y))
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    mean, std = X[train].mean(axis=0), X[train].std(axis=0)
    std[std == 0] = 1.0  # constant features (digits' blank pixels)
    Xs = (X - mean) / std
    if bias:
        Xs = add_bias(Xs)
        names = ("bias",) + tuple(names)
    return Dataset(Xs[train], y[train], Xs[test], y[test], description, tuple(names))


def load_breast_cancer(test_size=0.25, seed=0, bias=True):
    """Wisconsin breast-cancer data (569 × 30, labels 0 = malignant, 1 = benign).

    Ships with scikit-learn (Street, Wolberg & Mangasarian, 1993).
    """
    from sklearn.datasets import load_breast_cancer as _load

    raw = _load()
    return _split_standardize(
        raw.data.astype(float),
        raw.target.astype(float),
        test_size,
        seed,
        bias,
        "Breast cancer Wisconsin (diagnostic), from scikit-learn",
        tuple(raw.feature_names),
    )


def load_digits(test_size=0.25, seed=0, bias=True):
    """Hand-written digits (1797 images of 8 × 8 pixels, 10 classes), from scikit-learn."""
    from sklearn.datasets import load_digits as _load

    raw = _load()
    names = tuple(f"pixel_{i}" for i in range(raw.data.shape[1]))
    return _split_standardize(
        raw.data.astype(float),
        raw.target.astype(int),
        test_size,
        seed,
        bias,
        "Optical recognition of hand-written digits, from scikit-learn",
        names,
    )


def make_linear_regression(n=200, d=2, noise=0.1, seed=0, bias=True):
    """y = X θ* + noise with standard-normal X. Returns ``X, y, theta_star``.

    ``n`` ≥ 1 rows, ``d`` ≥ 1 features, ``noise`` ≥ 0 (the standard deviation).
    """
    n, d = check_int("n", n, 1), check_int("d", d, 1)
    noise = check_real("noise", noise, 0.0)
    check_seed(seed)
    _check_bool("bias", bias)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if bias:
        X = add_bias(X)
    theta_star = rng.standard_normal(X.shape[1])
    y = X @ theta_star + noise * rng.standard_normal(n)
    return X, y, theta_star


def make_classification(n=200, d=2, separation=2.0, seed=0, bias=True):
    """Two Gaussian blobs with labels 0 and 1, ``separation`` apart. Returns ``X, y``.

    ``n`` ≥ 1 rows, ``d`` ≥ 1 features, ``separation`` ≥ 0 (the distance of the centres).
    """
    n, d = check_int("n", n, 1), check_int("d", d, 1)
    separation = check_real("separation", separation, 0.0)
    check_seed(seed)
    _check_bool("bias", bias)
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.5).astype(float)
    centre = np.zeros(d)
    centre[0] = separation / 2
    X = rng.standard_normal((n, d)) + np.where(y[:, None] == 1, centre, -centre)
    return (add_bias(X) if bias else X), y


def make_sparse_features(n=2000, frequencies=(0.5, 0.2, 0.05, 0.01), seed=0, noise=0.1):
    """Binary features that are on with very different frequencies, and a linear target.

    Feature j is 1 in a fraction ``frequencies[j]`` of the rows and 0 elsewhere;
    every feature has the same true weight 1, so rare features carry as much
    signal per occurrence as frequent ones. Returns ``X, y, theta_star``.
    """
    try:
        freqs = np.asarray(frequencies, dtype=float)
    except (TypeError, ValueError):
        freqs = np.array([np.nan])
    if freqs.ndim != 1 or freqs.size == 0 or not np.all((freqs > 0) & (freqs <= 1)):
        raise ValueError(
            f"frequencies must be a non-empty 1-D sequence of values in (0, 1], got {frequencies!r}"
        )
    n = check_int("n", n, 1)
    noise = check_real("noise", noise, 0.0)
    check_seed(seed)
    rng = np.random.default_rng(seed)
    X = (rng.random((n, freqs.size)) < freqs).astype(float)
    theta_star = np.ones(freqs.size)
    y = X @ theta_star + noise * rng.standard_normal(n)
    return X, y, theta_star
