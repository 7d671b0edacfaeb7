r"""Curvature-aware steps: Newton's method and preconditioned gradient descent.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, γ momentum/decay rate, β1 and β2 decay rates of the first
and second moment, ε smoothing term, m_t and v_t moment estimates. Every array
operation is element-wise and in place, and all state lives in attributes with the
book's names.
"""

from __future__ import annotations

import numpy as np

from ..base import Optimizer, nonnegative, positive

__all__ = ["Newton", "Preconditioned"]


def _spd_matrix(name, value, what="matrix"):
    """``value`` as a finite, symmetric positive-definite float64 matrix, or a ValueError naming ``name``."""
    try:
        M = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a square {what} of real numbers, got {value!r}"
        ) from None
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.size == 0:
        raise ValueError(f"{name} must be a square {what}, got shape {M.shape}")
    if not np.isfinite(M).all():
        raise ValueError(f"{name} must be finite, but it holds NaN or inf")
    if not np.allclose(M, M.T, rtol=1e-12, atol=1e-12 * np.abs(M).max()):
        raise ValueError(f"{name} must be symmetric")
    if np.linalg.eigvalsh(M).min() <= 0:
        raise ValueError(f"{name} must be positive definite (all eigenvalues > 0)")
    return M


class Newton(Optimizer):
    r"""Newton's method with a step size and optional damping (Nocedal & Wright, 2006).

    .. math::
        \theta_t = \theta_{t-1} - \eta \left(H(\theta_{t-1})
        + \lambda_{\mathrm{damp}} I\right)^{-1} g_t

    with the Hessian H = ∇²J supplied by the caller: ``hessian(theta)`` returns the
    n × n matrix of second derivatives for θ of n coordinates (θ of any shape is
    flattened in C order). η = 1 and λ_damp = 0 (``damping``) give the pure Newton
    step, the minimizer of the second-order Taylor model of J; it reaches the minimum
    of a strictly convex quadratic in one step, converges quadratically near a
    minimum with a positive-definite Hessian, and is affine invariant (Boyd &
    Vandenberghe, 2004, §9.5). Far from a minimum, or where H is not positive
    definite, the pure step may go uphill or toward a saddle: a smaller η or a
    damping λ_damp > 0 (which shifts every curvature by λ_damp) is the simplest remedy.
    A Hessian that is not a finite n × n matrix, or a singular H + λ_damp I, is a
    ``ValueError`` naming ``hessian``, and the step changes nothing.

    References
    ----------
    Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., chapter 3. Springer.
    Boyd, S. & Vandenberghe, L. (2004). Convex Optimization, section 9.5. Cambridge University Press.
    """

    eta = positive()
    damping = nonnegative()
    elementwise = False
    unbounded_state = ()

    def __init__(self, eta=1.0, hessian=None, damping=0.0):
        if not callable(hessian):
            raise ValueError(
                "hessian must be a callable hessian(theta) returning the matrix of "
                f"second derivatives, got {hessian!r}"
            )
        self.eta, self.hessian, self.damping = eta, hessian, damping
        super().__init__()

    def update(self, theta, g):
        n = theta.size
        H = np.asarray(
            self.hessian(theta.copy())
        )  # H(θ_{t-1}); θ itself stays untouched
        shapes = [(n, n)] + ([(), (1,)] if n == 1 else [])  # a 1-D θ may give a number
        if H.dtype.kind not in "biuf" or H.shape not in shapes:
            raise ValueError(
                f"hessian(theta) must return a real {n} x {n} matrix for theta of "
                f"{n} coordinate(s), got shape {H.shape} and dtype {H.dtype}"
            )
        H = H.astype(np.float64).reshape(n, n)
        if not np.isfinite(H).all():
            raise ValueError(
                f"hessian(theta) returned NaN or inf at step {self.t}; nothing was changed"
            )
        try:
            step = np.linalg.solve(
                H + self.damping * np.eye(n), g.reshape(-1).astype(np.float64)
            )  # (H + λ_damp I)^{-1} g_t
        except np.linalg.LinAlgError:
            raise ValueError(
                f"hessian(theta) + damping * I is singular at step {self.t}: "
                "use damping > 0; nothing was changed"
            ) from None
        theta -= self.eta * step.reshape(
            theta.shape
        )  # θ_t = θ_{t-1} − η (H + λ_damp I)^{-1} g_t


class Preconditioned(Optimizer):
    r"""Preconditioned gradient descent with a fixed preconditioner P (Nocedal & Wright, 2006).

    .. math:: \theta_t = \theta_{t-1} - \eta\, P\, g_t

    ``P`` is a symmetric positive-definite n × n matrix for θ of n coordinates (θ of
    any shape is flattened in C order), or a vector of n positive numbers standing for
    the diagonal matrix diag(P) (a Jacobi preconditioner, applied element-wise). It is
    gradient descent in the variables θ̃ = P^{-1/2} θ, whose Hessian is
    P^{1/2} H P^{1/2}; P = I is :class:`GD`, and P = H^{-1} on a quadratic is
    :class:`Newton`. Setting ``P`` checks it and resets the state.

    References
    ----------
    Nocedal, J. & Wright, S. J. (2006). Numerical Optimization, 2nd ed., section 5.1. Springer.
    """

    eta = positive()
    elementwise = False  # P (a matrix, or a vector shaped like all of θ) needs all of θ
    unbounded_state = ()

    def __init__(self, eta=0.01, P=None):
        self.eta = eta
        self.P = P
        super().__init__()

    @property
    def P(self):
        return self._P

    @P.setter
    def P(self, P):
        if P is None:
            raise ValueError(
                "P must be a symmetric positive-definite matrix or a vector of positive "
                "numbers (a diagonal preconditioner), got None"
            )
        arr = np.asarray(P) if not isinstance(P, np.ndarray) else P
        if arr.ndim == 1:
            try:
                arr = np.array(arr, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError(f"P must hold real numbers, got {P!r}") from None
            if arr.size == 0 or not np.isfinite(arr).all() or np.any(arr <= 0):
                raise ValueError(
                    f"P as a vector (a diagonal preconditioner) must hold finite numbers > 0, got {P!r}"
                )
            self._P = arr
        else:
            self._P = _spd_matrix("P", P)
        self.reset()

    def update(self, theta, g):
        n, P = theta.size, self._P
        if P.shape[0] != n:
            raise ValueError(
                f"P is for {P.shape[0]} coordinates, but theta has {n}: they must match"
            )
        if P.ndim == 1:
            theta -= (
                self.eta * P.reshape(theta.shape) * g
            )  # θ_t = θ_{t-1} − η diag(P) g_t
        else:
            theta -= self.eta * (P @ g.reshape(-1)).reshape(theta.shape)  # − η P g_t

    def __repr__(self):
        kind = "diag" if self._P.ndim == 1 else "matrix"
        return f"Preconditioned(eta={self.eta:g}, P={kind} of size {self._P.shape[0]})"
