SPECS = {
    "ex-variants-1": {
        "given": [
            'V, eta_s, s2 = sp.symbols("V eta sigma2", positive=True)',
            "x_feature = X[:, 1]",
        ],
        "define": (
            "Work with the given positive symbols `V`, `eta_s` ($\\eta$) and `s2` "
            "($\\sigma^2$) and the given feature column `x_feature` (the $x_i$). Define "
            "`V_stationary`, the stationary variance as a SymPy expression in `eta_s` and "
            "`s2`; `V_predicted`, its value for $\\eta = 0.1$ and $\\sigma^2 = 1$, a `float`; "
            "and `V_measured`, the variance of the 4000 chains, all started at $\\theta = 0$, "
            "after 300 steps, a `float`. Say in the cell below the tests what this variance "
            "means for SGD with a constant $\\eta$."
        ),
        "hidden": ["eta_s * s2 / (2 - eta_s)"],
    },
    "ex-variants-2": {
        "define": (
            "Use the chapter's integer symbol `t`. Define `both`, a `dict` that maps each "
            "power $p$, as a SymPy number (`sp.Rational(2, 5)`, ..., `sp.Integer(1)`, ...), "
            "to a `bool`: whether both conditions hold; and `rejected`, a `bool`: `True` if "
            "`gdlib.robbins_monro(0.1, 10, power=1.2)` raises a `ValueError`. Answer the two "
            "questions in the cell below the tests."
        ),
        "hidden": ["assert both ==", "assert rejected"],
    },
    "ex-variants-3": {
        "define": (
            "Define `my_minibatch_sgd(model, X, y, b, eta, epochs, seed)`, which starts from "
            "`model.init(X.shape[1])` and returns `(theta, batch_losses)`: the final "
            "parameters, a NumPy array of shape `(X.shape[1],)`, and the loss of each batch "
            "at the parameters before its update, a NumPy array with one entry per update. "
            "Define `mine_theta` and `mine_losses`, its two results for that check."
        ),
        "hidden": ["reference"],
        "extra_hidden": (
            "theta_h, losses_h = my_minibatch_sgd(\n"
            "    model, X, y, b=16, eta=0.05, epochs=1, seed=2\n"
            ")\n"
            "ref_h = gdlib.train(\n"
            "    gdlib.GD(0.05), model, X, y, batch_size=16, epochs=1, seed=2, progress=False\n"
            ")\n"
            "assert np.allclose(theta_h, ref_h.theta, rtol=0, atol=1e-12)\n"
            "assert np.allclose(losses_h, ref_h.step_losses, rtol=0, atol=1e-12)\n"
        ),
    },
    "ex-variants-4": {
        "define": (
            "The chapter's `first_epoch_below(res, level)` finds the epoch. Define "
            "`epochs_needed` and `updates_needed`, two `dict`s that map each $b$ (an `int`) "
            "to that first epoch and to the number of updates, both `int`s. Give your "
            "observations in the cell below the tests."
        ),
        "hidden": ["spread", "epochs_needed[128]"],
    },
}
