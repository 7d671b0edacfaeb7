"""Exponentially weighted averages, the building block of momentum, RMSprop and Adam."""
from __future__ import annotations

import numpy as np

__all__ = ["ewa", "ewa_weights"]


def ewa(x, beta, bias_correction=False):
    r"""The exponentially weighted average of a sequence.

    .. math:: v_0 = 0, \qquad v_t = \beta v_{t-1} + (1-\beta) x_t, \qquad
              \hat v_t = \frac{v_t}{1-\beta^t}

    Returns v_1, ..., v_T (or v̂_1, ..., v̂_T with ``bias_correction=True``) for
    x_1, ..., x_T along the first axis.
    """
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    v = np.zeros_like(x[0])
    for t, xt in enumerate(x, start=1):
        v = beta * v + (1 - beta) * xt
        out[t - 1] = v / (1 - beta**t) if bias_correction else v
    return out


def ewa_weights(beta, t):
    """The weight (1 − β) β^(t−i) that v_t gives to x_i, for i = 1, ..., t."""
    if not 0 <= beta < 1:
        raise ValueError(f"beta must be in [0, 1), got {beta!r}")
    i = np.arange(1, t + 1)
    return (1 - beta) * beta ** (t - i)
