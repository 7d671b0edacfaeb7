r"""Rectified Adam (RAdam): Adam whose adaptive rate is switched on only once its variance is finite.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, β1 and β2 decay rates of the first and second moment, ε
smoothing term, m_t and v_t moment estimates. The paper's ρ_t (the length of the simple
moving average that approximates v_t) is written N_t here and its rectification term r_t
is written rect_t, because the book keeps ρ for EASGD and r for contraction factors.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import Hyper, Optimizer, decay, divide, nonnegative, positive

__all__ = ["RAdam"]


def sma_length(beta2, t):
    """N_t = N_∞ − 2 t β2^t/(1 − β2^t), with N_∞ = 2/(1 − β2) − 1 (the paper's ρ_t, ρ_∞)."""
    n_inf = 2.0 / (1.0 - beta2) - 1.0
    return n_inf - 2.0 * t * beta2**t / (1.0 - beta2**t)


def rectification(beta2, t):
    """rect_t = √((N_t − 4)(N_t − 2) N_∞ / ((N_∞ − 4)(N_∞ − 2) N_t)) (the paper's r_t), for N_t > 4."""
    n_inf, n_t = 2.0 / (1.0 - beta2) - 1.0, sma_length(beta2, t)
    return math.sqrt((n_t - 4) * (n_t - 2) * n_inf / ((n_inf - 4) * (n_inf - 2) * n_t))


class RAdam(Optimizer):
    r"""Rectified Adam (Liu et al., 2020) (Algorithm 2 of the paper).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \qquad
        \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t},

        N_\infty = \frac{2}{1-\beta_2} - 1, \qquad
        N_t = N_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t},

        \theta_t = \begin{cases}
        \theta_{t-1} - \eta\, \mathrm{rect}_t \dfrac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},
        \quad \mathrm{rect}_t = \sqrt{\dfrac{(N_t-4)(N_t-2)N_\infty}{(N_\infty-4)(N_\infty-2)N_t}}
        & \text{if } N_t > N_{\mathrm{thr}},\\[1ex]
        \theta_{t-1} - \eta\, \hat m_t & \text{otherwise.}
        \end{cases}

    N_t is the length of the simple moving average that approximates the exponential
    one, v_t (the paper's ρ_t, with ρ_∞ = N_∞); rect_t is the rectification term (the
    paper's r_t), the ratio of the standard deviations of the adaptive rate 1/√v̂_t at
    t = ∞ and at t, under the paper's Gaussian model of the gradients. While that
    variance is undefined, N_t ≤ N_thr, the update is SGD with (bias-corrected)
    momentum. N_thr is ``threshold``: 4 in the paper's Algorithm 2 (the variance is
    infinite for N_t ≤ 4), 5 in PyTorch's ``torch.optim.RAdam`` (fixed) and in optax
    (``optax.radam(threshold=5.0)``) and the authors' code. With β2 = 0.999, N_t > 4
    from t = 5 and N_t > 5 from t = 6. η is ``eta`` (the paper's α_t), ε is ``eps``,
    outside the root after bias correction as in :class:`Adam` and in optax (the
    paper has no ε; PyTorch adds ε to √v_t before the bias correction).

    References
    ----------
    Liu, L., Jiang, H., He, P., Chen, W., Liu, X., Gao, J. & Han, J. (2020). On the
    variance of the adaptive learning rate and beyond. ICLR 2020. arXiv:1908.03265 (2019).
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    threshold = Hyper(4.0, math.inf, high_open=True)
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.001, beta1=0.9, beta2=0.999, eps=1e-8, threshold=4.0):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.threshold = threshold
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        m_hat = self.m / (1 - self.beta1**self.t)
        if sma_length(self.beta2, self.t) > self.threshold:  # N_t > N_thr
            v_hat = self.v / (1 - self.beta2**self.t)
            rect_t = rectification(self.beta2, self.t)
            theta -= self.eta * rect_t * divide(m_hat, np.sqrt(v_hat) + self.eps)
        else:  # SGD with momentum while the adaptive rate's variance is undefined
            theta -= self.eta * m_hat
