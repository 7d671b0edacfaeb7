SPECS = {
    "ex-recent-1": {
        "given": [
            'k = sp.symbols("k", integer=True, nonnegative=True)',
            'nu_, beta_ = sp.symbols("nu beta", real=True)',
        ],
        "define": (
            "Work with the given SymPy symbols `k`, `nu_` ($\\nu$) and `beta_` ($\\beta$). "
            "Define `w0`, the weight on $g_t$, `w_later`, the weight $w_k$ for $k \\ge 1$, "
            "and `total`, the sum of all the weights, as SymPy expressions in these "
            "symbols, and the Python `float`s `w0_rec` and `w0_mom`, the weight on the "
            "current gradient for QHM with $\\nu = 0.7$, $\\beta = 0.999$ and for momentum "
            "with $\\beta = 0.999$. Make the comparison in the answer cell below the tests."
        ),
        "hidden": ["w0_rec"],
        "extra_hidden": (
            "assert sp.simplify(w0 - (1 - nu_ * beta_)) == 0\n"
            "assert sp.simplify(w_later - nu_ * (1 - beta_) * beta_**k) == 0\n"
        ),
    },
    "ex-recent-2": {
        "replace": [
            (
                "function with a cosine schedule",
                "function from $(-1.5, 2)$ (the chapter's `start_r`) with a cosine\nschedule",
            )
        ],
        "define": (
            'Let `state` be a `dict` with the keys `"t"` (an `int`, 0 at the start), '
            '`"m"` and `"v"` (NumPy arrays, zero at the start), which '
            "`torch_adamw_step` updates in place; it returns the new `theta`. Define "
            "`gap_x`, the largest absolute difference between the coordinates of the two "
            "runs over the 200 steps, as a Python `float`, and explain in the answer cell "
            "below the tests why the two agree."
        ),
        "extra_hidden": (
            "# one step from a fresh state: the decay, then a step of lr * g / (|g| + eps)\n"
            'st_h = {"t": 0, "m": np.zeros(2), "v": np.zeros(2)}\n'
            "g_h = np.array([0.5, -1.0])\n"
            "th_h = torch_adamw_step(np.array([1.0, -2.0]), g_h, st_h, lr=0.1, wd=0.5)\n"
            "assert np.allclose(\n"
            "    th_h, np.array([1.0, -2.0]) * 0.95 - 0.1 * g_h / (np.abs(g_h) + 1e-8),\n"
            "    rtol=0, atol=1e-12,\n"
            ")\n"
            'assert st_h["t"] == 1\n'
        ),
    },
    "ex-recent-3": {
        "define": (
            "Define `qh_reach`, a `dict` that maps each $\\nu$ (the Python `float`s `0.7`, "
            "`0.9` and `1.0`) to the number of steps as an `int` (as `steps_to` counts "
            "them), or `None` if the run never gets there, and answer the question in the "
            "answer cell below the tests."
        ),
        "hidden": ["qh_reach[1.0]", "qh_reach[0.9] <"],
        "extra_hidden": (
            "assert abs(qh_reach[0.9] - 877) <= 1 and abs(qh_reach[0.7] - 1765) <= 1\n"
        ),
    },
    "ex-recent-4": {
        "given": ["etas = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 7e-2]"],
        "define": (
            "Use the given grid `etas`, start from $(-8, 2)$ (the chapter's `theta0`) and "
            "take AggMo's $\\beta$ from the chapter's `BETAS`. Define the two `dict`s "
            "`final_mom` and `final_agg`, which map each $\\eta$ of `etas` to the final "
            "loss as a `float`, and give that relation in the answer cell below the tests."
        ),
        "hidden": ["min(final_mom", "final_agg[e_]", "diverged"],
        "extra_hidden": "assert abs(final_mom[1e-2] - 5.237) < 1e-2\n",
    },
}
