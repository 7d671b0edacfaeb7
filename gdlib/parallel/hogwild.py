"""Hogwild! (Niu, Recht, Ré & Wright, 2011): lock-free SGD on shared memory, and its sparse
logistic-regression problem."""

from __future__ import annotations

import math
import os
import pickle
import time
from dataclasses import dataclass

import numpy as np

from ..base import check_int, check_real
from .processes import (
    TIMEOUT,
    _await,
    _check_array,
    _check_seed,
    _check_timeout,
    _check_workers,
    _wait_ready,
    _Workers,
    get_context,
)

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
            raise ValueError(
                f"idx must have at least one row and one column, got shape {self.idx.shape}"
            )
        if self.idx.min() < 0 or self.idx.max() >= self.d:
            raise ValueError(
                f"idx must hold feature indices in [0, d) = [0, {self.d}), "
                f"got values from {int(self.idx.min())} to {int(self.idx.max())}"
            )
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
        raise ValueError(
            f"problem must be a SparseLogistic, got {type(problem).__name__}"
        )
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
    n, d, k, seed = (
        check_int("n", n, 1),
        check_int("d", d, 1),
        check_int("k", k, 1),
        _check_seed(seed),
    )
    if k > d:
        raise ValueError(f"k must be an integer in [1, d] = [1, {d}], got {k}")
    rng = np.random.default_rng(seed)
    if k < d:  # the k smallest of d uniform numbers: a uniformly random k-subset
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
        raise ValueError(
            f"problem must have at least 2 rows to form a pair, got n = {n}"
        )
    A = sparse.csr_matrix(
        (
            np.ones(problem.idx.size),
            problem.idx.ravel(),
            np.arange(0, problem.idx.size + 1, problem.idx.shape[1]),
        ),
        shape=(n, problem.d),
    )
    overlaps = (A @ A.T).nnz - n  # the diagonal always overlaps with itself
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
            theta[e] -= step  # read-modify-write of k coordinates
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
    return [
        np.random.default_rng(s).integers(0, n_rows, size=n_updates)
        for s in np.random.SeedSequence(seed).spawn(n_workers)
    ]


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

    _sgd_loop(
        theta,
        problem,
        rows,
        eta,
        np.zeros(problem.d),
        np.zeros(1, dtype=np.int64),
        record=record,
    )
    return theta, np.array(updates), np.array(losses)


def _hogwild_worker(
    wid,
    n_workers,
    payload,
    theta_raw,
    intended_raw,
    counts_raw,
    ready,
    go,
    lock,
    timeout,
    parent_pid,
):
    """One Hogwild! process: attach to the shared arrays, wait for the start signal, run SGD."""
    problem, rows, eta = pickle.loads(
        payload
    )  # here, so that a failure is reported with a traceback
    theta = np.frombuffer(theta_raw, dtype=np.float64)
    intended = np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, -1)[wid]
    counter = np.frombuffer(counts_raw, dtype=np.int64)[wid : wid + 1]
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


def hogwild(
    problem,
    n_workers=2,
    updates_per_worker=10000,
    eta=0.5,
    seed=0,
    theta0=None,
    lock=False,
    start_method=None,
    poll=0.005,
    timeout=TIMEOUT,
):
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
    workers = _Workers(
        ctx,
        _hogwild_worker,
        "Hogwild!",
        [
            (
                w,
                n_workers,
                pickle.dumps((problem, all_rows[w], eta)),
                theta_raw,
                intended_raw,
                counts_raw,
                ready,
                go,
                the_lock,
                timeout,
                os.getpid(),
            )
            for w in range(n_workers)
        ],
    )
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
                raise TimeoutError(
                    f"Hogwild! workers did not finish within {timeout:g} s"
                )
            time.sleep(poll)
        wall = time.perf_counter() - t0
        ok = True
    finally:
        go.set()  # never leave a worker waiting
        workers.stop(5.0 if ok else 0.0)  # after a failure, stop the others at once
    intended = (
        np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, d).sum(axis=0)
    )
    final = theta.copy()
    curve_u = np.array([0] + [u for u, _ in snapshots])
    curve_l = np.array(
        [problem.loss(start)] + [problem.loss(th) for _, th in snapshots]
    )
    return HogwildResult(
        final,
        counts.copy(),
        curve_u,
        curve_l,
        intended - (final - start),
        wall,
        bool(lock),
        ctx.get_start_method(),
    )
