r"""A small multilayer perceptron in numpy, with backpropagation written out.

All weights and biases live in ONE flat float64 vector θ, so every gdlib
optimizer (and :func:`gdlib.train`) trains it exactly like a linear model.
The network maps an input x through L hidden layers,

.. math::
    a^{(0)} = x, \qquad z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}, \qquad a^{(l)} = h(z^{(l)}),

and a softmax output layer; the loss is the mean cross-entropy (plus
(λ_L2/2)‖W‖² on the weights with ``l2=λ_L2``). The gradient comes from
backpropagation, δ^{(L+1)} = (P − Y)/n, δ^{(l)} = (δ^{(l+1)} W^{(l+1)ᵀ}) ⊙ h'(z^{(l)}) (h the activation).

>>> import numpy as np
>>> from gdlib.mlp import MLP
>>> net = MLP(n_inputs=4, hidden=(5,), n_classes=3)
>>> theta = net.init(4)
>>> theta.shape, net.n_params
((43,), 43)
"""

from __future__ import annotations

import numpy as np

from .base import check_int, check_real
from .validation import as_labels, as_rows, as_theta, check_product, check_seed

__all__ = ["MLP"]

_ACTIVATIONS = {
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
}


def check_architecture(n_inputs, hidden, n_classes, activation):
    """Validate a network's shape and activation; returns the hidden widths as a tuple.

    ``n_inputs`` and every hidden width are integers ≥ 1 (a width 2.5 is an error, not
    truncated), ``n_classes`` an integer ≥ 2.
    """
    check_int("n_inputs", n_inputs, 1)
    if isinstance(hidden, (str, bytes)) or np.ndim(hidden) > 1:
        raise ValueError(
            f"hidden must be an integer or a sequence of integers >= 1, got {hidden!r}"
        )
    widths = np.atleast_1d(np.asarray(hidden, dtype=object)).tolist()
    if not widths:
        raise ValueError(
            "hidden must list at least one hidden width, got an empty sequence"
        )
    hidden = tuple(check_int("hidden width", h, 1) for h in widths)
    check_int("n_classes", n_classes, 2)
    if not isinstance(activation, str) or activation not in _ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
        )
    return hidden


def forward_inputs(model, theta, X, y=None, min_rows=1):
    """The shared checks of a network's methods: θ (flat, finite), X (n × n_inputs) and labels y."""
    theta = as_theta(theta, (model.n_params,), repr(model))
    X = as_rows(X, n_features=None, min_rows=min_rows)
    if X.shape[1] != model.sizes[0]:
        raise ValueError(
            f"X has {X.shape[1]} features (columns) but {model!r} expects {model.sizes[0]}"
        )
    if y is not None:
        y = as_labels(y, X.shape[0], model.n_classes)
    return theta, X, y


class MLP:
    """A softmax classifier with ``hidden`` fully connected tanh or ReLU layers.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    hidden : sequence of int
        Widths of the hidden layers, e.g. ``(32,)`` or ``(32, 16)``.
    n_classes : int
        Number of classes; labels are the integers 0 … n_classes − 1.
    activation : {'tanh', 'relu'}
    l2 : float
        Weight λ_L2 of the penalty (λ_L2/2)‖W‖² on the weights (not on the biases).
    seed : int
        Seeds :meth:`init` when it is called without its own seed.

    The model has the interface of :mod:`gdlib.models` (``init``, ``loss``,
    ``grad``, ``predict``, ``accuracy``), with θ a flat vector of length
    ``n_params``; :meth:`unpack` views it as a list of ``(W, b)`` pairs.
    """

    def __init__(
        self, n_inputs, hidden=(32,), n_classes=10, activation="tanh", l2=0.0, seed=0
    ):
        hidden = check_architecture(n_inputs, hidden, n_classes, activation)
        l2 = check_real("l2", l2, 0.0)
        self.seed = check_seed(seed)
        self.sizes = (int(n_inputs),) + hidden + (int(n_classes),)
        self.n_classes = int(n_classes)
        self.activation = activation
        self.l2 = float(l2)
        self.shapes = [((m, k), (k,)) for m, k in zip(self.sizes[:-1], self.sizes[1:])]
        self.n_params = sum(m * k + k for (m, k), _ in self.shapes)

    def __repr__(self):
        return (
            f"MLP(sizes={self.sizes}, activation={self.activation!r}, l2={self.l2:g})"
        )

    # --- parameters ----------------------------------------------------------
    def theta_shape(self, n_features=None):
        """The shape of θ: ``(n_params,)``."""
        return (self.n_params,)

    @property
    def param_shapes(self):
        """The tensors of the flat θ in order, ``[(m, k), (k,), ...]``: W1, b1, W2, b2, ...

        Layer-wise and matrix optimizers take it as ``shapes`` (see :func:`gdlib.base.blocks`).
        """
        return [shape for layer in self.shapes for shape in layer]

    def unpack(self, theta):
        """Views (no copies) of the flat θ as ``[(W1, b1), (W2, b2), ...]``."""
        theta = np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have shape ({self.n_params},) for {self!r}, got {theta.shape}"
            )
        layers, i = [], 0
        for (m, k), _ in self.shapes:
            W = theta[i : i + m * k].reshape(m, k)
            i += m * k
            b = theta[i : i + k]
            i += k
            layers.append((W, b))
        return layers

    def init(self, n_features=None, seed=None):
        """Random weights scaled by 1/√fan-in (√2/√fan-in for ReLU) and zero biases, as one vector.

        ``n_features`` (what :func:`gdlib.train` passes) must equal ``n_inputs``.
        """
        if (
            n_features is not None
            and check_int("n_features", n_features, 1) != self.sizes[0]
        ):
            raise ValueError(
                f"the data has {n_features} features but the network expects {self.sizes[0]}"
            )
        rng = np.random.default_rng(self.seed if seed is None else check_seed(seed))
        theta = np.zeros(self.n_params)
        gain = np.sqrt(2.0) if self.activation == "relu" else 1.0
        for W, _ in self.unpack(theta):
            W[...] = gain * rng.standard_normal(W.shape) / np.sqrt(W.shape[0])
        return theta

    # --- forward and backward --------------------------------------------------
    def _forward(self, theta, X):
        """Pre-activations z and activations a of every layer, and the output log-probabilities.

        θ and X must be checked already. If X holds NaN/inf this raises a ValueError naming X;
        if a finite input overflows float64, the log-probabilities are not finite.
        """
        phi, _ = _ACTIVATIONS[self.activation]
        layers = self.unpack(theta)
        zs, acts = [], [X]
        for l, (W, b) in enumerate(layers[:-1]):
            if l == 0:
                with np.errstate(over="ignore", invalid="ignore"):
                    z = X @ W + b
                check_product(
                    z, X
                )  # a row of X with a NaN/inf gives a non-finite row of z
            else:
                z = acts[-1] @ W + b
            zs.append(z)
            acts.append(phi(z))
        W, b = layers[-1]
        logits = acts[-1] @ W + b
        if len(layers) == 1:
            check_product(logits, X)
        with np.errstate(invalid="ignore", over="ignore"):
            logits = logits - logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return layers, zs, acts, log_p

    def _penalty(self, layers):
        return 0.5 * self.l2 * sum(float(np.sum(W * W)) for W, _ in layers)

    def loss(self, theta, X, y):
        """Mean cross-entropy of the softmax output (+ the L2 penalty on the weights).

        Labels are integers (or integral floats) in [0, n_classes): a label 0.75 or −1 is a
        ValueError naming ``y``. ``inf`` (never NaN) if a finite input overflows float64.
        """
        theta, X, y = forward_inputs(self, theta, X, y)
        layers, _, _, log_p = self._forward(theta, X)
        value = float(-np.mean(log_p[np.arange(len(y)), y])) + self._penalty(layers)
        return value if not np.isnan(value) else np.inf

    def grad(self, theta, X, y):
        """The exact gradient of :meth:`loss` by backpropagation, a flat vector like θ."""
        theta, X, y = forward_inputs(self, theta, X, y)
        _, dphi = _ACTIVATIONS[self.activation]
        layers, zs, acts, log_p = self._forward(theta, X)
        n = len(y)
        delta = np.exp(log_p)  # P
        delta[np.arange(n), y] -= 1.0  # P − Y
        delta /= n  # δ of the output layer
        g = np.zeros(self.n_params)
        grads = self.unpack(g)
        for l in range(len(layers) - 1, -1, -1):
            W, _ = layers[l]
            gW, gb = grads[l]
            gW[...] = acts[l].T @ delta + self.l2 * W
            gb[...] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ W.T) * dphi(zs[l - 1], acts[l])
        return g

    # --- predictions -----------------------------------------------------------
    def predict_proba(self, theta, X):
        theta, X, _ = forward_inputs(self, theta, X)
        return np.exp(self._forward(theta, X)[3])

    def predict(self, theta, X):
        theta, X, _ = forward_inputs(self, theta, X)
        return np.argmax(self._forward(theta, X)[3], axis=1)

    def accuracy(self, theta, X, y):
        theta, X, y = forward_inputs(self, theta, X, y)
        return float(np.mean(np.argmax(self._forward(theta, X)[3], axis=1) == y))
