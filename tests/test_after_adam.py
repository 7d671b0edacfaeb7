"""Reference tests of the optimizers after Adam (gdlib.optimizers.layerwise and .modern).

Expected values come from hand transcriptions of the papers' equations written here, in
plain numpy, independently of gdlib (100 steps on rosenbrock and the rotated ravine to
1e-12), from exact hand-computed steps, and from properties the papers prove.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gdlib
from gdlib.base import blocks

PROBLEMS = {
    "rosenbrock": (gdlib.rosenbrock, [-1.2, 1.0]),
    "rotated ravine": (gdlib.rotated_ravine, [3.0, -1.0]),
}
STEPS = 100


def compare(opt, transcription, name, steps=STEPS):
    surface, start = PROBLEMS[name]
    theta = np.array(start, dtype=float)
    expected = transcription(surface.grad, np.array(start, dtype=float), steps)
    for t in range(steps):
        opt.step(theta, surface.grad)
        np.testing.assert_allclose(
            theta, expected[t], rtol=1e-12, atol=1e-12, err_msg=f"{t}"
        )


# ----------------------------------------------------------------- transcriptions (numpy)
def lars_ref(grad, th, steps, eta=2.0, gamma=0.9, c=0.01, wd=0.05):
    v, out = np.zeros_like(th), []
    for _ in range(steps):
        g = grad(th)
        q = c * np.linalg.norm(th) / (np.linalg.norm(g) + wd * np.linalg.norm(th))
        v = gamma * v + eta * q * (g + wd * th)
        th = th - v
        out.append(th)
    return out


def lamb_ref(grad, th, steps, eta=0.05, b1=0.9, b2=0.999, eps=1e-6, wd=0.01):
    m, v, out = np.zeros_like(th), np.zeros_like(th), []
    for t in range(1, steps + 1):
        g = grad(th)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        a = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps) + wd * th
        th = th - eta * np.linalg.norm(th) / np.linalg.norm(a) * a
        out.append(th)
    return out


def lion_ref(grad, th, steps, eta=3e-3, b1=0.9, b2=0.99, wd=0.1):
    m, out = np.zeros_like(th), []
    for _ in range(steps):
        g = grad(th)
        th = th - eta * (np.sign(b1 * m + (1 - b1) * g) + wd * th)
        m = b2 * m + (1 - b2) * g
        out.append(th)
    return out


def lookahead_ref(grad, th, steps, eta=5e-4, gamma=0.9, k=5, a=0.5):
    slow, v, out = th.copy(), np.zeros_like(th), []
    for t in range(1, steps + 1):
        v = gamma * v + eta * grad(th)
        th = th - v
        if t % k == 0:
            slow = slow + a * (th - slow)
            th = slow.copy()
        out.append(th)
    return out


def sophia_ref(
    grad, hess_diag, th, steps, eta=0.01, b1=0.9, b2=0.95, s=0.5, eps=1e-8, wd=0.01, k=3
):
    m, h, out = np.zeros_like(th), np.zeros_like(th), []
    for t in range(1, steps + 1):
        g = grad(th)
        m = b1 * m + (1 - b1) * g
        if t % k == 1 % k:
            h = b2 * h + (1 - b2) * hess_diag(th)
        th = th - eta * wd * th - eta * np.clip(m / np.maximum(s * h, eps), -1, 1)
        out.append(th)
    return out


def sf_ref(grad, x, steps, eta=0.05, b1=0.9, b2=None, eps=1e-8, wd=0.0, warmup=0):
    z, v, wsum, lr_max, out = x.copy(), np.zeros_like(x), 0.0, 0.0, []
    for t in range(1, steps + 1):
        y = (1 - b1) * z + b1 * x
        g = grad(y)
        lr = eta * min(1.0, t / warmup) if warmup else eta
        if b2 is None:
            d = g
        else:
            v = b2 * v + (1 - b2) * g**2
            d = g / (np.sqrt(v / (1 - b2**t)) + eps)
        z = z - lr * (d + wd * y)
        lr_max = max(lr_max, lr)
        wsum += lr_max**2
        c = lr_max**2 / wsum
        x = (1 - c) * x + c * z
        out.append(x)
    return out


def prodigy_ref(grad, th, steps, eta=1.0, b1=0.9, b2=0.999, eps=1e-8, d0=1e-6, wd=0.0):
    b3 = math.sqrt(b2)
    x0, m, v, s, r, d, out = th.copy(), 0 * th, 0 * th, 0 * th, 0.0, d0, []
    for _ in range(steps):
        g = grad(th)
        m = b1 * m + (1 - b1) * d * g
        v = b2 * v + (1 - b2) * d**2 * g**2
        r = b3 * r + (1 - b3) * eta * d**2 * np.dot(g, x0 - th)
        s = b3 * s + (1 - b3) * eta * d**2 * g
        d_new = max(d, r / np.sum(np.abs(s)))
        th = th - eta * d * (m / (np.sqrt(v) + d * eps) + wd * th)
        d = d_new
        out.append(th)
    return out


@pytest.mark.parametrize("name", PROBLEMS)
def test_lars_follows_the_transcription(name):
    compare(
        gdlib.LARS(eta=2.0, gamma=0.9, trust_coefficient=0.01, weight_decay=0.05),
        lars_ref,
        name,
    )


@pytest.mark.parametrize("name", PROBLEMS)
def test_lamb_follows_the_transcription(name):
    compare(gdlib.LAMB(eta=0.05, weight_decay=0.01), lamb_ref, name)


@pytest.mark.parametrize("name", PROBLEMS)
def test_lion_follows_the_transcription(name):
    compare(
        gdlib.Lion(eta=3e-3, beta1=0.9, beta2=0.99, weight_decay=0.1), lion_ref, name
    )


@pytest.mark.parametrize("name", PROBLEMS)
def test_lookahead_follows_the_transcription(name):
    opt = gdlib.Lookahead(gdlib.Momentum(eta=5e-4, gamma=0.9), k=5, eta_slow=0.5)
    compare(opt, lookahead_ref, name)


@pytest.mark.parametrize("name", PROBLEMS)
def test_sophia_follows_the_transcription_with_an_exact_hessian_diagonal(name):
    surface, _ = PROBLEMS[name]
    diag = lambda th: np.diag(surface.hessian(th))  # noqa: E731
    opt = gdlib.Sophia(
        eta=0.01,
        beta1=0.9,
        beta2=0.95,
        hess_scale=0.5,
        weight_decay=0.01,
        k=3,
        hess_diag=diag,
    )
    compare(opt, lambda g, th, n: sophia_ref(g, diag, th, n), name)


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("warmup", [0, 7])
def test_schedule_free_sgd_follows_the_transcription(name, warmup):
    opt = gdlib.ScheduleFreeSGD(eta=2e-3, beta1=0.9, weight_decay=0.05, warmup=warmup)
    compare(
        opt, lambda g, x, n: sf_ref(g, x, n, eta=2e-3, wd=0.05, warmup=warmup), name
    )


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("warmup", [0, 7])
def test_schedule_free_adamw_follows_the_transcription(name, warmup):
    opt = gdlib.ScheduleFreeAdamW(
        eta=0.05, beta1=0.9, beta2=0.99, weight_decay=0.05, warmup=warmup
    )
    compare(opt, lambda g, x, n: sf_ref(g, x, n, b2=0.99, wd=0.05, warmup=warmup), name)


@pytest.mark.parametrize("name", PROBLEMS)
def test_prodigy_follows_the_transcription(name):
    compare(
        gdlib.Prodigy(weight_decay=0.01),
        lambda g, th, n: prodigy_ref(g, th, n, wd=0.01),
        name,
    )


# ----------------------------------------------------------------- exact steps and properties
def test_lion_moves_every_coordinate_by_exactly_eta():
    opt, theta = gdlib.Lion(eta=0.25, beta1=0.5, beta2=0.75), np.array([1.0, -2.0, 0.5])
    grads = [np.array([3.0, -1.0, 0.0]), np.array([-1.0, -1.0, 2.0])]
    opt.step(theta, lambda th: grads[0])  # c = 0.5·0 + 0.5 g = (1.5, −0.5, 0)
    np.testing.assert_array_equal(theta, [0.75, -1.75, 0.5])
    np.testing.assert_array_equal(opt.m, [0.75, -0.25, 0.0])  # 0.25 g
    opt.step(theta, lambda th: grads[1])  # c = 0.5 m + 0.5 g = (−0.125, −0.625, 1)
    np.testing.assert_array_equal(theta, [1.0, -1.5, 0.25])


def test_lion_with_equal_betas_is_signum():
    rng = np.random.default_rng(3)
    a, b = np.array([1.0, -2.0, 3.0]), np.array([1.0, -2.0, 3.0])
    lion, m = gdlib.Lion(eta=0.01, beta1=0.8, beta2=0.8), np.zeros(3)
    for _ in range(30):
        g = rng.standard_normal(3)
        lion.step(a, lambda th, g=g: g)
        m = 0.8 * m + 0.2 * g  # signum: the sign of the momentum after the update
        b -= 0.01 * np.sign(m)
    np.testing.assert_array_equal(a, b)


def test_lars_and_lamb_layer_steps_are_a_fixed_fraction_of_the_layer_norm():
    shapes = [(3, 2), (2,), (2, 4)]
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(16)
    scales = np.repeat([1e-3, 1.0, 1e3], [6, 2, 8])  # wildly different gradient scales
    before = [np.linalg.norm(b) for b in blocks(theta.copy(), shapes)]
    old = theta.copy()
    gdlib.LAMB(eta=0.01, shapes=shapes).step(theta, lambda th: scales * th)
    for lo, hi, n in zip([0, 6, 8], [6, 8, 16], before):
        assert math.isclose(
            np.linalg.norm(theta[lo:hi] - old[lo:hi]), 0.01 * n, rel_tol=1e-12
        )
    theta, old = old.copy(), old
    gdlib.LARS(eta=1.0, gamma=0.0, trust_coefficient=0.02, shapes=shapes).step(
        theta, lambda th: scales * th
    )
    for lo, hi, n in zip([0, 6, 8], [6, 8, 16], before):
        assert math.isclose(
            np.linalg.norm(theta[lo:hi] - old[lo:hi]), 0.02 * n, rel_tol=1e-12
        )


def test_lamb_is_invariant_to_rescaling_one_layer():
    """θ^(ℓ) → s θ^(ℓ) with the loss J(θ^(ℓ)/s): the trajectory is the same, rescaled."""
    shapes, s = [(2,), (3,)], 1e4
    H = np.diag([1.0, 4.0, 2.0, 9.0, 0.5])
    D = np.diag([1.0, 1.0, s, s, s])  # scale the second layer by s
    Di = np.linalg.inv(D)
    a, b = (
        np.array([1.0, -1.0, 2.0, 0.5, -3.0]),
        D @ np.array([1.0, -1.0, 2.0, 0.5, -3.0]),
    )
    oa, ob = (
        gdlib.LAMB(eta=0.05, shapes=shapes, eps=0.0),
        gdlib.LAMB(eta=0.05, shapes=shapes, eps=0.0),
    )
    for _ in range(40):
        oa.step(a, lambda th: H @ th)
        ob.step(b, lambda th: Di @ H @ (Di @ th))  # the gradient of J(D⁻¹θ)
    np.testing.assert_allclose(Di @ b, a, rtol=1e-10)


def test_layerwise_shapes_are_checked_before_anything_changes():
    opt, theta = gdlib.LARS(shapes=[(2, 2), (3,)]), np.ones(6)
    with pytest.raises(ValueError, match="shapes hold 7 numbers but theta has 6"):
        opt.step(theta, lambda th: th)
    assert opt.t == 0 and opt.v is None and np.all(theta == 1)
    with pytest.raises(ValueError, match="shape"):
        gdlib.LAMB(shapes=[(0, 2)])
    assert "shapes=((2, 2), (3,))" in repr(opt)


def test_layerwise_a_layer_at_zero_still_moves():
    """q = 1 when ‖θ^(ℓ)‖ = 0 (biases start at 0), as in optax: the layer is not frozen."""
    theta = np.array([1.0, 2.0, 0.0, 0.0])
    gdlib.LAMB(eta=0.1, shapes=[(2,), (2,)]).step(theta, lambda th: np.ones(4))
    assert np.all(theta[2:] < 0)


def test_lookahead_synchronises_every_k_steps_and_keeps_the_inner_state():
    opt = gdlib.Lookahead(gdlib.GD(eta=0.5), k=2, eta_slow=0.5)
    theta = np.array([8.0])
    grad = lambda th: np.ones(1)  # noqa: E731
    opt.step(theta, grad)
    assert theta[0] == 7.5 and opt.slow[0] == 8.0
    opt.step(theta, grad)  # fast 7.0, slow 8 + 0.5·(7 − 8) = 7.5, fast ← slow
    assert theta[0] == 7.5 and opt.slow[0] == 7.5
    inner = gdlib.Momentum(eta=0.1, gamma=0.9)
    la = gdlib.Lookahead(inner, k=3)
    for _ in range(3):
        la.step(np.array([1.0]), grad)
    assert (
        inner.t == 3 and inner.v[0] > 0.1
    )  # the velocity survives the synchronisation


def test_lookahead_forwards_eta_and_checks_its_arguments():
    la = gdlib.Lookahead(gdlib.GD(eta=0.1), eta=0.3)
    assert la.inner.eta == 0.3 and la.hyperparameters() == {
        "eta_slow": 0.5,
        "k": 5,
        "eta": 0.3,
    }
    la.eta = 0.2
    assert la.inner.eta == 0.2
    with pytest.raises(ValueError, match="inner must be a gdlib optimizer"):
        gdlib.Lookahead("adam")
    with pytest.raises(ValueError, match="inner"):
        gdlib.Lookahead(gdlib.Lookahead())
    with pytest.raises(ValueError, match="has no eta"):
        gdlib.Lookahead(gdlib.Adadelta(), eta=0.1)


def test_lookahead_a_failed_step_restores_the_inner_state():
    inner = gdlib.Adam(eta=0.1)
    la, theta = gdlib.Lookahead(inner, k=2), np.array([1.0, 2.0])
    la.step(theta, lambda th: th)
    m, v, t = inner.m.copy(), inner.v.copy(), inner.t

    def bad(th):
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError):
        la.step(theta, bad)
    assert inner.t == t and np.array_equal(inner.m, m) and np.array_equal(inner.v, v)


def test_lookahead_with_nag_takes_the_gradient_at_the_inner_look_ahead_point():
    points = []
    la = gdlib.Lookahead(gdlib.NAG(eta=0.1, gamma=0.5), k=10)
    theta = np.array([1.0])
    for _ in range(2):
        la.step(theta, lambda th: points.append(th.copy()) or th)
    # step 2: θ1 = 0.9, v1 = 0.1, look-ahead point θ1 − γ v1 = 0.85
    assert points[1][0] == pytest.approx(0.85, abs=1e-15)


def test_sophia_hutchinson_is_exact_in_expectation_and_the_default_estimator():
    H = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, -0.5], [0.0, -0.5, 5.0]])
    rng = np.random.default_rng(0)
    est = np.mean(
        [
            gdlib.optimizers.modern.hutchinson(lambda th: H @ th, np.ones(3), rng)
            for _ in range(4000)
        ],
        axis=0,
    )
    np.testing.assert_allclose(est, np.diag(H), atol=0.05)
    # a diagonal H: every Rademacher sample is exact, so Sophia-H equals exact-diagonal Sophia
    D = np.diag([1.0, 50.0])
    a, b = np.array([3.0, 1.0]), np.array([3.0, 1.0])
    s1, s2 = (
        gdlib.Sophia(eta=0.05, k=2),
        gdlib.Sophia(eta=0.05, k=2, hess_diag=lambda th: np.diag(D)),
    )
    for _ in range(20):
        s1.step(a, lambda th: D @ th)
        s2.step(b, lambda th: D @ th)
    np.testing.assert_allclose(a, b, rtol=1e-9)


def test_sophia_step_is_clipped_to_eta_per_coordinate():
    opt, theta = (
        gdlib.Sophia(eta=0.1, beta1=0.0, hess_diag=lambda th: -np.ones(2)),
        np.array([1.0, 1.0]),
    )
    opt.step(
        theta, lambda th: np.array([1e-3, -5.0])
    )  # h < 0: the full step η in the sign of m
    np.testing.assert_allclose(theta, [0.9, 1.1], rtol=1e-15)


def test_sophia_checks_hess_diag():
    with pytest.raises(ValueError, match="hess_diag must be a callable"):
        gdlib.Sophia(hess_diag=3.0)
    opt, theta = gdlib.Sophia(hess_diag=lambda th: np.ones(3)), np.ones(2)
    with pytest.raises(ValueError, match="hess_diag returned shape"):
        opt.step(theta, lambda th: th)
    assert opt.t == 0 and opt.m is None


def test_schedule_free_with_beta1_zero_is_averaged_sgd():
    """β1 = 0: gradients at z, so z is plain SGD and θ_t the average of z_1..z_t."""
    surface = gdlib.rotated_ravine
    opt, x = gdlib.ScheduleFreeSGD(eta=0.01, beta1=0.0), np.array([3.0, -1.0])
    z, zs = np.array([3.0, -1.0]), []
    for _ in range(50):
        opt.step(x, surface.grad)
        z = z - 0.01 * surface.grad(z)
        zs.append(z)
        np.testing.assert_allclose(x, np.mean(zs, axis=0), rtol=1e-12)


def test_schedule_free_first_step_and_gradient_point():
    opt, x = gdlib.ScheduleFreeSGD(eta=0.5, beta1=0.5), np.array([2.0])
    opt.step(x, lambda th: th)  # y0 = z0 = x0 = 2; z1 = 2 − 0.5·2 = 1; c1 = 1
    assert x[0] == 1.0 and opt.z[0] == 1.0
    assert opt.gradient_point(x)[0] == 1.0
    opt.step(x, lambda th: th)  # y1 = 1; z2 = 0.5; c2 = 1/2: x2 = 0.75
    assert x[0] == 0.75 and opt.z[0] == 0.5 and float(opt.weight_sum) == 0.5


def test_prodigy_d_grows_toward_the_distance_and_never_shrinks():
    surface, theta = gdlib.rotated_ravine, np.array([3.0, -1.0])
    opt, ds = gdlib.Prodigy(), []
    for _ in range(300):
        opt.step(theta, surface.grad)
        ds.append(float(opt.d))
    assert all(b >= a for a, b in zip(ds, ds[1:]))
    D = np.linalg.norm([3.0, -1.0])
    assert 0.05 * D < ds[-1] < 2 * D  # from 1e-6 to the order of ‖θ0 − θ*‖
    with pytest.raises(ValueError, match="bias_correction"):
        gdlib.Prodigy(bias_correction=1)


@pytest.mark.parametrize(
    "cls", [gdlib.ScheduleFreeSGD, gdlib.ScheduleFreeAdamW, gdlib.Prodigy]
)
def test_scalar_state_is_restored_by_a_failed_step(cls):
    opt, theta = cls(), np.array([1.0, 2.0])
    opt.step(theta, lambda th: th)
    saved = {n: np.copy(getattr(opt, n)) for n in cls.state_names}

    def bad(th):
        return np.array([np.nan, 1.0])

    with pytest.raises(gdlib.NonFiniteError):
        opt.step(theta, bad)
    for n in cls.state_names:
        np.testing.assert_array_equal(getattr(opt, n), saved[n])


def test_warmup_must_be_a_nonnegative_integer():
    with pytest.raises(ValueError, match="warmup must be an integer >= 0"):
        gdlib.ScheduleFreeAdamW(warmup=2.5)
