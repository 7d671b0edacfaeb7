SPECS = {
    "ex-adamax-1": {
        "given": ['t_sym = sp.symbols("t", positive=True, integer=True)'],
        "define": (
            "Use the chapter's positive symbols `p` and `s` and the given symbol `t_sym` "
            "($t$). Define `lim_correction`, the limit of the factor as $p \\to \\infty$, as "
            "a SymPy expression."
        ),
    },
    "ex-adamax-2": {
        "given": ['b1s, b2s, k_sym = sp.symbols("beta_1 beta_2 k", positive=True)'],
        "replace": [
            (
                "and its limit for $t \\to \\infty$ at the defaults.",
                "and its limit for $t \\to \\infty$\nat the defaults $\\beta_1 = 0.9$, "
                "$\\beta_2 = 0.999$.",
            )
        ],
        "define": (
            "Use the given symbols `b1s`, `b2s` ($\\beta_1$, $\\beta_2$) and `k_sym` "
            "($k$), and `t_sym` ($t$) from the previous exercise. Define `B_inf`, the "
            "limit at the defaults as an exact SymPy number (with `R`, the chapter's "
            "`sp.Rational`); `step_len`, the list of the 50 step lengths "
            "$|\\theta_{t+1} - \\theta_t|$ of `gdlib.AdaMax` with $\\eta = 1$ and the "
            "default $\\beta$s; and `bound`, the list of the 50 values $B_1, \\dots, B_{50}$ "
            "at the defaults, both lists of Python `float`s."
        ),
        "hidden": ["B_inf == R(111, 110)", "abs(bound[0] - 1)"],
    },
    "ex-adamax-3": {
        "replace": [
            (
                "for 200 steps on Beale's\nfunction to $10^{-12}$, and measure",
                "for 200 steps on Beale's\nfunction (`gdlib.beale`) from $(1, 1.5)$ with "
                "$\\eta = 0.01$ to $10^{-12}$, and\nmeasure",
            )
        ],
        "define": (
            "Write it as `torch_adamax(grad, theta0, steps, lr=0.002, beta1=0.9, "
            "beta2=0.999, eps=1e-8)`, which returns the iterates, start included, as a "
            "NumPy array of shape `(steps+1, d)`. Define `exact_gap` and `default_gap`, the "
            "largest absolute coordinate difference from the `gdlib.AdaMax` iterates with "
            "$\\epsilon = 0$ and with $\\epsilon = 10^{-8}$, as Python `float`s."
        ),
        "hidden": ["default_gap < 1e-6"],
        "extra_hidden": (
            "path_h = torch_adamax(\n"
            "    gdlib.ravine.grad, [3.0, -1.0], 30, lr=0.05, beta1=0.8, beta2=0.99, eps=0.0\n"
            ")\n"
            "ref_h = gdlib.run(\n"
            "    gdlib.AdaMax(eta=0.05, beta1=0.8, beta2=0.99), gdlib.ravine, [3.0, -1.0], 30\n"
            ").thetas\n"
            "assert np.max(np.abs(path_h - ref_h)) < 1e-12\n"
        ),
    },
    "ex-adamax-4": {
        "define": (
            "Use the default $\\beta_2 = 0.999$. Define `predicted`, the derived number of "
            "steps, and `first_back`, the number of steps after the spike until the first "
            "$u_t \\le 2$ in the run, both as Python `int`s."
        ),
        "hidden": ["predicted > 6000"],
    },
}
