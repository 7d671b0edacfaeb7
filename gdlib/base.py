"""The one optimizer interface of the book, and the checks on its hyperparameters.

Every optimizer in gdlib is an :class:`Optimizer`:

* it is built with hyperparameters named as in the book (``eta``, ``gamma``,
  ``beta1``, ``beta2``, ``eps``, ...), each checked when it is set;
* ``step(theta, grad_fn)`` performs one update and returns the new parameters;
  ``grad_fn(theta)`` returns the gradient at any point (Nesterov needs a
  look-ahead point, not only the current one);
* a subclass writes its update rule once, in ``update(theta, g)``;
* its state carries the book's names (``v``, ``G``, ``m``, ``t``, ...) so that a
  reader can inspect it after any step;
* ``reset()`` clears the state, so the next step behaves like the first.

Like ``torch.optim``, ``step`` updates a floating-point ``theta`` array **in
place** (no copy of the parameters per step) and returns it. Pass
``theta.copy()`` if you want to keep the old value, or use
:func:`gdlib.run`, which records the whole trajectory for you.
"""
from __future__ import annotations

import copy
import math
import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

__all__ = ["Optimizer", "Hyper", "NonFiniteError", "divide", "check_real", "check_int"]


class NonFiniteError(ValueError):
    """NaN or inf where gdlib promises finite numbers.

    ``what`` says where: ``"gradient"`` (``grad_fn`` returned NaN/inf), ``"parameters"``
    (θ held NaN/inf when a step began) or ``"update"`` (finite inputs whose update
    would overflow float64). ``step`` is the index t the step would have had and
    ``count`` how many coordinates are affected. ``Optimizer.step`` raises it before
    it changes anything, so θ, ``t`` and the state are exactly as before the call.
    """

    def __init__(self, message, what, step, count):
        super().__init__(message)
        self.what, self.step, self.count = what, step, count


class Hyper:
    """A hyperparameter that checks its range whenever it is set.

    ``Hyper(low, high, low_open=..., high_open=...)`` accepts real numbers in
    the interval between ``low`` and ``high``; a value outside it raises a
    ``ValueError`` that names the parameter and the allowed range. Setting a
    hyperparameter after construction (a schedule changing ``eta``, say) is
    checked in the same way.
    """

    def __init__(self, low=-math.inf, high=math.inf, low_open=False, high_open=False):
        self.low, self.high = low, high
        self.low_open, self.high_open = low_open, high_open

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return obj.__dict__[self.name]

    def allowed(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"

    def __set__(self, obj, value):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{self.name} must be a real number in {self.allowed()}, got {value!r}")
        value = float(value)
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if math.isnan(value) or below or above:
            raise ValueError(f"{self.name} must be in {self.allowed()}, got {value!r}")
        obj.__dict__[self.name] = value


def check_real(name, value, low=None, low_open=False):
    """``value`` as a float, or a ValueError naming ``name``: finite, and ≥ ``low`` (> if ``low_open``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value!r}")
    return float(value)


def check_int(name, value, low):
    """``value`` as an int, or a ValueError naming ``name``: an integer ≥ ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def positive():
    """A learning rate or another strictly positive quantity: (0, inf)."""
    return Hyper(0.0, math.inf, low_open=True, high_open=True)


def decay():
    """A decay or momentum rate: [0, 1)."""
    return Hyper(0.0, 1.0, high_open=True)


def nonnegative():
    """A smoothing term such as eps, or a weight-decay factor: [0, inf)."""
    return Hyper(0.0, math.inf, high_open=True)


def unit():
    """A mixing weight such as QHM's nu: [0, 1]."""
    return Hyper(0.0, 1.0)


def divide(num, den):
    """``num / den`` element-wise, with 0 wherever ``den`` is 0.

    The denominators of the adaptive methods (√(G_t + ε), √v̂_t + ε, u_t) vanish
    only for ε = 0 and a coordinate that has seen nothing but zero gradients, whose
    numerator is then 0 too: that coordinate should not move, and plain division
    would turn it into 0/0 = NaN.
    """
    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape, np.result_type(num, den)),
                     where=den != 0)


@lru_cache(maxsize=None)
def _pool(n_threads):
    """A shared pool of worker threads for large element-wise updates."""
    return ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="gdlib")


class Optimizer:
    """Base class: the shared ``step``/``reset`` machinery.

    A subclass lists its state arrays in ``state_names`` (created as zeros shaped
    like ``theta`` on the first step) and writes its update rule in
    ``update(theta, g)``, changing ``theta`` and its state in place. ``g`` is the
    gradient at ``gradient_point(theta)``, which is θ itself except for
    look-ahead methods such as Nesterov's. ``self.t`` counts the steps taken, so
    inside ``update`` it already holds the current step's index t = 1, 2, ...

    The update rules of the book are element-wise, so ``step`` applies them to
    blocks of ``chunk`` coordinates at a time, and for large θ spreads the blocks
    over ``threads`` threads (numpy releases the GIL). The temporaries numpy
    creates then stay in each core's cache, which makes a step on millions of
    parameters several times faster without changing a single bit of the result.
    A subclass whose update couples coordinates (a norm, a sum over θ) sets
    ``elementwise = False`` and is always run in one piece.
    """

    state_names: tuple[str, ...] = ()
    elementwise: bool = True
    chunk: int = 1 << 16
    threads: int = min(4, os.cpu_count() or 1)

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget all state: the next ``step`` behaves like the first one."""
        self.t = 0
        for name in self.state_names:
            setattr(self, name, None)

    def init_state(self, theta):
        """Create the state arrays on the first step (zeros shaped like theta)."""
        for name in self.state_names:
            setattr(self, name, np.zeros_like(theta))

    def gradient_point(self, theta):
        """Where the gradient of this step is taken: θ itself, unless overridden."""
        return theta

    def step(self, theta, grad_fn):
        """Apply one update to ``theta`` (in place) and return it."""
        theta = self._as_params(theta)
        if self.t == 0:
            if not np.all(np.isfinite(theta)):
                raise ValueError("theta0 must be finite: the initial parameters contain NaN or inf")
            self.init_state(theta)
        g = np.asarray(grad_fn(self.gradient_point(theta)))
        if g.shape != theta.shape:
            raise ValueError(f"grad_fn returned a gradient of shape {g.shape}, "
                             f"but theta has shape {theta.shape}: they must match")
        self.t += 1
        if not self.elementwise or theta.size <= self.chunk or not theta.flags.c_contiguous:
            self.update(theta, g)
        else:
            self._update_in_chunks(theta, g)
        return theta

    def update(self, theta, g):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- helpers -----------------------------------------------------------
    def _update_in_chunks(self, theta, g):
        """Run ``update`` on consecutive blocks of coordinates (same result, cache-friendly).

        Each worker gets a shallow copy of the optimizer whose state attributes are
        views of its blocks, so the update code runs unchanged and ``self`` is untouched.
        """
        flat = {name: (a := getattr(self, name)).reshape(a.shape[: a.ndim - theta.ndim] + (-1,))
                for name in self.state_names}
        theta_flat, g_flat = theta.reshape(-1), np.ascontiguousarray(g).reshape(-1)
        blocks = [slice(lo, lo + self.chunk) for lo in range(0, theta.size, self.chunk)]

        def work(my_blocks):
            worker = copy.copy(self)
            for block in my_blocks:
                for name, a in flat.items():
                    setattr(worker, name, a[..., block])
                worker.update(theta_flat[block], g_flat[block])

        n_threads = min(self.threads, len(blocks) // 8)       # threads pay off from ~8 blocks each
        if n_threads <= 1:
            work(blocks)
        else:
            groups = np.array_split(np.arange(len(blocks)), n_threads)
            list(_pool(n_threads).map(work, [[blocks[i] for i in grp] for grp in groups]))

    @staticmethod
    def _as_params(theta):
        if isinstance(theta, np.ndarray) and theta.dtype in (np.float64, np.float32):
            return theta
        return np.array(theta, dtype=np.float64)

    def hyperparameters(self) -> dict:
        """The hyperparameters as a dict, e.g. ``{'eta': 0.01, 'gamma': 0.9}``."""
        return {k: v for k, v in vars(self).items() if isinstance(getattr(type(self), k, None), Hyper)}

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"
