SPECS = {
    "ex-rmsprop-1": {
        "given": ['gc = sp.Symbol("g", positive=True)'],
        "define": (
            "Use the chapter's SymPy symbols `eta`, `gamma`, `eps` and `t` and the given "
            "positive symbol `gc` ($g$). Define `first_over_limit`, the ratio of the first "
            "step to the limiting step for $\\epsilon = 0$ as a SymPy expression in "
            "`gamma`, and `values`, a `dict` that maps the Python `float`s `0.9` and "
            "`0.99` to that ratio as a `float`."
        ),
        "hidden": ["first_over_limit - 1", "values[0.9] - np.sqrt(10)"],
    },
    "ex-rmsprop-2": {
        "replace": [
            (
                "and run it on the cancelling mini-batches.",
                "and run it on the cancelling mini-batches\n(`cancel_run`) with "
                "$\\eta = 0.001$ and $\\gamma = 0.99$.",
            )
        ],
        "define": (
            "Name the class `CenteredRMSprop`, with the keyword arguments `eta=0.001`, "
            "`gamma=0.9` and `eps=1e-8`. "
            "Define `first`, the first "
            "step $\\theta_1 - \\theta_0$ from $\\theta_0 = 0$ for a one-parameter model "
            "with the gradient $g = 0.5$ and the default hyperparameters, and "
            "`expected_first`, the hand-derived value with its sign, both as Python "
            "`float`s; and `centered_w`, the average of the last 1000 iterates on the "
            "cancelling mini-batches (as in `where` above), a `float`."
        ),
        "hidden": ["abs(centered_w) < 0.3 * abs(sign_w)"],
        "extra_hidden": (
            "assert abs(first + 0.001 * 0.5 / np.sqrt(0.9 * 0.1 * 0.25 + 1e-8)) < 1e-15\n"
            "opt_h, theta_h = CenteredRMSprop(eta=0.01, gamma=0.8), np.array([1.0, -2.0])\n"
            "ref_h, Eg_h, Eg2_h = theta_h.copy(), np.zeros(2), np.zeros(2)\n"
            "for _ in range(5):\n"
            "    g_h = gdlib.ravine.grad(ref_h)\n"
            "    Eg_h, Eg2_h = 0.8 * Eg_h + 0.2 * g_h, 0.8 * Eg2_h + 0.2 * g_h**2\n"
            "    ref_h = ref_h - 0.01 * g_h / np.sqrt(Eg2_h - Eg_h**2 + 1e-8)\n"
            "    opt_h.step(theta_h, gdlib.ravine.grad)\n"
            "assert np.max(np.abs(theta_h - ref_h)) < 1e-12\n"
        ),
    },
    "ex-rmsprop-3": {
        "define": (
            'Define `beale_best`, a `dict` with the keys `"Adagrad"` and `"RMSprop"` '
            "whose values are the lowest final losses over the grid as Python `float`s "
            "(count a run that ends with a non-finite loss as `np.inf`)."
        ),
        "hidden": ['beale_best["Adagrad"] < 1e-3'],
    },
}
