"""The decaying schedules: constant, 1/t, step, exponential and Robbins–Monro rates.

A schedule is a function of a counter t = 0, 1, 2, ... (steps or epochs, as
the caller decides) that returns the learning rate η_t. Every schedule checks
its parameters when it is made and the t it is called with: t must be a
finite real number ≥ 0, or an array of them (the schedule is then evaluated
element-wise); anything else raises a ``ValueError`` naming ``t``. For every
allowed t the rate is a finite number ≥ 0, never NaN or inf.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import check_int, check_real

__all__ = [
    "constant",
    "time_based_decay",
    "step_decay",
    "exponential_decay",
    "robbins_monro",
]


# --- checks ------------------------------------------------------------------------------------


def _check_open_unit(name, value, high_closed=False):
    """``value`` as a float in (0, 1) (or (0, 1] with ``high_closed``), else a ValueError naming it."""
    interval = "(0, 1]" if high_closed else "(0, 1)"
    try:
        value = check_real(name, value, 0.0, low_open=True)
    except ValueError:
        raise ValueError(
            f"{name} must be a real number in {interval}, got {value!r}"
        ) from None
    if value > 1.0 or (value == 1.0 and not high_closed):
        raise ValueError(f"{name} must be a real number in {interval}, got {value!r}")
    return value


def _check_t(t):
    """The tick ``t`` as a float, or as a float array: finite and ≥ 0, else a ValueError naming t."""
    if isinstance(t, (bool, np.bool_)):
        raise ValueError(
            f"t must be a finite real number >= 0 (a step or epoch count), got {t!r}"
        )
    if isinstance(t, (int, float, np.integer, np.floating)):
        if not (math.isfinite(t) and t >= 0):
            raise ValueError(
                f"t must be a finite real number >= 0 (a step or epoch count), got {t!r}"
            )
        return float(t)
    arr = np.asarray(t)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"t must be a finite real number >= 0 or an array of them, got {t!r}"
        )
    arr = arr.astype(float)
    bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        first = float(arr.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]])
        raise ValueError(
            f"t must hold finite real numbers >= 0 (step or epoch counts), "
            f"but it contains {first!r}"
        )
    return arr


def _out(value):
    """A float for a scalar, an array for an array."""
    return float(value) if np.ndim(value) == 0 else value


# --- schedules ---------------------------------------------------------------------------------


def constant(eta0):
    """η_t = η0, for η0 > 0 finite."""
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)

    def schedule(t):
        t = _check_t(t)
        return eta0 if np.ndim(t) == 0 else np.full(np.shape(t), eta0)

    return schedule


def time_based_decay(eta0, k):
    """η_t = η0 / (1 + k t): the 1/t decay, for η0 > 0 and k ≥ 0 finite.

    The rate stays positive for every t whose k t is below the float64 maximum.
    """
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)
    k = check_real("k", k, 0.0)

    def schedule(t):
        t = _check_t(t)
        with np.errstate(over="ignore"):  # k t = inf gives the limit η = 0
            return _out(eta0 / (1.0 + k * np.asarray(t)))

    return schedule


def step_decay(eta0, drop=0.5, every=10):
    """η_t = η0 · drop^⌊t / every⌋: multiply by ``drop`` every ``every`` ticks.

    η0 > 0 finite, ``drop`` in (0, 1] and ``every`` an integer ≥ 1. With drop < 1
    the rate shrinks geometrically and, in float64, becomes exactly 0.0 once
    η0 · drop^j falls below half the smallest positive double, 2^−1074 ≈ 4.9e−324
    (it passes through subnormal numbers first): after about
    log(η0 / 2^−1074) / log(1/drop) drops. For η0 = 1 and drop = 1/2 the rate is
    2^−1074 after 1074 drops and exactly 0.0 from the 1075th on, that is from
    t = 1075 · every. A rate of 0 no longer moves the parameters.
    """
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)
    drop = _check_open_unit("drop", drop, high_closed=True)
    every = check_int("every", every, 1)

    def schedule(t):
        t = _check_t(t)
        with np.errstate(under="ignore"):
            return _out(eta0 * drop ** np.floor_divide(t, every))

    return schedule


def exponential_decay(eta0, k):
    """η_t = η0 · exp(−k t), for η0 > 0 and k ≥ 0 finite.

    With k > 0 the rate underflows to exactly 0.0 once k t exceeds about
    745 + ln η0 (exp(−745.2) is below the smallest positive double).
    """
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)
    k = check_real("k", k, 0.0)

    def schedule(t):
        t = _check_t(t)
        with np.errstate(
            over="ignore", under="ignore"
        ):  # k t = inf gives exp(-inf) = 0
            return _out(eta0 * np.exp(-k * np.asarray(t, dtype=float)))

    return schedule


def robbins_monro(eta0, tau=1.0, power=1.0):
    """η_t = η0 · τ^power / (τ + t)^power = η0 / (1 + t/τ)^power.

    η0 > 0 and τ > 0 finite, ``power`` in (0, 1]. For 1/2 < power ≤ 1 the rates
    satisfy the Robbins–Monro conditions Σ η_t = ∞ and Σ η_t² < ∞ (Robbins &
    Monro, 1951). The second form is the one computed: it cannot overflow.
    """
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)
    tau = check_real("tau", tau, 0.0, low_open=True)
    power = _check_open_unit("power", power, high_closed=True)

    def schedule(t):
        t = _check_t(t)
        with np.errstate(
            over="ignore", under="ignore"
        ):  # t/τ = inf gives the limit η = 0
            return _out(eta0 / (1.0 + np.asarray(t) / tau) ** power)

    return schedule
