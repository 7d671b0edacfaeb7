"""Distributed SGD on Ray actors: a sharded parameter server (Downpour SGD), synchronous data
parallelism, asynchronous EASGD, and local SGD / federated averaging.

Ray is imported lazily, so ``import gdlib`` works without it; install it with
``pip install ray==2.60.0``. Every function here needs a running Ray (``ray.init`` or
:func:`ray_session`). Its roles (server shards, workers, replicas, a centre) live on host
actors: those of a :class:`RayPool` given as ``pool`` (reused across calls, since starting an
actor starts a process), or else a pool of its own that it kills in a ``finally`` block,
whatever happened, so that a call leaves no actor behind; with a shared pool, the call
removes its roles from the hosts at the end. Each host gets a name
``gdlib-<pool>-host-<i>`` (see :data:`ACTOR_PREFIX`), so ``ray.util.list_named_actors``
shows whether any is still alive. Every wait of the caller has a finite timeout; a worker
that raises makes the call raise a :class:`~gdlib.parallel.WorkerError` holding the
worker's error.

Like the process-based :func:`gdlib.parallel.downpour`, the Downpour server can impose the
staleness of every update (``delays``); then the run does not depend on timing at all and
equals a serial computation with the same delays. Synchronous data parallelism, local SGD
and round-robin EASGD are deterministic by construction.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..base import Optimizer, check_int
from .delay_tolerant import AdaptiveRevision
from .processes import (
    MAX_WORKERS,
    TIMEOUT,
    _check_array,
    _check_nonnegative_ints,
    _check_timeout,
)
from .ray_pool import _check_common, _Data, _Role, _Run, _running_ray, worker_generators

# ----------------------------------------------------------------------------------------
# Downpour SGD with a sharded parameter server
# ----------------------------------------------------------------------------------------


class _Shard(_Role):
    """One server shard: a slice of θ and its own optimizer (or AdaptiveRevision) state.

    Its methods run in the host's threads: a scheduled pull waits until the version it
    needs exists, a scheduled push until it is its turn."""

    def __init__(self, theta, rule, needed):
        self.theta, self.rule = theta.copy(), rule
        self.revision = isinstance(rule, AdaptiveRevision)
        self.gbar = np.zeros_like(self.theta)
        self.version, self.staleness, self.worker = 0, [], []
        self.history = [self.theta.copy()]
        self.needed = Counter(needed)
        self.saved = {0: (self.theta.copy(), self.gbar.copy())}

    def pull(self, version=-1):
        if version < 0:
            with self.cond:
                return self.version, self.theta.copy(), self.gbar.copy()
        self.wait(lambda: self.version >= version, f"version {version} of a shard")
        with self.cond:
            theta, gbar = self.saved[version]
            self.needed[version] -= 1
            if self.needed[version] <= 0 and version > 0:
                del self.saved[version]
        return version, theta, gbar

    def push(self, g, version, gbar_old, worker, job=0):
        if job:
            self.wait(lambda: self.version == job - 1, f"update {job - 1} of a shard")
        with self.cond:  # one update at a time
            self.staleness.append(self.version - version)
            self.worker.append(worker)
            if self.revision:
                self.rule.update(self.theta, g, gbar_old)
            else:
                self.rule.step(self.theta, lambda _theta: g)
            self.gbar += g
            self.version += 1
            self.history.append(self.theta.copy())
            if self.needed[self.version] > 0:
                self.saved[self.version] = (self.theta.copy(), self.gbar.copy())
            self.cond.notify_all()
            return self.version

    def report(self):
        return np.array(self.staleness), np.array(self.worker), np.array(self.history)


class _DownpourWorker(_Role):
    """A model replica: pulls every shard, computes a mini-batch gradient, pushes the slices."""

    def __init__(self, wid, data, shards, cuts, sleep):
        self.wid, self.data, self.shards, self.cuts, self.sleep = (
            wid,
            data,
            shards,
            cuts,
            sleep,
        )

    def _get(self, refs):
        import ray

        return ray.get(refs, timeout=self.timeout)

    def _pull(self, version=-1):
        parts = self._get([s.remote("pull", version) for s in self.shards])
        return (
            [p[0] for p in parts],
            np.concatenate([p[1] for p in parts]),
            [p[2] for p in parts],
        )

    def _push(self, g, versions, gbars, job=0):
        pieces = np.split(g, self.cuts)
        self._get(
            [
                s.remote("push", piece, v, gb, self.wid, job)
                for s, piece, v, gb in zip(self.shards, pieces, versions, gbars)
            ]
        )

    def run_free(self, updates):
        pushes = 0
        while not self.cancelled:
            versions, theta, gbars = self._pull()
            if min(versions) >= updates:
                break
            g = self.data.grad(theta)
            if self.sleep:
                time.sleep(self.sleep)
            self._push(g, versions, gbars)
            pushes += 1
        return pushes

    def run_jobs(self, jobs):
        for job, base in jobs:
            versions, theta, gbars = self._pull(base)
            g = self.data.grad(theta)
            if self.sleep:
                time.sleep(self.sleep)
            self._push(g, versions, gbars, job)
        return len(jobs)


@dataclass
class RayDownpourResult:
    """What the shards of :func:`ray_downpour` recorded.

    ``staleness[s, k]``: on shard s, the number of updates the shard applied between handing
    out the parameters of its k-th applied gradient and receiving it; ``worker[k]``: who
    pushed update k (shard 0's order). ``thetas[t]``: θ after every shard applied t updates.
    ``pushes[w]``: gradients worker w pushed.
    """

    theta: np.ndarray
    staleness: np.ndarray
    worker: np.ndarray
    thetas: np.ndarray
    pushes: np.ndarray
    wall_time: float
    scheduled: bool
    n_shards: int

    def mean_staleness(self):
        return float(self.staleness.mean()) if self.staleness.size else float("nan")


def ray_downpour(
    server,
    model,
    X,
    y,
    n_workers=3,
    n_shards=2,
    updates=300,
    batch_size=16,
    seed=0,
    theta0=None,
    delays=None,
    order=None,
    worker_sleep=None,
    timeout=TIMEOUT,
    pool=None,
):
    """Downpour SGD (Dean et al., 2012) with a parameter server sharded over Ray actors.

    θ is cut into ``n_shards`` contiguous slices (``np.array_split``); shard s is an actor that
    owns slice s and its own copy of ``server``, a gdlib :class:`~gdlib.Optimizer` (Adagrad in
    the paper) or an :class:`AdaptiveRevision`, which is per coordinate, so sharding does not
    change the arithmetic. Worker w (an actor) holds rows ``downpour_shards(len(y),
    n_workers)[w]`` and draws ``batch_size`` of them per gradient, without replacement, from
    :func:`worker_generators` ``(seed, n_workers)[w]``. It pulls every shard, computes the
    gradient, pushes each shard its slice (with the version it pulled and, for
    AdaptiveRevision, the sum g^Σ it read) and repeats; a shard records the staleness of every
    push it applies. ``worker_sleep[w]`` seconds after each gradient make worker w slower.

    Free-running (``delays=None``): workers stop once every shard has applied ``updates``
    updates; pushes in flight are still applied (at most ``n_workers − 1`` extra).
    Scheduled (``delays`` an int or ``updates`` ints >= 0, ``order`` the worker of every
    update, default round robin): update t is computed by ``order[t-1]`` on the parameters
    after update t − 1 − min(delays[t-1], t − 1), and every shard applies the updates in the
    order t = 1, 2, ...: exactly ``updates`` updates with exactly that staleness, independent
    of timing. Returns a :class:`RayDownpourResult`.
    """
    _running_ray()
    if not isinstance(server, (Optimizer, AdaptiveRevision)):
        raise ValueError(
            f"server must be a gdlib Optimizer or an AdaptiveRevision, got {type(server).__name__}"
        )
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    n_shards = check_int("n_shards", n_shards, 1)
    if n_shards > min(theta.size, MAX_WORKERS):
        raise ValueError(
            f"n_shards must be in [1, {min(theta.size, MAX_WORKERS)}], got {n_shards}"
        )
    updates = check_int("updates", updates, 0)
    sleeps = np.zeros(n_workers)
    if worker_sleep is not None:
        sleeps = _check_array("worker_sleep", worker_sleep, shape=(n_workers,))
        if np.any(sleeps < 0):
            raise ValueError(
                f"worker_sleep must hold seconds >= 0, got {sleeps.min()!r}"
            )
    timeout = _check_timeout("timeout", timeout)
    scheduled = delays is not None
    jobs = [[] for _ in range(n_workers)]
    needed = []
    if scheduled:
        if isinstance(delays, (int, np.integer)) and not isinstance(delays, bool):
            delays = np.full(updates, check_int("delays", delays, 0))
        delays = _check_nonnegative_ints("delays", delays, length=updates)
        order = np.arange(updates) % n_workers if order is None else order
        order = _check_nonnegative_ints("order", order, length=updates)
        if order.size and order.max() >= n_workers:
            raise ValueError(
                f"order must hold worker indices in [0, {n_workers - 1}], got {int(order.max())}"
            )
        for j in range(1, updates + 1):
            base = j - 1 - min(int(delays[j - 1]), j - 1)
            jobs[int(order[j - 1])].append((j, base))
            needed.append(base)
    elif order is not None:
        raise ValueError("order needs delays (it only applies to a scheduled run)")
    pieces = np.array_split(theta.ravel(), n_shards)
    cuts = np.cumsum([len(p) for p in pieces])[:-1]
    run = _Run(pool, n_shards + n_workers, timeout)
    try:
        servers = [
            run.place(_Shard(pieces[s], copy.deepcopy(server), needed))
            for s in range(n_shards)
        ]
        rngs = worker_generators(seed, n_workers)
        workers = [
            run.place(
                _DownpourWorker(
                    w,
                    _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                    servers,
                    cuts,
                    float(sleeps[w]),
                )
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        refs = [
            wk.remote("run_jobs", jobs[w])
            if scheduled
            else wk.remote("run_free", updates)
            for w, wk in enumerate(workers)
        ]
        pushes = np.array(run.get(refs, "the Downpour workers"), dtype=int)
        wall = time.perf_counter() - t0
        reports = run.get([s.remote("report") for s in servers], "the server shards")
    finally:
        run.end()
    staleness = np.array([r[0] for r in reports])
    thetas = np.concatenate([r[2] for r in reports], axis=1).reshape(
        (-1,) + theta.shape
    )
    return RayDownpourResult(
        thetas[-1].copy(),
        staleness,
        reports[0][1],
        thetas,
        pushes,
        wall,
        scheduled,
        n_shards,
    )
