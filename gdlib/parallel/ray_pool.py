"""Ray for gdlib: starting and stopping it, and a pool of host actors that the distributed
algorithms of :mod:`gdlib.parallel.ray_ps` and :mod:`gdlib.parallel.ray_sync` place their roles on.

Ray is imported lazily, so ``import gdlib`` works without it.
"""

from __future__ import annotations

import contextlib
import copy
import uuid

import numpy as np

from ..base import check_int
from .downpour import _check_model, downpour_shards
from .processes import (
    MAX_WORKERS,
    TIMEOUT,
    WorkerError,
    _check_array,
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
        raise RuntimeError(
            "Ray is already running; use it directly or shut it down first"
        )
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


class _Role:
    """A role (shard, worker, replica, centre) living on a host actor, in its own threads."""

    timeout = TIMEOUT

    def attach(self):
        import threading

        self.cond, self.cancelled = threading.Condition(), False

    def cancel(self):
        with self.cond:
            self.cancelled = True
            self.cond.notify_all()

    def wait(self, predicate, what):
        with self.cond:
            ok = self.cond.wait_for(lambda: self.cancelled or predicate(), self.timeout)
        if self.cancelled:
            raise RuntimeError(f"cancelled while waiting for {what}")
        if not ok:
            raise TimeoutError(f"waited {self.timeout:g} s for {what}")

    def notify(self):
        with self.cond:
            self.cond.notify_all()


class _Host:
    """A generic actor that hosts roles; its methods run in up to 64 threads at once."""

    def __init__(self):
        self.roles = {}

    def put(self, key, role):
        role = copy.deepcopy(
            role
        )  # Ray hands over read-only arrays; the role owns copies
        role.attach()
        self.roles[key] = role
        return True

    def call(self, key, method, *args):
        return getattr(self.roles[key], method)(*args)

    def drop(self, prefix):
        for key in [k for k in self.roles if k.startswith(prefix)]:
            self.roles.pop(key).cancel()
        return True

    def pid(self):
        import os

        return os.getpid()


class _Ref:
    """A handle to a role on a host: ``ref.remote("method", *args)`` returns an ObjectRef."""

    def __init__(self, host, key):
        self.host, self.key = host, key

    def remote(self, method, *args):
        return self.host.call.remote(self.key, method, *args)


class RayPool:
    """``n_hosts`` host actors that the functions of this module place their roles on.

    Starting an actor starts a Python process, which takes seconds on a busy machine; a
    pool started once (per chapter, say) lets many calls reuse the same processes. Every
    function also works without one (``pool=None``): then it starts its own pool and closes
    it before it returns. ``close()`` (or leaving a ``with RayPool(...)`` block) kills every
    host. Roles of one call are removed from the hosts when the call ends, whatever happened.
    """

    def __init__(self, n_hosts=6, timeout=TIMEOUT):
        self.ray = _running_ray()
        self.n_hosts = check_int("n_hosts", n_hosts, 1)
        if self.n_hosts > MAX_WORKERS:
            raise ValueError(
                f"n_hosts must be in [1, {MAX_WORKERS}], got {self.n_hosts}"
            )
        self.timeout = _check_timeout("timeout", timeout)
        self.id = uuid.uuid4().hex[:8]
        self.hosts = []
        try:
            for i in range(self.n_hosts):
                self.hosts.append(
                    self.ray.remote(_Host)
                    .options(
                        name=f"{ACTOR_PREFIX}{self.id}-host-{i}",
                        num_cpus=0,
                        max_concurrency=64,
                    )
                    .remote()
                )
            self.pids = self.get(
                [h.pid.remote() for h in self.hosts], "the hosts to start"
            )
        except BaseException:
            self.close()
            raise

    def get(self, refs, what):
        """``ray.get`` with the timeout; a role's exception becomes a WorkerError."""
        ray = self.ray
        try:
            return ray.get(refs, timeout=self.timeout)
        except ray.exceptions.GetTimeoutError:
            raise TimeoutError(
                f"no answer within {self.timeout:g} s while waiting for {what}"
            ) from None
        except ray.exceptions.RayError as exc:
            raise WorkerError(
                f"a Ray actor failed while the caller waited for {what}:\n{exc}", None
            ) from exc

    def close(self):
        for h in self.hosts:
            try:
                self.ray.kill(h, no_restart=True)
            except Exception:  # pragma: no cover - already dead
                pass
        self.hosts = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Run:
    """The roles of one call on a pool (its own pool if none is given)."""

    def __init__(self, pool, n_roles, timeout):
        self.own = pool is None
        if not self.own and not isinstance(pool, RayPool):
            raise ValueError(
                f"pool must be a RayPool or None, got {type(pool).__name__}"
            )
        if not self.own and not pool.hosts:
            raise ValueError("pool is closed")
        self.pool = RayPool(n_roles, timeout) if self.own else pool
        self.timeout, self.key, self.n = timeout, uuid.uuid4().hex[:8] + "-", 0

    def place(self, role):
        role.timeout = self.timeout
        host = self.pool.hosts[self.n % len(self.pool.hosts)]
        key = f"{self.key}{self.n}"
        self.n += 1
        self.pool.get(host.put.remote(key, role), "a role to be placed")
        return _Ref(host, key)

    def get(self, refs, what):
        return self.pool.get(refs, what)

    def end(self):
        if self.own:
            self.pool.close()
            return
        try:  # cancel this call's roles (a waiting shard stops waiting); best effort
            self.pool.ray.get(
                [h.drop.remote(self.key) for h in self.pool.hosts], timeout=self.timeout
            )
        except Exception:  # pragma: no cover - a dead host: its roles are gone anyway
            pass


def _check_common(model, X, y, n_workers, batch_size, seed, theta0):
    _check_model(model)
    X = _check_array("X", X, ndim=2)
    y = _check_array("y", y, shape=(len(X),))
    n_workers = _check_workers(n_workers)
    if n_workers > len(y):
        raise ValueError(
            f"n_workers must be at most the number of rows, {len(y)}, got {n_workers}"
        )
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
    return [
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_workers)
    ]


class _Data:
    """A worker's shard of the data and its own generator of mini-batches."""

    def __init__(self, model, X, y, batch_size, rng):
        self.model, self.X, self.y, self.batch_size, self.rng = (
            model,
            X,
            y,
            batch_size,
            rng,
        )

    def grad(self, theta):
        rows = self.rng.choice(len(self.y), size=self.batch_size, replace=False)
        g = np.asarray(self.model.grad(theta, self.X[rows], self.y[rows]), dtype=float)
        if g.shape != theta.shape:
            raise ValueError(
                f"model.grad returned shape {g.shape}, theta has {theta.shape}"
            )
        return g


def live_actors():
    """Names of the live actors started by this module (empty if Ray is not running)."""
    ray = _ray()
    if not ray.is_initialized():
        return []
    names = ray.util.list_named_actors(all_namespaces=True)
    names = [n["name"] if isinstance(n, dict) else n for n in names]
    return sorted(n for n in names if n.startswith(ACTOR_PREFIX))
