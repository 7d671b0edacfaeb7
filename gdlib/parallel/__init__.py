"""Parallel and distributed SGD on real operating-system processes.

The chapter "Parallel and distributed SGD" runs every algorithm here for real:

* :func:`hogwild` -- Hogwild! (Niu, Recht, Ré & Wright, 2011): several processes run SGD on
  ONE parameter vector in shared memory and write to it without any lock;
* :func:`downpour` -- Downpour SGD (Dean et al., 2012): worker processes pull the parameters
  from a parameter server, compute a mini-batch gradient on their own shard of the data and
  push it back; the server applies Adagrad and records how stale every gradient was. Given
  a schedule (:func:`downpour_schedule`), the server instead imposes the staleness of
  every update, so that the run is reproducible to the last bit;
* :func:`easgd_step` / :func:`easgd` -- synchronous Elastic Averaging SGD (Zhang, Choromanska
  & LeCun, 2015), a deterministic simulation of p workers tied to a centre variable;
* :func:`run_delayed` -- a simulated delay: the gradient applied at step t was computed
  τ_t steps earlier (the setting of McMahan & Streeter, 2014), for a gdlib optimizer or
  :class:`AdaptiveRevision`, their delay-tolerant Adagrad;
* on Ray (imported lazily; see :mod:`gdlib.parallel.ray_ps`): :func:`ray_downpour`, Downpour
  with a parameter server sharded over actors; :func:`ray_sync_data_parallel`, synchronous
  data parallelism; :func:`ray_local_sgd`, local SGD / federated averaging; and
  :func:`ray_easgd`, asynchronous EASGD.

Processes are started with the ``"forkserver"`` start method by default (:data:`START_METHOD`;
``"spawn"`` where there is no fork server): a clean single-threaded server process, started
once, imports this module and forks every worker from itself. Unlike ``"fork"`` this never
copies a multi-threaded parent such as a Jupyter kernel, and unlike ``"spawn"`` a worker does
not pay for a fresh interpreter and fresh imports. Either way, worker functions must be
importable, so they are module-level functions of this package.

Nothing here may hang, and a failure must say what went wrong:

* every argument is checked in the calling process, and a bad one raises a ``ValueError``
  that names it and its allowed range;
* every wait of the calling process has a finite timeout (:data:`TIMEOUT` by default), so
  a stuck worker raises a ``TimeoutError`` in the caller instead of hanging it; the workers
  wait only as long as the caller lives, so none outlives it for more than a second;
* a worker that raises sends its formatted traceback to the parent before it exits, and
  the parent raises a :class:`WorkerError` (a ``RuntimeError``) that contains it; a worker
  that dies without a word (killed by a signal, say) is reported with its name, its process
  id and its exit code;
* every function that starts processes stops them in a ``finally`` block (terminating any
  that do not finish in time), so no process outlives the call, whatever happened.

>>> import numpy as np
>>> x, c = np.array([[1.0], [3.0]]), np.array([0.0])        # two workers and the centre
>>> easgd_step(x, c, g=np.zeros_like(x), eta=0.5, rho=0.5)  # alpha = eta * rho = 0.25
(array([[0.75],
       [2.25]]), array([1.]))
"""

from .delay_tolerant import AdaptiveRevision
from .downpour import DownpourResult, downpour, downpour_schedule, downpour_shards
from .faults import FaultyModel, FaultySparseLogistic, InjectedFault
from .hogwild import (
    HogwildResult,
    SparseLogistic,
    hogwild,
    make_sparse_logistic,
    overlap_fraction,
    sgd_sparse,
)
from .processes import MAX_WORKERS, START_METHOD, TIMEOUT, WorkerError, get_context
from .ray_pool import ACTOR_PREFIX, RayPool, live_actors, ray_session, worker_generators
from .ray_ps import RayDownpourResult, ray_downpour
from .ray_sync import SyncResult, ray_easgd, ray_local_sgd, ray_sync_data_parallel
from .simulated import EASGDResult, easgd, easgd_step, run_delayed

__all__ = [
    "START_METHOD",
    "TIMEOUT",
    "MAX_WORKERS",
    "get_context",
    "WorkerError",
    "SparseLogistic",
    "make_sparse_logistic",
    "overlap_fraction",
    "sgd_sparse",
    "hogwild",
    "HogwildResult",
    "downpour",
    "DownpourResult",
    "downpour_shards",
    "downpour_schedule",
    "easgd_step",
    "easgd",
    "EASGDResult",
    "run_delayed",
    "AdaptiveRevision",
    "ray_session",
    "RayPool",
    "ray_downpour",
    "RayDownpourResult",
    "ray_sync_data_parallel",
    "ray_local_sgd",
    "ray_easgd",
    "SyncResult",
    "worker_generators",
    "live_actors",
    "ACTOR_PREFIX",
    "InjectedFault",
    "FaultyModel",
    "FaultySparseLogistic",
]
