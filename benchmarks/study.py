"""The which-optimizer study of the chapter "Which optimizer should I use?".

Every optimizer gdlib has (the methods of ``gdlib.benchmark.SPACES``) is tuned on every
problem of ``gdlib.benchmark.problems()`` by random search over all its
hyperparameters and a warm-up + cosine schedule switch, with the same number of trials
for every method; spaces whose tuned value sits on an extendable edge are widened and
searched again; the winner is evaluated on ten seeds the tuning never saw. L-BFGS runs
as an untuned baseline on the deterministic problems. Results go to
``benchmarks/results/study_*`` (per-seed runs, tuned configurations, every trial, a
summary with bootstrap intervals, and a Markdown report), which the chapter reads.

Run from the repository root::

    python benchmarks/study.py                 # the full study (2 processes, fitted to 55 min)
    python benchmarks/study.py --reduced       # the committed reduced study (minutes)
    python benchmarks/study.py --quick         # a smoke test (seconds)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import gdlib
from gdlib import benchmark as B

RESULTS = Path(__file__).resolve().parent / "results"

PRESETS = {
    # the full study: up to 60 trials per pair and round (fewer if --minutes requires),
    # 2 tuning seeds, 10 evaluation seeds, up to 3 extensions of a space
    "full": dict(
        trials=60,
        tune_seeds=(0, 1),
        eval_seeds=tuple(range(100, 110)),
        max_extensions=3,
    ),
    # what is committed until the full study has run: fewer trials, the same seeds
    "reduced": dict(
        trials=8, tune_seeds=(0, 1), eval_seeds=tuple(range(100, 110)), max_extensions=1
    ),
    "quick": dict(
        trials=3, tune_seeds=(0,), eval_seeds=(100, 101, 102), max_extensions=1
    ),
}


#: Mean rounds of search per pair, measured: 53 of 162 pairs of the reduced study were
#: extended once (1.33 rounds); 2 leaves room for the full study's extra extensions.
ROUNDS = 2.0


def calibrate(problem_set, methods, settings, workers, minutes):
    """Time two runs of every pair (random configurations, tuning seed 0; the slower
    counts) and return the largest number of trials, at most ``settings.trials``, for
    which the predicted time fits in ``minutes``, with the prediction."""
    per_run = 0.0
    for prob in problem_set.values():
        for space in B.registry(methods).values():
            rng = np.random.default_rng(0)
            slowest = 0.0
            for _ in range(2):
                method, eta = B.make_method(space, space.sample(rng), prob)
                start = time.process_time()
                try:
                    B.run_problem(method, eta, prob, 0)
                except Exception:  # noqa: BLE001 - a failing configuration costs little
                    pass
                slowest = max(slowest, time.process_time() - start)
            per_run += slowest

    def predicted(trials):
        runs = trials * len(settings.tune_seeds) * ROUNDS + len(settings.eval_seeds)
        return per_run * runs / workers

    trials = settings.trials
    while trials > 4 and predicted(trials) > 60 * minutes:
        trials -= 1
    return trials, predicted(trials)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--reduced", action="store_true", help="fewer trials (minutes)")
    group.add_argument("--quick", action="store_true", help="a smoke test (seconds)")
    parser.add_argument(
        "--trials", type=int, help="random-search trials per pair and round"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--problems", nargs="*", help="problem names (default: all)")
    parser.add_argument(
        "--methods", nargs="*", help="method names (default: all in gdlib)"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every budget"
    )
    parser.add_argument("--out", default=str(RESULTS), help="output directory")
    parser.add_argument(
        "--minutes",
        type=float,
        default=None,
        help="time budget: measure every pair once and lower the trials to fit "
        "(default: 55 for the full study, none otherwise)",
    )
    parser.add_argument("--name", default="study", help="file name stem")
    args = parser.parse_args(argv)

    preset = "quick" if args.quick else "reduced" if args.reduced else "full"
    kw = dict(PRESETS[preset], scale=args.scale)
    if args.trials:
        kw["trials"] = args.trials
    settings = B.StudySettings(**kw, notes=dict(preset=preset))
    problem_set = B.problems(args.problems, scale=args.scale)
    if args.quick and not args.problems:
        problem_set = B.problems(["ravine", "saddle", "logistic"], scale=0.5)
    methods = args.methods or (["GD", "Momentum", "Adam"] if args.quick else None)

    minutes = (
        args.minutes if args.minutes is not None else 55 if preset == "full" else None
    )
    if minutes:
        trials, seconds = calibrate(
            problem_set, methods, settings, args.workers, minutes
        )
        print(
            f"calibration: {trials} trials per pair and round, predicted {seconds / 60:.0f} min "
            f"on {args.workers} processes (budget {minutes:g} min)",
            file=sys.stderr,
        )
        settings.trials = trials
        settings.notes["predicted_minutes"] = round(seconds / 60, 1)

    start = time.perf_counter()
    result = B.run_study(
        problem_set, methods, settings, workers=args.workers, progress=True
    )
    elapsed = time.perf_counter() - start
    s = result["settings"]
    n_methods = len({r["method"] for r in result["tuned"]})
    header = (
        f"# The which-optimizer study ({preset}; gdlib {gdlib.__version__})\n\n"
        f"{len(problem_set)} problems × {n_methods} methods (L-BFGS untuned, deterministic "
        f"problems only); random search with {s.trials} trials per pair and round, tuning "
        f"seeds {list(s.tune_seeds)}, at most {s.max_extensions} extensions of a space; "
        f"evaluation seeds {list(s.eval_seeds)}. {elapsed:.0f} s with {args.workers} "
        f"processes. Command: `python benchmarks/study.py {' '.join(argv or sys.argv[1:])}`."
    )
    paths = B.write_study(result, args.out, args.name, header=header)
    print(
        f"wrote {', '.join(p.name for p in paths)} in {elapsed:.0f} s", file=sys.stderr
    )


if __name__ == "__main__":
    main()
