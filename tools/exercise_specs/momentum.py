SPECS = {
    "ex-momentum-1": {
        "given": [
            'lam, z = sp.symbols("lambda z", positive=True)',
            'th_prev, th_now = sp.symbols("theta_prev theta_now")',
        ],
        "define": (
            "Work with the given symbols `lam` ($\\lambda$), `z`, `th_prev` "
            "($\\theta_{t-1}$) and `th_now` ($\\theta_t$) and the chapter's `eta` and "
            "`gamma`. Define `th_next`, $\\theta_{t+1}$ derived from the update as a SymPy "
            "expression in these symbols; `critical`, the `list` of the values of $\\gamma$ "
            "with a double root that `sp.solve` returns; and `gamma_crit`, the one below 1, "
            "a SymPy expression in `eta` and `lam`. Say in the cell below the tests how the "
            "iterates behave below and above critical damping."
        ),
        "extra_hidden": (
            "assert sp.simplify(gamma_crit - (1 - sp.sqrt(eta * lam)) ** 2) == 0\n"
        ),
    },
    "ex-momentum-2": {
        "define": (
            "Define `ewa_momentum`, which returns the iterates including `theta0` as a NumPy "
            "array of shape `(steps + 1, len(theta0))`, and `ewa_path`, its iterates for "
            "$\\eta = 0.02$ and $\\gamma = 0.9$ from the chapter's start `theta0`, "
            "$(-9, 2)$, a NumPy array of shape `(101, 2)`. Explain in the cell below the tests "
            "why the two methods agree."
        ),
        "extra_hidden": (
            "path_h = ewa_momentum(np.array([1.0, -2.0]), ravine.grad, 0.01, 0.5, 30)\n"
            "ref_h = run(Momentum(eta=0.01, gamma=0.5), ravine, [1.0, -2.0], steps=30).thetas\n"
            "assert np.allclose(path_h, ref_h, rtol=0, atol=1e-12)\n"
        ),
    },
    "ex-momentum-3": {
        "define": (
            "Define `steps_needed`, a `dict` that maps each $\\gamma$ (the `float`s above) to "
            "its number of steps, an `int` (`steps_to(1e-8, ravine.f_min)` of a `gdlib.run` "
            "result gives it), and `best_gamma`, the fastest $\\gamma$, a `float`. Answer the "
            "two questions in the cell below the tests."
        ),
        "hidden": [
            "best_gamma not in",
            "0.25 * steps_needed",
            "steps_needed[0.95] >",
            "80 <= steps_needed",
        ],
    },
    "ex-momentum-4": {
        "given": ['n = sp.Symbol("n", positive=True)'],
        "define": (
            "Work with the given positive symbol `n` and the chapter's `gamma` ($\\gamma$), "
            "`v_const` and `terminal`. Define `n_formula`, the real $n$ at which the velocity "
            "reaches 99 % of its terminal value, a SymPy expression in `gamma`, and `n_09` "
            "and `n_099`, the whole numbers of steps for $\\gamma = 0.9$ and $\\gamma = 0.99$ "
            "(rounded up), both `int`s."
        ),
        "hidden": ["(n_09, n_099) =="],
        "extra_hidden": (
            "n_half = float(n_formula.subs(gamma, sp.Rational(1, 2)))\n"
            "assert abs(n_half - np.log(0.01) / np.log(0.5)) < 1e-9\n"
        ),
    },
}
