# Edited in book/parallel.ipynb before converting: the stray code cell of ex-4 (the
# `print` of the measured staleness) merged into the answer cell after ### END SOLUTION, so
# it lands in the test cell; visible structural asserts added after ### END SOLUTION in
# ex-1, ex-3, ex-4 and ex-5. After converting, the cell ex-parallel-4-tests got the tag
# `remove-output` (the measured staleness changes from run to run; the prose says the book
# leaves that output out).
SPECS = {
    "ex-parallel-1": {
        "define": (
            "Work with the chapter's positive SymPy symbols `a` and `z`. Define `a_double`, "
            "the value of (a); `modulus`, the modulus of (b) as a SymPy expression in `a`; "
            "`a_limit`, the value of (c); and `best_factor`, the smallest contraction factor "
            "per step with the delay, each a SymPy expression."
        ),
        "hidden": ["a_double ==", "a_limit ==", "[best_factor]"],
        "extra_hidden": (
            "assert all(\n"
            "    abs(float(modulus.subs(a, sp.Rational(q, 4))) - (q / 4) ** 0.5) < 1e-12\n"
            "    for q in (2, 3, 5)\n"
            ")\n"
        ),
    },
    "ex-parallel-2": {
        "given": ['dd = sp.Symbol("d", positive=True)'],
        "define": (
            "Work with the given SymPy symbol `dd` ($d$). Define `leading`, a dict that maps "
            "each $k$ (an `int` from 2 to 6) to the coefficient of $1/d$ in the expansion, "
            "a SymPy number."
        ),
    },
    "ex-parallel-3": {
        "define": (
            "Start from the chapter's `theta0`, $(-9, 2)$, run for `T` steps (400), draw the "
            "delays with `np.random.default_rng(8).integers(0, 9, size=T)`, cap each delay "
            "at the number of steps taken so far as `run_delayed` does, and run the fixed "
            "rate with `run_delayed` on the same delays. Define `loss_scaled` and "
            "`loss_safe`, the final losses on the ravine (`float`s) of the delay-scaled run "
            "and of the fixed rate."
        ),
        "hidden": ["loss_scaled <"],
    },
    "ex-parallel-4": {
        "define": (
            "Define `mean_stale`, a dict that maps 2 and 4 to the measured mean staleness "
            "(`mean_staleness()`, a `float`) of the real runs, and `planned`, a dict that "
            "maps $p$ = 2 and 4 to the result of `downpour` with the same settings on the "
            "schedule `downpour_schedule(np.ones(p), 400)` (its `order` and `delays`)."
        ),
        "hidden": ["for nw, r in planned.items()"],
    },
    "ex-parallel-5": {
        "given": ["rhos = [0.05, 0.2, 1.0, 5.0, 20.0]"],
        "define": (
            "Start from the chapter's `theta0`. With the given list `rhos`, define "
            "`spread_rho` and `center_err`, dicts that map each $\\rho$ in `rhos` to a "
            "`float`: the mean distance of the workers from the centre and the mean distance "
            "of the centre from the minimum $(0, 0)$, over the last 1000 steps. Define "
            "`best_rho`, the $\\rho$ in `rhos` with the best centre."
        ),
        "hidden": ["spread_rho[r1]", "best_rho not in", "center_err[rhos[0]]"],
    },
}
