"""Tests of the which-optimizer study: search spaces, random search with edge extension,
schedules, the L-BFGS baseline, bootstrap intervals and performance profiles.

Expected values are computed here independently (closed forms, hand transcriptions),
never by the benchmark code itself.
"""

import json
import math
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib import benchmark as B  # noqa: E402
from gdlib.benchmark.spaces import Dim, Space, make_method, space_for  # noqa: E402


def _quadratic(a, b, theta0, steps, target=1e-8):
    surface = gdlib.quadratic(a, b)
    return B.Problem(
        name="q",
        loss=surface.f,
        grad=surface.grad,
        theta0=lambda rng: np.array(theta0, dtype=float),
        steps=steps,
        target=target,
        f_min=0.0,
    )


# --- search spaces ------------------------------------------------------------------------
def test_dims_sample_inside_their_ranges_and_uniformly_in_their_coordinates():
    rng = np.random.default_rng(0)
    lr, mom = Dim("eta", "log", 1e-4, 10.0), Dim("gamma", "log1m", 1e-3, 1.0)
    etas = np.array([lr.sample(rng) for _ in range(4000)])
    gammas = np.array([mom.sample(rng) for _ in range(4000)])
    assert etas.min() >= 1e-4 and etas.max() <= 10.0
    assert 0.0 <= gammas.min() and gammas.max() <= 0.999
    # log-uniform: each decade holds a fifth of the samples (5 decades)
    counts = np.histogram(np.log10(etas), bins=5, range=(-4, 1))[0] / etas.size
    np.testing.assert_allclose(counts, 0.2, atol=0.03)
    # 1 − γ log-uniform over 3 decades: γ > 0.99 (1 − γ < 1e-2) a third of the time
    assert abs(np.mean(gammas > 0.99) - 1 / 3) < 0.03


def test_edges_flag_the_outer_band_and_extension_moves_only_soft_ends():
    lr = Dim("eta", "log", 1e-4, 10.0)
    assert lr.edge(8.0) == "high" and lr.edge(1.2e-4) == "low" and lr.edge(0.1) == ""
    wider = lr.extended("high")
    assert wider.high == pytest.approx(100.0) and wider.low == lr.low
    wd = B.spaces.ROLES["weight_decay"]("weight_decay")
    assert wd.edge(1.1e-6) == "low (hard)"  # a natural end: flagged, never moved
    mom = Dim("gamma", "log1m", 1e-3, 1.0, hard_high=True)
    assert mom.edge(0.9995) == "low" and mom.edge(0.0) == "high (hard)"
    assert mom.extended("low").low == pytest.approx(1e-4)  # γ may now reach 0.9999


def test_every_optimizer_is_found_by_name_and_tunes_all_its_hyperparameters():
    spaces = B.registry()
    names = [c.__name__ for c in gdlib.OPTIMIZERS]
    assert set(names) <= set(spaces)  # every optimizer of the book has a search space
    adam = spaces["Adam"]
    assert set(adam.dims) == {"eta", "beta1", "beta2", "eps", "schedule"}
    assert set(spaces["AdamW"].dims) == {
        "eta",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "schedule",
    }
    assert spaces["AdamW"].schedule_attr == "schedule"  # AdamW's own multiplier ω_t
    assert "schedule" not in spaces["Adadelta"].dims  # no learning rate to schedule
    # nothing of a constructor is silently left out: tuned or listed as fixed
    for name, space in spaces.items():
        import inspect

        args = set(inspect.signature(space.cls.__init__).parameters) - {"self"}
        # shapes come from the problem (its tensors), not from the search space
        covered = set(space.dims) | set(space.fixed) | {"betas", "schedule", "shapes"}
        assert args <= covered, name
    with pytest.raises(ValueError, match="unknown method"):
        space_for("Adma")


def test_a_new_optimizer_drops_in_by_name(monkeypatch):
    class RAdam(gdlib.Adam):  # stands in for the real one until it is merged
        pass

    monkeypatch.setattr(gdlib, "RAdam", RAdam, raising=False)
    spaces = B.registry(["RAdam", "Lion"])
    assert list(spaces) == (["RAdam", "Lion"] if hasattr(gdlib, "Lion") else ["RAdam"])
    assert set(spaces["RAdam"].dims) >= {"eta", "beta1", "beta2", "eps", "schedule"}


# --- schedules ----------------------------------------------------------------------------
def test_warmup_cosine_matches_its_formula():
    steps, eta0 = 40, 0.3
    f = B.warmup_cosine(eta0, steps)  # W = ceil(0.05 · 40) = 2
    # gdlib.schedules.warmup_cosine: the cosine starts at its peak at k = W − 1
    expected = [0.15, 0.3] + [
        0.5 * 0.3 * (1 + math.cos(math.pi * (t - 1) / 39)) for t in range(2, 40)
    ]
    np.testing.assert_allclose([f(t) for t in range(steps)], expected, rtol=1e-14)
    assert f(39) < 0.3 * 1e-2  # ends close to 0


def test_a_tuned_schedule_sets_the_learning_rate_of_every_step():
    # GD on ½‖θ‖²: θ_K = θ0 Π (1 − η_t)
    problem = _quadratic(1, 1, [1.0, 2.0], steps=20)
    gd = space_for("GD")
    method, eta = make_method(gd, {"eta": 0.5, "schedule": "warmup_cosine"}, problem)
    record = B.run_problem(method, eta, problem, seed=0)
    # W = 1: the cosine starts at its peak 0.5 at k = 0 and would reach 0 at k = 20
    etas = [0.25 * (1 + math.cos(math.pi * k / 20)) for k in range(20)]
    factor = np.prod([1 - e for e in etas])
    assert record.final_loss == pytest.approx(0.5 * factor**2 * 5.0, rel=1e-12)


def test_adamw_schedule_scales_the_update_and_the_decay_together():
    problem = _quadratic(1, 10, [1.0, -1.0], steps=15)
    cfg = dict(
        eta=0.1,
        beta1=0.9,
        beta2=0.99,
        eps=1e-8,
        weight_decay=0.05,
        schedule="warmup_cosine",
    )
    method, eta = make_method(space_for("AdamW"), cfg, problem)
    record = B.run_problem(method, eta, problem, seed=0)
    # transcription of Loshchilov & Hutter's Algorithm 2 with ω_t = warm-up + cosine
    th, m, v = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    lam = np.array([1.0, 10.0])
    for t in range(1, 16):
        w = 0.5 * (1 + math.cos(math.pi * (t - 1) / 15))  # W = 1, k = t − 1
        g = lam * th
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        mh, vh = m / (1 - 0.9**t), v / (1 - 0.99**t)
        th = th - w * (0.1 * mh / (np.sqrt(vh) + 1e-8) + 0.05 * th)
    np.testing.assert_allclose(record.theta, th, rtol=1e-12, atol=1e-15)


# --- random search ------------------------------------------------------------------------
def test_random_search_extends_a_space_until_the_optimum_is_inside():
    # GD on ½(θ1² + θ2²) for 20 steps: the loss reaches the floor only for |1 − η| ≤ 0.56,
    # far above the first range 1e-4 … 1e-3; every round moves the high end up a decade.
    problem = _quadratic(1, 1, [3.0, -1.0], steps=20)
    space = Space("GD", gdlib.GD, {"eta": Dim("eta", "log", 1e-4, 1e-3)})
    settings = B.StudySettings(
        trials=30, tune_seeds=(0,), eval_seeds=(1,), max_extensions=6
    )
    tuned = B.tune_random(space, problem, settings, key="t")
    assert tuned["rounds"] >= 4 and "eta" not in tuned["edges"]
    assert 0.44 <= tuned["config"]["eta"] <= 1.56
    assert tuned["score"] == pytest.approx(-10.0)  # log10 of the floor
    assert len(tuned["trials"]) == 30 * tuned["rounds"]
    # the same budget in every round
    rounds = [t["round"] for t in tuned["trials"]]
    assert all(rounds.count(r) == 30 for r in set(rounds))


def test_tuning_and_evaluation_seeds_must_differ():
    with pytest.raises(ValueError, match="different"):
        B.StudySettings(tune_seeds=(0, 1), eval_seeds=(1, 2))
    with pytest.raises(ValueError, match="trials"):
        B.StudySettings(trials=0)


# --- L-BFGS -------------------------------------------------------------------------------
def test_lbfgs_solves_a_quadratic_within_the_budget():
    problem = _quadratic(1, 50, [-8.0, 2.0], steps=30, target=1e-12)
    rows = B.lbfgs_baseline(problem, seeds=(0, 1))
    for r in rows:
        assert r["diverged"] == 0 and r["gap"] <= 1e-12
        assert 1 <= r["steps_to_target"] <= 30
    data = B.problems(["sparse"], scale=0.05)["sparse"]
    with pytest.raises(ValueError, match="deterministic"):
        B.lbfgs_baseline(data, seeds=(0,))


# --- statistics ---------------------------------------------------------------------------
def test_bootstrap_interval_of_a_mean_has_the_normal_width():
    x = np.random.default_rng(1).standard_normal(400)
    est, lo, hi = B.bootstrap_ci(x, n_boot=4000, seed=2)
    assert est == pytest.approx(np.mean(x))
    half = 1.96 * np.std(x) / math.sqrt(x.size)
    assert lo < est < hi and (hi - lo) / 2 == pytest.approx(half, rel=0.1)
    assert B.bootstrap_ci([3.0] * 5) == (3.0, 3.0, 3.0)
    est, lo, hi = B.bootstrap_ci([1.0, math.inf, 2.0], "median")
    assert est == 2.0 and not math.isnan(lo) and not math.isnan(hi)
    with pytest.raises(ValueError, match="level"):
        B.bootstrap_ci([1.0], level=1.5)


def test_performance_profile_of_a_hand_example():
    table = {
        "p1": {"A": 1.0, "B": 10.0},
        "p2": {"A": 100.0, "B": 10.0},
        "p3": {"A": math.inf, "B": 1.0},
        "p4": {"A": math.inf, "B": math.inf},  # nobody solves it: left out
    }
    prof = B.performance_profile(table, [0.0, 1.0, 5.0])
    np.testing.assert_allclose(prof["A"], [1 / 3, 2 / 3, 2 / 3])
    np.testing.assert_allclose(prof["B"], [2 / 3, 1.0, 1.0])


def _row(
    problem, method, seed, gap, steps=math.nan, diverged=0, criterion="final_loss"
):
    return dict(
        problem=problem,
        method=method,
        seed=seed,
        criterion=criterion,
        gap=gap,
        final_loss=gap,
        steps_to_target=steps,
        diverged=diverged,
    )


def test_costs_are_geometric_means_and_a_diverged_seed_fails_the_pair():
    runs = [_row("p", "A", s, g) for s, g in enumerate([1e-2, 1e-4])]
    runs += [_row("p", "B", 0, 1e-6), _row("p", "B", 1, math.inf, diverged=1)]
    runs += [
        _row("s", "A", s, math.nan, st, criterion="steps")
        for s, st in enumerate([3, 5, 9])
    ]
    c = B.statistics.costs(runs)
    assert c["p"]["A"] == pytest.approx(1e-3) and c["p"]["B"] == math.inf
    assert c["s"]["A"] == 5.0  # a problem scored by steps: the median steps
    summary = {(r["problem"], r["method"]): r for r in B.summarize(runs)}
    assert summary[("p", "A")]["gap_lo"] <= 1e-3 <= summary[("p", "A")]["gap_hi"]
    assert (
        math.isnan(summary[("s", "A")]["gap"]) and summary[("s", "A")]["steps"] == 5.0
    )


def test_profile_bands_contain_the_profile():
    rng = np.random.default_rng(0)
    runs = [
        _row(p, m, s, 10 ** rng.normal(-3 - i, 0.3))
        for p in ("p1", "p2", "p3")
        for i, m in enumerate("AB")
        for s in range(10)
    ]
    taus = np.linspace(0, 3, 7)
    bands = B.profile_bands(runs, taus, n_boot=50)
    for rho, lo, hi in bands.values():
        assert np.all(lo <= rho + 1e-12) and np.all(rho <= hi + 1e-12)
    assert bands["B"][0][0] == 1.0  # B is a decade better on every problem


# --- problems -----------------------------------------------------------------------------
def test_turned_problems_are_their_twins_turned():
    ps = B.problems(
        ["rosenbrock", "rotated_rosenbrock", "quadratic20", "rotated_quadratic20"]
    )
    c = math.sqrt(0.5)
    R = np.array([[c, -c], [c, c]])
    for seed in range(3):
        a = ps["rosenbrock"].theta0(np.random.default_rng(seed))
        b = ps["rotated_rosenbrock"].theta0(np.random.default_rng(seed))
        np.testing.assert_allclose(b, R @ a, atol=1e-14)
        assert ps["rotated_rosenbrock"].loss(b) == pytest.approx(
            ps["rosenbrock"].loss(a)
        )
        np.testing.assert_allclose(
            ps["rotated_rosenbrock"].grad(b), R @ ps["rosenbrock"].grad(a), rtol=1e-12
        )
    q, rq = ps["quadratic20"], ps["rotated_quadratic20"]
    H = np.array([rq.grad(e) for e in np.eye(20)])
    np.testing.assert_allclose(np.linalg.eigvalsh(H), np.logspace(0, 3, 20), rtol=1e-10)
    assert np.max(np.abs(H - np.diag(np.diag(H)))) > 1.0  # not axis-aligned
    gd = B.methods(["GD"])["GD"]
    a, b = (B.run_problem(gd, 1e-3, p, seed=4) for p in (q, rq))
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-9)  # GD: the same run


def test_learning_problems_report_held_out_accuracy():
    ps = B.problems(["logistic", "mlp"], scale=0.1)
    for p in ps.values():
        theta = p.theta0(np.random.default_rng(0))
        out = p.test(theta)
        assert set(out) == {"test_loss", "test_accuracy"}
        assert 0.0 <= out["test_accuracy"] <= 1.0 and out["test_loss"] > 0
    assert ps["mlp"].shapes == [(196, 32), (32,), (32, 10), (10,)]  # MNIST-5k, 14 × 14


# --- the whole study, small -----------------------------------------------------------------
def test_a_small_study_runs_and_writes_its_tables(tmp_path):
    ps = B.problems(["ravine", "logistic"], scale=0.2)
    settings = B.StudySettings(trials=3, tune_seeds=(0,), eval_seeds=(100, 101, 102))
    result = B.run_study(ps, ["GD", "Adam"], settings)
    pairs = [(r["problem"], r["method"]) for r in result["tuned"]]
    assert pairs == [
        ("ravine", "GD"),
        ("ravine", "Adam"),
        ("ravine", "L-BFGS"),
        ("logistic", "GD"),
        ("logistic", "Adam"),
    ]
    assert len(result["runs"]) == 5 * 3
    assert all(
        0 < r["test_accuracy"] <= 1
        for r in result["runs"]
        if r["problem"] == "logistic"
    )
    for t in result["tuned"]:
        if t["method"] != "L-BFGS":
            assert set(json.loads(t["config"])) == set(B.registry()[t["method"]].dims)
    paths = B.write_study(result, tmp_path, "s")
    runs = B.read_csv(
        tmp_path / "s_runs.csv", text_columns=("problem", "method", "criterion")
    )
    assert len(runs) == 15 and runs[0]["problem"] == "ravine"
    assert {p.name for p in paths} >= {
        "s_runs.csv",
        "s_tuned.csv",
        "s.md",
        "s_meta.json",
    }
