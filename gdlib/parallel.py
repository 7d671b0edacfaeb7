"""Parallel and distributed SGD on real operating-system processes.

The chapter "Parallel and distributed SGD" runs every algorithm here for real:

* :func:`hogwild` -- Hogwild! (Niu, Recht, Ré & Wright, 2011): several processes run SGD on
  ONE parameter vector in shared memory and write to it without any lock;
* :func:`downpour` -- Downpour SGD (Dean et al., 2012): worker processes pull the parameters
  from a parameter server, compute a mini-batch gradient on their own shard of the data and
  push it back; the server applies Adagrad and records how stale every gradient was;
* :func:`easgd_step` / :func:`easgd` -- synchronous Elastic Averaging SGD (Zhang, Choromanska
  & LeCun, 2015), a deterministic simulation of p workers tied to a centre variable;
* :func:`run_delayed` -- a simulated delay: the gradient applied at step t was computed
  τ_t steps earlier (the setting of McMahan & Streeter, 2014).

Processes are started with the ``"forkserver"`` start method by default (:data:`START_METHOD`;
``"spawn"`` where there is no fork server): a clean single-threaded server process, started
once, imports this module and forks every worker from itself. Unlike ``"fork"`` this never
copies a multi-threaded parent such as a Jupyter kernel, and unlike ``"spawn"`` a worker does
not pay for a fresh interpreter and fresh imports. Either way, worker functions must be
importable, so they are module-level functions of this module. Every function that starts
processes joins them in a ``finally`` block (terminating any that do not finish in time), and
every wait has a timeout, so a failing worker raises an error in the parent instead of
hanging it.

>>> import numpy as np
>>> x, c = np.array([[1.0], [3.0]]), np.array([0.0])        # two workers and the centre
>>> easgd_step(x, c, g=np.zeros_like(x), eta=0.5, rho=0.5)  # alpha = eta * rho = 0.25
(array([[0.75],
       [2.25]]), array([1.]))
"""
from __future__ import annotations

import math
import multiprocessing as mp
import time
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = [
    "START_METHOD", "get_context", "SparseLogistic", "make_sparse_logistic", "overlap_fraction",
    "sgd_sparse", "hogwild", "HogwildResult", "downpour", "DownpourResult", "downpour_shards",
    "easgd_step", "easgd", "EASGDResult", "run_delayed",
]

#: The multiprocessing start method used when none is given: "forkserver" where the operating
#: system has it (Linux, macOS), else "spawn" (Windows).
START_METHOD = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"

#: Seconds any single wait (for a worker to start, for a message, for a join) may last.
TIMEOUT = 60.0


def get_context(method=None):
    """The multiprocessing context for ``method`` (default :data:`START_METHOD`).

    For ``"forkserver"`` the fork server is asked to import this module once, so every
    worker it forks afterwards starts with numpy and gdlib already loaded.
    """
    ctx = mp.get_context(method or START_METHOD)
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__])
    return ctx


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


def _wait_ready(semaphore, n, timeout, processes):
    """Wait until ``n`` workers have released ``semaphore`` (each does so once it is running)."""
    deadline = time.monotonic() + timeout
    for _ in range(n):
        while not semaphore.acquire(timeout=0.1):
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise RuntimeError(f"worker process {dead[0].name} died during start-up "
                                   f"(exit code {dead[0].exitcode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"workers did not start within {timeout} s")


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
    """

    idx: np.ndarray
    val: np.ndarray
    y: np.ndarray
    d: int

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


def make_sparse_logistic(n=4000, d=1000, k=5, seed=0):
    """A sparse binary-feature classification problem: every row switches on k of d features.

    The features of each row are k distinct indices drawn uniformly; the true weights are
    standard normal times 2 and the labels are drawn from σ(x·θ*), so the problem has a
    nonzero minimum loss. Returns a :class:`SparseLogistic`.
    """
    if not 1 <= k <= d:
        raise ValueError(f"need 1 <= k <= d, got k={k}, d={d}")
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
    an upper bound on the fraction of update pairs that could collide.
    """
    from scipy import sparse

    n = problem.n
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
    theta = np.zeros(problem.d) if theta0 is None else np.array(theta0, dtype=float)
    rows = _worker_rows(seed, 1, problem.n, n_updates)[0]
    updates, losses = [0], [problem.loss(theta)]

    def record(n):
        if (record_every and n % record_every == 0) or n == n_updates:
            updates.append(n)
            losses.append(problem.loss(theta))

    _sgd_loop(theta, problem, rows, eta, np.zeros(problem.d), np.zeros(1, dtype=np.int64), record=record)
    return theta, np.array(updates), np.array(losses)


def _hogwild_worker(wid, n_workers, problem, rows, eta, theta_raw, intended_raw, counts_raw,
                    ready, go, lock, timeout):
    """One Hogwild! process: attach to the shared arrays, wait for the start signal, run SGD."""
    theta = np.frombuffer(theta_raw, dtype=np.float64)
    intended = np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, -1)[wid]
    counter = np.frombuffer(counts_raw, dtype=np.int64)[wid:wid + 1]
    ready.release()
    if not go.wait(timeout):
        raise TimeoutError("no start signal from the parent")
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
        """How many coordinates lost (part of) an update."""
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
    """
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
    procs = [ctx.Process(target=_hogwild_worker, name=f"hogwild-{w}", daemon=True,
                         args=(w, n_workers, problem, all_rows[w], eta, theta_raw, intended_raw, counts_raw,
                               ready, go, the_lock, timeout))
             for w in range(n_workers)]
    snapshots = []
    try:
        for p in procs:
            p.start()
        _wait_ready(ready, n_workers, timeout, procs)
        t0 = time.perf_counter()
        go.set()
        while True:
            running = any(p.is_alive() for p in procs)
            snapshots.append((int(counts.sum()), theta.copy()))
            if not running:
                break
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError(f"Hogwild! workers did not finish within {timeout} s")
            time.sleep(poll)
        wall = time.perf_counter() - t0
    finally:
        go.set()                                  # never leave a worker waiting
        _stop(procs)
    bad = [p for p in procs if p.exitcode != 0]
    if bad:
        raise RuntimeError(f"{bad[0].name} failed with exit code {bad[0].exitcode}")
    intended = np.frombuffer(intended_raw, dtype=np.float64).reshape(n_workers, d).sum(axis=0)
    final = theta.copy()
    curve_u = np.array([0] + [u for u, _ in snapshots])
    curve_l = np.array([problem.loss(start)] + [problem.loss(th) for _, th in snapshots])
    return HogwildResult(final, counts.copy(), curve_u, curve_l, intended - (final - start), wall,
                         lock, ctx.get_start_method())


# ----------------------------------------------------------------------------------------
# Downpour SGD: a parameter server and asynchronous workers
# ----------------------------------------------------------------------------------------

def _downpour_worker(wid, model, X, y, batch_size, seed_seq, inbox, conn, go, sleep, timeout):
    """One Downpour model replica: pull θ, compute a mini-batch gradient on its shard, push it,
    until the server answers a pull with ``None`` (training is over)."""
    try:
        rng = np.random.default_rng(seed_seq)
        inbox.put(("ready", wid))
        if not go.wait(timeout):
            raise TimeoutError("no start signal from the parameter server")
        while True:
            inbox.put(("pull", wid))
            if not conn.poll(timeout):
                raise TimeoutError("the parameter server did not answer a pull")
            reply = conn.recv()
            if reply is None:
                break
            version, theta = reply
            rows = rng.choice(len(y), size=batch_size, replace=False)
            g = model.grad(theta, X[rows], y[rows])
            if sleep:
                time.sleep(sleep)                 # a slower machine
            inbox.put(("push", wid, version, g))
        inbox.put(("done", wid))
    except BaseException:                         # report, do not die silently
        inbox.put(("error", wid, traceback.format_exc()))


@dataclass
class DownpourResult:
    """What the parameter server of :func:`downpour` recorded.

    ``staleness[k]``: for the k-th applied update, the number of updates the server had
    applied between handing out the parameters the gradient was computed on and receiving
    the gradient (0 = computed on the current parameters). ``worker[k]``: who pushed it.
    ``losses[m]``: training loss after ``loss_updates[m]`` updates. ``pushes[w]``: gradients
    worker w pushed (all of them were applied).
    """

    theta: np.ndarray
    staleness: np.ndarray
    worker: np.ndarray
    loss_updates: np.ndarray
    losses: np.ndarray
    pushes: np.ndarray
    wall_time: float
    start_method: str

    def mean_staleness(self, w=None):
        """Mean staleness of all updates, or of worker ``w``'s."""
        s = self.staleness if w is None else self.staleness[self.worker == w]
        return float(np.mean(s))


def downpour_shards(n_rows, n_workers):
    """The rows of each worker's data shard: ``np.array_split(np.arange(n_rows), n_workers)``."""
    return np.array_split(np.arange(n_rows), n_workers)


def downpour(optimizer, model, X, y, n_workers=3, updates=300, batch_size=16, seed=0, theta0=None,
             record_every=10, worker_sleep=None, start_method=None, timeout=TIMEOUT):
    """Downpour SGD (Dean et al., 2012) with a real parameter server and worker processes.

    The parent process is the parameter server: it owns θ and ``optimizer`` (Dean et al. used
    Adagrad there) and serves the messages of all workers in their order of arrival. Worker
    w gets the rows ``downpour_shards(len(y), n_workers)[w]`` and the generator
    ``np.random.default_rng(np.random.SeedSequence(seed).spawn(n_workers)[w])``. It repeatedly
    pulls (θ, version) from the server, draws ``batch_size`` rows of its shard without
    replacement, computes ``model.grad`` there and pushes the gradient. The server applies
    every push at once with ``optimizer.step`` and records its staleness (current version −
    the version the gradient was computed at). Once ``updates`` updates are applied it
    answers pulls with a stop signal; gradients already in flight are still applied, so the
    total can exceed ``updates`` by at most ``n_workers − 1``. ``worker_sleep[w]`` seconds
    of sleep after each gradient make worker w a slower machine. Returns a :class:`DownpourResult`.
    """
    ctx = get_context(start_method)
    theta = model.init(X.shape[1]) if theta0 is None else np.array(theta0, dtype=float)
    optimizer.reset()
    shards = downpour_shards(len(y), n_workers)
    seeds = np.random.SeedSequence(seed).spawn(n_workers)
    sleeps = list(worker_sleep) if worker_sleep is not None else [0.0] * n_workers
    inbox, go = ctx.Queue(), ctx.Event()
    pipes = [ctx.Pipe(duplex=False) for _ in range(n_workers)]          # (receive end, send end)
    procs = [ctx.Process(target=_downpour_worker, name=f"downpour-{w}", daemon=True,
                         args=(w, model, X[shards[w]], y[shards[w]], batch_size, seeds[w], inbox,
                               pipes[w][0], go, sleeps[w], timeout))
             for w in range(n_workers)]
    t, staleness, who = 0, [], []
    loss_updates, losses = [0], [model.loss(theta, X, y)]
    try:
        for p in procs:
            p.start()
        ready = 0
        while ready < n_workers:
            msg = inbox.get(timeout=timeout)
            if msg[0] == "error":
                raise RuntimeError(f"Downpour worker {msg[1]} failed:\n{msg[2]}")
            ready += msg[0] == "ready"
        t0 = time.perf_counter()
        go.set()
        done = 0
        while done < n_workers:
            msg = inbox.get(timeout=timeout)
            kind, w = msg[0], msg[1]
            if kind == "pull":
                pipes[w][1].send((t, theta.copy()) if t < updates else None)
            elif kind == "push":
                version, g = msg[2], msg[3]
                staleness.append(t - version)
                who.append(w)
                optimizer.step(theta, lambda _theta, g=g: g)   # the server's Adagrad
                t += 1
                if t % record_every == 0:
                    loss_updates.append(t)
                    losses.append(model.loss(theta, X, y))
            elif kind == "done":
                done += 1
            elif kind == "error":
                raise RuntimeError(f"Downpour worker {w} failed:\n{msg[2]}")
        wall = time.perf_counter() - t0
    finally:
        go.set()
        for _, send_end in pipes:
            send_end.close()                      # a worker still waiting for a reply sees EOF
        _stop(procs)
        for receive_end, _ in pipes:
            receive_end.close()
        inbox.close()
        inbox.join_thread()
    if loss_updates[-1] != t:
        loss_updates.append(t)
        losses.append(model.loss(theta, X, y))
    who = np.array(who, dtype=int)
    return DownpourResult(theta, np.array(staleness, dtype=int), who, np.array(loss_updates), np.array(losses),
                          np.bincount(who, minlength=n_workers), wall, ctx.get_start_method())


# ----------------------------------------------------------------------------------------
# Elastic Averaging SGD
# ----------------------------------------------------------------------------------------

def easgd_step(x, center, g, eta, rho):
    r"""One step of synchronous EASGD (Zhang, Choromanska & LeCun, 2015), in place.

    With α = ηρ and all right-hand sides taken at the OLD values:

    .. math::
        x^i \leftarrow x^i - \eta\,\bigl(g^i + \rho\,(x^i - \tilde x)\bigr), \qquad
        \tilde x \leftarrow \tilde x + \eta\rho \sum_{i=1}^{p} (x^i - \tilde x)

    ``x`` has shape (p, d) (one row per worker), ``center`` shape (d,), ``g`` the workers'
    gradients shaped like ``x``. The elastic force α(x^i − x̃) pulls worker i towards the
    centre and, with the opposite sign, the centre towards worker i. Returns ``(x, center)``.
    """
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
    rng = np.random.default_rng(seed)
    x0 = np.asarray(x0, dtype=float)
    x = np.tile(x0, (n_workers, 1)) + spread * rng.standard_normal((n_workers, x0.size))
    center = x0.copy()
    workers, centers = [x.copy()], [center.copy()]
    for _ in range(steps):
        g = np.array([grad_fn(xi) for xi in x]) + noise * rng.standard_normal(x.shape)
        easgd_step(x, center, g, eta, rho)
        workers.append(x.copy())
        centers.append(center.copy())
    return EASGDResult(np.array(workers), np.array(centers))


# ----------------------------------------------------------------------------------------
# Simulated delays
# ----------------------------------------------------------------------------------------

def run_delayed(optimizer, grad_fn, theta0, delays):
    """Run ``optimizer`` with stale gradients: step t applies ∇J(θ_{t−1−τ_t}), τ_t = ``delays[t-1]``.

    The delay is capped at t − 1 (the first steps cannot look before θ_0). With all delays 0
    this is ``gdlib.run``. Returns the iterates, shape (len(delays) + 1, d); it stops early
    (returning the iterates so far) if θ stops being finite.
    """
    optimizer.reset()
    theta = np.array(theta0, dtype=float)
    thetas = [theta.copy()]
    for t, tau in enumerate(delays, start=1):
        stale = thetas[t - 1 - min(int(tau), t - 1)]
        g = grad_fn(stale)
        optimizer.step(theta, lambda _theta, g=g: g)
        thetas.append(theta.copy())
        if not np.all(np.isfinite(theta)):
            break
    return np.array(thetas)
