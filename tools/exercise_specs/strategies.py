# Edited in book/strategies.ipynb before converting: a visible structural assert after
# ### END SOLUTION in ex-4 (the keys of `gap`, `acc_gap`, `shuffled_loss`), because every
# original assert there gives the measured outcome away and is hidden.
SPECS = {
    "ex-strategies-1": {
        "given": [
            'u, v = sp.symbols("u v", real=True)',
            'd1, d2, gm = sp.symbols("d1 d2 gamma", real=True)',
        ],
        "define": (
            "Work with the given SymPy symbols `u`, `v` ($z_1$, $z_2$), `d1`, `d2` (the "
            "upstream gradients $\\partial L / \\partial y_1$, $\\partial L / \\partial y_2$) "
            "and `gm` ($\\gamma$). Define `zhat2`, the list $[\\hat z_1, \\hat z_2]$ of two "
            "SymPy expressions in `u` and `v`, and `grad2`, the list "
            "$[\\partial L / \\partial z_1, \\partial L / \\partial z_2]$ of two SymPy "
            "expressions."
        ),
    },
    "ex-strategies-2": {
        "given": [
            "from gdlib import Optimizer  # noqa: E402",
            "from gdlib.base import nonnegative, positive  # noqa: E402",
        ],
        "define": (
            "Define the class `NoisyGD`, and `mine` and `theirs`, the results of "
            "`gdlib.run` for `NoisyGD(1e-3, 0.3, 0.55, seed=5)` and for `gdlib.GD(1e-3)` "
            "with the gradient wrapped in `GradientNoise(0.3, 0.55, seed=5)` (the `grad` "
            "argument of `gdlib.run`)."
        ),
        "extra_hidden": (
            "mine_h = gdlib.run(NoisyGD(2e-3, 0.5, 0.3, seed=7), gdlib.beale, [1.0, 1.5], 30)\n"
            "theirs_h = gdlib.run(\n"
            "    gdlib.GD(2e-3),\n"
            "    gdlib.beale,\n"
            "    [1.0, 1.5],\n"
            "    30,\n"
            "    grad=GradientNoise(0.5, 0.3, seed=7)(gdlib.beale.grad),\n"
            ")\n"
            "assert np.allclose(mine_h.thetas, theirs_h.thetas, rtol=0, atol=1e-12)\n"
        ),
    },
    "ex-strategies-3": {
        "define": (
            "Train as in that section: `fit` with `gdlib.GD(0.1)` on `mlp`, `X_tr` and "
            "`y_tr`, batches of 20, at most 150 epochs, seed 0 and validation on "
            "`(X_va, y_va)`. Define `by_patience`, a dict that maps each patience (an "
            "`int`) to a tuple `(stopped_epoch, best_epoch, accuracy)`: the two `int` "
            "epochs of the run and the test accuracy on `X_test`, `y_test` as a `float`."
        ),
        "hidden": ["== best for p", "len({by_patience"],
    },
    "ex-strategies-4": {
        "define": (
            "Run the sorted SGD on `X[by_label]`, `y[by_label]` and the shuffled one on `X`, "
            "`y` with `seed=0`, both with `softmax` from its default start. Define three "
            "dicts that map $\\eta$ (`0.05` and `0.005`) to `float`s: `gap`, the Euclidean "
            "distance between the final parameters of the two runs; `acc_gap`, the shuffled "
            "run's test accuracy minus the sorted run's; and `shuffled_loss`, the shuffled "
            "run's training loss in its last epoch (`epoch_losses[-1]`)."
        ),
        "hidden": ["gap[0.05]", "shuffled_loss[0.005]"],
    },
}
