"""Long float64 transcriptions moved out of the variants and EWA chapters.

Each test writes the chapter's formula out in plain numpy, independently of gdlib, and
compares it with gdlib to 1e-12.
"""

import numpy as np
import pytest

import gdlib


@pytest.fixture(scope="module")
def cancer():
    data = gdlib.load_breast_cancer()
    return data.X_train, data.y_train


def test_minibatch_sgd_matches_a_numpy_transcription(cancer):
    """Two epochs of mini-batch SGD (b = 16, 54 updates) on the breast-cancer data."""
    X, y = cancer
    n, d = X.shape
    eta, l2 = 0.1, 0.01
    run = gdlib.train(
        gdlib.GD(eta),
        gdlib.LogisticRegression(l2=l2),
        X,
        y,
        batch_size=16,
        epochs=2,
        seed=11,
        progress=False,
    )
    rng = np.random.default_rng(11)  # train() shuffles with this generator
    theta = np.zeros(d)
    losses = []
    for _ in range(2):
        order = rng.permutation(n)
        for start in range(0, n, 16):
            idx = order[start : start + 16]
            z = X[idx] @ theta
            losses.append(
                np.mean(np.logaddexp(0, z) - y[idx] * z) + l2 / 2 * theta @ theta
            )
            p = 1.0 / (1.0 + np.exp(-z))
            # theta_t = theta_{t-1} - eta g_t
            theta = theta - eta * (X[idx].T @ (p - y[idx]) / len(idx) + l2 * theta)
    assert len(run.step_losses) == 2 * int(np.ceil(n / 16)) == 54
    assert np.allclose(run.theta, theta, rtol=0, atol=1e-12)
    assert np.allclose(run.step_losses, losses, rtol=0, atol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9, 0.99])
def test_ewa_matches_the_unrolled_weighted_sum(beta):
    """200 steps of a scalar and a 3-vector stream against v_t = sum_i (1-beta) beta^(t-i) x_i."""
    rng = np.random.default_rng(0)
    signal = 5 + rng.standard_normal((200, 3))
    age = np.subtract.outer(np.arange(200), np.arange(200))  # t - i
    W = np.where(age >= 0, (1 - beta) * beta ** np.maximum(age, 0), 0.0)
    unrolled = W @ signal
    unrolled_hat = unrolled / (1 - beta ** np.arange(1, 201))[:, None]
    assert np.allclose(gdlib.ewa(signal, beta), unrolled, rtol=1e-12, atol=1e-12)
    assert np.allclose(
        gdlib.ewa(signal, beta, bias_correction=True),
        unrolled_hat,
        rtol=1e-12,
        atol=1e-12,
    )
    assert np.allclose(
        gdlib.ewa(signal[:, 0], beta), unrolled[:, 0], rtol=1e-12, atol=1e-12
    )
    assert np.allclose(gdlib.ewa_weights(beta, 200), W[-1], rtol=1e-12, atol=1e-15)
