"""Benchmarks of the book's optimizers, split by theme.

* :mod:`~gdlib.benchmark.core`: the protocol (:class:`Problem`, :class:`Method`, one seeded
  :func:`run_problem`) and the η-grid tuner of the first edition (:func:`tune`,
  :func:`evaluate`, :func:`benchmark`).
* :mod:`~gdlib.benchmark.problems`: the problems (:func:`problems`).
* :mod:`~gdlib.benchmark.spaces`: the method registry and every method's search space,
  written down in one table (:data:`SPACES`), and the warm-up + cosine schedule.
* :mod:`~gdlib.benchmark.study`: random search over all hyperparameters with the same
  budget for every method, edge checks that extend a space, evaluation on separate seeds,
  the L-BFGS baseline (:func:`run_study`).
* :mod:`~gdlib.benchmark.statistics`: bootstrap confidence intervals and Dolan–Moré
  performance profiles.
* :mod:`~gdlib.benchmark.tables`: CSV and Markdown.

Everything is re-exported here, so ``gdlib.benchmark.<name>`` keeps working.
"""

from . import core, spaces, statistics, study, tables
from .core import (
    COLUMNS,
    Method,
    Problem,
    RunRecord,
    TuneResult,
    benchmark,
    evaluate,
    methods,
    run_problem,
    tune,
)
from .problems import KNOWN, LEGACY_PROBLEMS, PROBLEMS, problems
from .spaces import SPACES, Dim, Space, make_method, registry, warmup_cosine
from .statistics import bootstrap_ci, performance_profile, profile_bands, summarize
from .study import StudySettings, lbfgs_baseline, run_study, tune_random, write_study
from .tables import markdown_table, read_csv, read_table, write_csv, write_table

__all__ = [
    "Problem",
    "Method",
    "RunRecord",
    "TuneResult",
    "methods",
    "problems",
    "PROBLEMS",
    "LEGACY_PROBLEMS",
    "KNOWN",
    "run_problem",
    "tune",
    "evaluate",
    "benchmark",
    "write_table",
    "read_table",
    "markdown_table",
    "write_csv",
    "read_csv",
    "COLUMNS",
    "SPACES",
    "Dim",
    "Space",
    "registry",
    "make_method",
    "warmup_cosine",
    "bootstrap_ci",
    "summarize",
    "performance_profile",
    "profile_bands",
    "StudySettings",
    "tune_random",
    "run_study",
    "lbfgs_baseline",
    "write_study",
    "core",
    "spaces",
    "statistics",
    "study",
    "tables",
]
