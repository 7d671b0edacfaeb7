r"""Optimizers after Adam (2019–2024): Lookahead, Lion, Sophia, Schedule-Free SGD and AdamW, Prodigy.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) (or,
for the methods with a ``gradient_point``, the gradient at another point) and writes θ_t;
η learning rate, β1 and β2 decay rates, ε smoothing term, λ_wd weight decay, m_t and v_t
moment estimates. Scalar state (a weight sum, Prodigy's 𝒟_t) is kept as 0-d arrays so that
a failed step restores it like any other state.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import (
    Hyper,
    Optimizer,
    check_int,
    decay,
    divide,
    nonnegative,
    positive,
)
from .adaptive import Adam

__all__ = [
    "Lookahead",
    "Lion",
    "Sophia",
    "ScheduleFreeSGD",
    "ScheduleFreeAdamW",
    "Prodigy",
    "hutchinson",
]


def _scalar(theta, value=0.0):
    return np.array(value, dtype=theta.dtype)


class Lookahead(Optimizer):
    r"""Lookahead (Zhang et al., 2019): k fast steps of any optimizer, then one step back.

    The fast weights θ take the steps of the ``inner`` optimizer; every k steps the slow
    weights θ^slow move a fraction η_slow of the way to them and the fast weights restart
    there (Algorithm 1):

    .. math::
        \theta_t = \theta_{t-1} + \Delta\theta_t^{\mathrm{inner}}, \qquad
        \text{if } k \mid t: \quad
        \theta^{\mathrm{slow}}_t = \theta^{\mathrm{slow}}_{t-k}
            + \eta_{\mathrm{slow}} \bigl(\theta_t - \theta^{\mathrm{slow}}_{t-k}\bigr),
        \quad \theta_t \leftarrow \theta^{\mathrm{slow}}_t

    with θ^slow_0 = θ_0. The paper's α is η_slow (``eta_slow``) and its k is ``k``. The
    inner optimizer keeps its state (momentum, moments) across synchronisations, as in
    the paper's main experiments and optax's ``lookahead``. ``eta`` reads and sets the
    inner optimizer's learning rate, so a schedule drives it.

    References
    ----------
    Zhang, M. R., Lucas, J., Hinton, G. & Ba, J. (2019). Lookahead optimizer: k steps forward, 1 step back. NeurIPS 2019.
    """

    eta_slow = Hyper(0.0, 1.0, low_open=True)
    state_names = ("slow",)
    elementwise = False  # the inner optimizer runs on the whole of θ
    unbounded_state = ()

    def __init__(self, inner=None, k=5, eta_slow=0.5, eta=None):
        if inner is None:
            inner = Adam()
        if not isinstance(inner, Optimizer) or isinstance(inner, Lookahead):
            raise ValueError(
                f"inner must be a gdlib optimizer (not a Lookahead), got {inner!r}"
            )
        self.inner = inner
        self.eta_slow, self.k = eta_slow, k
        if eta is not None:
            self.eta = eta
        super().__init__()

    @property
    def k(self):
        return self._k

    @k.setter
    def k(self, k):
        self._k = check_int("k", k, 1)

    @property
    def eta(self):
        return self.inner.eta

    @eta.setter
    def eta(self, value):
        if "eta" not in self.inner.hyperparameters():
            raise ValueError(f"the inner optimizer {self.inner!r} has no eta")
        self.inner.eta = value

    @property
    def squares_gradient(self):
        return self.inner.squares_gradient

    def reset(self):
        super().reset()
        self.inner.reset()

    def init_state(self, theta):
        self.slow = theta.copy()  # θ^slow_0 = θ_0
        self.inner.reset()
        self.inner.init_state(theta)

    def gradient_point(self, theta):
        return self.inner.gradient_point(theta)

    def _step(self, theta, grad_fn, t):
        """The base step, and the inner optimizer's state restored too if it fails."""
        inner = self.inner
        saved = inner.t, {n: getattr(inner, n) for n in inner.state_names}
        copies = {n: None if a is None else a.copy() for n, a in saved[1].items()}
        try:
            return super()._step(theta, grad_fn, t)
        except BaseException:
            inner.t = saved[0]
            for name, array in saved[1].items():
                if array is not None:
                    np.copyto(array, copies[name])
                setattr(inner, name, array)
            raise

    def _apply(self, theta, g, verify=True):
        finite = super()._apply(theta, g, verify)
        return finite and (
            not verify
            or all(
                np.isfinite(getattr(self.inner, n)).all() for n in self.inner._checked()
            )
        )

    def update(self, theta, g):
        self.inner.t = self.t
        self.inner.update(theta, g)  # a fast step of the inner optimizer
        if self.t % self.k == 0:  # synchronise: one step back
            self.slow *= 1 - self.eta_slow
            self.slow += self.eta_slow * theta
            theta[...] = self.slow

    def hyperparameters(self):
        out = {"eta_slow": self.eta_slow, "k": self.k}
        if "eta" in self.inner.hyperparameters():
            out["eta"] = self.eta
        return out

    def __repr__(self):
        return f"Lookahead({self.inner!r}, k={self.k}, eta_slow={self.eta_slow:g})"


class Lion(Optimizer):
    r"""Lion, "evolved sign momentum" (Chen et al., 2023), Program 1.

    .. math::
        \theta_t = \theta_{t-1} - \eta \Bigl(
            \operatorname{sign}\bigl(\beta_1 m_{t-1} + (1-\beta_1) g_t\bigr)
            + \lambda_{\mathrm{wd}} \theta_{t-1} \Bigr), \qquad
        m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t

    Every coordinate moves by exactly ±η (plus the decay): the sign of an interpolation
    between the momentum and the new gradient with weight β1, while the momentum itself
    is an average with the slower β2. With β1 = β2 it is signSGD with momentum (signum).
    The paper's λ is λ_wd (``weight_decay``), multiplied by η as in the paper, optax's
    ``lion`` and PyTorch-style decay.

    References
    ----------
    Chen, X., Liang, C., Huang, D., Real, E., Wang, K., Pham, H., Dong, X., Luong, T., Hsieh, C.-J., Lu, Y. & Le, Q. V. (2023). Symbolic discovery of optimization algorithms. NeurIPS 2023.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    weight_decay = nonnegative()
    state_names = ("m",)
    unbounded_state = ()

    def __init__(self, eta=1e-4, beta1=0.9, beta2=0.99, weight_decay=0.0):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        self.weight_decay = weight_decay
        super().__init__()

    def update(self, theta, g):
        c = np.sign(self.beta1 * self.m + (1 - self.beta1) * g)
        theta -= self.eta * (c + self.weight_decay * theta)
        self.m *= self.beta2
        self.m += (1 - self.beta2) * g  # m_t


def hutchinson(grad_fn, theta, rng, delta=None):
    r"""Hutchinson's estimate u ⊙ (H u) of diag H at θ, with Rademacher u (E[u ⊙ Hu] = diag H).

    The Hessian-vector product is a central difference of gradients,
    H u ≈ (∇J(θ + δu) − ∇J(θ − δu)) / (2δ), exact for a quadratic; δ defaults to
    ε_mach^{1/3} max(1, max|θ|). It costs two gradient evaluations (the paper uses one
    Hessian-vector product by automatic differentiation).
    """
    u = rng.choice(np.array([-1.0, 1.0]), size=theta.shape).astype(theta.dtype)
    if delta is None:
        scale = float(np.max(np.abs(theta))) if theta.size else 0.0
        delta = np.finfo(theta.dtype).eps ** (1 / 3) * max(1.0, scale)
    hu = (
        np.asarray(grad_fn(theta + delta * u)) - np.asarray(grad_fn(theta - delta * u))
    ) / (2 * delta)
    return u * hu


class Sophia(Optimizer):
    r"""Sophia, a clipped diagonal Newton step (Liu et al., 2024), Algorithm 3.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
        h_t = \begin{cases} \beta_2 h_{t-k} + (1-\beta_2)\hat h_t & (t-1) \bmod k = 0 \\
              h_{t-1} & \text{otherwise} \end{cases}

        \theta_t = \theta_{t-1} - \eta \lambda_{\mathrm{wd}} \theta_{t-1}
            - \eta \operatorname{clip}\Bigl(\frac{m_t}{\max(\varsigma h_t, \epsilon)}, 1\Bigr)

    ĥ_t estimates the Hessian diagonal at θ_{t−1} every k steps; clip(·, 1) keeps each
    coordinate in [−1, 1], so a step never exceeds η per coordinate, and a coordinate with
    h ≤ 0 (negative curvature) takes that full step in the sign of m_t. The paper's γ is ς
    (``hess_scale``) and its λ is λ_wd. The paper estimates ĥ by Hutchinson (Sophia-H:
    u ⊙ ∇²L u with an autodiff Hessian-vector product) or by Gauss–Newton–Bartlett
    (Sophia-G: resampled labels). gdlib takes ĥ from ``hess_diag(theta)`` if given (the
    exact diagonal, or a Gauss–Newton estimate for a model), and otherwise from
    :func:`hutchinson` with a finite-difference Hessian-vector product of ``grad_fn``
    (two extra gradient evaluations on the same mini-batch every k steps), with Rademacher
    vectors drawn from ``seed``. optax's ``contrib.sophia`` bias-corrects m_t and refreshes
    h after the step (the authors' code does too), so its step t uses h_{t−1}.

    References
    ----------
    Liu, H., Li, Z., Hall, D., Liang, P. & Ma, T. (2024). Sophia: a scalable stochastic second-order optimizer for language model pre-training. ICLR 2024.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    hess_scale = positive()
    eps = nonnegative()
    weight_decay = nonnegative()
    state_names = ("m", "h")
    elementwise = False  # the Hessian estimate needs the whole of θ
    unbounded_state = ()

    def __init__(
        self,
        eta=1e-3,
        beta1=0.965,
        beta2=0.99,
        hess_scale=0.01,
        eps=1e-8,
        weight_decay=0.0,
        k=10,
        hess_diag=None,
        seed=0,
    ):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        self.hess_scale, self.eps, self.weight_decay = hess_scale, eps, weight_decay
        self.k = check_int("k", k, 1)
        if hess_diag is not None and not callable(hess_diag):
            raise ValueError(
                f"hess_diag must be a callable of theta, got {hess_diag!r}"
            )
        self.hess_diag, self.seed = hess_diag, check_int("seed", seed, 0)
        self._grad_fn = None
        super().__init__()

    def reset(self):
        super().reset()
        self.rng = np.random.default_rng(self.seed)

    def step(self, theta, grad_fn):
        self._grad_fn = grad_fn  # Hutchinson's estimate needs more gradients
        try:
            return super().step(theta, grad_fn)
        finally:
            self._grad_fn = None

    def _estimate(self, theta):
        if self.hess_diag is not None:
            h = np.asarray(self.hess_diag(theta), dtype=theta.dtype)
        else:
            h = hutchinson(self._grad_fn, theta, self.rng)
        if h.shape != theta.shape:
            raise ValueError(
                f"hess_diag returned shape {h.shape}, theta has {theta.shape}"
            )
        return h

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        if (self.t - 1) % self.k == 0:  # refresh h_t every k steps, from step 1
            h_est = self._estimate(theta)
            self.h *= self.beta2
            self.h += (1 - self.beta2) * h_est
        ratio = divide(self.m, np.maximum(self.hess_scale * self.h, self.eps))
        theta -= self.eta * (self.weight_decay * theta + np.clip(ratio, -1.0, 1.0))

    def hyperparameters(self):
        return {**super().hyperparameters(), "k": self.k}


class _ScheduleFree(Optimizer):
    r"""Shared by the Schedule-Free methods: θ is x_t, the gradient is taken at y_t.

    State: ``z`` (the base sequence θ^base_t), ``weight_sum`` (Σ_s w_s) and ``eta_max``
    (max_s η_s), with η_t = η min(1, t/T_warmup) (η_t = η for ``warmup=0``).
    """

    elementwise = False  # scalar state (the weight sum)

    @property
    def warmup(self):
        return self._warmup

    @warmup.setter
    def warmup(self, value):
        self._warmup = check_int("warmup", value, 0)

    def init_state(self, theta):
        self.z = theta.copy()  # θ^base_0 = x_0 = θ_0
        self.weight_sum, self.eta_max = _scalar(theta), _scalar(theta)
        if "v" in self.state_names:
            self.v = np.zeros_like(theta)

    def gradient_point(self, theta):
        return (1 - self.beta1) * self.z + self.beta1 * theta  # y_{t-1}

    def eta_t(self):
        return self.eta * (min(1.0, self.t / self.warmup) if self.warmup else 1.0)

    def average(self, theta, eta_t):
        """c_t = w_t / Σ_{s≤t} w_s with w_t = (max_{s≤t} η_s)², then θ_t = (1−c_t)θ_{t−1} + c_t θ^base_t."""
        self.eta_max[...] = max(float(self.eta_max), eta_t)
        w = float(self.eta_max) ** 2
        self.weight_sum += w
        c = w / float(self.weight_sum)
        theta *= 1 - c
        theta += c * self.z

    def hyperparameters(self):
        return {**super().hyperparameters(), "warmup": self.warmup}


class ScheduleFreeSGD(_ScheduleFree):
    r"""Schedule-Free SGD (Defazio et al., 2024): interpolate, step, average; no schedule.

    θ_t is the paper's x_t, the point to evaluate and return; the gradient is taken at
    y_{t−1} (``gradient_point``) and the step moves the base sequence θ^base (the paper's z):

    .. math::
        y_{t-1} = (1-\beta_1) \theta^{\mathrm{base}}_{t-1} + \beta_1 \theta_{t-1}, \qquad
        \theta^{\mathrm{base}}_t = \theta^{\mathrm{base}}_{t-1} - \eta_t \bigl(\nabla J(y_{t-1}) + \lambda_{\mathrm{wd}} y_{t-1}\bigr),

        \theta_t = (1 - c_t)\, \theta_{t-1} + c_t \theta^{\mathrm{base}}_t, \qquad
        c_t = \frac{w_t}{\sum_{s=1}^{t} w_s}, \quad w_t = \bigl(\max_{s \le t} \eta_s\bigr)^2

    with θ^base_0 = θ_0 and η_t = η min(1, t/T_warmup) (``warmup``; η_t = η if 0). For a
    constant η, c_t = 1/t and θ_t is the plain average of θ^base_1, ..., θ^base_t (the paper's
    Theorem 1 uses c_{t+1} = 1/(t+1), which also averages in the start): β1 = 0 is
    Polyak–Ruppert averaging of SGD, β1 = 1 is primal averaging. The paper's β is β1,
    its γ is η and its x, y, z are θ, y, θ^base (state ``z``). The weights w_t are those of the paper's
    Algorithm 1 with r = 0 and of the authors' code and optax (``weight_lr_power=2``).

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A. & Cutkosky, A. (2024). The road less scheduled. NeurIPS 2024.
    """

    eta = positive()
    beta1 = decay()
    weight_decay = nonnegative()
    state_names = ("z", "weight_sum", "eta_max")
    unbounded_state = ("weight_sum",)

    def __init__(self, eta=0.1, beta1=0.9, weight_decay=0.0, warmup=0):
        self.eta, self.beta1, self.weight_decay = eta, beta1, weight_decay
        self.warmup = warmup
        super().__init__()

    def update(self, theta, g):
        eta_t = self.eta_t()
        y = self.gradient_point(theta)
        self.z -= eta_t * (g + self.weight_decay * y)  # θ^base_t
        self.average(theta, eta_t)  # θ_t = (1 − c_t) θ_{t−1} + c_t θ^base_t


class ScheduleFreeAdamW(_ScheduleFree):
    r"""Schedule-Free AdamW (Defazio et al., 2024), Algorithm 1.

    As :class:`ScheduleFreeSGD`, with the step of θ^base normalised by Adam's second moment
    (there is no first moment: the interpolation with β1 replaces it):

    .. math::
        y_{t-1} = (1-\beta_1) \theta^{\mathrm{base}}_{t-1} + \beta_1 \theta_{t-1}, \quad
        g_t = \nabla J(y_{t-1}), \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,

        \theta^{\mathrm{base}}_t = \theta^{\mathrm{base}}_{t-1} - \eta_t \Bigl(\frac{g_t}{\sqrt{\hat v_t} + \epsilon}
            + \lambda_{\mathrm{wd}} y_{t-1}\Bigr), \qquad
        \theta_t = (1 - c_t)\, \theta_{t-1} + c_t \theta^{\mathrm{base}}_t

    with v̂_t = v_t/(1−β2^t), η_t and c_t as in :class:`ScheduleFreeSGD`. The paper's
    Algorithm 1 folds the bias correction into the rate, γ_t = γ√(1−β2^t), and divides
    by √v_t + ε; its code and optax use v̂_t as here (the two differ only in where ε
    enters and in the weights c_t). λ_wd is multiplied by η_t, as in the paper.

    References
    ----------
    Defazio, A., Yang, X. A., Mehta, H., Mishchenko, K., Khaled, A. & Cutkosky, A. (2024). The road less scheduled. NeurIPS 2024.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    weight_decay = nonnegative()
    state_names = ("z", "v", "weight_sum", "eta_max")
    squares_gradient = True
    unbounded_state = ("weight_sum",)

    def __init__(
        self, eta=0.0025, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, warmup=0
    ):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        self.eps, self.weight_decay = eps, weight_decay
        self.warmup = warmup
        super().__init__()

    def update(self, theta, g):
        eta_t = self.eta_t()
        y = self.gradient_point(theta)
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        v_hat = self.v / (1 - self.beta2**self.t)
        self.z -= eta_t * (divide(g, np.sqrt(v_hat) + self.eps) + self.weight_decay * y)
        self.average(theta, eta_t)


class Prodigy(Optimizer):
    r"""Prodigy (Mishchenko & Defazio, 2024), Algorithm 4 (the Adam version): Adam whose
    step size 𝒟_t η learns the distance to the solution.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) \mathcal{D}_{t-1} g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) \mathcal{D}_{t-1}^2 g_t^2,

        \mathcal{N}_t = \beta_3 \mathcal{N}_{t-1} + (1-\beta_3)\, \eta_t \mathcal{D}_{t-1}^2
            \langle g_t, \theta_0 - \theta_{t-1} \rangle, \qquad
        \mathcal{S}_t = \beta_3 \mathcal{S}_{t-1} + (1-\beta_3)\, \eta_t \mathcal{D}_{t-1}^2 g_t,

        \mathcal{D}_t = \max\Bigl(\mathcal{D}_{t-1}, \frac{\mathcal{N}_t}{\lVert \mathcal{S}_t \rVert_1}\Bigr), \qquad
        \theta_t = \theta_{t-1} - \eta_t \mathcal{D}_{t-1} \Bigl(\frac{m_t}{\sqrt{v_t} + \mathcal{D}_{t-1}\epsilon}
            + \lambda_{\mathrm{wd}} \theta_{t-1}\Bigr)

    𝒟_0 (``d0``) is a deliberate under-estimate of 𝒟* = ‖θ_0 − θ*‖, and 𝒟_t only grows
    (the paper's d_k; state ``d``).
    η_t = η (the paper's γ_k, a schedule multiplier around 1); with ``bias_correction``
    it is η√(1−β2^t)/(1−β1^t), as in the authors' code option and always in optax. The
    paper's r_k and s_k are 𝒩_t and 𝒮_t (state ``N``, ``S``), and β3 = √β2 unless set (the paper uses √β2).
    λ_wd (``weight_decay``) is decoupled, multiplied by η_t 𝒟_{t−1} as in the authors'
    code. optax adds 𝒟_t ε instead of 𝒟_{t−1} ε; for ε = 0 it matches step by step.

    References
    ----------
    Mishchenko, K. & Defazio, A. (2024). Prodigy: an expeditiously adaptive parameter-free learner. ICML 2024.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    beta3 = decay()
    eps = nonnegative()
    d0 = positive()
    weight_decay = nonnegative()
    state_names = ("m", "v", "S", "N", "d", "theta0")
    elementwise = False  # 𝒩_t is an inner product, 𝒟_t a scalar
    squares_gradient = True

    def __init__(
        self,
        eta=1.0,
        beta1=0.9,
        beta2=0.999,
        beta3=None,
        eps=1e-8,
        d0=1e-6,
        weight_decay=0.0,
        bias_correction=False,
    ):
        self.eta, self.beta1, self.beta2 = eta, beta1, beta2
        self.beta3 = math.sqrt(beta2) if beta3 is None else beta3
        self.eps, self.d0, self.weight_decay = eps, d0, weight_decay
        if not isinstance(bias_correction, bool):
            raise ValueError(
                f"bias_correction must be True or False, got {bias_correction!r}"
            )
        self.bias_correction = bias_correction
        super().__init__()

    def init_state(self, theta):
        for name in ("m", "v", "S"):
            setattr(self, name, np.zeros_like(theta))
        self.N, self.d = _scalar(theta), _scalar(theta, self.d0)
        self.theta0 = theta.copy()

    def update(self, theta, g):
        d, b1, b2, b3 = float(self.d), self.beta1, self.beta2, self.beta3
        eta_t = self.eta
        if self.bias_correction:
            eta_t *= math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        self.m *= b1
        self.m += (1 - b1) * d * g  # m_t
        self.v *= b2
        self.v += (1 - b2) * (d * g) ** 2  # v_t
        self.N *= b3
        self.N += (1 - b3) * eta_t * d * d * np.vdot(g, self.theta0 - theta)  # N_t
        self.S *= b3
        self.S += (1 - b3) * eta_t * d * d * g  # S_t
        s_norm = float(np.sum(np.abs(self.S)))
        if s_norm > 0:
            self.d[...] = max(d, float(self.N) / s_norm)  # 𝒟_t
        theta -= (
            eta_t
            * d
            * (
                divide(self.m, np.sqrt(self.v) + d * self.eps)
                + self.weight_decay * theta
            )
        )
