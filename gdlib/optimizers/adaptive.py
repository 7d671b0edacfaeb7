r"""The adaptive per-coordinate methods of the overview, Adagrad to AMSGrad.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, γ momentum/decay rate, β1 and β2 decay rates of the first
and second moment, ε smoothing term, m_t and v_t moment estimates. Every array
operation is element-wise and in place, and all state lives in attributes with the
book's names.
"""

from __future__ import annotations

import numpy as np

from ..base import Hyper, Optimizer, decay, divide, nonnegative, positive

__all__ = ["Adagrad", "Adadelta", "RMSprop", "Adam", "AdaMax", "Nadam", "AMSGrad"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with ε inside the square root.

    .. math::
        G_t = G_{t-1} + g_t \odot g_t, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{G_t + \epsilon}} \odot g_t

    with g_t = ∇J(θ_{t-1}). ``G`` is the diagonal of the outer-product sum, stored as a
    vector. Duchi et al. put their δ outside the root, η/(δ + √G_t); the ε-inside form
    follows the overview (Ruder, 2016) and Keras. Keras 3 and
    optax also put ε inside the root (but start G at 0.1); PyTorch puts it outside,
    and reproduces this rule exactly with ``initial_accumulator_value=eps, eps=0``.

    References
    ----------
    Duchi, J., Hazan, E. & Singer, Y. (2011). Adaptive subgradient methods for online learning and stochastic optimization. JMLR 12, 2121-2159.
    """

    eta = positive()
    eps = nonnegative()
    state_names = ("G",)
    squares_gradient = True
    unbounded_state = ("G",)

    def __init__(self, eta=0.01, eps=1e-8):
        self.eta, self.eps = eta, eps
        super().__init__()

    def update(self, theta, g):
        self.G += g * g  # G_t = G_{t−1} + g_t²
        theta -= self.eta * divide(g, np.sqrt(self.G + self.eps))  # θ_t = θ_{t−1} − …


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): no learning rate at all.

    .. math::
        E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2, \qquad
        \Delta\theta_t = -\frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t} g_t,

        E[\Delta\theta^2]_t = \gamma E[\Delta\theta^2]_{t-1} + (1-\gamma)\Delta\theta_t^2, \qquad
        \theta_t = \theta_{t-1} + \Delta\theta_t

    with :math:`\mathrm{RMS}[x]_t = \sqrt{E[x^2]_t + \epsilon}` and g_t = ∇J(θ_{t-1}); the
    paper calls γ ρ. State: ``Eg2`` is E[g²], ``Edtheta2`` is E[Δθ²].

    References
    ----------
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.
    """

    gamma = decay()
    eps = positive()  # with ε = 0, RMS[Δθ]_0 = 0 and Adadelta could never move
    state_names = ("Eg2", "Edtheta2")
    squares_gradient = True
    unbounded_state = ("Edtheta2",)

    def __init__(self, gamma=0.9, eps=1e-8):
        self.gamma, self.eps = gamma, eps
        super().__init__()

    def update(self, theta, g):
        self.Eg2 *= self.gamma
        self.Eg2 += (1 - self.gamma) * g * g  # E[g²]_t
        dtheta = -np.sqrt(self.Edtheta2 + self.eps) / np.sqrt(self.Eg2 + self.eps) * g
        self.Edtheta2 *= self.gamma
        self.Edtheta2 += (1 - self.gamma) * dtheta * dtheta  # E[Δθ²]_t
        theta += dtheta  # θ_t = θ_{t−1} + Δθ_t


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), with ε inside the square root.

    .. math::
        E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{E[g^2]_t + \epsilon}} g_t

    with g_t = ∇J(θ_{t-1}). The lecture uses γ = 0.9; the default η = 0.001 is the
    overview's suggestion (Ruder, 2016). It is Adadelta's first update vector (Zeiler, 2012). Keras 3 and optax
    (``eps_in_sqrt=True``) also put ε inside the root; PyTorch puts it outside.

    References
    ----------
    Tieleman, T. & Hinton, G. (2012). Lecture 6.5, RMSprop: divide the gradient by a
    running average of its recent magnitude. COURSERA: Neural Networks for Machine Learning.
    Zeiler, M. D. (2012). ADADELTA: an adaptive learning rate method. arXiv:1212.5701.
    """

    eta = positive()
    gamma = decay()
    eps = nonnegative()
    state_names = ("Eg2",)
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.001, gamma=0.9, eps=1e-8):
        self.eta, self.gamma, self.eps = eta, gamma, eps
        super().__init__()

    def update(self, theta, g):
        self.Eg2 *= self.gamma
        self.Eg2 += (1 - self.gamma) * g * g  # E[g²]_t
        theta -= self.eta * divide(g, np.sqrt(self.Eg2 + self.eps))


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015) (Algorithm 1 of the paper).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

        \hat m_t = \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{v_t}{1-\beta_2^t}, \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon} \hat m_t

    ε sits outside the square root, after bias correction.

    References
    ----------
    Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. ICLR 2015.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        m_hat = self.m / (1 - self.beta1**self.t)  # m̂_t
        v_hat = self.v / (1 - self.beta2**self.t)  # v̂_t
        theta -= self.eta * divide(m_hat, np.sqrt(v_hat) + self.eps)


class AdaMax(Optimizer):
    r"""AdaMax (Kingma & Ba, 2015) (Algorithm 2): Adam with the ℓ∞ norm.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        u_t = \max(\beta_2 u_{t-1}, |g_t|), \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{u_t} \frac{m_t}{1-\beta_1^t}

    There is no ε. With β2 > 0, u_t = 0 happens only for a coordinate whose
    gradients have all been exactly zero, and then m_t = 0 too; gdlib defines
    that coordinate's step as 0 (it does not move) instead of computing 0/0 = NaN.
    That is why β2 must lie in (0, 1) here.

    References
    ----------
    Kingma, D. P. & Ba, J. (2015). Adam: a method for stochastic optimization. ICLR 2015.
    """

    eta = positive()
    beta1 = decay()
    beta2 = Hyper(0.0, 1.0, low_open=True, high_open=True)
    state_names = ("m", "u")
    unbounded_state = ()

    def __init__(self, eta=0.002, beta1=0.9, beta2=0.999):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        np.maximum(self.beta2 * self.u, np.abs(g), out=self.u)  # u_t
        m_hat = self.m / (1 - self.beta1**self.t)
        theta -= self.eta * divide(m_hat, self.u)


class Nadam(Optimizer):
    r"""Nadam (Dozat, 2016), in the form the overview derives.

    .. math::
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{\hat v_t} + \epsilon}
        \left(\beta_1 \hat m_t + \frac{(1-\beta_1) g_t}{1-\beta_1^t}\right)

    with m_t, v_t, m̂_t, v̂_t as in :class:`Adam`. This constant-β1 form is the
    overview's (Ruder, 2016) simplification of Dozat's algorithm. Dozat's paper uses a
    momentum schedule μ_t = β1(1 − ½·0.96^(t/250)), and PyTorch's ``NAdam`` (and Keras,
    with 0.96^t) implement that schedule; optax keeps β1 constant. The frameworks
    chapter measures the gaps.

    References
    ----------
    Dozat, T. (2016). Incorporating Nesterov momentum into Adam. ICLR 2016 Workshop.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.002, beta1=0.9, beta2=0.999, eps=1e-8):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        bc1 = 1 - self.beta1**self.t
        m_hat = self.m / bc1
        v_hat = self.v / (1 - self.beta2**self.t)
        nesterov = self.beta1 * m_hat + (1 - self.beta1) * g / bc1
        theta -= self.eta * divide(nesterov, np.sqrt(v_hat) + self.eps)


class AMSGrad(Optimizer):
    r"""AMSGrad (Reddi et al., 2018), in the overview's form (no bias correction).

    Step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and writes θ_t:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

        v^{\max}_t = \max(v^{\max}_{t-1}, v_t), \qquad
        \theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v^{\max}_t} + \epsilon} m_t

    The running maximum ``v_max`` (Reddi et al. write it v̂_t) never decreases, so the
    effective step η/(√v^max_t + ε) never grows. PyTorch's ``amsgrad=True`` keeps the
    max of the raw v_t but bias-corrects both moments.

    References
    ----------
    Reddi, S. J., Kale, S. & Kumar, S. (2018). On the convergence of Adam and beyond. ICLR 2018.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    state_names = ("m", "v", "v_max")
    squares_gradient = True
    unbounded_state = ()

    def __init__(self, eta=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        np.maximum(self.v_max, self.v, out=self.v_max)  # v^max_t
        theta -= self.eta * divide(self.m, np.sqrt(self.v_max) + self.eps)
