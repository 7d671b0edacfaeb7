"""Learning-rate schedules, schedules applied to any optimizer, and step-size searches.

A schedule is a function of a counter t = 0, 1, 2, ... (steps or epochs, as the caller
decides; for :func:`scheduled`, the number of steps already taken) that returns the
learning rate. Every schedule checks its parameters when it is made and the t it is
called with: t must be a finite real number ≥ 0, or an array of them (the schedule is
then evaluated element-wise); anything else raises a ``ValueError`` naming ``t``. For
every allowed t the rate is a finite number ≥ 0, never NaN or inf.

Split by theme (``import gdlib`` and ``gdlib.schedules.<name>`` are unchanged):

* :mod:`.decay` — constant, 1/t, step, exponential and Robbins–Monro decay;
* :mod:`.cyclic` — linear warm-up, cosine annealing, SGDR, one-cycle, warm-up + cosine;
* :mod:`.apply` — :func:`scheduled` (any optimizer under schedules) and
  :func:`lr_range_test`;
* :mod:`.search` — backtracking and golden-section line searches, a log grid of rates.
"""

from .apply import RangeTest, Scheduled, lr_range_test, scheduled
from .cyclic import cosine_annealing, linear_warmup, one_cycle, sgdr, warmup_cosine
from .decay import (
    constant,
    exponential_decay,
    robbins_monro,
    step_decay,
    time_based_decay,
)
from .search import LineSearchError, backtracking, golden_section, log_grid

__all__ = [
    "constant",
    "time_based_decay",
    "step_decay",
    "exponential_decay",
    "robbins_monro",
    "backtracking",
    "golden_section",
    "log_grid",
    "LineSearchError",
    "linear_warmup",
    "cosine_annealing",
    "sgdr",
    "one_cycle",
    "warmup_cosine",
    "scheduled",
    "Scheduled",
    "lr_range_test",
    "RangeTest",
]
