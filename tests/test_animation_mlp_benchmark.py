"""Tests of gdlib.mlp (backpropagation), gdlib.animation (races) and gdlib.benchmark (tuning)."""

import base64
import io
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import gdlib  # noqa: E402
from gdlib import benchmark as B  # noqa: E402
from gdlib.animation import (
    animate_race,
    frame_grid,
    frame_steps,
    html_size,
    race,
    to_html,
)  # noqa: E402
from gdlib.mlp import MLP  # noqa: E402


# --- MLP -------------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize(
    "n_inputs, hidden, n_classes, seed",
    [
        (3, (4,), 2, 0),
        (5, (6, 3), 4, 1),
        (2, (1,), 3, 2),
        (4, (3, 3), 2, 3),
    ],
)
def test_mlp_gradient_matches_finite_differences(
    activation, n_inputs, hidden, n_classes, seed
):
    rng = np.random.default_rng(seed)
    net = MLP(n_inputs, hidden, n_classes, activation=activation, l2=0.05)
    theta = net.init(n_inputs, seed=seed) + 0.1 * rng.standard_normal(net.n_params)
    X = rng.standard_normal((9, n_inputs))
    y = rng.integers(0, n_classes, 9)
    g = net.grad(theta, X, y)
    g_num = gdlib.numerical_gradient(lambda th: net.loss(th, X, y), theta)
    assert g.shape == theta.shape == (net.n_params,)
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-8)


def test_mlp_parameter_count_and_unpack_views():
    net = MLP(4, (5, 3), 2)
    # (4·5 + 5) + (5·3 + 3) + (3·2 + 2), counted by hand
    assert net.n_params == 25 + 18 + 8
    theta = np.arange(net.n_params, dtype=float)
    (W1, b1), (W2, b2), (W3, b3) = net.unpack(theta)
    assert (
        W1.shape == (4, 5)
        and b1.shape == (5,)
        and W3.shape == (3, 2)
        and b3.shape == (2,)
    )
    assert (
        W1[0, 0] == 0 and b1[0] == 20 and W2[0, 0] == 25 and b3[-1] == net.n_params - 1
    )
    W1[0, 0] = -1.0  # views: writing through them changes theta
    assert theta[0] == -1.0


def test_mlp_zero_weights_give_uniform_softmax():
    # With every parameter 0 the output is uniform, so the loss is log K exactly.
    net = MLP(3, (4,), 5)
    X = np.random.default_rng(0).standard_normal((6, 3))
    assert net.loss(np.zeros(net.n_params), X, np.arange(6) % 5) == pytest.approx(
        math.log(5), rel=1e-12
    )


def test_mlp_loss_decreases_under_gd():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR-like: not linearly separable
    net = MLP(2, (8,), 2, activation="tanh")
    res = gdlib.train(gdlib.GD(eta=0.5), net, X, y, epochs=300, progress=False)
    assert res.status == "finished"
    assert res.epoch_losses[-1] < 0.5 * res.epoch_losses[0]
    assert net.accuracy(res.theta, X, y) > 0.9


def test_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError):
        MLP(3, (4,), 1)
    with pytest.raises(ValueError):
        MLP(3, (4,), 2, activation="sigmoid")
    with pytest.raises(ValueError):
        MLP(3, (4,), 2).init(5)
    with pytest.raises(ValueError):
        MLP(3, (4,), 2).loss(np.zeros(3), np.zeros((1, 3)), [0])


# --- animation -------------------------------------------------------------------------------
def _small_race(steps=30):
    opts = {
        "GD": gdlib.GD(eta=0.02),
        "Momentum": gdlib.Momentum(eta=0.02),
        "Adam": gdlib.Adam(eta=0.5),
    }
    return race(gdlib.ravine, opts, theta0=[-8.0, 2.0], steps=steps)


def test_race_returns_one_result_per_optimizer():
    results = _small_race(steps=25)
    assert list(results) == ["GD", "Momentum", "Adam"]
    for res in results.values():
        assert res.thetas.shape == (26, 2) and res.losses.shape == (26,)
        np.testing.assert_array_equal(res.thetas[0], [-8.0, 2.0])
    # the GD racer is exactly gdlib.run with the same optimizer
    direct = gdlib.run(gdlib.GD(eta=0.02), gdlib.ravine, [-8.0, 2.0], steps=25)
    np.testing.assert_array_equal(results["GD"].thetas, direct.thetas)


def test_race_accepts_one_start_per_racer():
    results = race(
        gdlib.saddle,
        {"a": gdlib.GD(eta=0.1), "b": gdlib.GD(eta=0.1)},
        theta0={"a": [1.0, 0.0], "b": [0.0, 1.0]},
        steps=3,
    )
    np.testing.assert_array_equal(results["a"].thetas[0], [1.0, 0.0])
    np.testing.assert_array_equal(results["b"].thetas[0], [0.0, 1.0])
    with pytest.raises(ValueError):
        race(gdlib.saddle, {"a": gdlib.GD()}, theta0={"b": [0.0, 1.0]})


def test_frame_steps_cover_the_race():
    results = _small_race(steps=30)
    steps = frame_steps(results, 4)
    np.testing.assert_array_equal(steps, [0, 10, 20, 30])
    assert len(frame_steps(results, 100)) == 31  # never more frames than steps


def test_animation_html_has_controls_and_is_small():
    results = _small_race(steps=30)
    anim = animate_race(gdlib.ravine, results, frames=4, figsize=(3, 2.4), dpi=50)
    html = to_html(anim)
    assert html.count('"data:image/png;base64,') == 4  # one image per frame
    assert html.count("url(data:image/png;base64,") == 1  # ... and one background
    assert 'type="range"' in html  # the frame slider
    assert "play_animation()" in html and "pause_animation()" in html
    assert 'value="once"' in html and "checked" in html
    assert html_size(html) < 100_000
    assert not plt.fignum_exists(anim._fig.number)  # to_html closed the figure


def test_animation_html_requests_nothing_from_another_host():
    anim = animate_race(
        gdlib.ravine, _small_race(steps=10), frames=2, figsize=(3, 2.4), dpi=50
    )
    raw = anim.to_jshtml(default_mode="once", embed_frames=True)
    assert "font-awesome" in raw  # matplotlib links a CDN ...
    html = to_html(anim)
    assert "font-awesome" not in html and "<link" not in html  # ... to_html does not
    assert "http://" not in html and "https://" not in html
    assert "play_animation()" in html  # the controls are still there


def test_animation_frames_are_sharp_and_hold_only_what_moves():
    from PIL import Image

    anim = animate_race(
        gdlib.ravine, _small_race(steps=10), frames=3, figsize=(3, 2.4), dpi=50
    )
    html = to_html(anim)
    frames = re.findall(r'"data:image/png;base64,([^"]*)"', html)
    assert len(frames) == 3
    for b64 in frames:
        image = Image.open(io.BytesIO(base64.b64decode(b64)))
        assert image.size == (300, 240)  # twice the page's pixels
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
        assert (alpha == 0).mean() > 0.5  # mostly see-through
    img = re.search(r"<img [^>]*>", html).group(0)
    assert (
        "width:150px" in img and "url(data:image/png;base64," in img
    )  # shown at 3 in x 50 dpi
    background = re.search(r"url\(data:image/png;base64,([^)]*)\)", img).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(background)))
    assert (
        image.size == (300, 240) and "A" not in image.getbands()
    )  # opaque: contours, legend


def test_animation_html_is_the_same_in_every_run(monkeypatch):
    import gdlib.animation

    pages = []
    for _ in range(2):
        monkeypatch.setattr(gdlib.animation, "_ANIMATIONS_MADE", 0)  # a fresh kernel
        anim = animate_race(
            gdlib.ravine, _small_race(steps=10), frames=2, figsize=(3, 2.4), dpi=30
        )
        pages.append(to_html(anim))
    assert pages[0] == pages[1]  # no random element ids
    again = to_html(
        animate_race(
            gdlib.ravine, _small_race(steps=10), frames=2, figsize=(3, 2.4), dpi=30
        )
    )
    assert re.search(r"_anim_img\w+", again).group(0) != re.search(
        r"_anim_img\w+", pages[1]
    ).group(0)


def test_animation_has_alt_text_and_an_optional_caption():
    anim = animate_race(
        gdlib.ravine, _small_race(steps=10), frames=2, figsize=(3, 2.4), dpi=30
    )
    html = to_html(anim)
    img = re.search(r"<img [^>]*>", html).group(0)
    assert (
        'alt="Animation of GD, Momentum, Adam racing' in img
    )  # the default: the racers
    assert "<figure" not in html
    anim = animate_race(
        gdlib.ravine, _small_race(steps=10), frames=2, figsize=(3, 2.4), dpi=30
    )
    html = to_html(anim, alt="three <racers>", caption="The race & its end.")
    assert 'alt="three &lt;racers&gt;"' in html
    assert html.startswith("<figure") and html.endswith("</figure>")
    assert (
        '<figcaption><p><span class="caption-text">The race &amp; its end.</span>'
        in html
    )
    with pytest.raises(ValueError, match="caption"):
        to_html(anim, caption="  ")


def test_animation_legend_placement_is_checked():
    with pytest.raises(ValueError, match="legend_loc"):
        animate_race(gdlib.ravine, _small_race(steps=5), frames=2, legend_loc=None)
    anim = animate_race(
        gdlib.ravine,
        _small_race(steps=5),
        frames=2,
        figsize=(3, 2.4),
        dpi=30,
        legend_loc="outside below",
    )
    assert html_size(to_html(anim)) > 0


def test_show_compact_displays_a_small_sharp_png(monkeypatch):
    import IPython.display
    from PIL import Image

    from gdlib.plotting import show_compact

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig = frame_grid(gdlib.ravine, _small_race(steps=10), n_frames=2)
    width_px = fig.get_size_inches()[0] * fig.dpi
    show_compact(fig)
    assert not plt.fignum_exists(fig.number)  # not shown a second time
    (image,) = shown
    png = Image.open(io.BytesIO(image.data))
    assert png.mode == "P" and len(png.getcolors()) <= 64  # a palette of 64 colours
    assert (
        png.size[0] == 2 * image.width and abs(image.width - width_px) < 0.2 * width_px
    )
    with pytest.raises(ValueError, match="colors"):
        show_compact(plt.figure(), colors=1)


def test_palette_frames_are_smaller():
    results = _small_race(steps=30)
    full = to_html(
        animate_race(gdlib.ravine, results, frames=3, figsize=(3, 2.4), dpi=50),
        colors=None,
    )
    small = to_html(
        animate_race(gdlib.ravine, results, frames=3, figsize=(3, 2.4), dpi=50),
        colors=64,
    )
    assert html_size(small) < html_size(full)


@pytest.mark.parametrize("n_frames, ncols", [(6, 3), (4, 3), (5, 2), (1, 3)])
def test_frame_grid_has_the_requested_number_of_axes(n_frames, ncols):
    fig = frame_grid(
        gdlib.ravine, _small_race(steps=20), n_frames=n_frames, ncols=ncols
    )
    assert len(fig.axes) == n_frames
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "step 0" and titles[-1] == (
        "step 20" if n_frames > 1 else "step 0"
    )
    plt.close(fig)


# --- benchmark -------------------------------------------------------------------------------
def _quadratic_problem(a, b, theta0, steps):
    surface = gdlib.quadratic(a, b)
    return B.Problem(
        name="q",
        loss=surface.f,
        grad=surface.grad,
        theta0=lambda rng: np.array(theta0),
        steps=steps,
        target=1e-8,
        f_min=0.0,
    )


def test_tuning_finds_the_exact_one_step_learning_rate():
    # On f = 2θ² (a = b = 4), GD with η = 1/4 lands on the minimum in one step: loss exactly 0.
    problem = _quadratic_problem(4, 4, [3.0, -1.0], steps=5)
    grid = [0.05, 0.1, 0.25, 0.4, 0.45]
    result = B.tune(B.methods(["GD"])["GD"], problem, grid, seeds=(0,))
    assert result.best_eta == 0.25
    assert result.scores[2] == 0.0


def test_tuning_matches_the_closed_form_loss_after_k_steps():
    # GD on ½(a x² + b y²): θ_i after K steps is (1 − η λ_i)^K θ_{0,i}, so the final loss is
    # ½ Σ λ_i (1 − η λ_i)^{2K} θ_{0,i}²; tuning must pick its argmin on the grid.
    a, b, K, theta0 = 1.0, 20.0, 40, np.array([5.0, 1.0])
    problem = _quadratic_problem(a, b, theta0, steps=K)
    grid = gdlib.log_grid(1e-3, 0.2, 4)
    lam = np.array([a, b])
    closed = np.array(
        [0.5 * np.sum(lam * (1 - eta * lam) ** (2 * K) * theta0**2) for eta in grid]
    )
    result = B.tune(B.methods(["GD"])["GD"], problem, grid, seeds=(0, 1))
    finite = np.isfinite(result.scores)
    np.testing.assert_allclose(result.scores[finite], closed[finite], rtol=1e-9)
    assert result.best_eta == grid[np.argmin(closed)]
    # η > 2/b makes the y-coordinate grow: the loss is huge or the run diverges, never the best
    assert result.best_eta < 2 / b


def test_diverged_runs_score_infinity_and_are_never_chosen():
    problem = _quadratic_problem(1, 10, [1.0, 1.0], steps=2000)
    record = B.run_problem(
        B.methods(["GD"])["GD"], 0.5, problem, seed=0
    )  # 1 − 0.5·10 = −4
    assert record.status == "diverged" and record.final_loss == math.inf
    result = B.tune(B.methods(["GD"])["GD"], problem, [0.01, 0.5], seeds=(0,))
    assert result.scores[1] == math.inf and result.best_eta == 0.01


def test_stochastic_runs_are_reproducible_and_seeded():
    problem = B.problems(["sparse"], scale=0.1)["sparse"]
    adam = B.methods(["Adam"])["Adam"]
    r1, r2 = (B.run_problem(adam, 0.01, problem, seed=3) for _ in range(2))
    r3 = B.run_problem(adam, 0.01, problem, seed=4)
    np.testing.assert_array_equal(r1.losses, r2.losses)
    assert not np.array_equal(r1.losses, r3.losses)
    assert r1.eval_steps[-1] == problem.steps == 40


def test_schedule_sets_the_learning_rate_before_every_step():
    # SGD+1/t on ½θ² from θ0: θ_K = θ0 Π (1 − η_t), η_t = η/(1 + 9t/K).
    problem = _quadratic_problem(1, 1, [1.0, 2.0], steps=10)
    record = B.run_problem(B.methods(["SGD+1/t"])["SGD+1/t"], 0.3, problem, seed=0)
    factor = np.prod([1 - 0.3 / (1 + 9 * t / 10) for t in range(10)])
    assert record.final_loss == pytest.approx(0.5 * factor**2 * 5.0, rel=1e-12)


def test_saddle_problem_stops_when_it_escapes():
    problem = B.problems(["saddle"])["saddle"]
    record = B.run_problem(B.methods(["GD"])["GD"], 0.1, problem, seed=0)
    assert record.status == "reached"
    assert record.losses[-1] <= -1.0 < record.losses[-2]
    assert record.steps_to_target == record.eval_steps[-1]


def test_table_round_trip(tmp_path):
    problem = _quadratic_problem(1, 10, [1.0, 1.0], steps=50)
    rows, _ = B.benchmark(
        {"q": problem}, B.methods(["GD", "Adam"]), [0.01, 0.1], (0,), (1, 2)
    )
    csv_path, md_path = B.write_table(rows, tmp_path / "table", header="# test")
    back = B.read_table(csv_path)
    assert [r["method"] for r in back] == ["GD", "Adam"]
    assert back[0]["best_eta"] == rows[0]["best_eta"]
    assert back[1]["final_loss"] == pytest.approx(rows[1]["final_loss"], rel=1e-12)
    assert (
        md_path.read_text().startswith("# test") and "| q | GD |" in md_path.read_text()
    )


def test_racers_keep_their_book_styles_and_duplicates_are_told_apart():
    from gdlib.animation import styles
    from gdlib.plotting import STYLES

    results = _small_race(steps=3)
    st = styles(results)
    assert [(s["color"], s["linestyle"]) for s in st] == [
        STYLES[k] for k in ("GD", "Momentum", "Adam")
    ]
    twins = race(
        gdlib.saddle,
        {"a": gdlib.Adagrad(eta=0.1), "b": gdlib.Adagrad(eta=0.2)},
        [1.0, 0.1],
        steps=2,
    )
    colors = [s["color"] for s in styles(twins)]
    assert colors[0] != colors[1]


def test_problems_default_to_the_study_set_with_the_legacy_eight_inside():
    names = list(B.problems(scale=0.01))
    assert names[:2] == ["ravine", "rotated_ravine"]
    assert set(B.LEGACY_PROBLEMS) <= set(names) and len(B.LEGACY_PROBLEMS) == 8
    assert names == [n for n in B.KNOWN if n in names]


def test_rotated_ravine_is_the_ravine_turned_by_45_degrees():
    problems = B.problems(["ravine", "rotated_ravine"])
    ravine, rotated = problems["ravine"], problems["rotated_ravine"]
    c = math.sqrt(0.5)
    R = np.array([[c, -c], [c, c]])
    assert rotated.steps == ravine.steps and rotated.target == ravine.target
    for seed in range(5):
        start = ravine.theta0(np.random.default_rng(seed))
        turned = rotated.theta0(np.random.default_rng(seed))
        np.testing.assert_allclose(turned, R @ start, rtol=0, atol=1e-14)
        # same loss, and the gradient turns with the problem: ∇J_R(Rθ) = R ∇J(θ)
        assert rotated.loss(turned) == pytest.approx(ravine.loss(start), rel=1e-12)
        np.testing.assert_allclose(
            rotated.grad(turned), R @ ravine.grad(start), rtol=1e-12, atol=1e-12
        )
    # the rotated Hessian has eigenvalues 1 and 50, with (1, 1)/√2 the flat direction
    H = np.array([rotated.grad(e) for e in np.eye(2)]).T
    np.testing.assert_allclose(np.linalg.eigvalsh(H), [1.0, 50.0], atol=1e-12)
    np.testing.assert_allclose(H @ [c, c], [c, c], atol=1e-12)


def test_gd_is_rotation_equivariant_on_the_benchmark_but_adagrad_is_not():
    problems = B.problems(["ravine", "rotated_ravine"])
    gd, adagrad = B.methods(["GD", "Adagrad"]).values()
    for seed in (0, 1):
        a = B.run_problem(gd, 0.03, problems["ravine"], seed)
        b = B.run_problem(gd, 0.03, problems["rotated_ravine"], seed)
        np.testing.assert_allclose(a.losses, b.losses, rtol=1e-9, atol=1e-300)
        a = B.run_problem(adagrad, 3.0, problems["ravine"], seed)
        b = B.run_problem(adagrad, 3.0, problems["rotated_ravine"], seed)
        assert a.final_loss < 1e-6 * b.final_loss  # the axis-aligned ravine suits it


def test_a_step_gdlib_refuses_as_overflowing_counts_as_divergence():
    # Adagrad squares the gradient; 1e200 overflows, so gdlib refuses the step.
    problem = B.Problem(
        name="huge",
        loss=lambda th: float(np.sum(th**2)),
        grad=lambda th: np.array([1e200, 0.0]) + th,
        theta0=lambda rng: np.zeros(2),
        steps=10,
        target=1e-6,
    )
    record = B.run_problem(B.methods(["Adagrad"])["Adagrad"], 0.1, problem, seed=0)
    assert record.status == "diverged" and record.final_loss == math.inf
    assert list(record.eval_steps) == [0, 1]
