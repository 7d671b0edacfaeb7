"""gdlib: the gradient-descent optimizers of the book, written like its equations.

>>> import numpy as np, gdlib
>>> opt = gdlib.Momentum(eta=0.1, gamma=0.9)
>>> theta = opt.step(np.array([1.0, 2.0]), lambda th: 2 * th)
>>> theta, opt.v
(array([0.8, 1.6]), array([0.2, 0.4]))
"""

from . import animation, benchmark, parallel, plotting, strategies, theory
from .averages import ewa, ewa_weights
from .base import Hyper, NonFiniteError, Optimizer
from .data import (
    Dataset,
    add_bias,
    load_breast_cancer,
    load_digits,
    make_classification,
    make_linear_regression,
    make_sparse_features,
)
from .driver import Result, run
from .mlp import MLP
from .models import (
    LinearRegression,
    LogisticRegression,
    SoftmaxRegression,
    numerical_gradient,
)
from .optimizers import (
    GD,
    NAG,
    QHM,
    Adadelta,
    Adagrad,
    Adam,
    AdaMax,
    AdamW,
    AggMo,
    AMSGrad,
    Momentum,
    Nadam,
    NesterovAGD,
    Newton,
    Preconditioned,
    QHAdam,
    RMSprop,
)
from .optimizers import (
    LAMB,
    LARS,
    Lion,
    Lookahead,
    Prodigy,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
    Sophia,
)
from .schedules import (
    LineSearchError,
    backtracking,
    constant,
    exponential_decay,
    golden_section,
    log_grid,
    robbins_monro,
    step_decay,
    time_based_decay,
)
from .surfaces import (
    SURFACES,
    Surface,
    beale,
    quadratic,
    ravine,
    rosenbrock,
    rotated_ravine,
    saddle,
)
from .training import TrainResult, minibatches, train

__version__ = "0.1.0"

#: Every optimizer class of the book, in the order the book introduces them.
OPTIMIZERS = [
    GD,
    Momentum,
    NAG,
    Adagrad,
    Adadelta,
    RMSprop,
    Adam,
    AdaMax,
    Nadam,
    AMSGrad,
    AdamW,
    QHM,
    QHAdam,
    AggMo,
    LARS,
    LAMB,
    Lookahead,
    Lion,
    Sophia,
    ScheduleFreeSGD,
    ScheduleFreeAdamW,
    Prodigy,
]

__all__ = [
    "Optimizer",
    "Hyper",
    "NonFiniteError",
    "OPTIMIZERS",
    "GD",
    "Momentum",
    "NAG",
    "Adagrad",
    "Adadelta",
    "RMSprop",
    "Adam",
    "AdaMax",
    "Nadam",
    "AMSGrad",
    "AdamW",
    "QHM",
    "QHAdam",
    "AggMo",
    "NesterovAGD",
    "Newton",
    "Preconditioned",
    "LARS",
    "LAMB",
    "Lookahead",
    "Lion",
    "Sophia",
    "ScheduleFreeSGD",
    "ScheduleFreeAdamW",
    "Prodigy",
    "Surface",
    "quadratic",
    "ravine",
    "rotated_ravine",
    "rosenbrock",
    "beale",
    "saddle",
    "SURFACES",
    "Result",
    "run",
    "TrainResult",
    "train",
    "minibatches",
    "Dataset",
    "add_bias",
    "load_breast_cancer",
    "load_digits",
    "make_linear_regression",
    "make_classification",
    "make_sparse_features",
    "LinearRegression",
    "LogisticRegression",
    "SoftmaxRegression",
    "MLP",
    "numerical_gradient",
    "constant",
    "time_based_decay",
    "step_decay",
    "exponential_decay",
    "robbins_monro",
    "LineSearchError",
    "backtracking",
    "golden_section",
    "log_grid",
    "ewa",
    "ewa_weights",
    "plotting",
    "animation",
    "benchmark",
    "parallel",
    "strategies",
    "theory",
]
