r"""AdaptiveRevision (McMahan & Streeter, 2014): delay-tolerant Adagrad on a parameter server.

McMahan, H. B. & Streeter, M. (2014). Delay-tolerant algorithms for asynchronous distributed
online learning. Advances in Neural Information Processing Systems 27 (NIPS 2014), 2915-2923.

The server keeps, per coordinate, the parameter θ, the sum g^Σ of all gradients it has applied,
an accumulator G^AR and its running maximum G^AR_max (the paper's ḡ, z and z'; the book
keeps ḡ for a mean gradient and z for a characteristic root). A worker's read returns θ
together with the current g^Σ, which the worker sends back with its gradient g as g^{Σ,old}. The update, coordinate
by coordinate (all products element-wise), is

.. math::
    g^{\mathrm{bck}} = g^{\Sigma} - g^{\Sigma,\mathrm{old}}, \qquad
    \eta^{\mathrm{old}} = \eta / \sqrt{G^{\mathrm{AR}}_{\max} + \epsilon},

    G^{\mathrm{AR}} \leftarrow G^{\mathrm{AR}} + g^2 + 2\, g\, g^{\mathrm{bck}}, \qquad
    G^{\mathrm{AR}}_{\max} \leftarrow \max(G^{\mathrm{AR}}_{\max}, G^{\mathrm{AR}}), \qquad
    \eta^{\mathrm{new}} = \eta / \sqrt{G^{\mathrm{AR}}_{\max} + \epsilon},

    \theta \leftarrow \theta - \eta^{\mathrm{new}} g
        + (\eta^{\mathrm{old}} - \eta^{\mathrm{new}})\, g^{\mathrm{bck}}, \qquad
    g^{\Sigma} \leftarrow g^{\Sigma} + g .

g^bck (the *backlog*) is the sum of the gradients that the server applied while this one was
being computed. The cross term 2 g g^bck makes the accumulator grow by what the delay hides:
a gradient that arrives late, after others of the same sign, lowers the rate more than
Adagrad would. The last term *revises* the step already taken for the backlog: those
gradients were applied with the old rate, and they are now charged the new, smaller one.
The paper writes the base rate α; the book writes η (and adds Adagrad's ε inside the root,
ε = 0 being the paper's rule). The per-coordinate rate uses G^AR_max = max(G^AR_max, G^AR) because
the cross terms can make G^AR decrease. With no delay, g^bck = 0 and the rule is exactly
:class:`gdlib.Adagrad` (ε inside the root).

A property that follows from the rule, and that the tests and the book check: when several
gradients are all computed at the same parameters and applied one after another (each one's
backlog is the sum of those before it), the result equals ONE Adagrad step on their sum, as
long as the |partial sums| do not decrease (then G^AR_max = G^AR).

Provenance: the rule above was written from the paper's description of AdaptiveRevision
(a per-coordinate gradient sum stored on the server, its value remembered by every read,
the accumulator charged with the cross terms of outstanding gradients, and the learning rate
of earlier steps revised); the full text of the paper was not at hand offline when it was
written, so compare it with the algorithm box of the paper before relying on details such as
which rate η^old denotes (here: the rate just before the update).
"""

from __future__ import annotations

import numpy as np

from ..base import check_real, divide


class AdaptiveRevision:
    """The server-side state and update of AdaptiveRevision (see the module docstring).

    ``eta`` > 0 is the base rate (the paper's α), ``eps`` >= 0 is added inside the root like
    gdlib's Adagrad. ``read()`` returns g^Σ (to be sent back with the gradient as ``gbar_old``);
    ``update(theta, g, gbar_old)`` applies one gradient in place and returns θ. The state
    (``gbar`` = g^Σ, ``z`` = G^AR, ``z_max`` = G^AR_max) is created on the first update, shaped like θ; ``t`` counts
    the updates; ``reset()`` forgets it all.
    """

    def __init__(self, eta=0.01, eps=1e-8):
        self.eta = check_real("eta", eta, 0.0, low_open=True)
        self.eps = check_real("eps", eps, 0.0)
        self.reset()

    def __repr__(self):
        return f"AdaptiveRevision(eta={self.eta:g}, eps={self.eps:g})"

    def reset(self):
        self.t, self.gbar, self.z, self.z_max = 0, None, None, None

    def _init(self, shape):
        if self.gbar is None:
            self.gbar, self.z, self.z_max = (
                np.zeros(shape),
                np.zeros(shape),
                np.zeros(shape),
            )
        elif self.gbar.shape != shape:
            raise ValueError(
                f"theta has shape {shape}, but the state of AdaptiveRevision was built for "
                f"{self.gbar.shape}; call reset() first"
            )

    def read(self, shape=None):
        """g^Σ (the paper's ḡ), the sum of all gradients applied so far (zeros of ``shape`` before the first)."""
        if self.gbar is None:
            if shape is None:
                raise ValueError(
                    "shape must be given for a read before the first update"
                )
            return np.zeros(shape)
        return self.gbar.copy()

    def rate(self):
        """The current per-coordinate learning rate η / √(G^AR_max + ε) (0 where G^AR_max + ε = 0)."""
        return divide(self.eta, np.sqrt(self.z_max + self.eps))

    def update(self, theta, g, gbar_old):
        """Apply gradient ``g``, computed on parameters read when g^Σ was ``gbar_old``, in place."""
        if not isinstance(theta, np.ndarray) or not np.issubdtype(
            theta.dtype, np.floating
        ):
            raise ValueError(
                "theta must be a float numpy array (it is updated in place)"
            )
        g = np.asarray(g, dtype=float)
        gbar_old = np.asarray(gbar_old, dtype=float)
        for name, arr in (("g", g), ("gbar_old", gbar_old)):
            if arr.shape != theta.shape:
                raise ValueError(
                    f"{name} must have the shape of theta, {theta.shape}, got {arr.shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} must be finite: it contains NaN or inf")
        self._init(theta.shape)
        backlog = self.gbar - gbar_old
        eta_old = self.rate()
        self.z += g * g + 2.0 * g * backlog
        np.maximum(self.z_max, self.z, out=self.z_max)
        eta_new = self.rate()
        theta -= eta_new * g - (eta_old - eta_new) * backlog
        self.gbar += g
        self.t += 1
        return theta
