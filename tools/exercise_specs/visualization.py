SPECS = {
    "ex-visualization-1": {
        "given": ['y_prev, y_now = sp.symbols("y_prev y_now")'],
        "define": (
            "Use the chapter's SymPy symbols `eta`, `gamma` and `rho` and the given "
            "symbols `y_prev` and `y_now` ($\\theta_{2,t-1}$ and $\\theta_{2,t}$). Define "
            "`char_nag`, the characteristic polynomial as a SymPy expression of the form "
            "$\\rho^2 - a\\rho - b$, `rho_nag`, NAG's growth factor for $\\eta = 0.01$ and "
            "$\\gamma = 0.9$ as a SymPy number, and `nag_rate`, the ratio "
            "$\\theta_{2,120}/\\theta_{2,119}$ of a 120-step `gdlib.NAG` run from the "
            "chapter's `SADDLE_START` $(1, 10^{-3})$, as a `float`. Answer the question in "
            "the answer cell below the tests."
        ),
        "hidden": ["char_nag - (rho**2", 'rate["Momentum"]'],
        "extra_hidden": "assert abs(float(rho_nag) - 1.113779) < 1e-6\n",
    },
    "ex-visualization-2": {
        "define": (
            "Let `radius` default to 0.1 and let `summary` return a `dict` that maps each "
            "racer's label to a pair `(step, length)`, an `int` and a `float`, or "
            "`(None, None)`. Define `beale_summary`, its result for the chapter's "
            "`beale_race` with `target` the minimum `beale.minimum`. In the answer cell "
            "below the tests, give a lower bound that every path length in "
            "`beale_summary` must respect, a check on any path-length code."
        ),
        "hidden": ["straight"],
        "extra_hidden": (
            "# against the chapter's reach and a direct path length, and with another radius\n"
            'r_h = beale_race["NAG"]\n'
            "k_h = reach(r_h, beale.minimum)\n"
            'assert beale_summary["NAG"][0] == k_h\n'
            "len_h = np.linalg.norm(np.diff(r_h.thetas[: k_h + 1], axis=0), axis=1).sum()\n"
            'assert abs(beale_summary["NAG"][1] - len_h) < 1e-9\n'
            'assert summary(beale_race, beale.minimum, 0.5)["NAG"][0] == 18\n'
        ),
    },
    "ex-visualization-3": {
        "replace": [
            (
                "$\\epsilon = 10^{-14}$. Compare",
                "$\\epsilon = 10^{-14}$ for 100 steps. Compare",
            )
        ],
        "define": (
            "Define the `dict`s `first_dy` and `left_tiny`, keyed by the labels "
            '`"eps=1e-8"` and `"eps=1e-14"`: the length of the first step in '
            "$\\theta_2$ as a `float`, and the step at which the run leaves the saddle as an "
            "`int` (as the chapter's `leaves` counts it). Give the explanation in the "
            "answer cell below the tests."
        ),
        "hidden": [
            'first_dy["eps=1e-14"] > 0.49',
            "abs(first_dy",
            'left_tiny["eps=1e-14"]',
        ],
    },
    "ex-visualization-4": {
        "define": (
            "Define `momentum_first`, a `list` of triples `(start, k_momentum, k_nag)`: "
            "the start as a key of the chapter's `map_races`, and the first steps within "
            "0.1 of the minimum of Momentum and NAG (`int`s; `k_nag` is `None` if NAG "
            "never gets there). Describe the race in the answer cell below the tests."
        ),
        "hidden": ["np.median(leads)"],
        "extra_hidden": (
            "assert sorted(s for s, _, _ in momentum_first) == [\n"
            "    (0.5, 0.0), (1.0, -1.0), (1.0, -0.5), (1.5, -0.5), (1.5, 0.0),\n"
            "    (2.0, 0.0), (3.5, 0.5), (3.5, 0.75), (3.5, 1.0),\n"
            "]\n"
        ),
    },
}
