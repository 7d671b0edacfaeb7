"""gdlib's Muon and Adafactor against optax and torch.optim, step by step in float64.

optax 0.2.8 ships ``optax.contrib.muon`` and ``optax.adafactor`` (no Shampoo or SOAP: those
are checked against hand transcriptions in tests/test_matrix_optimizers.py); torch 2.13
ships ``torch.optim.Muon``. The settings needed to match are written next to each call.
"""

import inspect
import math

import numpy as np
import pytest

import gdlib

STEPS = 6


def problem(seed=0):
    """A matrix least-squares gradient G = A (W − B) + noise, with a bias gradient."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((4, 4))
    A = A @ A.T / 4 + np.eye(4)
    B = rng.standard_normal((4, 6))
    W0, b0 = rng.standard_normal((4, 6)), rng.standard_normal(6)
    noise = [rng.standard_normal((4, 6)) * 0.1 for _ in range(STEPS)]
    return A, B, W0, b0, noise


def grads(W, b, A, B, noise, t):
    return A @ (W - B) + noise[t], b - 1.0 + W.sum(axis=0)


def gdlib_run(opt, W0, b0, A, B, noise, with_bias):
    shapes = [W0.shape, b0.shape] if with_bias else None
    theta = np.concatenate([W0.ravel(), b0]) if with_bias else W0.copy()
    opt.shapes = None if shapes is None else gdlib.base.check_shapes(shapes)
    out = []
    for t in range(STEPS):

        def grad(th, t=t):
            if not with_bias:
                return grads(th, b0, A, B, noise, t)[0]
            W, b = gdlib.base.blocks(th, shapes)
            gW, gb = grads(W, b, A, B, noise, t)
            return np.concatenate([gW.ravel(), gb])

        opt.step(theta, grad)
        out.append(theta.copy())
    return out


@pytest.fixture(scope="module")
def jax_x64():
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    jax.config.update("jax_enable_x64", True)
    return jax


def optax_run(tx, W0, b0, A, B, noise, with_bias):
    import jax.numpy as jnp
    import optax

    params = {"W": jnp.asarray(W0)}
    if with_bias:
        params["b"] = jnp.asarray(b0)
    state = tx.init(params)
    out = []
    for t in range(STEPS):
        W = np.asarray(params["W"])
        b = np.asarray(params["b"]) if with_bias else b0
        gW, gb = grads(W, b, A, B, noise, t)
        g = {"W": jnp.asarray(gW)}
        if with_bias:
            g["b"] = jnp.asarray(gb)
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
        flat = [np.asarray(params["W"]).ravel()] + (
            [np.asarray(params["b"])] if with_bias else []
        )
        out.append(np.concatenate(flat))
    return out


@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_matches_optax_on_a_matrix(jax_x64, nesterov):
    """optax bias-corrects the momentum (gdlib ``bias_correction=True``); its weight_decay
    is λ_wd/η; its eps is added to ‖M‖_F before Newton–Schulz, as in gdlib."""
    import optax

    A, B, W0, b0, noise = problem()
    eta, wd = 0.05, 0.1
    tx = optax.contrib.muon(eta, beta=0.9, eps=1e-8, weight_decay=wd, nesterov=nesterov)
    opt = gdlib.Muon(
        eta=eta,
        gamma=0.9,
        eps=1e-8,
        weight_decay=eta * wd,
        nesterov=nesterov,
        bias_correction=True,
    )
    for a, b in zip(
        gdlib_run(opt, W0, b0, A, B, noise, False),
        optax_run(tx, W0, b0, A, B, noise, False),
    ):
        np.testing.assert_allclose(a.ravel(), b, atol=1e-12)


def test_muon_matches_optax_with_a_bias_on_adam(jax_x64):
    """The bias goes to optax's ``adam`` branch (adamw, weight decay 0, lr adam_learning_rate);
    with nesterov=False that branch is plain Adam, gdlib's vector rule."""
    import optax

    A, B, W0, b0, noise = problem(1)
    tx = optax.contrib.muon(
        0.02,
        beta=0.95,
        eps=1e-8,
        nesterov=False,
        adam_b1=0.8,
        adam_b2=0.99,
        adam_learning_rate=0.01,
    )
    opt = gdlib.Muon(
        eta=0.02,
        gamma=0.95,
        eps=1e-8,
        nesterov=False,
        eta_vector=0.01,
        beta1=0.8,
        beta2=0.99,
        bias_correction=True,
    )
    for a, b in zip(
        gdlib_run(opt, W0, b0, A, B, noise, True),
        optax_run(tx, W0, b0, A, B, noise, True),
    ):
        np.testing.assert_allclose(a, b, atol=1e-12)


def torch_muon_run(monkeypatch, W0, A, B, noise, float64_ns, **kw):
    torch = pytest.importorskip("torch")
    import torch.optim._muon as tm

    if (
        float64_ns
    ):  # torch runs Newton–Schulz in bfloat16; the same code without that cast
        src = inspect.getsource(tm._zeropower_via_newtonschulz)
        assert "grad.bfloat16()" in src
        namespace = dict(vars(tm))
        exec(src.replace("grad.bfloat16()", "grad.clone()"), namespace)
        monkeypatch.setattr(
            tm, "_zeropower_via_newtonschulz", namespace["_zeropower_via_newtonschulz"]
        )
    # torch's weight is gdlib's W transposed (out × in): its sqrt(max(1, A/B)) is gdlib's
    # sqrt(max(1, n/m)) for W of m × n
    p = torch.nn.Parameter(torch.tensor(W0.T.copy(), dtype=torch.float64))
    opt = torch.optim.Muon([p], **kw)
    out = []
    for t in range(STEPS):
        W = p.detach().numpy().T
        p.grad = torch.tensor(
            grads(W, np.zeros(W.shape[1]), A, B, noise, t)[0].T.copy()
        )
        opt.step()
        out.append(p.detach().numpy().T.copy())
    return out


@pytest.mark.parametrize("nesterov", [True, False])
def test_muon_matches_torch_in_float64(monkeypatch, nesterov):
    """torch divides by max(‖M‖_F, eps), gdlib by ‖M‖_F + eps: gdlib eps=0 matches while
    ‖M‖_F > eps. torch's weight_decay is λ_wd/lr; its momentum is gdlib's γ."""
    A, B, W0, b0, noise = problem(2)
    lr, wd = 0.03, 0.1
    ref = torch_muon_run(
        monkeypatch,
        W0,
        A,
        B,
        noise,
        True,
        lr=lr,
        weight_decay=wd,
        momentum=0.9,
        nesterov=nesterov,
    )
    opt = gdlib.Muon(
        eta=lr, gamma=0.9, eps=0.0, weight_decay=lr * wd, nesterov=nesterov
    )
    for a, b in zip(gdlib_run(opt, W0, b0, A, B, noise, False), ref):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_muon_matches_torch_default_bfloat16_loosely(monkeypatch):
    """Unpatched, torch's bfloat16 Newton–Schulz agrees to bfloat16 accuracy (8 bits)."""
    A, B, W0, b0, noise = problem(3)
    ref = torch_muon_run(
        monkeypatch,
        W0,
        A,
        B,
        noise,
        False,
        lr=0.02,
        weight_decay=0.0,
        momentum=0.95,
        adjust_lr_fn="match_rms_adamw",
    )
    opt = gdlib.Muon(eta=0.02, gamma=0.95, eps=0.0, scale="rms")
    got = gdlib_run(opt, W0, b0, A, B, noise, False)
    step = np.abs(got[-1] - W0).max()
    assert np.abs(got[-1] - ref[-1]).max() < 0.05 * step


@pytest.mark.parametrize(
    "kw, optax_kw",
    [
        ({}, {}),
        (
            {"relative_step": False, "eta": 0.05, "beta1": 0.9, "clip": math.inf},
            {"learning_rate": 0.05, "momentum": 0.9, "clipping_threshold": None},
        ),
        (
            {"scale_parameter": False, "clip": 0.5, "decay_exponent": 0.5},
            {
                "multiply_by_parameter_scale": False,
                "clipping_threshold": 0.5,
                "decay_rate": 0.5,
            },
        ),
    ],
)
def test_adafactor_matches_optax(jax_x64, kw, optax_kw):
    """optax factors only matrices with a side ≥ min_dim_size_to_factor (128): set it to 1.
    It has no relative step: the paper's ρ_t = min(1e-2, 1/√t) is passed as the learning-rate
    schedule (optax counts from 0). ``momentum`` is an EMA of the scaled update, as in gdlib."""
    import optax

    A, B, W0, b0, noise = problem(4)
    settings = dict(
        min_dim_size_to_factor=1,
        eps=1e-30,
        dtype_momentum=np.float64,
        learning_rate=lambda count: np.minimum(1e-2, 1 / np.sqrt(count + 1.0)),
    )
    settings.update(optax_kw)
    tx = optax.adafactor(**settings)
    opt = gdlib.Adafactor(**kw)
    for a, b in zip(
        gdlib_run(opt, W0, b0, A, B, noise, True),
        optax_run(tx, W0, b0, A, B, noise, True),
    ):
        np.testing.assert_allclose(a, b, atol=1e-12)
