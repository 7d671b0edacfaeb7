r"""A small convolutional network in numpy: one convolution, pooling and a softmax layer.

The network of LeCun et al. (1998) in its smallest form. An image x with C channels
of H × W pixels (one row of X, flattened in the order channel, row, column) goes
through

.. math::
    z_{f,i,j} = \sum_{c=1}^{C}\sum_{a,b=0}^{k-1} K_{f,c,a,b}\, x_{c,\,S i+a,\,S j+b} + b^{(1)}_f,
    \qquad a_{f,i,j} = \phi(z_{f,i,j}),

a "valid" convolution (a cross-correlation, as in every framework) with F filters of
k × k moved S pixels at a time (``stride``; S = 1 by default), giving F maps of
H_o × W_o = (⌊(H − k)/S⌋ + 1) × (⌊(W − k)/S⌋ + 1); then w × w average pooling,

.. math::
    h_{f,p,q} = \frac{1}{w^2}\sum_{u,v=0}^{w-1} a_{f,\,wp+u,\,wq+v},

(rows and columns that do not fill a last window are dropped), and a dense softmax
layer on the flattened h: logits h W + b^{(2)}. The loss is the mean cross-entropy
plus (λ_L2/2)(‖K‖² + ‖W‖²) with ``l2`` = λ_L2 (the biases are not penalised), the
same objective as :class:`gdlib.MLP`.

**Vectorised with im2col.** Every k × k patch of every image becomes one row of a
matrix ``cols`` (n·H_o·W_o rows of C·k² numbers, from
:func:`numpy.lib.stride_tricks.sliding_window_view`), so the whole convolution is
one matrix product z = cols Kᵀ with K viewed as an F × C·k² matrix (Chellapilla,
Puri & Simard, 2006). Backpropagation reuses the same matrix:

.. math::
    δ = (P − Y)/n, \quad ∇_W = h^⊤ δ + λ_{L2} W, \quad
    δ^{h} = δ W^⊤, \quad δ^{a}_{f,wp+u,wq+v} = δ^{h}_{f,p,q}/w^2, \quad
    δ^{z} = δ^{a} ⊙ φ'(z), \quad ∇_K = (δ^{z})^⊤ \mathrm{cols} + λ_{L2} K,
    \quad ∇_{b^{(1)}} = \sum δ^{z}.

All parameters live in ONE flat float64 vector θ = (K, b^{(1)}, W, b^{(2)}), so every
gdlib optimizer trains it like any other model; :attr:`CNN.param_shapes` gives the
tensors for layer-wise and matrix optimizers (K as an F × C·k² matrix, one filter a row).

>>> import numpy as np
>>> from gdlib.cnn import CNN
>>> net = CNN((8, 8), channels=4, kernel_size=3, pool=2, n_classes=10)
>>> net.param_shapes
[(4, 9), (4,), (36, 10), (10,)]
>>> theta = net.init(seed=0)
>>> X = np.random.default_rng(0).standard_normal((5, 64))
>>> net.predict_proba(theta, X).sum(axis=1).round(12).tolist()
[1.0, 1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .base import check_int, check_real
from .validation import as_labels, as_rows, as_theta, check_product, check_seed

__all__ = ["CNN"]

_ACTIVATIONS = ("relu", "tanh")

#: Convolution outputs per chunk of rows in :meth:`CNN.grad` and :meth:`CNN.loss`.
_CHUNK = 2**16


def _check_input_shape(input_shape):
    """(H, W) or (C, H, W) as a (C, H, W) tuple of ints ≥ 1, else a ValueError."""
    if isinstance(input_shape, (str, bytes)) or not hasattr(input_shape, "__len__"):
        raise ValueError(
            f"input_shape must be (height, width) or (channels, height, width), got {input_shape!r}"
        )
    if len(input_shape) not in (2, 3):
        raise ValueError(
            f"input_shape must have 2 entries (height, width) or 3 (channels, height, width), "
            f"got {input_shape!r}"
        )
    dims = tuple(check_int("input_shape entry", n, 1) for n in input_shape)
    return dims if len(dims) == 3 else (1,) + dims


class CNN:
    """A softmax classifier on images: conv k × k (F filters) → φ → w × w average pooling → dense.

    Parameters
    ----------
    input_shape : (H, W) or (C, H, W)
        The shape of one image; a row of X holds its C·H·W pixels in that order
        (:meth:`gdlib.Dataset.images` undoes the flattening).
    channels : int
        F, the number of convolution filters (≥ 1).
    kernel_size : int
        k, the side of each filter (1 ≤ k ≤ min(H, W)).
    stride : int
        S ≥ 1, the step of the filters (S = 2 computes a quarter of the outputs: a
        cheaper alternative to pooling).
    pool : int
        w, the side of the average-pooling window (1 = no pooling; at most the side
        of the convolution's output).
    n_classes : int
        Number of classes (≥ 2); labels are the integers 0 … n_classes − 1.
    activation : {'tanh', 'relu'}
    l2 : float
        λ_L2 ≥ 0, the weight of (λ_L2/2)(‖K‖² + ‖W‖²).
    seed : int
        Seeds :meth:`init` when it is called without its own seed.

    The model has the interface of :class:`gdlib.MLP` (``init``, ``loss``, ``grad``,
    ``predict``, ``predict_proba``, ``accuracy``, ``n_params``, ``unpack``,
    ``param_shapes``, ``theta_shape``, ``l2``).
    """

    def __init__(
        self,
        input_shape,
        channels=8,
        kernel_size=3,
        pool=2,
        n_classes=10,
        activation="tanh",
        l2=0.0,
        seed=0,
        stride=1,
    ):
        C, H, W = self.input_shape = _check_input_shape(input_shape)
        self.channels = check_int("channels", channels, 1)
        self.kernel_size = k = check_int("kernel_size", kernel_size, 1)
        if k > min(H, W):
            raise ValueError(
                f"kernel_size must be at most min(height, width) = {min(H, W)}, got {k}"
            )
        self.stride = st = check_int("stride", stride, 1)
        self.conv_shape = ((H - k) // st + 1, (W - k) // st + 1)
        self.pool = check_int("pool", pool, 1)
        if self.pool > min(self.conv_shape):
            raise ValueError(
                f"pool must be at most {min(self.conv_shape)} (the side of the convolution's "
                f"{self.conv_shape[0]} x {self.conv_shape[1]} output), got {pool!r}"
            )
        self.pooled_shape = (
            self.conv_shape[0] // self.pool,
            self.conv_shape[1] // self.pool,
        )
        self.n_classes = check_int("n_classes", n_classes, 2)
        if not isinstance(activation, str) or activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        self.activation = activation
        self.l2 = float(check_real("l2", l2, 0.0))
        self.seed = check_seed(seed)
        self.n_inputs = C * H * W
        self.n_hidden = self.channels * math.prod(self.pooled_shape)
        self.n_params = sum(math.prod(s) for s in self.param_shapes)

    def __repr__(self):
        return (
            f"CNN(input_shape={self.input_shape}, channels={self.channels}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}, pool={self.pool}, "
            f"n_classes={self.n_classes}, "
            f"activation={self.activation!r}, l2={self.l2:g})"
        )

    # --- parameters ----------------------------------------------------------
    @property
    def param_shapes(self):
        """The tensors of the flat θ in order: K as (F, C·k²), b1 (F,), W (F·H_p·W_p, K), b2.

        The rows of W follow the pooled maps in the order (row p, column q, filter f).
        Layer-wise and matrix optimizers take this list as ``shapes``.
        """
        C, k = self.input_shape[0], self.kernel_size
        return [
            (self.channels, C * k * k),
            (self.channels,),
            (self.n_hidden, self.n_classes),
            (self.n_classes,),
        ]

    def theta_shape(self, n_features=None):
        """The shape of θ: ``(n_params,)``."""
        return (self.n_params,)

    def unpack(self, theta):
        """Views (no copies) of the flat θ: ``[(K, b1), (W, b2)]`` with K of shape (F, C, k, k)."""
        theta = np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have shape ({self.n_params},) for {self!r}, got {theta.shape}"
            )
        parts, i = [], 0
        for shape in self.param_shapes:
            n = math.prod(shape)
            parts.append(theta[i : i + n].reshape(shape))
            i += n
        K = parts[0].reshape(
            (self.channels, self.input_shape[0]) + (self.kernel_size,) * 2
        )
        return [(K, parts[1]), (parts[2], parts[3])]

    def init(self, n_features=None, seed=None):
        """Random weights scaled by 1/√fan-in (√2/√fan-in for ReLU filters), zero biases.

        ``n_features`` (what :func:`gdlib.train` passes) must equal C·H·W.
        """
        if (
            n_features is not None
            and check_int("n_features", n_features, 1) != self.n_inputs
        ):
            raise ValueError(
                f"the data has {n_features} features but {self!r} expects {self.n_inputs} "
                "pixels per row"
            )
        rng = np.random.default_rng(self.seed if seed is None else check_seed(seed))
        theta = np.zeros(self.n_params)
        (K, _), (W, _) = self.unpack(theta)
        gain = np.sqrt(2.0) if self.activation == "relu" else 1.0
        fan_in = K[0].size
        K[...] = gain * rng.standard_normal(K.shape) / np.sqrt(fan_in)
        W[...] = rng.standard_normal(W.shape) / np.sqrt(W.shape[0])
        return theta

    # --- forward and backward --------------------------------------------------
    def _inputs(self, theta, X, y=None):
        theta = as_theta(theta, (self.n_params,), repr(self))
        X = as_rows(X)
        if X.shape[1] != self.n_inputs:
            raise ValueError(
                f"X has {X.shape[1]} features (columns) but {self!r} expects "
                f"{self.n_inputs} = {' x '.join(map(str, self.input_shape))} pixels per row"
            )
        if y is not None:
            y = as_labels(y, X.shape[0], self.n_classes)
        return theta, X, y

    def _im2col(self, X):
        """Every k × k patch of every image as one row: (n·H_o·W_o) × (C·k²)."""
        n, k = X.shape[0], self.kernel_size
        images = X.reshape((n,) + self.input_shape)
        windows = sliding_window_view(images, (k, k), axis=(2, 3))  # n, C, Ho, Wo, k, k
        if self.stride > 1:
            windows = windows[:, :, :: self.stride, :: self.stride]
        return windows.transpose(0, 2, 3, 1, 4, 5).reshape(
            n * math.prod(self.conv_shape), -1
        )

    def _chunks(self, n):
        """Row ranges of at most ~2^16 convolution outputs each (so the work stays in cache)."""
        rows = max(1, _CHUNK // (math.prod(self.conv_shape) * max(self.channels, 9)))
        return [slice(i, min(i + rows, n)) for i in range(0, n, rows)]

    def _forward(self, theta, X):
        """The im2col matrix, the activations a (n, H_o, W_o, F), the pooled h and log p.

        z is overwritten by a = φ(z) (one large array fewer: φ'(z) can be read off a).
        """
        (K, b1), (W, b2) = self.unpack(theta)
        n, F, w = X.shape[0], self.channels, self.pool
        cols = self._im2col(X)
        with np.errstate(over="ignore", invalid="ignore"):
            z = cols @ K.reshape(F, -1).T
            z += b1
        check_product(z, X)  # a NaN/inf pixel makes its patches' outputs non-finite
        a = z.reshape((n,) + self.conv_shape + (F,))
        if self.activation == "tanh":
            np.tanh(a, out=a)
        else:
            np.maximum(a, 0.0, out=a)
        Hp, Wp = self.pooled_shape
        # w × w average pooling as a sum of w² strided views (cheaper than a reduction)
        h = np.zeros((n, Hp, Wp, F))
        for u in range(w):
            for v in range(w):
                h += a[:, u : u + Hp * w : w, v : v + Wp * w : w]
        h = h.reshape(n, -1)
        h *= 1.0 / (w * w)
        with np.errstate(over="ignore", invalid="ignore"):
            logits = h @ W + b2
            logits -= logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return cols, a, h, log_p

    def _log_p(self, theta, X):
        """log p of every row, computed a chunk of rows at a time."""
        return np.concatenate(
            [self._forward(theta, X[c])[-1] for c in self._chunks(len(X))]
        )

    def _penalty(self, theta):
        (K, _), (W, _) = self.unpack(theta)
        return 0.5 * self.l2 * (float(np.sum(K * K)) + float(np.sum(W * W)))

    def loss(self, theta, X, y):
        """Mean cross-entropy of the softmax output (+ the L2 penalty on K and W).

        Labels are integers in [0, n_classes); ``inf`` (never NaN) if a finite input
        overflows float64; a NaN or inf pixel is a ValueError naming X.
        """
        theta, X, y = self._inputs(theta, X, y)
        log_p = self._log_p(theta, X)
        value = float(-np.mean(log_p[np.arange(len(y)), y])) + self._penalty(theta)
        return value if not np.isnan(value) else np.inf

    def grad(self, theta, X, y):
        """The exact gradient of :meth:`loss` by backpropagation through im2col, flat like θ.

        The loss is a mean over rows, so the gradient is a sum of per-chunk gradients:
        chunks of rows go through forward and backward passes one at a time, which keeps
        every intermediate array small (a full batch of 1347 digits: a few milliseconds).
        """
        theta, X, y = self._inputs(theta, X, y)
        (K, _), (W, _) = self.unpack(theta)
        n, F, w = X.shape[0], self.channels, self.pool
        Hp, Wp = self.pooled_shape
        g = np.zeros(self.n_params)
        (gK, gb1), (gW, gb2) = self.unpack(g)
        gK_flat = gK.reshape(F, -1)
        for c in self._chunks(n):
            cols, a, h, log_p = self._forward(theta, X[c])
            m = len(h)
            delta = np.exp(log_p)  # P
            delta[np.arange(m), y[c]] -= 1.0  # P − Y
            delta /= n
            gW += h.T @ delta
            gb2 += delta.sum(axis=0)
            d_h = (delta @ W.T).reshape(m, Hp, Wp, F)
            d_h *= 1.0 / (w * w)
            # δ^z = δ^a ⊙ φ'(z) in one buffer: φ'(z) first (tanh' = 1 − a², relu' = [a > 0]),
            # then times δ^a window by window
            if self.activation == "tanh":
                d_z = np.multiply(a, a)
                np.subtract(1.0, d_z, out=d_z)
            else:
                d_z = (a > 0).astype(float)
            if (
                Hp * w < d_z.shape[1] or Wp * w < d_z.shape[2]
            ):  # pixels no window covers
                d_z[:, Hp * w :] = 0.0
                d_z[:, :, Wp * w :] = 0.0
            for u in range(w):
                for v in range(w):
                    d_z[:, u : u + Hp * w : w, v : v + Wp * w : w] *= d_h
            d_z = d_z.reshape(-1, F)
            gK_flat += d_z.T @ cols
            gb1 += d_z.sum(axis=0)
        gK += self.l2 * K
        gW += self.l2 * W
        return g

    # --- predictions -----------------------------------------------------------
    def predict_proba(self, theta, X):
        """Class probabilities, one row per image."""
        theta, X, _ = self._inputs(theta, X)
        return np.exp(self._log_p(theta, X))

    def predict(self, theta, X):
        """The most probable class of every image."""
        theta, X, _ = self._inputs(theta, X)
        return np.argmax(self._log_p(theta, X), axis=1)

    def accuracy(self, theta, X, y):
        """The fraction of images whose most probable class is the label."""
        theta, X, y = self._inputs(theta, X, y)
        return float(np.mean(np.argmax(self._log_p(theta, X), axis=1) == y))
