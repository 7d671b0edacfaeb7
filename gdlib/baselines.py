r"""Baselines that are not gdlib optimizers: L-BFGS from SciPy, recorded like a benchmark run.

**L-BFGS** (Liu & Nocedal, 1989) is a quasi-Newton method: it keeps the last m pairs

.. math::
    s_i = θ_{i} − θ_{i-1}, \qquad y_i = ∇J(θ_{i}) − ∇J(θ_{i-1}),

and applies the BFGS approximation H_t of the inverse Hessian built from them alone
(the "two-loop recursion", O(m·d) work, never a d × d matrix) to the gradient:

.. math::
    θ_t = θ_{t-1} − η_t H_t\, g_t, \qquad g_t = ∇J(θ_{t-1}),

with the step η_t found by a line search that satisfies the Wolfe conditions, so it
needs function values as well as gradients, and several of each in some iterations.
SciPy's ``minimize(method='L-BFGS-B')`` implements L-BFGS-B 3.0, the bound-constrained
method of Byrd, Lu, Nocedal & Zhu (1995) as coded by Zhu, Byrd, Lu & Nocedal (1997) and
corrected by Morales & Nocedal (2011); without bounds it is L-BFGS. On a strictly convex quadratic in d dimensions the
secant pairs pin down the Hessian after d of them, so the method converges in a few
iterations whatever the condition number; it is the classical deterministic baseline
against which the book's first-order methods can be set.

**Counting.** A gdlib optimizer's step costs one gradient. L-BFGS's iterations cost a
varying number of function *and* gradient evaluations, so :func:`lbfgs` records the
loss after every iteration against the number of gradient evaluations spent so far
(``eval_steps``), the x-axis a first-order run is plotted against (its step t has
cost t gradients), and it counts the function values separately. The budget
``max_evals`` bounds the gradient evaluations: an iteration whose line search ran past
it is dropped from the record, as if the run had been stopped there.

>>> import gdlib
>>> run = gdlib.lbfgs(gdlib.ravine.f, gdlib.ravine.grad, [-8.0, 2.0])
>>> run.status, run.final_loss < 1e-20, int(run.eval_steps[-1]) < 30
('converged', True, True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from .base import check_int, check_real

__all__ = ["BaselineRun", "lbfgs", "lbfgs_problem"]


@dataclass
class BaselineRun:
    """One run of a baseline, with the fields of :class:`gdlib.benchmark.RunRecord` first.

    ``eval_steps[i]`` is the number of gradient evaluations spent when ``losses[i]`` was
    recorded (0 for the start θ0, then one entry per iteration); ``status`` is
    ``'converged'`` (the method's own stopping test passed), ``'reached'`` (the target
    was reached and the run was told to stop there), ``'max_steps'`` (the budget of
    gradient evaluations ran out), ``'diverged'`` (a non-finite loss) or ``'stopped'``
    (the line search could not make progress: at a flat point or at machine precision;
    ``message`` has SciPy's words). ``steps_to_target`` is the number of gradient
    evaluations when the loss first reached the target (None if never or no target).
    ``wall_time`` is the time spent in SciPy and in the user's functions.
    """

    eval_steps: np.ndarray
    losses: np.ndarray
    status: str
    steps_to_target: int | None
    wall_time: float
    theta: np.ndarray | None = None
    iterations: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    fun_evals: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    n_grad_evals: int = 0
    n_fun_evals: int = 0
    message: str = ""
    method: str = "L-BFGS"

    @property
    def final_loss(self):
        """The last recorded loss (``inf`` if the run diverged), as in a RunRecord."""
        return float(self.losses[-1]) if self.status != "diverged" else math.inf

    def to_run_record(self):
        """The same run as a :class:`gdlib.benchmark.RunRecord` (steps = gradient evaluations)."""
        from .benchmark import (
            RunRecord,
        )  # here, so that benchmark may import this module

        return RunRecord(
            self.eval_steps.copy(),
            self.losses.copy(),
            self.status,
            self.steps_to_target,
            self.wall_time,
            None if self.theta is None else self.theta.copy(),
        )


def _check_callable(name, value):
    if not callable(value):
        raise ValueError(f"{name} must be callable (theta -> ...), got {value!r}")
    return value


def _check_theta0(theta0):
    try:
        theta = np.array(theta0, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"theta0 must be a 1-D array of real numbers, got {theta0!r}"
        ) from None
    if theta.ndim != 1 or theta.size == 0:
        raise ValueError(
            f"theta0 must be a non-empty 1-D array, got shape {theta.shape}"
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError("theta0 must be finite: it holds NaN or inf")
    return theta


def lbfgs(
    f,
    grad,
    theta0,
    max_evals=1000,
    m=10,
    gtol=1e-10,
    ftol=1e-15,
    target=None,
    stop_at_target=False,
):
    r"""Minimize f from θ0 with SciPy's L-BFGS-B (no bounds) and record the trajectory.

    Parameters
    ----------
    f, grad : callable
        θ ↦ J(θ) (a real number) and θ ↦ ∇J(θ) (an array like θ).
    theta0 : array
        The start, a finite 1-D array.
    max_evals : int
        The budget: at most this many gradient evaluations (≥ 1).
    m : int
        The number of secant pairs kept (SciPy's ``maxcor``, ≥ 1; 10 by default).
    gtol : float
        Stop when max_i |g_i| ≤ gtol (≥ 0).
    ftol : float
        Stop when (J_{t-1} − J_t)/max(|J_{t-1}|, |J_t|, 1) ≤ ftol (≥ 0; SciPy's test).
    target : float, optional
        A loss whose first crossing is reported in ``steps_to_target``.
    stop_at_target : bool
        End the run (status ``'reached'``) as soon as the loss is ≤ ``target``.

    Returns
    -------
    BaselineRun
        ``eval_steps`` (gradient evaluations), ``losses``, ``iterations``, ``fun_evals``
        per recorded point, the final θ, the counts and SciPy's message.
    """
    from scipy.optimize import minimize

    _check_callable("f", f)
    _check_callable("grad", grad)
    theta = _check_theta0(theta0)
    max_evals = check_int("max_evals", max_evals, 1)
    m = check_int("m", m, 1)
    gtol = check_real("gtol", gtol, 0.0)
    ftol = check_real("ftol", ftol, 0.0)
    if target is not None:
        target = check_real("target", target)
    if not isinstance(stop_at_target, (bool, np.bool_)):
        raise ValueError(
            f"stop_at_target must be True or False, got {stop_at_target!r}"
        )
    if stop_at_target and target is None:
        raise ValueError("stop_at_target=True needs a target")

    counts = {"f": 0, "g": 0}

    def fun(x):
        counts["f"] += 1
        value = float(f(x))
        counts["g"] += 1
        g = np.asarray(grad(x), dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(
                f"grad must return an array of shape {x.shape}, got {g.shape}"
            )
        if not math.isfinite(value) or not np.all(np.isfinite(g)):
            # tell the line search this point is unusable; the record shows the divergence
            return math.inf, np.zeros_like(g)
        return value, g

    loss0 = float(f(theta))
    record = {"g": [0], "f": [0], "loss": [loss0], "k": [0]}
    last = {"theta": theta.copy()}

    def callback(intermediate_result):
        if counts["g"] > max_evals:  # this iteration's line search ran past the budget
            raise StopIteration
        record["g"].append(counts["g"])
        record["f"].append(counts["f"])
        record["loss"].append(float(intermediate_result.fun))
        record["k"].append(len(record["k"]))
        last["theta"] = np.array(intermediate_result.x, dtype=np.float64)
        if stop_at_target and intermediate_result.fun <= target:
            raise StopIteration

    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        if stop_at_target and loss0 <= target:
            res = None
        else:
            res = minimize(
                fun,
                theta,
                jac=True,
                method="L-BFGS-B",
                callback=callback,
                options={
                    "maxcor": m,
                    "maxfun": max_evals,
                    "maxiter": max_evals,
                    "gtol": gtol,
                    "ftol": ftol,
                },
            )
    wall = time.perf_counter() - start
    losses = np.array(record["loss"])
    reached = None
    if target is not None:
        hit = np.flatnonzero(losses <= target)
        reached = int(record["g"][hit[0]]) if hit.size else None
    message = "the start is already at the target" if res is None else str(res.message)
    if not np.all(np.isfinite(losses)):
        status = "diverged"
    elif stop_at_target and reached is not None:
        status = "reached"
    elif res is not None and res.success:
        status = "converged"
    elif counts["g"] >= max_evals or res is not None and res.nit >= max_evals:
        status = "max_steps"
    else:
        status = "stopped"
    return BaselineRun(
        eval_steps=np.array(record["g"]),
        losses=losses,
        status=status,
        steps_to_target=reached,
        wall_time=wall,
        theta=last["theta"],
        iterations=np.array(record["k"]),
        fun_evals=np.array(record["f"]),
        n_grad_evals=int(record["g"][-1]),
        n_fun_evals=int(record["f"][-1]),
        message=message,
    )


def lbfgs_problem(problem, seed=0, full_batch=False, **options):
    """:func:`lbfgs` on a :class:`gdlib.benchmark.Problem`, started where ``run_problem`` starts.

    The seed draws θ0 exactly as :func:`gdlib.benchmark.run_problem` does
    (``problem.theta0(np.random.default_rng(seed))``), the budget is ``problem.steps``
    gradient evaluations (a first-order method's step costs one), and the target and
    ``stop_at_target`` are the problem's. L-BFGS needs exact gradients: a data
    problem (``problem.stochastic``) is refused unless ``full_batch=True``, which runs
    it on the full-batch gradient ``batch_grad(θ, all rows)`` (every evaluation then
    costs n per-example gradients, not one mini-batch). ``options`` go to :func:`lbfgs`
    (``m``, ``gtol``, ``ftol``, ``max_evals`` to change the budget).
    """
    for attr in ("loss", "theta0", "steps", "target"):
        if not hasattr(problem, attr):
            raise ValueError(
                f"problem must be a gdlib.benchmark.Problem, got {problem!r}"
            )
    seed = check_int("seed", seed, 0)
    if not isinstance(full_batch, (bool, np.bool_)):
        raise ValueError(f"full_batch must be True or False, got {full_batch!r}")
    if getattr(problem, "stochastic", False):
        if not full_batch:
            raise ValueError(
                f"problem {problem.name!r} has mini-batch gradients only: L-BFGS is a baseline "
                "for deterministic problems (pass full_batch=True to run it on the full batch)"
            )
        rows = np.arange(problem.n)

        def grad(theta):
            return problem.batch_grad(theta, rows)
    else:
        grad = problem.grad
    theta0 = problem.theta0(np.random.default_rng(seed))
    options.setdefault("max_evals", problem.steps)
    options.setdefault("target", problem.target)
    options.setdefault(
        "stop_at_target", bool(getattr(problem, "stop_at_target", False))
    )
    return lbfgs(problem.loss, grad, theta0, **options)
