"""Downpour SGD (Dean et al., 2012): a parameter server and asynchronous workers, free-running
or on a schedule that fixes the staleness of every update."""

from __future__ import annotations

import heapq
import math
import os
import pickle
import queue
import time
from collections import Counter, deque
from dataclasses import dataclass

import numpy as np

from ..base import Optimizer, check_int
from .hogwild import _check_theta0
from .processes import (
    MAX_WORKERS,
    TIMEOUT,
    WorkerError,
    _await,
    _check_array,
    _check_nonnegative_ints,
    _check_seed,
    _check_timeout,
    _check_workers,
    _Workers,
    get_context,
)

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
            time.sleep(sleep)  # a slower machine
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
                raise ValueError(
                    f"w must be a worker index in [0, {len(self.pushes) - 1}], got {w}"
                )
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
        raise ValueError(
            f"compute_times must have one entry per worker, 1 to {MAX_WORKERS} of them, "
            f"got {len(times)}"
        )
    if np.any(times <= 0):
        raise ValueError(f"compute_times must all be > 0, got {times.min()!r}")
    updates = check_int("updates", updates, 0)
    heap = [
        (float(c), w, 0) for w, c in enumerate(times)
    ]  # (finish time, worker, version pulled)
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
            raise ValueError(
                f"model must have the methods init, grad and loss; {type(model).__name__} "
                f"has no {method}"
            )
    return model


def downpour(
    optimizer,
    model,
    X,
    y,
    n_workers=3,
    updates=300,
    batch_size=16,
    seed=0,
    theta0=None,
    record_every=10,
    worker_sleep=None,
    start_method=None,
    timeout=TIMEOUT,
    delays=None,
    order=None,
):
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
        raise ValueError(
            f"optimizer must be a gdlib Optimizer, got {type(optimizer).__name__}"
        )
    _check_model(model)
    X = _check_array("X", X, ndim=2)
    y = _check_array("y", y, shape=(len(X),))
    n_workers = _check_workers(n_workers)
    if n_workers > len(y):
        raise ValueError(
            f"n_workers must be at most the number of rows, {len(y)}, got {n_workers}"
        )
    updates = check_int("updates", updates, 0)
    shards = downpour_shards(len(y), n_workers)
    smallest = min(len(s) for s in shards)
    batch_size = check_int("batch_size", batch_size, 1)
    if batch_size > smallest:
        raise ValueError(
            f"batch_size must be in [1, {smallest}] (the smallest of the {n_workers} shards "
            f"of the {len(y)} rows), got {batch_size}"
        )
    seed = _check_seed(seed)
    record_every = check_int("record_every", record_every, 1)
    if worker_sleep is None:
        sleeps = np.zeros(n_workers)
    else:
        sleeps = _check_array("worker_sleep", worker_sleep, shape=(n_workers,))
        if np.any(sleeps < 0):
            raise ValueError(
                f"worker_sleep must hold seconds >= 0, got {sleeps.min()!r}"
            )
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
            raise ValueError(
                f"order must hold worker indices in [0, {n_workers - 1}], got {int(order.max())}"
            )
    elif order is not None:
        raise ValueError(
            "order is only used together with delays (a scheduled run); pass delays too"
        )
    ctx = get_context(start_method)

    theta = np.array(model.init(X.shape[1]), dtype=float)
    if theta0 is not None:
        theta = _check_theta0(theta0, theta.shape).copy()
    optimizer.reset()
    seeds = np.random.SeedSequence(seed).spawn(n_workers)
    inbox, go = ctx.Queue(), ctx.Event()
    pipes = [
        ctx.Pipe(duplex=False) for _ in range(n_workers)
    ]  # (receive end, send end)
    workers = _Workers(
        ctx,
        _downpour_worker,
        "Downpour",
        [
            (
                w,
                pickle.dumps(
                    (
                        model,
                        X[shards[w]],
                        y[shards[w]],
                        batch_size,
                        seeds[w],
                        float(sleeps[w]),
                    )
                ),
                inbox,
                pipes[w][0],
                go,
                timeout,
                os.getpid(),
            )
            for w in range(n_workers)
        ],
    )
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
                raise TimeoutError(
                    f"the parameter server received no message for {timeout:g} s "
                    f"while waiting for {waiting_for}"
                )

    def send(w, reply):
        """Answer worker w; a worker that died makes its pipe fail, and is reported."""
        try:
            pipes[w][1].send(reply)
        except OSError:  # BrokenPipeError: the worker is gone
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline:  # give its exit code time to appear
                workers.check()
                time.sleep(0.01)
            raise WorkerError(
                f"Downpour worker {w} closed its connection to the parameter server", w
            ) from None

    def apply(w, version, g):
        nonlocal t
        staleness.append(t - version)
        who.append(w)
        optimizer.step(theta, lambda _theta, g=g: g)  # the server's Adagrad
        t += 1
        if t % record_every == 0:
            loss_updates.append(t)
            losses.append(model.loss(theta, X, y))

    if scheduled:
        jobs = [deque() for _ in range(n_workers)]
        for j, w in enumerate(order, start=1):
            jobs[w].append(j)
        base = {
            j: j - 1 - min(int(delays[j - 1]), j - 1) for j in range(1, updates + 1)
        }
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
        for (
            receive_end,
            _,
        ) in pipes:  # only the workers read them: a dead one's pipe breaks
            receive_end.close()
        ready = 0
        while ready < n_workers:
            ready += receive("the workers to start")[0] == "ready"
        t0 = time.perf_counter()
        go.set()
        done = 0
        while done < n_workers:
            msg = receive(
                "a pull or a push"
                if not scheduled
                else f"the gradient of update {t + 1}"
            )
            kind, w = msg[0], msg[1]
            if kind == "pull":
                if scheduled:
                    serve(w)
                else:
                    send(w, (None, t, theta.copy()) if t < updates else None)
            elif kind == "push":
                job, version, g = msg[2], msg[3], msg[4]
                if np.shape(g) != theta.shape:
                    raise ValueError(
                        f"model.grad returned a gradient of shape {np.shape(g)} in worker {w}, "
                        f"but theta has shape {theta.shape}"
                    )
                if not scheduled:
                    apply(w, version, g)
                    continue
                early[job] = (w, version, g)
                while t + 1 in early:  # apply strictly in the order of the schedule
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
            send_end.close()  # a worker still waiting for a reply sees EOF
        workers.stop(5.0 if ok else 0.0)  # after a failure, stop the others at once
        for receive_end, _ in pipes:
            receive_end.close()  # (a no-op if already closed)
        inbox.close()
        inbox.join_thread()
    if loss_updates[-1] != t:
        loss_updates.append(t)
        losses.append(model.loss(theta, X, y))
    who = np.array(who, dtype=int)
    return DownpourResult(
        theta,
        np.array(staleness, dtype=int),
        who,
        np.array(loss_updates),
        np.array(losses),
        np.bincount(who, minlength=n_workers),
        wall,
        ctx.get_start_method(),
        scheduled,
    )
