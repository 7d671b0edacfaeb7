"""Adam, AdaMax and Nadam: exact first steps, hyperparameter checks, reset, long runs, properties.

Expected values come from SymPy in exact rational arithmetic (square roots kept symbolic and
evaluated to 30 digits) and from independent numpy transcriptions of the update rules written
here, never from gdlib's own output.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import gdlib

R = sp.Rational
X, Y = gdlib.surfaces.x, gdlib.surfaces.y
QUAD = gdlib.quadratic(1, 10)
GRAD_EXPR = [sp.diff(QUAD.expr, s) for s in (X, Y)]


# --------------------------------------------------------------------------- exact references
def exact_steps(rule, theta0, steps, beta1, beta2, eta, eps=None):
    """Iterates of an Adam-family rule in exact SymPy arithmetic on (x² + 10 y²)/2."""
    th, m, s2, out = list(theta0), [0, 0], [0, 0], []
    for t in range(1, steps + 1):
        g = [ge.subs({X: th[0], Y: th[1]}) for ge in GRAD_EXPR]
        m = [beta1 * mi + (1 - beta1) * gi for mi, gi in zip(m, g)]
        bc1 = 1 - beta1**t
        if rule == "adamax":
            s2 = [sp.Max(beta2 * ui, sp.Abs(gi)) for ui, gi in zip(s2, g)]
            th = [ti - eta * (mi / bc1) / ui for ti, mi, ui in zip(th, m, s2)]
        else:
            s2 = [beta2 * vi + (1 - beta2) * gi**2 for vi, gi in zip(s2, g)]
            den = [sp.sqrt(vi / (1 - beta2**t)) + eps for vi in s2]
            if rule == "adam":
                num = [mi / bc1 for mi in m]
            else:  # nadam
                num = [
                    beta1 * mi / bc1 + (1 - beta1) * gi / bc1 for mi, gi in zip(m, g)
                ]
            th = [ti - eta * ni / di for ti, ni, di in zip(th, num, den)]
        out.append([float(sp.N(z, 30)) for z in th])
    return np.array(out)


HYPER = {
    "adam": (
        gdlib.Adam,
        dict(eta=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(eta=R(1, 10), beta1=R(9, 10), beta2=R(999, 1000), eps=R(1, 10**8)),
    ),
    "adamax": (
        gdlib.AdaMax,
        dict(eta=0.1, beta1=0.9, beta2=0.999),
        dict(eta=R(1, 10), beta1=R(9, 10), beta2=R(999, 1000)),
    ),
    "nadam": (
        gdlib.Nadam,
        dict(eta=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
        dict(eta=R(1, 10), beta1=R(9, 10), beta2=R(999, 1000), eps=R(1, 10**8)),
    ),
}


@pytest.mark.parametrize("rule", ["adam", "adamax", "nadam"])
@pytest.mark.parametrize("theta0", [(R(3), R(-2)), (R(-1, 2), R(7, 4))])
def test_first_three_steps_match_sympy(rule, theta0):
    cls, float_kw, exact_kw = HYPER[rule]
    expected = exact_steps(rule, theta0, 3, **exact_kw)
    opt = cls(**float_kw)
    theta = np.array([float(z) for z in theta0])
    for k in range(3):
        theta = opt.step(theta, QUAD.grad)
        assert np.max(np.abs(theta - expected[k])) < 1e-12


def test_first_steps_known_closed_forms():
    # With eps = 0 the first step is η·sign(g) for Adam and AdaMax, (1 + β1) η·sign(g) for Nadam.
    g0 = QUAD.grad(np.array([3.0, -2.0]))
    for cls, factor in [(gdlib.Adam, 1.0), (gdlib.AdaMax, 1.0), (gdlib.Nadam, 1.9)]:
        kw = {} if cls is gdlib.AdaMax else {"eps": 0.0}
        step = np.array([3.0, -2.0]) - cls(eta=0.01, **kw).step(
            np.array([3.0, -2.0]), QUAD.grad
        )
        np.testing.assert_allclose(step, factor * 0.01 * np.sign(g0), rtol=1e-12)


# --------------------------------------------------------------------------- hyperparameters
BAD = [
    (gdlib.Adam, "eta", 0.0),
    (gdlib.Adam, "eta", -1e-3),
    (gdlib.Adam, "beta1", 1.0),
    (gdlib.Adam, "beta1", -0.1),
    (gdlib.Adam, "beta2", 1.0),
    (gdlib.Adam, "eps", -1e-8),
    (gdlib.Adam, "eta", float("nan")),
    (gdlib.AdaMax, "eta", 0.0),
    (gdlib.AdaMax, "beta1", 1.0),
    (gdlib.AdaMax, "beta2", 0.0),
    (gdlib.AdaMax, "beta2", 1.0),
    (gdlib.AdaMax, "beta2", 1.5),
    (gdlib.Nadam, "eta", -0.002),
    (gdlib.Nadam, "beta1", 1.2),
    (gdlib.Nadam, "beta2", -0.5),
    (gdlib.Nadam, "eps", -1.0),
]


@pytest.mark.parametrize("cls, name, value", BAD)
def test_bad_hyperparameters_raise_valueerror_naming_them(cls, name, value):
    with pytest.raises(ValueError, match=name):
        cls(**{name: value})
    opt = cls()
    with pytest.raises(ValueError, match=name):  # also when set after construction
        setattr(opt, name, value)


@pytest.mark.parametrize("cls", [gdlib.Adam, gdlib.AdaMax, gdlib.Nadam])
def test_non_numeric_hyperparameter_raises(cls):
    with pytest.raises(ValueError, match="eta"):
        cls(eta="0.1")


# --------------------------------------------------------------------------- reset
@pytest.mark.parametrize(
    "cls, state",
    [(gdlib.Adam, ("m", "v")), (gdlib.AdaMax, ("m", "u")), (gdlib.Nadam, ("m", "v"))],
)
def test_reset_restores_the_initial_behaviour(cls, state):
    opt = cls(eta=0.05)
    first = opt.step(np.array([1.0, 1.5]), gdlib.beale.grad).copy()
    for _ in range(20):
        opt.step(np.array([0.3, -0.7]), gdlib.beale.grad)
    opt.reset()
    assert opt.t == 0 and all(getattr(opt, s) is None for s in state)
    again = opt.step(np.array([1.0, 1.5]), gdlib.beale.grad)
    np.testing.assert_array_equal(again, first)
    assert opt.t == 1


# --------------------------------------------------------------------------- long runs vs numpy
def numpy_reference(rule, grad, theta0, steps, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    theta = np.array(theta0, dtype=float)
    m, s2 = np.zeros_like(theta), np.zeros_like(theta)
    out = [theta.copy()]
    for t in range(1, steps + 1):
        g = grad(theta)
        m = beta1 * m + (1 - beta1) * g
        if rule == "adamax":
            s2 = np.maximum(beta2 * s2, np.abs(g))
            step = (m / (1 - beta1**t)) / s2
        else:
            s2 = beta2 * s2 + (1 - beta2) * g**2
            den = np.sqrt(s2 / (1 - beta2**t)) + eps
            if rule == "adam":
                step = (m / (1 - beta1**t)) / den
            else:
                step = (
                    beta1 * m / (1 - beta1**t) + (1 - beta1) * g / (1 - beta1**t)
                ) / den
        theta = theta - eta * step
        out.append(theta.copy())
    return np.array(out)


@pytest.mark.parametrize(
    "rule, cls",
    [("adam", gdlib.Adam), ("adamax", gdlib.AdaMax), ("nadam", gdlib.Nadam)],
)
@pytest.mark.parametrize(
    "surface, theta0, eta",
    [
        (gdlib.rosenbrock, [-1.2, 1.0], 0.01),
        (gdlib.beale, [1.0, 1.5], 0.05),
        (gdlib.ravine, [-8.0, 2.0], 0.3),
    ],
)
def test_hundred_steps_match_numpy_transcription(rule, cls, surface, theta0, eta):
    expected = numpy_reference(rule, surface.grad, theta0, 100, eta)
    got = gdlib.run(cls(eta=eta), surface, theta0, 100).thetas
    assert np.max(np.abs(got - expected)) < 1e-12


# --------------------------------------------------------------------------- properties
gradients = st.lists(
    st.lists(
        st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
        min_size=3,
        max_size=3,
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(gs=gradients, beta2=st.floats(0.01, 0.9999))
def test_adamax_u_dominates_current_gradient(gs, beta2):
    opt = gdlib.AdaMax(eta=1e-3, beta2=beta2)
    theta = np.zeros(3)
    for g in gs:
        g = np.array(g)
        theta = opt.step(theta, lambda th, g=g: g)
        assert np.all(opt.u >= np.abs(g))
        assert np.all(np.isfinite(theta))


@settings(max_examples=40, deadline=None)
@given(
    c=st.floats(1e-4, 1e4),
    eta=st.floats(1e-3, 0.1),
    start=st.tuples(st.floats(0.1, 2.0), st.floats(0.1, 2.0)),
    signs=st.tuples(st.sampled_from([-1.0, 1.0]), st.sampled_from([-1.0, 1.0])),
)
def test_adam_invariant_to_gradient_rescaling_when_eps_is_zero(c, eta, start, signs):
    # Starts with |θ_i| >= 0.1 keep the gradients far from the subnormal range, where g² can
    # underflow to 0 in one run and not in the rescaled one (a floating-point, not an algebraic, limit).
    start = (signs[0] * start[0], signs[1] * start[1])
    base = gdlib.run(gdlib.Adam(eta=eta, eps=0.0), gdlib.rosenbrock, list(start), 30)
    scaled = gdlib.run(
        gdlib.Adam(eta=eta, eps=0.0),
        gdlib.rosenbrock,
        list(start),
        30,
        grad=lambda th: c * gdlib.rosenbrock.grad(th),
    )
    np.testing.assert_allclose(scaled.thetas, base.thetas, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    gs=gradients,
    zero_mask=st.lists(st.booleans(), min_size=3, max_size=3),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.01, 0.9999),
)
def test_adamax_never_nan_with_zero_gradient_coordinates(gs, zero_mask, beta1, beta2):
    mask = np.array(zero_mask)
    opt = gdlib.AdaMax(eta=1e-2, beta1=beta1, beta2=beta2)
    theta0 = np.array([0.5, -0.25, 2.0])
    theta = theta0.copy()
    with np.errstate(
        divide="raise", invalid="raise"
    ):  # no 0/0 may even be attempted silently
        for g in gs:
            g = np.where(mask, 0.0, np.array(g))
            theta = opt.step(theta, lambda th, g=g: g)
            assert np.all(np.isfinite(theta))
    # coordinates whose gradient was always exactly zero never move
    np.testing.assert_array_equal(theta[mask], theta0[mask])


def test_adamax_zero_gradient_columns_on_digits():
    data = gdlib.load_digits()
    model = gdlib.SoftmaxRegression(10)
    blank = np.flatnonzero(np.all(data.X_train == 0, axis=0))
    assert blank.size > 0
    res = gdlib.train(
        gdlib.AdaMax(eta=0.01),
        model,
        data.X_train,
        data.y_train,
        batch_size=128,
        epochs=1,
        seed=0,
        progress=False,
    )
    assert np.all(np.isfinite(res.theta))
    assert np.all(res.theta[blank] == 0.0)
