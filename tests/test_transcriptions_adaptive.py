"""100 float64 steps of Adagrad, Adadelta and RMSprop against numpy transcriptions of the
update rules their chapters derive, on the Rosenbrock function and on the ravine (moved here
from the chapters, which keep only the exact-rational check of the first three steps).

Each transcription is written from the chapter's equation, independently of gdlib:
Adagrad (eq-adagrad-vector), Adadelta (eq-adadelta-update) and RMSprop
(eq-rmsprop-update), with step t reading θ_{t-1} and g_t = ∇J(θ_{t-1}).
"""

import numpy as np
import pytest

import gdlib


def adagrad_numpy(grad, theta0, eta, eps, steps):
    theta, G = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta.copy()]
    for _ in range(steps):
        g = grad(theta)  # g_t = ∇J(θ_{t-1})
        G = G + g**2  # G_t = G_{t-1} + g_t²
        theta = theta - eta / np.sqrt(G + eps) * g  # θ_t
        path.append(theta.copy())
    return np.array(path)


def adadelta_numpy(grad, theta0, gamma, eps, steps):
    theta = np.array(theta0, dtype=float)
    Eg2, Ed2 = np.zeros_like(theta), np.zeros_like(theta)
    path = [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        Eg2 = gamma * Eg2 + (1 - gamma) * g**2
        dtheta = -np.sqrt(Ed2 + eps) / np.sqrt(Eg2 + eps) * g
        Ed2 = gamma * Ed2 + (1 - gamma) * dtheta**2
        theta = theta + dtheta
        path.append(theta.copy())
    return np.array(path)


def rmsprop_numpy(grad, theta0, eta, gamma, eps, steps):
    theta, E = np.array(theta0, dtype=float), np.zeros(len(theta0))
    path = [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        E = gamma * E + (1 - gamma) * g**2
        theta = theta - eta / np.sqrt(E + eps) * g
        path.append(theta.copy())
    return np.array(path)


CASES = {
    "Adagrad": (
        lambda: gdlib.Adagrad(eta=0.5, eps=1e-8),
        lambda grad, th0: adagrad_numpy(grad, th0, 0.5, 1e-8, 100),
    ),
    "Adadelta": (
        lambda: gdlib.Adadelta(gamma=0.95, eps=1e-4),
        lambda grad, th0: adadelta_numpy(grad, th0, 0.95, 1e-4, 100),
    ),
    "RMSprop": (
        lambda: gdlib.RMSprop(eta=0.003, gamma=0.9, eps=1e-8),
        lambda grad, th0: rmsprop_numpy(grad, th0, 0.003, 0.9, 1e-8, 100),
    ),
}
SURFACES = {
    "rosenbrock": (gdlib.rosenbrock, [-1.5, 2.0]),
    "ravine": (gdlib.ravine, [-8.0, 2.0]),
}


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("method", CASES)
def test_100_steps_agree_with_the_numpy_transcription(method, surface):
    make, transcription = CASES[method]
    f, theta0 = SURFACES[surface]
    lib = gdlib.run(make(), f, theta0, steps=100)
    ours = transcription(f.grad, theta0)
    assert lib.steps == 100 and np.all(np.isfinite(ours))
    assert np.max(np.abs(ours[1] - ours[0])) > 0  # the runs do move
    np.testing.assert_allclose(lib.thetas, ours, rtol=0, atol=1e-12)
