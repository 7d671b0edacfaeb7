SPECS = {
    "ex-adadelta-1": {
        "given": [
            'c = sp.Symbol("c", positive=True)',
            'e1, e2 = sp.symbols("epsilon_1 epsilon_2", positive=True)',
            'gsyms = sp.symbols("g_1:4", real=True)',
        ],
        "define": (
            "Use the given symbols `c`, `e1`, `e2` ($\\epsilon_1$, $\\epsilon_2$) and "
            "`gsyms` ($g_1, g_2, g_3$), and the chapter's symbol `gamma` for the decay "
            "rate. Define `plain`, the list of the three updates $\\Delta\\theta_t$ as "
            "SymPy expressions for the gradients `gsyms`; `diffs`, the list of the three "
            "simplified differences between `plain` and the updates for the gradients "
            "times $c$ with $\\epsilon_2$ times $c^2$; and `same_eps`, the list of the "
            "three updates for the gradients times $c$ with $\\epsilon_2$ unchanged."
        ),
        "hidden": ["same_eps[0] - plain[0]"],
    },
    "ex-adadelta-2": {
        "replace": [
            (
                "on 50 Rosenbrock steps, and",
                "on 50 Rosenbrock steps (`gdlib.rosenbrock`)\nfrom $(-1.5, 2)$ with "
                "$\\epsilon = 10^{-4}$, and",
            )
        ],
        "define": (
            "Give `AdadeltaLR` the constructor `AdadeltaLR(lr=1.0, gamma=0.9, eps=1e-8)`. "
            "Define `a` and `b`, the `gdlib.run` results (`Result` objects) of "
            "`AdadeltaLR` with `lr=1` and of `gdlib.Adadelta`, and `first`, the size "
            "$|\\Delta\\theta_1|$ of the Keras first step as a Python `float`."
        ),
        "hidden": ["abs(first - 0.001"],
        "extra_hidden": (
            "lin_f = lambda th: float(th[0])  # noqa: E731\n"
            "lin_g = lambda th: np.ones(1)  # noqa: E731\n"
            "r_half = run(AdadeltaLR(lr=0.5, eps=1e-4), lin_f, [0.0], 20, grad=lin_g)\n"
            "r_one = run(Adadelta(eps=1e-4), lin_f, [0.0], 20, grad=lin_g)\n"
            "# the running average stores the unscaled step: lr scales the whole path\n"
            "assert np.allclose(r_half.thetas, 0.5 * r_one.thetas, rtol=1e-12, atol=0)\n"
        ),
    },
    "ex-adadelta-3": {
        "define": (
            "Define `final_abs`, a `dict` whose keys are the six values of $L$ as Python "
            "`float`s, $0.5, 1.5, 1.9, 2.1, 3.0, 10.0$, and whose values are the final "
            "$|\\theta|$, also as `float`s."
        ),
        "hidden": ["final_abs[L_] < 1e-100", "final_abs[L_] > 1e-2"],
    },
}
