SPECS = {
    "ex-nesterov-1": {
        "given": ['a = sp.Symbol("a", positive=True)'],
        "define": (
            "Use the chapter's SymPy symbol `gamma` ($\\gamma$) and the given positive "
            'symbol `a`. Define `limits`, a `dict` with the keys `"Momentum"` and '
            '`"NAG"` whose values are the largest stable $a$ as SymPy expressions in '
            "`gamma`. For the check, substitute $\\gamma = 0.9$ (keep the symbol `gamma`), turn the NAG limit into a "
            "learning rate $\\eta_{\\max} = a_{\\max}/L$ with `bowl.L`, and define `below` "
            "and `above`, the `gdlib.run` results (`Result` objects) of `NAG` with "
            "$\\gamma = 0.9$ and $\\eta = 0.99\\,\\eta_{\\max}$ and "
            "$\\eta = 1.01\\,\\eta_{\\max}$, on `bowl` from `theta0` for 3000 steps."
        ),
        "hidden": ['limits["Momentum"] - 2', 'limits["NAG"] - 2'],
    },
    "ex-nesterov-2": {
        "define": (
            "`nag_torch_style` returns the iterates as a NumPy array of shape "
            "`(steps+1, 2)` (the start included) and the final buffer, an array of shape "
            "`(2,)`. Run it on `bowl` from `theta0` with `lr=eta_main` and "
            "`mu=gamma_main` and define `torch_path` and `torch_buf`, the two arrays it "
            "returns after 100 steps."
        ),
        "extra_hidden": (
            "path_h, buf_h = nag_torch_style(np.array([3.0, -1.0]), bowl.grad, 0.005, 0.8, 30)\n"
            "opt_h, theta_h = NAG(eta=0.005, gamma=0.8), np.array([3.0, -1.0])\n"
            "for _ in range(30):\n"
            "    opt_h.step(theta_h, bowl.grad)\n"
            "assert np.allclose(path_h[-1], theta_h - 0.8 * opt_h.v, rtol=0, atol=1e-12)\n"
            "assert np.allclose(0.005 * buf_h, opt_h.v, rtol=0, atol=1e-12)\n"
        ),
    },
    "ex-nesterov-3": {
        "given": ['th0 = sp.Symbol("theta_0")'],
        "define": (
            "Use the given symbol `th0` ($\\theta_0$) and the chapter's symbols `eta` and "
            '`gamma`. Define `iterates`, a `dict` with the keys `"Momentum"` and '
            '`"NAG"` whose values are lists of the three simplified SymPy expressions '
            "$\\theta_1, \\theta_2, \\theta_3$."
        ),
        "hidden": ['iterates["NAG"] == [0, 0, 0]', 'iterates["Momentum"][1]'],
    },
    "ex-nesterov-4": {
        "define": (
            "Run each method for 3000 steps and define `rb_steps`, a `dict` with the keys "
            '`"Momentum"` and `"NAG"` whose values are the step counts as Python '
            "`int`s (from `Result.steps_to` with `gdlib.rosenbrock.f_min`)."
        ),
        "hidden": ['rb_steps["NAG"] < rb_steps["Momentum"]'],
    },
}
