"""Run an optimizer on a function and record what happened.

>>> from gdlib import GD, run, ravine
>>> result = run(GD(eta=0.02), ravine, theta0=[-8.0, 2.0], steps=500)
>>> result.status, result.thetas.shape
('max_steps', (501, 2))
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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

    Returns
    -------
    Result
        The trajectory, the losses and how the run ended. A run whose loss or
        parameters stop being finite ends at once with status ``'diverged'`` and a
        message naming the step and the learning rate: it never returns NaNs
        silently.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol!r}")
    grad = grad or getattr(f, "grad", None)
    if grad is None:
        raise ValueError("grad is required when f is a plain function (it has no .grad)")
    theta = np.array(theta0, dtype=np.float64)
    if not np.all(np.isfinite(theta)):
        raise ValueError(f"theta0 must be finite, got {theta0!r}")
    if reset:
        optimizer.reset()
    thetas, losses = [theta.copy()], [float(f(theta))]
    status, message = "max_steps", f"stopped after the maximum of {steps} steps"
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, steps + 1):
            if tol is not None and np.linalg.norm(grad(theta)) <= tol:
                status, message = "converged", f"gradient norm fell below tol={tol:g} after {k - 1} steps"
                break
            theta = optimizer.step(theta, grad)
            loss = float(f(theta))
            thetas.append(theta.copy())
            losses.append(loss)
            if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
                status = "diverged"
                message = (f"diverged: the loss became {loss} at step {k} with {optimizer!r}; "
                           "try a smaller learning rate")
                break
    return Result(np.array(thetas), np.array(losses), status, message, optimizer)
