# Edited in book/frameworks.ipynb before converting: visible structural asserts after
# ### END SOLUTION in ex-1 (`len(leftover)`) and ex-3 (`rel_gap`, `s_max`), because every
# original assert there gives the answer away and is hidden.
SPECS = {
    "ex-frameworks-1": {
        "define": (
            "Work with the chapter's SymPy symbols `eta`, `gamma` and `d`, its gradients "
            "`g` (`g[0]` is $g_1$) and its `torch_buffer(d)`, which returns "
            "$[\\text{None}, b_1, \\dots, b_4]$. Define `leftover`, the list of the four "
            "SymPy expressions $\\eta b_t - v_t$ for $t = 1, \\dots, 4$, where $v_t$ is the "
            "book's momentum velocity at the learning rate $\\eta(1 - d)$."
        ),
        "hidden": ["leftover[t - 1]", "x.subs(d, 0)"],
    },
    "ex-frameworks-2": {
        "define": (
            'Run `N_STEPS` steps at `lr=0.1` from the start of `PROBLEMS["cancer"]`, whose '
            "entries are the gradient function and the start. Define the function "
            "`torch_adagrad`, and the final "
            "$\\theta$ of three runs, each a NumPy array: `book_final`, the book's Adagrad "
            '(the chapter\'s `adagrad("cancer")` returns its iterates); `mapped_final`, '
            "`torch_adagrad` through the mapping; and `naive_final`, `torch_adagrad` with "
            "`init=0` and `eps` $= \\epsilon$ (`EPS`)."
        ),
        "hidden": ["1e-7 < np.abs(naive_final"],
        "extra_hidden": (
            'grad_h, theta0_h = PROBLEMS["ravine"]\n'
            "ref_h = trajectory(\n"
            '    TorchAdagrad(lr=0.3, eps=1e-3, initial_accumulator_value=0.5), "ravine", 50\n'
            ")[-1]\n"
            "mine_h = torch_adagrad(theta0_h, grad_h, 50, lr=0.3, eps=1e-3, init=0.5)\n"
            "assert np.abs(mine_h - ref_h).max() < 1e-12\n"
        ),
    },
    "ex-frameworks-3": {
        "given": ["loss_scales = 10.0 ** np.arange(-10, 0.25, 0.5)"],
        "define": (
            'Use the chapter\'s `GAMMA` and `EPS`, `cancer_grad`, `loss_of["cancer"]` and '
            '`TorchRMSprop`, from the start `PROBLEMS["cancer"][1]`, for `N_STEPS` steps, '
            "and the given scales `loss_scales`. Define `final_losses(s)`, which returns the "
            "pair (book, PyTorch) of final training losses at scale `s`; `rel_gap`, the "
            "array of $|J_{\\text{book}} - J_{\\text{PyTorch}}|/J_{\\text{PyTorch}}$ at each "
            "scale; `s_max`, the largest scale at which it exceeds 1 %; `g_start`, the "
            "array of the absolute values of the unscaled gradient's coordinates at the "
            "start; and `threshold`, $\\sqrt{\\epsilon/(1 - \\gamma)}$ as a `float`."
        ),
        "hidden": ["1e-3 <= s_max", "< threshold <", "final_losses(1e-8)"],
    },
    "ex-frameworks-4": {
        "define": (
            "Define `t10` and `t1`, the smallest numbers of steps $t$ (Python `int`s) at "
            "which the factor $1/\\sqrt{1 - \\beta_2^t}$ is at most 1.1 and at most 1.01."
        ),
        "hidden": ["1700 < t10"],
    },
    "ex-frameworks-5": {
        "define": (
            "Define `inverse_factor(k)`, the learning rate of step `k` (counted from 0, as "
            "the `schedule` argument of the chapter's `trajectory` expects), and `fixed`, a "
            "dict that maps each problem name in `PROBLEMS` to the largest absolute "
            "difference (a `float`) between the scheduled `TorchAdam` iterates and those of "
            "`gdlib.AMSGrad(ETA, 0.9, 0.999, 0.0)` over `N_STEPS` steps."
        ),
        "extra_hidden": (
            "long_h = trajectory(\n"
            "    TorchAdam(lr=ETA, eps=0.0, amsgrad=True),\n"
            '    "ravine",\n'
            "    300,\n"
            "    schedule=inverse_factor,\n"
            '    lr_name="lr",\n'
            ")\n"
            'ref_h = trajectory(gdlib.AMSGrad(ETA, 0.9, 0.999, 0.0), "ravine", 300)\n'
            "assert np.abs(long_h - ref_h).max() < 1e-12\n"
        ),
    },
}
