r"""The schedules of modern training: warm-up, cosine annealing, warm restarts, one-cycle.

Like every schedule of :mod:`gdlib.schedules`, each is a function of a counter
t = 0, 1, 2, ... that returns a learning rate; t is **the number of steps already
taken**, so the first step uses ``schedule(0)`` and step t of the book's time index
uses ``schedule(t − 1)`` (optax calls this counter ``count``; PyTorch's schedulers
count the same way). Arrays of t are evaluated element-wise, and t may be fractional
(SGDR counts epochs in fractions of an epoch). The arguments are checked when the
schedule is made: a bad one raises a ``ValueError`` naming it and its allowed range.

Where optax or ``torch.optim.lr_scheduler`` ships the same schedule, the docstring
gives the settings with which it produces the same numbers
(``tests/test_schedules_frameworks.py`` checks them value by value).
"""

from __future__ import annotations

import math

import numpy as np

from ..base import check_int, check_real
from .decay import _check_open_unit, _check_t, _out

__all__ = [
    "linear_warmup",
    "cosine_annealing",
    "sgdr",
    "one_cycle",
    "warmup_cosine",
]


def _check_eta_min(eta_min, eta, name="eta"):
    eta_min = check_real("eta_min", eta_min, 0.0)
    if eta_min > eta:
        raise ValueError(
            f"eta_min must be in [0, {name}] = [0, {eta:g}], got {eta_min!r}"
        )
    return eta_min


def _cosine(start, end, s):
    """end + (start − end)(1 + cos πs)/2: from ``start`` at s = 0 to ``end`` at s = 1."""
    return end + (start - end) * 0.5 * (1.0 + np.cos(np.pi * s))


def linear_warmup(eta, warmup):
    r"""Linear warm-up: η(t) = η · min(1, (t + 1)/T_w), with T_w = ``warmup``.

    The first T_w steps use the rates η/T_w, 2η/T_w, ..., η; every later step uses η.
    This is the warm-up of Goyal et al. (2017), who raise the rate by a constant amount
    each iteration until it reaches η, and of Liu et al. (2020), who write it
    η_t = min(t, T_w)/T_w · η for steps t = 1, 2, ... It never gives a rate of 0, so it
    can drive :func:`gdlib.train` and :func:`scheduled` directly. η > 0 finite, T_w an
    integer ≥ 1 (T_w = 1 is no warm-up).

    Frameworks (for T_w ≥ 2): ``optax.linear_schedule(init_value=η/T_w, end_value=η,
    transition_steps=T_w − 1)``, and ``torch.optim.lr_scheduler.LinearLR`` with
    ``lr=η``, ``start_factor=1/T_w``, ``end_factor=1``, ``total_iters=T_w − 1``.

    References
    ----------
    Goyal, P. et al. (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour.
    arXiv:1706.02677.
    """
    eta = check_real("eta", eta, 0.0, low_open=True)
    warmup = check_int("warmup", warmup, 1)

    def schedule(t):
        t = _check_t(t)
        return _out(eta * np.minimum(1.0, (np.asarray(t) + 1.0) / warmup))

    return schedule


def cosine_annealing(eta, total, eta_min=0.0):
    r"""Cosine annealing: η(t) = η_min + (η − η_min)(1 + cos(π min(t, T)/T))/2, T = ``total``.

    The rate falls from η at t = 0 to η_min at t = T along half a cosine, slowly at
    both ends and fastest in the middle, and stays at η_min after T. Run for T steps,
    the last step uses a rate just above η_min. It is one period of SGDR (Loshchilov &
    Hutter, 2017) without the restarts. η > 0, 0 ≤ η_min ≤ η, T an integer ≥ 1.

    Frameworks: ``optax.cosine_decay_schedule(init_value=η, decay_steps=T,
    alpha=η_min/η)``; ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T,
    eta_min=η_min)`` with ``lr=η``, for t ≤ T only (after T PyTorch's rate climbs back
    along the cosine; this one, like optax's, stays at η_min).

    References
    ----------
    Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm
    restarts. ICLR 2017.
    """
    eta = check_real("eta", eta, 0.0, low_open=True)
    total = check_int("total", total, 1)
    eta_min = _check_eta_min(eta_min, eta)

    def schedule(t):
        t = _check_t(t)
        return _out(_cosine(eta, eta_min, np.minimum(t, total) / total))

    return schedule


def sgdr(eta, period, mult=1.0, eta_min=0.0):
    r"""Cosine annealing with warm restarts, SGDR (Loshchilov & Hutter, 2017), eq. (5).

    .. math::
        \eta(t) = \eta_{\min} + \tfrac12(\eta - \eta_{\min})
        \left(1 + \cos\left(\pi \frac{T_{\mathrm{cur}}}{T_i}\right)\right)

    Period i = 0, 1, 2, ... lasts T_i = T_0 · ``mult``^i ticks, with T_0 = ``period``;
    T_cur = t − (T_0 + ... + T_{i−1}) is the time since the last restart, at which the
    rate jumps back to η. The paper counts epochs and updates T_cur after every batch,
    so t may be fractional (t = epoch + batch/batches_per_epoch). η > 0,
    0 ≤ η_min ≤ η, T_0 > 0 and ``mult`` ≥ 1 finite.

    Frameworks: ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0=T_0,
    T_mult=mult, eta_min=η_min)`` with ``lr=η`` (PyTorch needs integer T_0 and mult);
    ``optax.sgdr_schedule`` with one dict per period, ``dict(init_value=η,
    peak_value=η, warmup_steps=0, decay_steps=T_i, end_value=η_min)``.

    References
    ----------
    Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm
    restarts. ICLR 2017.
    """
    eta = check_real("eta", eta, 0.0, low_open=True)
    period = check_real("period", period, 0.0, low_open=True)
    mult = check_real("mult", mult, 1.0)
    eta_min = _check_eta_min(eta_min, eta)

    def start(i):  # where period i begins: T_0 (mult^i − 1)/(mult − 1), exact
        return period * i if mult == 1.0 else period * (mult**i - 1.0) / (mult - 1.0)

    def schedule(t):
        t = _check_t(t)
        tt = np.asarray(t, dtype=float)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            if mult == 1.0:
                i = np.floor(tt / period)
            else:
                i = np.floor(np.log1p(tt * (mult - 1.0) / period) / math.log(mult))
            # the logarithm may round across a restart: move i to the period that holds t
            i = np.where(start(i + 1) <= tt, i + 1, i)
            i = np.where(start(i) > tt, i - 1, i)
            length = period * mult**i
            t_cur = tt - start(i)
            # beyond about mult^i = 1e308 the period overflows: call it a restart
            frac = np.nan_to_num(np.clip(t_cur / length, 0.0, 1.0), nan=0.0)
            return _out(_cosine(eta, eta_min, frac))

    return schedule


def one_cycle(
    eta_max,
    total,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cos",
    pct_final=None,
):
    r"""The one-cycle policy (Smith & Topin, 2019; Smith, 2018).

    The rate rises from η_0 = η_max/``div_factor`` at t = 0 to η_max at
    T_up = ``pct_start`` · T (T = ``total``), then falls to
    η_end = η_0/``final_div_factor`` at t = T and stays there. With ``pct_final``
    given, the fall has two phases, as in Smith and Topin's paper: back to η_0 at
    T_down = ``pct_final`` · T, then on to η_end at T (the "annihilation" phase). Each
    phase interpolates along half a cosine (``anneal='cos'``),
    b + (a − b)(1 + cos πs)/2 from a to b as s goes from 0 to 1, or along a straight
    line (``anneal='linear'``), a + (b − a)s. Smith and Topin also cycle the momentum
    the other way; schedule it with :func:`scheduled` (``gamma=...``) if you want that.

    η_max > 0, T an integer ≥ 2, 0 < ``pct_start`` < ``pct_final`` < 1, ``div_factor``
    and ``final_div_factor`` ≥ 1.

    Frameworks (the defaults are theirs):

    * ``optax.cosine_onecycle_schedule(transition_steps=T, peak_value=η_max,
      pct_start, div_factor, final_div_factor)`` is the two-phase cosine policy, and
      ``optax.linear_onecycle_schedule(T, η_max, pct_start, pct_final, div_factor,
      final_div_factor)`` the three-phase linear one, exactly when ``pct_start`` · T
      (and ``pct_final`` · T) are integers (optax rounds them down).
    * ``torch.optim.lr_scheduler.OneCycleLR(max_lr=η_max, total_steps=T + 1,
      pct_start=(pct_start·T + 1)/(T + 1), div_factor, final_div_factor,
      anneal_strategy=anneal, cycle_momentum=False)``: PyTorch ends its phases one
      step earlier (at pct_start · total_steps − 1 and total_steps − 1), and with
      ``three_phase=True`` its middle phase ends at 2 T_up.

    References
    ----------
    Smith, L. N. & Topin, N. (2019). Super-convergence: very fast training of neural
    networks using large learning rates. Proc. SPIE 11006. arXiv:1708.07120 (2017).
    Smith, L. N. (2018). A disciplined approach to neural network hyper-parameters:
    part 1. arXiv:1803.09820.
    """
    eta_max = check_real("eta_max", eta_max, 0.0, low_open=True)
    total = check_int("total", total, 2)
    pct_start = _check_open_unit("pct_start", pct_start)
    div_factor = check_real("div_factor", div_factor, 1.0)
    final_div_factor = check_real("final_div_factor", final_div_factor, 1.0)
    if anneal not in ("cos", "linear"):
        raise ValueError(f"anneal must be 'cos' or 'linear', got {anneal!r}")
    if pct_final is not None:
        pct_final = _check_open_unit("pct_final", pct_final)
        if not pct_final > pct_start:
            raise ValueError(
                f"pct_final must be in (pct_start, 1) = ({pct_start:g}, 1), got {pct_final!r}"
            )
    eta0 = eta_max / div_factor
    eta_end = eta0 / final_div_factor
    if pct_final is None:
        knots = [(0.0, eta0), (pct_start * total, eta_max), (float(total), eta_end)]
    else:
        knots = [
            (0.0, eta0),
            (pct_start * total, eta_max),
            (pct_final * total, eta0),
            (float(total), eta_end),
        ]

    def interpolate(a, b, s):
        return _cosine(a, b, s) if anneal == "cos" else a + (b - a) * s

    def schedule(t):
        t = _check_t(t)
        tt = np.asarray(t, dtype=float)
        out = np.full(tt.shape, eta_end)
        with np.errstate(
            over="ignore", invalid="ignore"
        ):  # phases outside t are discarded
            for (t0, a), (t1, b) in zip(knots[:-1], knots[1:]):
                inside = (tt >= t0) & (tt < t1)
                out = np.where(inside, interpolate(a, b, (tt - t0) / (t1 - t0)), out)
        return _out(out)

    return schedule


def warmup_cosine(eta, warmup, total, eta_min=0.0):
    r"""Linear warm-up over T_w steps, then cosine annealing to η_min at t = T.

    .. math::
        \eta(t) = \begin{cases}
        \eta\,(t+1)/T_w & t < T_w - 1,\\
        \eta_{\min} + \tfrac12(\eta-\eta_{\min})\bigl(1 + \cos(\pi \min(t', T')/T')\bigr)
        & t \ge T_w - 1,
        \end{cases}

    with t' = t − (T_w − 1) and T' = T − T_w + 1: the first T_w steps are
    :func:`linear_warmup`, whose last rate η is where the cosine starts; the cosine
    reaches η_min at t = T, so a run of T steps ends just above it. T_w = 1 is
    :func:`cosine_annealing`. This is the schedule the book's which-optimizer study
    gives every method. η > 0, 0 ≤ η_min ≤ η, integers 1 ≤ T_w ≤ T (T = ``total``).

    Frameworks: ``optax.warmup_cosine_decay_schedule(init_value=η/T_w, peak_value=η,
    warmup_steps=T_w − 1, decay_steps=T, end_value=η_min)``.

    References
    ----------
    Goyal, P. et al. (2017). Accurate, large minibatch SGD: training ImageNet in 1 hour.
    arXiv:1706.02677.
    Loshchilov, I. & Hutter, F. (2017). SGDR: stochastic gradient descent with warm
    restarts. ICLR 2017.
    """
    eta = check_real("eta", eta, 0.0, low_open=True)
    warmup = check_int("warmup", warmup, 1)
    total = check_int("total", total, 1)
    if total < warmup:
        raise ValueError(
            f"total must be >= warmup = {warmup} (the warm-up is part of the run), got {total!r}"
        )
    eta_min = _check_eta_min(eta_min, eta)
    length = total - warmup + 1

    def schedule(t):
        t = _check_t(t)
        tt = np.asarray(t, dtype=float)
        with np.errstate(over="ignore"):  # the ramp is discarded after the warm-up
            ramp = eta * (tt + 1.0) / warmup
        after = np.clip(tt - (warmup - 1), 0.0, length) / length
        return _out(np.where(tt < warmup - 1, ramp, _cosine(eta, eta_min, after)))

    return schedule
