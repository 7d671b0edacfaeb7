"""Processes for the parallel algorithms: argument checks, start method, workers that report
their own failures, and clean shutdown."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import traceback

import numpy as np

from ..base import check_int, check_real

#: system has it (Linux, macOS), else "spawn" (Windows).
START_METHOD = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"

#: Seconds any single wait (for a worker to start, for a message, for a join) may last.
TIMEOUT = 60.0

#: The most worker processes one call may start (a guard against a typo starting thousands).
MAX_WORKERS = 64

_MAX_TRACEBACK = 20000  # characters of a worker's traceback sent to the parent


# ----------------------------------------------------------------------------------------
# Checks of the arguments (in the parent, before any process starts)
# ----------------------------------------------------------------------------------------


def _check_timeout(name, value):
    """A timeout or polling interval: a finite number of seconds > 0 (NaN would disable it)."""
    return check_real(name, value, 0.0, low_open=True)


def _check_workers(n_workers, most=MAX_WORKERS):
    n_workers = check_int("n_workers", n_workers, 1)
    if n_workers > most:
        raise ValueError(
            f"n_workers must be an integer in [1, {most}], got {n_workers}"
        )
    return n_workers


def _check_array(name, value, ndim=None, shape=None, finite=True, integer=False):
    """``value`` as a numpy array (float64, or int64 if ``integer``), or a ValueError naming ``name``."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (not integer and np.issubdtype(arr.dtype, np.floating))
    ):
        kind = "integers" if integer else "real numbers"
        raise ValueError(f"{name} must be an array of {kind}, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {arr.shape}")
    arr = arr.astype(np.int64 if integer else np.float64)
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite: it contains NaN or inf")
    return arr


def _check_nonnegative_ints(name, value, length=None):
    """A 1-D array of integers >= 0 (delays, a worker order...)."""
    arr = _check_array(name, value, ndim=1, integer=True)
    if length is not None and len(arr) != length:
        raise ValueError(f"{name} must have length {length}, got {len(arr)}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold integers >= 0, got {int(arr.min())}")
    return arr


def _check_seed(seed):
    return check_int("seed", seed, 0)


def _check_start_method(method):
    if method is not None and method not in mp.get_all_start_methods():
        raise ValueError(
            f"start_method must be None or one of {mp.get_all_start_methods()}, got {method!r}"
        )
    return method


def get_context(method=None):
    """The multiprocessing context for ``method`` (default :data:`START_METHOD`).

    For ``"forkserver"`` the fork server is asked to import this module once, so every
    worker it forks afterwards starts with numpy and gdlib already loaded.
    """
    ctx = mp.get_context(_check_start_method(method) or START_METHOD)
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload(["gdlib.parallel"])
    return ctx


# ----------------------------------------------------------------------------------------
# Worker processes that report their own failures
# ----------------------------------------------------------------------------------------


class WorkerError(RuntimeError):
    """A worker process failed. ``worker`` is its index, ``exitcode`` its exit code (negative:
    killed by that signal) and ``worker_traceback`` the traceback it sent, if it could send one."""

    def __init__(self, message, worker, exitcode=None, worker_traceback=None):
        super().__init__(message)
        self.worker, self.exitcode, self.worker_traceback = (
            worker,
            exitcode,
            worker_traceback,
        )


def _run_worker(target, errors, *args):
    """Run ``target(*args)`` in a worker; if it raises, send the traceback on ``errors``, exit 1."""
    try:
        target(*args)
    except BaseException:
        try:
            errors.send(traceback.format_exc()[-_MAX_TRACEBACK:])
        except OSError:  # the parent is gone: nobody to tell
            pass
        errors.close()
        os._exit(1)  # no second report on stderr, no cleanup races
    errors.close()


def _parent_alive(pid):
    """Whether the process ``pid`` (the caller that started the workers) still exists."""
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by another user
        return True
    return True


def _await(ready, parent_pid, timeout, what):
    """Wait in a worker until ``ready(seconds)`` is true.

    The parent enforces the timeouts (it stops the workers when one runs out), so a worker
    waits as long as its parent lives: a wait that is legitimately long, such as a scheduled
    Downpour worker's wait for its turn, never fails spuriously, and an orphaned worker exits
    within a second. Where the parent cannot be checked (Windows), ``timeout`` applies.
    """
    deadline = time.monotonic() + timeout
    while not ready(1.0):
        if not _parent_alive(parent_pid):
            raise RuntimeError(
                f"the parent process {parent_pid} is gone while this worker waited for {what}"
            )
        if os.name == "nt" and time.monotonic() > deadline:  # pragma: no cover
            raise TimeoutError(f"no {what} within {timeout:g} s")


def _exit_description(code):
    if code is not None and code < 0:
        try:
            return (
                f"was killed by signal {signal.Signals(-code).name} (exit code {code})"
            )
        except ValueError:
            return f"was killed by signal {-code} (exit code {code})"
    return f"exited with code {code} without reporting an error"


class _Workers:
    """A group of worker processes, each with a pipe on which it reports its traceback."""

    def __init__(self, ctx, target, label, args_per_worker):
        self.label = label
        self.procs, self.errors, self._send_ends = [], [], []
        for w, args in enumerate(args_per_worker):
            receive, send = ctx.Pipe(duplex=False)
            self.errors.append(receive)
            self._send_ends.append(send)
            self.procs.append(
                ctx.Process(
                    target=_run_worker,
                    name=f"{label} worker {w}",
                    daemon=True,
                    args=(target, send) + tuple(args),
                )
            )

    def start(self):
        for p in self.procs:
            p.start()
        for send in self._send_ends:  # the children hold their own copies now
            send.close()

    @staticmethod
    def _report(conn):
        try:
            return conn.recv() if conn.poll() else None
        except (EOFError, OSError):  # closed without a report
            return None

    def check(self):
        """Raise a :class:`WorkerError` if a worker reported an exception or died."""
        for w, (p, conn) in enumerate(zip(self.procs, self.errors)):
            code = (
                p.exitcode if p.pid is not None else None
            )  # read the code before the pipe
            report = self._report(conn)
            if report is not None:
                raise WorkerError(
                    f"{p.name} (pid {p.pid}) raised an exception; its traceback:\n{report}",
                    w,
                    code,
                    report,
                )
            if code not in (None, 0):
                raise WorkerError(
                    f"{p.name} (pid {p.pid}) {_exit_description(code)}", w, code
                )

    def all_done(self):
        return all(p.exitcode is not None for p in self.procs)

    def stop(self, timeout):
        """Join every worker; terminate (then kill) those still alive after ``timeout`` seconds."""
        _stop(self.procs, timeout)
        for conn in self.errors:
            conn.close()


def _stop(processes, timeout=5.0):
    """Join every process; terminate (then kill) those still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for p in processes:
        if p.pid is None:  # never started
            continue
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.terminate()
            p.join(2.0)
        if p.is_alive():  # pragma: no cover - last resort
            p.kill()
            p.join(2.0)


def _wait_ready(semaphore, n, timeout, workers):
    """Wait until ``n`` workers have released ``semaphore`` (each does so once it is running)."""
    deadline = time.monotonic() + timeout
    for _ in range(n):
        while not semaphore.acquire(timeout=0.05):
            workers.check()
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{workers.label} workers did not start within {timeout:g} s"
                )
