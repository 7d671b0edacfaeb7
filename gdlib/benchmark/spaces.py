"""The methods of the study and their search spaces, written down in one place.

A method is found **by name**: :data:`SPACES` lists every optimizer the study knows,
including those a later version of gdlib adds (RAdam, LARS, LAMB, Lookahead, Lion,
Sophia, Schedule-Free SGD and AdamW, Prodigy, Shampoo, SOAP, Muon, Adafactor), and
:func:`registry` keeps those whose class ``getattr(gdlib, name)`` exists.

What is tuned follows one rule, :data:`ROLES`: every constructor argument of a method
whose name has a role gets that role's search space, the same for every method:

====================  =========================  =====================================
argument              sampled                    range (first round)
====================  =========================  =====================================
``eta``, ``lr``       log-uniform                10⁻⁴ … 10
``gamma``, ``beta``,  1 − value log-uniform      1 − value in 10⁻³ … 1 (value 0 … 0.999)
``beta1``,
``momentum``
``beta2``, ``beta3``  1 − value log-uniform      1 − value in 10⁻⁴ … 1 (0 … 0.9999)
``eps`` and kin       log-uniform                10⁻¹⁰ … 1
``weight_decay``      log-uniform                10⁻⁶ … 10⁻¹
``nu``, ``nu1``, …    uniform                    0 … 1
====================  =========================  =====================================

plus, for every method with a learning rate, the **schedule**: constant, or a linear
warm-up over the first 5 % of the budget followed by cosine annealing to 0
(:func:`warmup_cosine`), a tuned on/off choice. Arguments without a role keep their
default (the table :func:`space_rows` lists them as fixed). A range end marked *hard*
is a natural end (a decay coefficient of 0; ν of 0 or 1; a weight decay so small that it
moves θ by less than 0.1 % over the budget) and is never extended; every other end is
extended by the study when the tuned value lands next to it.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field, replace

from .. import schedules as _schedules
from .core import Method

__all__ = [
    "Dim",
    "Space",
    "ROLES",
    "SPACES",
    "SCHEDULE",
    "registry",
    "space_for",
    "make_method",
    "warmup_cosine",
    "space_rows",
]


@dataclass(frozen=True)
class Dim:
    """One hyperparameter's search range.

    ``kind`` is ``'log'`` (log-uniform on the value), ``'log1m'`` (log-uniform on
    1 − value; ``low``/``high`` bound 1 − value), ``'uniform'`` or ``'choice'``
    (one of ``choices``, uniformly). ``hard_low``/``hard_high`` mark natural ends
    that are never extended.
    """

    name: str
    kind: str
    low: float = math.nan
    high: float = math.nan
    choices: tuple = ()
    hard_low: bool = False
    hard_high: bool = False

    def __post_init__(self):
        if self.kind not in ("log", "log1m", "uniform", "choice"):
            raise ValueError(
                f"Dim kind must be log, log1m, uniform or choice, got {self.kind!r}"
            )
        if self.kind == "choice":
            if not self.choices:
                raise ValueError(f"the choice Dim {self.name!r} needs choices")
        elif not (self.low < self.high) or (self.kind != "uniform" and self.low <= 0):
            raise ValueError(
                f"Dim {self.name!r} needs 0 < low < high (low < high if uniform), "
                f"got {self.low!r}, {self.high!r}"
            )

    # coordinates in which the sampling is uniform
    def z_bounds(self):
        if self.kind == "uniform":
            return self.low, self.high
        return math.log10(self.low), math.log10(self.high)

    def to_z(self, value):
        if self.kind == "log":
            return math.log10(value)
        if self.kind == "log1m":
            return math.log10(1.0 - value)
        return float(value)

    def from_z(self, z):
        if self.kind == "log":
            return 10.0**z
        if self.kind == "log1m":
            return 1.0 - 10.0**z
        return float(z)

    def sample(self, rng):
        if self.kind == "choice":
            return self.choices[int(rng.integers(len(self.choices)))]
        return self.from_z(rng.uniform(*self.z_bounds()))

    def edge(self, value, fraction=0.1):
        """``'low'``/``'high'`` if ``value`` lies in the outer ``fraction`` of the range (in
        the sampling coordinates) next to an end that may be extended, ``'low (hard)'`` /
        ``'high (hard)'`` next to a natural end, else ``''``. Ends refer to the sampled
        quantity (for ``log1m``, 1 − value)."""
        if self.kind == "choice":
            return ""
        a, b = self.z_bounds()
        u = (self.to_z(value) - a) / (b - a)
        if u < fraction:
            return "low (hard)" if self.hard_low else "low"
        if u > 1 - fraction:
            return "high (hard)" if self.hard_high else "high"
        return ""

    def extended(self, side, decades=1.0):
        """The range with its ``side`` end moved outwards (a decade, or a quarter of a
        uniform range)."""
        if side == "low":
            return replace(
                self,
                low=self.low - 0.25 * (self.high - self.low)
                if self.kind == "uniform"
                else self.low / 10**decades,
            )
        if side == "high":
            high = (
                self.high + 0.25 * (self.high - self.low)
                if self.kind == "uniform"
                else self.high * 10**decades
            )
            if self.kind == "log1m":
                high = min(high, 1.0)
            return replace(self, high=high)
        raise ValueError(f"side must be 'low' or 'high', got {side!r}")

    def describe(self):
        if self.kind == "choice":
            return " / ".join(str(c) for c in self.choices)
        fmt = f"{self.low:.3g} … {self.high:.3g}"
        if self.kind == "log1m":
            fmt = f"1 − value in {fmt}"
        ends = [s for s, h in (("low", self.hard_low), ("high", self.hard_high)) if h]
        return fmt + (f" ({' and '.join(ends)} end hard)" if ends else "")


def _lr(name):
    return Dim(name, "log", 1e-4, 10.0)


def _momentum(name):
    return Dim(name, "log1m", 1e-3, 1.0, hard_high=True)


def _second(name):
    return Dim(name, "log1m", 1e-4, 1.0, hard_high=True)


def _eps(name):
    return Dim(name, "log", 1e-10, 1.0)


#: The search space of an argument, by its name: the same for every method.
ROLES = {
    "eta": _lr,
    "lr": _lr,
    "gamma": _momentum,
    "beta": _momentum,
    "beta1": _momentum,
    "momentum": _momentum,
    "beta2": _second,
    "beta3": _second,
    "eps": _eps,
    "epsilon": _eps,
    "eps1": _eps,
    "eps2": _eps,
    "weight_decay": lambda n: Dim(n, "log", 1e-6, 1e-1, hard_low=True),
    "nu": lambda n: Dim(n, "uniform", 0.0, 1.0, hard_low=True, hard_high=True),
    "nu1": lambda n: Dim(n, "uniform", 0.0, 1.0, hard_low=True, hard_high=True),
    "nu2": lambda n: Dim(n, "uniform", 0.0, 1.0, hard_low=True, hard_high=True),
}

#: Constant learning rate, or linear warm-up over 5 % of the budget then cosine to 0.
SCHEDULE = Dim("schedule", "choice", choices=("constant", "warmup_cosine"))


def warmup_cosine(eta0, steps, warmup=0.05):
    """The study's schedule: :func:`gdlib.schedules.warmup_cosine` with a linear warm-up
    over the first ⌈warmup · steps⌉ steps to ``eta0``, then a cosine down to 0 at ``steps``.

    Called with the number of steps taken, k = 0 … steps − 1 (step t uses k = t − 1).
    """
    W = min(max(1, math.ceil(warmup * steps)), steps - 1)
    return _schedules.warmup_cosine(eta0, W, steps)


@dataclass
class Space:
    """What the study tunes for one method: the class, its tuned :class:`Dim` s, the
    arguments it keeps at their defaults, and how a configuration becomes an optimizer."""

    name: str
    cls: type
    dims: dict
    fixed: dict = field(default_factory=dict)
    schedule_attr: str | None = "eta"
    rate: str | None = "eta"
    inner: Space | None = None
    build: object = None

    def sample(self, rng):
        return {k: d.sample(rng) for k, d in self.dims.items()}

    def edges(self, config, fraction=0.1):
        return {
            k: e
            for k, d in self.dims.items()
            if k in config and (e := d.edge(config[k], fraction))
        }


#: Every method the study knows: its class names (the first that gdlib has is used) and
#: what differs from the rule: ``extra`` dims, ``exclude`` arguments, ``schedule_attr``
#: (the attribute a schedule sets; AdamW's is its multiplier ω_t), ``inner`` (a wrapped
#: optimizer, tuned too), ``build`` (configuration → constructor arguments).
SPACES = {
    "GD": {},
    "Momentum": {},
    "NAG": {},
    "Adagrad": {},
    "Adadelta": {},  # no learning rate: ε sets its step length; nothing to schedule
    "RMSprop": {},
    "Adam": {},
    "AdaMax": {},
    "Nadam": {},
    "AMSGrad": {},
    "AdamW": {"schedule_attr": "schedule", "exclude": ("schedule",)},
    "QHM": {},
    "QHAdam": {},
    # Lucas et al.'s betas β^(i) = 1 − a^(i−1), K = 3: (0, 1 − a, 1 − a²); a = 0.1 is the paper's
    "AggMo": {
        "extra": (Dim("a", "log", 1e-2, 1.0, hard_high=True),),
        "exclude": ("betas",),
        "build": lambda c: _aggmo(c),
    },
    # the optimizers after Adam (used when gdlib has them)
    "RAdam": {},
    "LARS": {},
    "LAMB": {},
    "Lookahead": {
        "inner": "Adam",
        "extra": (
            Dim("k", "choice", choices=(5, 10)),
            Dim("alpha", "uniform", 0.1, 1.0, hard_high=True),
        ),
    },
    "Lion": {},
    "Sophia": {},
    "ScheduleFreeSGD": {"names": ("ScheduleFreeSGD", "SGDScheduleFree")},
    "ScheduleFreeAdamW": {"names": ("ScheduleFreeAdamW", "AdamWScheduleFree")},
    "Prodigy": {},
    "Shampoo": {},
    "SOAP": {},
    "Muon": {},
    "Adafactor": {},
}


def _aggmo(config):
    a = config.pop("a")
    config["betas"] = (0.0, 1.0 - a, 1.0 - a * a)
    return config


def _arguments(cls):
    """The constructor's arguments: name → default (``inspect.Parameter.empty`` if none)."""
    sig = inspect.signature(cls.__init__)
    return {
        n: p.default
        for n, p in sig.parameters.items()
        if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def _find(entry, name):
    import gdlib

    for cls_name in entry.get("names", (name,)):
        cls = getattr(gdlib, cls_name, None)
        if isinstance(cls, type):
            return cls
    return None


def space_for(name):
    """The :class:`Space` of the method ``name`` (a key of :data:`SPACES`), or None if
    this gdlib has no such optimizer."""
    if name not in SPACES:
        raise ValueError(f"unknown method {name!r}; choose from {list(SPACES)}")
    entry = SPACES[name]
    cls = _find(entry, name)
    if cls is None:
        return None
    args = _arguments(cls)
    exclude = set(entry.get("exclude", ()))
    dims, fixed, inner = {}, {}, None
    for arg, default in args.items():
        if arg in exclude:
            continue
        if default is inspect.Parameter.empty:
            if "inner" in entry:
                inner = space_for(entry["inner"])
                continue
            if arg == "shapes":
                continue
        if arg in ROLES:
            dims[arg] = ROLES[arg](arg)
        elif arg != "shapes":
            fixed[arg] = default
    extra = {
        d.name: d for d in entry.get("extra", ()) if d.name in args or "build" in entry
    }
    dims.update(extra)
    rate = next((r for r in ("eta", "lr") if r in dims), None)
    if inner is not None:
        dims.update({f"inner.{k}": d for k, d in inner.dims.items()})
        rate = "inner." + inner.rate if inner.rate else None
    schedule_attr = entry.get("schedule_attr", "eta" if rate else None)
    if schedule_attr is not None:
        dims["schedule"] = SCHEDULE
    return Space(name, cls, dims, fixed, schedule_attr, rate, inner, entry.get("build"))


def registry(names=None):
    """``{name: Space}`` for the methods of :data:`SPACES` (or ``names``) that gdlib has."""
    names = list(SPACES) if names is None else list(names)
    out = {}
    for n in names:
        space = space_for(n)
        if space is not None:
            out[n] = space
    return out


def make_method(space, config, problem=None):
    """A :class:`gdlib.benchmark.Method` and its η for one configuration of ``space``.

    The returned η is the configuration's learning rate (1 for a method without one);
    with ``config['schedule'] == 'warmup_cosine'`` the method carries the schedule.
    """
    config = dict(config)
    schedule = config.pop("schedule", "constant")
    inner_kw = {k[6:]: config.pop(k) for k in list(config) if k.startswith("inner.")}
    if space.build is not None:
        config = space.build(config)
    shapes = getattr(problem, "shapes", None)

    def make(_eta=None):
        kw = dict(config)
        if "shapes" in _arguments(space.cls) and shapes is not None:
            kw["shapes"] = shapes
        if space.inner is not None:
            return space.cls(space.inner.cls(**inner_kw), **kw)
        return space.cls(**kw)

    if space.rate is None:
        eta0 = 1.0
    elif space.rate.startswith("inner."):
        eta0 = inner_kw[space.rate[6:]]
    else:
        eta0 = config[space.rate]
    sched = None
    if schedule == "warmup_cosine":
        peak = 1.0 if space.schedule_attr == "schedule" else eta0

        def sched(_eta, steps):
            return warmup_cosine(peak, steps)

    return Method(
        space.name, make, sched, schedule_attr=space.schedule_attr or "eta"
    ), eta0


def space_rows(spaces):
    """The search spaces as rows (method, argument, how it is sampled, range) for a table."""
    rows = []
    for name, space in spaces.items():
        for k, d in space.dims.items():
            rows.append(dict(method=name, argument=k, kind=d.kind, range=d.describe()))
        for k, v in space.fixed.items():
            rows.append(dict(method=name, argument=k, kind="fixed", range=repr(v)))
    return rows
