"""Test surfaces with exact gradients, each defined once as a SymPy expression.

A :class:`Surface` keeps the symbolic expression (for derivations) and compiles
it with :func:`sympy.lambdify` into fast numpy functions for the value and the
exact gradient (for experiments), so the two can never disagree.

>>> from gdlib import beale
>>> beale.f([3.0, 0.5]), float(abs(beale.grad([3.0, 0.5])).max())
(0.0, 0.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .base import check_int, check_real

__all__ = [
    "Surface",
    "quadratic",
    "ravine",
    "rotated_ravine",
    "rosenbrock",
    "beale",
    "saddle",
    "SURFACES",
]

x, y = sp.symbols("x y", real=True)


@dataclass
class Surface:
    """A function of θ = (x, y) with its symbolic form and exact numpy gradient.

    Attributes
    ----------
    name : str
    expr : sympy.Expr
        The function in the symbols ``x`` and ``y``.
    minimum : ndarray or None
        The global minimizer, if there is one.
    xlim, ylim : (float, float)
        A plotting window that shows the interesting region.
    L : float or None
        The Lipschitz constant of the gradient, where it is global (quadratics).
    """

    name: str
    expr: sp.Expr
    minimum: np.ndarray | None
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    L: float | None = None
    symbols: tuple = (x, y)
    _f: object = field(init=False, repr=False)
    _g: object = field(init=False, repr=False)

    def __post_init__(self):
        self.gradient_expr = [sp.diff(self.expr, s) for s in self.symbols]
        self.hessian_expr = sp.hessian(self.expr, self.symbols)
        self._f = sp.lambdify(self.symbols, self.expr, "numpy")
        self._g = sp.lambdify(self.symbols, self.gradient_expr, "numpy")
        self._h = sp.lambdify(self.symbols, self.hessian_expr.tolist(), "numpy")
        if self.minimum is not None:
            self.minimum = np.asarray(self.minimum, dtype=float)

    @property
    def dim(self) -> int:
        """The number of coordinates of θ (2 for the book's surfaces)."""
        return len(self.symbols)

    def _theta(self, theta, grid=False):
        """θ as a float array of shape (dim,), or (dim, ...) if ``grid``; else a ValueError naming theta.

        NaN and inf coordinates are allowed: f, grad and hessian then return what
        IEEE arithmetic gives (NaN or inf), so a diverged run can be recognised by
        its loss (see :func:`gdlib.run`).
        """
        try:
            arr = np.asarray(theta, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                f"theta must be an array of {self.dim} real numbers for the surface "
                f"{self.name!r}, got {theta!r}"
            ) from None
        if arr.shape == (self.dim,) or (
            grid and arr.ndim >= 2 and arr.shape[0] == self.dim
        ):
            return arr
        wanted = (
            f"({self.dim},) or ({self.dim}, ...) for a grid"
            if grid
            else f"({self.dim},)"
        )
        raise ValueError(
            f"theta must have shape {wanted} for the surface {self.name!r}, got shape {arr.shape}"
        )

    def f(self, theta):
        """The value at θ (a float). Also accepts arrays shaped (2, ...) for grids.

        θ must have the surface's dimension (a ``ValueError`` otherwise); a NaN or
        inf coordinate gives a NaN or inf value, as the formula does.
        """
        theta = self._theta(theta, grid=True)
        with np.errstate(over="ignore", invalid="ignore"):
            value = np.asarray(self._f(*theta), dtype=float)
        if theta.ndim == 1:
            return float(value)
        return np.broadcast_to(value, theta.shape[1:]).copy()

    __call__ = f

    def grad(self, theta):
        """The exact gradient at θ, an array shaped like θ: (2,) (a ``ValueError`` otherwise)."""
        theta = self._theta(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.array(self._g(*theta), dtype=float)

    def hessian(self, theta):
        """The exact Hessian at θ, a 2 × 2 array; θ must have shape (2,) (a ``ValueError`` otherwise)."""
        theta = self._theta(theta)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.array(self._h(*theta), dtype=float).reshape(self.dim, self.dim)

    @property
    def f_min(self):
        """The minimum value, or None where there is no minimum."""
        return None if self.minimum is None else self.f(self.minimum)

    def grid(self, n=200, xlim=None, ylim=None):
        """Coordinates and values on an n × n grid: ``X, Y, Z`` for contour plots.

        ``n`` is an integer ≥ 2; ``xlim`` and ``ylim`` are ``(low, high)`` pairs of finite
        numbers with low < high, defaulting to the surface's plotting window.
        """
        if self.dim != 2:
            raise ValueError(
                f"grid needs a surface of two variables; {self.name!r} has {self.dim}"
            )
        n = check_int("n", n, 2)
        xs = np.linspace(*_window("xlim", self.xlim if xlim is None else xlim), n)
        ys = np.linspace(*_window("ylim", self.ylim if ylim is None else ylim), n)
        X, Y = np.meshgrid(xs, ys)
        return X, Y, self.f(np.stack([X, Y]))


def _window(name, lim):
    """``lim`` as a pair (low, high) of finite floats with low < high, else a ValueError naming it."""
    try:
        low, high = lim
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a pair (low, high) of finite numbers, got {lim!r}"
        ) from None
    try:
        low, high = check_real(name, low), check_real(name, high)
    except ValueError:
        raise ValueError(
            f"{name} must be a pair (low, high) of finite numbers, got {lim!r}"
        ) from None
    if not low < high:
        raise ValueError(
            f"{name} must be a pair (low, high) with low < high, got {lim!r}"
        )
    return low, high


def _exact(name, value):
    """A positive finite number as an exact SymPy number: a simple fraction where it is one."""
    value = check_real(name, value, 0.0, low_open=True)
    simple = sp.nsimplify(value)
    return simple if simple != 0 and float(simple) == value else sp.Rational(value)


def quadratic(a=1.0, b=10.0, name=None, angle=0):
    """f(θ) = θᵀ R diag(a, b) Rᵀ θ / 2: a convex quadratic with condition number max(a,b)/min(a,b).

    With ``angle = 0`` this is (a x² + b y²)/2, whose curvature axes are the coordinate
    axes. A nonzero ``angle`` (radians) rotates the axes by R, the rotation by ``angle``:
    the same valley, no longer aligned with the coordinates, which is the case in which
    per-coordinate methods (Adagrad, RMSprop, Adam) lose their advantage.

    ``a`` and ``b`` must be finite and > 0; ``angle`` a finite number (an exact SymPy
    number such as ``sp.pi/4`` stays exact); ``name`` a string (default
    ``"quadratic(a=.., b=..)"``).
    """
    a, b = _exact("a", a), _exact("b", b)
    if name is not None and not isinstance(name, str):
        raise ValueError(f"name must be a string or None, got {name!r}")
    if isinstance(angle, sp.Expr):
        if not (angle.is_real and angle.is_finite):
            raise ValueError(
                f"angle must be a finite real number (radians), got {angle!r}"
            )
        phi = angle
    else:
        phi = sp.nsimplify(check_real("angle", angle)) if angle != 0 else sp.Integer(0)
    c, s = sp.cos(phi), sp.sin(phi)
    u, w = c * x + s * y, -s * x + c * y  # coordinates along the rotated axes
    lim = 10.0
    label = f"quadratic(a={a}, b={b}" + (f", angle={phi})" if phi != 0 else ")")
    return Surface(
        name or label,
        sp.expand((a * u**2 + b * w**2) / 2),
        minimum=[0.0, 0.0],
        xlim=(-lim, lim),
        ylim=(-lim / 2, lim / 2),
        L=float(max(a, b)),
    )


#: An ill-conditioned quadratic: a long, narrow valley along x (condition number 50).
ravine = quadratic(1, 50, name="ravine")
ravine.xlim, ravine.ylim = (-10.0, 10.0), (-3.0, 3.0)

#: The ravine turned by 45°: the same curvatures (1 and 50) along the diagonals, so no
#: coordinate axis is a direction of pure curvature.
rotated_ravine = quadratic(1, 50, name="rotated ravine", angle=sp.pi / 4)
rotated_ravine.xlim, rotated_ravine.ylim = (-8.0, 8.0), (-8.0, 8.0)

#: Rosenbrock's banana-shaped valley, minimum at (1, 1).
rosenbrock = Surface(
    "rosenbrock",
    (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    minimum=[1.0, 1.0],
    xlim=(-2.0, 2.0),
    ylim=(-1.0, 3.0),
)

#: Beale's function, minimum at (3, 0.5).
beale = Surface(
    "beale",
    (sp.Rational(3, 2) - x + x * y) ** 2
    + (sp.Rational(9, 4) - x + x * y**2) ** 2
    + (sp.Rational(21, 8) - x + x * y**3) ** 2,
    minimum=[3.0, 0.5],
    xlim=(-4.5, 4.5),
    ylim=(-4.5, 4.5),
)

#: The saddle x² − y²: a stationary point at the origin, and no minimum.
saddle = Surface(
    "saddle", x**2 - y**2, minimum=None, xlim=(-2.0, 2.0), ylim=(-2.0, 2.0)
)

SURFACES = {s.name: s for s in (ravine, rosenbrock, beale, saddle)}
