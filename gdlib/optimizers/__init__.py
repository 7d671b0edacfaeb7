r"""The optimizers of the book, each a line-by-line transcription of its update rule.

Split by theme (``import gdlib`` and ``gdlib.optimizers.<Name>`` are unchanged):

* :mod:`.classic` — GD, Momentum, NAG, NesterovAGD;
* :mod:`.adaptive` — Adagrad, Adadelta, RMSprop, Adam, AdaMax, Nadam, AMSGrad;
* :mod:`.recent` — AdamW, QHM, QHAdam, AggMo;
* :mod:`.second_order` — Newton, Preconditioned;
* :mod:`.matrix` — Shampoo, SOAP, Muon; :mod:`.adafactor` — Adafactor (matrix parameters;
  ``shapes``).
* :mod:`.layerwise` — LARS, LAMB (one trust ratio per layer);
* :mod:`.modern` — Lookahead, Lion, Sophia, ScheduleFreeSGD, ScheduleFreeAdamW, Prodigy.
* :mod:`.rectified` — RAdam.
"""

from .adafactor import Adafactor
from .adaptive import Adadelta, Adagrad, Adam, AdaMax, AMSGrad, Nadam, RMSprop
from .classic import GD, NAG, Momentum, NesterovAGD
from .layerwise import LAMB, LARS
from .matrix import SOAP, Muon, Shampoo, newton_schulz
from .modern import (
    Lion,
    Lookahead,
    Prodigy,
    ScheduleFreeAdamW,
    ScheduleFreeSGD,
    Sophia,
)
from .recent import QHM, AdamW, AggMo, QHAdam
from .rectified import RAdam
from .second_order import Newton, Preconditioned

__all__ = [
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
    "Shampoo",
    "SOAP",
    "Muon",
    "Adafactor",
    "newton_schulz",
    "LARS",
    "LAMB",
    "Lookahead",
    "Lion",
    "Sophia",
    "ScheduleFreeSGD",
    "ScheduleFreeAdamW",
    "Prodigy",
    "RAdam",
]
