"""gdlib.parallel never hangs, rejects bad input by name, and reports the real cause of a failure.

One block per class of failure:

* bad arguments (NaN/inf/negative timeouts, bad counts, bad data) raise a ValueError naming
  the argument, in the caller, before any process starts;
* a worker that raises surfaces as a WorkerError (a RuntimeError) that contains the worker's
  own traceback; a worker killed by a signal is reported by name with its exit code; a stuck
  worker gives a TimeoutError after ``timeout`` seconds; after every failure no worker
  process is left behind, and workers do not outlive a caller that is killed;
* a scheduled Downpour run has exactly the staleness it was given, whatever the timing.

Every call that starts processes runs under :func:`finishes`, which fails the test instead
of hanging the test run if the call does not return.
"""

import math
import multiprocessing as mp
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import gdlib
import gdlib.parallel as par
from gdlib import GD, Adagrad, LogisticRegression, ravine

LIMIT = 120.0  # seconds: far beyond what any call below needs, even on a busy machine


def finishes(fn, *args, limit=LIMIT, **kwargs):
    """``fn(*args, **kwargs)`` run in a thread: its result, its exception re-raised, or a test
    failure if it has not returned after ``limit`` seconds (instead of hanging the test run)."""
    out = {}

    def target():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the test thread
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        pytest.fail(
            f"{getattr(fn, '__name__', fn)} did not return within {limit} s: it hangs"
        )
    if "error" in out:
        raise out["error"]
    return out["value"]


def no_children_left():
    """No worker process of ours is alive (joins the ones that just ended)."""
    deadline = time.monotonic() + 5.0
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return mp.active_children() == []


@pytest.fixture(scope="module")
def tiny():
    return par.make_sparse_logistic(n=400, d=200, k=3, seed=4)


@pytest.fixture(scope="module")
def cancer():
    data = gdlib.load_breast_cancer()
    return data.X_train, data.y_train


# --- 1. bad arguments: a ValueError that names the argument, before any process starts ------

BAD_TIMEOUTS = [math.nan, math.inf, -math.inf, -1.0, 0.0, 0, "10", None, True]


@pytest.mark.parametrize("bad", BAD_TIMEOUTS)
def test_hogwild_rejects_a_bad_timeout_or_poll(tiny, bad):
    for name in ("timeout", "poll"):
        with pytest.raises(ValueError, match=name):
            par.hogwild(tiny, n_workers=1, updates_per_worker=10, **{name: bad})
    assert mp.active_children() == []


@pytest.mark.parametrize("bad", BAD_TIMEOUTS)
def test_downpour_rejects_a_bad_timeout(cancer, bad):
    X, y = cancer
    with pytest.raises(ValueError, match="timeout"):
        par.downpour(
            GD(eta=0.1), LogisticRegression(), X, y, n_workers=1, updates=5, timeout=bad
        )
    assert mp.active_children() == []


def _hogwild_cases(p):
    return [
        ("n_workers", dict(n_workers=0)),
        ("n_workers", dict(n_workers=-1)),
        ("n_workers", dict(n_workers=2.0)),
        ("n_workers", dict(n_workers=par.MAX_WORKERS + 1)),
        ("n_workers", dict(n_workers=True)),
        ("updates_per_worker", dict(updates_per_worker=-1)),
        ("updates_per_worker", dict(updates_per_worker=1.5)),
        ("eta", dict(eta=0.0)),
        ("eta", dict(eta=-0.1)),
        ("eta", dict(eta=math.nan)),
        ("eta", dict(eta=math.inf)),
        ("seed", dict(seed=-1)),
        ("seed", dict(seed=0.5)),
        ("theta0", dict(theta0=np.zeros(p.d + 1))),
        ("theta0", dict(theta0=np.full(p.d, np.nan))),
        ("lock", dict(lock="yes")),
        ("start_method", dict(start_method="teleport")),
    ]


def test_hogwild_rejects_bad_counts_and_data(tiny):
    for name, kwargs in _hogwild_cases(tiny):
        with pytest.raises(ValueError, match=name):
            par.hogwild(tiny, **{"n_workers": 1, "updates_per_worker": 10, **kwargs})
    with pytest.raises(ValueError, match="problem"):
        par.hogwild(tiny.dense(), n_workers=1)
    assert mp.active_children() == []


def test_downpour_rejects_bad_counts_and_data(cancer):
    X, y = cancer
    Xn = X.copy()
    Xn[3, 2] = np.nan
    cases = [
        ("n_workers", dict(n_workers=0)),
        ("n_workers", dict(n_workers=par.MAX_WORKERS + 1)),
        ("updates", dict(updates=-1)),
        ("updates", dict(updates=2.5)),
        ("batch_size", dict(batch_size=0)),
        ("batch_size", dict(batch_size=len(y))),
        ("seed", dict(seed=-3)),
        ("record_every", dict(record_every=0)),
        ("record_every", dict(record_every=None)),
        ("worker_sleep", dict(worker_sleep=(0.0,))),
        ("worker_sleep", dict(worker_sleep=(0.0, -1.0))),
        ("worker_sleep", dict(worker_sleep=(0.0, math.nan))),
        ("X", dict(X=Xn)),
        ("X", dict(X=X[0])),
        ("y", dict(y=y[:-1])),
        ("y", dict(y=np.full(len(y), np.inf))),
        ("theta0", dict(theta0=np.zeros(3))),
        ("optimizer", dict(optimizer="adagrad")),
        ("model", dict(model=object())),
        ("delays", dict(delays=-1)),
        ("delays", dict(delays=np.ones(4, dtype=int))),
        ("delays", dict(delays=np.full(5, 1.5))),
        ("delays", dict(delays=np.array([0, 1, -1, 0, 0]))),
        ("order", dict(delays=0, order=[0, 1, 2, 0, 1])),
        ("order", dict(delays=0, order=[0, 1])),
        ("order", dict(order=[0, 1, 0, 1, 0])),  # order without delays
        ("start_method", dict(start_method="teleport")),
    ]
    for name, kwargs in cases:
        args = {
            "optimizer": Adagrad(eta=0.1),
            "model": LogisticRegression(),
            "X": X,
            "y": y,
            "n_workers": 2,
            "updates": 5,
            "batch_size": 8,
            **kwargs,
        }
        with pytest.raises(ValueError, match=name):
            par.downpour(**args)
    assert mp.active_children() == []


def test_the_other_functions_reject_bad_arguments(tiny):
    r = par.sgd_sparse(tiny, 10, eta=0.1)
    assert len(r[0]) == tiny.d
    cases = [
        ("n", lambda: par.make_sparse_logistic(n=0)),
        ("d", lambda: par.make_sparse_logistic(d=0)),
        ("k", lambda: par.make_sparse_logistic(d=5, k=6)),
        ("k", lambda: par.make_sparse_logistic(k=0)),
        ("seed", lambda: par.make_sparse_logistic(seed=-1)),
        ("idx", lambda: par.SparseLogistic(tiny.idx + 200, tiny.val, tiny.y, tiny.d)),
        (
            "idx",
            lambda: par.SparseLogistic(
                np.zeros((3, 2), dtype=int), np.ones((3, 2)), np.zeros(3), 4
            ),
        ),
        (
            "idx",
            lambda: par.SparseLogistic(
                tiny.idx.astype(float), tiny.val, tiny.y, tiny.d
            ),
        ),
        (
            "val",
            lambda: par.SparseLogistic(
                tiny.idx, np.full_like(tiny.val, np.nan), tiny.y, tiny.d
            ),
        ),
        ("y", lambda: par.SparseLogistic(tiny.idx, tiny.val, tiny.y + 2, tiny.d)),
        ("d", lambda: par.SparseLogistic(tiny.idx, tiny.val, tiny.y, 0)),
        (
            "problem",
            lambda: par.overlap_fraction(par.make_sparse_logistic(n=1, d=5, k=2)),
        ),
        ("n_updates", lambda: par.sgd_sparse(tiny, -1, eta=0.1)),
        ("eta", lambda: par.sgd_sparse(tiny, 10, eta=math.nan)),
        ("record_every", lambda: par.sgd_sparse(tiny, 10, eta=0.1, record_every=0)),
        ("theta0", lambda: par.sgd_sparse(tiny, 10, eta=0.1, theta0=np.zeros(3))),
        ("n_rows", lambda: par.downpour_shards(-1, 2)),
        ("n_workers", lambda: par.downpour_shards(10, 0)),
        ("compute_times", lambda: par.downpour_schedule([1.0, 0.0], 5)),
        ("compute_times", lambda: par.downpour_schedule([1.0, math.nan], 5)),
        ("compute_times", lambda: par.downpour_schedule([], 5)),
        ("updates", lambda: par.downpour_schedule([1.0], -1)),
        (
            "eta",
            lambda: par.easgd_step(
                np.zeros((2, 1)), np.zeros(1), np.zeros((2, 1)), eta=0.0, rho=1.0
            ),
        ),
        (
            "rho",
            lambda: par.easgd_step(
                np.zeros((2, 1)), np.zeros(1), np.zeros((2, 1)), eta=0.1, rho=-1.0
            ),
        ),
        (
            "g",
            lambda: par.easgd_step(
                np.zeros((2, 1)), np.zeros(1), np.zeros((3, 1)), eta=0.1, rho=1.0
            ),
        ),
        (
            "x",
            lambda: par.easgd_step(
                np.zeros((2, 1), dtype=int),
                np.zeros(1),
                np.zeros((2, 1)),
                eta=0.1,
                rho=1.0,
            ),
        ),
        ("n_workers", lambda: par.easgd(ravine.grad, [1.0, 1.0], n_workers=0)),
        ("steps", lambda: par.easgd(ravine.grad, [1.0, 1.0], steps=-1)),
        ("noise", lambda: par.easgd(ravine.grad, [1.0, 1.0], noise=math.inf)),
        ("spread", lambda: par.easgd(ravine.grad, [1.0, 1.0], spread=-1.0)),
        ("x0", lambda: par.easgd(ravine.grad, [math.nan, 1.0])),
        (
            "delays",
            lambda: par.run_delayed(GD(eta=0.01), ravine.grad, [1.0, 1.0], [0, -1]),
        ),
        (
            "delays",
            lambda: par.run_delayed(GD(eta=0.01), ravine.grad, [1.0, 1.0], [0.5, 1.0]),
        ),
        (
            "theta0",
            lambda: par.run_delayed(GD(eta=0.01), ravine.grad, [math.inf, 1.0], [0, 1]),
        ),
        ("optimizer", lambda: par.run_delayed("gd", ravine.grad, [1.0, 1.0], [0, 1])),
        ("start_method", lambda: par.get_context("teleport")),
        ("how", lambda: par.FaultyModel(how="explode")),
    ]
    for name, call in cases:
        with pytest.raises(ValueError, match=name):
            call()


# --- 2. failures tell the truth, nothing hangs, no process is left behind -------------------


def test_a_hogwild_worker_that_raises_is_reported_with_its_traceback(tiny):
    broken = par.FaultySparseLogistic(tiny.idx, tiny.val, tiny.y, tiny.d, how="raise")
    with pytest.raises(par.WorkerError) as info:
        finishes(par.hogwild, broken, n_workers=2, updates_per_worker=100, timeout=60)
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert (
        "Hogwild! worker" in message and "Traceback (most recent call last)" in message
    )
    assert (
        "InjectedFault: injected fault: FaultySparseLogistic received by a worker"
        in message
    )
    assert "_hogwild_worker" in message  # the frames of the worker, not the parent's
    assert (
        info.value.worker in (0, 1) and "InjectedFault" in info.value.worker_traceback
    )
    assert no_children_left()


def test_a_downpour_worker_that_raises_is_reported_with_its_traceback(cancer):
    X, y = cancer
    with pytest.raises(par.WorkerError) as info:
        finishes(
            par.downpour,
            Adagrad(eta=0.1),
            par.FaultyModel(after=3),
            X,
            y,
            n_workers=3,
            updates=100,
            batch_size=8,
            timeout=60,
        )
    message = str(info.value)
    assert (
        "Downpour worker" in message and "Traceback (most recent call last)" in message
    )
    assert "InjectedFault: injected fault: FaultyModel.grad, call 4" in message
    assert (
        "_downpour_worker" in message
        and "queue.Empty" not in message
        and "_queue.Empty" not in message
    )
    assert no_children_left()


def test_a_scheduled_downpour_worker_that_raises_is_reported_too(cancer):
    X, y = cancer
    with pytest.raises(par.WorkerError, match="FaultyModel.grad, call 1"):
        finishes(
            par.downpour,
            Adagrad(eta=0.1),
            par.FaultyModel(after=0),
            X,
            y,
            n_workers=2,
            updates=20,
            batch_size=8,
            delays=1,
            timeout=60,
        )
    assert no_children_left()


@pytest.mark.parametrize("algorithm", ["hogwild", "downpour"])
def test_a_worker_killed_by_a_signal_is_named_with_its_exit_code(
    tiny, cancer, algorithm
):
    if algorithm == "hogwild":
        broken = par.FaultySparseLogistic(
            tiny.idx, tiny.val, tiny.y, tiny.d, how="kill"
        )
        call = lambda: par.hogwild(
            broken, n_workers=2, updates_per_worker=100, timeout=60
        )
    else:
        X, y = cancer
        call = lambda: par.downpour(
            Adagrad(eta=0.1),
            par.FaultyModel(after=2, how="kill"),
            X,
            y,
            n_workers=2,
            updates=50,
            batch_size=8,
            timeout=60,
        )
    with pytest.raises(
        par.WorkerError,
        match=r"worker [01] \(pid \d+\) was killed by signal SIGKILL "
        r"\(exit code -9\)",
    ) as info:
        finishes(call)
    assert info.value.exitcode == -9 and info.value.worker_traceback is None
    assert no_children_left()


def test_a_stuck_hogwild_worker_gives_a_timeout_not_a_hang(tiny):
    stuck = par.FaultySparseLogistic(tiny.idx, tiny.val, tiny.y, tiny.d, how="hang")
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="did not start within 1 s"):
        finishes(par.hogwild, stuck, n_workers=2, updates_per_worker=100, timeout=1.0)
    assert time.monotonic() - t0 < LIMIT
    assert no_children_left()  # the stuck workers were terminated


def test_a_stuck_downpour_worker_gives_a_timeout_not_a_hang(cancer):
    X, y = cancer
    with pytest.raises(TimeoutError, match="received no message for 1 s"):
        finishes(
            par.downpour,
            Adagrad(eta=0.1),
            par.FaultyModel(after=0, how="hang"),
            X,
            y,
            n_workers=2,
            updates=20,
            batch_size=8,
            timeout=1.0,
        )
    assert no_children_left()


ORPHAN_SCRIPT = """
import os, signal, threading, time, multiprocessing as mp
import gdlib, gdlib.parallel as par
if __name__ == "__main__":
    data = gdlib.load_breast_cancer()
    threading.Thread(target=par.downpour, daemon=True,
                     args=(gdlib.Adagrad(eta=0.1), gdlib.LogisticRegression(), data.X_train, data.y_train),
                     kwargs=dict(n_workers=2, updates=10**9, batch_size=8, worker_sleep=(0.01, 0.01))).start()
    while len(mp.active_children()) < 2:
        time.sleep(0.05)
    time.sleep(0.5)
    print(" ".join(str(p.pid) for p in mp.active_children()), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)           # the caller dies without any clean-up
"""


def _running(pid):
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_do_not_outlive_a_caller_that_is_killed(tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(ORPHAN_SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=LIMIT
    )
    assert out.returncode == -signal.SIGKILL
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 30.0  # they notice within about a second
    while any(_running(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(p) for p in pids)


def test_the_next_call_after_a_failure_works(tiny):
    broken = par.FaultySparseLogistic(tiny.idx, tiny.val, tiny.y, tiny.d, how="raise")
    with pytest.raises(par.WorkerError):
        finishes(par.hogwild, broken, n_workers=2, updates_per_worker=10)
    r = finishes(par.hogwild, tiny, n_workers=2, updates_per_worker=200, seed=1)
    assert list(r.updates) == [200, 200]
    assert no_children_left()


# --- 3. a scheduled Downpour server imposes exactly the staleness it is given --------------


@pytest.mark.parametrize(
    "n_workers, times, updates",
    [(1, (1,), 30), (3, (1, 1, 1), 90), (3, (1, 1, 4), 90), (4, (3, 1, 2, 5), 70)],
)
def test_scheduled_downpour_has_exactly_the_staleness_of_the_schedule(
    cancer, n_workers, times, updates
):
    X, y = cancer
    order, delays = par.downpour_schedule(times, updates)
    r = finishes(
        par.downpour,
        Adagrad(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=n_workers,
        updates=updates,
        batch_size=8,
        seed=2,
        delays=delays,
        order=order,
    )
    assert r.scheduled and len(r.staleness) == updates
    assert np.array_equal(r.staleness, delays) and np.array_equal(r.worker, order)
    assert np.array_equal(r.pushes, np.bincount(order, minlength=n_workers))
    assert no_children_left()


def test_arbitrary_injected_delays_are_applied_exactly_and_capped_at_the_start(cancer):
    X, y = cancer
    delays = np.random.default_rng(5).integers(0, 12, size=80)
    order = np.random.default_rng(6).integers(0, 3, size=80)
    r = finishes(
        par.downpour,
        GD(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=3,
        updates=80,
        batch_size=8,
        delays=delays,
        order=order,
    )
    assert np.array_equal(
        r.staleness, np.minimum(delays, np.arange(80))
    )  # update t cannot look before theta_0
    assert np.array_equal(r.worker, order)
    const = finishes(
        par.downpour,
        GD(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=2,
        updates=40,
        batch_size=8,
        delays=5,
    )
    assert np.array_equal(const.staleness, np.minimum(5, np.arange(40)))
    assert np.array_equal(const.worker, np.arange(40) % 2)  # round robin by default


def test_a_scheduled_run_does_not_depend_on_timing(cancer):
    # the same schedule with one worker slowed down, and with the roles of fast and slow swapped
    X, y = cancer
    order, delays = par.downpour_schedule((1, 1, 4), 60)
    runs = [
        finishes(
            par.downpour,
            Adagrad(eta=0.1),
            LogisticRegression(),
            X,
            y,
            n_workers=3,
            updates=60,
            batch_size=8,
            seed=3,
            delays=delays,
            order=order,
            worker_sleep=sleep,
        )
        for sleep in [None, (0.0, 0.0, 0.003), (0.003, 0.0, 0.0)]
    ]
    for r in runs[1:]:
        assert np.array_equal(r.theta, runs[0].theta)
        assert np.array_equal(r.losses, runs[0].losses)
        assert np.array_equal(r.staleness, runs[0].staleness)


def test_easgd_that_overflows_stops_as_diverged_without_nan():
    # x' = x − η(2x + ρ(x − c)) on J = x²: with η = 1e154 the first step overflows.
    r = par.easgd(lambda x: 2 * x, [1e200], n_workers=2, steps=5, eta=1e154, rho=1.0)
    assert r.status == "diverged" and "step 1" in r.message
    assert r.workers.shape == (1, 2, 1) and np.all(np.isfinite(r.workers))


def test_easgd_names_a_gradient_function_that_returns_nan():
    with pytest.raises(ValueError, match="grad_fn returned NaN or inf at step 1"):
        par.easgd(lambda x: x * np.nan, [1.0], n_workers=2, steps=3)


def test_run_delayed_stops_at_the_step_the_optimizer_refuses():
    # GD with η = 1e300 on J = x² from x = 1e10: the first update overflows and is refused.
    path = par.run_delayed(gdlib.GD(eta=1e300), lambda x: 2 * x, [1e10], [0, 0, 0])
    np.testing.assert_array_equal(path, [[1e10]])
