"""Run an optimizer on a function and record what happened.

>>> from gdlib import GD, run, ravine
>>> result = run(GD(eta=0.02), ravine, theta0=[-8.0, 2.0], steps=500)
>>> result.status, result.thetas.shape
('max_steps', (501, 2))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import NonFiniteError, check_int, check_real
from .validation import divergence_message, explain_refused_step, is_divergent

__all__ = ["Result", "run"]


@dataclass
class Result:
    """What :func:`run` recorded.

    ``thetas[k]`` and ``losses[k]`` are the parameters and the loss after k steps
    (``thetas[0]`` is θ0). ``status`` is ``'converged'`` (the gradient norm fell
    to ``tol``), ``'max_steps'`` or ``'diverged'``; ``message`` says it in words.
    """

    thetas: np.ndarray
    losses: np.ndarray
    status: str
    message: str
    optimizer: object = None

    @property
    def steps(self) -> int:
        """The number of steps taken."""
        return len(self.losses) - 1

    @property
    def theta(self) -> np.ndarray:
        """The last parameters."""
        return self.thetas[-1]

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    def steps_to(self, tol, f_min=0.0):
        """The first step k with loss_k − f_min ≤ tol, or None if it never got there."""
        hit = np.flatnonzero(self.losses - f_min <= tol)
        return int(hit[0]) if hit.size else None

    def distance_to(self, point) -> np.ndarray:
        """The Euclidean distance of every iterate from ``point``."""
        return np.linalg.norm(self.thetas - np.asarray(point, dtype=float), axis=1)


def run(optimizer, f, theta0, steps=1000, tol=None, grad=None, reset=True):
    """Run ``optimizer`` on ``f`` from ``theta0`` for at most ``steps`` steps.

    Parameters
    ----------
    optimizer : gdlib.Optimizer
        It is ``reset()`` first unless ``reset=False``.
    f : Surface or callable
        A :class:`~gdlib.Surface` (its exact gradient is used) or a function of θ;
        a plain function needs ``grad``.
    theta0 : array_like
        The starting point. It is copied, never modified.
    steps : int
        The largest number of steps.
    tol : float, optional
        Stop early once ‖∇f(θ)‖ ≤ tol (status ``'converged'``).
    grad : callable, optional
        The gradient of ``f``; defaults to ``f.grad``.

    reset : bool
        Reset the optimizer first (default True).

    Returns
    -------
    Result
        The trajectory, the losses and how the run ended. It never returns NaNs
        silently.

    Divergence and bad gradients
    ----------------------------
    With L0 = f(θ0), the run ends at once with status ``'diverged'`` and a message that
    names the step and the optimizer and ends in "try a smaller learning rate" when

    * the loss is non-finite or above ``DIVERGENCE_FACTOR · max(|L0|, 1)`` (10¹²), or
    * the optimizer refuses a step (:class:`gdlib.NonFiniteError`) because the update
      would overflow float64, or because ``grad`` returned NaN/inf after the loss had
      risen above L0.

    If ``grad`` returns NaN/inf at finite parameters where the loss is finite and not
    above L0, the gradient function is at fault, not the learning rate: a
    :class:`gdlib.NonFiniteError` is raised that names the step and says so.
    Bad arguments (``steps``, ``tol``, ``theta0``, ``f``, ``grad``, a loss that is not a
    real number) are ValueErrors that name the argument.
    """
    if not (
        callable(getattr(optimizer, "step", None))
        and callable(getattr(optimizer, "reset", None))
    ):
        raise ValueError(
            f"optimizer must be a gdlib.Optimizer (with step and reset), got {optimizer!r}"
        )
    steps = check_int("steps", steps, 0)
    if tol is not None:
        tol = check_real("tol", tol, 0.0)
    if not callable(f):
        raise ValueError(
            f"f must be a Surface or a callable f(theta) returning the loss, got {f!r}"
        )
    grad = grad or getattr(f, "grad", None)
    if grad is None:
        raise ValueError(
            "grad is required when f is a plain function (it has no .grad)"
        )
    if not callable(grad):
        raise ValueError(
            f"grad must be a callable grad(theta) returning the gradient, got {grad!r}"
        )
    if not isinstance(reset, (bool, np.bool_)):
        raise ValueError(f"reset must be True or False, got {reset!r}")
    try:
        theta = np.array(theta0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"theta0 must be an array of real numbers, got {theta0!r}"
        ) from None
    if theta.size == 0:
        raise ValueError("theta0 must have at least one entry, got an empty array")
    if not np.all(np.isfinite(theta)):
        raise ValueError(
            f"theta0 must be finite: {int(np.sum(~np.isfinite(theta)))} of its {theta.size} "
            f"entries are NaN or inf, got {theta0!r}"
        )

    def loss_at(th, k):
        value = f(th)
        if np.ndim(value) != 0:
            raise ValueError(
                f"f must return a real number, but f(theta) at step {k} has shape {np.shape(value)}"
            )
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"f must return a real number, but f(theta) at step {k} is {value!r}"
            ) from None

    loss0 = loss_at(theta, 0)
    if not math.isfinite(loss0):
        raise ValueError(
            f"f(theta0) is {loss0}: the loss at the starting point theta0 must be finite"
        )
    if reset:
        optimizer.reset()
    thetas, losses = [theta.copy()], [loss0]
    status, message = "max_steps", f"stopped after the maximum of {steps} steps"
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            if tol is not None:
                g = np.asarray(grad(theta), dtype=float)
                norm = float(np.linalg.norm(g))
                if norm <= tol:
                    status, message = (
                        "converged",
                        f"gradient norm fell below tol={tol:g} after {k - 1} steps",
                    )
                    break
            try:
                theta = optimizer.step(theta, grad)
            except NonFiniteError as err:
                status = "diverged"
                message = explain_refused_step(
                    err, losses[-1], loss0, f"at step {k}", optimizer, "grad"
                )
                break
            loss = loss_at(theta, k)
            if not np.all(np.isfinite(theta)):  # an optimizer without the step guard
                loss = math.inf
            thetas.append(theta.copy())
            losses.append(loss)
            if is_divergent(loss, loss0) or loss == math.inf:
                status = "diverged"
                message = divergence_message(loss, loss0, f"at step {k}", optimizer)
                break
    return Result(np.array(thetas), np.array(losses), status, message, optimizer)
