r"""Strategies that work alongside any optimizer: example order, batch normalization,
early stopping and gradient noise.

* :func:`fit` is an epoch loop like :func:`gdlib.train` that also takes an example
  ``order`` (a fresh shuffle per epoch, a fixed order, or a curriculum), a
  ``validation`` set, an :class:`EarlyStopping` rule and a ``grad_wrapper`` such as
  :class:`GradientNoise`. With the defaults it reproduces :func:`gdlib.train` exactly.
* :func:`curriculum` builds easy-to-hard orders from a difficulty score.
* :func:`batchnorm_forward` / :func:`batchnorm_backward` implement batch
  normalization for a batch, and :class:`BatchNormMLP` puts it into the hidden
  layers of a small network with the interface of :class:`gdlib.MLP`.
* :class:`EarlyStopping` watches a validation loss with a patience.
* :class:`GradientNoise` adds annealed Gaussian noise to a gradient function,
  g_t + N(0, σ_t²) with σ_t² = η/(1 + t)^γ (Neelakantan et al., 2015).

>>> import numpy as np
>>> from gdlib.strategies import EarlyStopping
>>> stop = EarlyStopping(patience=2)
>>> [stop.update(v) for v in [3.0, 2.0, 2.5, 2.4, 1.0]]
[False, False, False, True, True]
>>> stop.best_epoch, stop.stopped_epoch
(1, 3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .base import NonFiniteError, check_int, check_real
from .mlp import _ACTIVATIONS, check_architecture, forward_inputs
from .training import check_batch_size, check_training_inputs, minibatches
from .validation import (
    check_product,
    check_seed,
    divergence_message,
    explain_refused_step,
    is_divergent,
)

__all__ = [
    "FitResult",
    "fit",
    "curriculum",
    "batchnorm_forward",
    "batchnorm_backward",
    "BatchNormMLP",
    "EarlyStopping",
    "GradientNoise",
]


# --- batch normalization ------------------------------------------------------------------------
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    r"""Batch normalization of the rows of ``x`` (m × k), feature by feature.

    μ = mean over the batch, σ² = (1/m) Σ (x_i − μ)², x̂ = (x − μ)/√(σ² + ε), y = γ x̂ + β.
    Returns ``y`` and a cache for :func:`batchnorm_backward` (it holds x̂, 1/√(σ² + ε), γ,
    and the batch mean and variance, ``cache['mean']`` and ``cache['var']``).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(
            f"x must be a batch of at least 2 rows (m x k), got shape {x.shape}"
        )
    mean = x.mean(axis=0)
    var = x.var(axis=0)  # biased: divides by m
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    y = gamma * x_hat + beta
    return y, {
        "x_hat": x_hat,
        "inv_std": inv_std,
        "gamma": np.asarray(gamma, dtype=float),
        "mean": mean,
        "var": var,
    }


def batchnorm_backward(dy, cache):
    r"""Gradients of a loss L through :func:`batchnorm_forward`, given dy = ∂L/∂y.

    ∂L/∂x_i = γ/(m √(σ² + ε)) · (m dy_i − Σ_j dy_j − x̂_i Σ_j dy_j x̂_j),
    ∂L/∂γ = Σ_i dy_i x̂_i,  ∂L/∂β = Σ_i dy_i.   Returns ``dx, dgamma, dbeta``.
    """
    x_hat, inv_std, gamma = cache["x_hat"], cache["inv_std"], cache["gamma"]
    m = x_hat.shape[0]
    dbeta = dy.sum(axis=0)
    dgamma = (dy * x_hat).sum(axis=0)
    dx = gamma * inv_std / m * (m * dy - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


class BatchNormMLP:
    r"""A softmax network whose hidden layers are batch-normalized before the activation.

    Hidden layer l computes z = a W (no bias: BN's mean subtraction would cancel it),
    ẑ = BN(z) with a learned scale γ_BN and shift β_BN per layer, and a = h(ẑ) (h the activation). The output layer is
    a W + b with a softmax and the mean cross-entropy, as in :class:`gdlib.MLP`.
    With ``batchnorm=False`` the network IS :class:`gdlib.MLP` (same flat layout, same
    initialization, same loss and gradient).

    All parameters live in one flat vector θ. ``loss`` and ``grad`` use the statistics
    of the batch they are given (training mode), and every call of ``grad`` (one
    training step) also updates the running averages
    running ← decay · running + (1 − decay) · batch statistic, with the unbiased
    variance m/(m − 1) σ². ``predict``, ``accuracy`` and ``eval_loss`` use the running
    averages (inference mode), so a single example can be classified. ``init`` resets
    the running averages to mean 0 and variance 1.
    """

    def __init__(
        self,
        n_inputs,
        hidden=(32,),
        n_classes=10,
        activation="tanh",
        batchnorm=True,
        eps=1e-5,
        decay=0.9,
        l2=0.0,
        seed=0,
    ):
        hidden = check_architecture(n_inputs, hidden, n_classes, activation)
        self.eps = check_real("eps", eps, 0.0)
        self.decay = check_real("decay", decay, 0.0)
        if not self.decay < 1:
            raise ValueError(f"decay must be in [0, 1), got {decay!r}")
        self.l2 = check_real("l2", l2, 0.0)
        self.batchnorm = bool(batchnorm)
        self.activation = activation
        self.sizes = (int(n_inputs),) + hidden + (int(n_classes),)
        self.n_classes = int(n_classes)
        self.seed = check_seed(seed)
        # every layer: W (m×k) and a k-vector b; a batch-normalized hidden layer has γ, β instead of b
        self.blocks = []
        for l, (m, k) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            bn = self.batchnorm and l < len(hidden)
            self.blocks.append((m, k, ("gamma", "beta") if bn else ("b",)))
        self.n_params = sum(m * k + k * len(names) for m, k, names in self.blocks)
        self.reset_running()

    def __repr__(self):
        return (
            f"BatchNormMLP(sizes={self.sizes}, activation={self.activation!r}, "
            f"batchnorm={self.batchnorm}, decay={self.decay:g}, eps={self.eps:g})"
        )

    def reset_running(self):
        """Running mean 0 and running variance 1 for every batch-normalized layer."""
        n_bn = len(self.sizes) - 2 if self.batchnorm else 0
        self.running_mean = [np.zeros(self.sizes[l + 1]) for l in range(n_bn)]
        self.running_var = [np.ones(self.sizes[l + 1]) for l in range(n_bn)]

    def theta_shape(self, n_features=None):
        """The shape of θ: ``(n_params,)``."""
        return (self.n_params,)

    def unpack(self, theta):
        """Views of θ: a list with one dict per layer, keys 'W' and 'b' or 'W', 'gamma', 'beta'."""
        theta = np.asarray(theta)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have shape ({self.n_params},) for {self!r}, got {theta.shape}"
            )
        layers, i = [], 0
        for m, k, names in self.blocks:
            layer = {"W": theta[i : i + m * k].reshape(m, k)}
            i += m * k
            for name in names:
                layer[name] = theta[i : i + k]
                i += k
            layers.append(layer)
        return layers

    def init(self, n_features=None, seed=None):
        """W ~ gain · N(0, 1)/√fan-in (as :meth:`gdlib.MLP.init`), γ = 1, β = b = 0; resets running stats."""
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
        for layer in self.unpack(theta):
            W = layer["W"]
            W[...] = gain * rng.standard_normal(W.shape) / np.sqrt(W.shape[0])
            if "gamma" in layer:
                layer["gamma"][...] = 1.0
        self.reset_running()
        return theta

    # --- forward and backward ----------------------------------------------------------------
    def _inputs(self, theta, X, y=None, training=True):
        """The checks shared with :class:`gdlib.MLP`; training mode needs 2 rows for batch statistics."""
        return forward_inputs(
            self, theta, X, y, min_rows=2 if training and self.batchnorm else 1
        )

    def _forward(self, theta, X, training):
        phi, _ = _ACTIVATIONS[self.activation]
        layers = self.unpack(theta)
        acts, caches, zs = [X], [], []
        for l, layer in enumerate(layers[:-1]):
            if l == 0:
                with np.errstate(over="ignore", invalid="ignore"):
                    z = X @ layer["W"]
                check_product(
                    z, X
                )  # a NaN/inf in X: a ValueError, before any state changes
            else:
                z = (
                    acts[-1] @ layer["W"]
                )  # a NaN/inf in X: a ValueError, before any state changes
            if "gamma" in layer:
                if training:
                    z_hat, cache = batchnorm_forward(
                        z, layer["gamma"], layer["beta"], self.eps
                    )
                else:
                    z_hat = (
                        layer["gamma"]
                        * (z - self.running_mean[l])
                        / np.sqrt(self.running_var[l] + self.eps)
                        + layer["beta"]
                    )
                    cache = None
            else:
                z_hat, cache = z + layer["b"], None
            caches.append(cache)
            zs.append(z_hat)
            acts.append(phi(z_hat))
        out = layers[-1]
        logits = acts[-1] @ out["W"] + out["b"]
        if len(layers) == 1:
            check_product(logits, X)
        with np.errstate(invalid="ignore", over="ignore"):
            logits = logits - logits.max(axis=1, keepdims=True)
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return layers, acts, zs, caches, log_p

    def _cross_entropy(self, layers, log_p, y):
        penalty = (
            0.5 * self.l2 * sum(float(np.sum(layer["W"] ** 2)) for layer in layers)
        )
        value = float(-np.mean(log_p[np.arange(len(y)), y])) + penalty
        return value if not math.isnan(value) else math.inf

    def loss(self, theta, X, y):
        """Mean cross-entropy with batch statistics (training mode); + (λ_L2/2)‖W‖² with ``l2=λ_L2``.

        Labels are integers (or integral floats) in [0, n_classes), X has at least 2 rows
        (batch statistics) and no NaN/inf, θ has shape (n_params,): else a ValueError naming them.
        """
        theta, X, y = self._inputs(theta, X, y)
        layers, _, _, _, log_p = self._forward(theta, X, training=True)
        return self._cross_entropy(layers, log_p, y)

    def eval_loss(self, theta, X, y):
        """Mean cross-entropy with the running statistics (inference mode)."""
        theta, X, y = self._inputs(theta, X, y, training=False)
        layers, _, _, _, log_p = self._forward(theta, X, training=False)
        return self._cross_entropy(layers, log_p, y)

    def grad(self, theta, X, y):
        """Exact gradient of :meth:`loss` (backpropagation through BN); updates the running stats.

        The running statistics change only when the call succeeds and the gradient is finite
        (a step an optimizer will take): a call that raises, or whose batch overflows, leaves
        them as they were.
        """
        theta, X, y = self._inputs(theta, X, y)
        _, dphi = _ACTIVATIONS[self.activation]
        layers, acts, zs, caches, log_p = self._forward(theta, X, training=True)
        n = len(y)
        delta = np.exp(log_p)
        delta[np.arange(n), y] -= 1.0
        delta /= n  # ∂L/∂logits
        g = np.zeros(self.n_params)
        grads = self.unpack(g)
        for l in range(len(layers) - 1, -1, -1):
            layer, glayer = layers[l], grads[l]
            glayer["W"][...] = acts[l].T @ delta + self.l2 * layer["W"]
            if l == len(layers) - 1 or "b" in glayer:  # delta is ∂L/∂(z + b)
                glayer["b"][...] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ layer["W"].T) * dphi(
                    zs[l - 1], acts[l]
                )  # ∂L/∂ẑ of layer l−1
                cache = caches[l - 1]
                if cache is not None:
                    delta, grads[l - 1]["gamma"][...], grads[l - 1]["beta"][...] = (
                        batchnorm_backward(delta, cache)
                    )
        if np.all(np.isfinite(g)):
            self._update_running(caches, n)
        return g

    def _update_running(self, caches, m):
        new_mean, new_var = list(self.running_mean), list(self.running_var)
        for l, cache in enumerate(caches):
            if cache is None:
                continue
            new_mean[l] = (
                self.decay * self.running_mean[l] + (1 - self.decay) * cache["mean"]
            )
            new_var[l] = self.decay * self.running_var[l] + (1 - self.decay) * cache[
                "var"
            ] * m / (m - 1)
        self.running_mean, self.running_var = new_mean, new_var  # all layers at once

    # --- predictions (inference mode) ----------------------------------------------------------
    def predict_proba(self, theta, X):
        theta, X, _ = self._inputs(theta, X, training=False)
        return np.exp(self._forward(theta, X, training=False)[4])

    def predict(self, theta, X):
        theta, X, _ = self._inputs(theta, X, training=False)
        return np.argmax(self._forward(theta, X, training=False)[4], axis=1)

    def accuracy(self, theta, X, y):
        theta, X, y = self._inputs(theta, X, y, training=False)
        return float(
            np.mean(np.argmax(self._forward(theta, X, training=False)[4], axis=1) == y)
        )


# --- early stopping ----------------------------------------------------------------------------
class EarlyStopping:
    """Stop when a monitored value (a validation loss) has not improved for ``patience`` epochs.

    Call :meth:`update` once per epoch (the first call is epoch 0, e.g. the value at the
    start). A value improves when it is below ``best_value − min_delta``. ``update``
    returns True when the last ``patience`` values in a row did not improve; then
    ``stopped_epoch`` is that epoch, and ``best_epoch``/``best_value``/``best_theta``
    (a copy of the ``theta`` passed with the best value) describe the best epoch. The
    decision is final: later calls return True and change nothing (until :meth:`reset`).
    """

    def __init__(self, patience=5, min_delta=0.0):
        self.patience = check_int("patience", patience, 1)
        self.min_delta = check_real("min_delta", min_delta, 0.0)
        self.reset()

    def __repr__(self):
        return f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta:g})"

    def reset(self):
        self.epoch = -1
        self.best_value, self.best_epoch, self.best_theta = math.inf, None, None
        self.wait, self.stopped_epoch, self.history = 0, None, []

    def update(self, value, theta=None):
        """Record this epoch's value; True means: stop now (and on every later call)."""
        if self.stopped_epoch is not None:
            return True
        self.epoch += 1
        value = float(value)
        self.history.append(value)
        if value < self.best_value - self.min_delta:
            self.best_value, self.best_epoch, self.wait = value, self.epoch, 0
            self.best_theta = (
                None if theta is None else np.array(theta, dtype=float, copy=True)
            )
        else:
            self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = self.epoch
            return True
        return False

    def scan(self, values):
        """Apply the rule to a recorded curve; returns ``(stopped_epoch, best_epoch)``.

        ``stopped_epoch`` is None if the rule never fires; ``best_epoch`` is then the best
        epoch of the whole curve, otherwise the best epoch up to the stop.
        """
        self.reset()
        for v in values:
            if self.update(v):
                break
        return self.stopped_epoch, self.best_epoch


# --- gradient noise ----------------------------------------------------------------------------
class GradientNoise:
    r"""Annealed Gaussian gradient noise: g_t + N(0, σ_t² I) with σ_t² = η/(1 + t)^γ.

    η and γ are the noise scale and its decay exponent of Neelakantan et al. (2015), who
    use η ∈ {0.01, 0.3, 1} and γ = 0.55; they are not the optimizer's learning rate and
    momentum. ``t`` counts the noisy gradients handed out, from 1. ``η = 0`` is allowed
    and gives the identity (the gradient is returned unchanged), a convenient control.

    ``noise(grad_fn)`` returns a gradient function for :meth:`gdlib.Optimizer.step`,
    :func:`gdlib.run` (``grad=``) or :func:`fit` (``grad_wrapper=noise``); all the
    functions wrapped by one object share its counter and its seeded generator.
    """

    def __init__(self, eta=0.3, gamma=0.55, seed=0):
        self.eta = check_real("eta", eta, 0.0)
        self.gamma = check_real("gamma", gamma, 0.0)
        self.seed = check_int("seed", seed, 0)
        self.reset()

    def __repr__(self):
        return (
            f"GradientNoise(eta={self.eta:g}, gamma={self.gamma:g}, seed={self.seed})"
        )

    def reset(self):
        """t = 0 and a freshly seeded generator: the same noise sequence again."""
        self.t = 0
        self.rng = np.random.default_rng(self.seed)

    def sigma2(self, t):
        """The variance σ_t² = η/(1 + t)^γ of step t."""
        return self.eta / (1.0 + np.asarray(t, dtype=float)) ** self.gamma

    def add(self, g):
        """Advance t and return g + N(0, σ_t²) (a new array)."""
        g = np.asarray(g, dtype=float)
        self.t += 1
        if self.eta == 0:
            return g.copy()
        return g + math.sqrt(self.sigma2(self.t)) * self.rng.standard_normal(g.shape)

    def __call__(self, grad_fn):
        def noisy_grad(theta):
            return self.add(grad_fn(theta))

        return noisy_grad


# --- example orders and curricula ---------------------------------------------------------------
def curriculum(difficulty, start=0.2, ramp_epochs=5, mix=0.0):
    r"""An easy-to-hard order for :func:`fit`, from a difficulty score per example.

    In epoch e the *pool* holds the easiest fraction f_e = start + (1 − start)·min(1, e/ramp_epochs)
    of the examples (all of them from epoch ``ramp_epochs`` on). An epoch is always n
    examples, so every strategy costs the same: a fraction 1 − ``mix`` of them is drawn
    from the pool (reshuffled passes), a fraction ``mix`` from the whole data set
    (a random subset), and the two are shuffled together. ``mix=0`` is the naive
    curriculum of Bengio et al. (2009); ``mix=0.5`` is the combined strategy of Zaremba &
    Sutskever (2014), half of the examples following the curriculum and half drawn at
    random from every difficulty.
    """
    difficulty = np.asarray(difficulty, dtype=float)
    if (
        difficulty.ndim != 1
        or difficulty.size < 1
        or not np.all(np.isfinite(difficulty))
    ):
        raise ValueError("difficulty must be a non-empty 1-D array of finite scores")
    start = check_real("start", start, 0.0, low_open=True)
    if start > 1:
        raise ValueError(f"start must be in (0, 1], got {start!r}")
    ramp_epochs = check_int("ramp_epochs", ramp_epochs, 1)
    mix = check_real("mix", mix, 0.0)
    if mix > 1:
        raise ValueError(f"mix must be in [0, 1], got {mix!r}")
    n = difficulty.size
    easiest_first = np.argsort(difficulty, kind="stable")

    def order(epoch, rng):
        fraction = start + (1 - start) * min(1.0, epoch / ramp_epochs)
        pool = easiest_first[: max(1, int(round(fraction * n)))]
        n_mixed = int(round(mix * n))
        n_pool = n - n_mixed
        passes = [rng.permutation(pool) for _ in range(-(-n_pool // pool.size))]
        from_pool = (
            np.concatenate(passes)[:n_pool] if n_pool else np.array([], dtype=int)
        )
        from_all = rng.permutation(n)[:n_mixed]
        return rng.permutation(np.concatenate([from_pool, from_all]).astype(int))

    return order


@dataclass
class FitResult:
    """What :func:`fit` recorded; ``epoch_losses[e]``/``val_losses[e]`` after e epochs ([0] = start)."""

    theta: np.ndarray
    epoch_losses: np.ndarray
    grad_evals: np.ndarray
    step_losses: np.ndarray
    val_losses: np.ndarray = field(default_factory=lambda: np.array([]))
    status: str = "finished"
    stopped_epoch: int | None = None
    best_epoch: int | None = None
    final_theta: np.ndarray | None = None
    message: str = ""

    @property
    def epochs(self):
        return len(self.epoch_losses) - 1


def fit(
    optimizer,
    model,
    X,
    y,
    batch_size=None,
    epochs=10,
    seed=0,
    theta0=None,
    order="shuffle",
    validation=None,
    early_stopping=None,
    restore_best=True,
    grad_wrapper=None,
):
    """Train ``model`` epoch by epoch, like :func:`gdlib.train`, with the strategies of this module.

    Parameters
    ----------
    order : 'shuffle', 'fixed' or callable
        'shuffle' draws a fresh permutation per epoch from ``np.random.default_rng(seed)``
        exactly like :func:`gdlib.train` (so the two give identical runs); 'fixed' keeps the
        rows in the order given, every epoch; a callable ``order(epoch, rng)`` returns the
        row indices of an epoch (e.g. :func:`curriculum`), cut into batches of ``batch_size``.
    validation : (X_val, y_val), optional
        The validation loss ``model.loss`` is recorded after every epoch (and at the start).
    early_stopping : EarlyStopping, optional
        Needs ``validation``; it is reset, fed every validation loss, and training ends when
        it fires. With ``restore_best`` the returned ``theta`` is the best epoch's parameters
        (the last ones are kept in ``final_theta``).
    grad_wrapper : callable, optional
        Maps the batch gradient function to the one the optimizer sees, e.g. a
        :class:`GradientNoise` object.

    The inputs are checked as in :func:`gdlib.train` (X, y, θ0, ``validation`` finite and
    of matching shapes; a ValueError names the argument), and divergence follows the same
    rule: status ``'diverged'`` when an epoch's training loss is non-finite or above
    10¹² · max(|L0|, 1), or when the optimizer refuses a step (update overflow, or a NaN/inf
    gradient after the loss rose above L0); a NaN/inf gradient at finite parameters with the
    loss not above L0 raises :class:`gdlib.NonFiniteError` blaming the gradient.
    ``message`` says how the run ended.
    """
    X, y, theta, validation = check_training_inputs(
        optimizer, model, X, y, theta0, epochs, seed, validation, "validation"
    )
    n = len(y)
    batch_size = check_batch_size(batch_size, n)
    if not (order in ("shuffle", "fixed") or callable(order)):
        raise ValueError(
            f"order must be 'shuffle', 'fixed' or a callable order(epoch, rng), got {order!r}"
        )
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise ValueError(
            f"early_stopping must be an EarlyStopping object, got {early_stopping!r}"
        )
    if early_stopping is not None and validation is None:
        raise ValueError(
            "early_stopping needs a validation set: pass validation=(X_val, y_val)"
        )
    if grad_wrapper is not None and not callable(grad_wrapper):
        raise ValueError(
            f"grad_wrapper must be a callable mapping a gradient function to another, got {grad_wrapper!r}"
        )
    rng = np.random.default_rng(seed)
    loss0 = float(model.loss(theta, X, y))
    if not math.isfinite(loss0):
        raise ValueError(
            f"the training loss at theta0 is {loss0}: theta0 must give a finite loss"
        )
    optimizer.reset()
    if early_stopping is not None:
        early_stopping.reset()
    epoch_losses, grad_evals, step_losses, val_losses = [loss0], [0], [], []
    status, message = "finished", f"finished {epochs} epochs"
    if validation is not None:
        val_losses.append(model.loss(theta, *validation))
        if early_stopping is not None:
            early_stopping.update(val_losses[-1], theta)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            if order == "shuffle":
                batches = minibatches(n, batch_size, rng)
            else:
                idx = (
                    np.arange(n) if order == "fixed" else np.asarray(order(epoch, rng))
                )
                if (
                    idx.ndim != 1
                    or idx.dtype.kind not in "iu"
                    or (idx.size and (idx.min() < 0 or idx.max() >= n))
                ):
                    raise ValueError(
                        f"order(epoch, rng) must return a 1-D array of row indices in [0, {n}), "
                        f"got {idx!r} in epoch {epoch}"
                    )
                batches = [
                    idx[i : i + batch_size] for i in range(0, len(idx), batch_size)
                ]
            seen, refused = 0, False
            for b in batches:
                Xb, yb = X[b], y[b]
                batch_loss = model.loss(theta, Xb, yb)
                grad_fn = lambda th, Xb=Xb, yb=yb: model.grad(th, Xb, yb)  # noqa: E731
                try:
                    theta = optimizer.step(
                        theta, grad_wrapper(grad_fn) if grad_wrapper else grad_fn
                    )
                except NonFiniteError as err:
                    message = explain_refused_step(
                        err,
                        float(model.loss(theta, X, y)),
                        loss0,
                        f"at step {len(step_losses) + 1} (epoch {epoch + 1})",
                        optimizer,
                        "the (wrapped) gradient",
                    )
                    refused = True
                    break
                step_losses.append(batch_loss)
                seen += len(b)
                if not np.all(
                    np.isfinite(theta)
                ):  # an optimizer without the step guard
                    refused = True
                    message = (
                        f"diverged: the parameters became NaN or inf in epoch {epoch + 1} "
                        f"with {optimizer!r}; try a smaller learning rate"
                    )
                    break
            if refused:
                status = "diverged"
                if seen:
                    epoch_losses.append(
                        float(model.loss(theta, X, y))
                        if np.all(np.isfinite(theta))
                        else math.inf
                    )
                    grad_evals.append(grad_evals[-1] + seen)
                break
            epoch_losses.append(model.loss(theta, X, y))
            grad_evals.append(grad_evals[-1] + seen)
            if is_divergent(epoch_losses[-1], loss0):
                status = "diverged"
                message = divergence_message(
                    epoch_losses[-1], loss0, f"in epoch {epoch + 1}", optimizer
                )
                break
            if validation is not None:
                val_losses.append(model.loss(theta, *validation))
                if early_stopping is not None and early_stopping.update(
                    val_losses[-1], theta
                ):
                    status = "stopped early"
                    message = (
                        f"stopped early after epoch {epoch + 1}: the validation loss did not improve "
                        f"for {early_stopping.patience} epochs"
                    )
                    break
    final_theta = theta
    stopped = best = None
    if early_stopping is not None:
        stopped, best = early_stopping.stopped_epoch, early_stopping.best_epoch
        if restore_best and early_stopping.best_theta is not None:
            theta = early_stopping.best_theta.copy()
    return FitResult(
        theta,
        np.array(epoch_losses),
        np.array(grad_evals),
        np.array(step_losses),
        np.array(val_losses),
        status,
        stopped,
        best,
        final_theta,
        message,
    )
