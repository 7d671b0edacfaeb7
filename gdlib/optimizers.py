r"""The optimizers of the book, each a line-by-line transcription of its update rule.

Notation (the book's notation page): θ parameters, η learning rate, g_t the
gradient at step t, γ momentum/decay rate, β1 and β2 decay rates of the first
and second moment, ε smoothing term, m_t and v_t moment estimates, E[g²]_t a
decaying average of squared gradients. Every array operation is element-wise
and in place, and all state lives in attributes with the book's names.
"""

from __future__ import annotations

import numpy as np

from .base import Hyper, Optimizer, decay, divide, nonnegative, positive, unit

__all__ = [
    "GD",
    "Momentum",
    "NAG",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdaMax",
    "Nadam",
    "AMSGrad",
    "AdamW",
    "QHM",
    "QHAdam",
    "AggMo",
]


class GD(Optimizer):
    r"""Plain gradient descent (Cauchy, 1847).

    .. math:: \theta_{t+1} = \theta_t - \eta\, \nabla_\theta J(\theta_t)

    With a full-batch gradient this is batch gradient descent; with the gradient of
    one example or of a mini-batch it is SGD or mini-batch SGD
    (Robbins & Monro, 1951).

    References
    ----------
    Robbins, H. & Monro, S. (1951). A stochastic approximation method. Annals of Mathematical Statistics 22, 400-407.
    """

    eta = positive()
    unbounded_state = ()

    def __init__(self, eta=0.01):
        self.eta = eta
        super().__init__()

    def update(self, theta, g):
        theta -= self.eta * g  # θ ← θ − η g_t


class Momentum(Optimizer):
    r"""Gradient descent with (heavy-ball) momentum (Qian, 1999).

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta), \qquad
        \theta = \theta - v_t

    ``v`` stores the velocity *including* η (PyTorch's buffer stores v/η instead).

    References
    ----------
    Qian, N. (1999). On the momentum term in gradient descent learning algorithms. Neural Networks 12(1), 145-151.
    """

    eta = positive()
    gamma = decay()
    state_names = ("v",)
    unbounded_state = ()

    def __init__(self, eta=0.01, gamma=0.9):
        self.eta, self.gamma = eta, gamma
        super().__init__()

    def update(self, theta, g):
        self.v *= self.gamma
        self.v += self.eta * g  # v_t = γ v_{t−1} + η g_t
        theta -= self.v  # θ ← θ − v_t


class NAG(Optimizer):
    r"""Nesterov accelerated gradient (Nesterov, 1983), in the look-ahead form.

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta - \gamma v_{t-1}), \qquad
        \theta = \theta - v_t

    The gradient is taken at the look-ahead point θ − γ v_{t−1}. Frameworks store
    φ = θ − γ v instead; the Nesterov chapter proves both give the same iterates.

    References
    ----------
    Nesterov, Y. (1983). A method for unconstrained convex minimization problem with the rate of convergence O(1/k^2). Doklady ANSSSR 269, 543-547.
    """

    eta = positive()
    gamma = decay()
    state_names = ("v",)
    unbounded_state = ()

    def __init__(self, eta=0.01, gamma=0.9):
        self.eta, self.gamma = eta, gamma
        super().__init__()

    def gradient_point(self, theta):
        return theta - self.gamma * self.v  # the look-ahead point θ − γ v_{t−1}

    def update(self, theta, g):  # g = ∇J(θ − γ v_{t−1})
        self.v *= self.gamma
        self.v += self.eta * g  # v_t = γ v_{t−1} + η g
        theta -= self.v  # θ ← θ − v_t


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011), with ε inside the square root.

    .. math::
        G_t = G_{t-1} + g_t \odot g_t, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{G_t + \epsilon}} \odot g_t

    ``G`` is the diagonal of the outer-product sum, stored as a vector. Keras 3 and
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
        theta -= self.eta * divide(g, np.sqrt(self.G + self.eps))


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): no learning rate at all.

    .. math::
        E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2, \qquad
        \Delta\theta_t = -\frac{\mathrm{RMS}[\Delta\theta]_{t-1}}{\mathrm{RMS}[g]_t} g_t,

        E[\Delta\theta^2]_t = \gamma E[\Delta\theta^2]_{t-1} + (1-\gamma)\Delta\theta_t^2, \qquad
        \theta_{t+1} = \theta_t + \Delta\theta_t

    with :math:`\mathrm{RMS}[x]_t = \sqrt{E[x^2]_t + \epsilon}`. State: ``Eg2`` is
    E[g²], ``Edtheta2`` is E[Δθ²].

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
        theta += dtheta  # θ ← θ + Δθ_t


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, Coursera lecture 6e, 2012), with ε inside the square root.

    .. math::
        E[g^2]_t = \gamma E[g^2]_{t-1} + (1-\gamma) g_t^2, \qquad
        \theta_{t+1} = \theta_t - \frac{\eta}{\sqrt{E[g^2]_t + \epsilon}} g_t

    It is Adadelta's first update vector (Zeiler, 2012). Keras 3 and optax
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
