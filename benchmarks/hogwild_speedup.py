"""Hogwild! with 2 processes against 1, at equal loss.

    python benchmarks/hogwild_speedup.py                  # 1 000 000 updates in total, 5 repeats
    python benchmarks/hogwild_speedup.py --updates 200000 --reps 3   # quicker

Both runs do the same total number of lock-free SGD updates on the chapter's sparse logistic
regression (n = 4000 rows, d = 1000 features, k = 5 per row, eta = 0.5): one process doing
all of them, or two processes on one shared vector doing half each (gdlib.parallel.hogwild).
Reported per configuration (median over the repeats): the wall time, the updates per second,
the final loss, and the time to reach the target loss, the loss the one-process run reaches
after 90 % of its updates (read off the loss snapshots, assuming a constant rate of updates
within a run). The speed-up is time-to-target(1 process) / time-to-target(2 processes), so
it compares the two at equal loss, not merely at equal work. The machine's load matters
(other processes compete for the cores), so the script reports the load average too.
Results go to stdout and, as Markdown, to benchmarks/results/hogwild_speedup.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from pathlib import Path

import numpy as np

from gdlib.parallel import hogwild, make_sparse_logistic

HERE = Path(__file__).resolve().parent


def time_to(result, target):
    """Seconds until the shared θ first reached ``target`` (from the snapshots), or NaN."""
    hit = np.nonzero(result.curve_losses <= target)[0]
    if not len(hit):
        return float("nan")
    total = result.curve_updates[-1]
    return result.wall_time * result.curve_updates[hit[0]] / total


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--updates", type=int, default=1_000_000, help="total updates per run"
    )
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--eta", type=float, default=0.5)
    ap.add_argument(
        "--poll", type=float, default=0.01, help="seconds between snapshots"
    )
    args = ap.parse_args(argv)
    problem = make_sparse_logistic(n=4000, d=1000, k=5, seed=0)
    runs = {1: [], 2: []}
    for rep in range(args.reps):
        for p in (1, 2):  # alternate, so that both see the same load
            runs[p].append(
                hogwild(
                    problem,
                    n_workers=p,
                    updates_per_worker=args.updates // p,
                    eta=args.eta,
                    seed=rep,
                    poll=args.poll,
                    timeout=600,
                )
            )
    # the target: what one process reaches after 90 % of its updates (median over repeats)
    targets = []
    for r in runs[1]:
        i = np.searchsorted(r.curve_updates, 0.9 * r.curve_updates[-1])
        targets.append(r.curve_losses[min(i, len(r.curve_losses) - 1)])
    target = statistics.median(targets)
    rows = {}
    for p, rs in runs.items():
        rows[p] = dict(
            wall=statistics.median(r.wall_time for r in rs),
            rate=statistics.median(r.curve_updates[-1] / r.wall_time for r in rs),
            loss=statistics.median(r.curve_losses[-1] for r in rs),
            ttt=statistics.median(time_to(r, target) for r in rs),
            lost=statistics.median(r.lost_coordinates() for r in rs),
        )
    speedup = rows[1]["ttt"] / rows[2]["ttt"]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines = [
        "# Hogwild! speed-up: 2 processes against 1, at equal loss",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) at the end; "
        f"start method {runs[1][0].start_method}. Sparse logistic regression n = 4000, "
        f"d = 1000, k = 5, eta = {args.eta:g}; {args.updates} updates in total per run; "
        f"median of {args.reps} repeats. Target loss {target:.4f} (reached by one process "
        "after 90 % of its updates).",
        "",
        "| processes | wall s | updates/s | final loss | s to target | lost coordinates |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for p, r in rows.items():
        lines.append(
            f"| {p} | {r['wall']:.2f} | {r['rate']:.0f} | {r['loss']:.4f} | {r['ttt']:.2f} "
            f"| {r['lost']:.0f} |"
        )
    lines += [
        "",
        f"**Speed-up at equal loss: {speedup:.2f}x** (time to target, 1 / 2 processes).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    out = HERE / "results" / "hogwild_speedup.md"
    out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
