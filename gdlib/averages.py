"""Exponentially weighted averages, the building block of momentum, RMSprop and Adam."""

from __future__ import annotations

import numpy as np

from .base import check_int, check_real

__all__ = ["ewa", "ewa_weights"]


def _check_beta(beta):
    """β as a float in [0, 1), else a ValueError naming beta."""
    try:
        value = check_real("beta", beta, 0.0)
    except ValueError:
        raise ValueError(
            f"beta must be a real number in [0, 1), got {beta!r}"
        ) from None
    if value >= 1.0:
        raise ValueError(f"beta must be a real number in [0, 1), got {beta!r}")
    return value


def ewa(x, beta, bias_correction=False):
    r"""The exponentially weighted average of a sequence.

    .. math:: v_0 = 0, \qquad v_t = \beta v_{t-1} + (1-\beta) x_t, \qquad
              \hat v_t = \frac{v_t}{1-\beta^t}

    Returns v_1, ..., v_T (or v̂_1, ..., v̂_T with ``bias_correction=True``) for
    x_1, ..., x_T along the first axis. ``x`` is an array of finite real numbers
    with at least one axis (an empty sequence gives an empty result), ``beta`` is
    in [0, 1) and ``bias_correction`` a bool; anything else raises a ``ValueError``
    naming the argument.
    """
    beta = _check_beta(beta)
    if not isinstance(bias_correction, (bool, np.bool_)):
        raise ValueError(
            f"bias_correction must be True or False, got {bias_correction!r}"
        )
    try:
        x = np.array(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"x must be an array of real numbers, got {x!r}") from None
    if x.ndim == 0:
        raise ValueError(
            f"x must be a sequence (at least one axis, averaged along the first), got {x!r}"
        )
    if not np.all(np.isfinite(x)):
        first = int(
            np.flatnonzero(~np.all(np.isfinite(x.reshape(len(x), -1)), axis=1))[0]
        )
        raise ValueError(f"x must be finite, but x[{first}] contains NaN or inf")
    out = np.empty_like(x)
    if len(x) == 0:
        return out
    v = np.zeros_like(x[0])
    for t, xt in enumerate(x, start=1):
        v = beta * v + (1 - beta) * xt
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    if not np.all(
        np.isfinite(out)
    ):  # a convex combination of finite numbers; only near the float max
        raise ValueError(
            "x is too close to the largest float64 for its average to be finite: rescale x"
        )
    return out


def ewa_weights(beta, t):
    """The weight (1 − β) β^(t−i) that v_t gives to x_i, for i = 1, ..., t.

    ``beta`` is in [0, 1) and ``t`` an integer ≥ 0 (t = 0 gives no weights).
    """
    beta = _check_beta(beta)
    t = check_int("t", t, 0)
    i = np.arange(1, t + 1)
    with np.errstate(under="ignore"):
        return (1 - beta) * beta ** (t - i)
