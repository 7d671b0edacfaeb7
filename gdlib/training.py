"""Batch, stochastic and mini-batch gradient descent over a data set.

One function covers the three variants of the book: ``batch_size=None`` (all n
rows: batch gradient descent), ``batch_size=1`` (stochastic gradient descent)
and anything in between (mini-batch). The rows are shuffled at the start of
every epoch with a seeded generator, so every run is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

__all__ = ["TrainResult", "train", "minibatches"]


@dataclass
class TrainResult:
    """What :func:`train` recorded.

    ``epoch_losses[e]`` is the full training loss after e epochs (``[0]`` is the
    start), ``grad_evals[e]`` the number of per-example gradients computed by
    then, ``step_losses[k]`` the loss of the k-th mini-batch just before its
    update, and ``etas[k]`` the learning rate used for that update.
    """

    theta: np.ndarray
    epoch_losses: np.ndarray
    grad_evals: np.ndarray
    step_losses: np.ndarray
    etas: np.ndarray
    status: str = "finished"
    message: str = ""
    test_losses: np.ndarray = field(default_factory=lambda: np.array([]))

    @property
    def diverged(self):
        return self.status == "diverged"


def minibatches(n, batch_size, rng, drop_last=False):
    """Index arrays of one epoch: a fresh permutation of range(n) cut into batches.

    With ``drop_last=True`` a last batch smaller than ``batch_size`` is left out.
    """
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i:i + batch_size] for i in range(0, stop, batch_size)]


def train(optimizer, model, X, y, batch_size=None, epochs=10, seed=0, theta0=None,
          schedule=None, schedule_unit="step", test=None, progress=None, drop_last=False):
    """Train ``model`` on (X, y) with ``optimizer``.

    Parameters
    ----------
    optimizer : gdlib.Optimizer
        It is reset first.
    model : object with ``loss``, ``grad`` and ``init`` (see :mod:`gdlib.models`).
    batch_size : int or None
        None for batch gradient descent, 1 for SGD, b for mini-batches of b rows.
    epochs : int
        Passes over the data.
    seed : int
        Seeds the per-epoch shuffling.
    theta0 : array, optional
        Start point; ``model.init(n_features)`` by default.
    schedule : callable, optional
        ``schedule(t)`` gives the learning rate ``optimizer.eta`` for tick t, where a
        tick is a step (``schedule_unit='step'``) or an epoch (``'epoch'``).
    test : (X_test, y_test), optional
        Also record the test loss after every epoch.
    progress : bool or None
        Show a progress bar over epochs. None shows one only for runs long enough
        to need it (more than two seconds).
    drop_last : bool
        Leave out the last, smaller mini-batch of each epoch (its gradient is noisier,
        and batch statistics such as batch normalization's suffer from it).
    """
    n = len(y)
    if batch_size is None:
        batch_size = n
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must be an integer in [1, {n}] or None, got {batch_size!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    if schedule_unit not in ("step", "epoch"):
        raise ValueError(f"schedule_unit must be 'step' or 'epoch', got {schedule_unit!r}")
    if schedule is not None and "eta" not in optimizer.hyperparameters():
        raise ValueError(f"schedule sets the learning rate eta, but {type(optimizer).__name__} has none")
    rng = np.random.default_rng(seed)
    theta = np.array(model.init(X.shape[1]) if theta0 is None else theta0, dtype=np.float64)
    optimizer.reset()
    epoch_losses, grad_evals, step_losses, etas, test_losses = [model.loss(theta, X, y)], [0], [], [], []
    if test is not None:
        test_losses.append(model.loss(theta, *test))
    status, message, k = "finished", f"finished {epochs} epochs", 0
    bar = tqdm(range(epochs), desc=type(optimizer).__name__, leave=False,
               disable=progress is False, delay=0 if progress else 2.0)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in bar:
            seen = 0
            for idx in minibatches(n, batch_size, rng, drop_last):
                if schedule is not None:
                    optimizer.eta = schedule(k if schedule_unit == "step" else epoch)
                Xb, yb = X[idx], y[idx]
                step_losses.append(model.loss(theta, Xb, yb))
                etas.append(getattr(optimizer, "eta", np.nan))
                theta = optimizer.step(theta, lambda th: model.grad(th, Xb, yb))
                k += 1
                seen += len(idx)
            epoch_losses.append(model.loss(theta, X, y))
            grad_evals.append(grad_evals[-1] + seen)
            if test is not None:
                test_losses.append(model.loss(theta, *test))
            if not (np.isfinite(epoch_losses[-1]) and np.all(np.isfinite(theta))):
                status = "diverged"
                message = (f"diverged: the training loss became {epoch_losses[-1]} in epoch {epoch + 1} "
                           f"with {optimizer!r}; try a smaller learning rate")
                break
    bar.close()
    return TrainResult(theta, np.array(epoch_losses), np.array(grad_evals), np.array(step_losses),
                       np.array(etas), status, message, np.array(test_losses))
