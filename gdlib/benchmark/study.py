"""The which-optimizer study: every hyperparameter tuned, the same budget for every method.

For every (problem, method) pair:

1. **Random search.** ``trials`` configurations are drawn from the method's search
   space (:mod:`gdlib.benchmark.spaces`), each run on the *tuning seeds*; a
   configuration scores the mean over those seeds of log10 max(gap, floor) (the steps
   to the target on a problem scored by steps), +∞ if any run diverged. The best
   configuration wins (the first one among ties).
2. **Edges.** If a tuned value lies in the outer 10 % of its range next to an end that
   is not a natural one, that end moves out (a decade for a log range) and the random
   search runs again, with the same number of trials, on the extended space; at most
   ``max_extensions`` times. Every round is recorded, and the flags of the final round
   are reported (a flag that survives the last extension is reported as such).
3. **Evaluation.** The winning configuration runs on the *evaluation seeds*, which the
   tuning never saw; each run gives the final loss, the gap, the steps to the target,
   and on a learning problem the held-out loss and accuracy.

L-BFGS (SciPy's L-BFGS-B, memory 10, no tuning) runs on the deterministic problems as
a baseline, with the same budget counted in gradient evaluations.
"""

from __future__ import annotations

import json
import math
import sys
import time
import zlib
from dataclasses import asdict, dataclass, field

import numpy as np

from .core import _one_thread, run_problem
from .spaces import make_method, registry

__all__ = [
    "StudySettings",
    "tune_random",
    "evaluate_config",
    "lbfgs_baseline",
    "run_study",
    "write_study",
    "RUN_COLUMNS",
]


@dataclass
class StudySettings:
    """The knobs of a study (the defaults are the full study of ``benchmarks/study.py``)."""

    trials: int = 60
    tune_seeds: tuple = (0, 1)
    eval_seeds: tuple = tuple(range(100, 110))
    max_extensions: int = 3
    edge: float = 0.1
    scale: float = 1.0
    seed: int = 0
    baseline: bool = True
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if int(self.trials) < 1:
            raise ValueError(f"trials must be >= 1, got {self.trials!r}")
        if not self.tune_seeds or not self.eval_seeds:
            raise ValueError("tune_seeds and eval_seeds must not be empty")
        if set(self.tune_seeds) & set(self.eval_seeds):
            raise ValueError("tuning and evaluation seeds must be different")
        if not 0 < self.edge < 0.5:
            raise ValueError(f"edge must lie in (0, 0.5), got {self.edge!r}")


def _gap(problem, loss):
    return loss - (problem.f_min or 0.0)


def _score(problem, record):
    """What tuning minimizes for one run."""
    if record.status == "diverged":
        return math.inf
    if problem.criterion == "steps":
        s = record.steps_to_target
        return float(s if s is not None else problem.steps + 1)
    gap = _gap(problem, record.final_loss)
    return math.log10(max(gap, problem.floor))


def _try_runs(space, config, problem, seeds):
    """The runs of one configuration: (records, error). A configuration the optimizer
    refuses (a ValueError from its constructor) or that crashes gives no records."""
    try:
        method, eta = make_method(space, config, problem)
        return [run_problem(method, eta, problem, s) for s in seeds], ""
    except Exception as exc:  # noqa: BLE001 - a drop-in method may fail in any way
        return None, f"{type(exc).__name__}: {exc}"


def _plain(config):
    return {
        k: (float(v) if isinstance(v, (float, np.floating)) else v)
        for k, v in config.items()
    }


def tune_random(space, problem, settings, key=""):
    """Random search with edge extension for one method on one problem (see the module
    docstring). Returns a dict with the winning ``config``, its ``score``, the number of
    ``rounds``, the final ``edges`` flags, the final ``space`` and every ``trial``."""
    dims = dict(space.dims)
    trials, rounds = [], 0
    for rounds in range(1, settings.max_extensions + 2):
        rng = np.random.default_rng([settings.seed, zlib.crc32(key.encode()), rounds])
        this = []
        for i in range(settings.trials):
            config = _plain({k: d.sample(rng) for k, d in dims.items()})
            records, error = _try_runs(space, config, problem, settings.tune_seeds)
            score = (
                math.inf
                if records is None
                else float(np.mean([_score(problem, r) for r in records]))
            )
            this.append(
                dict(round=rounds, trial=i, config=config, score=score, error=error)
            )
        trials += this
        best = min(this, key=lambda t: t["score"])
        if not math.isfinite(best["score"]):
            edges = {}
            break
        probe = type(space)(space.name, space.cls, dims)
        edges = probe.edges(best["config"], settings.edge)
        movable = {k: e for k, e in edges.items() if e in ("low", "high")}
        if not movable or rounds > settings.max_extensions:
            break
        for k, side in movable.items():
            dims[k] = dims[k].extended(side)
    errors = {t["error"] for t in trials if t["error"]}
    return dict(
        config=best["config"],
        score=best["score"],
        rounds=rounds,
        edges=edges,
        space={k: d.describe() for k, d in dims.items()},
        trials=trials,
        failed=sum(not math.isfinite(t["score"]) for t in trials),
        error=sorted(errors)[0]
        if errors and len(errors) == 1 and best["error"]
        else "",
    )


def _run_row(problem, method, seed, record, extra=None):
    diverged = record.status == "diverged"
    loss = record.final_loss
    row = dict(
        problem=problem.name,
        method=method,
        seed=int(seed),
        criterion=problem.criterion,
        final_loss=float(loss),
        gap=math.nan if problem.criterion == "steps" else float(_gap(problem, loss)),
        steps_to_target=(
            math.nan
            if record.steps_to_target is None
            else float(record.steps_to_target)
        ),
        diverged=int(diverged),
        wall_ms=1e3 * record.wall_time,
        test_loss=math.nan,
        test_accuracy=math.nan,
    )
    if problem.test is not None and not diverged and record.theta is not None:
        row.update(problem.test(record.theta))
    row.update(extra or {})
    return row


#: The columns of the per-seed evaluation table.
RUN_COLUMNS = [
    "problem",
    "method",
    "seed",
    "criterion",
    "final_loss",
    "gap",
    "steps_to_target",
    "diverged",
    "wall_ms",
    "test_loss",
    "test_accuracy",
]


def evaluate_config(space, config, problem, seeds):
    """One row per evaluation seed (:data:`RUN_COLUMNS`) for ``config``."""
    records, error = _try_runs(space, config, problem, seeds)
    if records is None:
        raise RuntimeError(f"{space.name} failed on {problem.name}: {error}")
    return [_run_row(problem, space.name, s, r) for s, r in zip(seeds, records)]


def lbfgs_baseline(problem, seeds, name="L-BFGS"):
    """SciPy's L-BFGS-B on a deterministic problem, one row per seed.

    The budget is ``problem.steps`` gradient evaluations after the one at θ0 (L-BFGS
    evaluates the loss and the gradient together, and its line search may spend several
    per iteration); the final loss is the lowest loss among them (the line search only
    accepts decreasing points), and the steps to the target count evaluations.
    """
    from scipy.optimize import minimize

    from .core import RunRecord

    if not problem.deterministic:
        raise ValueError(
            f"L-BFGS needs a deterministic problem, {problem.name!r} is not"
        )
    rows = []
    for seed in seeds:
        theta0 = np.array(problem.theta0(np.random.default_rng(seed)), dtype=float)
        seen, thetas = [], []

        def fun(th):
            f = float(problem.loss(th))
            seen.append(f)
            thetas.append(np.array(th))
            return f, np.asarray(problem.grad(th), dtype=float)

        start = time.perf_counter()
        with np.errstate(all="ignore"):
            try:
                minimize(
                    fun,
                    theta0,
                    jac=True,
                    method="L-BFGS-B",
                    options=dict(
                        maxfun=problem.steps + 1,
                        maxiter=problem.steps,
                        ftol=0.0,
                        gtol=0.0,
                    ),
                )
            except (ValueError, OverflowError, FloatingPointError):
                pass
        wall = time.perf_counter() - start
        seen = np.array(seen[: problem.steps + 1])
        # a non-finite trial point (0/0 once the gradient is exactly 0, or an overflow)
        # is never accepted by the line search: the run ends before it
        bad = np.flatnonzero(~np.isfinite(seen))
        if bad.size:
            seen = seen[: max(1, bad[0])]
        hit = np.flatnonzero(seen <= problem.target)
        reached = int(hit[0]) if hit.size else None
        if problem.criterion == "steps" and reached is not None:
            k = reached
        else:
            k = int(np.argmin(seen))
        final = seen[k]
        record = RunRecord(
            np.arange(len(seen)),
            seen,
            "diverged" if not np.isfinite(final) else "max_steps",
            reached,
            wall,
            thetas[k] if thetas else None,
        )
        record.losses = np.append(seen, final)  # final_loss reads the last entry
        rows.append(_run_row(problem, name, seed, record))
    return rows


# --------------------------------------------------------------------------------------------
# the whole study, in parallel
# --------------------------------------------------------------------------------------------
_STATE = {}  # problems and settings, inherited by forked workers


def _task(task):
    pname, mname = task
    problem, settings = _STATE["problems"][pname], _STATE["settings"]
    start, cpu = time.perf_counter(), time.process_time()
    with _one_thread():
        if mname == "L-BFGS":
            runs = lbfgs_baseline(problem, settings.eval_seeds)
            tuned = dict(
                config={},
                score=math.nan,
                rounds=0,
                edges={},
                space={},
                trials=[],
                failed=0,
                error="",
            )
        else:
            space = _STATE["spaces"][mname]
            # a turned problem draws the same trials as its twin: a method that commutes
            # with rotations then makes the same runs, turned, and must tune the same way
            twin = pname.removeprefix("rotated_")
            tuned = tune_random(space, problem, settings, key=f"{twin}/{mname}")
            if math.isfinite(tuned["score"]):
                runs = evaluate_config(
                    space, tuned["config"], problem, settings.eval_seeds
                )
            else:  # every configuration failed: the pair counts as failed on every seed
                runs = [
                    dict(
                        problem=pname,
                        method=mname,
                        seed=s,
                        criterion=problem.criterion,
                        final_loss=math.inf,
                        gap=math.inf,
                        steps_to_target=math.nan,
                        diverged=1,
                        wall_ms=math.nan,
                        test_loss=math.nan,
                        test_accuracy=math.nan,
                    )
                    for s in settings.eval_seeds
                ]
    tuned["seconds"] = time.perf_counter() - start
    tuned["cpu_seconds"] = time.process_time() - cpu
    return pname, mname, tuned, runs


class _Bar:
    """tqdm if it is installed, else a line of text per finished pair."""

    def __init__(self, total, enabled):
        self.enabled, self.total, self.n, self.bar = enabled, total, 0, None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=total, desc="study", unit="pair")
            except ImportError:
                self.bar = None

    def update(self, text):
        self.n += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(text)
            self.bar.update(1)
        else:
            width = 30
            done = int(width * self.n / self.total)
            print(
                f"\r[{'#' * done}{'.' * (width - done)}] {self.n}/{self.total} {text:40s}",
                end="",
                file=sys.stderr,
                flush=True,
            )

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            print(file=sys.stderr)


def _cost_hint(problem):
    return problem.steps * (20 if problem.stochastic else 1)


def run_study(problem_set, methods=None, settings=None, workers=1, progress=False):
    """Tune and evaluate every method of ``methods`` (names; default: every method of
    :data:`gdlib.benchmark.SPACES` that gdlib has) on every problem of ``problem_set``
    (a dict name → :class:`Problem`), plus the L-BFGS baseline on the deterministic
    problems. ``workers`` > 1 runs the pairs in that many forked processes.

    Returns a dict with ``runs`` (one row per pair and evaluation seed), ``tuned`` (one
    row per pair: configuration, score, rounds, edge flags, final space, seconds),
    ``trials`` (every random-search trial), ``settings`` and ``seconds``.
    """
    settings = settings or StudySettings()
    spaces = registry(methods)
    if not hasattr(problem_set, "items"):
        raise ValueError("problem_set must map names to benchmark Problems")
    tasks = [(p, m) for p in problem_set for m in spaces]
    if settings.baseline:
        tasks += [
            (p, "L-BFGS") for p, prob in problem_set.items() if prob.deterministic
        ]
    tasks.sort(key=lambda t: -_cost_hint(problem_set[t[0]]))
    _STATE.update(problems=problem_set, settings=settings, spaces=spaces)
    bar = _Bar(len(tasks), progress)
    results = []
    start = time.perf_counter()
    try:
        if workers > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(
                workers, mp_context=mp.get_context("fork")
            ) as pool:
                futures = [pool.submit(_task, t) for t in tasks]
                for fut in as_completed(futures):
                    results.append(fut.result())
                    bar.update(f"{results[-1][0]}/{results[-1][1]}")
        else:
            for t in tasks:
                results.append(_task(t))
                bar.update(f"{t[0]}/{t[1]}")
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    order = {
        t: i
        for i, t in enumerate((p, m) for p in problem_set for m in [*spaces, "L-BFGS"])
    }
    results.sort(key=lambda r: order[(r[0], r[1])])
    runs, tuned, trials = [], [], []
    for pname, mname, tr, rs in results:
        runs += rs
        tuned.append(
            dict(
                problem=pname,
                method=mname,
                config=json.dumps(tr["config"]),
                tune_score=tr["score"],
                rounds=tr["rounds"],
                edges=json.dumps(tr["edges"]),
                space=json.dumps(tr["space"], ensure_ascii=False),
                failed_trials=tr["failed"],
                error=tr["error"],
                seconds=tr["seconds"],
                cpu_seconds=tr["cpu_seconds"],
            )
        )
        trials += [
            dict(
                problem=pname,
                method=mname,
                round=t["round"],
                trial=t["trial"],
                config=json.dumps(t["config"]),
                score=t["score"],
            )
            for t in tr["trials"]
        ]
    return dict(
        runs=runs,
        tuned=tuned,
        trials=trials,
        settings=settings,
        seconds=elapsed,
        workers=workers,
    )


def write_study(result, directory, name="study", header=""):
    """Write ``<name>_runs.csv``, ``_tuned.csv``, ``_trials.csv``, ``_summary.csv``,
    ``<name>.md`` and ``<name>_meta.json`` under ``directory``; returns their paths."""
    import platform
    from pathlib import Path

    from .statistics import summarize
    from .tables import markdown_table, write_csv

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = [
        write_csv(result["runs"], d / f"{name}_runs.csv", RUN_COLUMNS),
        write_csv(result["tuned"], d / f"{name}_tuned.csv"),
        write_csv(result["trials"], d / f"{name}_trials.csv"),
    ]
    summary = summarize(result["runs"])
    paths.append(write_csv(summary, d / f"{name}_summary.csv"))
    meta = dict(
        settings={
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in asdict(result["settings"]).items()
        },
        seconds=result["seconds"],
        workers=result["workers"],
        python=platform.python_version(),
        numpy=np.__version__,
        pairs=len(result["tuned"]),
        runs=len(result["runs"])
        + sum(len(result["settings"].tune_seeds) for _ in result["trials"]),
    )
    (d / f"{name}_meta.json").write_text(json.dumps(meta, indent=1))
    paths.append(d / f"{name}_meta.json")
    cols = [
        "problem",
        "method",
        "gap",
        "gap_lo",
        "gap_hi",
        "steps",
        "reached",
        "test_accuracy",
        "test_accuracy_lo",
        "test_accuracy_hi",
        "diverged",
    ]
    tuned_cols = ["problem", "method", "config", "rounds", "edges", "failed_trials"]
    text = (
        header + "\n\n" if header else ""
    ) + "## Evaluation (95 % bootstrap intervals)\n\n"
    text += markdown_table(summary, cols) + "\n## Tuned configurations\n\n"
    text += markdown_table(result["tuned"], tuned_cols)
    (d / f"{name}.md").write_text(text)
    paths.append(d / f"{name}.md")
    return paths
