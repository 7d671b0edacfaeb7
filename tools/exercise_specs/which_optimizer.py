# Edited in book/which_optimizer.ipynb before converting: a visible structural assert
# after ### END SOLUTION in ex-2 (`set(ill_escape)`) and ex-3 (`set(by_grid)`), because
# every original assert of those exercises gives the measured outcome away and is hidden.
SPECS = {
    "ex-which-optimizer-1": {
        "replace": [
            (
                "Check it with `gdlib.run`.",
                "Check it with `gdlib.run`\nfrom `START`, $(-8, 2)$.",
            )
        ],
        "given": ['k = sp.symbols("k", positive=True)'],
        "define": (
            "Work with the given SymPy symbol `k`. Define `K_steps`, $K$ as a Python `int`, "
            "and `d`, the distances to the minimum $(0, 0)$ of the `gdlib.GD` run at "
            "$\\eta^\\star$ for `K_steps` steps, a NumPy array of length `K_steps + 1` that "
            "includes the start."
        ),
        "hidden": ["K_steps == 346"],
    },
    "ex-which-optimizer-2": {
        "given": ["x, y = gdlib.surfaces.x, gdlib.surfaces.y"],
        "define": (
            "Build the surface from the given SymPy symbols `x` and `y` ($\\theta_1$, "
            "$\\theta_2$). Tune as the $\\eta$-only live run does, with `B.tune` on seed 0, and "
            "evaluate the tuned $\\eta$ with `B.evaluate` on seeds 100, 101 and 102. Define "
            '`ill_escape`, a dict that maps `"GD"` and `"Adam"` to a tuple `(eta, steps)`: '
            "the tuned $\\eta$ as a `float` and the mean number of steps to the target."
        ),
        "hidden": ["ill_escape["],
    },
    "ex-which-optimizer-3": {
        "define": (
            "Tune with `B.tune` on seed 0 and evaluate the tuned $\\eta$ with `B.evaluate` "
            "on seeds 100, 101 and 102, as the $\\eta$-only live run does. Define `by_grid`, a dict "
            'that maps each pair (`grid`, `method`), with `grid` one of `"1 per decade"` and '
            '`"3 per decade"` and `method` one of `"GD"` and `"Adagrad"`, to a tuple '
            "`(eta, gap)` of the tuned $\\eta$ and the mean gap, both `float`s."
        ),
        "hidden": ["by_grid[("],
    },
    "ex-which-optimizer-4": {
        "replace": [
            (
                "at\ntheir tuned rates (seed 100) and measure the loss and accuracy on the held-out digits. Does\n",
                "at\ntheir tuned rates of the $\\eta$-only live run (`L`), with `B.run_problem` and seed 100, and measure\n"
                "the loss and accuracy on the held-out digits. Does\n",
            )
        ],
        "given": [
            "from gdlib.mlp import MLP",
            "digits = gdlib.load_mnist_5k(downsample=2)  # the MLP problem's data: MNIST-5k at 14 × 14",
            'net = MLP(digits.n_features, hidden=(32,), n_classes=10, activation="tanh")',
        ],
        "define": (
            "The given `digits` and `net` are the data and the network of the benchmark's "
            'MLP problem. Define `held_out`, a dict that maps `"GD"`, `"RMSprop"` and '
            '`"Adam"` to a dict with the `float`s `"train"` (the final training loss), '
            '`"test"` (the loss on the held-out digits) and `"accuracy"` (the held-out '
            "accuracy, a fraction between 0 and 1)."
        ),
        "hidden": ["accs", 'v["test"] > 2'],
    },
}
