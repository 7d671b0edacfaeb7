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

from .base import NonFiniteError, check_int
from .validation import (
    check_data,
    check_seed,
    divergence_message,
    explain_refused_step,
    is_divergent,
    schedule_value,
)

__all__ = ["TrainResult", "train", "minibatches"]


@dataclass
class TrainResult:
    """What :func:`train` recorded.

    ``epoch_losses[e]`` is the full training loss after e epochs (``[0]`` is the
    start), ``grad_evals[e]`` the number of per-example gradients computed by
    then, ``step_losses[k]`` the loss of the k-th mini-batch just before its
    update, and ``etas[k]`` the learning rate used for that update.

    ``status`` is ``'finished'`` (all epochs ran), ``'diverged'`` (see :func:`train`) or
    ``'stopped'`` (the schedule's learning rate reached 0); ``message`` says it in words.
    A run that ends inside an epoch records, as the last entry of ``epoch_losses``
    (``grad_evals``, ``test_losses``), the loss where it stopped.
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
    n = check_int("n", n, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    order = rng.permutation(n)
    stop = n - n % batch_size if drop_last else n
    return [order[i : i + batch_size] for i in range(0, stop, batch_size)]


def check_batch_size(batch_size, n):
    """None (all n rows) or an integer in [1, n]; returns the integer."""
    if batch_size is None:
        return n
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or not 1 <= batch_size <= n
    ):
        raise ValueError(
            f"batch_size must be an integer in [1, {n}] or None, got {batch_size!r}"
        )
    return int(batch_size)


def check_training_inputs(
    optimizer, model, X, y, theta0, epochs, seed, extra=None, extra_name="test"
):
    """The shared checks of :func:`train` and :func:`gdlib.strategies.fit`.

    Returns ``X, y, theta, extra`` with X (n × d) and y (n entries) finite, θ0 finite and
    shaped for the model, and ``extra`` a checked ``(X_extra, y_extra)`` pair or None.
    """
    for method in ("step", "reset"):
        if not callable(getattr(optimizer, method, None)):
            raise ValueError(
                f"optimizer must be a gdlib.Optimizer (with step and reset), got {optimizer!r}"
            )
    for method in ("loss", "grad"):
        if not callable(getattr(model, method, None)):
            raise ValueError(
                f"model must have loss(theta, X, y) and grad(theta, X, y) methods, got {model!r}"
            )
    check_int("epochs", epochs, 1)
    check_seed(seed)
    X, y = check_data(X, y)
    d = X.shape[1]
    if theta0 is None:
        if not callable(getattr(model, "init", None)):
            raise ValueError(f"theta0 is required: {model!r} has no init(n_features)")
        theta = np.array(model.init(d), dtype=np.float64)
    else:
        try:
            theta = np.array(theta0, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"theta0 must be an array of real numbers, got {theta0!r}"
            ) from None
        shape_of = getattr(model, "theta_shape", None)
        if shape_of is not None and theta.shape != tuple(shape_of(d)):
            raise ValueError(
                f"theta0 must have shape {tuple(shape_of(d))} for {model!r} on data with "
                f"{d} features, got shape {theta.shape}"
            )
        bad = ~np.isfinite(theta)
        if bad.any():
            raise ValueError(
                f"theta0 must be finite: {int(bad.sum())} of its {theta.size} entries are NaN or inf"
            )
    if extra is not None:
        if not isinstance(extra, (tuple, list)) or len(extra) != 2:
            raise ValueError(
                f"{extra_name} must be a pair ({extra_name}_X, {extra_name}_y), got {type(extra).__name__}"
            )
        Xe, ye = check_data(
            extra[0],
            extra[1],
            f"{extra_name}[0] (X_{extra_name})",
            f"{extra_name}[1] (y_{extra_name})",
            n_features=d,
        )
        extra = (Xe, ye)
    return X, y, theta, extra


def train(
    optimizer,
    model,
    X,
    y,
    batch_size=None,
    epochs=10,
    seed=0,
    theta0=None,
    schedule=None,
    schedule_unit="step",
    test=None,
    progress=False,
    drop_last=False,
):
    """Train ``model`` on (X, y) with ``optimizer``.

    Parameters
    ----------
    optimizer : gdlib.Optimizer
        It is reset first.
    model : object with ``loss``, ``grad`` and ``init`` (see :mod:`gdlib.models`).
    X, y : arrays
        X is n × d (n ≥ 1), y has n entries; both must be finite (a NaN or inf is a
        ValueError naming X or y and counting the entries, raised before training).
        The model checks the labels (e.g. integers in [0, K) for a classifier).
    batch_size : int or None
        None for batch gradient descent, 1 for SGD, b for mini-batches of b rows.
    epochs : int
        Passes over the data.
    seed : int
        Seeds the per-epoch shuffling (None or an integer ≥ 0).
    theta0 : array, optional
        Start point, finite and shaped for the model; ``model.init(n_features)`` by default.
    schedule : callable, optional
        ``schedule(t)`` gives the learning rate ``optimizer.eta`` for tick t, where a
        tick is a step (``schedule_unit='step'``) or an epoch (``'epoch'``). It must
        return a finite number ≥ 0: a negative, NaN or non-number value is a ValueError
        naming ``schedule`` and the tick. A value of exactly 0 (a decaying schedule that
        underflowed) ends training there with status ``'stopped'``: no optimizer can move
        with η = 0.
    test : (X_test, y_test), optional
        Also record the test loss after every epoch.
    progress : bool
        Show a progress bar over epochs (off by default: whether a bar appears must not
        depend on how fast the machine is, and in a notebook a tqdm bar is a widget whose
        state would be saved into the executed notebook and its web page).
    drop_last : bool
        Leave out the last, smaller mini-batch of each epoch (its gradient is noisier,
        and batch statistics such as batch normalization's suffer from it).

    Divergence
    ----------
    Training stops with status ``'diverged'`` and a message ending in "try a smaller
    learning rate" when the training loss after an epoch is non-finite or above
    ``DIVERGENCE_FACTOR · max(|L0|, 1)`` (10¹²; L0 is the loss at θ0), or when the
    optimizer refuses a step (:class:`gdlib.NonFiniteError`) because the update would
    overflow or because the gradient is NaN/inf after the training loss had risen above
    L0. If the gradient is NaN/inf at finite parameters whose training loss is finite and
    not above L0, the model's gradient is at fault, not the learning rate: a
    :class:`gdlib.NonFiniteError` is raised that says so.
    """
    X, y, theta, test = check_training_inputs(
        optimizer, model, X, y, theta0, epochs, seed, test
    )
    n = len(y)
    batch_size = check_batch_size(batch_size, n)
    if schedule_unit not in ("step", "epoch"):
        raise ValueError(
            f"schedule_unit must be 'step' or 'epoch', got {schedule_unit!r}"
        )
    if schedule is not None:
        if not callable(schedule):
            raise ValueError(
                f"schedule must be a callable schedule(t) returning a learning rate, got {schedule!r}"
            )
        if "eta" not in optimizer.hyperparameters():
            raise ValueError(
                f"schedule sets the learning rate eta, but {type(optimizer).__name__} has none"
            )
    if not isinstance(progress, bool):
        raise ValueError(f"progress must be True or False, got {progress!r}")
    rng = np.random.default_rng(seed)
    loss0 = float(model.loss(theta, X, y))
    if not np.isfinite(loss0):
        raise ValueError(
            f"the training loss at theta0 is {loss0}: theta0 must give a finite loss"
        )
    optimizer.reset()
    epoch_losses, grad_evals, step_losses, etas, test_losses = [loss0], [0], [], [], []
    if test is not None:
        test_losses.append(model.loss(theta, *test))
    status, message, k = "finished", f"finished {epochs} epochs", 0
    bar = tqdm(
        range(epochs), desc=type(optimizer).__name__, leave=False, disable=not progress
    )

    def close_epoch(seen):
        finite = bool(np.all(np.isfinite(theta)))
        epoch_losses.append(float(model.loss(theta, X, y)) if finite else np.inf)
        grad_evals.append(grad_evals[-1] + seen)
        if test is not None:
            test_losses.append(model.loss(theta, *test) if finite else np.inf)

    try:
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in bar:
                seen, stop = 0, False
                for idx in minibatches(n, batch_size, rng, drop_last):
                    if schedule is not None:
                        tick = k if schedule_unit == "step" else epoch
                        eta = schedule_value(schedule(tick), tick, schedule_unit)
                        if eta == 0:
                            status = "stopped"
                            message = (
                                f"stopped at step {k} (epoch {epoch + 1}): the schedule's learning rate "
                                f"schedule({tick}) reached 0 (it underflowed), so no step can change theta"
                            )
                            stop = True
                            break
                        try:
                            optimizer.eta = eta
                        except ValueError as err:
                            raise ValueError(
                                f"schedule({tick}) returned {eta!r} at {schedule_unit} {tick}, which "
                                f"{type(optimizer).__name__} rejects: {err}"
                            ) from None
                    Xb, yb = X[idx], y[idx]
                    batch_loss = model.loss(theta, Xb, yb)
                    try:
                        theta = optimizer.step(theta, lambda th: model.grad(th, Xb, yb))
                    except NonFiniteError as err:
                        where = f"at step {k + 1} (epoch {epoch + 1})"
                        status = "diverged"
                        message = explain_refused_step(
                            err,
                            float(model.loss(theta, X, y)),
                            loss0,
                            where,
                            optimizer,
                            "the model's gradient",
                        )
                        stop = True
                        break
                    step_losses.append(batch_loss)
                    etas.append(getattr(optimizer, "eta", np.nan))
                    k += 1
                    seen += len(idx)
                    if not np.all(
                        np.isfinite(theta)
                    ):  # an optimizer without the step guard
                        status, stop = "diverged", True
                        message = (
                            f"diverged: the parameters became NaN or inf at step {k} (epoch {epoch + 1}) "
                            f"with {optimizer!r}; try a smaller learning rate"
                        )
                        break
                if stop:
                    if seen:  # record where it stopped inside the epoch
                        close_epoch(seen)
                    break
                close_epoch(seen)
                if is_divergent(epoch_losses[-1], loss0):
                    status = "diverged"
                    message = divergence_message(
                        epoch_losses[-1], loss0, f"in epoch {epoch + 1}", optimizer
                    )
                    break
    finally:
        bar.close()
    return TrainResult(
        theta,
        np.array(epoch_losses),
        np.array(grad_evals),
        np.array(step_losses),
        np.array(etas),
        status,
        message,
        np.array(test_losses),
    )
