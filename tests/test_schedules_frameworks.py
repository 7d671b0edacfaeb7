"""gdlib's schedules and RAdam against the real optax and torch.optim, value by value.

Each test names the settings with which the framework produces gdlib's numbers (the same
settings are in the docstrings of gdlib.schedules.cyclic and gdlib.RAdam):

* the schedules' counter t is the number of steps already taken, optax's ``count`` and
  the number of ``scheduler.step()`` calls in PyTorch;
* gdlib's warm-up reaches η after T_w steps (Liu et al.'s and Goyal et al.'s convention),
  which optax and PyTorch express as a ramp from η/T_w over T_w − 1 steps;
* PyTorch's OneCycleLR ends its phases one step earlier than optax and gdlib;
* RAdam: optax's ε is gdlib's; PyTorch adds ε to √v_t before the bias correction, so it is
  compared with ε = 0; the threshold N_thr is 5 in both frameworks (gdlib's default is the
  paper's 4).

Compared in float64 (jax_enable_x64; float64 tensors). The frameworks are listed in
requirements-frameworks.txt; CI installs them, and these tests must not skip there.
"""

from __future__ import annotations

import numpy as np
import pytest

import gdlib
from gdlib import schedules as S

T = np.arange(0, 60)


def _torch_lrs(make_scheduler, lr, steps):
    """The learning rate PyTorch uses for steps with counter t = 0, ..., steps − 1."""
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = make_scheduler(torch.optim.lr_scheduler, opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


@pytest.fixture(scope="module")
def optax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return pytest.importorskip("optax")


def _optax_values(schedule, ts=T):
    return np.array([float(schedule(int(t))) for t in ts])


# --- schedules against optax --------------------------------------------------------------------


@pytest.mark.parametrize("warmup", [2, 5, 17])
def test_linear_warmup_is_optax_linear_schedule(optax, warmup):
    ref = optax.linear_schedule(
        init_value=0.3 / warmup, end_value=0.3, transition_steps=warmup - 1
    )
    np.testing.assert_allclose(
        S.linear_warmup(0.3, warmup)(T), _optax_values(ref), rtol=1e-14, atol=1e-16
    )


@pytest.mark.parametrize("eta_min", [0.0, 0.01])
def test_cosine_annealing_is_optax_cosine_decay(optax, eta_min):
    ref = optax.cosine_decay_schedule(
        init_value=0.2, decay_steps=40, alpha=eta_min / 0.2
    )
    np.testing.assert_allclose(
        S.cosine_annealing(0.2, 40, eta_min)(T),
        _optax_values(ref),
        rtol=1e-13,
        atol=1e-16,
    )


@pytest.mark.parametrize("period, mult", [(10, 1), (5, 2), (3, 3)])
def test_sgdr_is_optax_sgdr_schedule(optax, period, mult):
    lengths = [period * mult**i for i in range(8)]
    ref = optax.sgdr_schedule(
        [
            dict(
                init_value=0.5,
                peak_value=0.5,
                warmup_steps=0,
                decay_steps=n,
                end_value=0.001,
            )
            for n in lengths
        ]
    )
    np.testing.assert_allclose(
        S.sgdr(0.5, period, mult, eta_min=0.001)(T),
        _optax_values(ref),
        rtol=1e-13,
        atol=1e-16,
    )


@pytest.mark.parametrize("total, pct", [(50, 0.3), (40, 0.25)])
def test_one_cycle_is_optax_cosine_onecycle(optax, total, pct):
    ref = optax.cosine_onecycle_schedule(
        transition_steps=total,
        peak_value=0.4,
        pct_start=pct,
        div_factor=25.0,
        final_div_factor=1e4,
    )
    np.testing.assert_allclose(
        S.one_cycle(0.4, total, pct)(T), _optax_values(ref), rtol=1e-13, atol=1e-16
    )


def test_three_phase_linear_one_cycle_is_optax_linear_onecycle(optax):
    ref = optax.linear_onecycle_schedule(
        transition_steps=50,
        peak_value=0.4,
        pct_start=0.3,
        pct_final=0.8,
        div_factor=10.0,
        final_div_factor=100.0,
    )
    ours = S.one_cycle(
        0.4,
        50,
        0.3,
        div_factor=10.0,
        final_div_factor=100.0,
        anneal="linear",
        pct_final=0.8,
    )
    np.testing.assert_allclose(ours(T), _optax_values(ref), rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("warmup", [1, 4, 10])
def test_warmup_cosine_is_optax_warmup_cosine_decay(optax, warmup):
    ref = optax.warmup_cosine_decay_schedule(
        init_value=0.1 / warmup,
        peak_value=0.1,
        warmup_steps=warmup - 1,
        decay_steps=45,
        end_value=1e-4,
    )
    np.testing.assert_allclose(
        S.warmup_cosine(0.1, warmup, 45, eta_min=1e-4)(T),
        _optax_values(ref),
        rtol=1e-13,
        atol=1e-16,
    )


# --- schedules against torch.optim.lr_scheduler ------------------------------------------------


@pytest.mark.parametrize("warmup", [2, 5, 17])
def test_linear_warmup_is_torch_linear_lr(warmup):
    ref = _torch_lrs(
        lambda L, opt: L.LinearLR(
            opt, start_factor=1 / warmup, end_factor=1.0, total_iters=warmup - 1
        ),
        0.3,
        len(T),
    )
    np.testing.assert_allclose(S.linear_warmup(0.3, warmup)(T), ref, rtol=1e-13)


def test_cosine_annealing_is_torch_cosine_annealing_lr_up_to_t_max():
    # PyTorch's recursive form equals the closed form up to rounding; after T_max it climbs
    # back up, gdlib (like optax) stays at eta_min, so compare t <= T_max only.
    ref = _torch_lrs(
        lambda L, opt: L.CosineAnnealingLR(opt, T_max=40, eta_min=0.01), 0.2, 41
    )
    np.testing.assert_allclose(
        S.cosine_annealing(0.2, 40, 0.01)(np.arange(41)), ref, rtol=1e-12
    )


@pytest.mark.parametrize("period, mult", [(10, 1), (5, 2), (3, 3)])
def test_sgdr_is_torch_cosine_annealing_warm_restarts(period, mult):
    ref = _torch_lrs(
        lambda L, opt: L.CosineAnnealingWarmRestarts(
            opt, T_0=period, T_mult=mult, eta_min=0.001
        ),
        0.5,
        len(T),
    )
    np.testing.assert_allclose(S.sgdr(0.5, period, mult, 0.001)(T), ref, rtol=1e-12)


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize("total, pct", [(49, 0.3), (39, 0.25)])
def test_one_cycle_is_torch_one_cycle_lr_one_step_later(anneal, total, pct):
    # gdlib peaks at pct * T and ends at T; PyTorch at pct' * N - 1 and N - 1: N = T + 1,
    # pct' = (pct * T + 1) / (T + 1).
    ref = _torch_lrs(
        lambda L, opt: L.OneCycleLR(
            opt,
            max_lr=0.4,
            total_steps=total + 1,
            pct_start=(pct * total + 1) / (total + 1),
            anneal_strategy=anneal,
            cycle_momentum=False,
        ),
        0.4,
        total + 1,
    )
    ours = S.one_cycle(0.4, total, pct, anneal=anneal)(np.arange(total + 1))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-16)


def test_three_phase_one_cycle_is_torch_three_phase():
    total, pct = 49, 0.3  # torch: phases end at 14, 28, 49 with N = 50, pct' = 0.3
    t_up = 0.3 * 50 - 1
    ref = _torch_lrs(
        lambda L, opt: L.OneCycleLR(
            opt,
            max_lr=0.4,
            total_steps=total + 1,
            pct_start=pct,
            anneal_strategy="linear",
            cycle_momentum=False,
            three_phase=True,
        ),
        0.4,
        total + 1,
    )
    ours = S.one_cycle(
        0.4, total, t_up / total, anneal="linear", pct_final=2 * t_up / total
    )(np.arange(total + 1))
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


# --- RAdam against optax.radam and torch.optim.RAdam ----------------------------------------------


def _problem_grad(theta):
    """A rotated ill-conditioned quadratic plus a non-linear term, in float64."""
    a = np.array([[26.0, -24.0], [-24.0, 26.0]])  # eigenvalues 2 and 50
    return a @ theta + np.sin(3 * theta)


THETA0 = np.array([1.5, -0.7])


def _gdlib_path(opt, steps=100):
    theta, out = THETA0.copy(), []
    for _ in range(steps):
        theta = opt.step(theta, _problem_grad)
        out.append(theta.copy())
    return np.array(out)


@pytest.mark.parametrize("beta2", [0.999, 0.99, 0.9])
def test_radam_is_optax_radam_step_by_step(optax, beta2):
    import jax.numpy as jnp

    tx = optax.radam(0.01, b1=0.9, b2=beta2, eps=1e-8, threshold=5.0)
    params = jnp.asarray(THETA0)
    state, ref = tx.init(params), []
    for _ in range(100):
        g = jnp.asarray(_problem_grad(np.asarray(params)))
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
        ref.append(np.asarray(params))
    ours = _gdlib_path(gdlib.RAdam(eta=0.01, beta2=beta2, eps=1e-8, threshold=5.0))
    np.testing.assert_allclose(ours, np.array(ref), rtol=0, atol=1e-12)


@pytest.mark.parametrize("beta2", [0.999, 0.99, 0.9])
def test_radam_is_torch_radam_step_by_step(beta2):
    torch = pytest.importorskip("torch")
    p = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.RAdam([p], lr=0.01, betas=(0.9, beta2), eps=0.0)
    ref = []
    for _ in range(100):
        opt.zero_grad()
        p.grad = torch.tensor(_problem_grad(p.detach().numpy()), dtype=torch.float64)
        opt.step()
        ref.append(p.detach().numpy().copy())
    ours = _gdlib_path(gdlib.RAdam(eta=0.01, beta2=beta2, eps=0.0, threshold=5.0))
    np.testing.assert_allclose(ours, np.array(ref), rtol=0, atol=1e-12)


def test_radam_threshold_four_differs_from_the_frameworks_at_step_five():
    """The paper's N_thr = 4 rectifies step 5 (N_5 ≈ 4.99); PyTorch and optax wait for step 6."""
    paper = _gdlib_path(gdlib.RAdam(eta=0.01, eps=0.0), steps=5)
    frameworks = _gdlib_path(gdlib.RAdam(eta=0.01, eps=0.0, threshold=5.0), steps=5)
    np.testing.assert_array_equal(paper[:4], frameworks[:4])
    assert np.max(np.abs(paper[4] - frameworks[4])) > 1e-4
