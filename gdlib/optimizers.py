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
    "NesterovAGD",
    "Newton",
    "Preconditioned",
]


class GD(Optimizer):
    r"""Plain gradient descent (Cauchy, 1847).

    .. math:: \theta_t = \theta_{t-1} - \eta\, \nabla_\theta J(\theta_{t-1})

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
    r"""Gradient descent with heavy-ball momentum (Polyak, 1964; analysed by Qian, 1999).

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta_{t-1}), \qquad
        \theta_t = \theta_{t-1} - v_t, \qquad v_0 = 0

    ``v`` stores the velocity *including* η (PyTorch's buffer stores v/η instead).
    On a quadratic, :func:`gdlib.theory.momentum_matrix` gives one step per eigen-direction.

    References
    ----------
    Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration methods. USSR Computational Mathematics and Mathematical Physics 4(5), 1-17.
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
        self.v += self.eta * g  # v_t = γ v_{t−1} + η g_t, g_t = ∇J(θ_{t−1})
        theta -= self.v  # θ_t = θ_{t−1} − v_t


class NAG(Optimizer):
    r"""Nesterov's method with a constant momentum coefficient, in the look-ahead form.

    .. math::
        v_t = \gamma v_{t-1} + \eta \nabla_\theta J(\theta_{t-1} - \gamma v_{t-1}), \qquad
        \theta_t = \theta_{t-1} - v_t, \qquad v_0 = 0

    The gradient is taken at the look-ahead point θ_{t−1} − γ v_{t−1}. This momentum form
    with constant γ is Sutskever et al.'s (2013) reformulation of Nesterov's (1983)
    method, whose own coefficients change with t (see :class:`NesterovAGD`). Frameworks
    store φ = θ − γ v instead; the Nesterov chapter proves both give the same iterates.

    References
    ----------
    Nesterov, Y. (1983). A method for unconstrained convex minimization problem with the rate of convergence O(1/k^2). Doklady ANSSSR 269, 543-547.
    Sutskever, I., Martens, J., Dahl, G., Hinton, G. (2013). On the importance of initialization and momentum in deep learning. ICML.
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


class NesterovAGD(Optimizer):
    r"""Nesterov's accelerated gradient method (Nesterov, 1983) in its two-sequence form.

    Step t = 1, 2, ... reads θ_{t-1} and the extrapolated point y_{t-1} (y_0 = θ_0),
    takes the gradient at y_{t-1}, and writes

    .. math::
        \theta_t = y_{t-1} - \eta\, \nabla_\theta J(y_{t-1}), \qquad
        y_t = \theta_t + \gamma_t\, (\theta_t - \theta_{t-1}), \qquad
        \gamma_t = \frac{t-1}{t+2} .

    There is no velocity: the state is the point ``y`` where the next gradient is
    taken, and the iterate θ_t is the one the guarantee is about. For a convex J whose
    gradient is L-Lipschitz and η ≤ 1/L,
    J(θ_k) − J* ≤ 2‖θ_0 − θ*‖² / (η (k+1)²) (Su, Boyd & Candès, 2016, who use this
    simple schedule; Nesterov's own γ_t comes from a recursion and behaves like
    1 − 3/t too). With v_t = θ_{t-1} − θ_t the same iterates obey the look-ahead
    rule of :class:`NAG` with a time-varying coefficient,
    v_t = γ_{t-1} v_{t-1} + η∇J(θ_{t-1} − γ_{t-1} v_{t-1}), θ_t = θ_{t-1} − v_t;
    the constant-γ look-ahead form is Sutskever et al.'s (2013) reformulation.

    References
    ----------
    Nesterov, Y. (1983). A method for unconstrained convex minimization problem with the rate of convergence O(1/k^2). Doklady AN SSSR 269, 543-547.
    Sutskever, I., Martens, J., Dahl, G. & Hinton, G. (2013). On the importance of initialization and momentum in deep learning. ICML 2013.
    Su, W., Boyd, S. & Candès, E. J. (2016). A differential equation for modeling Nesterov's accelerated gradient method. JMLR 17(153), 1-43.
    """

    eta = positive()
    state_names = ("y",)

    def __init__(self, eta=0.01):
        self.eta = eta
        super().__init__()

    def init_state(self, theta):
        self.y = theta.copy()  # y_0 = θ_0

    def gradient_point(self, theta):
        return self.y  # the gradient of step t is taken at y_{t−1}

    def update(self, theta, g):  # g = ∇J(y_{t−1}); theta holds θ_{t−1}
        gamma_t = (self.t - 1) / (self.t + 2)
        new = self.y - self.eta * g  # θ_t = y_{t−1} − η g_t
        self.y[...] = new + gamma_t * (new - theta)  # y_t = θ_t + γ_t (θ_t − θ_{t−1})
        theta[...] = new


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
    gradient descent in the variables φ = P^{-1/2} θ, whose Hessian is
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
