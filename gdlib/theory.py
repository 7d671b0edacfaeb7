"""Linear-convergence theory on quadratics: the iteration matrices the chapters analyse.

On J(θ) = ½ θᵀAθ every first-order method of the book that is linear in its state acts
on each eigen-direction of A separately. In a direction of curvature λ (an eigenvalue
of A) one step maps the state to ``M @ state``, and the error shrinks asymptotically by
the per-step factor r = max |eigenvalue of M| (the spectral radius). These functions
build M for gradient descent, Polyak's heavy ball (Momentum) and Nesterov's method in
the book's form, and give the tuned rates of Polyak (1964) and Nesterov (1983).

Conventions (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}),
and writes θ_t; the velocity is v_t, with θ_t = θ_{t-1} - v_t.

>>> import numpy as np
>>> from gdlib import theory
>>> round(theory.rate(theory.momentum_matrix(0.02, 0.5, 50.0)), 6)  # sqrt(gamma), complex roots
0.707107
"""

from __future__ import annotations

import numpy as np

from .base import check_real

__all__ = [
    "gd_factor",
    "momentum_matrix",
    "nag_matrix",
    "rate",
    "rate_over",
    "gd_optimal",
    "momentum_optimal",
]


def _checks(eta, gamma, lam):
    eta = check_real("eta", eta, 0.0, low_open=True)
    lam = check_real("lam", lam, 0.0)
    gamma = check_real("gamma", gamma, 0.0)
    if gamma >= 1.0:
        raise ValueError(f"gamma must be in [0, 1), got {gamma!r}")
    return eta, gamma, lam


def gd_factor(eta, lam):
    """The factor 1 - ηλ by which gradient descent multiplies a direction of curvature λ."""
    eta, _, lam = _checks(eta, 0.0, lam)
    return 1.0 - eta * lam


def momentum_matrix(eta, gamma, lam):
    """Heavy-ball iteration matrix on the state (θ_{t-1}, v_{t-1}) for curvature λ.

    From v_t = γ v_{t-1} + η λ θ_{t-1} and θ_t = θ_{t-1} - v_t::

        [θ_t]   [1 - ηλ   -γ] [θ_{t-1}]
        [v_t] = [  ηλ      γ] [v_{t-1}]

    Its trace is 1 + γ - ηλ and its determinant γ.
    """
    eta, gamma, lam = _checks(eta, gamma, lam)
    return np.array([[1.0 - eta * lam, -gamma], [eta * lam, gamma]])


def nag_matrix(eta, gamma, lam):
    """Nesterov's iteration matrix (look-ahead form) on (θ_{t-1}, v_{t-1}) for curvature λ.

    From v_t = γ v_{t-1} + η λ (θ_{t-1} - γ v_{t-1}) and θ_t = θ_{t-1} - v_t::

        [θ_t]   [1 - ηλ   -γ(1 - ηλ)] [θ_{t-1}]
        [v_t] = [  ηλ      γ(1 - ηλ)] [v_{t-1}]

    Its trace is (1 + γ)(1 - ηλ) and its determinant γ(1 - ηλ).
    """
    eta, gamma, lam = _checks(eta, gamma, lam)
    a = 1.0 - eta * lam
    return np.array([[a, -gamma * a], [eta * lam, gamma * a]])


def rate(M):
    """The spectral radius max |eigenvalue| of a square matrix: the asymptotic factor per step."""
    M = np.asarray(M, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or not np.isfinite(M).all():
        raise ValueError(f"M must be a finite square matrix, got shape {M.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(M))))


def rate_over(matrix, eta, gamma, lams):
    """The worst factor max_λ rate(matrix(η, γ, λ)) over the curvatures ``lams``.

    ``matrix`` is :func:`momentum_matrix` or :func:`nag_matrix`; on a quadratic with
    eigenvalues ``lams`` the slowest direction sets the rate of the whole method.
    """
    lams = np.atleast_1d(np.asarray(lams, dtype=float))
    if lams.size == 0:
        raise ValueError("lams must hold at least one curvature")
    return max(rate(matrix(eta, gamma, lam)) for lam in lams)


def gd_optimal(mu, L):
    """The best constant step of gradient descent for curvatures in [μ, L] and its rate.

    η* = 2/(L + μ) balances the two extreme directions, |1 - η*μ| = |1 - η*L|, and gives
    the factor (κ - 1)/(κ + 1) with κ = L/μ. Returns ``(eta, r)``.
    """
    mu, L = (
        check_real("mu", mu, 0.0, low_open=True),
        check_real("L", L, 0.0, low_open=True),
    )
    if mu > L:
        raise ValueError(f"mu must be <= L, got mu={mu}, L={L}")
    kappa = L / mu
    return 2.0 / (L + mu), (kappa - 1.0) / (kappa + 1.0)


def momentum_optimal(mu, L):
    """Polyak's tuned heavy ball for curvatures in [μ, L]: ``(eta, gamma, r)``.

    η = 4/(√L + √μ)², γ = ((√κ - 1)/(√κ + 1))², and then every direction converges with
    the factor r = √γ = (√κ - 1)/(√κ + 1) (Polyak, 1964).
    """
    mu, L = (
        check_real("mu", mu, 0.0, low_open=True),
        check_real("L", L, 0.0, low_open=True),
    )
    if mu > L:
        raise ValueError(f"mu must be <= L, got mu={mu}, L={L}")
    sk = np.sqrt(L / mu)
    r = (sk - 1.0) / (sk + 1.0)
    return 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2, r**2, r
