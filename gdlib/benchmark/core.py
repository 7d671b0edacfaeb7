"""The benchmark protocol: problems, methods, one seeded run, and the η-grid tuner.

* A :class:`Problem` fixes an objective, a budget of ``steps`` updates, how a
  seed draws the start point (and, for data problems, the order of the
  mini-batches), a ``target`` loss and, for learning problems, a held-out ``test``.
* A :class:`Method` makes an optimizer from one learning rate η (and may add a
  schedule). :func:`methods` lists the book's optimizers at their default
  hyperparameters (Adadelta, which has no learning rate, tunes ε = η²).
* :func:`tune` runs a method at every η of a log grid on the *tuning seeds* and
  keeps the η with the best mean score; :func:`evaluate` reruns it on separate
  *evaluation seeds*; :func:`benchmark` does both for every pair.

This module is the η-only protocol of the first edition of the chapter; the study
that tunes every hyperparameter by random search is :mod:`gdlib.benchmark.study`.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import optimizers as _opt
from ..base import NonFiniteError, check_int, check_real
from ..schedules import time_based_decay

__all__ = [
    "Problem",
    "Method",
    "RunRecord",
    "TuneResult",
    "methods",
    "run_problem",
    "tune",
    "evaluate",
    "benchmark",
    "COLUMNS",
]


@dataclass
class Problem:
    """One benchmark problem.

    ``loss(θ)`` is the full objective; ``grad(θ)`` its gradient, or, for a data
    problem, ``batch_grad(θ, rows)`` the gradient on a mini-batch of ``batch_size``
    rows out of ``n`` (reshuffled every epoch with the run's seeded generator).
    ``theta0(rng)`` draws the start point. ``target`` is the loss value whose
    first crossing counts as "reached"; ``f_min`` the known (or numerically
    computed) minimum, if any. ``criterion`` is what tuning minimizes:
    ``'final_loss'`` or ``'steps'`` (steps to the target). ``test(θ)``, for a
    learning problem, returns the held-out numbers (``{'test_loss': ...,
    'test_accuracy': ...}``); ``floor`` is the gap below which a problem counts as
    solved (differences there are rounding); ``shapes`` lists the tensors of θ for
    layer-wise and matrix optimizers (:func:`gdlib.base.blocks`).
    """

    name: str
    loss: Callable
    theta0: Callable
    steps: int
    target: float
    grad: Callable | None = None
    batch_grad: Callable | None = None
    n: int = 0
    batch_size: int | None = None
    f_min: float | None = None
    criterion: str = "final_loss"
    stop_at_target: bool = False
    eval_every: int = 1
    description: str = ""
    test: Callable | None = None
    floor: float = 1e-10
    shapes: list | None = None

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")
        for attr in ("loss", "theta0"):
            if not callable(getattr(self, attr)):
                raise ValueError(
                    f"{attr} must be callable, got {getattr(self, attr)!r}"
                )
        if (self.grad is None) == (self.batch_grad is None):
            raise ValueError("a Problem needs exactly one of grad and batch_grad")
        for attr in ("grad", "batch_grad"):
            if getattr(self, attr) is not None and not callable(getattr(self, attr)):
                raise ValueError(
                    f"{attr} must be callable, got {getattr(self, attr)!r}"
                )
        self.steps = check_int("steps", self.steps, 1)
        self.target = _finite("target", self.target)
        if self.f_min is not None:
            self.f_min = _finite("f_min", self.f_min)
        self.eval_every = check_int("eval_every", self.eval_every, 1)
        if self.criterion not in ("final_loss", "steps"):
            raise ValueError(
                f"criterion must be 'final_loss' or 'steps', got {self.criterion!r}"
            )
        if not isinstance(self.stop_at_target, (bool, np.bool_)):
            raise ValueError(
                f"stop_at_target must be True or False, got {self.stop_at_target!r}"
            )
        if self.batch_grad is not None:
            self.n = check_int("n", self.n, 1)
            if (
                isinstance(self.batch_size, bool)
                or not isinstance(self.batch_size, (int, np.integer))
                or not 1 <= self.batch_size <= self.n
            ):
                raise ValueError(
                    f"batch_size must be an integer in [1, n={self.n}] for a data problem, "
                    f"got {self.batch_size!r}"
                )

    @property
    def stochastic(self):
        return self.batch_grad is not None

    @property
    def deterministic(self):
        return self.grad is not None


@dataclass
class Method:
    """An optimizer as a function of its learning rate, with an optional schedule.

    ``make(eta)`` returns a fresh optimizer; ``schedule(eta, steps)``, if given,
    returns a function t ↦ η_t (t = 0, 1, ...) that overrides the optimizer's
    attribute ``schedule_attr`` (``'eta'``; AdamW's schedule multiplier is
    ``'schedule'``) before every step.
    """

    name: str
    make: Callable
    schedule: Callable | None = None
    note: str = ""
    schedule_attr: str = "eta"

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, got {self.name!r}")
        if not callable(self.make):
            raise ValueError(
                f"make must be callable (eta -> optimizer), got {self.make!r}"
            )
        if self.schedule is not None and not callable(self.schedule):
            raise ValueError(
                f"schedule must be None or callable (eta, steps) -> (t -> eta_t), "
                f"got {self.schedule!r}"
            )


@dataclass
class RunRecord:
    """One run: the recorded losses, the final parameters and the numbers the table reports."""

    eval_steps: np.ndarray
    losses: np.ndarray
    status: str
    steps_to_target: int | None
    wall_time: float
    theta: np.ndarray | None = None

    @property
    def final_loss(self):
        return float(self.losses[-1]) if self.status != "diverged" else math.inf


@dataclass
class TuneResult:
    """What :func:`tune` found: the grid, the mean score at every η and the best η."""

    grid: np.ndarray
    scores: np.ndarray
    best_eta: float
    runs: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------
def _finite(name, value):
    """A real number (a 0-d array too) as a finite float, else a ValueError naming ``name``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return check_real(name, value)


def _names(name, names, known):
    """``names`` as a list of known strings (a single string is a mistake), else a ValueError."""
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise ValueError(
            f"{name} must be a list of names, e.g. [{next(iter(known))!r}], got {names!r}"
        )
    names = list(names)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{name} has unknown entries {unknown}; choose from {list(known)}"
        )
    return names


def _check_eta(eta):
    return check_real("eta", eta, 0.0, low_open=True)


def _check_grid(grid):
    """The learning rates of a grid: a non-empty 1-D array of finite numbers > 0."""
    try:
        arr = np.array(grid, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"grid must be a non-empty 1-D sequence of learning rates, got {grid!r}"
        ) from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"grid must be a non-empty 1-D sequence of learning rates, got {grid!r}"
        )
    if not np.all(np.isfinite(arr) & (arr > 0)):
        raise ValueError(f"grid must hold finite learning rates > 0, got {grid!r}")
    return arr


def _check_seeds(name, seeds):
    """A non-empty sequence of integer seeds >= 0, as a tuple of ints."""
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise ValueError(
            f"{name} must be a non-empty sequence of integer seeds >= 0, got {seeds!r}"
        )
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError(
            f"{name} must be a non-empty sequence of integer seeds >= 0, got an empty one"
        )
    for s in seeds:
        check_int(f"every seed in {name}", s, 0)
    return seeds


def _check_types(method, problem):
    if not isinstance(method, Method):
        raise ValueError(
            f"method must be a benchmark Method (see methods()), got {method!r}"
        )
    if not isinstance(problem, Problem):
        raise ValueError(
            f"problem must be a benchmark Problem (see problems()), got {problem!r}"
        )


# --------------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------------
def _one_over_t(eta, steps):
    """η_t = η/(1 + 9t/steps): a 1/t decay that ends the budget at η/10."""
    return time_based_decay(eta, 9.0 / steps)


def methods(names=None, schedules=True):
    """The book's optimizers as :class:`Method` objects, with their default hyperparameters.

    ``names`` selects some of them (by class name, or ``'SGD+1/t'`` for plain
    gradient descent with a 1/t learning-rate decay); the default is all of
    :data:`gdlib.OPTIMIZERS` plus ``'SGD+1/t'`` when ``schedules`` is true.
    """
    table = {
        "GD": Method("GD", lambda eta: _opt.GD(eta=eta)),
        "SGD+1/t": Method(
            "SGD+1/t",
            lambda eta: _opt.GD(eta=eta),
            _one_over_t,
            "plain (stochastic) gradient descent, eta_t = eta/(1 + 9t/steps)",
        ),
        "Momentum": Method("Momentum", lambda eta: _opt.Momentum(eta=eta, gamma=0.9)),
        "NAG": Method("NAG", lambda eta: _opt.NAG(eta=eta, gamma=0.9)),
        "Adagrad": Method("Adagrad", lambda eta: _opt.Adagrad(eta=eta)),
        "Adadelta": Method(
            "Adadelta",
            lambda eta: _opt.Adadelta(gamma=0.95, eps=eta**2),
            note="no learning rate: the grid value eta sets eps = eta**2",
        ),
        "RMSprop": Method("RMSprop", lambda eta: _opt.RMSprop(eta=eta, gamma=0.9)),
        "Adam": Method("Adam", lambda eta: _opt.Adam(eta=eta)),
        "AdaMax": Method("AdaMax", lambda eta: _opt.AdaMax(eta=eta)),
        "Nadam": Method("Nadam", lambda eta: _opt.Nadam(eta=eta)),
        "AMSGrad": Method("AMSGrad", lambda eta: _opt.AMSGrad(eta=eta)),
        "AdamW": Method("AdamW", lambda eta: _opt.AdamW(eta=eta)),
        "QHM": Method("QHM", lambda eta: _opt.QHM(eta=eta)),
        "QHAdam": Method("QHAdam", lambda eta: _opt.QHAdam(eta=eta)),
        "AggMo": Method("AggMo", lambda eta: _opt.AggMo(eta=eta)),
    }
    if not isinstance(schedules, (bool, np.bool_)):
        raise ValueError(f"schedules must be True or False, got {schedules!r}")
    if names is None:
        names = [n for n in table if schedules or n != "SGD+1/t"]
    names = _names("names (of methods)", names, table)
    return {n: table[n] for n in names}


# --------------------------------------------------------------------------------------------
# running, tuning, evaluating
# --------------------------------------------------------------------------------------------
def _one_thread():
    """Limit BLAS to one thread: the problems are small, and timings then do not depend on the load."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(1)


def run_problem(method, eta, problem, seed):
    """One seeded run of ``method`` at learning rate ``eta`` on ``problem``: a :class:`RunRecord`.

    The seed draws θ0 and then the mini-batch order. The loss is recorded every
    ``eval_every`` steps and at the end; ``wall_time`` counts only the updates
    (gradients included), not this bookkeeping. ``eta`` must be finite and > 0,
    ``seed`` an integer ≥ 0, and the start point finite. A run whose loss or θ stops
    being finite, or whose next step gdlib refuses because it would overflow float64
    (:class:`gdlib.base.NonFiniteError`), ends with status ``'diverged'``.
    """
    _check_types(method, problem)
    eta = _check_eta(eta)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    theta = np.array(problem.theta0(rng), dtype=np.float64)
    if theta.ndim != 1 or theta.size == 0 or not np.all(np.isfinite(theta)):
        raise ValueError(
            f"problem.theta0 must draw a finite 1-D start point, got {theta!r}"
        )
    opt = method.make(eta)
    schedule = method.schedule(eta, problem.steps) if method.schedule else None
    eval_steps, losses = [0], [problem.loss(theta)]
    status, reached, wall = (
        "max_steps",
        (0 if losses[0] <= problem.target else None),
        0.0,
    )
    order, pos = None, 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(1, problem.steps + 1):
            if problem.stochastic:
                if order is None or pos >= problem.n:
                    order, pos = rng.permutation(problem.n), 0
                rows = order[pos : pos + problem.batch_size]
                pos += problem.batch_size

                def grad_fn(th, rows=rows):
                    return problem.batch_grad(th, rows)
            else:
                grad_fn = problem.grad
            if schedule is not None:
                setattr(opt, method.schedule_attr, schedule(k - 1))
            start = time.perf_counter()
            try:
                theta = opt.step(theta, grad_fn)
            except NonFiniteError:
                # the step would overflow float64 (gdlib refuses it and changes nothing):
                # the run has diverged, exactly as if the step had produced inf
                wall += time.perf_counter() - start
                eval_steps.append(k)
                losses.append(math.inf)
                status = "diverged"
                break
            wall += time.perf_counter() - start
            last = k == problem.steps
            if k % problem.eval_every and not last and not problem.stop_at_target:
                if np.all(np.isfinite(theta)):
                    continue
            loss = problem.loss(theta)
            eval_steps.append(k)
            losses.append(loss)
            if not (np.isfinite(loss) and np.all(np.isfinite(theta))):
                status = "diverged"
                break
            if reached is None and loss <= problem.target:
                reached = k
                if problem.stop_at_target:
                    status = "reached"
                    break
    return RunRecord(
        np.array(eval_steps), np.array(losses), status, reached, wall, theta.copy()
    )


def _score(problem, record):
    if record.status == "diverged":
        return math.inf
    if problem.criterion == "steps":
        return float(
            record.steps_to_target
            if record.steps_to_target is not None
            else problem.steps + 1
        )
    return record.final_loss


def tune(method, problem, grid, seeds=(0, 1)):
    """The best η of ``grid`` for ``method`` on ``problem``: the lowest mean score over ``seeds``.

    Ties go to the smaller η. Returns a :class:`TuneResult` whose ``runs`` maps
    every η to its list of :class:`RunRecord`. ``grid`` holds finite learning
    rates > 0 and ``seeds`` at least one integer seed ≥ 0.
    """
    _check_types(method, problem)
    grid = _check_grid(grid)
    seeds = _check_seeds("seeds", seeds)
    runs, scores = {}, []
    with _one_thread():
        for eta in grid:
            runs[float(eta)] = [
                run_problem(method, float(eta), problem, s) for s in seeds
            ]
            scores.append(
                float(np.mean([_score(problem, r) for r in runs[float(eta)]]))
            )
    scores = np.array(scores)
    best = int(
        np.argmin(scores)
    )  # the first (smallest η) among ties; all-inf picks grid[0]
    return TuneResult(grid, scores, float(grid[best]), runs)


def _spread(values):
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    return float(np.mean(values)), float(np.std(values))


def evaluate(method, eta, problem, seeds=(100, 101, 102)):
    """Rerun ``method`` at ``eta`` on new seeds; a dict of means and spreads (standard deviations).

    ``eta`` is finite and > 0, ``seeds`` at least one integer seed ≥ 0. A mean over
    no runs (the steps to the target when no run reached it, say) is NaN, which the
    tables show as "–".
    """
    _check_types(method, problem)
    eta = _check_eta(eta)
    seeds = _check_seeds("seeds", seeds)
    with _one_thread():
        records = [run_problem(method, eta, problem, s) for s in seeds]
    finite = [r for r in records if r.status != "diverged"]
    # The gap to the minimum; a problem without one reports its loss, except the saddle (no floor).
    gaps = (
        []
        if problem.criterion == "steps"
        else [r.final_loss - (problem.f_min or 0.0) for r in finite]
    )
    reached = [r.steps_to_target for r in finite if r.steps_to_target is not None]
    loss_mean, loss_std = _spread([r.final_loss for r in finite])
    gap_mean, gap_std = _spread(gaps)
    steps_mean, steps_std = _spread(reached)
    wall_mean, wall_std = _spread([r.wall_time for r in records])
    return dict(
        final_loss=loss_mean,
        final_loss_std=loss_std,
        gap=gap_mean,
        gap_std=gap_std,
        steps_to_target=steps_mean,
        steps_to_target_std=steps_std,
        reached=f"{len(reached)}/{len(records)}",
        diverged=len(records) - len(finite),
        wall_ms=1e3 * wall_mean,
        wall_ms_std=1e3 * wall_std,
        records=records,
    )


#: The columns of a benchmark table, in order.
COLUMNS = [
    "problem",
    "method",
    "best_eta",
    "final_loss",
    "final_loss_std",
    "gap",
    "gap_std",
    "steps_to_target",
    "steps_to_target_std",
    "reached",
    "diverged",
    "wall_ms",
    "wall_ms_std",
    "grid_diverged",
    "criterion",
    "budget",
    "target",
]


def benchmark(
    problem_set,
    method_set,
    grid,
    tune_seeds=(0, 1),
    eval_seeds=(100, 101, 102),
    progress=None,
):
    """Tune and evaluate every method on every problem. Returns ``(rows, details)``.

    ``rows`` is a list of dicts with the keys :data:`COLUMNS` (one per pair);
    ``details[(problem, method)]`` holds the :class:`TuneResult` and the
    evaluation runs, for plots. ``progress`` is called with a message per pair.
    Every argument is checked before the first run.
    """
    for name, mapping, kind in (
        ("problem_set", problem_set, Problem),
        ("method_set", method_set, Method),
    ):
        if not hasattr(mapping, "items") or not all(
            isinstance(v, kind) for v in mapping.values()
        ):
            raise ValueError(
                f"{name} must map names to {kind.__name__} objects, got {mapping!r}"
            )
    grid = _check_grid(grid)
    tune_seeds, eval_seeds = (
        _check_seeds("tune_seeds", tune_seeds),
        _check_seeds("eval_seeds", eval_seeds),
    )
    if progress is not None and not callable(progress):
        raise ValueError(f"progress must be None or callable, got {progress!r}")
    rows, details = [], {}
    for pname, problem in problem_set.items():
        for mname, method in method_set.items():
            tuned = tune(method, problem, grid, tune_seeds)
            ev = evaluate(method, tuned.best_eta, problem, eval_seeds)
            row = {
                "problem": pname,
                "method": mname,
                "best_eta": tuned.best_eta,
                "grid_diverged": int(np.sum(np.isinf(tuned.scores))),
                "criterion": problem.criterion,
                "budget": problem.steps,
                "target": problem.target,
            }
            row.update({k: v for k, v in ev.items() if k != "records"})
            rows.append({c: row[c] for c in COLUMNS})
            details[(pname, mname)] = dict(tune=tuned, records=ev["records"])
            if progress:
                progress(
                    f"{pname:10s} {mname:9s} eta={tuned.best_eta:.3g} final={row['final_loss']:.3g}"
                )
    return rows, details
