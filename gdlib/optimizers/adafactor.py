r"""Adafactor (Shazeer & Stern, 2018): Adam's second moment, factored for matrices.

Same conventions as :mod:`.matrix` (``shapes``, blocks of θ, packed state); split from it
to keep each module short.
"""

from __future__ import annotations

import math

import numpy as np

from ..base import Hyper, decay, divide, nonnegative, positive
from .matrix import _Blocked, _Choice, _rms

__all__ = ["Adafactor"]


class Adafactor(_Blocked):
    r"""Adafactor (Shazeer & Stern, 2018), Algorithms 4 and 5: a factored second moment.

    For a matrix block W (d_in × d_out) with gradient G_t, β̂_{2,t} = 1 − t^{−c_dec}:

    .. math::
        V^{\mathrm{row}}_t = \hat\beta_{2,t} V^{\mathrm{row}}_{t-1}
            + (1-\hat\beta_{2,t}) (G_t^2 + \epsilon_1 1 1^\top) 1,
        \qquad
        V^{\mathrm{col}}_t = \hat\beta_{2,t} V^{\mathrm{col}}_{t-1}
            + (1-\hat\beta_{2,t}) 1^\top (G_t^2 + \epsilon_1 1 1^\top),

        \hat V_t = \frac{V^{\mathrm{row}}_t V^{\mathrm{col}}_t}{1^\top V^{\mathrm{row}}_t},
        \qquad U_t = \frac{G_t}{\sqrt{\hat V_t}},
        \qquad \hat U_t = \frac{U_t}{\max(1, \mathrm{RMS}(U_t)/c_{\mathrm{clip}})},

        \eta_t = \max(\epsilon_2, \mathrm{RMS}(W_{t-1}))\, \eta^{\mathrm{rel}}_t, \qquad
        W_t = W_{t-1} - \eta_t \hat U_t

    V^row_t (row sums, d_in numbers; state ``R``, the paper's R_t) and V^col_t (column
    sums, d_out numbers; state ``C``, the paper's C_t) replace Adam's d_in·d_out second
    moments. ``vector_rule``: a vector block keeps the unfactored
    v_t = β̂_{2,t} v_{t-1} + (1 − β̂_{2,t})(g_t² + ε1) and V̂_t = v_t (the paper's rule for
    vectors). The relative step η^rel_t = min(η, 1/√t) with ``relative_step`` (the paper's
    ρ_t = min(10^{-2}, 1/√t) for η = 10^{-2}), else η; η_t = η^rel_t (the paper's α_t)
    without ``scale_parameter``. c_clip = ``clip`` (the paper's d; ``inf`` turns clipping
    off), c_dec = ``decay_exponent`` (the paper's c). ``beta1`` > 0 adds momentum
    m_t = β1 m_{t-1} + (1 − β1) η_t Û_t, W_t = W_{t-1} − m_t (the order of optax.adafactor).

    References
    ----------
    Shazeer, N. & Stern, M. (2018). Adafactor: Adaptive learning rates with sublinear memory
    cost. ICML 2018, PMLR 80, 4596–4604.
    """

    eta = positive()
    decay_exponent = Hyper(0.0, 1.0, low_open=True)
    eps1 = nonnegative()
    eps2 = nonnegative()
    clip = Hyper(0.0, math.inf, low_open=True)
    beta1 = decay()
    relative_step = _Choice(True, False)
    scale_parameter = _Choice(True, False)
    state_names = ("m", "v", "R", "C")
    unbounded_state = ()
    vector_rule = "unfactored second moment"
    packed = {
        "R": lambda self, s: (s[0],) if len(s) >= 2 else None,
        "C": lambda self, s: (math.prod(s[1:]),) if len(s) >= 2 else None,
    }

    def __init__(
        self,
        eta=1e-2,
        decay_exponent=0.8,
        eps1=1e-30,
        eps2=1e-3,
        clip=1.0,
        beta1=0.0,
        relative_step=True,
        scale_parameter=True,
        shapes=None,
    ):
        self.eta, self.decay_exponent, self.eps1, self.eps2 = (
            eta,
            decay_exponent,
            eps1,
            eps2,
        )
        self.clip, self.beta1 = clip, beta1
        self.relative_step, self.scale_parameter = relative_step, scale_parameter
        super().__init__(shapes)

    def update(self, theta, g):
        t = self.t
        b2 = 1.0 - t ** (-self.decay_exponent)  # β̂_{2,t}; 0 at t = 1
        rho = min(self.eta, 1 / math.sqrt(t)) if self.relative_step else self.eta
        for i, th, G, gb in self._pairs(theta, g):
            m, v = self._split(self.m)[i], self._split(self.v)[i]
            if G is None:  # vector block: v_t, unfactored
                v *= b2
                v += (1 - b2) * (gb * gb + self.eps1)
                V = v
            else:
                R, C = self._packed("R", i), self._packed("C", i)
                sq = G * G + self.eps1
                R *= b2
                R += (1 - b2) * sq.sum(axis=1)  # R_t
                C *= b2
                C += (1 - b2) * sq.sum(axis=0)  # C_t
                V = divide(np.outer(R, C), R.sum()).reshape(gb.shape)  # V̂_t
            U = divide(gb, np.sqrt(V))
            U = U / max(1.0, _rms(U) / self.clip)  # Û_t
            alpha = max(self.eps2, _rms(th)) * rho if self.scale_parameter else rho
            if self.beta1 > 0:
                m *= self.beta1
                m += (1 - self.beta1) * alpha * U
                th -= m
            else:
                th -= (alpha * U).astype(th.dtype)
