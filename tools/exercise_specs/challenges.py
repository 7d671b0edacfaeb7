SPECS = {
    "ex-challenges-1": {
        "given": ['c = sp.Symbol("c", positive=True)'],
        "define": (
            "Work with the given positive symbol `c` and the chapter's symbols `eta`, "
            "`delta` and `k` ($\\eta$, $\\delta$, $k$). Define `factor_y`, the factor by "
            "which one step multiplies $y$, and `k_c`, the number of steps before rounding "
            "(the real $k$ at which $|y_k|$ reaches 1), both SymPy expressions in these "
            "symbols; then define `measured_c`, the first step of the run with "
            "$|y_k| \\ge 1$, and `predicted_c`, `k_c` at these values rounded up, both `int`s."
        ),
        "hidden": ["factor_y - (1 + 2 * c * eta)", "sp.log(1 / delta)"],
    },
    "ex-challenges-2": {
        "define": (
            "Define the class `FrequencyScaledGD`, with `p` a NumPy array with one entry per "
            "weight, and `k_fs`, the steps each weight needs to reach error 0.01, a NumPy array "
            "of `int`s with one entry per weight: run 100 steps from zero with the estimated "
            "frequencies `p_hat` and apply the chapter's `steps_to_error` to the errors "
            "$|\\theta_j - \\hat\\theta_j|$ of every iterate, the start included. Say in the "
            "cell below the tests why dividing by the frequency works and what it needs."
        ),
        "extra_hidden": (
            "p_h = np.array([1.0, 0.5, 0.25])\n"
            "opt_h = FrequencyScaledGD(0.3, p_h)\n"
            "th_h = opt_h.step(np.ones(3), lambda th_: np.array([1.0, -2.0, 0.5]))\n"
            "assert np.allclose(th_h, 1 - 0.3 / p_h * np.array([1.0, -2.0, 0.5]))\n"
        ),
    },
    "ex-challenges-3": {
        "define": (
            "Define `escape_time(sigma, seed)`, which draws the noise from "
            "`np.random.default_rng(seed)` and returns the first step $k$ with "
            "$|y_k| \\ge 1$ as an `int`, or `None` if there is none within 1000 steps, and "
            "`mean_escape`, a `dict` that maps each $\\sigma$ (the `float`s `1e-2`, `1e-5` "
            "and `1e-8`) to the mean escape time over the seeds 0 to 4. Answer the question "
            "in the cell below the tests."
        ),
        "hidden": ["mean_escape[1e-2] <", "steps_per_decade"],
    },
    "ex-challenges-4": {
        "define": (
            "Define `steps_kappa`, a `dict` that maps each $\\kappa$ (the `int`s 10, 100 and "
            "1000) to the measured number of steps, an `int` (`gdlib.run(...).steps_to` "
            "gives it), and `predicted_kappa`, the same for the count that "
            "{eq}`eq-challenges-steps` predicts, rounded up. Answer the question in the cell "
            "below the tests."
        ),
        "hidden": ["9 < steps_kappa"],
    },
}
