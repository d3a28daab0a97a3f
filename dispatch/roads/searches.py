"""Many shortest-path searches at once: scipy's Dijkstra from each source, shared out over a pool of processes
when there is enough of them to pay for it.

scipy holds the GIL while it searches, so threads would not help. The processes are joblib's loky pool: started
on first need and kept for the later matrices of this process (until 300 s idle), started fresh rather than
forked (a service worker holds threads and connections that a fork would copy half-way), and without running
the parent's main script again (a script without a `__main__` guard still works). Every search is exact and stands alone, so the matrix is the same whichever
process ran which rows. `DISPATCH_ROAD_PROCESSES` sets how many processes (1: all in this one); a process that
may not start children (a daemon, such as a dask worker under its nanny) or that runs a dask task (the
cluster's workers are its parallelism) searches in itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import threading

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from joblib.externals.loky.process_executor import TerminatedWorkerError
from scipy.sparse.csgraph import dijkstra

from dispatch.roads.osm import FloatArray, IntArray

log = logging.getLogger(__name__)

PROCESSES_ENV = "DISPATCH_ROAD_PROCESSES"
_MAX_PROCESSES = 8
# sources x vertices below which the searches stay here: about two seconds of searching on one core, little more than a
# pool's start (0.3-1 s the first time) and its transfers would save
MIN_SHARED_WORK = 15_000_000
_CELLS = 20_000_000  # float64 cells of Dijkstra output held at once per process (160 MB)

_lock = threading.Lock()


def search_processes() -> int:
    """How many processes share out the searches: DISPATCH_ROAD_PROCESSES, else this machine's usable cores
    (at most 8); 1 where this process may not or should not start any."""
    text = os.environ.get(PROCESSES_ENV, "").strip()
    if text:
        try:
            wanted = int(text)
        except ValueError:
            raise ValueError(f"{PROCESSES_ENV}={text!r} is not a whole number of processes") from None
        if wanted < 1:
            raise ValueError(f"{PROCESSES_ENV}={wanted} must be at least 1")
    else:
        wanted = min(_MAX_PROCESSES, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else os.cpu_count() or 1)
    if wanted > 1 and (multiprocessing.current_process().daemon or _in_dask_task()):
        return 1
    return wanted


def _in_dask_task() -> bool:
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def rows(graph: sp.csr_matrix, sources: IntArray, targets: IntArray) -> FloatArray:
    """Shortest-path lengths from each source to each target, len(sources) x len(targets), in this process."""
    out = np.empty((sources.size, targets.size))
    step = max(1, _CELLS // max(graph.shape[0], 1))
    for a in range(0, sources.size, step):
        out[a:a + step] = dijkstra(graph, directed=True, indices=sources[a:a + step])[:, targets]
    return out


def many_to_many(graph: sp.csr_matrix, sources: IntArray, targets: IntArray, *,
                 processes: int | None = None) -> FloatArray:
    """`rows(graph, sources, targets)`, over the shared pool when it is large enough (see the module's text).
    `processes` overrides search_processes()."""
    size = search_processes() if processes is None else processes
    if size <= 1 or sources.size < 2 or sources.size * graph.shape[0] < MIN_SHARED_WORK:
        return rows(graph, sources, targets)
    # a few parts per process evens out their speeds; each part comes back to its own rows
    parts = np.array_split(sources, min(sources.size, 4 * size))
    with _lock:  # one matrix at a time: its searches fill every process already
        try:
            done = Parallel(n_jobs=size, backend="loky", max_nbytes=None)(
                delayed(rows)(graph, part, targets) for part in parts)
        except TerminatedWorkerError as e:
            # a search process died (killed, out of memory): answer here; the pool starts afresh next time
            log.warning("road search processes failed (%s); searching in this process", e)
            return rows(graph, sources, targets)
    return np.concatenate(done)
