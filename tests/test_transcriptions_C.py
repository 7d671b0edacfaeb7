"""Group C (momentum, visualization): independent transcriptions and the rotation checks.

The chapters' 100-step float64 comparison of gdlib.Momentum with a numpy transcription on the
ravine and on Rosenbrock's function is `tests/test_momentum_nag.py::
test_100_steps_match_numpy_transcriptions`. Here: the same on the turned ravine and a
30-dimensional quadratic, and the rotation (in)variance the two chapters rely on.
"""

import numpy as np
import pytest

import gdlib

R45 = np.array([[1.0, -1.0], [1.0, 1.0]]) / np.sqrt(2)


def momentum_numpy(theta0, grad, eta, gamma, steps):
    """v_t = γ v_{t-1} + η ∇J(θ_{t-1}),  θ_t = θ_{t-1} - v_t,  v_0 = 0."""
    theta, v = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta.copy()]
    for _ in range(steps):
        v = gamma * v + eta * grad(theta)
        theta = theta - v
        path.append(theta.copy())
    return np.array(path)


def quadratic_grad(A):
    return lambda th: A @ th


def test_momentum_matches_the_transcription_on_a_turned_and_a_30d_quadratic():
    A_turned = R45 @ np.diag([1.0, 50.0]) @ R45.T
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    A30 = Q @ np.diag(rng.uniform(1.0, 50.0, 30)) @ Q.T
    for A, start in [
        (A_turned, R45 @ np.array([-9.0, 2.0])),
        (A30, rng.normal(size=30)),
    ]:
        got = gdlib.run(
            gdlib.Momentum(eta=0.02, gamma=0.9),
            lambda th, A=A: 0.5 * th @ A @ th,
            start,
            steps=100,
            grad=quadratic_grad(A),
        ).thetas
        want = momentum_numpy(start, quadratic_grad(A), 0.02, 0.9, 100)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_rotated_ravine_is_the_ravine_turned():
    for p in np.random.default_rng(0).normal(size=(10, 2)) * 5:
        assert gdlib.rotated_ravine.f(R45 @ p) == pytest.approx(
            gdlib.ravine.f(p), rel=1e-12
        )
        np.testing.assert_allclose(
            gdlib.rotated_ravine.grad(R45 @ p), R45 @ gdlib.ravine.grad(p), atol=1e-12
        )


@pytest.mark.parametrize(
    "make, invariant",
    [
        (lambda: gdlib.GD(eta=0.02), True),
        (lambda: gdlib.Momentum(eta=0.02, gamma=0.9), True),
        (lambda: gdlib.NAG(eta=0.02, gamma=0.9), True),
        (lambda: gdlib.Adagrad(eta=0.5), False),
        (lambda: gdlib.RMSprop(eta=0.01, gamma=0.9), False),
        (lambda: gdlib.Adam(eta=0.1), False),
    ],
    ids=["GD", "Momentum", "NAG", "Adagrad", "RMSprop", "Adam"],
)
def test_turning_the_ravine_turns_the_path_only_for_the_linear_methods(make, invariant):
    start = np.array([-9.0, 2.0])
    straight = gdlib.run(make(), gdlib.ravine, start, steps=100).thetas
    turned = gdlib.run(make(), gdlib.rotated_ravine, R45 @ start, steps=100).thetas
    gap = np.max(np.abs(turned @ R45 - straight))
    if invariant:
        assert gap < 1e-12
    else:
        assert gap > 0.1
