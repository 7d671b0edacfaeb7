SPECS = {
    "ex-adagrad-1": {
        "given": [
            'c = sp.Symbol("c", positive=True)',
            'gsym = sp.symbols("g1:4", real=True)',
        ],
        "define": (
            "Use the given positive symbol `c`, the three gradient symbols `gsym` "
            "($g_1, g_2, g_3$) and the chapter's symbol `eta_s` ($\\eta$). Define "
            "`differences`, the list of the three simplified SymPy differences between the "
            "Adagrad updates for $J$ and for $cJ$, and `sgd_difference`, the simplified "
            "difference between SGD's first update for $cJ$ and for $J$."
        ),
        "hidden": ["sgd_difference"],
    },
    "ex-adagrad-2": {
        "given": [
            'u, T_ = sp.symbols("u T", positive=True)',
            "T_num = 10_000",
        ],
        "define": (
            "Bound the sum $\\sum_{t=1}^{T} t^{-1/2}$ (without the factor $\\eta$) by "
            "integrals of $u^{-1/2}$, with the given positive symbols `u` and `T_` ($T$). "
            "Define `lower`, the integral from $1$ to $T + 1$, and `upper`, $1$ plus the "
            "integral from $1$ to $T$, both as SymPy expressions in `T_`; then, for "
            "$T$ = `T_num`, the Python `float`s `S`, the sum itself, and `lo` and `hi`, "
            "the two bounds."
        ),
        "hidden": ["upper - (2 * sp.sqrt(T_) - 1)"],
    },
    "ex-adagrad-3": {
        "replace": [
            (
                "tune $\\eta$ for each on a log grid and count the steps",
                "tune $\\eta$ for each on the log grid `gdlib.log_grid(1e-2, 1e2, 3)` and\n"
                "count, within 2000 steps, the steps",
            )
        ],
        "define": (
            "Name the class `FullMatrixAdagrad` and define `steps_needed`, a `dict` with "
            'the keys `"Adagrad"` and `"FullMatrixAdagrad"` whose values are the smallest '
            "step counts over the grid (`np.inf` for a run that never gets there)."
        ),
        "hidden": ['steps_needed["FullMatrixAdagrad"] < steps_needed["Adagrad"]'],
    },
    "ex-adagrad-4": {
        "replace": [
            (
                "repeat the sparse-feature\nexperiment with $\\eta = 0.1$:",
                "repeat the sparse-feature\nexperiment with $\\eta = 0.1$ (`train` on "
                "`model`, `X` and `y` with mini-batches of 50\n"
                "for 10 epochs and `seed=0`):",
            )
        ],
        "define": (
            "The rarest feature's weight is the one of index 3. Define `gap0` and `gap1`, "
            "its distances from 1 after training with $G_0 = 0$ and with "
            "$G_0 = 0.1$, as Python `float`s."
        ),
        "hidden": ["gap1 > 3 * gap0"],
    },
}
