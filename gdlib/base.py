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

import numpy as np

__all__ = [
    "Optimizer",
    "Hyper",
    "NonFiniteError",
    "divide",
    "check_real",
    "check_int",
    "check_shapes",
    "blocks",
]


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
        if isinstance(value, bool) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            raise ValueError(
                f"{self.name} must be a real number in {self.allowed()}, got {value!r}"
            )
        value = float(value)
        below = value <= self.low if self.low_open else value < self.low
        above = value >= self.high if self.high_open else value > self.high
        if math.isnan(value) or below or above:
            raise ValueError(f"{self.name} must be in {self.allowed()}, got {value!r}")
        obj.__dict__[self.name] = value


def check_real(name, value, low=None, low_open=False):
    """``value`` as a float, or a ValueError naming ``name``: finite, and ≥ ``low`` (> if ``low_open``)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, np.integer, np.floating))
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(
            f"{name} must be {'>' if low_open else '>='} {low:g}, got {value!r}"
        )
    return float(value)


def check_int(name, value, low):
    """``value`` as an int, or a ValueError naming ``name``: an integer ≥ ``low``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < low
    ):
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
    return np.divide(
        num,
        den,
        out=np.zeros(np.broadcast(num, den).shape, np.result_type(num, den)),
        where=den != 0,
    )


#: The worker-thread pools of large element-wise updates, one per thread count.
_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(n_threads):
    """A shared pool of ``n_threads`` worker threads for large element-wise updates."""
    pool = _POOLS.get(n_threads)
    if pool is None:
        pool = _POOLS[n_threads] = ThreadPoolExecutor(
            n_threads, thread_name_prefix="gdlib"
        )
    return pool


def _forget_pools():
    """In a forked child the parent's pool threads do not exist: start afresh.

    The executors themselves are dropped, not shut down (shutting down would wait
    for threads that are not there, and hang).
    """
    _POOLS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)

#: Supported dtypes of θ: ``step`` updates θ in place, in its own precision.
PARAM_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

#: A step on θ of at most this many coordinates copies θ and the state first, so that an
#: update that overflows can be undone exactly (the copy costs little next to the step).
#: Larger θ is copied only when θ or the gradient is very large (see :func:`_large`).
BACKUP_LIMIT = 1 << 16


def _max_abs(x):
    """max |x| (0 for an empty x); NaN or inf if x holds a NaN or an inf.

    numpy's max and min reductions are vectorized and run in the calling thread, so the
    worker threads can share them out without waking BLAS's threads.
    """
    if x.size == 0:
        return 0.0
    hi, lo = float(np.max(x)), float(np.min(x))  # a NaN anywhere makes both NaN
    return max(hi, -lo) if hi == hi else math.nan


def _n_nonfinite(x):
    """How many coordinates of x are NaN or ±inf."""
    return int(x.size - np.count_nonzero(np.isfinite(x)))


def _all_finite(x):
    return bool(np.isfinite(x).all())


def _large(dtype):
    """|x| above which a step copies θ and its state first: max^(1/4), 1.16e77 in float64."""
    return float(np.finfo(dtype).max) ** 0.25


def _sqrt_max(*dtypes):
    """The largest |g| whose square is finite in every one of these float dtypes."""
    return min(math.sqrt(np.finfo(d).max) for d in dtypes)


class Optimizer:
    """Base class: the shared ``step``/``reset`` machinery.

    A subclass lists its state arrays in ``state_names`` (created as zeros shaped
    like ``theta`` on the first step) and writes its update rule in
    ``update(theta, g)``, changing ``theta`` and its state in place. ``g`` is the
    gradient at ``gradient_point(theta)``, which is θ itself except for
    look-ahead methods such as Nesterov's. ``self.t`` counts the steps taken, so
    inside ``update`` it already holds the current step's index t = 1, 2, ...

    **A step is all or nothing.** ``step`` checks everything before it changes
    anything: θ must be a writeable float64 or float32 array (a list is converted
    to a new float64 array), of the shape the state was built for (call ``reset()``
    to change it), and finite; the gradient must be real, of θ's shape and finite;
    for a method that squares the gradient (``squares_gradient``), no g_i² may
    overflow. A violation raises a ``ValueError`` (:class:`NonFiniteError` for NaN
    and inf, naming gradient or parameters, the step and the number of coordinates)
    and ``t``, the state and θ stay exactly as they were. After the update, θ and the
    state are checked again: if finite inputs overflowed to inf or NaN, the step
    raises :class:`NonFiniteError` (``what="update"``) and restores θ and the state
    from a copy taken before the update. That copy is taken when θ has at most
    ``BACKUP_LIMIT`` coordinates or when θ or g is very large (norm above 1e77 in
    float64); a larger, moderate θ can only overflow with hyperparameters beyond about
    1e200, and if it does, the step raises all the same but cannot undo the update:
    the optimizer then refuses to step until ``reset()``.

    The update rules of the book are element-wise, so ``step`` applies them to
    blocks of ``chunk`` coordinates at a time, and for large θ spreads the blocks
    over ``threads`` threads (numpy releases the GIL). The temporaries numpy
    creates then stay in each core's cache, which makes a step on millions of
    parameters several times faster without changing a single bit of the result.
    A subclass whose update couples coordinates (a norm, a sum over θ) sets
    ``elementwise = False`` and is always run in one piece. The thread pool is
    rebuilt in a process forked from one that used it.
    """

    state_names: tuple[str, ...] = ()
    elementwise: bool = True
    squares_gradient: bool = False
    #: The state arrays that can overflow while θ stays finite, checked after every update
    #: (θ always is). None means all of ``state_names``, the safe default for a new method. A
    #: built-in method lists only its running *sums*: a running *average* such as Adam's
    #: m_t and v_t is a convex combination of finite numbers and cannot overflow, and a
    #: velocity that overflows takes θ with it.
    unbounded_state: tuple[str, ...] | None = None
    _broken: str | None = None  # why the optimizer must be reset() before its next step
    _shape: tuple | None = None  # the shape of θ the state was built for
    _verify: bool = True  # False skips every finiteness check: for benchmarks only
    chunk: int = 1 << 16
    threads: int = min(4, os.cpu_count() or 1)

    def __init__(self):
        self.reset()

    def reset(self):
        """Forget all state: the next ``step`` behaves like the first one."""
        self.t = 0
        self._broken, self._shape = None, None
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
        """Apply one update to ``theta`` (in place) and return it; all or nothing."""
        if self._broken:
            raise RuntimeError(
                f"{self!r} cannot step: {self._broken}; call reset() first"
            )
        theta = self._as_params(theta)
        t = self.t + 1
        if self.t > 0 and theta.shape != self._shape:
            raise ValueError(
                f"theta has shape {theta.shape}, but the state of {type(self).__name__} "
                f"was built for shape {self._shape}: call reset() before stepping "
                "parameters of another shape"
            )
        with np.errstate(
            over="ignore", invalid="ignore"
        ):  # overflow is reported, not warned
            return self._step(theta, grad_fn, t)

    def _step(self, theta, grad_fn, t):
        check_int("chunk", self.chunk, 1)
        check_int("threads", self.threads, 1)
        verify = self._verify
        big_theta = self._check_finite(theta, "parameters", t) if verify else 0.0
        t0, refs = self.t, {name: getattr(self, name) for name in self.state_names}
        backup, applying = None, False
        try:
            if t0 == 0:
                self.init_state(theta)
            g = self._as_gradient(grad_fn(self.gradient_point(theta)), theta, t)
            big_g = self._check_finite(g, "gradient", t) if verify else 0.0
            if verify and (
                theta.size <= BACKUP_LIMIT
                or max(big_theta, big_g) > _large(theta.dtype)
            ):
                backup = (
                    theta.copy(),
                    {n: np.copy(getattr(self, n)) for n in self.state_names},
                )
            self.t, applying = t, True
            if not self._apply(theta, g, verify):
                raise self._overflow(theta, t, undone=backup is not None)
        except BaseException:
            self.t = t0
            if backup is not None:
                np.copyto(theta, backup[0])
                for name, saved in backup[1].items():
                    if refs[name] is not None:
                        np.copyto(refs[name], saved)
            elif applying and not self._broken:
                self._broken = f"step {t} failed half-way through the update of {theta.size} coordinates"
            for name, value in refs.items():
                setattr(self, name, value)
            raise
        self._shape = theta.shape
        return theta

    def update(self, theta, g):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- helpers -----------------------------------------------------------
    def _apply(self, theta, g, verify=True):
        """Run ``update`` in one piece or in blocks; True if θ and the state came out finite
        (checked only if ``verify``)."""
        if (
            not self.elementwise
            or theta.size <= self.chunk
            or not theta.flags.c_contiguous
        ):
            self.update(theta, g)
            return not verify or all(
                _all_finite(a)
                for a in [theta] + [getattr(self, n) for n in self._checked()]
            )
        return self._update_in_chunks(theta, g, verify)

    def _update_in_chunks(self, theta, g, verify=True):
        """Run ``update`` on consecutive blocks of coordinates (same result, cache-friendly).

        Each worker gets a shallow copy of the optimizer whose state attributes are
        views of its blocks, so the update code runs unchanged and ``self`` is untouched.
        Returns True if every block of θ and of the state came out finite.
        """
        flat = {
            name: (a := getattr(self, name)).reshape(
                a.shape[: a.ndim - theta.ndim] + (-1,)
            )
            for name in self.state_names
        }
        theta_flat, g_flat = theta.reshape(-1), np.ascontiguousarray(g).reshape(-1)
        blocks = [slice(lo, lo + self.chunk) for lo in range(0, theta.size, self.chunk)]
        checked = (
            [theta_flat] + [flat[name] for name in self._checked()] if verify else []
        )

        def work(my_blocks):
            worker, finite = copy.copy(self), True
            with np.errstate(over="ignore", invalid="ignore"):
                for block in my_blocks:
                    for name, a in flat.items():
                        setattr(worker, name, a[..., block])
                    worker.update(theta_flat[block], g_flat[block])
                    for a in checked:
                        finite = finite and _all_finite(a[..., block])
            return finite

        n_threads = min(
            self.threads, len(blocks) // 8
        )  # threads pay off from ~8 blocks each
        if n_threads <= 1:
            return work(blocks)
        groups = np.array_split(np.arange(len(blocks)), n_threads)
        return all(
            list(
                _pool(n_threads).map(work, [[blocks[i] for i in grp] for grp in groups])
            )
        )

    def _checked(self):
        """The state arrays checked for overflow after an update (all unless declared)."""
        return (
            self.state_names if self.unbounded_state is None else self.unbounded_state
        )

    def _as_params(self, theta):
        """θ as the array to update in place: a writeable float64/float32 ndarray."""
        if isinstance(theta, np.ndarray):
            if theta.dtype not in PARAM_DTYPES:
                raise ValueError(
                    f"theta must be a float64 or float32 array (step updates it in place, in its "
                    f"own precision), got dtype {theta.dtype}; pass theta.astype(np.float64)"
                )
            if not theta.flags.writeable:
                raise ValueError(
                    "theta is read-only, but step updates it in place: pass a "
                    "writeable array (e.g. theta.copy())"
                )
            return theta
        array = np.asarray(theta)
        if array.dtype.kind not in "biuf":
            raise ValueError(
                f"theta must hold real numbers, got {array.dtype} from {type(theta).__name__}"
            )
        return np.array(array, dtype=np.float64)

    @staticmethod
    def _as_gradient(g, theta, t):
        g = np.asarray(g)
        if g.dtype.kind not in "biuf":
            raise ValueError(
                f"grad_fn must return real numbers, got dtype {g.dtype} at step {t}"
            )
        if g.dtype.kind != "f":
            g = g.astype(np.float64)
        if g.shape != theta.shape:
            raise ValueError(
                f"grad_fn returned a gradient of shape {g.shape}, "
                f"but theta has shape {theta.shape}: they must match"
            )
        return g

    def _blockwise_max_abs(self, x):
        """max |x| of a large contiguous x, its blocks shared among the worker threads."""
        flat = x.reshape(-1)
        blocks = [flat[lo : lo + self.chunk] for lo in range(0, flat.size, self.chunk)]
        n_threads = min(self.threads, len(blocks) // 8)
        if n_threads <= 1 or not x.flags.c_contiguous:
            return _max_abs(x)
        groups = [blocks[i::n_threads] for i in range(n_threads)]
        parts = list(_pool(n_threads).map(lambda grp: max(map(_max_abs, grp)), groups))
        return math.nan if any(p != p for p in parts) else max(parts)

    def _check_finite(self, x, what, t):
        """max |x| after checking that x is finite (NonFiniteError otherwise)."""
        s = self._blockwise_max_abs(x)
        if not math.isfinite(s):
            bad = _n_nonfinite(x)
            head = (
                "grad_fn returned a gradient with"
                if what == "gradient"
                else f"theta{'0' if t == 1 else ''} must be finite, but the parameters hold"
            )
            raise NonFiniteError(
                f"{head} {bad} NaN or inf coordinate(s) of {x.size} at step {t} "
                f"of {self!r}; nothing was changed",
                what,
                t,
                bad,
            )
        if what == "gradient" and self.squares_gradient:
            limit = _sqrt_max(
                x.dtype, *(np.asarray(getattr(self, n)).dtype for n in self.state_names)
            )
            if s > limit:
                big = int(np.count_nonzero(np.abs(x) > limit))
                raise NonFiniteError(
                    f"grad_fn returned a gradient whose square overflows: {big} coordinate(s) "
                    f"exceed {limit:.3g} in magnitude at step {t}, "
                    f"and {type(self).__name__} keeps a running sum of g²; nothing was changed",
                    "gradient",
                    t,
                    big,
                )
        return s

    def _overflow(self, theta, t, undone):
        arrays = {"theta": theta, **{n: getattr(self, n) for n in self.state_names}}
        where = ", ".join(
            f"{n} ({_n_nonfinite(a)})" for n, a in arrays.items() if _n_nonfinite(a)
        )
        if undone:
            return NonFiniteError(
                f"the update of step {t} of {self!r} overflowed to inf/NaN in "
                f"{where} from finite inputs; it was undone",
                "update",
                t,
                _n_nonfinite(theta),
            )
        self._broken = f"the update of step {t} overflowed in {where}"
        return NonFiniteError(
            f"the update of step {t} of {self!r} overflowed to inf/NaN in {where} "
            "from finite inputs, and could not be undone: call reset()",
            "update",
            t,
            _n_nonfinite(theta),
        )

    def hyperparameters(self) -> dict:
        """The hyperparameters as a dict, e.g. ``{'eta': 0.01, 'gamma': 0.9}``."""
        return {
            k: v
            for k, v in vars(self).items()
            if isinstance(getattr(type(self), k, None), Hyper)
        }

    def __repr__(self):
        args = ", ".join(f"{k}={v:g}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


# -- parameters made of several tensors (layer-wise and matrix methods) --------------------


def check_shapes(shapes, size=None):
    """``shapes`` as a tuple of int tuples (the tensors that make up a flat θ, in order).

    Layer-wise methods (LARS, LAMB) and matrix methods (Shampoo, SOAP, Muon) need to know
    where one tensor of θ ends and the next begins; element-wise methods never ask. Each
    shape is a tuple of positive ints; with ``size`` given, the sizes must add up to it.
    """
    if isinstance(shapes, (str, bytes)) or not hasattr(shapes, "__iter__"):
        raise ValueError(f"shapes must be a sequence of shapes, got {shapes!r}")
    out = []
    for shape in shapes:
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if not shape or any(
            isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
            for n in shape
        ):
            raise ValueError(f"every shape must be a tuple of ints >= 1, got {shape!r}")
        out.append(tuple(int(n) for n in shape))
    if not out:
        raise ValueError("shapes must hold at least one shape")
    total = sum(math.prod(s) for s in out)
    if size is not None and total != size:
        raise ValueError(f"shapes hold {total} numbers but theta has {size}")
    return tuple(out)


def blocks(x, shapes=None):
    """Views (no copies) of the flat array ``x`` as the tensors listed in ``shapes``.

    With ``shapes=None`` the whole of ``x`` is one block with its own shape, so a 2-D θ is
    one matrix. Writing into a block writes into ``x``.

    >>> x = np.arange(8.0)
    >>> W, b = blocks(x, [(2, 3), (2,)])
    >>> W[1, 2], b.tolist()
    (5.0, [6.0, 7.0])
    """
    if shapes is None:
        return [x]
    shapes = check_shapes(shapes, x.size)
    flat, out, i = x.reshape(-1), [], 0
    if not np.shares_memory(flat, x):
        raise ValueError("x must be contiguous so that its blocks are views")
    for shape in shapes:
        n = math.prod(shape)
        out.append(flat[i : i + n].reshape(shape))
        i += n
    return out
