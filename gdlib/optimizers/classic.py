r"""Gradient descent and momentum: GD, Polyak's heavy ball, Nesterov's method.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t; η learning rate, γ momentum/decay rate, β1 and β2 decay rates of the first
and second moment, ε smoothing term, m_t and v_t moment estimates. Every array
operation is element-wise and in place, and all state lives in attributes with the
book's names.
"""

from __future__ import annotations

from ..base import Optimizer, decay, positive

__all__ = ["GD", "Momentum", "NAG", "NesterovAGD"]


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
