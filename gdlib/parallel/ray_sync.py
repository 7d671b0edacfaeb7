"""Synchronous data parallelism, local SGD / federated averaging and asynchronous EASGD on
Ray actors (see :mod:`gdlib.parallel.ray_ps` for how the roles, hosts and pools work)."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from ..base import Optimizer, check_int, check_real
from .processes import (
    TIMEOUT,
    _check_array,
    _check_timeout,
)
from .ray_pool import _check_common, _Data, _Role, _Run, _running_ray, worker_generators

# ----------------------------------------------------------------------------------------
# Synchronous data parallelism and local SGD / federated averaging
# ----------------------------------------------------------------------------------------


class _Replica(_Role):
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
    optimizer,
    model,
    X,
    y,
    n_workers=2,
    steps=100,
    batch_size=16,
    seed=0,
    theta0=None,
    etas=None,
    timeout=TIMEOUT,
    pool=None,
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
    _running_ray()
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"optimizer must be a gdlib Optimizer, got {type(optimizer).__name__}"
        )
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    steps = check_int("steps", steps, 0)
    etas = _check_etas(etas, steps)
    timeout = _check_timeout("timeout", timeout)
    thetas = [theta.copy()]
    run = _Run(pool, n_workers, timeout)
    try:
        rngs = worker_generators(seed, n_workers)
        reps = [
            run.place(
                _Replica(
                    _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                    theta,
                    copy.deepcopy(optimizer),
                )
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        for t in range(steps):
            grads = run.get(
                [r.remote("grad") for r in reps], f"the gradients of step {t + 1}"
            )
            g = np.mean(grads, axis=0)  # the all-reduce (mean)
            eta = None if etas is None else float(etas[t])
            run.get(
                [r.remote("apply", g, eta) for r in reps],
                f"the updates of step {t + 1}",
            )
            thetas.append(run.get(reps[0].remote("get_theta"), "replica 0"))
        wall = time.perf_counter() - t0
        replicas = np.array(
            run.get([r.remote("get_theta") for r in reps], "the replicas")
        )
    finally:
        run.end()
    return SyncResult(replicas[0].copy(), np.array(thetas), replicas, wall)


def ray_local_sgd(
    model,
    X,
    y,
    n_workers=2,
    rounds=20,
    local_steps=5,
    eta=0.1,
    batch_size=16,
    seed=0,
    theta0=None,
    timeout=TIMEOUT,
    pool=None,
):
    """Local SGD / federated averaging (McMahan et al., 2017): every round, each worker runs
    ``local_steps`` plain SGD steps of size ``eta`` from the current θ on its own shard, and
    θ becomes the average of the workers' results weighted by their shard sizes n_w / n.

    With ``local_steps=1`` and equal shards this is synchronous data-parallel SGD. Returns a
    :class:`SyncResult` (``thetas[r]``: θ after round r; ``replicas``: the workers' results
    of the last round).
    """
    _running_ray()
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    rounds = check_int("rounds", rounds, 0)
    local_steps = check_int("local_steps", local_steps, 1)
    eta = check_real("eta", eta, 0.0, low_open=True)
    timeout = _check_timeout("timeout", timeout)
    weights = np.array([len(s) for s in shards], dtype=float) / len(y)
    thetas, local = [theta.copy()], np.array([theta.copy()])
    run = _Run(pool, n_workers, timeout)
    try:
        rngs = worker_generators(seed, n_workers)
        reps = [
            run.place(
                _Replica(
                    _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                    theta,
                    None,
                )
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        for r in range(rounds):
            local = np.array(
                run.get(
                    [c.remote("local", theta, local_steps, eta) for c in reps],
                    f"round {r + 1}",
                )
            )
            theta = np.tensordot(weights, local, axes=1)
            thetas.append(theta.copy())
        wall = time.perf_counter() - t0
    finally:
        run.end()
    return SyncResult(theta, np.array(thetas), local, wall, {"weights": weights})


# ----------------------------------------------------------------------------------------
# Asynchronous EASGD
# ----------------------------------------------------------------------------------------


class _Center(_Role):
    """EASGD's centre variable x̃; ``exchange`` is the atomic elastic update of the master."""

    def __init__(self, center, alpha, n_workers, round_robin):
        self.center, self.alpha, self.p, self.rr = (
            center.copy(),
            alpha,
            n_workers,
            round_robin,
        )
        self.count, self.history, self.who = 0, [self.center.copy()], []

    def exchange(self, x, worker, k):
        if self.rr:  # the k-th exchange of worker w comes at slot k p + w
            self.wait(
                lambda: self.count == k * self.p + worker,
                f"exchange {k} of worker {worker}",
            )
        with self.cond:
            diff = self.alpha * (x - self.center)
            self.center += diff
            self.count += 1
            self.history.append(self.center.copy())
            self.who.append(worker)
            self.cond.notify_all()
        return diff

    def report(self):
        return self.center.copy(), np.array(self.history), np.array(self.who)


class _EASGDWorker(_Role):
    def __init__(self, wid, data, x0, center, eta, tau):
        self.wid, self.data, self.x = wid, data, x0.copy()
        self.center, self.eta, self.tau = center, eta, tau
        self.grad_sum = np.zeros_like(self.x)

    def run(self, steps):
        import ray

        k = 0
        for t in range(steps):
            if (
                t % self.tau == 0
            ):  # Zhang et al., Algorithm 1: talk to the master every tau steps
                diff = ray.get(
                    self.center.remote("exchange", self.x, self.wid, k),
                    timeout=self.timeout,
                )
                self.x -= diff
                k += 1
            g = self.data.grad(self.x)
            self.grad_sum += g
            self.x -= self.eta * g
        return self.x.copy(), self.grad_sum.copy(), k


def ray_easgd(
    model,
    X,
    y,
    n_workers=2,
    steps=200,
    eta=0.1,
    rho=1.0,
    tau=1,
    batch_size=16,
    seed=0,
    theta0=None,
    round_robin=False,
    timeout=TIMEOUT,
    pool=None,
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
    _running_ray()
    X, y, n_workers, shards, batch_size, seed, theta = _check_common(
        model, X, y, n_workers, batch_size, seed, theta0
    )
    steps = check_int("steps", steps, 0)
    eta = check_real("eta", eta, 0.0, low_open=True)
    rho = check_real("rho", rho, 0.0)
    tau = check_int("tau", tau, 1)
    alpha = eta * rho
    if not alpha < 1:
        raise ValueError(
            f"eta * rho must be < 1 (the moving rate alpha), got {alpha:g}"
        )
    if not isinstance(round_robin, (bool, np.bool_)):
        raise ValueError(f"round_robin must be True or False, got {round_robin!r}")
    timeout = _check_timeout("timeout", timeout)
    run = _Run(pool, n_workers + 1, timeout)
    try:
        center = run.place(_Center(theta, alpha, n_workers, bool(round_robin)))
        rngs = worker_generators(seed, n_workers)
        workers = [
            run.place(
                _EASGDWorker(
                    w,
                    _Data(model, X[shards[w]], y[shards[w]], batch_size, rngs[w]),
                    theta,
                    center,
                    eta,
                    tau,
                )
            )
            for w in range(n_workers)
        ]
        t0 = time.perf_counter()
        results = run.get(
            [wk.remote("run", steps) for wk in workers], "the EASGD workers"
        )
        wall = time.perf_counter() - t0
        final_center, history, who = run.get(center.remote("report"), "the centre")
    finally:
        run.end()
    return SyncResult(
        final_center,
        history,
        np.array([r[0] for r in results]),
        wall,
        {"grad_sums": np.array([r[1] for r in results]), "who": who, "alpha": alpha},
    )
