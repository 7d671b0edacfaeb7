"""Deterministic simulations: synchronous EASGD (Zhang, Choromanska & LeCun, 2015) and SGD
with delayed gradients (the setting of McMahan & Streeter, 2014)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import NonFiniteError, Optimizer, check_int, check_real
from .delay_tolerant import AdaptiveRevision
from .processes import _check_array, _check_nonnegative_ints, _check_seed

# ----------------------------------------------------------------------------------------
# Elastic Averaging SGD
# ----------------------------------------------------------------------------------------


def easgd_step(x, center, g, eta, rho):
    r"""One step of synchronous EASGD (Zhang, Choromanska & LeCun, 2015), in place.

    With α = ηρ and all right-hand sides taken at the OLD values:

    .. math::
        x^i \leftarrow x^i - \eta\,\bigl(g^i + \rho\,(x^i - \tilde x)\bigr), \qquad
        \tilde x \leftarrow \tilde x + \eta\rho \sum_{i=1}^{p} (x^i - \tilde x)

    ``x`` has shape (p, d) (one row per worker), ``center`` shape (d,), both float arrays
    (they are updated in place), ``g`` the workers' gradients shaped like ``x``; ``eta`` > 0,
    ``rho`` >= 0. The elastic force α(x^i − x̃) pulls worker i towards the centre and, with
    the opposite sign, the centre towards worker i. Returns ``(x, center)``.
    """
    for name, arr in (("x", x), ("center", center)):
        if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(
                f"{name} must be a float numpy array (it is updated in place), "
                f"got {type(arr).__name__}"
            )
    if x.ndim != 2 or center.shape != x.shape[1:]:
        raise ValueError(
            f"x must have shape (p, d) and center shape (d,), got {x.shape} and {center.shape}"
        )
    if np.shape(g) != x.shape:
        raise ValueError(f"g must have the shape of x, {x.shape}, got {np.shape(g)}")
    eta, rho = check_real("eta", eta, 0.0, low_open=True), check_real("rho", rho, 0.0)
    return _easgd_step(x, center, g, eta, rho)


def _easgd_step(x, center, g, eta, rho):
    diff = x - center
    x -= eta * (g + rho * diff)
    center += eta * rho * diff.sum(axis=0)
    return x, center


@dataclass
class EASGDResult:
    """``workers[t]`` (shape (p, d)) and ``center[t]`` (shape (d,)) after t steps.

    ``status`` is ``'finished'``, or ``'diverged'`` if a step would have made a worker or the
    centre non-finite (that step is not recorded); ``message`` says it in words.
    """

    workers: np.ndarray
    center: np.ndarray
    status: str = "finished"
    message: str = ""


def easgd(
    grad_fn,
    x0,
    n_workers=4,
    steps=1000,
    eta=0.001,
    rho=1.0,
    noise=0.0,
    seed=0,
    spread=0.0,
):
    """Synchronous EASGD simulated in one process, deterministically.

    All workers and the centre start at ``x0`` (plus ``spread`` times a standard-normal
    offset per worker). At every step each worker's gradient is ``grad_fn(x^i)`` plus
    ``noise`` times standard-normal noise from ``np.random.default_rng(seed)``, and
    :func:`easgd_step` updates all of them at once. Returns an :class:`EASGDResult`; a run
    whose iterates overflow stops there with status ``'diverged'``, and a ``grad_fn`` that
    returns NaN or inf at finite points raises a ``ValueError`` naming it.
    """
    if not callable(grad_fn):
        raise ValueError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    x0 = _check_array("x0", x0, ndim=1)
    if x0.size == 0:
        raise ValueError("x0 must have at least one coordinate")
    n_workers = check_int("n_workers", n_workers, 1)
    steps = check_int("steps", steps, 0)
    eta, rho = check_real("eta", eta, 0.0, low_open=True), check_real("rho", rho, 0.0)
    noise, spread = check_real("noise", noise, 0.0), check_real("spread", spread, 0.0)
    rng = np.random.default_rng(_check_seed(seed))
    x = np.tile(x0, (n_workers, 1)) + spread * rng.standard_normal((n_workers, x0.size))
    center = x0.copy()
    workers, centers = [x.copy()], [center.copy()]
    status, message = "finished", f"finished {steps} steps"
    for t in range(1, steps + 1):
        g = np.array([grad_fn(xi) for xi in x], dtype=float)
        if g.shape != x.shape:
            raise ValueError(
                f"grad_fn returned a gradient of shape {g.shape[1:]}, but x0 has shape {x0.shape}"
            )
        if not np.all(np.isfinite(g)):
            raise ValueError(
                f"grad_fn returned NaN or inf at step {t}, at finite points"
            )
        g += noise * rng.standard_normal(x.shape)
        with np.errstate(over="ignore", invalid="ignore"):
            x_new, center_new = _easgd_step(x.copy(), center.copy(), g, eta, rho)
        if not (np.all(np.isfinite(x_new)) and np.all(np.isfinite(center_new))):
            status = "diverged"
            message = (
                f"diverged: step {t} would make the iterates overflow with eta={eta:g}, "
                f"rho={rho:g}; try a smaller eta or eta*rho"
            )
            break
        x, center = x_new, center_new
        workers.append(x.copy())
        centers.append(center.copy())
    return EASGDResult(np.array(workers), np.array(centers), status, message)


# ----------------------------------------------------------------------------------------
# Simulated delays
# ----------------------------------------------------------------------------------------


def run_delayed(optimizer, grad_fn, theta0, delays):
    """Run ``optimizer`` with stale gradients: step t applies ∇J(θ_{t−1−τ_t}), τ_t = ``delays[t-1]``.

    ``delays`` is a 1-D sequence of integers >= 0. The delay is capped at t − 1 (the first
    steps cannot look before θ_0). With all delays 0 this is ``gdlib.run``. ``optimizer`` is a
    gdlib :class:`~gdlib.Optimizer`, or an :class:`AdaptiveRevision` server: then the gradient
    of step t is sent back with the sum g^Σ the server held after step t − 1 − τ_t (when the
    parameters were read), so the server knows its backlog. Returns the iterates, shape
    (len(delays) + 1, d); it stops early (returning the iterates so far) when a gdlib
    optimizer refuses a step because the gradient or the update is no longer finite (a
    :class:`gdlib.NonFiniteError`: the delayed run diverged), or when the gradient or the
    iterate of an AdaptiveRevision run is no longer finite.
    """
    revision = isinstance(optimizer, AdaptiveRevision)
    if not (revision or isinstance(optimizer, Optimizer)):
        raise ValueError(
            "optimizer must be a gdlib Optimizer or an AdaptiveRevision, "
            f"got {type(optimizer).__name__}"
        )
    if not callable(grad_fn):
        raise ValueError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    theta = _check_array("theta0", theta0)
    delays = _check_nonnegative_ints("delays", delays)
    optimizer.reset()
    thetas = [theta.copy()]
    gbars = [np.zeros_like(theta)]  # g^Σ after each step (AdaptiveRevision only)
    for t, tau in enumerate(delays, start=1):
        read_at = t - 1 - min(int(tau), t - 1)
        g = grad_fn(thetas[read_at])
        if revision:
            g = np.asarray(g, dtype=float)
            if not np.all(np.isfinite(g)):
                break
            with np.errstate(over="ignore", invalid="ignore"):
                optimizer.update(theta, g, gbars[read_at])
            if not np.all(np.isfinite(theta)):
                break
            gbars.append(optimizer.gbar.copy())
        else:
            try:
                optimizer.step(theta, lambda _theta, g=g: g)
            except NonFiniteError:
                break
        thetas.append(theta.copy())
    return np.array(thetas)
