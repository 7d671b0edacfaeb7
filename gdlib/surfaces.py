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

__all__ = ["Surface", "quadratic", "ravine", "rosenbrock", "beale", "saddle", "SURFACES"]

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
        if self.minimum is not None:
            self.minimum = np.asarray(self.minimum, dtype=float)

    def f(self, theta):
        """The value at θ (a float). Also accepts arrays shaped (2, ...) for grids."""
        theta = np.asarray(theta, dtype=float)
        value = self._f(*theta)
        return float(value) if np.ndim(value) == 0 else value

    __call__ = f

    def grad(self, theta):
        """The exact gradient at θ, an array shaped like θ."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (2,):
            raise ValueError(f"theta must have shape (2,) for the surface {self.name!r}, got {theta.shape}")
        return np.array(self._g(*theta), dtype=float)

    def hessian(self, theta):
        """The exact Hessian at θ, a 2 × 2 array."""
        subs = dict(zip(self.symbols, np.asarray(theta, dtype=float)))
        return np.array(self.hessian_expr.subs(subs), dtype=float)

    @property
    def f_min(self):
        """The minimum value, or None where there is no minimum."""
        return None if self.minimum is None else self.f(self.minimum)

    def grid(self, n=200, xlim=None, ylim=None):
        """Coordinates and values on an n × n grid: ``X, Y, Z`` for contour plots."""
        xs = np.linspace(*(xlim or self.xlim), n)
        ys = np.linspace(*(ylim or self.ylim), n)
        X, Y = np.meshgrid(xs, ys)
        return X, Y, np.broadcast_to(self._f(X, Y), X.shape)


def quadratic(a=1.0, b=10.0, name=None):
    """f(x, y) = (a x² + b y²)/2: a convex quadratic with condition number max(a,b)/min(a,b)."""
    a, b = sp.nsimplify(a), sp.nsimplify(b)
    lim = 10.0
    return Surface(
        name or f"quadratic(a={a}, b={b})",
        (a * x**2 + b * y**2) / 2,
        minimum=[0.0, 0.0],
        xlim=(-lim, lim),
        ylim=(-lim / 2, lim / 2),
        L=float(max(a, b)),
    )


#: An ill-conditioned quadratic: a long, narrow valley along x (condition number 50).
ravine = quadratic(1, 50, name="ravine")
ravine.xlim, ravine.ylim = (-10.0, 10.0), (-3.0, 3.0)

#: Rosenbrock's banana-shaped valley, minimum at (1, 1).
rosenbrock = Surface(
    "rosenbrock", (1 - x) ** 2 + 100 * (y - x**2) ** 2, minimum=[1.0, 1.0], xlim=(-2.0, 2.0), ylim=(-1.0, 3.0)
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
saddle = Surface("saddle", x**2 - y**2, minimum=None, xlim=(-2.0, 2.0), ylim=(-2.0, 2.0))

SURFACES = {s.name: s for s in (ravine, rosenbrock, beale, saddle)}
