"""Distributed SGD on Ray actors: a sharded parameter server (Downpour SGD), synchronous data
parallelism, asynchronous EASGD, and local SGD / federated averaging.

Ray is imported lazily, so ``import gdlib`` works without it; install it with
``pip install ray==2.60.0``. Every function here needs a running Ray (``ray.init`` or
:func:`ray_session`) and starts its own actors, which it kills in a ``finally`` block,
whatever happened: a call leaves no actor behind. Each actor gets a name
``gdlib-<run>-<role>-<i>`` (see :data:`ACTOR_PREFIX`), so ``ray.util.list_named_actors``
shows whether any is still alive. Every wait of the caller has a finite timeout; a worker
that raises makes the call raise a :class:`~gdlib.parallel.WorkerError` holding the
worker's error.

Like the process-based :func:`gdlib.parallel.downpour`, the Downpour server can impose the
staleness of every update (``delays``); then the run does not depend on timing at all and
equals a serial computation with the same delays. Synchronous data parallelism, local SGD
and round-robin EASGD are deterministic by construction.
"""

from __future__ import annotations

import contextlib
import copy
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..base import Optimizer, check_int, check_real
from .delay_tolerant import AdaptiveRevision
from .downpour import _check_model, downpour_shards
from .processes import (
    MAX_WORKERS,
    TIMEOUT,
    WorkerError,
    _check_array,
    _check_nonnegative_ints,
    _check_seed,
    _check_timeout,
    _check_workers,
)

#: The prefix of the name of every actor started here.
ACTOR_PREFIX = "gdlib-"


def _ray():
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "gdlib.parallel.ray_ps needs Ray: pip install ray==2.60.0"
        ) from None
    return ray


def _running_ray():
    ray = _ray()
    if not ray.is_initialized():
        raise RuntimeError(
            "Ray is not running: start it with ray.init(...) or "
            "`with gdlib.parallel.ray_session(): ...` first"
        )
    return ray


@contextlib.contextmanager
def ray_session(num_cpus=2, address=None, **kwargs):
    """Start Ray (locally with ``num_cpus`` CPUs, or connect to a cluster at ``address``),
    yield the ``ray`` module, and shut Ray down on exit, whatever happened."""
    ray = _ray()
    if ray.is_initialized():
        raise RuntimeError("Ray is already running; use it directly or shut it down first")
    if address is None:
        num_cpus = check_int("num_cpus", num_cpus, 1)
        kwargs.setdefault("include_dashboard", False)
        ray.init(num_cpus=num_cpus, **kwargs)
    else:
        ray.init(address=address, **kwargs)
    try:
        yield ray
    finally:
        ray.shutdown()


class _Actors:
    """The actors of one call: started with unique names, all killed by :meth:`kill_all`."""

    def __init__(self, ray, timeout):
        self.ray, self.timeout = ray, timeout
        self.run = uuid.uuid4().hex[:8]
        self.handles, self.roles = [], []

    def start(self, cls, role, *args, max_concurrency=None):
        options = dict(name=f"{ACTOR_PREFIX}{self.run}-{role}-{len(self.handles)}", num_cpus=0)
        if max_concurrency:
            options["max_concurrency"] = max_concurrency
        handle = self.ray.remote(cls).options(**options).remote(*args)
        self.handles.append(handle)
        self.roles.append(role)
        return handle

    def get(self, refs, what):
        """``ray.get`` with the timeout; a worker's exception becomes a WorkerError."""
        ray = self.ray
        try:
            return ray.get(refs, timeout=self.timeout)
        except ray.exceptions.GetTimeoutError:
            raise TimeoutError(f"no answer within {self.timeout:g} s while waiting for {what}") from None
        except ray.exceptions.RayError as exc:
            raise WorkerError(f"a Ray actor failed while the caller waited for {what}:\n{exc}", None) from exc

    def kill_all(self):
        for h in self.handles:
            try:
                self.ray.kill(h, no_restart=True)
            except Exception:  # pragma: no cover - already dead
                pass
        self.handles = []


def _check_common(model, X, y, n_workers, batch_size, seed, theta0):
    _check_model(model)
    X = _check_array("X", X, ndim=2)
    y = _check_array("y", y, shape=(len(X),))
    n_workers = _check_workers(n_workers)
    if n_workers > len(y):
        raise ValueError(f"n_workers must be at most the number of rows, {len(y)}, got {n_workers}")
    shards = downpour_shards(len(y), n_workers)
    smallest = min(len(s) for s in shards)
    batch_size = check_int("batch_size", batch_size, 1)
    if batch_size > smallest:
        raise ValueError(
            f"batch_size must be in [1, {smallest}] (the smallest of the {n_workers} shards "
            f"of the {len(y)} rows), got {batch_size}"
        )
    seed = _check_seed(seed)
    theta = np.asarray(model.init(X.shape[1]), dtype=float)
    if theta0 is not None:
        theta = _check_array("theta0", theta0, shape=theta.shape)
    return X, y, n_workers, shards, batch_size, seed, theta.copy()


def worker_generators(seed, n_workers):
    """Worker w's generator: ``default_rng(SeedSequence(seed).spawn(n_workers)[w])``."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_workers)]


class _Data:
    """A worker's shard of the data and its own generator of mini-batches."""

    def __init__(self, model, X, y, batch_size, rng):
        self.model, self.X, self.y, self.batch_size, self.rng = model, X, y, batch_size, rng

    def grad(self, theta):
        rows = self.rng.choice(len(self.y), size=self.batch_size, replace=False)
        g = np.asarray(self.model.grad(theta, self.X[rows], self.y[rows]), dtype=float)
        if g.shape != theta.shape:
            raise ValueError(f"model.grad returned shape {g.shape}, theta has {theta.shape}")
        return g


# ----------------------------------------------------------------------------------------
# Downpour SGD with a sharded parameter server
# ----------------------------------------------------------------------------------------


class _Shard:
    """One server shard: a slice of θ and its own optimizer (or AdaptiveRevision) state.

    An async actor: a scheduled pull waits until the version it needs exists, a scheduled
    push until it is its turn; the event loop serves everybody else meanwhile."""

    def __init__(self, theta, rule, needed):
        import asyncio

        self.theta, self.rule = theta.copy(), rule
        self.revision = isinstance(rule, AdaptiveRevision)
        self.gbar = np.zeros_like(self.theta)
        self.version, self.staleness, self.worker = 0, [], []
        self.history = [self.theta.copy()]
        self.needed = Counter(needed)
        self.saved = {0: (self.theta.copy(), self.gbar.copy())}
        self.cond = asyncio.Condition()

    async def pull(self, version=-1):
        if version < 0:
            return self.version, self.theta.copy(), self.gbar.copy()
        async with self.cond:
            await self.cond.wait_for(lambda: self.version >= version)
        theta, gbar = self.saved[version]
        self.needed[version] -= 1
        if self.needed[version] <= 0 and version > 0:
            del self.saved[version]
        return version, theta, gbar

    async def push(self, g, version, gbar_old, worker, job=0):
        if job:
            async with self.cond:
                await self.cond.wait_for(lambda: self.version == job - 1)
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
        async with self.cond:
            self.cond.notify_all()
        return self.version

    async def report(self):
        return np.array(self.staleness), np.array(self.worker), np.array(self.history)


class _DownpourWorker:
    """A model replica: pulls every shard, computes a mini-batch gradient, pushes the slices."""

    def __init__(self, wid, data, shards, cuts, sleep):
        self.wid, self.data, self.shards, self.cuts, self.sleep = wid, data, shards, cuts, sleep

    def _pull(self, version=-1):
        import ray

        parts = ray.get([s.pull.remote(version) for s in self.shards])
        return [p[0] for p in parts], np.concatenate([p[1] for p in parts]), [p[2] for p in parts]

    def _push(self, g, versions, gbars, job=0):
        import ray

        pieces = np.split(g, self.cuts)
        ray.get([
            s.push.remote(piece, v, gb, self.wid, job)
            for s, piece, v, gb in zip(self.shards, pieces, versions, gbars)
        ])

    def run_free(self, updates):
        pushes = 0
        while True:
            versions, theta, gbars = self._pull()
            if min(versions) >= updates:
                return pushes
            g = self.data.grad(theta)
            if self.sleep:
                time.sleep(self.sleep)
            self._push(g, versions, gbars)
            pushes += 1

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
):
    """Downpour SGD (Dean et al., 2012) with a parameter server sharded over Ray actors.

    θ is cut into ``n_shards`` contiguous slices (``np.array_split``); shard s is an actor that
    owns slice s and its own copy of ``server``, a gdlib :class:`~gdlib.Optimizer` (Adagrad in
    the paper) or an :class:`AdaptiveRevision`, which is per coordinate, so sharding does not
    change the arithmetic. Worker w (an actor) holds rows ``downpour_shards(len(y),
    n_workers)[w]`` and draws ``batch_size`` of them per gradient, without replacement, from
    :func:`worker_generators` ``(seed, n_workers)[w]``. It pulls every shard, computes the
    gradient, pushes each shard its slice (with the version it pulled and, for
    AdaptiveRevision, the ḡ it read) and repeats; a shard records the staleness of every
    push it applies. ``worker_sleep[w]`` seconds after each gradient make worker w slower.

    Free-running (``delays=None``): workers stop once every shard has applied ``updates``
    updates; pushes in flight are still applied (at most ``n_workers − 1`` extra).
    Scheduled (``delays`` an int or ``updates`` ints >= 0, ``order`` the worker of every
    update, default round robin): update t is computed by ``order[t-1]`` on the parameters
    after update t − 1 − min(delays[t-1], t − 1), and every shard applies the updates in the
    order t = 1, 2, ...: exactly ``updates`` updates with exactly that staleness, independent
    of timing. Returns a :class:`RayDownpourResult`.
    """
    ray = _running_ray()
    if not isinstance(server, (Optimizer, AdaptiveRevision)):
        raise ValueError(
            f"server must be a gdlib Optimizer or an AdaptiveRevision, got {type(server).__name__}"
        )
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    n_shards = check_int("n_shards", n_shards, 1)
    if n_shards > min(theta.size, MAX_WORKERS):
        raise ValueError(f"n_shards must be in [1, {min(theta.size, MAX_WORKERS)}], got {n_shards}")
    updates = check_int("updates", updates, 0)
    sleeps = np.zeros(n_workers)
    if worker_sleep is not None:
        sleeps = _check_array("worker_sleep", worker_sleep, shape=(n_workers,))
        if np.any(sleeps < 0):
            raise ValueError(f"worker_sleep must hold seconds >= 0, got {sleeps.min()!r}")
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
            raise ValueError(f"order must hold worker indices in [0, {n_workers - 1}], got {int(order.max())}")
        for j in range(1, updates + 1):
            base = j - 1 - min(int(delays[j - 1]), j - 1)
            jobs[int(order[j - 1])].append((j, base))
            needed.append(base)
    elif order is not None:
        raise ValueError("order needs delays (it only applies to a scheduled run)")
    pieces = np.array_split(theta.ravel(), n_shards)
    cuts = np.cumsum([len(p) for p in pieces])[:-1]
    actors = _Actors(ray, timeout)
    try:
        servers = [
            actors.start(_Shard, f"shard{s}", pieces[s], copy.deepcopy(server), needed)
            for s in range(n_shards)
        ]
        rngs = worker_generators(seed, n_workers)
        workers = [
            actors.start(
                _DownpourWorker, f"worker{w}", w,
                _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                servers, cuts, float(sleeps[w]),
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        refs = [
            wk.run_jobs.remote(jobs[w]) if scheduled else wk.run_free.remote(updates)
            for w, wk in enumerate(workers)
        ]
        pushes = np.array(actors.get(refs, "the Downpour workers"), dtype=int)
        wall = time.perf_counter() - t0
        reports = actors.get([s.report.remote() for s in servers], "the server shards")
    finally:
        actors.kill_all()
    staleness = np.array([r[0] for r in reports])
    thetas = np.concatenate([r[2] for r in reports], axis=1).reshape((-1,) + theta.shape)
    return RayDownpourResult(
        thetas[-1].copy(), staleness, reports[0][1], thetas, pushes, wall, scheduled, n_shards
    )


# ----------------------------------------------------------------------------------------
# Synchronous data parallelism and local SGD / federated averaging
# ----------------------------------------------------------------------------------------


class _Replica:
    """A data-parallel worker: its shard, its generator, a replica of θ and of the optimizer."""

    def __init__(self, data, theta, optimizer):
        self.data, self.theta, self.optimizer = data, theta.copy(), optimizer

    def grad(self):
        return self.data.grad(self.theta)

    def apply(self, g, eta=None):
        if eta is not None:
            self.optimizer.eta = eta
        self.optimizer.step(self.theta, lambda _theta: g)
        return True

    def local(self, theta, steps, eta):
        """Local SGD: ``steps`` plain SGD steps from ``theta`` on this worker's data."""
        theta = theta.copy()
        for _ in range(steps):
            theta -= eta * self.data.grad(theta)
        return theta

    def get_theta(self):
        return self.theta.copy()


@dataclass
class SyncResult:
    """``thetas[t]``: θ after step t (replica 0); ``replicas``: every replica's final θ."""

    theta: np.ndarray
    thetas: np.ndarray
    replicas: np.ndarray
    wall_time: float
    extra: dict = field(default_factory=dict)


def _check_etas(etas, steps):
    if etas is None:
        return None
    etas = _check_array("etas", etas, shape=(steps,))
    if np.any(etas <= 0):
        raise ValueError(f"etas must all be > 0, got {etas.min()!r}")
    return etas


def ray_sync_data_parallel(
    optimizer, model, X, y, n_workers=2, steps=100, batch_size=16, seed=0, theta0=None,
    etas=None, timeout=TIMEOUT,
):
    """Synchronous data parallelism: every step, each worker actor computes a mini-batch
    gradient on its own shard at the same θ, the gradients are averaged (what an all-reduce
    computes) and every replica takes the same step with its own copy of ``optimizer``.

    Worker w draws its rows like :func:`ray_downpour`'s worker w. With equal batch sizes the
    mean of the workers' gradients is the gradient on the union of their batches, so the run
    is ``optimizer`` with batches of ``n_workers * batch_size`` rows. ``etas`` (``steps``
    values > 0) sets the optimizer's ``eta`` at every step (a warm-up schedule, say).
    Returns a :class:`SyncResult`; all replicas end with the same θ.
    """
    ray = _running_ray()
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlib Optimizer, got {type(optimizer).__name__}")
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    steps = check_int("steps", steps, 0)
    etas = _check_etas(etas, steps)
    timeout = _check_timeout("timeout", timeout)
    actors = _Actors(ray, timeout)
    thetas = [theta.copy()]
    try:
        rngs = worker_generators(seed, n_workers)
        reps = [
            actors.start(
                _Replica, f"replica{w}",
                _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                theta, copy.deepcopy(optimizer),
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        for t in range(steps):
            grads = actors.get([r.grad.remote() for r in reps], f"the gradients of step {t + 1}")
            g = np.mean(grads, axis=0)  # the all-reduce (mean)
            eta = None if etas is None else float(etas[t])
            actors.get([r.apply.remote(g, eta) for r in reps], f"the updates of step {t + 1}")
            thetas.append(actors.get(reps[0].get_theta.remote(), "replica 0"))
        wall = time.perf_counter() - t0
        replicas = np.array(actors.get([r.get_theta.remote() for r in reps], "the replicas"))
    finally:
        actors.kill_all()
    return SyncResult(replicas[0].copy(), np.array(thetas), replicas, wall)


def ray_local_sgd(
    model, X, y, n_workers=2, rounds=20, local_steps=5, eta=0.1, batch_size=16, seed=0,
    theta0=None, timeout=TIMEOUT,
):
    """Local SGD / federated averaging (McMahan et al., 2017): every round, each worker runs
    ``local_steps`` plain SGD steps of size ``eta`` from the current θ on its own shard, and
    θ becomes the average of the workers' results weighted by their shard sizes n_w / n.

    With ``local_steps=1`` and equal shards this is synchronous data-parallel SGD. Returns a
    :class:`SyncResult` (``thetas[r]``: θ after round r; ``replicas``: the workers' results
    of the last round).
    """
    ray = _running_ray()
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    rounds = check_int("rounds", rounds, 0)
    local_steps = check_int("local_steps", local_steps, 1)
    eta = check_real("eta", eta, 0.0, low_open=True)
    timeout = _check_timeout("timeout", timeout)
    weights = np.array([len(s) for s in shards], dtype=float) / len(y)
    actors = _Actors(ray, timeout)
    thetas, local = [theta.copy()], np.array([theta.copy()])
    try:
        rngs = worker_generators(seed, n_workers)
        reps = [
            actors.start(
                _Replica, f"client{w}",
                _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                theta, None,
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        for r in range(rounds):
            local = np.array(actors.get(
                [c.local.remote(theta, local_steps, eta) for c in reps], f"round {r + 1}"
            ))
            theta = np.tensordot(weights, local, axes=1)
            thetas.append(theta.copy())
        wall = time.perf_counter() - t0
    finally:
        actors.kill_all()
    return SyncResult(theta, np.array(thetas), local, wall, {"weights": weights})


# ----------------------------------------------------------------------------------------
# Asynchronous EASGD
# ----------------------------------------------------------------------------------------


class _Center:
    """EASGD's centre variable x̃; ``exchange`` is the atomic elastic update of the master."""

    def __init__(self, center, alpha, n_workers, round_robin):
        import asyncio

        self.center, self.alpha, self.p, self.rr = center.copy(), alpha, n_workers, round_robin
        self.count, self.history, self.who = 0, [self.center.copy()], []
        self.cond = asyncio.Condition()

    async def exchange(self, x, worker, k):
        if self.rr:  # the k-th exchange of worker w comes at slot k p + w
            async with self.cond:
                await self.cond.wait_for(lambda: self.count == k * self.p + worker)
        diff = self.alpha * (x - self.center)
        self.center += diff
        self.count += 1
        self.history.append(self.center.copy())
        self.who.append(worker)
        async with self.cond:
            self.cond.notify_all()
        return diff

    async def report(self):
        return self.center.copy(), np.array(self.history), np.array(self.who)


class _EASGDWorker:
    def __init__(self, wid, data, x0, center, eta, alpha_tau):
        self.wid, self.data, self.x = wid, data, x0.copy()
        self.center, self.eta, self.tau = center, eta, alpha_tau
        self.grad_sum = np.zeros_like(self.x)

    def run(self, steps):
        import ray

        k = 0
        for t in range(steps):
            if t % self.tau == 0:  # Zhang et al., Algorithm 1: talk to the master every tau steps
                diff = ray.get(self.center.exchange.remote(self.x, self.wid, k))
                self.x -= diff
                k += 1
            g = self.data.grad(self.x)
            self.grad_sum += g
            self.x -= self.eta * g
        return self.x.copy(), self.grad_sum.copy(), k


def ray_easgd(
    model, X, y, n_workers=2, steps=200, eta=0.1, rho=1.0, tau=1, batch_size=16, seed=0,
    theta0=None, round_robin=False, timeout=TIMEOUT,
):
    """Asynchronous EASGD (Zhang, Choromanska & LeCun, 2015, Algorithm 1) on Ray actors.

    The centre x̃ lives in an actor; each worker actor runs ``steps`` mini-batch SGD steps of
    size ``eta`` on its shard (rows drawn as in :func:`ray_downpour`), and before steps
    0, ``tau``, 2 ``tau``, ... it exchanges with the centre atomically, with α = ``eta *
    rho``: x̃ ← x̃ + α(x^i − x̃), x^i ← x^i − α(x^i − x̃) (both with the old values).
    ``round_robin=True`` makes the centre serve the exchanges in the fixed order worker 0,
    1, ..., p − 1, 0, 1, ..., so the run is deterministic; otherwise they are served as they
    arrive. Either way the elastic forces cancel: Σ_i x^i + x̃ moves only by −η Σ gradients.
    Returns a :class:`SyncResult` (``theta``: the final centre; ``thetas``: the centre after
    every exchange; ``replicas``: the workers' final x^i; ``extra``: ``grad_sums`` (each
    worker's sum of gradients), ``who`` (the worker of every exchange) and ``alpha``).
    """
    ray = _running_ray()
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    steps = check_int("steps", steps, 0)
    eta = check_real("eta", eta, 0.0, low_open=True)
    rho = check_real("rho", rho, 0.0)
    tau = check_int("tau", tau, 1)
    alpha = eta * rho
    if not alpha < 1:
        raise ValueError(f"eta * rho must be < 1 (the moving rate alpha), got {alpha:g}")
    if not isinstance(round_robin, (bool, np.bool_)):
        raise ValueError(f"round_robin must be True or False, got {round_robin!r}")
    timeout = _check_timeout("timeout", timeout)
    actors = _Actors(ray, timeout)
    try:
        center = actors.start(_Center, "center", theta, alpha, n_workers, bool(round_robin))
        rngs = worker_generators(seed, n_workers)
        workers = [
            actors.start(
                _EASGDWorker, f"worker{w}", w,
                _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                theta, center, eta, tau,
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        results = actors.get([wk.run.remote(steps) for wk in workers], "the EASGD workers")
        wall = time.perf_counter() - t0
        final_center, history, who = actors.get(center.report.remote(), "the centre")
    finally:
        actors.kill_all()
    return SyncResult(
        final_center, history, np.array([r[0] for r in results]), wall,
        {"grad_sums": np.array([r[1] for r in results]), "who": who, "alpha": alpha},
    )


def live_actors():
    """Names of the live actors started by this module (empty if Ray is not running)."""
    ray = _ray()
    if not ray.is_initialized():
        return []
    names = ray.util.list_named_actors(all_namespaces=True)
    names = [n["name"] if isinstance(n, dict) else n for n in names]
    return sorted(n for n in names if n.startswith(ACTOR_PREFIX))
