r"""Layer-wise trust ratios for large-batch training: LARS and LAMB.

Notation (the book's notation page): step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}) and
writes θ_t. θ is a flat vector made of the tensors (layers) θ^(ℓ) listed in ``shapes``
(see :func:`gdlib.base.blocks`; ``shapes=None`` makes the whole of θ one layer, and
:attr:`gdlib.MLP.param_shapes` lists an MLP's W1, b1, W2, b2, ...). Each layer ℓ gets
its own trust ratio q_t^(ℓ), a ratio of norms, so these updates are not element-wise.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import (
    Optimizer,
    blocks,
    check_shapes,
    decay,
    divide,
    nonnegative,
    positive,
)

__all__ = ["LARS", "LAMB", "norm", "trust_ratio"]


def norm(x):
    """‖x‖₂ without overflow or underflow (scaled by max |x|); 0 for x = 0, NaN for NaN."""
    s = float(np.max(np.abs(x))) if x.size else 0.0
    if s == 0.0 or not math.isfinite(s):
        return s
    return s * math.sqrt(float(np.sum(np.square(x / s))))


def trust_ratio(num, den):
    """num/den, and 1 when either norm is 0 (a layer at 0, or one that does not move).

    The papers' ratio would be 0 for a layer whose weights are 0 (biases start there) and
    0/0 for a layer with no update; optax and the authors' code use 1 in both cases.
    """
    return num / den if num > 0 and den > 0 else 1.0


class _Layerwise(Optimizer):
    """Shared by LARS and LAMB: the ``shapes`` of θ's layers, checked when set."""

    elementwise = False  # the trust ratio is a norm over a whole layer

    @property
    def shapes(self):
        return self._shapes

    @shapes.setter
    def shapes(self, shapes):
        self._shapes = None if shapes is None else check_shapes(shapes)
        self.reset()

    def init_state(self, theta):
        if self.shapes is not None:
            check_shapes(self.shapes, theta.size)  # before anything changes
        super().init_state(theta)

    def layers(self, *arrays):
        """The layers ℓ = 1, 2, ... of each array, as tuples of views."""
        return zip(*(blocks(a, self.shapes) for a in arrays))

    def __repr__(self):
        return super().__repr__()[:-1] + f", shapes={self.shapes})"


class LARS(_Layerwise):
    r"""LARS, layer-wise adaptive rate scaling (You, Gitman & Ginsburg, 2017), Algorithm 1.

    For every layer ℓ of θ (see ``shapes``), with g_t = ∇J(θ_{t-1}):

    .. math::
        q_t^{(\ell)} = c_{\mathrm{tr}} \frac{\lVert\theta_{t-1}^{(\ell)}\rVert}
            {\lVert g_t^{(\ell)}\rVert + \lambda_{\mathrm{wd}} \lVert\theta_{t-1}^{(\ell)}\rVert},
        \qquad
        v_t^{(\ell)} = \gamma v_{t-1}^{(\ell)}
            + \eta\, q_t^{(\ell)} \bigl(g_t^{(\ell)} + \lambda_{\mathrm{wd}} \theta_{t-1}^{(\ell)}\bigr),
        \qquad
        \theta_t^{(\ell)} = \theta_{t-1}^{(\ell)} - v_t^{(\ell)}

    It is :class:`Momentum` with a learning rate η q_t^(ℓ) per layer: the step of a layer
    is a fixed fraction of its weights' norm, whatever the gradient's scale. The paper's
    trust coefficient η is c_tr (``trust_coefficient``), its weight decay β is λ_wd
    (``weight_decay``, an L2 term added to the gradient) and its global rate γ_t is η
    (the paper decays it polynomially; pass a schedule). q = 1 when a norm is 0
    (:func:`trust_ratio`). optax's ``lars`` divides by ‖g + λ_wd θ‖ instead of
    ‖g‖ + λ_wd‖θ‖; the two agree for λ_wd = 0.

    References
    ----------
    You, Y., Gitman, I. & Ginsburg, B. (2017). Large batch training of convolutional networks. arXiv:1708.03888.
    """

    eta = positive()
    gamma = decay()
    trust_coefficient = positive()
    weight_decay = nonnegative()
    state_names = ("v",)
    unbounded_state = ()

    def __init__(
        self, eta=1.0, gamma=0.9, trust_coefficient=0.001, weight_decay=0.0, shapes=None
    ):
        self.eta, self.gamma = eta, gamma
        self.trust_coefficient, self.weight_decay = trust_coefficient, weight_decay
        self.shapes = shapes
        super().__init__()

    def update(self, theta, g):
        wd = self.weight_decay
        for th, gl, v in self.layers(theta, g, self.v):
            w_norm = norm(th)
            q = self.trust_coefficient * trust_ratio(w_norm, norm(gl) + wd * w_norm)
            v *= self.gamma
            v += self.eta * q * (gl + wd * th)  # v_t = γ v_{t−1} + η q (g + λ_wd θ)
            th -= v  # θ_t = θ_{t−1} − v_t


class LAMB(_Layerwise):
    r"""LAMB, layer-wise adaptive moments (You et al., 2020), Algorithm 2 with φ(x) = x.

    Adam's direction a_t, then one trust ratio per layer ℓ of θ (see ``shapes``):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
        a_t = \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon} + \lambda_{\mathrm{wd}} \theta_{t-1},

        q_t^{(\ell)} = \frac{\lVert\theta_{t-1}^{(\ell)}\rVert}{\lVert a_t^{(\ell)}\rVert},
        \qquad
        \theta_t^{(\ell)} = \theta_{t-1}^{(\ell)} - \eta\, q_t^{(\ell)} a_t^{(\ell)}

    with m̂_t, v̂_t Adam's bias-corrected moments. Every layer moves by η times its own
    norm, ‖θ_t^(ℓ) − θ_{t−1}^(ℓ)‖ = η‖θ_{t−1}^(ℓ)‖, so rescaling a layer's weights (or
    its gradients) does not change the relative step. The paper's x is θ, its r_t + λx_t
    is a_t and its λ is λ_wd (``weight_decay``). q = 1 when a norm is 0
    (:func:`trust_ratio`), as in optax's ``lamb``, which this matches step by step.

    References
    ----------
    You, Y., Li, J., Reddi, S., Hseu, J., Kumar, S., Bhojanapalli, S., Song, X., Demmel, J., Keutzer, K. & Hsieh, C.-J. (2020). Large batch optimization for deep learning: training BERT in 76 minutes. ICLR 2020.
    """

    eta = positive()
    beta1 = decay()
    beta2 = decay()
    eps = nonnegative()
    weight_decay = nonnegative()
    state_names = ("m", "v")
    squares_gradient = True
    unbounded_state = ()

    def __init__(
        self,
        eta=0.01,
        beta1=0.9,
        beta2=0.999,
        eps=1e-6,
        weight_decay=0.0,
        shapes=None,
    ):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.weight_decay = weight_decay
        self.shapes = shapes
        super().__init__()

    def update(self, theta, g):
        self.m *= self.beta1
        self.m += (1 - self.beta1) * g  # m_t
        self.v *= self.beta2
        self.v += (1 - self.beta2) * g * g  # v_t
        m_hat = self.m / (1 - self.beta1**self.t)
        v_hat = self.v / (1 - self.beta2**self.t)
        a = divide(m_hat, np.sqrt(v_hat) + self.eps) + self.weight_decay * theta
        for th, al in self.layers(theta, a):
            th -= self.eta * trust_ratio(norm(th), norm(al)) * al
