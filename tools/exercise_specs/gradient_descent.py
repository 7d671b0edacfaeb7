SPECS = {
    "ex-gradient-descent-1": {
        "given": [
            'psi = sp.Symbol("psi", real=True)',
            "grad_at = sp.Matrix(gdlib.rosenbrock.gradient_expr).subs("
            "{x: -1, y: sp.Rational(3, 2)})",
        ],
        "define": (
            "Work with the given real symbol `psi` ($\\psi$) and the given gradient "
            "`grad_at`, $\\nabla J(\\theta_0)$ as a $2 \\times 1$ SymPy `Matrix`. Define `D`, "
            "the slope $D(\\psi)$ as a SymPy expression in `psi`; `psi_min`, the "
            "solution you keep, a SymPy expression; and `u_min`, the direction $u$ at "
            "`psi_min` as a $2 \\times 1$ SymPy `Matrix`."
        ),
    },
    "ex-gradient-descent-2": {
        "given": ['mu, L_s, kappa = sp.symbols("mu L kappa", positive=True)'],
        "define": (
            "Work with the given positive symbols `mu`, `L_s` and `kappa` ($\\mu$, $L$, "
            "$\\kappa$) and the chapter's symbol `eta` ($\\eta$). Define `eta_opt`, the best "
            "$\\eta$ as a SymPy expression in `mu` and `L_s`, and `rate_opt`, the factor it "
            "achieves as a SymPy expression in `kappa` alone. Start the run at $(8, 0)$, take "
            "20 steps, and define `measured`, the 20 ratios $x_{k+1}/x_k$ of consecutive "
            "$x$ coordinates, a NumPy array of shape `(20,)`. Say in the cell below the "
            "tests what the best factor means for the speed when $\\kappa$ is large."
        ),
        "hidden": ["2 / (mu + L_s)", "(kappa - 1) / (kappa + 1)", "49 / 51"],
    },
    "ex-gradient-descent-3": {
        "define": (
            "Define `armijo_step` with that signature (`theta` a NumPy array, the result a "
            "NumPy array of the same shape) and `mine`, your 201 iterates including the "
            "start, a NumPy array of shape `(201, 2)`."
        ),
        "hidden": ["reference"],
        "extra_hidden": (
            "theta_h = np.array([1.0, 1.5])\n"
            "for _ in range(30):\n"
            "    eta_h = gdlib.backtracking(\n"
            "        gdlib.beale.f, gdlib.beale.grad, theta_h, eta0=0.3, c=0.2, rho=0.7\n"
            "    )\n"
            "    step_h = theta_h - eta_h * gdlib.beale.grad(theta_h)\n"
            "    mine_h = armijo_step(\n"
            "        gdlib.beale.f, gdlib.beale.grad, theta_h, eta0=0.3, c=0.2, rho=0.7\n"
            "    )\n"
            "    assert np.allclose(mine_h, step_h, rtol=0, atol=1e-12)\n"
            "    theta_h = step_h\n"
        ),
    },
    "ex-gradient-descent-4": {
        "define": (
            "Define `max_err`, the five largest distances in the order of the $\\eta$ above "
            "(a list or NumPy array of `float`s), and `slope`, the fitted slope, a `float`. "
            "Say in the cell below the tests what slope you expect and why."
        ),
        "hidden": ["0.9 < slope < 1.1"],
    },
}
