"""Parallel and distributed SGD on real operating-system processes.

The chapter "Parallel and distributed SGD" runs every algorithm here for real:

* :func:`hogwild` -- Hogwild! (Niu, Recht, Ré & Wright, 2011): several processes run SGD on
  ONE parameter vector in shared memory and write to it without any lock;
* :func:`downpour` -- Downpour SGD (Dean et al., 2012): worker processes pull the parameters
  from a parameter server, compute a mini-batch gradient on their own shard of the data and
  push it back; the server applies Adagrad and records how stale every gradient was. Given
  a schedule (:func:`downpour_schedule`), the server instead imposes the staleness of
  every update, so that the run is reproducible to the last bit;
* :func:`easgd_step` / :func:`easgd` -- synchronous Elastic Averaging SGD (Zhang, Choromanska
  & LeCun, 2015), a deterministic simulation of p workers tied to a centre variable;
* :func:`run_delayed` -- a simulated delay: the gradient applied at step t was computed
  τ_t steps earlier (the setting of McMahan & Streeter, 2014).

Processes are started with the ``"forkserver"`` start method by default (:data:`START_METHOD`;
``"spawn"`` where there is no fork server): a clean single-threaded server process, started
once, imports this module and forks every worker from itself. Unlike ``"fork"`` this never
copies a multi-threaded parent such as a Jupyter kernel, and unlike ``"spawn"`` a worker does
not pay for a fresh interpreter and fresh imports. Either way, worker functions must be
importable, so they are module-level functions of this module.

Nothing here may hang, and a failure must say what went wrong:

* every argument is checked in the calling process, and a bad one raises a ``ValueError``
  that names it and its allowed range;
* every wait of the calling process has a finite timeout (:data:`TIMEOUT` by default), so
  a stuck worker raises a ``TimeoutError`` in the caller instead of hanging it; the workers
  wait only as long as the caller lives, so none outlives it for more than a second;
* a worker that raises sends its formatted traceback to the parent before it exits, and
  the parent raises a :class:`WorkerError` (a ``RuntimeError``) that contains it; a worker
  that dies without a word (killed by a signal, say) is reported with its name, its process
  id and its exit code;
* every function that starts processes stops them in a ``finally`` block (terminating any
  that do not finish in time), so no process outlives the call, whatever happened.

>>> import numpy as np
>>> x, c = np.array([[1.0], [3.0]]), np.array([0.0])        # two workers and the centre
>>> easgd_step(x, c, g=np.zeros_like(x), eta=0.5, rho=0.5)  # alpha = eta * rho = 0.25
(array([[0.75],
       [2.25]]), array([1.]))
"""
from __future__ import annotations

import heapq
import math
import multiprocessing as mp
import os
import pickle
import queue
import signal
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from .base import Optimizer, check_int, check_real

__all__ = [
    "START_METHOD", "TIMEOUT", "MAX_WORKERS", "get_context", "WorkerError", "SparseLogistic",
    "make_sparse_logistic", "overlap_fraction", "sgd_sparse", "hogwild", "HogwildResult", "downpour",
    "DownpourResult", "downpour_shards", "downpour_schedule", "easgd_step", "easgd", "EASGDResult",
    "run_delayed", "InjectedFault", "FaultyModel", "FaultySparseLogistic",
]

#: The multiprocessing start method used when none is given: "forkserver" where the operating
#: system has it (Linux, macOS), else "spawn" (Windows).
START_METHOD = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"

#: Seconds any single wait (for a worker to start, for a message, for a join) may last.
TIMEOUT = 60.0

#: The most worker processes one call may start (a guard against a typo starting thousands).
MAX_WORKERS = 64

_MAX_TRACEBACK = 20000          # characters of a worker's traceback sent to the parent


# ----------------------------------------------------------------------------------------
# Checks of the arguments (in the parent, before any process starts)
# ----------------------------------------------------------------------------------------

def _check_timeout(name, value):
    """A timeout or polling interval: a finite number of seconds > 0 (NaN would disable it)."""
    return check_real(name, value, 0.0, low_open=True)


def _check_workers(n_workers, most=MAX_WORKERS):
    n_workers = check_int("n_workers", n_workers, 1)
    if n_workers > most:
        raise ValueError(f"n_workers must be an integer in [1, {most}], got {n_workers}")
    return n_workers


def _check_array(name, value, ndim=None, shape=None, finite=True, integer=False):
    """``value`` as a numpy array (float64, or int64 if ``integer``), or a ValueError naming ``name``."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:              # ragged lists and the like
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer)
                                 or (not integer and np.issubdtype(arr.dtype, np.floating))):
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
        raise ValueError(f"start_method must be None or one of {mp.get_all_start_methods()}, got {method!r}")
    return method


def get_context(method=None):
    """The multiprocessing context for ``method`` (default :data:`START_METHOD`).

    For ``"forkserver"`` the fork server is asked to import this module once, so every
    worker it forks afterwards starts with numpy and gdlib already loaded.
    """
    ctx = mp.get_context(_check_start_method(method) or START_METHOD)
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__])
    return ctx


# ----------------------------------------------------------------------------------------
# Worker processes that report their own failures
# ----------------------------------------------------------------------------------------

class WorkerError(RuntimeError):
    """A worker process failed. ``worker`` is its index, ``exitcode`` its exit code (negative:
    killed by that signal) and ``worker_traceback`` the traceback it sent, if it could send one."""

    def __init__(self, message, worker, exitcode=None, worker_traceback=None):
        super().__init__(message)
        self.worker, self.exitcode, self.worker_traceback = worker, exitcode, worker_traceback


def _run_worker(target, errors, *args):
    """Run ``target(*args)`` in a worker; if it raises, send the traceback on ``errors``, exit 1."""
    try:
        target(*args)
    except BaseException:
        try:
            errors.send(traceback.format_exc()[-_MAX_TRACEBACK:])
        except OSError:                           # the parent is gone: nobody to tell
            pass
        errors.close()
        os._exit(1)                               # no second report on stderr, no cleanup races
    errors.close()


def _parent_alive(pid):
    """Whether the process ``pid`` (the caller that started the workers) still exists."""
    if os.name == "nt":                           # os.kill(pid, 0) would send CTRL_C there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                       # pragma: no cover - exists, owned by another user
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
            raise RuntimeError(f"the parent process {parent_pid} is gone while this worker waited for {what}")
        if os.name == "nt" and time.monotonic() > deadline:      # pragma: no cover
            raise TimeoutError(f"no {what} within {timeout:g} s")


def _exit_description(code):
    if code is not None and code < 0:
        try:
            return f"was killed by signal {signal.Signals(-code).name} (exit code {code})"
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
            self.procs.append(ctx.Process(target=_run_worker, name=f"{label} worker {w}", daemon=True,
                                          args=(target, send) + tuple(args)))

    def start(self):
        for p in self.procs:
            p.start()
        for send in self._send_ends:             # the children hold their own copies now
            send.close()

    @staticmethod
    def _report(conn):
        try:
            return conn.recv() if conn.poll() else None
        except (EOFError, OSError):               # closed without a report
            return None

    def check(self):
        """Raise a :class:`WorkerError` if a worker reported an exception or died."""
        for w, (p, conn) in enumerate(zip(self.procs, self.errors)):
            code = p.exitcode if p.pid is not None else None      # read the code before the pipe
            report = self._report(conn)
            if report is not None:
                raise WorkerError(f"{p.name} (pid {p.pid}) raised an exception; its traceback:\n{report}",
                                  w, code, report)
            if code not in (None, 0):
                raise WorkerError(f"{p.name} (pid {p.pid}) {_exit_description(code)}", w, code)

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
        if p.pid is None:                      # never started
            continue
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.terminate()
            p.join(2.0)
        if p.is_alive():                       # pragma: no cover - last resort
            p.kill()
            p.join(2.0)


def _wait_ready(semaphore, n, timeout, workers):
    """Wait until ``n`` workers have released ``semaphore`` (each does so once it is running)."""
    deadline = time.monotonic() + timeout
    for _ in range(n):
        while not semaphore.acquire(timeout=0.05):
            workers.check()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{workers.label} workers did not start within {timeout:g} s")


# ----------------------------------------------------------------------------------------
# A sparse problem: logistic regression whose rows have only k nonzero features
# ----------------------------------------------------------------------------------------

def _sigmoid(z):
    return 0.5 * (1.0 + math.tanh(0.5 * z))


@dataclass
class SparseLogistic:
    r"""Logistic regression on sparse rows, stored as k (index, value) pairs per row.

    Row i has the features ``idx[i]`` (k distinct integers below ``d``) with values ``val[i]``
    and all other features 0; labels ``y`` are 0 or 1. The loss is the mean cross-entropy
    J(θ) = 1/n Σ_i [log(1 + e^{z_i}) − y_i z_i] with z_i = Σ_j val[i, j] θ[idx[i, j]], and the
    gradient of row i's term touches only the k coordinates ``idx[i]``:
    ∂/∂θ[idx[i, j]] = (σ(z_i) − y_i) val[i, j].

    The fields are checked when the problem is built: ``idx`` an (n, k) integer array with
    entries in [0, d) and distinct per row, ``val`` (n, k) finite, ``y`` (n,) of 0s and 1s.
    """

    idx: np.ndarray
    val: np.ndarray
    y: np.ndarray
    d: int

    def __post_init__(self):
        self.d = check_int("d", self.d, 1)
        self.idx = _check_array("idx", self.idx, ndim=2, integer=True)
        n, k = self.idx.shape
        if n < 1 or k < 1:
            raise ValueError(f"idx must have at least one row and one column, got shape {self.idx.shape}")
        if self.idx.min() < 0 or self.idx.max() >= self.d:
            raise ValueError(f"idx must hold feature indices in [0, d) = [0, {self.d}), "
                             f"got values from {int(self.idx.min())} to {int(self.idx.max())}")
        if k > 1 and np.any(np.diff(np.sort(self.idx, axis=1), axis=1) == 0):
            raise ValueError("idx must hold k distinct feature indices in every row")
        self.val = _check_array("val", self.val, shape=(n, k))
        self.y = _check_array("y", self.y, shape=(n,))
        if not np.all((self.y == 0) | (self.y == 1)):
            raise ValueError("y must hold labels 0 or 1")

    @property
    def n(self):
        return len(self.y)

    def margins(self, theta):
        return np.einsum("ij,ij->i", np.asarray(theta)[self.idx], self.val)

    def loss(self, theta):
        z = self.margins(theta)
        return float(np.mean(np.logaddexp(0.0, z) - self.y * z))

    def dense(self):
        """The n × d design matrix (for checks against :class:`gdlib.LogisticRegression`)."""
        X = np.zeros((self.n, self.d))
        np.put_along_axis(X, self.idx, self.val, axis=1)
        return X


def _check_problem(problem):
    if not isinstance(problem, SparseLogistic):
        raise ValueError(f"problem must be a SparseLogistic, got {type(problem).__name__}")
    return problem


def _check_theta0(theta0, shape):
    if theta0 is None:
        return None
    return _check_array("theta0", theta0, shape=shape)


def make_sparse_logistic(n=4000, d=1000, k=5, seed=0):
    """A sparse binary-feature classification problem: every row switches on k of d features.

    The features of each row are k distinct indices drawn uniformly; the true weights are
    standard normal times 2 and the labels are drawn from σ(x·θ*), so the problem has a
    nonzero minimum loss. Returns a :class:`SparseLogistic`.
    """
    n, d, k, seed = check_int("n", n, 1), check_int("d", d, 1), check_int("k", k, 1), _check_seed(seed)
    if k > d:
        raise ValueError(f"k must be an integer in [1, d] = [1, {d}], got {k}")
    rng = np.random.default_rng(seed)
    if k < d:   # the k smallest of d uniform numbers: a uniformly random k-subset
        idx = np.sort(np.argpartition(rng.random((n, d)), k - 1, axis=1)[:, :k], axis=1)
    else:
        idx = np.tile(np.arange(d), (n, 1))
    val = np.ones((n, k))
    theta_star = 2.0 * rng.standard_normal(d)
    p = 1.0 / (1.0 + np.exp(-np.einsum("ij,ij->i", theta_star[idx], val)))
    y = (rng.random(n) < p).astype(float)
    return SparseLogistic(idx.astype(np.int64), val, y, d)


def overlap_fraction(problem):
    """The fraction of ordered pairs of distinct rows whose feature sets intersect.

    Two Hogwild! updates can only interfere if their rows share a coordinate, so this is
    an upper bound on the fraction of update pairs that could collide. Needs n >= 2 rows.
    """
    from scipy import sparse

    n = _check_problem(problem).n
    if n < 2:
        raise ValueError(f"problem must have at least 2 rows to form a pair, got n = {n}")
    A = sparse.csr_matrix((np.ones(problem.idx.size), problem.idx.ravel(),
                           np.arange(0, problem.idx.size + 1, problem.idx.shape[1])), shape=(n, problem.d))
    overlaps = (A @ A.T).nnz - n                 # the diagonal always overlaps with itself
    return overlaps / (n * (n - 1))


# ----------------------------------------------------------------------------------------
# Hogwild!
# ----------------------------------------------------------------------------------------

def _sgd_loop(theta, problem, rows, eta, intended, counter, lock=None, record=None):
    """Plain SGD over ``rows`` on the (possibly shared) vector ``theta``, in place.

    Each update reads θ on the k coordinates of the row, computes the row's gradient there
    and subtracts η times it: θ[e] ← θ[e] − η ∇_e J_i(θ). Without ``lock`` the read and the
    write are NOT protected, which is Hogwild!; with a lock the whole update is. ``intended``
    accumulates the changes this loop meant to make (private to the loop), ``counter[0]`` the
    number of updates done. ``record(n)`` is called after update n if given.
    """
    idx, val, y = problem.idx, problem.val, problem.y
    for n, i in enumerate(rows, start=1):
        e, x = idx[i], val[i]
        if lock is not None:
            lock.acquire()
        try:
            step = eta * (_sigmoid(float(theta[e] @ x)) - y[i]) * x
            theta[e] -= step                     # read-modify-write of k coordinates
        finally:
            if lock is not None:
                lock.release()
        intended[e] -= step
        counter[0] = n
        if record is not None:
            record(n)


def _worker_rows(seed, n_workers, n_rows, n_updates):
    """The row sequence of every worker: ``n_updates`` rows drawn uniformly with replacement,
    worker w from ``np.random.default_rng(np.random.SeedSequence(seed).spawn(n_workers)[w])``."""
    return [np.random.default_rng(s).integers(0, n_rows, size=n_updates)
            for s in np.random.SeedSequence(seed).spawn(n_workers)]


def sgd_sparse(problem, n_updates, eta, seed=0, theta0=None, record_every=None):
    """Serial SGD on a :class:`SparseLogistic` (the reference for Hogwild!).

    Draws its rows like worker 0 of ``hogwild(..., n_workers=1, seed=seed)``. Returns
    ``(theta, updates, losses)`` where ``losses[m]`` is the loss after ``updates[m]`` updates
    (every ``record_every`` updates, and at 0 and at the end).
    """
    _check_problem(problem)
    n_updates = check_int("n_updates", n_updates, 0)
    eta = check_real("eta", eta, 0.0, low_open=True)
    seed = _check_seed(seed)
    if record_every is not None:
        record_every = check_int("record_every", record_every, 1)
    theta0 = _check_theta0(theta0, (problem.d,))
    theta = np.zeros(problem.d) if theta0 is None else theta0.copy()
    rows = _worker_rows(seed, 1, problem.n, n_updates)[0]
    updates, losses = [0], [problem.loss(theta)]

    def record(n):
        if (record_every and n % record_every == 0) or n == n_updates:
            updates.append(n)
            losses.append(problem.loss(theta))

    _sgd_loop(theta, problem, rows, eta, np.zeros(problem.d), np.zeros(1, dtype=np.int64), record=record)
    return theta, np.array(updates), np.array(losses)


def _hogwild_worker(wid, n_workers, payload, theta_raw, intended_raw, counts_raw, ready, go, lock, timeout,
                    parent_pid):
    """One Hogwild! process: attach to the shared arrays, wait for the start signal, run SGD."""
    problem, rows, eta = pickle.loads(payload)   # here, so that a failure is reported with a traceback
    theta = np.frombuffer(theta_raw, dtype=np.float64)
    intended = np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, -1)[wid]
    counter = np.frombuffer(counts_raw, dtype=np.int64)[wid:wid + 1]
    ready.release()
    _await(go.wait, parent_pid, timeout, "the start signal")
    _sgd_loop(theta, problem, rows, eta, intended, counter, lock=lock)


@dataclass
class HogwildResult:
    """What :func:`hogwild` measured.

    ``curve_updates[m]`` / ``curve_losses[m]``: total updates done and the loss of a snapshot
    of the shared θ that the parent read while the workers were writing (no lock either).
    ``lost`` (length d): the intended change of every coordinate (the sum over workers of the
    changes their updates computed) minus the actual change of the shared θ; nonzero entries
    are coordinates where a concurrent write overwrote another (up to rounding, ~1e-15).
    """

    theta: np.ndarray
    updates: np.ndarray
    curve_updates: np.ndarray
    curve_losses: np.ndarray
    lost: np.ndarray
    wall_time: float
    locked: bool
    start_method: str

    def lost_coordinates(self, tol=1e-9):
        """How many coordinates lost (part of) an update (``|lost| > tol``, ``tol`` >= 0)."""
        tol = check_real("tol", tol, 0.0)
        return int(np.sum(np.abs(self.lost) > tol))


def hogwild(problem, n_workers=2, updates_per_worker=10000, eta=0.5, seed=0, theta0=None, lock=False,
            start_method=None, poll=0.005, timeout=TIMEOUT):
    """Hogwild! (Niu et al., 2011): ``n_workers`` processes run SGD on one shared θ, lock-free.

    θ, the per-worker update counters and the per-worker intended changes live in shared
    memory (``multiprocessing.RawArray`` viewed with ``np.frombuffer``). Each worker draws its
    own rows (see :func:`sgd_sparse`) and performs θ[e] ← θ[e] − η ∇_e J_i(θ) on the k
    coordinates e of row i. With ``lock=True`` every update holds one
    ``multiprocessing.Lock`` instead. The parent releases all workers at once, samples the
    loss every ``poll`` seconds while they run, and joins them. Returns a :class:`HogwildResult`.

    ``timeout`` (seconds, finite and > 0) bounds the start-up and, separately, the run; a
    worker that fails raises a :class:`WorkerError` with its traceback or exit code.
    """
    _check_problem(problem)
    n_workers = _check_workers(n_workers)
    updates_per_worker = check_int("updates_per_worker", updates_per_worker, 0)
    eta = check_real("eta", eta, 0.0, low_open=True)
    seed = _check_seed(seed)
    theta0 = _check_theta0(theta0, (problem.d,))
    if not isinstance(lock, (bool, np.bool_)):
        raise ValueError(f"lock must be True or False, got {lock!r}")
    poll, timeout = _check_timeout("poll", poll), _check_timeout("timeout", timeout)
    ctx = get_context(start_method)

    d = problem.d
    theta_raw = ctx.RawArray("d", d)
    intended_raw = ctx.RawArray("d", n_workers * d)
    counts_raw = ctx.RawArray("q", n_workers)
    theta = np.frombuffer(theta_raw, dtype=np.float64)
    if theta0 is not None:
        theta[:] = theta0
    start = theta.copy()
    counts = np.frombuffer(counts_raw, dtype=np.int64)
    ready, go = ctx.Semaphore(0), ctx.Event()
    the_lock = ctx.Lock() if lock else None
    all_rows = _worker_rows(seed, n_workers, problem.n, updates_per_worker)
    workers = _Workers(ctx, _hogwild_worker, "Hogwild!",
                       [(w, n_workers, pickle.dumps((problem, all_rows[w], eta)), theta_raw, intended_raw,
                         counts_raw, ready, go, the_lock, timeout, os.getpid()) for w in range(n_workers)])
    snapshots, ok = [], False
    try:
        workers.start()
        _wait_ready(ready, n_workers, timeout, workers)
        t0 = time.perf_counter()
        go.set()
        while True:
            finished = workers.all_done()
            snapshots.append((int(counts.sum()), theta.copy()))
            workers.check()
            if finished:
                break
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"Hogwild! workers did not finish within {timeout:g} s")
            time.sleep(poll)
        wall = time.perf_counter() - t0
        ok = True
    finally:
        go.set()                                  # never leave a worker waiting
        workers.stop(5.0 if ok else 0.0)          # after a failure, stop the others at once
    intended = np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, d).sum(axis=0)
    final = theta.copy()
    curve_u = np.array([0] + [u for u, _ in snapshots])
    curve_l = np.array([problem.loss(start)] + [problem.loss(th) for _, th in snapshots])
    return HogwildResult(final, counts.copy(), curve_u, curve_l, intended - (final - start), wall,
                         bool(lock), ctx.get_start_method())


# ----------------------------------------------------------------------------------------
# Downpour SGD: a parameter server and asynchronous workers
# ----------------------------------------------------------------------------------------

def _downpour_worker(wid, payload, inbox, conn, go, timeout, parent_pid):
    """One Downpour model replica: pull θ, compute a mini-batch gradient on its shard, push it,
    until the server answers a pull with ``None`` (training is over).

    A reply is ``(job, version, θ)``; the push ``("push", wid, job, version, g)`` hands both
    back, so the server knows which parameters the gradient was computed on."""
    model, X, y, batch_size, seed_seq, sleep = pickle.loads(payload)
    rng = np.random.default_rng(seed_seq)
    inbox.put(("ready", wid))
    _await(go.wait, parent_pid, timeout, "the start signal")
    while True:
        inbox.put(("pull", wid))
        _await(conn.poll, parent_pid, timeout, "the parameter server's answer")
        reply = conn.recv()
        if reply is None:
            break
        job, version, theta = reply
        rows = rng.choice(len(y), size=batch_size, replace=False)
        g = np.asarray(model.grad(theta, X[rows], y[rows]), dtype=float)
        if sleep:
            time.sleep(sleep)                     # a slower machine
        inbox.put(("push", wid, job, version, g))
    inbox.put(("done", wid))


@dataclass
class DownpourResult:
    """What the parameter server of :func:`downpour` recorded.

    ``staleness[k]``: for the k-th applied update, the number of updates the server had
    applied between handing out the parameters the gradient was computed on and receiving
    the gradient (0 = computed on the current parameters). ``worker[k]``: who pushed it.
    ``losses[m]``: training loss after ``loss_updates[m]`` updates. ``pushes[w]``: gradients
    worker w pushed (all of them were applied). ``scheduled``: True if the server imposed
    the staleness (then ``staleness`` and ``worker`` are exactly the schedule's).
    """

    theta: np.ndarray
    staleness: np.ndarray
    worker: np.ndarray
    loss_updates: np.ndarray
    losses: np.ndarray
    pushes: np.ndarray
    wall_time: float
    start_method: str
    scheduled: bool = False

    def mean_staleness(self, w=None):
        """Mean staleness of all updates, or of worker ``w``'s (NaN if there are none)."""
        if w is not None:
            w = check_int("w", w, 0)
            if w >= len(self.pushes):
                raise ValueError(f"w must be a worker index in [0, {len(self.pushes) - 1}], got {w}")
        s = self.staleness if w is None else self.staleness[self.worker == w]
        return float(np.mean(s)) if len(s) else math.nan


def downpour_shards(n_rows, n_workers):
    """The rows of each worker's data shard: ``np.array_split(np.arange(n_rows), n_workers)``."""
    n_rows = check_int("n_rows", n_rows, 0)
    return np.array_split(np.arange(n_rows), _check_workers(n_workers))


def downpour_schedule(compute_times, updates):
    """The order and staleness of Downpour's updates on an idealized, perfectly regular cluster.

    Worker w needs exactly ``compute_times[w]`` time units (finite, > 0) per gradient, and
    messages take no time. All workers pull θ_0 at time 0; a worker that finishes pushes its
    gradient, which the server applies at once, and pulls again immediately (ties are broken
    by the worker index). Returns ``(order, delays)``, arrays of length ``updates``: update t
    (1-based) comes from worker ``order[t-1]`` and was computed on θ after update
    t − 1 − ``delays[t-1]``. With p equal workers the delays are 0, 1, ..., p − 1, p − 1, ...
    Pass them to :func:`downpour` to make its server impose exactly this schedule.
    """
    times = _check_array("compute_times", compute_times, ndim=1)
    if not 1 <= len(times) <= MAX_WORKERS:
        raise ValueError(f"compute_times must have one entry per worker, 1 to {MAX_WORKERS} of them, "
                         f"got {len(times)}")
    if np.any(times <= 0):
        raise ValueError(f"compute_times must all be > 0, got {times.min()!r}")
    updates = check_int("updates", updates, 0)
    heap = [(float(c), w, 0) for w, c in enumerate(times)]     # (finish time, worker, version pulled)
    heapq.heapify(heap)
    order, delays = np.zeros(updates, dtype=np.int64), np.zeros(updates, dtype=np.int64)
    for t in range(1, updates + 1):
        finish, w, version = heapq.heappop(heap)
        order[t - 1], delays[t - 1] = w, t - 1 - version
        heapq.heappush(heap, (finish + float(times[w]), w, t))
    return order, delays


def _check_model(model):
    for method in ("init", "grad", "loss"):
        if not callable(getattr(model, method, None)):
            raise ValueError(f"model must have the methods init, grad and loss; {type(model).__name__} "
                             f"has no {method}")
    return model


def downpour(optimizer, model, X, y, n_workers=3, updates=300, batch_size=16, seed=0, theta0=None,
             record_every=10, worker_sleep=None, start_method=None, timeout=TIMEOUT, delays=None, order=None):
    """Downpour SGD (Dean et al., 2012) with a real parameter server and worker processes.

    The parent process is the parameter server: it owns θ and ``optimizer`` (Dean et al. used
    Adagrad there) and serves the messages of all workers in their order of arrival. Worker
    w gets the rows ``downpour_shards(len(y), n_workers)[w]`` and the generator
    ``np.random.default_rng(np.random.SeedSequence(seed).spawn(n_workers)[w])``. It repeatedly
    pulls (θ, version) from the server, draws ``batch_size`` rows of its shard without
    replacement, computes ``model.grad`` there and pushes the gradient. ``worker_sleep[w]``
    seconds of sleep after each gradient make worker w a slower machine.

    *Free-running* (``delays=None``, the default): the server applies every push at once
    with ``optimizer.step`` and records its staleness (current version − the version the
    gradient was computed at), which depends on how the operating system schedules the
    processes. Once ``updates`` updates are applied it answers pulls with a stop signal;
    gradients already in flight are still applied, so the total can exceed ``updates`` by
    at most ``n_workers − 1``.

    *Scheduled* (``delays`` given): the server imposes the staleness. Update t (1-based) is
    computed by worker ``order[t-1]`` (default: round robin, (t − 1) mod ``n_workers``) on
    the parameters after update t − 1 − min(``delays[t-1]``, t − 1): the server keeps those
    parameters, hands them out when the worker asks for its next job, and applies the pushed
    gradients strictly in the order t = 1, 2, ..., ``updates``, holding back any that arrive
    early. ``delays`` is one integer >= 0 for every update or a sequence of ``updates`` of them
    (see :func:`downpour_schedule`). The result then does not depend on timing at all:
    exactly ``updates`` updates, with exactly the given staleness, bit for bit reproducible.

    ``timeout`` (seconds, finite and > 0) bounds every wait for a message. A worker that fails
    raises a :class:`WorkerError` with its traceback or its exit code. Returns a
    :class:`DownpourResult`.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlib Optimizer, got {type(optimizer).__name__}")
    _check_model(model)
    X = _check_array("X", X, ndim=2)
    y = _check_array("y", y, shape=(len(X),))
    n_workers = _check_workers(n_workers)
    if n_workers > len(y):
        raise ValueError(f"n_workers must be at most the number of rows, {len(y)}, got {n_workers}")
    updates = check_int("updates", updates, 0)
    shards = downpour_shards(len(y), n_workers)
    smallest = min(len(s) for s in shards)
    batch_size = check_int("batch_size", batch_size, 1)
    if batch_size > smallest:
        raise ValueError(f"batch_size must be in [1, {smallest}] (the smallest of the {n_workers} shards "
                         f"of the {len(y)} rows), got {batch_size}")
    seed = _check_seed(seed)
    record_every = check_int("record_every", record_every, 1)
    if worker_sleep is None:
        sleeps = np.zeros(n_workers)
    else:
        sleeps = _check_array("worker_sleep", worker_sleep, shape=(n_workers,))
        if np.any(sleeps < 0):
            raise ValueError(f"worker_sleep must hold seconds >= 0, got {sleeps.min()!r}")
    timeout = _check_timeout("timeout", timeout)
    scheduled = delays is not None
    if scheduled:
        if isinstance(delays, (int, np.integer)) and not isinstance(delays, bool):
            delays = np.full(updates, check_int("delays", delays, 0))
        delays = _check_nonnegative_ints("delays", delays, length=updates)
        if order is None:
            order = np.arange(updates) % n_workers
        order = _check_nonnegative_ints("order", order, length=updates)
        if order.size and order.max() >= n_workers:
            raise ValueError(f"order must hold worker indices in [0, {n_workers - 1}], got {int(order.max())}")
    elif order is not None:
        raise ValueError("order is only used together with delays (a scheduled run); pass delays too")
    ctx = get_context(start_method)

    theta = np.array(model.init(X.shape[1]), dtype=float)
    if theta0 is not None:
        theta = _check_theta0(theta0, theta.shape).copy()
    optimizer.reset()
    seeds = np.random.SeedSequence(seed).spawn(n_workers)
    inbox, go = ctx.Queue(), ctx.Event()
    pipes = [ctx.Pipe(duplex=False) for _ in range(n_workers)]          # (receive end, send end)
    workers = _Workers(ctx, _downpour_worker, "Downpour",
                       [(w, pickle.dumps((model, X[shards[w]], y[shards[w]], batch_size, seeds[w],
                                          float(sleeps[w]))), inbox, pipes[w][0], go, timeout, os.getpid())
                        for w in range(n_workers)])
    t, staleness, who = 0, [], []
    loss_updates, losses = [0], [model.loss(theta, X, y)]
    last_check = [time.monotonic()]

    def receive(waiting_for):
        """The next message; checks the workers' health at least every 0.05 s while waiting."""
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() - last_check[0] > 0.05:
                workers.check()
                last_check[0] = time.monotonic()
            try:
                return inbox.get(timeout=0.05)
            except queue.Empty:
                pass
            workers.check()
            last_check[0] = time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the parameter server received no message for {timeout:g} s "
                                   f"while waiting for {waiting_for}")

    def send(w, reply):
        """Answer worker w; a worker that died makes its pipe fail, and is reported."""
        try:
            pipes[w][1].send(reply)
        except OSError:                          # BrokenPipeError: the worker is gone
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:   # give its exit code time to appear
                workers.check()
                time.sleep(0.01)
            raise WorkerError(f"Downpour worker {w} closed its connection to the parameter server", w) from None

    def apply(w, version, g):
        nonlocal t
        staleness.append(t - version)
        who.append(w)
        optimizer.step(theta, lambda _theta, g=g: g)   # the server's Adagrad
        t += 1
        if t % record_every == 0:
            loss_updates.append(t)
            losses.append(model.loss(theta, X, y))

    if scheduled:
        jobs = [deque() for _ in range(n_workers)]
        for j, w in enumerate(order, start=1):
            jobs[w].append(j)
        base = {j: j - 1 - min(int(delays[j - 1]), j - 1) for j in range(1, updates + 1)}
        needed = Counter(base.values())
        saved = {0: theta.copy()} if needed[0] else {}
        waiting, early = set(), {}

        def serve(w):
            """Answer worker w's pull: its next job, once the parameters it needs exist."""
            if not jobs[w]:
                send(w, None)
                return
            j = jobs[w][0]
            v = base[j]
            if v > t:
                waiting.add(w)
                return
            jobs[w].popleft()
            waiting.discard(w)
            send(w, (j, v, saved[v]))
            needed[v] -= 1
            if needed[v] == 0:
                del saved[v]

    ok = False
    try:
        workers.start()
        for receive_end, _ in pipes:              # only the workers read them: a dead one's pipe breaks
            receive_end.close()
        ready = 0
        while ready < n_workers:
            ready += receive("the workers to start")[0] == "ready"
        t0 = time.perf_counter()
        go.set()
        done = 0
        while done < n_workers:
            msg = receive("a pull or a push" if not scheduled else f"the gradient of update {t + 1}")
            kind, w = msg[0], msg[1]
            if kind == "pull":
                if scheduled:
                    serve(w)
                else:
                    send(w, (None, t, theta.copy()) if t < updates else None)
            elif kind == "push":
                job, version, g = msg[2], msg[3], msg[4]
                if np.shape(g) != theta.shape:
                    raise ValueError(f"model.grad returned a gradient of shape {np.shape(g)} in worker {w}, "
                                     f"but theta has shape {theta.shape}")
                if not scheduled:
                    apply(w, version, g)
                    continue
                early[job] = (w, version, g)
                while t + 1 in early:                 # apply strictly in the order of the schedule
                    apply(*early.pop(t + 1))
                    if needed[t]:
                        saved[t] = theta.copy()
                    for v_w in sorted(waiting):
                        serve(v_w)
            elif kind == "done":
                done += 1
        wall = time.perf_counter() - t0
        workers.check()
        ok = True
    finally:
        go.set()
        for _, send_end in pipes:
            send_end.close()                      # a worker still waiting for a reply sees EOF
        workers.stop(5.0 if ok else 0.0)          # after a failure, stop the others at once
        for receive_end, _ in pipes:
            receive_end.close()                   # (a no-op if already closed)
        inbox.close()
        inbox.join_thread()
    if loss_updates[-1] != t:
        loss_updates.append(t)
        losses.append(model.loss(theta, X, y))
    who = np.array(who, dtype=int)
    return DownpourResult(theta, np.array(staleness, dtype=int), who, np.array(loss_updates), np.array(losses),
                          np.bincount(who, minlength=n_workers), wall, ctx.get_start_method(), scheduled)


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
        time.sleep(3600)                          # a worker stuck forever (until terminated)
    raise InjectedFault(f"injected fault: {where}")


class FaultyModel:
    """FOR TESTS ONLY: a :class:`gdlib.LogisticRegression` whose ``grad`` fails on purpose.

    The first ``after`` calls of ``grad`` (in each process) work; the next one raises
    :class:`InjectedFault` (``how="raise"``), kills its own process with SIGKILL
    (``how="kill"``) or sleeps for an hour (``how="hang"``). It lives in this module so that
    every start method can import it.
    """

    def __init__(self, after=0, how="raise"):
        from .models import LogisticRegression

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


# ----------------------------------------------------------------------------------------
# Elastic Averaging SGD
# ----------------------------------------------------------------------------------------

def easgd_step(x, center, g, eta, rho):
    r"""One step of synchronous EASGD (Zhang, Choromanska & LeCun, 2015), in place.

    With α = ηρ and all right-hand sides taken at the OLD values:

    .. math::
        x^i \leftarrow x^i - \eta\,\bigl(g^i + \rho\,(x^i - \tilde x)\bigr), \qquad
        \tilde x \leftarrow \tilde x + \eta\rho \sum_{i=1}^{p} (x^i - \tilde x)

    ``x`` has shape (p, d) (one row per worker), ``center`` shape (d,), both float arrays
    (they are updated in place), ``g`` the workers' gradients shaped like ``x``; ``eta`` > 0,
    ``rho`` >= 0. The elastic force α(x^i − x̃) pulls worker i towards the centre and, with
    the opposite sign, the centre towards worker i. Returns ``(x, center)``.
    """
    for name, arr in (("x", x), ("center", center)):
        if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.floating):
            raise ValueError(f"{name} must be a float numpy array (it is updated in place), "
                             f"got {type(arr).__name__}")
    if x.ndim != 2 or center.shape != x.shape[1:]:
        raise ValueError(f"x must have shape (p, d) and center shape (d,), got {x.shape} and {center.shape}")
    if np.shape(g) != x.shape:
        raise ValueError(f"g must have the shape of x, {x.shape}, got {np.shape(g)}")
    eta, rho = check_real("eta", eta, 0.0, low_open=True), check_real("rho", rho, 0.0)
    return _easgd_step(x, center, g, eta, rho)


def _easgd_step(x, center, g, eta, rho):
    diff = x - center
    x -= eta * (g + rho * diff)
    center += eta * rho * diff.sum(axis=0)
    return x, center


@dataclass
class EASGDResult:
    """``workers[t]`` (shape (p, d)) and ``center[t]`` (shape (d,)) after t steps."""

    workers: np.ndarray
    center: np.ndarray


def easgd(grad_fn, x0, n_workers=4, steps=1000, eta=0.001, rho=1.0, noise=0.0, seed=0, spread=0.0):
    """Synchronous EASGD simulated in one process, deterministically.

    All workers and the centre start at ``x0`` (plus ``spread`` times a standard-normal
    offset per worker). At every step each worker's gradient is ``grad_fn(x^i)`` plus
    ``noise`` times standard-normal noise from ``np.random.default_rng(seed)``, and
    :func:`easgd_step` updates all of them at once. Returns an :class:`EASGDResult`.
    """
    if not callable(grad_fn):
        raise ValueError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    x0 = _check_array("x0", x0, ndim=1)
    if x0.size == 0:
        raise ValueError("x0 must have at least one coordinate")
    n_workers = check_int("n_workers", n_workers, 1)
    steps = check_int("steps", steps, 0)
    eta, rho = check_real("eta", eta, 0.0, low_open=True), check_real("rho", rho, 0.0)
    noise, spread = check_real("noise", noise, 0.0), check_real("spread", spread, 0.0)
    rng = np.random.default_rng(_check_seed(seed))
    x = np.tile(x0, (n_workers, 1)) + spread * rng.standard_normal((n_workers, x0.size))
    center = x0.copy()
    workers, centers = [x.copy()], [center.copy()]
    for _ in range(steps):
        g = np.array([grad_fn(xi) for xi in x]) + noise * rng.standard_normal(x.shape)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn returned a gradient of shape {g.shape[1:]}, but x0 has shape {x0.shape}")
        _easgd_step(x, center, g, eta, rho)
        workers.append(x.copy())
        centers.append(center.copy())
    return EASGDResult(np.array(workers), np.array(centers))


# ----------------------------------------------------------------------------------------
# Simulated delays
# ----------------------------------------------------------------------------------------

def run_delayed(optimizer, grad_fn, theta0, delays):
    """Run ``optimizer`` with stale gradients: step t applies ∇J(θ_{t−1−τ_t}), τ_t = ``delays[t-1]``.

    ``delays`` is a 1-D sequence of integers >= 0. The delay is capped at t − 1 (the first
    steps cannot look before θ_0). With all delays 0 this is ``gdlib.run``. Returns the
    iterates, shape (len(delays) + 1, d); it stops early (returning the iterates so far) if
    θ stops being finite.
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlib Optimizer, got {type(optimizer).__name__}")
    if not callable(grad_fn):
        raise ValueError(f"grad_fn must be callable, got {type(grad_fn).__name__}")
    theta = _check_array("theta0", theta0)
    delays = _check_nonnegative_ints("delays", delays)
    optimizer.reset()
    thetas = [theta.copy()]
    for t, tau in enumerate(delays, start=1):
        stale = thetas[t - 1 - min(int(tau), t - 1)]
        g = grad_fn(stale)
        optimizer.step(theta, lambda _theta, g=g: g)
        thetas.append(theta.copy())
        if not np.all(np.isfinite(theta)):
            break
    return np.array(thetas)
