"""100-step float64 transcriptions of the update rules of the Adam-family chapters.

The chapters adam, adamax, nadam, amsgrad and recent show the rules as displayed
equations and check `gdlib` against exact arithmetic for three steps (a collapsed cell in
each chapter). The longer checks live here: each rule is transcribed independently of
`gdlib`, in the book's time index (step t reads θ_{t-1}, uses g_t = ∇J(θ_{t-1}), writes
θ_t), and run for 100 steps on Rosenbrock's function, the ravine and the rotated ravine.
"""

import numpy as np
import pytest

import gdlib

SURFACES = {
    "rosenbrock": (gdlib.rosenbrock, [-1.2, 1.0]),
    "ravine": (gdlib.ravine, [-8.0, 2.0]),
    "rotated_ravine": (gdlib.rotated_ravine, [-6.0, 3.0]),
}


def adam(grad, theta0, steps, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = np.array(theta0, dtype=float)
    m, v, path = np.zeros(2), np.zeros(2), [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        theta = theta - eta * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        path.append(theta.copy())
    return np.array(path)


def adamax(grad, theta0, steps, eta, beta1=0.9, beta2=0.999):
    theta = np.array(theta0, dtype=float)
    m, u, path = np.zeros(2), np.zeros(2), [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        u = np.maximum(beta2 * u, np.abs(g))
        theta = theta - eta / u * m / (1 - beta1**t)
        path.append(theta.copy())
    return np.array(path)


def nadam(grad, theta0, steps, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = np.array(theta0, dtype=float)
    m, v, path = np.zeros(2), np.zeros(2), [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        numerator = (beta1 * m + (1 - beta1) * g) / (1 - beta1**t)
        theta = theta - eta * numerator / (np.sqrt(v / (1 - beta2**t)) + eps)
        path.append(theta.copy())
    return np.array(path)


def amsgrad(grad, theta0, steps, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = np.array(theta0, dtype=float)
    m, v, v_max, path = np.zeros(2), np.zeros(2), np.zeros(2), [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = np.maximum(v_max, v)
        theta = theta - eta * m / (np.sqrt(v_max) + eps)
        path.append(theta.copy())
    return np.array(path)


def adamw(grad, theta0, steps, eta, beta1, beta2, eps, weight_decay, schedule):
    theta = np.array(theta0, dtype=float)
    m, v, path = np.zeros(2), np.zeros(2), [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        adam_dir = (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
        theta = theta - schedule * (eta * adam_dir + weight_decay * theta)
        path.append(theta.copy())
    return np.array(path)


def qhm(grad, theta0, steps, eta, beta, nu):
    theta = np.array(theta0, dtype=float)
    m, path = np.zeros(2), [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        m = beta * m + (1 - beta) * g
        theta = theta - eta * ((1 - nu) * g + nu * m)
        path.append(theta.copy())
    return np.array(path)


def qhadam(grad, theta0, steps, eta, beta1, beta2, nu1, nu2, eps):
    theta = np.array(theta0, dtype=float)
    m, v, path = np.zeros(2), np.zeros(2), [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        num = (1 - nu1) * g + nu1 * m / (1 - beta1**t)
        den = np.sqrt((1 - nu2) * g**2 + nu2 * v / (1 - beta2**t)) + eps
        theta = theta - eta * num / den
        path.append(theta.copy())
    return np.array(path)


def aggmo(grad, theta0, steps, eta, betas):
    theta = np.array(theta0, dtype=float)
    vels, path = [np.zeros(2) for _ in betas], [theta.copy()]
    for _ in range(steps):
        g = grad(theta)
        vels = [b * vel - g for b, vel in zip(betas, vels)]
        theta = theta + eta / len(betas) * sum(vels)
        path.append(theta.copy())
    return np.array(path)


# (transcription, gdlib class, hyperparameters); the learning rates keep all runs finite.
CASES = {
    "Adam": (adam, gdlib.Adam, dict(eta=0.01)),
    "AdaMax": (adamax, gdlib.AdaMax, dict(eta=0.01)),
    "Nadam": (nadam, gdlib.Nadam, dict(eta=0.01)),
    "AMSGrad": (amsgrad, gdlib.AMSGrad, dict(eta=0.01)),
    "AMSGrad-fast": (amsgrad, gdlib.AMSGrad, dict(eta=0.1, beta1=0.5, beta2=0.9)),
    "AdamW": (
        adamw,
        gdlib.AdamW,
        dict(
            eta=0.02, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=0.01, schedule=0.7
        ),
    ),
    "QHM": (qhm, gdlib.QHM, dict(eta=0.0005, beta=0.95, nu=0.6)),
    "QHAdam": (
        qhadam,
        gdlib.QHAdam,
        dict(eta=0.02, beta1=0.95, beta2=0.999, nu1=0.7, nu2=0.5, eps=1e-8),
    ),
    "AggMo": (aggmo, gdlib.AggMo, dict(eta=0.0005, betas=(0.0, 0.9, 0.99))),
}


@pytest.mark.parametrize("surface", list(SURFACES))
@pytest.mark.parametrize("name", list(CASES))
def test_hundred_steps_match_the_transcription(name, surface):
    fn, cls, h = CASES[name]
    surf, theta0 = SURFACES[surface]
    got = gdlib.run(cls(**h), surf, theta0, 100)
    assert got.status == "max_steps" and np.all(np.isfinite(got.thetas))
    expected = fn(surf.grad, theta0, 100, **h)
    np.testing.assert_allclose(got.thetas, expected, rtol=0, atol=1e-12)


def test_amsgrad_state_is_the_running_maximum():
    """`v_max` is the running maximum of v_t (Reddi et al.'s v̂_t), and it is active here."""
    opt = gdlib.AMSGrad(eta=0.1, beta1=0.5, beta2=0.9)
    theta, v_seen, active = np.array([-8.0, 2.0]), [], False
    for _ in range(100):
        theta = opt.step(theta, gdlib.ravine.grad)
        v_seen.append(opt.v.copy())
        np.testing.assert_array_equal(opt.v_max, np.max(v_seen, axis=0))
        active |= bool(np.any(opt.v_max > opt.v))
    assert active and not hasattr(opt, "v_hat")
