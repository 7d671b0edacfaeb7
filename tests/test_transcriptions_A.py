"""100-step float64 transcriptions of gradient descent (book/gradient_descent.ipynb).

The chapter checks three exact rational steps in a collapsed cell; here ``gdlib.GD`` and
``gdlib.run`` are compared over 100 steps with an update written independently in numpy,
θ_t = θ_{t-1} - η ∇J(θ_{t-1}), on Rosenbrock's function and on the ravine, and on the
ravine also with the closed form θ_k = (I - η A)^k θ_0.
"""

import numpy as np
import pytest

import gdlib


def rosenbrock_grad(th):
    x, y = th
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def ravine_grad(th):
    return np.array([1.0, 50.0]) * th


@pytest.mark.parametrize(
    "surface, grad, eta, theta0",
    [
        (gdlib.rosenbrock, rosenbrock_grad, 1e-3, [-1.2, 1.0]),
        (gdlib.ravine, ravine_grad, 0.035, [-8.0, 2.0]),
    ],
    ids=["rosenbrock", "ravine"],
)
def test_gd_matches_a_numpy_transcription(surface, grad, eta, theta0):
    result = gdlib.run(gdlib.GD(eta=eta), surface, theta0, steps=100)
    plain = [np.array(theta0, dtype=float)]
    for _ in range(100):
        plain.append(plain[-1] - eta * grad(plain[-1]))
    np.testing.assert_allclose(result.thetas, np.array(plain), rtol=0, atol=1e-12)
    opt = gdlib.GD(eta=eta)
    theta = np.array(theta0, dtype=float)
    for _ in range(100):
        theta = opt.step(theta, surface.grad)
    assert opt.t == 100
    np.testing.assert_allclose(theta, plain[-1], rtol=0, atol=1e-12)


def test_gd_on_the_ravine_matches_the_closed_form():
    eta, theta0 = 0.035, np.array([-8.0, 2.0])
    result = gdlib.run(gdlib.GD(eta=eta), gdlib.ravine, theta0, steps=100)
    k = np.arange(101)[:, None]
    closed = (1 - eta * np.array([1.0, 50.0])) ** k * theta0
    np.testing.assert_allclose(result.thetas, closed, rtol=1e-12, atol=1e-12)
