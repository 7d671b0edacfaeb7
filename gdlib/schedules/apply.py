r"""Putting schedules to work: any optimizer under a schedule, and the learning-rate range test.

:func:`scheduled` wraps any gdlib optimizer so that its hyperparameters follow
schedules, one step at a time; the optimizer's own class is not touched, so every
optimizer of the book works under every schedule (and :func:`gdlib.run`,
:func:`gdlib.train` or a hand-written loop drive the wrapper like an optimizer).

:func:`lr_range_test` runs Smith's learning-rate range test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..base import Hyper, NonFiniteError, Optimizer, check_int, check_real
from ..validation import schedule_value

__all__ = ["Scheduled", "scheduled", "RangeTest", "lr_range_test"]


class Scheduled:
    """An optimizer whose hyperparameters follow schedules; made by :func:`scheduled`.

    ``t`` counts the steps taken through the wrapper. The wrapped optimizer is
    ``optimizer``; its state and hyperparameters can be read through the wrapper
    (``wrapped.m``, ``wrapped.eta``).
    """

    def __init__(self, optimizer, schedules):
        self.__dict__["optimizer"] = optimizer
        self.schedules = schedules
        self.t = 0

    def __getattr__(self, name):  # only called for names the wrapper does not have
        optimizer = self.__dict__.get("optimizer")
        if optimizer is None:
            raise AttributeError(name)
        return getattr(optimizer, name)

    def reset(self):
        """Reset the wrapped optimizer and the schedules' counter."""
        self.optimizer.reset()
        self.t = 0

    def hyperparameters(self):
        """The wrapped optimizer's current hyperparameters."""
        return self.optimizer.hyperparameters()

    def step(self, theta, grad_fn):
        """Set every scheduled hyperparameter to ``schedule(t)``, then take one step.

        A learning rate of exactly 0 skips the step: θ is returned unchanged and the
        wrapped optimizer (its state and its ``t``) is left as it was, since no gdlib
        optimizer accepts η = 0 (optax, by contrast, still updates Adam's moments at a
        zero rate). A value the optimizer rejects raises a ``ValueError`` naming the
        schedule and t, and nothing changes; so does a failed step.
        """
        opt, t = self.optimizer, self.t
        old = {name: getattr(opt, name) for name in self.schedules}
        values = {}
        for name, schedule in self.schedules.items():
            try:
                values[name] = schedule_value(schedule(t), t)
            except ValueError as err:
                raise ValueError(f"the schedule of {name}: {err}") from None
        lows = {name: getattr(type(opt), name) for name in values}
        if any(
            v == 0 and lows[n].low == 0 and lows[n].low_open for n, v in values.items()
        ):
            self.t = t + 1  # a zero learning rate: nothing can move
            return (
                theta if isinstance(theta, np.ndarray) else np.array(theta, dtype=float)
            )
        try:
            for name, value in values.items():
                try:
                    setattr(opt, name, value)
                except ValueError as err:
                    raise ValueError(
                        f"the schedule of {name} gave {value!r} at t = {t}, which "
                        f"{type(opt).__name__} rejects: {err}"
                    ) from None
            theta = opt.step(theta, grad_fn)
        except BaseException:
            for name, value in old.items():
                setattr(opt, name, value)
            raise
        self.t = t + 1
        return theta

    def __repr__(self):
        names = ", ".join(self.schedules)
        return f"scheduled({self.optimizer!r}; schedules for {names})"


def scheduled(optimizer, eta=None, **schedules):
    """``optimizer`` with its learning rate (and any other hyperparameter) on a schedule.

    Before step t = 1, 2, ... the wrapper sets ``optimizer.eta = eta(t − 1)`` (the
    schedule gets the number of steps already taken) and likewise every
    hyperparameter named in ``schedules``: ``scheduled(gdlib.Momentum(), eta=...,
    gamma=...)`` cycles both, ``scheduled(gdlib.AdamW(), schedule=...)`` drives AdamW's
    multiplier ω_t. The optimizer's update rule is unchanged: a schedule only changes
    a hyperparameter between steps, as ``torch.optim.lr_scheduler`` changes ``lr``.
    (Where η sits matters: gdlib's Momentum keeps η inside its velocity,
    v_t = γ v_{t−1} + η_t g_t, while PyTorch's SGD multiplies its buffer by the current
    rate, so the two differ once η changes.)

    Every schedule must be a callable of t that returns a finite number ≥ 0 the
    optimizer accepts; the names must be hyperparameters of the optimizer (Adadelta
    has no ``eta``).

    >>> import numpy as np, gdlib
    >>> opt = gdlib.scheduled(gdlib.GD(eta=1.0), gdlib.linear_warmup(0.1, 2))
    >>> theta = np.array([1.0])
    >>> for _ in range(3):
    ...     theta = opt.step(theta, lambda th: 2 * th)
    >>> round(float(theta[0]), 6), opt.eta   # 1 · (1 − 0.1) · (1 − 0.2) · (1 − 0.2)
    (0.576, 0.1)
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlib.Optimizer, got {optimizer!r}")
    if eta is not None:
        schedules = {"eta": eta, **schedules}
    if not schedules:
        raise ValueError("give at least one schedule, e.g. scheduled(opt, eta=...)")
    hypers = optimizer.hyperparameters()
    for name, schedule in schedules.items():
        attr = getattr(type(optimizer), name, None)
        settable = isinstance(attr, Hyper) or (
            isinstance(attr, property) and attr.fset is not None
        )  # e.g. Lookahead's eta, which sets its inner optimizer's rate
        if name not in hypers or not settable:
            raise ValueError(
                f"{type(optimizer).__name__} has no hyperparameter {name!r} to schedule; "
                f"it has {', '.join(hypers) or 'none'}"
            )
        if not callable(schedule):
            raise ValueError(
                f"the schedule of {name} must be a callable schedule(t), got {schedule!r}"
            )
    return Scheduled(optimizer, dict(schedules))


@dataclass
class RangeTest:
    """What :func:`lr_range_test` measured.

    ``etas[k]`` is the rate of step k + 1 and ``losses[k]`` the loss at θ just before
    it (on that step's mini-batch, if there are mini-batches); ``smoothed`` is their
    bias-corrected exponentially weighted average. ``eta_at_min`` is the rate at the
    smallest smoothed loss, ``suggested`` = ``eta_at_min``/10, and ``steepest`` the rate
    where the smoothed loss falls fastest per factor of η (before the minimum).
    ``status`` is ``'finished'`` or ``'diverged'`` (the test stops early when the
    smoothed loss exceeds ``stop_factor`` times its minimum, or a loss or step is
    non-finite); ``message`` says it in words.
    """

    etas: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    eta_at_min: float
    suggested: float
    steepest: float
    status: str
    message: str

    def pairs(self):
        """The (η, loss) pairs as a list of tuples of floats."""
        return [(float(e), float(v)) for e, v in zip(self.etas, self.losses)]


def lr_range_test(
    optimizer,
    loss_grad,
    theta0,
    eta_min=1e-6,
    eta_max=10.0,
    steps=100,
    smoothing=0.9,
    stop_factor=4.0,
    ramp="exp",
):
    r"""The learning-rate range test (Smith, 2017): one short run with a growing rate.

    Step k + 1 (k = 0, ..., ``steps`` − 1) uses η_k = η_min (η_max/η_min)^{k/(steps−1)}
    (``ramp='exp'``, the geometric ramp of Smith (2018) and fastai) or
    η_k = η_min + (η_max − η_min) k/(steps − 1) (``ramp='linear'``, Smith's 2017 ramp),
    and records the loss before it. The loss first stays flat (η too small to matter),
    then falls, then turns up and blows up when η is too large. The suggested rate is a
    tenth of the rate at the lowest smoothed loss, a rule of thumb that lands in the
    steep, falling part of the curve; ``steepest`` is the other common pick.

    Parameters
    ----------
    optimizer : gdlib.Optimizer with an ``eta``; it is reset first.
    loss_grad : Surface or callable
        A :class:`gdlib.Surface` (deterministic), or ``loss_grad(theta, k)`` returning
        the loss and the gradient at θ on mini-batch k.
    theta0 : array_like, finite (copied).
    eta_min, eta_max : 0 < eta_min < eta_max, finite.
    steps : int ≥ 2.
    smoothing : the weight β in [0, 1) of the average s_k = β s_{k−1} + (1 − β) L_k,
        reported as s_k/(1 − β^{k+1}).
    stop_factor : > 1; stop once the smoothed loss exceeds ``stop_factor`` × its minimum.
    ramp : ``'exp'`` or ``'linear'``.

    References
    ----------
    Smith, L. N. (2017). Cyclical learning rates for training neural networks. WACV 2017.
    """
    if not isinstance(optimizer, Optimizer) or "eta" not in optimizer.hyperparameters():
        raise ValueError(
            f"optimizer must be a gdlib.Optimizer with a learning rate eta, got {optimizer!r}"
        )
    if callable(getattr(loss_grad, "grad", None)) and callable(loss_grad):
        surface = loss_grad

        def loss_grad(theta, k):
            return surface(theta), surface.grad(theta)

    elif not callable(loss_grad):
        raise ValueError(
            f"loss_grad must be a Surface or a callable loss_grad(theta, k) -> (loss, grad), "
            f"got {loss_grad!r}"
        )
    eta_min = check_real("eta_min", eta_min, 0.0, low_open=True)
    eta_max = check_real("eta_max", eta_max, 0.0, low_open=True)
    if not eta_max > eta_min:
        raise ValueError(f"eta_max must exceed eta_min = {eta_min:g}, got {eta_max!r}")
    steps = check_int("steps", steps, 2)
    smoothing = check_real("smoothing", smoothing, 0.0)
    if smoothing >= 1:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    stop_factor = check_real("stop_factor", stop_factor, 1.0, low_open=True)
    if ramp not in ("exp", "linear"):
        raise ValueError(f"ramp must be 'exp' or 'linear', got {ramp!r}")
    try:
        theta = np.array(theta0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"theta0 must be an array of real numbers, got {theta0!r}"
        ) from None
    if theta.size == 0 or not np.all(np.isfinite(theta)):
        raise ValueError(f"theta0 must be a non-empty finite array, got {theta0!r}")

    s = np.arange(steps) / (steps - 1)
    if ramp == "exp":
        grid = eta_min * (eta_max / eta_min) ** s
    else:
        grid = eta_min + (eta_max - eta_min) * s
    optimizer.reset()
    etas, losses, smoothed, avg = [], [], [], 0.0
    status, message = "finished", f"finished {steps} steps up to eta = {eta_max:g}"
    with np.errstate(over="ignore", invalid="ignore"):
        for k, eta in enumerate(grid):
            loss, g = loss_grad(theta, k)
            loss = float(loss)
            if not math.isfinite(loss):
                status, message = "diverged", f"the loss became {loss} at eta = {eta:g}"
                break
            avg = smoothing * avg + (1 - smoothing) * loss
            etas.append(eta)
            losses.append(loss)
            smoothed.append(avg / (1 - smoothing ** (k + 1)))
            if smoothed[-1] > stop_factor * min(smoothed):
                status = "diverged"
                message = (
                    f"stopped at eta = {eta:g}: the smoothed loss exceeds {stop_factor:g} times "
                    "its minimum"
                )
                break
            optimizer.eta = float(eta)
            current = theta
            try:
                theta = optimizer.step(
                    theta, lambda th: g if th is current else loss_grad(th, k)[1]
                )
            except NonFiniteError as err:
                status, message = (
                    "diverged",
                    f"the step at eta = {eta:g} was refused: {err}",
                )
                break
    etas, losses, smoothed = np.array(etas), np.array(losses), np.array(smoothed)
    best = int(np.argmin(smoothed))
    if best >= 1:
        slope = np.diff(smoothed[: best + 1]) / np.diff(np.log(etas[: best + 1]))
        steepest = float(etas[int(np.argmin(slope))])
    else:
        steepest = float(etas[0])
    eta_at_min = float(etas[best])
    return RangeTest(
        etas, losses, smoothed, eta_at_min, eta_at_min / 10, steepest, status, message
    )
