"""The η-only benchmark of the first edition of "Which optimizer should I use?".

Superseded by ``benchmarks/study.py`` (every hyperparameter tuned by random search,
bootstrap intervals, performance profiles); kept to reproduce the old protocol. Every method of gdlib (the 14 optimizers and plain SGD with a 1/t learning-rate
decay) on every problem of ``gdlib.benchmark.LEGACY_PROBLEMS``, with the learning
rate tuned on a log grid from 1e-4 to 10 (three values per decade) on three
tuning seeds, then evaluated at the chosen rate on five fresh seeds. Writes
``benchmarks/results/full.csv`` and ``full.md`` (and ``full_tuning.csv``: the
mean score of every grid value, for the learning-rate plots).

Run from the repository root::

    python benchmarks/suite.py            # the full grid (a few minutes on one core)
    python benchmarks/suite.py --quick    # a smoke test: two problems, three methods
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path

import numpy as np

import gdlib
from gdlib import benchmark as B

RESULTS = Path(__file__).resolve().parent / "results"
GRID = dict(low=1e-4, high=10.0, per_decade=3)
TUNE_SEEDS = (0, 1, 2)
EVAL_SEEDS = (100, 101, 102, 103, 104)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test on a small subset"
    )
    parser.add_argument(
        "--out", default=str(RESULTS / "full"), help="output path without suffix"
    )
    args = parser.parse_args(argv)

    grid = gdlib.log_grid(**GRID)
    if args.quick:
        problem_set = B.problems(["ravine", "saddle"])
        method_set = B.methods(["GD", "Momentum", "Adam"])
        tune_seeds, eval_seeds = TUNE_SEEDS[:2], EVAL_SEEDS[:2]
    else:
        problem_set, method_set = B.problems(B.LEGACY_PROBLEMS), B.methods()
        tune_seeds, eval_seeds = TUNE_SEEDS, EVAL_SEEDS

    start = time.perf_counter()
    rows, details = B.benchmark(
        problem_set,
        method_set,
        grid,
        tune_seeds,
        eval_seeds,
        progress=lambda msg: print(msg, flush=True),
    )
    elapsed = time.perf_counter() - start

    header = (
        f"# Optimizer benchmark (gdlib {gdlib.__version__})\n\n"
        f"Learning rate tuned on log_grid({GRID['low']:g}, {GRID['high']:g}, "
        f"{GRID['per_decade']}) ({len(grid)} values) on tuning seeds {list(tune_seeds)}; "
        f"mean ± std over evaluation seeds {list(eval_seeds)}. "
        f"{len(problem_set)} problems × {len(method_set)} methods in {elapsed:.0f} s "
        f"(Python {platform.python_version()}, numpy {np.__version__}, one BLAS thread). "
        "`gap` is final loss − f_min (for the MLP, the final loss itself); `steps_to_target` "
        "averages the seeds that reached the target; `wall_ms` times the updates only."
    )
    csv_path, md_path = B.write_table(rows, args.out, header=header)
    with open(
        Path(args.out).with_name(Path(args.out).name + "_tuning.csv"), "w", newline=""
    ) as f:
        writer = csv.writer(f)
        writer.writerow(["problem", "method", "eta", "mean_score"])
        for (pname, mname), d in details.items():
            for eta, score in zip(d["tune"].grid, d["tune"].scores):
                writer.writerow([pname, mname, repr(float(eta)), repr(float(score))])
    print(f"wrote {csv_path} and {md_path} in {elapsed:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
