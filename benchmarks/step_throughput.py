"""Time one step of every gdlib optimizer, and compare with torch.optim where installed.

    python benchmarks/step_throughput.py                 # n = 1e4 ... 1e7, float64 and float32
    python benchmarks/step_throughput.py --sizes 1e6 1e7 --dtypes float64 --reps 7

For each optimizer, size n and dtype it reports the median time of one step, what the
step's finiteness checks cost (``checks %``: the step against the same step with its checks
switched off, the two alternating so that both see the same load), the bytes a
step must move at least (read θ, g and every state array once; write θ and every state
array once), the bandwidth that implies, and that as a fraction of the machine's measured
copy bandwidth (numpy's copyto, which reads and writes n elements). When PyTorch is
installed it also times the same algorithm in torch.optim (``foreach=True`` and, where
torch has one for CPU, ``fused=True``) on one tensor of n elements and reports the ratio
gdlib/torch (below 1 means gdlib is faster). The gradient is fixed and precomputed, so
only the optimizer's own work is timed. Results go to stdout and, as Markdown, to
benchmarks/results/step_throughput.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import gdlib

HERE = Path(__file__).resolve().parent

# gdlib optimizer -> (constructor kwargs, torch class name, torch kwargs) for the same algorithm.
# Where torch's rule differs from the book's (ε placement, bias correction), the work per
# step is still the same kind, so the timing comparison is fair; see the frameworks chapter.
PAIRS = {
    "GD": ({"eta": 1e-3}, "SGD", {"lr": 1e-3}),
    "Momentum": ({"eta": 1e-3, "gamma": 0.9}, "SGD", {"lr": 1e-3, "momentum": 0.9}),
    "NAG": (
        {"eta": 1e-3, "gamma": 0.9},
        "SGD",
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    ),
    "Adagrad": ({}, "Adagrad", {"lr": 0.01}),
    "Adadelta": ({}, "Adadelta", {"lr": 1.0, "rho": 0.9}),
    "RMSprop": ({}, "RMSprop", {"lr": 1e-3, "alpha": 0.9}),
    "Adam": ({}, "Adam", {"lr": 1e-3}),
    "AdaMax": ({}, "Adamax", {"lr": 2e-3}),
    "Nadam": ({}, "NAdam", {"lr": 2e-3}),
    "AMSGrad": ({}, "Adam", {"lr": 1e-3, "amsgrad": True}),
    "AdamW": ({}, "AdamW", {"lr": 1e-3, "weight_decay": 0.1}),
    "QHM": ({}, None, {}),
    "QHAdam": ({}, None, {}),
    "AggMo": ({}, None, {}),
}
TORCH_FUSED = {"SGD", "Adam", "AdamW", "Adagrad"}


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def copy_bandwidth(n, dtype, reps):
    a, b = np.ones(n, dtype), np.empty(n, dtype)
    np.copyto(b, a)
    t = median_time(lambda: np.copyto(b, a), reps)
    return 2 * a.nbytes / t


def min_bytes(opt, theta):
    """Bytes one step must move at least: read θ, g, state; write θ, state."""
    state = sum(getattr(opt, name).nbytes for name in type(opt).state_names)
    return 3 * theta.nbytes + 2 * state


def time_gdlib(name, n, dtype, reps):
    kwargs = PAIRS[name][0]
    opt = getattr(gdlib, name)(**kwargs)
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(n).astype(dtype)
    g = (0.01 * rng.standard_normal(n)).astype(dtype)
    grad = lambda th: g  # noqa: E731 - a fixed gradient: only the optimizer's work is timed
    opt.step(theta, grad)  # allocate the state

    def unchecked():
        opt._verify = False  # the same step without its finiteness checks
        try:
            opt.step(theta, grad)
        finally:
            opt._verify = True

    # Checked and unchecked steps alternate, so that both see the same machine load.
    checked_times, unchecked_times = [], []
    for _ in range(reps):
        checked_times.append(median_time(lambda: opt.step(theta, grad), 1))
        unchecked_times.append(median_time(unchecked, 1))
    return (
        statistics.median(checked_times),
        statistics.median(unchecked_times),
        min_bytes(opt, theta),
    )


def time_torch(torch, name, n, dtype, reps, mode):
    cls_name, kwargs = PAIRS[name][1], dict(PAIRS[name][2])
    if cls_name is None or (mode == "fused" and cls_name not in TORCH_FUSED):
        return None
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    p = torch.zeros(n, dtype=tdtype, requires_grad=True)
    p.grad = 0.01 * torch.randn(
        n, dtype=tdtype, generator=torch.Generator().manual_seed(0)
    )
    kwargs[mode] = True
    try:
        opt = getattr(torch.optim, cls_name)([p], **kwargs)
        opt.step()
    except (RuntimeError, TypeError, ValueError):
        return None  # this torch build has no such path
    return median_time(opt.step, reps)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6, 1e7])
    ap.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--only", nargs="+", default=list(PAIRS), help="optimizer names")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "step_throughput.md")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None

    lines = [
        "# One optimizer step: gdlib vs the memory bandwidth and torch.optim",
        "",
        f"Machine: {platform.processor() or platform.machine()}, numpy {np.__version__}"
        + (
            f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
            if torch
            else ", torch not installed"
        )
        + f". Median of {args.reps} steps. `min bytes` = read θ, g and the state once, write θ and the state once; "
        "`checks %` = extra time of the checked step over the same step unchecked; "
        "`% copy bw` = that traffic per second as a fraction of numpy's measured copy bandwidth; "
        "`/foreach`, `/fused` = gdlib time ÷ torch time (below 1: gdlib is faster).",
        "",
        "| optimizer | dtype | n | gdlib ms | checks % | min bytes (MB) | GB/s | % copy bw | /foreach | /fused |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for dtype_name in args.dtypes:
        dtype = np.dtype(dtype_name).type
        for size in args.sizes:
            n = int(size)
            bw = copy_bandwidth(n, dtype, args.reps)
            for name in args.only:
                t, t_bare, nbytes = time_gdlib(name, n, dtype, args.reps)
                ratios = []
                for mode in ("foreach", "fused"):
                    tt = (
                        time_torch(torch, name, n, dtype, args.reps, mode)
                        if torch
                        else None
                    )
                    ratios.append("–" if tt is None else f"{t / tt:.2f}")
                row = (
                    f"| {name} | {dtype_name} | {n:.0e} | {t * 1e3:.3f} | {100 * (t / t_bare - 1):+.0f} | "
                    f"{nbytes / 1e6:.1f} | "
                    f"{nbytes / t / 1e9:.1f} | {100 * nbytes / t / bw:.0f} | {ratios[0]} | {ratios[1]} |"
                )
                print(row, flush=True)
                lines.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
