"""Shared checks on data, labels and parameters, and the rule that tells divergence apart.

Every check raises a ``ValueError`` whose message names the argument and says what
is allowed. The per-call checks of the models (:func:`as_rows`, :func:`as_labels`,
:func:`as_theta`) cost O(n) on an (n × d) batch: the finiteness of X is not scanned
here but read off the product X θ (:func:`check_product`), which the model computes
anyway — a NaN or inf anywhere in a row of X makes every entry of that row of X θ
non-finite, as long as θ is finite.

**Divergence.** A run (``run``, ``train``, ``strategies.fit``) has *diverged* when its
loss is non-finite or exceeds ``DIVERGENCE_FACTOR · max(|L0|, 1)`` with L0 the loss at
the start (:func:`is_divergent`). When the optimizer refuses a step with a
:class:`~gdlib.NonFiniteError` (:func:`explain_refused_step`), the run has diverged if the
update would have overflowed float64 (``what == 'update'``) or if the loss at the current
parameters is above L0 (the run has been going uphill); otherwise the parameters and the
loss are finite and not growing, so the gradient function is at fault: a
:class:`~gdlib.NonFiniteError` is raised that says so, without a learning-rate hint.
"""

from __future__ import annotations

import math

import numpy as np

from .base import NonFiniteError, check_int

__all__ = [
    "DIVERGENCE_FACTOR",
    "as_rows",
    "as_targets",
    "as_labels",
    "as_theta",
    "check_product",
    "check_data",
    "check_seed",
    "is_divergent",
    "explain_refused_step",
    "schedule_value",
]

#: A loss above DIVERGENCE_FACTOR · max(|L0|, 1) counts as diverged.
DIVERGENCE_FACTOR = 1e12


def _count(mask):
    return int(np.count_nonzero(mask))


def as_rows(
    X, name="X", n_features=None, min_rows=1, expected_by="the parameters expect"
):
    """X as a float array of shape (n, d) with n ≥ ``min_rows`` (and d = ``n_features`` if given).

    O(1) beyond the conversion: finiteness is checked by :func:`check_product` or :func:`check_data`.
    """
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a 2-D array of real numbers (n_samples x n_features)"
        ) from None
    if X.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_samples x n_features), got shape {X.shape}; "
            f"use {name}.reshape(-1, 1) for a single feature"
        )
    if X.shape[0] < min_rows:
        raise ValueError(
            f"{name} must have at least {min_rows} row{'s' if min_rows > 1 else ''}, "
            f"got shape {X.shape}"
        )
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features (columns) but {expected_by} {n_features}"
        )
    return X


def _as_1d(y, n, name):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array with one entry per row of X, got shape {y.shape}"
        )
    if n is not None and y.shape[0] != n:
        raise ValueError(
            f"{name} has {y.shape[0]} entries but X has {n} rows: they must match"
        )
    if y.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {y.dtype}")
    return y


def as_targets(y, n, name="y"):
    """Real-valued, finite regression targets of length n, as floats. O(n)."""
    y = _as_1d(y, n, name).astype(float, copy=False)
    bad = ~np.isfinite(y)
    if bad.any():
        raise ValueError(
            f"{name} must be finite: {_count(bad)} of its {y.size} entries are NaN or inf"
        )
    return y


def as_labels(y, n, n_classes, name="y"):
    """Class labels of length n: integers (or integral floats) in [0, n_classes), as intp. O(n).

    A label −1, 2.5 or NaN is an error, never read as the last class or truncated.
    """
    y = _as_1d(y, n, name)
    if y.size <= 16:  # a small batch: cheaper in plain Python
        if all(0 <= v < n_classes and v == int(v) for v in y.tolist()):
            return y.astype(np.intp, copy=False)
    elif y.dtype.kind == "f":
        if (np.floor(y) == y).all() and y.min() >= 0 and y.max() < n_classes:
            return y.astype(np.intp)
    elif y.min() >= 0 and y.max() < n_classes:
        return y.astype(np.intp, copy=False)
    # something is wrong: say what
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.floor(y))
        if bad.any():
            raise ValueError(
                f"{name} must hold integer class labels in [0, {n_classes}), but {_count(bad)} "
                f"of its {y.size} entries are not integers (e.g. {y[bad][0].item()!r})"
            )
    bad = (y < 0) | (y >= n_classes)
    raise ValueError(
        f"{name} must hold class labels in [0, {n_classes}) (integers 0 ... {n_classes - 1}), "
        f"but {_count(bad)} of its {y.size} entries are outside (e.g. {y[bad][0].item()!r})"
    )


def as_theta(theta, shape, owner, name="theta"):
    """θ as a float array of exactly ``shape``, all finite. O(size of θ)."""
    try:
        theta = np.asarray(theta, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of real numbers of shape {shape} for {owner}"
        ) from None
    if theta.shape != tuple(shape):
        raise ValueError(
            f"{name} must have shape {tuple(shape)} for {owner}, got shape {theta.shape}"
        )
    if not np.isfinite(theta).all():
        raise ValueError(
            f"{name} must be finite: {_count(~np.isfinite(theta))} of its {theta.size} "
            "entries are NaN or inf"
        )
    return theta


def check_product(Z, X, name="X"):
    """True if Z = X θ (θ finite) is finite; a ValueError if X holds NaN/inf; False on overflow.

    Only when Z is not finite is X scanned (O(n·d)), to tell bad data from an overflow.
    """
    if np.isfinite(Z).all():
        return True
    bad = ~np.isfinite(X)
    if bad.any():
        raise ValueError(
            f"{name} must be finite: {_count(bad)} of its {X.size} entries are NaN or inf"
        )
    return False


def check_data(X, y, name_X="X", name_y="y", n_features=None):
    """X (n × d, finite) and y (length n, finite) once, before training: O(n·d)."""
    X = as_rows(X, name_X, n_features, expected_by="the training data X has")
    bad = ~np.isfinite(X)
    if bad.any():
        rows = _count(bad.any(axis=1))
        raise ValueError(
            f"{name_X} must be finite: {_count(bad)} of its {X.size} entries "
            f"(in {rows} of {X.shape[0]} rows) are NaN or inf"
        )
    y = _as_1d(y, X.shape[0], name_y)
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"{name_y} must be finite: {_count(bad)} of its {y.size} entries are NaN or inf"
            )
    return X, y


def check_seed(seed, name="seed"):
    """None, an integer ≥ 0, or a numpy Generator/SeedSequence/BitGenerator (what ``default_rng`` takes)."""
    if seed is None or isinstance(
        seed, (np.random.Generator, np.random.SeedSequence, np.random.BitGenerator)
    ):
        return seed
    return check_int(name, seed, 0)


def is_divergent(loss, loss0):
    """The divergence rule: loss non-finite, or above DIVERGENCE_FACTOR · max(|L0|, 1)."""
    return not math.isfinite(loss) or loss > DIVERGENCE_FACTOR * max(abs(loss0), 1.0)


def divergence_message(loss, loss0, where, optimizer):
    what = (
        f"the loss became {loss}"
        if not math.isfinite(loss)
        else f"the loss grew from {loss0:.4g} to {loss:.4g} (above {DIVERGENCE_FACTOR:g} x max(|L0|, 1))"
    )
    return f"diverged: {what} {where} with {optimizer!r}; try a smaller learning rate"


def explain_refused_step(err, loss, loss0, where, optimizer, grad_name="grad_fn"):
    """Turn a NonFiniteError from ``optimizer.step`` into the truth.

    Returns the message of a diverged run, or raises a NonFiniteError blaming the gradient
    function when θ and the loss were finite and the loss was not above its start L0.
    """
    if err.what == "update":
        return (
            f"diverged: the update {where} would overflow float64 ({err.count} coordinates) "
            f"with {optimizer!r}; try a smaller learning rate"
        )
    if not math.isfinite(loss) or loss > loss0:
        grown = (
            f"the loss had grown from {loss0:.4g} to {loss:.4g}"
            if math.isfinite(loss)
            else f"the loss was {loss}"
        )
        return (
            f"diverged: {grad_name} returned NaN or inf {where} after {grown} with {optimizer!r}; "
            "try a smaller learning rate"
        )
    raise NonFiniteError(
        f"{grad_name} returned NaN or inf in {err.count} coordinates {where}, at finite parameters where "
        f"the loss {loss:.6g} was finite and not above its start {loss0:.6g}: the gradient function "
        f"is at fault, not the learning rate ({err})",
        err.what,
        err.step,
        err.count,
    ) from err


def schedule_value(value, t, unit="step"):
    """A schedule's learning rate for tick t as a float ≥ 0, or a ValueError naming ``schedule``."""
    if np.ndim(value) == 0 and isinstance(value, np.ndarray):
        value = value[()]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or math.isnan(value)
        or value < 0
        or math.isinf(value)
    ):
        raise ValueError(
            f"schedule({t}) must return a finite learning rate >= 0 at {unit} {t}, "
            f"got {value!r}"
        )
    return float(value)
