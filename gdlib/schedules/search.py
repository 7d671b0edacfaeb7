"""Step-size searches: backtracking (Armijo), golden-section search, and a log grid of rates.

The step-size searches :func:`backtracking` and :func:`golden_section` either
return a step that does what they promise or raise: a :class:`LineSearchError`
when the search itself fails, a ``ValueError`` for bad input.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import check_int, check_real
from .decay import _check_open_unit

__all__ = ["backtracking", "golden_section", "log_grid", "LineSearchError"]


class LineSearchError(RuntimeError):
    """A step-size search that found no acceptable step.

    ``eta`` is the last step size tried and ``iterations`` the number of trials.
    """

    def __init__(self, message, eta, iterations):
        super().__init__(message)
        self.eta, self.iterations = eta, iterations


# --- step-size searches ------------------------------------------------------------------------


def _finite_vector(name, value, shape=None):
    """``value`` as a finite float array (of ``shape``, if given), else a ValueError naming it."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of real numbers, got {value!r}"
        ) from None
    if shape is not None and arr.shape != shape:
        raise ValueError(
            f"{name} must have the shape of theta, {shape}, got {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name} must be finite, but it contains NaN or inf: {value!r}"
        )
    return arr


def _finite_value(name, value, where):
    """A function value as a float; a ValueError naming ``name`` and ``where`` if not finite and real."""
    try:
        out = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must return a real number, but returned {value!r} at {where}"
        ) from None
    if not math.isfinite(out):
        raise ValueError(f"{name} returned {out} at {where}: it must be finite there")
    return out


def backtracking(
    f, grad, theta, eta0=1.0, c=1e-4, rho=0.5, max_iter=60, g=None, d=None
):
    """Backtracking (Armijo) line search along the steepest-descent direction.

    Returns the first η in η0, ρη0, ρ²η0, ... that satisfies the sufficient-decrease
    condition f(θ + η d) ≤ f(θ) + c η g·d (Armijo, 1966), where d = −g by default, so
    that the condition reads f(θ − η g) ≤ f(θ) − c η ‖g‖². Pass the gradient ``g`` at θ
    if you already have it, to save one gradient evaluation, and a search direction
    ``d`` to search along something other than −g.

    The accepted step also lowers f strictly, f(θ + η d) < f(θ): Armijo's condition
    implies that in exact arithmetic, but after rounding c η g·d can vanish next to
    f(θ). A trial point where f is NaN or inf counts as a rejected step.

    At a stationary point (g = 0, and no ``d``) there is nothing to search and
    ``eta0`` is returned.

    Raises
    ------
    ValueError
        For bad arguments: θ, g or d not finite or of the wrong shape, f(θ) not
        finite, eta0 ≤ 0, c or rho outside (0, 1), max_iter < 1, or a direction d
        that is not a descent direction (g·d ≥ 0).
    LineSearchError
        When no step is accepted: after ``max_iter`` trials, or as soon as the step
        η d is too small to change θ in float64. The latter means that f does not
        decrease along d at all, typically because ``g`` is not the gradient of f at
        θ (a wrong sign, say) or f is flat to float64 precision there.
    """
    if not callable(f):
        raise ValueError(f"f must be a callable objective f(theta), got {f!r}")
    eta0 = check_real("eta0", eta0, 0.0, low_open=True)
    c = _check_open_unit("c", c)
    rho = _check_open_unit("rho", rho)
    max_iter = check_int("max_iter", max_iter, 1)
    theta = _finite_vector("theta", theta)
    if g is None:
        if not callable(grad):
            raise ValueError(
                f"grad must be a callable gradient grad(theta) when g is not given, got {grad!r}"
            )
        g = _finite_vector("the gradient grad(theta)", grad(theta), theta.shape)
    else:
        g = _finite_vector("g", g, theta.shape)
    direction = -g if d is None else _finite_vector("d", d, theta.shape)
    slope = float(g.ravel() @ direction.ravel())  # the directional derivative g·d
    if not math.isfinite(slope):
        raise ValueError(
            f"g·d = {slope} overflows float64: scale the problem, or pass a shorter d"
        )
    if d is not None and slope >= 0:
        raise ValueError(
            f"d must be a descent direction (g·d < 0), but g·d = {slope:g}: "
            "f does not decrease along d from theta"
        )
    f0 = _finite_value("f", f(theta), "theta")
    if slope == 0:  # g = 0 with d = -g: stationary
        return eta0
    eta = eta0
    for i in range(1, max_iter + 1):
        trial = theta + eta * direction
        if np.array_equal(trial, theta):
            raise LineSearchError(
                f"backtracking: the step eta = {eta:g} no longer changes theta in float64, and no "
                f"longer step satisfied the Armijo condition: f does not decrease along the search "
                f"direction (is g the gradient of f at theta?)",
                eta,
                i - 1,
            )
        with np.errstate(over="ignore", invalid="ignore"):
            f_trial = f(trial)
            if f_trial <= f0 + c * eta * slope and f_trial < f0:
                return eta
        eta *= rho
    raise LineSearchError(
        f"backtracking found no step satisfying the Armijo condition in "
        f"max_iter={max_iter} trials (the last was eta = {eta / rho:g})",
        eta / rho,
        max_iter,
    )


def golden_section(phi, a, b, tol=1e-10, max_iter=200):
    """The minimizer of a unimodal function ``phi`` on [a, b] by golden-section search.

    ``a < b`` must be finite (they are not swapped: a reversed interval is taken
    for a mistake), ``tol > 0`` is the width of the final bracket, whose midpoint is
    returned, and ``max_iter ≥ 1`` bounds the number of evaluations of ``phi``
    after the first two. ``phi`` must return a finite real number at every point
    it is evaluated; a NaN or inf raises a ``ValueError`` naming the point. If the
    bracket is still wider than ``tol`` after ``max_iter`` iterations (``tol``
    below the float64 spacing near the minimizer, say), a :class:`LineSearchError`
    says so.
    """
    if not callable(phi):
        raise ValueError(f"phi must be a callable phi(eta), got {phi!r}")
    a = check_real("a", a)
    b = check_real("b", b)
    if not a < b:
        raise ValueError(
            f"need a < b (the bounds are not swapped), got a={a!r}, b={b!r}"
        )
    if not math.isfinite(b - a):
        raise ValueError(
            f"the interval [a, b] = [{a!r}, {b!r}] is wider than float64 can hold"
        )
    tol = check_real("tol", tol, 0.0, low_open=True)
    max_iter = check_int("max_iter", max_iter, 1)

    def value(eta):
        return _finite_value("phi", phi(eta), f"eta = {eta!r}")

    inv_phi = (math.sqrt(5) - 1) / 2  # the inverse golden ratio ≈ 0.618
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = value(c), value(d)
    for _ in range(max_iter):
        if b - a <= tol:
            break
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = value(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = value(d)
    if b - a > tol:
        raise LineSearchError(
            f"golden_section: the bracket [{a!r}, {b!r}] is still wider than "
            f"tol={tol:g} after max_iter={max_iter} iterations; raise max_iter, or "
            f"tol if it is below the float64 spacing near the minimizer",
            (a + b) / 2,
            max_iter,
        )
    return a + (b - a) / 2


def log_grid(low, high, per_decade=3):
    """Learning rates spaced evenly on a log scale from ``low`` to ``high``, inclusive.

    0 < low < high finite, ``per_decade`` an integer ≥ 1: about that many points per
    factor of ten (the count is rounded so that both ends are on the grid).
    """
    low = check_real("low", low, 0.0, low_open=True)
    high = check_real("high", high, 0.0, low_open=True)
    if not high > low:
        raise ValueError(f"high must exceed low, got low={low!r}, high={high!r}")
    per_decade = check_int("per_decade", per_decade, 1)
    decades = math.log10(high) - math.log10(low)
    return np.logspace(
        math.log10(low), math.log10(high), int(round(decades * per_decade)) + 1
    )
