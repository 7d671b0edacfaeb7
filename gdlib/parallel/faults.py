"""Test hooks: a model and a problem that fail on purpose inside a worker (raise, die, hang)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from ..base import check_int
from .hogwild import SparseLogistic

# ----------------------------------------------------------------------------------------
# Test doubles: workers that fail on purpose (used by the test-suite only)
# ----------------------------------------------------------------------------------------


class InjectedFault(RuntimeError):
    """The exception :class:`FaultyModel` and :class:`FaultySparseLogistic` raise on purpose."""


_FAULTS = ("raise", "kill", "hang")


def _inject(how, where):
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "hang":
        time.sleep(3600)  # a worker stuck forever (until terminated)
    raise InjectedFault(f"injected fault: {where}")


class FaultyModel:
    """FOR TESTS ONLY: a :class:`gdlib.LogisticRegression` whose ``grad`` fails on purpose.

    The first ``after`` calls of ``grad`` (in each process) work; the next one raises
    :class:`InjectedFault` (``how="raise"``), kills its own process with SIGKILL
    (``how="kill"``) or sleeps for an hour (``how="hang"``). It lives in this module so that
    every start method can import it.
    """

    def __init__(self, after=0, how="raise"):
        from ..models import LogisticRegression

        self.after = check_int("after", after, 0)
        if how not in _FAULTS:
            raise ValueError(f"how must be one of {_FAULTS}, got {how!r}")
        self.how, self.calls, self.base = how, 0, LogisticRegression()

    def init(self, n_features):
        return self.base.init(n_features)

    def loss(self, theta, X, y):
        return self.base.loss(theta, X, y)

    def grad(self, theta, X, y):
        self.calls += 1
        if self.calls > self.after:
            _inject(self.how, f"FaultyModel.grad, call {self.calls}")
        return self.base.grad(theta, X, y)


@dataclass
class FaultySparseLogistic(SparseLogistic):
    """FOR TESTS ONLY: a :class:`SparseLogistic` that fails when a worker process receives it.

    Unpickling it (which happens in each Hogwild! worker, never in the caller) raises
    :class:`InjectedFault` (``how="raise"``), kills that process with SIGKILL (``how="kill"``)
    or sleeps for an hour (``how="hang"``).
    """

    how: str = "raise"

    def __post_init__(self):
        super().__post_init__()
        if self.how not in _FAULTS:
            raise ValueError(f"how must be one of {_FAULTS}, got {self.how!r}")

    def __setstate__(self, state):
        self.__dict__.update(state)
        _inject(self.how, "FaultySparseLogistic received by a worker")
