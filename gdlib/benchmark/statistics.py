"""Statistics of a study: bootstrap confidence intervals and Dolan–Moré performance profiles.

Every number the study reports comes from the evaluation runs (one row per problem,
method and evaluation seed, as :func:`gdlib.benchmark.study.run_study` returns them), and
every number has a percentile-bootstrap confidence interval over those seeds.

A **performance profile** (Dolan & Moré, 2002) compares methods across problems: with
c_{p,m} the cost of method m on problem p (lower is better, +∞ for a failure), the profile
of m is F_m(ℓ), the fraction of problems with log10(c_{p,m} / min_m c_{p,m}) ≤ ℓ: the
distribution function of m's distance from the best method, in decades (Dolan & Moré
write ρ and τ; the book keeps those letters for other things). F_m(0) is the fraction of
problems on which m is best; F_m(1) the fraction on which it is within a factor 10.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "bootstrap_ci",
    "costs",
    "summarize",
    "performance_profile",
    "profile_bands",
    "LEVEL",
]

#: The confidence level of every interval.
LEVEL = 0.95


def _stat(name):
    if callable(name):
        return name
    return {"mean": np.mean, "median": np.median}[name]


def bootstrap_ci(values, stat="mean", n_boot=2000, level=LEVEL, seed=0):
    """``(estimate, low, high)``: ``stat`` of ``values`` and its percentile-bootstrap
    interval (``n_boot`` resamples with replacement). Infinite values are allowed (a
    diverged run); quantiles are taken without interpolation, so no ∞ − ∞ appears."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        return math.nan, math.nan, math.nan
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    f = _stat(stat)
    est = float(f(x))
    rng = np.random.default_rng(seed)
    with np.errstate(invalid="ignore"):
        boots = f(x[rng.integers(0, x.size, size=(n_boot, x.size))], axis=1)
    q = [(1 - level) / 2, (1 + level) / 2]
    lo, hi = np.quantile(boots, q, method="inverted_cdf")
    return est, float(lo), float(hi)


def _log_gap(row, floor):
    gap = row["gap"]
    if row["diverged"] or not math.isfinite(gap):
        return math.inf
    return math.log10(max(gap, floor))


def _steps(row, budget):
    s = row["steps_to_target"]
    return math.inf if (row["diverged"] or not math.isfinite(s)) else s


def _group(runs):
    groups = {}
    for r in runs:
        groups.setdefault((r["problem"], r["method"]), []).append(r)
    return groups


def costs(runs, kind="loss", floors=None, resample=None):
    """``{problem: {method: cost}}`` from the evaluation runs.

    ``kind='loss'``: the geometric mean over the seeds of max(gap, floor) (the gap is
    the final loss minus the known minimum, or the final loss); +∞ if any seed
    diverged: a configuration that fails on some seed is not usable.
    ``kind='steps'`` (and any problem scored by steps, such as the saddle): the median over the seeds of the steps to the target (+∞ for a
    seed that never reached it, so more than half failing gives +∞).
    ``resample`` (a generator) draws the seeds with replacement, for the bootstrap.
    """
    floors = floors or {}
    out = {}
    for (p, m), rows in _group(runs).items():
        if resample is not None:
            rows = [rows[i] for i in resample.integers(0, len(rows), len(rows))]
        if kind == "steps" or rows[0].get("criterion") == "steps":
            c = float(np.median([_steps(r, None) for r in rows]))
        elif kind == "loss":
            logs = [_log_gap(r, floors.get(p, 1e-10)) for r in rows]
            c = (
                10.0 ** float(np.mean(logs))
                if all(map(math.isfinite, logs))
                else math.inf
            )
        else:
            raise ValueError(f"kind must be 'loss' or 'steps', got {kind!r}")
        out.setdefault(p, {})[m] = c
    return out


def summarize(runs, floors=None, n_boot=2000, seed=0):
    """One row per (problem, method): estimates with their bootstrap intervals.

    ``gap`` is the geometric mean of max(gap, floor) (∞ if a seed diverged); ``steps``
    the median steps to the target (∞ if most seeds missed it); ``reached`` the fraction
    of seeds that reached it; ``test_accuracy`` and ``test_loss`` the means over the
    seeds (learning problems only); each with ``_lo`` and ``_hi``.
    """
    floors = floors or {}
    rows = []
    for (p, m), group in _group(runs).items():
        floor = floors.get(p, 1e-10)
        row = dict(problem=p, method=m, n=len(group))
        if group[0].get("criterion") == "steps":  # no minimum: the gap means nothing
            row.update(gap=math.nan, gap_lo=math.nan, gap_hi=math.nan)
        else:
            logs = [_log_gap(r, floor) for r in group]
            est, lo, hi = bootstrap_ci(logs, "mean", n_boot, seed=seed)
            row.update(gap=10.0**est, gap_lo=10.0**lo, gap_hi=10.0**hi)
        s, slo, shi = bootstrap_ci(
            [_steps(r, None) for r in group], "median", n_boot, seed=seed
        )
        row.update(steps=s, steps_lo=slo, steps_hi=shi)
        reached = [0.0 if math.isinf(_steps(r, None)) else 1.0 for r in group]
        f, flo, fhi = bootstrap_ci(reached, "mean", n_boot, seed=seed)
        row.update(reached=f, reached_lo=flo, reached_hi=fhi)
        row["diverged"] = int(sum(bool(r["diverged"]) for r in group))
        for key in ("test_accuracy", "test_loss", "final_loss"):
            vals = [r.get(key, math.nan) for r in group]
            vals = [v for v in vals if isinstance(v, float) and math.isfinite(v)]
            e, a, b = (
                bootstrap_ci(vals, "mean", n_boot, seed=seed)
                if vals
                else (math.nan,) * 3
            )
            row.update({key: e, key + "_lo": a, key + "_hi": b})
        rows.append(row)
    return rows


def performance_profile(cost_table, taus):
    """``{method: F_m(ℓ) for ℓ in taus}``, ℓ in decades (log10 of the ratio to the best).

    Problems on which every method failed carry no information and are left out.
    """
    taus = np.asarray(taus, dtype=float)
    problems = [p for p, c in cost_table.items() if any(map(math.isfinite, c.values()))]
    methods = sorted({m for c in cost_table.values() for m in c})
    if not problems:
        return {m: np.zeros_like(taus) for m in methods}
    logr = {m: [] for m in methods}
    for p in problems:
        best = min(c for c in cost_table[p].values() if math.isfinite(c))
        for m in methods:
            c = cost_table[p].get(m, math.inf)
            if not math.isfinite(c):
                logr[m].append(math.inf)
            elif best <= 0:
                logr[m].append(0.0 if c <= 0 else math.inf)
            else:
                logr[m].append(math.log10(c / best))
    return {
        m: np.array([np.mean(np.array(v) <= t) for t in taus]) for m, v in logr.items()
    }


def profile_bands(
    runs, taus, kind="loss", floors=None, n_boot=200, level=LEVEL, seed=0
):
    """The profile and its bootstrap band: ``{method: (F, low, high)}``.

    Each resample redraws the evaluation seeds of every (problem, method) with
    replacement, recomputes the costs and the profile; the band holds the central
    ``level`` of the resampled profiles at every ℓ.
    """
    rho = performance_profile(costs(runs, kind, floors), taus)
    rng = np.random.default_rng(seed)
    boots = {m: [] for m in rho}
    for _ in range(n_boot):
        prof = performance_profile(costs(runs, kind, floors, resample=rng), taus)
        for m in rho:
            boots[m].append(prof.get(m, np.zeros_like(rho[m])))
    q = [(1 - level) / 2, (1 + level) / 2]
    out = {}
    for m in rho:
        lo, hi = np.quantile(np.array(boots[m]), q, axis=0, method="inverted_cdf")
        out[m] = (rho[m], lo, hi)
    return out
