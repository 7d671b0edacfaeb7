SPECS = {
    "ex-nadam-1": {
        "given": [
            'mp, gg, b, e_ = sp.symbols("m_prev g beta eta", real=True)',
        ],
        "define": (
            "Work with the given SymPy symbols `mp` ($m_{t-1}$), `gg` ($g_t$), `b` "
            "($\\beta_1$) and `e_` ($\\eta$). Define `lookahead_step`, the step of the "
            "look-ahead rule in terms of $m_{t-1}$, and `qhm_step`, the step of quasi-hyperbolic momentum with "
            "$\\nu = \\beta_1$, both as SymPy expressions in these symbols, and say in the "
            "answer cell below the tests what the identity means."
        ),
        "extra_hidden": (
            "assert sp.expand(lookahead_step - e_ * (b * (b * mp + (1 - b) * gg) + (1 - b) * gg)) == 0\n"
        ),
    },
    "ex-nadam-2": {
        "replace": [
            (
                "on the ravine ($\\eta = 0.3$) to reach a loss of\n$10^{-8}$, compared",
                "on the ravine from\n$(-8, 2)$ ($\\eta = 0.3$) to reach a loss of $10^{-8}$, compared",
            )
        ],
        "define": (
            "Define `proper_first`, the first step divided by $\\eta$ as a SymPy "
            "expression in the chapter's symbol `beta1`, and the Python `int`s `k_proper` "
            "and `k_book`, the number of steps after which the loss is first at most "
            "$10^{-8}$, for the proper correction and for the book's Nadam (its entry in `table`)."
        ),
        "hidden": ["k_proper", "k_book"],
        "extra_hidden": (
            'assert k_book == table["ravine", 0.3, "Nadam"][0]\n'
            "assert abs(k_proper - 135) <= 1\n"
        ),
    },
    "ex-nadam-3": {
        "replace": [
            (
                "on the ravine ($\\eta = 0.3$): in which step is it largest, how large does it get, and how large\nis it typically?",
                "on the ravine from $(-8, 2)$ ($\\eta = 0.3$): in which step is it largest, how large does it\nget, and how large is it typically?",
            )
        ],
        "define": (
            "Define `rel`, a NumPy array of shape `(100,)` whose entry $t - 1$ is "
            "$\\|\\text{extra term}\\| / \\|\\hat m_t\\|$ in step $t$, and answer the three "
            "questions in the answer cell below the tests."
        ),
        "hidden": ["rel[0]", "np.median(rel)"],
        "extra_hidden": "assert abs(np.median(rel) - 0.1663) < 1e-3\n",
    },
}
