"""The optimizers of book/after_adam.ipynb checked step by step against optax, in float64.

optax 0.2.8 ships every one of them: ``lars``, ``lamb``, ``lookahead``, ``lion``,
``contrib.sophia``, ``contrib.schedule_free_sgd`` / ``schedule_free_adamw`` and
``contrib.prodigy``. ``torch.optim`` (2.13) ships none of them (its new optimizers are
Adafactor and Muon, the matrix chapter's), so there is no PyTorch comparison here.

Each test runs gdlib and optax from the same θ0 for 60 steps, each taking the gradient at
its own iterate, and compares the iterates (and named state) at every step to 1e-12.
The settings needed to match are documented where they are used:

* LARS: optax divides by ‖g + λ_wd θ‖, the paper by ‖g‖ + λ_wd‖θ‖: λ_wd = 0 (and eps = 0).
* Lookahead: optax keeps fast and slow weights in ``LookaheadParams``; gdlib's θ is the
  fast weights and its state ``slow`` the slow ones.
* Sophia: optax bias-corrects m_t and refreshes h *after* the step (its step t uses h from
  the estimates up to θ_{t−2}); the paper refreshes before. With β1 = 0 (m_t = m̂_t = g_t),
  k = 1 and a ``hess_diag`` that returns the estimate of the previous call (0 the first
  time), gdlib reproduces optax exactly.
* Schedule-Free with warm-up: optax's ``schedule_free_sgd``/``_adamw`` pass the warm-up
  schedule to the base optimizer too, which evaluates it at its own count (0, 1, ...),
  one step behind the averaging weights (count 1, 2, ...): its z-step t uses η_{t−1}
  (η_1 = 0). The paper and the authors' code use η_t in both places, as gdlib does; the
  test builds optax's ``schedule_free`` around a base whose schedule is shifted by one.
* Schedule-Free: optax's params are the gradient point y_t; gdlib's θ is x_t (optax's
  ``schedule_free_eval_params``) and y_t is ``opt.gradient_point(theta)``.
* Prodigy: optax always folds Adam's bias correction into the rate (gdlib:
  ``bias_correction=True``) and adds d_t ε instead of d_{t−1} ε: ε = 0 matches exactly;
  with ε = 1e-8 the iterates and d_t agree to 1e-6 over 60 steps.
"""

from __future__ import annotations

import numpy as np
import pytest

import gdlib

STEPS = 60


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


@pytest.fixture(scope="module")
def optax(jax):
    return pytest.importorskip("optax")


SURFACES = {"rosenbrock": gdlib.rosenbrock, "rotated ravine": gdlib.rotated_ravine}
STARTS = {"rosenbrock": [-1.2, 1.0], "rotated ravine": [3.0, -1.0]}


def run_pair(optax, jnp, opt, tx, surface, start, steps=STEPS, check=None):
    """Step gdlib's ``opt`` and optax's ``tx`` side by side; compare θ after each step."""
    theta = np.array(start, dtype=np.float64)
    params = jnp.array(start, dtype=jnp.float64)
    state = tx.init(params)
    for t in range(1, steps + 1):
        opt.step(theta, surface.grad)
        g = jnp.asarray(surface.grad(np.asarray(params)))
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
        if check is None:
            np.testing.assert_allclose(
                theta, params, rtol=1e-12, atol=1e-12, err_msg=f"step {t}"
            )
        else:
            check(t, theta, params, state)
    return theta


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("gamma", [0.0, 0.9])
def test_lars_matches_optax_lars(optax, jax, name, gamma):
    jnp = jax.numpy
    opt = gdlib.LARS(eta=2.0, gamma=gamma, trust_coefficient=0.01)
    tx = optax.lars(
        2.0, weight_decay=0.0, trust_coefficient=0.01, eps=0.0, momentum=gamma
    )
    run_pair(optax, jnp, opt, tx, SURFACES[name], STARTS[name])


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_lamb_matches_optax_lamb(optax, jax, name, weight_decay):
    jnp = jax.numpy
    opt = gdlib.LAMB(eta=0.05, eps=1e-6, weight_decay=weight_decay)
    tx = optax.lamb(0.05, eps=1e-6, weight_decay=weight_decay)
    run_pair(optax, jnp, opt, tx, SURFACES[name], STARTS[name])


def test_lars_and_lamb_are_layer_wise_like_optax_on_a_pytree(optax, jax):
    """Several tensors: optax's pytree leaves are gdlib's ``shapes``; one trust ratio each."""
    jnp = jax.numpy
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    scales = [rng.uniform(0.5, 20, s) for s in shapes]  # one curvature per coordinate
    theta0 = [rng.standard_normal(s) for s in shapes]

    def grads(leaves):
        return [c * np.asarray(w) + 0.1 for c, w in zip(scales, leaves)]

    for opt, tx in [
        (
            gdlib.LAMB(eta=0.02, weight_decay=0.01, shapes=shapes),
            optax.lamb(0.02, weight_decay=0.01),
        ),
        (
            gdlib.LARS(eta=5.0, trust_coefficient=0.02, shapes=shapes),
            optax.lars(5.0, trust_coefficient=0.02),
        ),
    ]:
        theta = np.concatenate([w.ravel() for w in theta0])
        params = [jnp.asarray(w) for w in theta0]
        state = tx.init(params)
        for _ in range(STEPS):
            opt.step(
                theta,
                lambda th: np.concatenate(
                    [g.ravel() for g in grads(gdlib.base.blocks(th, shapes))]
                ),
            )
            updates, state = tx.update(grads(params), state, params)
            params = optax.apply_updates(params, updates)
            np.testing.assert_allclose(
                theta,
                np.concatenate([np.ravel(p) for p in params]),
                rtol=1e-12,
                atol=1e-12,
            )


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("inner", ["sgd", "adam"])
def test_lookahead_matches_optax_lookahead(optax, jax, name, inner):
    jnp = jax.numpy
    surface, start = SURFACES[name], STARTS[name]
    if inner == "sgd":
        gd_inner, fast = (
            gdlib.Momentum(eta=5e-4, gamma=0.9),
            optax.sgd(5e-4, momentum=0.9),
        )
        # optax's trace stores v/η; gdlib's Momentum stores v (with η): same iterates
    else:
        gd_inner, fast = gdlib.Adam(eta=0.05), optax.adam(0.05, eps=1e-8)
    opt = gdlib.Lookahead(gd_inner, k=5, eta_slow=0.5)
    tx = optax.lookahead(fast, sync_period=5, slow_step_size=0.5)
    theta = np.array(start, dtype=np.float64)
    params = optax.LookaheadParams.init_synced(jnp.array(start, dtype=jnp.float64))
    state = tx.init(params)
    for t in range(1, STEPS + 1):
        opt.step(theta, surface.grad)
        g = jnp.asarray(surface.grad(np.asarray(params.fast)))
        updates, state = tx.update(g, state, params)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(
            theta, params.fast, rtol=1e-12, atol=1e-12, err_msg=f"{t}"
        )
        np.testing.assert_allclose(opt.slow, params.slow, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("betas", [(0.9, 0.99), (0.95, 0.98)])
def test_lion_matches_optax_lion(optax, jax, name, betas):
    jnp = jax.numpy
    opt = gdlib.Lion(eta=3e-3, beta1=betas[0], beta2=betas[1], weight_decay=0.1)
    tx = optax.lion(3e-3, b1=betas[0], b2=betas[1], weight_decay=0.1)
    run_pair(optax, jnp, opt, tx, SURFACES[name], STARTS[name])


@pytest.mark.parametrize("name", SURFACES)
def test_sophia_matches_optax_sophia_with_the_documented_settings(optax, jax, name):
    jnp = jax.numpy
    surface, start = SURFACES[name], STARTS[name]
    f = surface.f  # numpy; optax's Hessian function must be a jax function:
    hess = jax.hessian(lambda p: _jnp_surface(jnp, name)(p))

    class LaggedExactDiagonal:
        """hess_diag for gdlib: the exact diagonal at the point of the previous call."""

        def __init__(self):
            self.previous = None

        def __call__(self, theta):
            out = (
                np.zeros_like(theta)
                if self.previous is None
                else np.diag(surface.hessian(self.previous))
            )
            self.previous = theta.copy()
            return out

    def exact_diag_fn():
        def update(updates, state, params=None, **kw):
            return jnp.diag(hess(params)), state

        return optax.GradientTransformationExtraArgs(
            lambda p: optax.EmptyState(), update
        )

    opt = gdlib.Sophia(
        eta=0.01,
        beta1=0.0,
        beta2=0.9,
        hess_scale=0.5,
        eps=1e-8,
        weight_decay=0.01,
        k=1,
        hess_diag=LaggedExactDiagonal(),
    )
    tx = optax.contrib.sophia(
        0.01,
        b1=0.0,
        b2=0.9,
        gamma=0.5,
        eps=1e-8,
        weight_decay=0.01,
        update_interval=1,
        hessian_diagonal_fn=exact_diag_fn(),
    )
    assert np.isfinite(f(np.array(start)))
    run_pair(optax, jnp, opt, tx, surface, start)


def _jnp_surface(jnp, name):
    if name == "rosenbrock":
        return lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2
    # rotated ravine: curvature 1 along (1, 1)/√2 and 50 along (−1, 1)/√2
    return lambda p: ((p[0] + p[1]) ** 2 / 2 + 50 * (p[1] - p[0]) ** 2 / 2) / 2


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("warmup", [0, 10])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_schedule_free_sgd_matches_optax(optax, jax, name, warmup, weight_decay):
    jnp = jax.numpy
    opt = gdlib.ScheduleFreeSGD(
        eta=2e-3, beta1=0.9, weight_decay=weight_decay, warmup=warmup
    )
    if warmup:
        sched = _warmup(jnp, 2e-3, warmup)
        base = optax.chain(
            optax.add_decayed_weights(weight_decay), optax.sgd(lambda c: sched(c + 1))
        )
        tx = optax.contrib.schedule_free(base, sched, b1=0.9)
    else:
        tx = optax.contrib.schedule_free_sgd(
            2e-3, b1=0.9, weight_decay=weight_decay or None
        )
    _check_schedule_free(optax, jnp, opt, tx, SURFACES[name], STARTS[name])


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("warmup", [0, 10])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_schedule_free_adamw_matches_optax(optax, jax, name, warmup, weight_decay):
    jnp = jax.numpy
    opt = gdlib.ScheduleFreeAdamW(
        eta=0.05, beta1=0.9, beta2=0.99, weight_decay=weight_decay, warmup=warmup
    )
    if warmup:
        sched = _warmup(jnp, 0.05, warmup)
        base = optax.chain(
            optax.scale_by_rms(0.99, 1e-8, eps_in_sqrt=False, bias_correction=True),
            optax.add_decayed_weights(weight_decay),
            optax.scale_by_learning_rate(lambda c: sched(c + 1)),
        )
        tx = optax.contrib.schedule_free(base, sched, b1=0.9)
    else:
        tx = optax.contrib.schedule_free_adamw(
            0.05, b1=0.9, b2=0.99, weight_decay=weight_decay
        )
    _check_schedule_free(optax, jnp, opt, tx, SURFACES[name], STARTS[name])


def _warmup(jnp, eta, warmup):
    """optax.warmup_constant_schedule(0, eta, warmup), in float64 (optax's is float32)."""
    return lambda count: (
        eta * jnp.minimum(1.0, jnp.asarray(count, jnp.float64) / warmup)
    )


def _check_schedule_free(optax, jnp, opt, tx, surface, start):
    """gdlib's θ is x_t (optax's eval params); optax's params are y_t = gdlib's gradient point."""
    theta = np.array(start, dtype=np.float64)
    y = jnp.array(start, dtype=jnp.float64)
    state = tx.init(y)
    for t in range(1, STEPS + 1):
        opt.step(theta, surface.grad)
        g = jnp.asarray(surface.grad(np.asarray(y)))
        updates, state = tx.update(g, state, y)
        y = optax.apply_updates(y, updates)
        x = optax.contrib.schedule_free_eval_params(state, y)
        np.testing.assert_allclose(
            theta, x, rtol=1e-11, atol=1e-12, err_msg=f"x, step {t}"
        )
        np.testing.assert_allclose(opt.gradient_point(theta), y, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(opt.z, state.z, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("eps, tol", [(0.0, 1e-12), (1e-8, 1e-6)])
def test_prodigy_matches_optax_prodigy(optax, jax, name, eps, tol):
    jnp = jax.numpy
    surface, start = SURFACES[name], STARTS[name]
    opt = gdlib.Prodigy(eta=1.0, eps=eps, weight_decay=0.01, bias_correction=True)
    tx = optax.contrib.prodigy(1.0, eps=eps, weight_decay=0.01)

    def check(t, theta, params, state):
        np.testing.assert_allclose(
            theta, params, rtol=tol, atol=tol, err_msg=f"step {t}"
        )
        np.testing.assert_allclose(float(opt.d), float(state.estim_lr), rtol=tol)

    run_pair(optax, jnp, opt, tx, surface, start, check=check)
    assert float(opt.d) > 100 * opt.d0  # d_t grew from its under-estimate d0
