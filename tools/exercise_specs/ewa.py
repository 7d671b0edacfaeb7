SPECS = {
    "ex-ewa-1": {
        "given": ['k_age = sp.symbols("k", integer=True, nonnegative=True)'],
        "define": (
            "Use the chapter's symbol `b` ($\\beta$) and the given summation index `k_age` "
            "($k$). Define `mean_age`, $\\bar k$ as a SymPy expression in `b` for "
            "$0 < \\beta < 1$ (not a `Piecewise`), and the two `float`s `lag`, the last input "
            "of the ramp minus the last output of `gdlib.ewa`, and `lag_predicted`, "
            "$0.5\\,\\bar k$ at $\\beta = 0.95$. Say in the cell below the tests what the mean "
            "age means for an EWA that follows a trend."
        ),
        "hidden": ["b / (1 - b)"],
    },
    "ex-ewa-2": {
        "given": ['N = sp.symbols("N", positive=True)'],
        "define": (
            "Use the chapter's symbols `b` ($\\beta$) and `sigma` ($\\sigma$) and the given "
            "positive symbol `N`. Define `N_equivalent`, that $N$ as a SymPy expression in "
            "`b`, and `ratios`, a `dict` that maps each $\\beta$, as a SymPy number "
            "(`sp.Rational(9, 10)` and `sp.Rational(999, 1000)`), to $N$ divided by the "
            "window $1/(1-\\beta)$, a `float`. Give the comparison in the cell below the tests."
        ),
        "hidden": ["(1 + b) / (1 - b)", "ratios[sp.Rational(9, 10)]"],
    },
    "ex-ewa-3": {
        "given": ["stream = np.random.default_rng(4).standard_normal((100, 4)) + 3"],
        "define": (
            "Use the given inputs `stream`, a NumPy array of shape `(100, 4)` (one 4-vector "
            "per row). Define the class `StreamingEWA` and `outputs`, the 100 values that "
            "`update` returns for the rows of `stream`, a NumPy array of shape `(100, 4)`."
        ),
        "extra_hidden": (
            "ewa_h = StreamingEWA(0.8)\n"
            "xs_h = np.linspace(-1.0, 2.0, 30)\n"
            "out_h = np.array([ewa_h.update(x_h) for x_h in xs_h])\n"
            "assert np.allclose(\n"
            "    out_h, gdlib.ewa(xs_h, 0.8, bias_correction=True), rtol=1e-12, atol=1e-12\n"
            ")\n"
        ),
    },
    "ex-ewa-4": {
        "define": (
            "Define `variances`, a `dict` that maps each $t$ (the `int`s 2, 5, 10 and 20) to "
            "a pair of `float`s: the variance over the 4000 sequences of the bias-corrected "
            "estimate and that of the estimate started at $x_1$, in this order. Explain the "
            "result in the cell below the tests."
        ),
        "hidden": ["variances[step][0] <", "1.5 * variances", "variances[20]"],
    },
}
