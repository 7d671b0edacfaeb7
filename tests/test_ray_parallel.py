"""gdlib.parallel on Ray (ray_pool, ray_ps, ray_sync) and AdaptiveRevision.

Ray is started once for the module (and shut down at its end); most tests share one pool of
host actors. What is checked is what the algorithms fix by design: equalities with serial
numpy transcriptions written here, injected delays, counts and invariants, never timing.
"""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import gdlib
from gdlib import GD, Adagrad, LogisticRegression, ravine
from gdlib.parallel import (
    AdaptiveRevision,
    FaultyModel,
    RayPool,
    WorkerError,
    downpour_schedule,
    live_actors,
    ray_downpour,
    ray_easgd,
    ray_local_sgd,
    ray_session,
    ray_sync_data_parallel,
    run_delayed,
)

os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # no auth token written under ~/.ray
ray = pytest.importorskip("ray")
pytestmark = pytest.mark.timeout(600)

DATA = gdlib.load_breast_cancer()
X, Y = DATA.X_train, DATA.y_train
MODEL = LogisticRegression()


# ----------------------------------------------------------------------------------------
# AdaptiveRevision (no Ray)
# ----------------------------------------------------------------------------------------


def test_adaptive_revision_without_delay_is_adagrad():
    d = np.zeros(60, dtype=int)
    a = run_delayed(AdaptiveRevision(eta=0.7), ravine.grad, [-9.0, 2.0], d)
    b = run_delayed(Adagrad(eta=0.7), ravine.grad, [-9.0, 2.0], d)
    assert np.allclose(a, b, rtol=0, atol=1e-12)


def test_adaptive_revision_hand_computed():
    # two gradients computed at the same point, 3 then 4 (eta = 1, eps = 0): the first step
    # is -3/3 = -1; the second has backlog 3, z = 9 + 16 + 2*4*3 = 49, rate 1/7, and
    # theta = -1 - 4/7 + (1/3 - 1/7) * 3 = -1: one Adagrad step on the sum 7.
    ar = AdaptiveRevision(eta=1.0, eps=0.0)
    theta = np.zeros(1)
    old = ar.read(shape=(1,))
    ar.update(theta, np.array([3.0]), old)
    assert theta[0] == pytest.approx(-1.0, abs=1e-15)
    ar.update(theta, np.array([4.0]), old)
    assert ar.z[0] == 49.0 and theta[0] == pytest.approx(-1.0, abs=1e-15)
    # a late gradient of the opposite sign lowers z (4 + 1 - 4 = 1), but z' keeps 4
    ar = AdaptiveRevision(eta=1.0, eps=0.0)
    theta = np.zeros(1)
    ar.update(theta, np.array([2.0]), old)
    ar.update(theta, np.array([-1.0]), old)
    assert ar.z[0] == 1.0 and ar.z_max[0] == 4.0
    assert theta[0] == pytest.approx(
        -0.5, abs=1e-15
    )  # -1 + 1/2, no revision (rate kept)


def _adaptive_revision_numpy(grad, theta0, delays, eta, eps):
    """An independent transcription of McMahan & Streeter's update, with delays."""
    thetas, gbars = [np.array(theta0, float)], [np.zeros(len(theta0))]
    z = np.zeros(len(theta0))
    zmax = np.zeros(len(theta0))
    for t, tau in enumerate(delays, start=1):
        v = t - 1 - min(tau, t - 1)
        g = grad(thetas[v])
        bck = gbars[-1] - gbars[v]
        old_rate = eta / np.sqrt(zmax + eps)
        z = z + g * g + 2 * g * bck
        zmax = np.maximum(zmax, z)
        rate = eta / np.sqrt(zmax + eps)
        thetas.append(thetas[-1] - rate * g + (old_rate - rate) * bck)
        gbars.append(gbars[-1] + g)
    return np.array(thetas)


def test_adaptive_revision_matches_transcription_with_delays():
    delays = np.random.default_rng(3).integers(0, 9, size=200)
    got = run_delayed(
        AdaptiveRevision(eta=0.5, eps=1e-8), ravine.grad, [-9.0, 2.0], delays
    )
    ref = _adaptive_revision_numpy(ravine.grad, [-9.0, 2.0], delays, 0.5, 1e-8)
    assert np.allclose(got, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"eta": 0.0}, "eta"), ({"eta": np.nan}, "eta"), ({"eps": -1.0}, "eps")],
)
def test_adaptive_revision_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdaptiveRevision(**kwargs)


def test_adaptive_revision_update_validates():
    ar = AdaptiveRevision()
    with pytest.raises(ValueError, match="g must have the shape"):
        ar.update(np.zeros(2), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="gbar_old must be finite"):
        ar.update(np.zeros(2), np.zeros(2), np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match="theta must be a float"):
        ar.update([0.0, 0.0], np.zeros(2), np.zeros(2))


def test_gdlib_imports_without_ray():
    code = (
        "import sys; sys.modules['ray'] = None\n"
        "import gdlib, gdlib.parallel\n"
        "try:\n"
        "    gdlib.parallel.ray_downpour(None, None, None, None)\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "ImportError: gdlib.parallel.ray_ps needs Ray" in out.stdout


# ----------------------------------------------------------------------------------------
# On Ray
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def session():
    with ray_session(num_cpus=2) as r:
        yield r
    assert not r.is_initialized()


@pytest.fixture(scope="module")
def pool(session):
    with RayPool(5, timeout=120) as p:
        yield p
    # the pool's processes are gone once it is closed
    _wait_gone(p.pids)


def _wait_gone(pids, seconds=30):
    import psutil

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = [
            p
            for p in pids
            if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"
        ]
        if not alive:
            return
        time.sleep(0.2)
    raise AssertionError(f"Ray host processes still alive: {alive}")


def _worker_rows(seed, n_workers, n_rows, batch, draws):
    """Worker w's rows (global indices), drawn as the docstrings say, written out here."""
    shards = np.array_split(np.arange(n_rows), n_workers)
    rngs = [
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_workers)
    ]
    return [
        [
            shards[w][rngs[w].choice(len(shards[w]), size=batch, replace=False)]
            for _ in range(draws[w])
        ]
        for w in range(n_workers)
    ]


def _grad(theta, rows):
    p = 1 / (1 + np.exp(-X[rows] @ theta))
    return X[rows].T @ (p - Y[rows]) / len(rows)


def test_scheduled_downpour_equals_serial_adagrad_with_the_same_delays(pool):
    updates, n_workers = 120, 3
    order, delays = downpour_schedule((1, 1, 4), updates)
    r = ray_downpour(
        Adagrad(eta=0.1),
        MODEL,
        X,
        Y,
        n_workers=n_workers,
        n_shards=3,
        updates=updates,
        batch_size=8,
        seed=4,
        delays=delays,
        order=order,
        pool=pool,
    )
    assert r.staleness.shape == (3, updates)
    assert np.all(
        r.staleness == delays
    )  # every shard applied exactly the injected delays
    assert np.array_equal(r.worker, order)
    assert list(r.pushes) == list(np.bincount(order, minlength=3))
    rows = _worker_rows(4, n_workers, len(Y), 8, np.bincount(order, minlength=3))
    used = [0] * n_workers
    thetas, G = [np.zeros(X.shape[1])], np.zeros(X.shape[1])
    for t in range(1, updates + 1):
        w = order[t - 1]
        g = _grad(thetas[t - 1 - min(delays[t - 1], t - 1)], rows[w][used[w]])
        used[w] += 1
        G += g * g
        thetas.append(thetas[-1] - 0.1 * g / np.sqrt(G + 1e-8))
    assert np.allclose(r.thetas, np.array(thetas), rtol=0, atol=1e-12)


def test_downpour_with_adaptive_revision_server_equals_transcription(pool):
    updates = 60
    delays = np.random.default_rng(0).integers(0, 6, size=updates)
    r = ray_downpour(
        AdaptiveRevision(eta=0.2),
        MODEL,
        X,
        Y,
        n_workers=2,
        n_shards=2,
        updates=updates,
        batch_size=8,
        seed=1,
        delays=delays,
        pool=pool,
    )
    order = np.arange(updates) % 2
    rows = _worker_rows(1, 2, len(Y), 8, np.bincount(order))
    used = [0, 0]

    def grad(theta):  # called once per update, in order
        w = order[grad.t]
        grad.t += 1
        used[w] += 1
        return _grad(theta, rows[w][used[w] - 1])

    grad.t = 0
    ref = _adaptive_revision_numpy(grad, np.zeros(X.shape[1]), delays, 0.2, 1e-8)
    assert np.allclose(r.thetas, ref, rtol=0, atol=1e-12)
    assert np.all(r.staleness == np.minimum(delays, np.arange(updates)))


def test_free_running_downpour_guarantees(pool):
    r = ray_downpour(
        Adagrad(eta=0.1), MODEL, X, Y, n_workers=3, n_shards=2, updates=90, pool=pool
    )
    k = r.staleness.shape[1]
    assert r.pushes.sum() == k == len(r.worker)  # every push applied, on every shard
    assert 90 <= k <= 92
    assert np.all(r.staleness >= 0) and np.all(r.staleness <= np.arange(k))
    assert len(r.thetas) == k + 1


def test_sync_data_parallel_is_large_batch_sgd(pool):
    steps, p, b = 25, 3, 8
    res = ray_sync_data_parallel(
        GD(eta=0.5),
        MODEL,
        X,
        Y,
        n_workers=p,
        steps=steps,
        batch_size=b,
        seed=2,
        pool=pool,
    )
    assert np.array_equal(res.replicas, np.repeat(res.replicas[:1], p, axis=0))
    rows = _worker_rows(2, p, len(Y), b, [steps] * p)
    theta = np.zeros(X.shape[1])
    for t in range(steps):
        big = np.concatenate([rows[w][t] for w in range(p)])  # one batch of p * b rows
        theta = theta - 0.5 * _grad(theta, big)
        assert np.allclose(res.thetas[t + 1], theta, rtol=0, atol=1e-12)


def test_sync_data_parallel_follows_an_eta_schedule(pool):
    etas = np.linspace(0.1, 1.0, 10)
    res = ray_sync_data_parallel(
        GD(eta=1.0),
        MODEL,
        X,
        Y,
        n_workers=2,
        steps=10,
        batch_size=4,
        seed=0,
        etas=etas,
        pool=pool,
    )
    rows = _worker_rows(0, 2, len(Y), 4, [10, 10])
    theta = np.zeros(X.shape[1])
    for t in range(10):
        theta = theta - etas[t] * _grad(theta, np.concatenate([rows[0][t], rows[1][t]]))
    assert np.allclose(res.theta, theta, rtol=0, atol=1e-12)


def test_local_sgd_equals_serial_and_reduces_to_sync(pool):
    res = ray_local_sgd(
        MODEL,
        X,
        Y,
        n_workers=2,
        rounds=4,
        local_steps=3,
        eta=0.3,
        batch_size=8,
        seed=5,
        pool=pool,
    )
    shards = np.array_split(np.arange(len(Y)), 2)
    weights = np.array([len(s) for s in shards]) / len(Y)
    rows = _worker_rows(5, 2, len(Y), 8, [12, 12])
    theta = np.zeros(X.shape[1])
    for r in range(4):
        local = []
        for w in range(2):
            th = theta.copy()
            for s in range(3):
                th = th - 0.3 * _grad(th, rows[w][3 * r + s])
            local.append(th)
        theta = weights[0] * local[0] + weights[1] * local[1]
        assert np.allclose(res.thetas[r + 1], theta, rtol=0, atol=1e-12)
    Xe, Ye = X[:426], Y[:426]  # two equal shards: the average is the plain mean
    one = ray_local_sgd(
        MODEL,
        Xe,
        Ye,
        n_workers=2,
        rounds=5,
        local_steps=1,
        eta=0.3,
        batch_size=8,
        seed=5,
        pool=pool,
    )
    sync = ray_sync_data_parallel(
        GD(eta=0.3),
        MODEL,
        Xe,
        Ye,
        n_workers=2,
        steps=5,
        batch_size=8,
        seed=5,
        pool=pool,
    )
    assert np.allclose(one.thetas, sync.thetas, rtol=0, atol=1e-12)


def test_round_robin_easgd_equals_serial(pool):
    p, steps, tau, eta, rho = 2, 12, 3, 0.2, 1.5
    res = ray_easgd(
        MODEL,
        X,
        Y,
        n_workers=p,
        steps=steps,
        eta=eta,
        rho=rho,
        tau=tau,
        batch_size=8,
        seed=6,
        round_robin=True,
        pool=pool,
    )
    rows = _worker_rows(6, p, len(Y), 8, [steps] * p)
    alpha = eta * rho
    x = [np.zeros(X.shape[1]) for _ in range(p)]
    center = np.zeros(X.shape[1])
    for t in range(steps):  # round robin: worker 0 then 1 at every exchange round
        for w in range(p):
            if t % tau == 0:
                diff = alpha * (x[w] - center)
                center = center + diff
                x[w] = x[w] - diff
            x[w] = x[w] - eta * _grad(x[w], rows[w][t])
    assert np.allclose(res.replicas, np.array(x), rtol=0, atol=1e-12)
    assert np.allclose(res.theta, center, rtol=0, atol=1e-12)
    assert list(res.extra["who"]) == [0, 1] * (steps // tau)


def test_free_easgd_conserves_the_sum(pool):
    eta = 0.2
    res = ray_easgd(
        MODEL, X, Y, n_workers=3, steps=30, eta=eta, rho=1.0, tau=2, pool=pool
    )
    total = res.replicas.sum(axis=0) + res.theta
    assert np.allclose(
        total, -eta * res.extra["grad_sums"].sum(axis=0), rtol=0, atol=1e-12
    )
    assert len(res.thetas) == 3 * 15 + 1 and sorted(np.bincount(res.extra["who"])) == [
        15,
        15,
        15,
    ]


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (ray_downpour, {"server": "adagrad"}, "server must be"),
        (ray_downpour, {"n_shards": 0}, "n_shards"),
        (ray_downpour, {"n_shards": 1000}, "n_shards"),
        (ray_downpour, {"batch_size": 10**6}, "batch_size"),
        (ray_downpour, {"delays": [1, 2]}, "delays must have length"),
        (ray_downpour, {"order": [0] * 300}, "order needs delays"),
        (ray_downpour, {"delays": 1, "order": [5] * 300}, "order must hold"),
        (ray_downpour, {"worker_sleep": [-1, 0, 0]}, "worker_sleep"),
        (ray_downpour, {"timeout": np.inf}, "timeout"),
        (ray_downpour, {"pool": "mine"}, "pool must be"),
        (ray_sync_data_parallel, {"optimizer": "GD"}, "optimizer must be"),
        (ray_sync_data_parallel, {"etas": [0.1, -1.0]}, "etas must have shape"),
        (ray_sync_data_parallel, {"n_workers": 0}, "n_workers"),
        (ray_local_sgd, {"local_steps": 0}, "local_steps"),
        (ray_local_sgd, {"eta": -1.0}, "eta"),
        (ray_easgd, {"tau": 0}, "tau"),
        (ray_easgd, {"eta": 0.5, "rho": 4.0}, "eta \\* rho must be < 1"),
        (ray_easgd, {"round_robin": "yes"}, "round_robin"),
        (ray_easgd, {"theta0": np.zeros(3)}, "theta0 must have shape"),
    ],
)
def test_inputs_are_validated(session, fn, kwargs, match):
    base = {"model": MODEL, "X": X, "y": Y}
    if fn is ray_downpour:
        base["server"] = Adagrad()
    if fn is ray_sync_data_parallel:
        base["optimizer"] = GD()
    base.update(kwargs)
    before = live_actors()  # (the module's shared pool may be alive)
    with pytest.raises(ValueError, match=match):
        fn(**base)
    assert live_actors() == before  # nothing was started


def test_needs_running_ray():
    if ray.is_initialized():
        pytest.skip("Ray is running in this process")
    with pytest.raises(RuntimeError, match="Ray is not running"):
        ray_local_sgd(MODEL, X, Y)


def _own_pool_pids(monkeypatch):
    """Record the pids of the pools that calls start for themselves."""
    from gdlib.parallel import ray_pool

    pids, original = [], ray_pool.RayPool.__init__

    def init(self, *a, **k):
        try:
            original(self, *a, **k)
        finally:
            pids.extend(getattr(self, "pids", []))

    monkeypatch.setattr(ray_pool.RayPool, "__init__", init)
    return pids


def test_no_actor_or_process_left_after_success(session, monkeypatch):
    pids = _own_pool_pids(monkeypatch)
    before = live_actors()
    res = ray_local_sgd(MODEL, X, Y, n_workers=2, rounds=2, local_steps=1, eta=0.1)
    assert len(res.thetas) == 3 and len(pids) == 2
    assert live_actors() == before
    _wait_gone(pids)


@pytest.mark.parametrize("how", ["raise", "kill", "hang"])
def test_no_actor_or_process_left_after_a_failure(session, monkeypatch, how):
    pids = _own_pool_pids(monkeypatch)
    before = live_actors()
    expected = TimeoutError if how == "hang" else WorkerError
    with pytest.raises(expected) as info:
        ray_downpour(
            Adagrad(),
            FaultyModel(after=2, how=how),
            X,
            Y,
            n_workers=2,
            n_shards=2,
            updates=20,
            timeout=5.0 if how == "hang" else 60.0,
        )
    if how == "raise":
        assert "injected fault" in str(info.value)
    assert live_actors() == before
    _wait_gone(pids)


def test_a_failure_on_a_shared_pool_leaves_the_pool_usable(pool):
    with pytest.raises(WorkerError, match="injected fault"):
        ray_sync_data_parallel(
            GD(), FaultyModel(after=1), X, Y, n_workers=2, steps=3, pool=pool
        )
    res = ray_sync_data_parallel(
        GD(eta=0.1), MODEL, X, Y, n_workers=2, steps=2, pool=pool
    )
    assert len(res.thetas) == 3
    # the calls started no actor of their own: only the pool's hosts are alive
    assert sorted(n for n in live_actors() if pool.id in n) == sorted(
        f"gdlib-{pool.id}-host-{i}" for i in range(len(pool.hosts))
    )
