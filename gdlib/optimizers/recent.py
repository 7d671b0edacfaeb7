r"""The 2019 additions of the overview's later revision: AdamW, QHM, QHAdam, AggMo.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, γ momentum/decay rate, β1 and β2 decay rates of the first
and second moment, ε smoothing term, m_t and v_t moment estimates. Every array
operation is element-wise and in place, and all state lives in attributes with the
book's names.
"""

from __future__ import annotations

import numpy as np

from ..base import Optimizer, decay, divide, nonnegative, positive, unit

__all__ = ["AdamW", "QHM", "QHAdam", "AggMo"]


class AdamW(Optimizer):
    r"""AdamW, Adam with decoupled weight decay (Loshchilov & Hutter, 2019) (Algorithm 2).

    .. math::
        \theta_t = \theta_{t-1} - \omega_t \left( \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
        + \lambda_{\mathrm{wd}} \theta_{t-1} \right)

    with m̂_t, v̂_t as in :class:`Adam` (computed from the loss gradient only). Here
    η is ``eta`` (the paper's α), λ_wd is ``weight_decay`` and ω_t is the schedule
    multiplier ``schedule`` (the paper's η_t; 1 unless a schedule sets it). The decay
    λ_wd θ is **not** multiplied by η; PyTorch and optax multiply it by the learning
    rate, so their ``weight_decay`` equals λ_wd/η.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2019). Decoupled weight decay regularization. ICLR 2019.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    weight_decay = nonnegative()
    schedule = nonnegative()
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(
        self,
        eta=0.001,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=1e-4,
        schedule=1.0,
    ):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.weight_decay, self.schedule = weight_decay, schedule
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        theta -= self.schedule * (
            self.eta * divide(m_hat, np.sqrt(v_hat) + self.eps)
            + self.weight_decay * theta
        )


class QHM(Optimizer):
    r"""Quasi-hyperbolic momentum (Ma & Yarats, 2019).

    .. math::
        m_t = \beta m_{t-1} + (1-\beta) g_t, \qquad
        \theta_t = \theta_{t-1} - \eta \left[ (1-\nu) g_t + \nu m_t \right]

    The paper calls the momentum buffer g; here it is ``m``. ν = 0 is plain SGD,
    ν = 1 is (normalized) momentum, and ν = β is Nesterov's method.

    References
    ----------
    Ma, J. & Yarats, D. (2019). Quasi-hyperbolic momentum and Adam for deep learning. ICLR 2019.
    """

    eta = positive()
    beta = decay()
    nu = unit()
    state_names = ("m",)
    unbounded_state = ()

    def __init__(self, eta=0.01, beta=0.999, nu=0.7):
        self.eta, self.beta, self.nu = eta, beta, nu
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta
        self.m += (1 - self.beta) * g  # m_t
        theta -= self.eta * ((1 - self.nu) * g + self.nu * self.m)


class QHAdam(Optimizer):
    r"""Quasi-hyperbolic Adam (Ma & Yarats, 2019).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \quad \hat v_t = \frac{v_t}{1-\beta_2^t},

        \theta_t = \theta_{t-1} - \eta \,
        \frac{(1-\nu_1) g_t + \nu_1 \hat m_t}{\sqrt{(1-\nu_2) g_t^2 + \nu_2 \hat v_t} + \epsilon}

    With ν1 = ν2 = 1 it is :class:`Adam`.

    References
    ----------
    Ma, J. & Yarats, D. (2019). Quasi-hyperbolic momentum and Adam for deep learning. ICLR 2019.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    nu1 = unit()
    nu2 = unit()
    eps = nonnegative()
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.001, beta1=0.999, beta2=0.999, nu1=0.7, nu2=1.0, eps=1e-8):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        self.nu1, self.nu2, self.eps = nu1, nu2, eps
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        numerator = (1 - self.nu1) * g + self.nu1 * m_hat
        denominator = np.sqrt((1 - self.nu2) * g * g + self.nu2 * v_hat) + self.eps
        theta -= self.eta * divide(numerator, denominator)


class AggMo(Optimizer):
    r"""Aggregated momentum (Lucas et al., 2019): K velocities, one per β.

    .. math::
        v_t^{(i)} = \beta^{(i)} v_{t-1}^{(i)} - g_t, \qquad
        \theta_t = \theta_{t-1} + \frac{\eta}{K} \sum_{i=1}^{K} v_t^{(i)}

    ``v`` has shape ``(K, *theta.shape)``; note the sign convention of the paper
    (v points downhill). With one β it is :class:`Momentum`, whose velocity is
    v_Momentum = −η v_AggMo. Setting ``betas`` checks them and resets the state.

    References
    ----------
    Lucas, J., Sun, S., Zemel, R. & Grosse, R. (2019). Aggregated momentum: stability through passive damping. ICLR 2019.
    """

    eta = positive()
    state_names = ("v",)
    unbounded_state = ()

    def __init__(self, eta=0.1, betas=(0.0, 0.9, 0.99)):
        self.eta = eta
        self.betas = betas
        super().__init__()

    @property
    def betas(self):
        return self._betas

    @betas.setter
    def betas(self, betas):
        betas = tuple(float(b) for b in np.atleast_1d(betas))
        if not betas or not all(0.0 <= b < 1.0 for b in betas):
            raise ValueError(
                f"betas must be a non-empty sequence of values in [0, 1), got {betas!r}"
            )
        self._betas = betas
        self.reset()  # K may have changed: the velocities start afresh

    def init_state(self, theta):
        self.v = np.zeros((len(self.betas),) + theta.shape, dtype=theta.dtype)

    def update(self, theta, g):
        self.v *= np.reshape(self.betas, (-1,) + (1,) * theta.ndim)
        self.v -= g  # v_t^(i) = β^(i) v − g
        theta += self.eta / len(self.betas) * self.v.sum(axis=0)

    def hyperparameters(self):
        return {"eta": self.eta, "betas": self.betas}

    def __repr__(self):
        return f"AggMo(eta={self.eta:g}, betas={self.betas})"
