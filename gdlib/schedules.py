"""Learning-rate schedules and step-size searches.

A schedule is a function of a counter t = 0, 1, 2, ... (steps or epochs, as
the caller decides) that returns the learning rate η_t.
"""
from __future__ import annotations

import math

import numpy as np

from .base import check_real

__all__ = [
    "constant", "time_based_decay", "step_decay", "exponential_decay",
    "robbins_monro", "backtracking", "golden_section", "log_grid",
]


def constant(eta0):
    """η_t = η0."""
    check_real("eta0", eta0, 0.0, low_open=True)
    return lambda t: eta0


def time_based_decay(eta0, k):
    """η_t = η0 / (1 + k t): the 1/t decay."""
    check_real("eta0", eta0, 0.0, low_open=True)
    check_real("k", k, 0.0)
    return lambda t: eta0 / (1.0 + k * t)


def step_decay(eta0, drop=0.5, every=10):
    """η_t = η0 · drop^⌊t / every⌋: multiply by ``drop`` every ``every`` ticks."""
    check_real("eta0", eta0, 0.0, low_open=True)
    if not 0 < drop <= 1:
        raise ValueError(f"drop must be in (0, 1], got {drop!r}")
    if not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    return lambda t: eta0 * drop ** (t // every)


def exponential_decay(eta0, k):
    """η_t = η0 · exp(−k t)."""
    check_real("eta0", eta0, 0.0, low_open=True)
    check_real("k", k, 0.0)
    return lambda t: eta0 * np.exp(-k * np.asarray(t, dtype=float))


def robbins_monro(eta0, tau=1.0, power=1.0):
    """η_t = η0 · τ / (τ + t)^power.

    For 1/2 < power ≤ 1 the rates satisfy the Robbins–Monro conditions
    Σ η_t = ∞ and Σ η_t² < ∞ (Robbins & Monro, 1951).
    """
    check_real("eta0", eta0, 0.0, low_open=True)
    check_real("tau", tau, 0.0, low_open=True)
    if not 0 < power <= 1:
        raise ValueError(f"power must be in (0, 1], got {power!r}")
    return lambda t: eta0 * tau**power / (tau + t) ** power


def backtracking(f, grad, theta, eta0=1.0, c=1e-4, rho=0.5, max_iter=60, g=None):
    """Backtracking (Armijo) line search along the steepest-descent direction.

    Returns the first η in η0, ρη0, ρ²η0, ... that satisfies the sufficient-decrease
    condition f(θ − η g) ≤ f(θ) − c η ‖g‖² (Armijo, 1966). Pass the gradient ``g`` at θ
    if you already have it, to save one gradient evaluation.
    """
    check_real("eta0", eta0, 0.0, low_open=True)
    if not 0 < c < 1:
        raise ValueError(f"c must be in (0, 1), got {c!r}")
    if not 0 < rho < 1:
        raise ValueError(f"rho must be in (0, 1), got {rho!r}")
    theta = np.asarray(theta, dtype=float)
    g = np.asarray(grad(theta) if g is None else g, dtype=float)
    f0, slope = f(theta), float(g.ravel() @ g.ravel())
    eta = eta0
    for _ in range(max_iter):
        with np.errstate(over="ignore", invalid="ignore"):
            if f(theta - eta * g) <= f0 - c * eta * slope:
                return eta
        eta *= rho
    raise RuntimeError(f"backtracking found no step satisfying the Armijo condition in {max_iter} halvings")


def golden_section(phi, a, b, tol=1e-10, max_iter=200):
    """The minimizer of a unimodal function ``phi`` on [a, b] by golden-section search."""
    if not a < b:
        raise ValueError(f"need a < b, got a={a!r}, b={b!r}")
    inv_phi = (math.sqrt(5) - 1) / 2           # 1/φ ≈ 0.618
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = phi(c), phi(d)
    for _ in range(max_iter):
        if b - a <= tol:
            break
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = phi(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = phi(d)
    return (a + b) / 2


def log_grid(low, high, per_decade=3):
    """Learning rates spaced evenly on a log scale from ``low`` to ``high``, inclusive."""
    check_real("low", low, 0.0, low_open=True)
    if not high > low:
        raise ValueError(f"high must exceed low, got low={low!r}, high={high!r}")
    decades = math.log10(high / low)
    return np.logspace(math.log10(low), math.log10(high), int(round(decades * per_decade)) + 1)
