SPECS = {
    "ex-amsgrad-1": {
        "given": [
            'g1 = sp.symbols("g_1", positive=True)',
            'b1s, b2s, etas = sp.symbols("beta_1 beta_2 eta", positive=True)',
        ],
        "define": (
            "Work with the given SymPy symbols `g1` ($g_1$), `b1s`, `b2s` ($\\beta_1$, "
            "$\\beta_2$) and `etas` ($\\eta$). Define `ratio_first`, the ratio of the "
            "book's first step to PyTorch's as a SymPy expression in these symbols, and "
            "`ratio_default`, its value for the defaults as a Python `float`, and say in "
            "the answer cell below the tests what the ratio means for the first step."
        ),
        "hidden": ["ratio_default"],
    },
    "ex-amsgrad-2": {
        "define": (
            "Define the class `TorchAMSGrad`, with the defaults `eta=0.001`, `beta1=0.9`, "
            "`beta2=0.999` and `eps=1e-8`; the tests run it with `gdlib.run` and with the "
            "chapter's `online`."
        ),
        "extra_hidden": (
            "# a run on which the maximum is active: against the update written out\n"
            "th_h = np.array([-8.0, 2.0])\n"
            "m_h = v_h = vmax_h = np.zeros(2)\n"
            "for k in range(1, 101):\n"
            "    g_h = gdlib.ravine.grad(th_h)\n"
            "    m_h = 0.9 * m_h + 0.1 * g_h\n"
            "    v_h = 0.99 * v_h + 0.01 * g_h**2\n"
            "    vmax_h = np.maximum(vmax_h, v_h)\n"
            "    th_h = th_h - 0.1 * (m_h / (1 - 0.9**k)) / (\n"
            "        np.sqrt(vmax_h / (1 - 0.99**k)) + 1e-8\n"
            "    )\n"
            "ours_h = gdlib.run(\n"
            "    TorchAMSGrad(eta=0.1, beta2=0.99), gdlib.ravine, [-8.0, 2.0], 100\n"
            ").thetas[-1]\n"
            "assert np.max(np.abs(ours_h - th_h)) < 1e-10\n"
        ),
    },
    "ex-amsgrad-3": {
        "define": (
            "Define `ends`, a `dict` that maps each $\\beta_2$ (the Python `float`s `0.1`, "
            "`0.9` and `0.999`) to the final point $x_{T+1}$ as a Python `float`, and "
            "answer the two questions in the answer cell below the tests."
        ),
        "hidden": ["ends[0.1]", "ends[0.9]"],
    },
    "ex-amsgrad-4": {
        "replace": [
            (
                "measured $R_T/T$ of Adam after 10,000 rounds.",
                "measured $R_T/T$ of Adam after 10,000 rounds (with $\\beta_1 = 0$,\n"
                "$\\beta_2 = 1/(1 + C^2)$, $\\epsilon = 0$ and $\\alpha = 0.1$, as in the "
                "chapter's run).",
            )
        ],
        "define": (
            "Define `regret_plus_one`, the exact average regret as a SymPy number, and "
            "`measured`, Adam's $R_T/T$ as a Python `float` (the chapter's `online` and "
            "`average_regret` compute it), and explain the value in the answer cell below "
            "the tests."
        ),
        "hidden": ["regret_plus_one == 2", "abs(measured - 2)"],
    },
}
