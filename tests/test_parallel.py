"""Parallel and distributed SGD (gdlib.parallel): Hogwild!, Downpour SGD, EASGD, delays.

Expected values come from hand derivations, brute-force counts or independent numpy
transcriptions written here. The process-based tests start real worker processes; they assert
only what holds for every interleaving of the processes (every update done and applied,
staleness bounds, accounting identities, equality with a serial computation where nothing can
race, and everything about a scheduled Downpour run, which does not depend on timing), never
timings, losses of a free-running parallel run or the exact outcome of a race. The failure
paths (bad arguments, failing or stuck workers) are in test_reliability_parallel.py.
"""

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import gdlib
import gdlib.parallel as par
from gdlib import GD, Adagrad, LogisticRegression, ravine

finite = st.floats(-10, 10, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def tiny():
    return par.make_sparse_logistic(n=400, d=200, k=3, seed=4)


# --- the sparse problem -------------------------------------------------------------------


def test_docstring_examples():
    result = doctest.testmod(par, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_rows_have_k_distinct_features(tiny):
    assert tiny.idx.shape == (400, 3) and tiny.idx.min() >= 0 and tiny.idx.max() < 200
    assert all(len(set(row)) == 3 for row in tiny.idx)
    assert set(np.unique(tiny.y)) <= {0.0, 1.0}


def test_loss_and_row_gradient_match_dense_logistic_regression(tiny):
    X = tiny.dense()
    assert np.all((X != 0).sum(axis=1) == 3)
    theta = np.random.default_rng(0).standard_normal(200)
    model = LogisticRegression()
    assert tiny.loss(theta) == pytest.approx(model.loss(theta, X, tiny.y), rel=1e-12)
    for i in (0, 5, 399):
        e = tiny.idx[i]
        z = theta[e] @ tiny.val[i]
        sparse = np.zeros(200)
        sparse[e] = (1 / (1 + np.exp(-z)) - tiny.y[i]) * tiny.val[i]
        assert np.allclose(
            sparse, model.grad(theta, X[i : i + 1], tiny.y[i : i + 1]), atol=1e-14
        )


def test_overlap_fraction_matches_a_brute_force_count():
    small = par.make_sparse_logistic(n=60, d=30, k=3, seed=1)
    sets = [set(r) for r in small.idx]
    pairs = [(i, j) for i, j in itertools.permutations(range(60), 2)]
    expected = sum(bool(sets[i] & sets[j]) for i, j in pairs) / len(pairs)
    assert par.overlap_fraction(small) == pytest.approx(expected, abs=1e-15)


# --- Hogwild! -------------------------------------------------------------------------------


def serial_sgd_numpy(problem, rows, eta):
    theta = np.zeros(problem.d)
    for i in rows:
        e, x = problem.idx[i], problem.val[i]
        theta[e] -= eta * (1 / (1 + np.exp(-(theta[e] @ x))) - problem.y[i]) * x
    return theta


def test_sgd_sparse_is_plain_sgd(tiny):
    theta, updates, losses = par.sgd_sparse(
        tiny, 500, eta=0.3, seed=2, record_every=100
    )
    rows = np.random.default_rng(np.random.SeedSequence(2).spawn(1)[0]).integers(
        0, 400, size=500
    )
    assert np.allclose(theta, serial_sgd_numpy(tiny, rows, 0.3), rtol=0, atol=1e-12)
    assert list(updates) == [0, 100, 200, 300, 400, 500]
    assert losses[0] == pytest.approx(np.log(2)) and losses[-1] == pytest.approx(
        tiny.loss(theta)
    )


def test_hogwild_with_one_worker_equals_serial_sgd(tiny):
    r = par.hogwild(tiny, n_workers=1, updates_per_worker=800, eta=0.3, seed=3)
    ref, _, _ = par.sgd_sparse(tiny, 800, eta=0.3, seed=3)
    assert np.array_equal(r.theta, ref)
    assert r.lost_coordinates() == 0 and list(r.updates) == [800]


@pytest.mark.parametrize("lock", [False, True])
def test_two_hogwild_workers_do_every_update_and_account_for_every_change(tiny, lock):
    # by design, whatever the interleaving: every worker does all its updates, the counters the
    # parent samples only grow, the last snapshot is the final theta, and with a lock every
    # update is atomic, so theta moved by exactly the sum of the changes the workers computed
    r = par.hogwild(
        tiny, n_workers=2, updates_per_worker=2000, eta=0.3, seed=5, lock=lock
    )
    assert list(r.updates) == [2000, 2000]
    assert r.curve_updates[0] == 0 and r.curve_updates[-1] == 4000
    assert np.all(np.diff(r.curve_updates) >= 0)
    assert r.curve_losses[0] == pytest.approx(np.log(2))
    assert r.curve_losses[-1] == pytest.approx(tiny.loss(r.theta), rel=1e-12)
    assert np.all(np.isfinite(r.theta)) and np.all(np.isfinite(r.lost))
    assert r.locked == lock
    if lock:
        assert r.lost_coordinates() == 0 and np.abs(r.lost).max() < 1e-9


def test_hogwild_starts_from_theta0(tiny):
    theta0 = np.linspace(-1, 1, 200)
    r = par.hogwild(
        tiny, n_workers=1, updates_per_worker=300, eta=0.3, seed=6, theta0=theta0
    )
    ref, _, _ = par.sgd_sparse(tiny, 300, eta=0.3, seed=6, theta0=theta0)
    assert np.array_equal(r.theta, ref) and r.curve_losses[0] == pytest.approx(
        tiny.loss(theta0)
    )


def test_a_problem_with_indices_beyond_d_is_rejected_before_any_process_starts(tiny):
    with pytest.raises(ValueError, match="idx"):
        par.SparseLogistic(tiny.idx, tiny.val, tiny.y, d=50)  # indices up to 199 > d


# --- Downpour SGD ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cancer():
    data = gdlib.load_breast_cancer()
    return data.X_train, data.y_train


def test_downpour_with_one_worker_is_serial_adagrad(cancer):
    X, y = cancer
    r = par.downpour(
        Adagrad(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=1,
        updates=60,
        batch_size=8,
        seed=4,
    )
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(1)[0])
    theta, G = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for _ in range(60):
        rows = rng.choice(len(y), size=8, replace=False)
        g = X[rows].T @ (1 / (1 + np.exp(-X[rows] @ theta)) - y[rows]) / 8
        G += g * g
        theta -= 0.1 * g / np.sqrt(G + 1e-8)
    assert np.allclose(r.theta, theta, rtol=0, atol=1e-12)
    assert len(r.staleness) == 60 and np.all(r.staleness == 0)
    assert list(r.loss_updates) == [0, 10, 20, 30, 40, 50, 60]


def test_downpour_server_applies_every_push_and_records_staleness(cancer):
    X, y = cancer
    n_workers, updates = 3, 90
    r = par.downpour(
        GD(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=n_workers,
        updates=updates,
        batch_size=8,
        seed=0,
    )
    k = len(r.staleness)
    # what the protocol guarantees for every interleaving (not how stale, nor the loss)
    assert updates <= k <= updates + n_workers - 1
    assert r.pushes.sum() == k == len(r.worker)
    assert set(r.worker) <= {0, 1, 2} and not r.scheduled
    assert r.staleness[0] == 0  # the first update cannot be stale
    assert np.all(r.staleness >= 0)
    assert np.all(r.staleness <= np.arange(k))  # never older than the start
    assert (
        list(r.loss_updates[:-1]) == list(range(0, k, 10)) and r.loss_updates[-1] == k
    )
    assert r.losses[-1] == pytest.approx(
        LogisticRegression().loss(r.theta, X, y), rel=1e-12
    )
    assert r.mean_staleness() == pytest.approx(np.mean(r.staleness))


def test_the_shards_partition_the_rows():
    shards = par.downpour_shards(10, 3)
    assert [list(s) for s in shards] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_a_batch_larger_than_a_shard_is_rejected_before_any_process_starts(cancer):
    X, y = cancer
    with pytest.raises(
        ValueError, match=r"batch_size must be in \[1, 5\]"
    ):  # shards of 5 rows
        par.downpour(
            GD(eta=0.1),
            LogisticRegression(),
            X[:10],
            y[:10],
            n_workers=2,
            updates=5,
            batch_size=8,
            timeout=30,
        )


def test_downpour_schedule_of_equal_workers_is_round_robin_with_staleness_p_minus_1():
    order, delays = par.downpour_schedule([1.0, 1.0, 1.0], 10)
    assert list(order) == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert list(delays) == [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]


def test_downpour_schedule_by_hand():
    # worker 0 needs 1 time unit, worker 1 needs 2; ties go to the lower index.
    # time 1: w0 pushes (computed on theta_0) -> update 1, staleness 0; pulls theta_1
    # time 2: w0 pushes (theta_1) -> update 2, staleness 0; pulls theta_2
    #         w1 pushes (theta_0) -> update 3, staleness 2; pulls theta_3
    # time 3: w0 pushes (theta_2) -> update 4, staleness 1; pulls theta_4
    # time 4: w0 pushes (theta_4) -> update 5, staleness 0; w1 (theta_3) -> update 6, staleness 2
    order, delays = par.downpour_schedule([1, 2], 6)
    assert list(order) == [0, 0, 1, 0, 0, 1]
    assert list(delays) == [0, 0, 2, 1, 0, 2]


def test_a_scheduled_downpour_run_is_the_delayed_rule_with_the_workers_batches(cancer):
    # a numpy transcription: update t uses worker order[t-1]'s next batch of its own shard, at
    # the parameters after update t-1-delays[t-1]; the processes must reproduce it exactly
    X, y = cancer
    n_workers, T = 3, 60
    order, delays = par.downpour_schedule([1, 1, 3], T)
    r = par.downpour(
        Adagrad(eta=0.1),
        LogisticRegression(),
        X,
        y,
        n_workers=n_workers,
        updates=T,
        batch_size=8,
        seed=9,
        delays=delays,
        order=order,
        record_every=20,
    )
    shards = par.downpour_shards(len(y), n_workers)
    rngs = [
        np.random.default_rng(s) for s in np.random.SeedSequence(9).spawn(n_workers)
    ]
    thetas, G = [np.zeros(X.shape[1])], np.zeros(X.shape[1])
    for t in range(1, T + 1):
        w = order[t - 1]
        Xs, ys = X[shards[w]], y[shards[w]]
        rows = rngs[w].choice(len(ys), size=8, replace=False)
        old = thetas[t - 1 - min(delays[t - 1], t - 1)]
        g = Xs[rows].T @ (1 / (1 + np.exp(-Xs[rows] @ old)) - ys[rows]) / 8
        G += g * g
        thetas.append(thetas[-1] - 0.1 * g / np.sqrt(G + 1e-8))
    assert r.scheduled
    assert np.allclose(r.theta, thetas[-1], rtol=0, atol=1e-12)
    assert np.array_equal(r.staleness, delays) and np.array_equal(r.worker, order)
    assert list(r.loss_updates) == [0, 20, 40, 60]
    assert r.losses[-1] == pytest.approx(
        LogisticRegression().loss(thetas[-1], X, y), rel=1e-10
    )


# --- EASGD ----------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    arrays(np.float64, (3, 2), elements=finite),
    arrays(np.float64, 2, elements=finite),
    arrays(np.float64, (3, 2), elements=finite),
    st.floats(0.001, 0.5),
    st.floats(0.0, 5.0),
)
def test_easgd_step_is_the_formula(x, c, g, eta, rho):
    x_ref = x - eta * (g + rho * (x - c))
    c_ref = c + eta * rho * (x - c).sum(axis=0)
    x_new, c_new = par.easgd_step(x.copy(), c.copy(), g, eta, rho)
    assert np.allclose(x_new, x_ref, rtol=1e-12, atol=1e-12)
    assert np.allclose(c_new, c_ref, rtol=1e-12, atol=1e-12)
    # the elastic forces are equal and opposite: only the gradients move the total
    assert np.allclose(
        x_new.sum(axis=0) + c_new,
        x.sum(axis=0) + c - eta * g.sum(axis=0),
        rtol=1e-9,
        atol=1e-9,
    )


def test_easgd_with_one_worker_and_no_spring_is_gradient_descent():
    r = gdlib.parallel.easgd(
        ravine.grad, [-9.0, 2.0], n_workers=1, steps=100, eta=0.02, rho=0.0
    )
    gd = gdlib.run(GD(eta=0.02), ravine, [-9.0, 2.0], steps=100).thetas
    assert np.allclose(r.workers[:, 0, :], gd, rtol=0, atol=1e-12)
    assert np.all(r.center == [-9.0, 2.0])  # no spring: the centre never moves
    weak = gdlib.parallel.easgd(
        ravine.grad, [-9.0, 2.0], n_workers=1, steps=100, eta=0.02, rho=1e-9
    )
    assert np.allclose(weak.workers[:, 0, :], gd, rtol=0, atol=1e-6)


def test_easgd_converges_on_a_quadratic_and_the_minimum_is_a_fixed_point():
    r = gdlib.parallel.easgd(
        ravine.grad, [-9.0, 2.0], n_workers=3, steps=2000, eta=0.02, rho=1.0, spread=1.0
    )
    assert np.linalg.norm(r.center[-1]) < 1e-6 and np.abs(r.workers[-1]).max() < 1e-6
    x, c = np.zeros((3, 2)), np.zeros(2)
    par.easgd_step(x, c, np.zeros((3, 2)), eta=0.1, rho=2.0)
    assert np.all(x == 0) and np.all(c == 0)


def test_one_worker_easgd_contraction_factor():
    # J = h x^2 / 2 with eta h = 1/2, alpha = 1/4: M = [[1/4, 1/4], [1/4, 3/4]], radius 1/2 + sqrt(2)/4
    eta, h, rho = 0.5, 1.0, 0.5
    state = np.array([1.0, -1.0])
    x, c = np.array([[state[0]]]), np.array([state[1]])
    for _ in range(200):
        par.easgd_step(x, c, h * x, eta, rho)
    M = np.array([[0.25, 0.25], [0.25, 0.75]])
    assert np.allclose(
        [x[0, 0], c[0]], np.linalg.matrix_power(M, 200) @ state, rtol=1e-9, atol=1e-300
    )
    assert max(abs(np.linalg.eigvals(M))) == pytest.approx(0.5 + np.sqrt(2) / 4)


# --- delays ---------------------------------------------------------------------------------


def test_run_delayed_without_delays_is_run():
    thetas = par.run_delayed(
        GD(eta=0.03), ravine.grad, [-9.0, 2.0], np.zeros(50, dtype=int)
    )
    assert np.allclose(
        thetas,
        gdlib.run(GD(eta=0.03), ravine, [-9.0, 2.0], steps=50).thetas,
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("tau", [1, 3])
def test_run_delayed_uses_the_stale_gradient(tau):
    h = np.array([1.0, 50.0])
    path = [np.array([-9.0, 2.0])]
    for t in range(1, 41):
        path.append(path[-1] - 0.005 * h * path[t - 1 - min(tau, t - 1)])
    got = par.run_delayed(GD(eta=0.005), ravine.grad, [-9.0, 2.0], np.full(40, tau))
    assert np.allclose(got, np.array(path), rtol=0, atol=1e-12)


def test_one_step_delay_halves_the_stable_learning_rate():
    # theta_{t+1} = theta_t - a theta_{t-1} is stable iff a < 1 (roots of z^2 - z + a)
    for a, stable in [(0.9, True), (1.1, False)]:
        thetas = par.run_delayed(
            GD(eta=a / 50), ravine.grad, [0.0, 1.0], np.ones(400, dtype=int)
        )
        assert (abs(thetas[-1, 1]) < 1e-3) == stable
