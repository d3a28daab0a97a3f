"""Many shortest-path searches at once, exact: Dial's algorithm (a queue of buckets, one per centisecond of
travel time) compiled with numba, its sources shared out over threads.

Each edge weighs its time and its length packed into one exact integer (dispatch.roads.network) and takes at
least a centisecond. So every vertex whose best time is T was reached from vertices settled before T: its
weight (time, then length) is final when T's bucket comes, and the order inside a bucket does not matter. A
bucket queue costs a constant per vertex where scipy's Fibonacci heap costs a logarithm: about half the CPU
seconds on a 40,000-intersection grid (benchmarks/RESULTS.md). A search stops once it has settled every
target. The compiled search releases the GIL, so threads share the sources out: no process to start, which
behaves the same in a service worker, a dask worker or a daemon. `DISPATCH_ROAD_THREADS` sets how many (1:
all in the calling thread); inside a dask task the default is 1, since the cluster's workers already fill
the cores.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import scipy.sparse as sp

from dispatch.roads.osm import FloatArray, IntArray

THREADS_ENV = "DISPATCH_ROAD_THREADS"
_MAX_THREADS = 8
# sources x vertices below which one thread does it all (a few milliseconds of searching)
MIN_SHARED_WORK = 2_000_000


def search_threads() -> int:
    """How many threads share out the searches: DISPATCH_ROAD_THREADS, else this machine's usable cores (at
    most 8), or 1 inside a dask task."""
    text = os.environ.get(THREADS_ENV, "").strip()
    if text:
        try:
            wanted = int(text)
        except ValueError:
            raise ValueError(f"{THREADS_ENV}={text!r} is not a whole number of threads") from None
        if wanted < 1:
            raise ValueError(f"{THREADS_ENV}={wanted} must be at least 1")
        return wanted
    if _in_dask_task():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(_MAX_THREADS, cores))


def _in_dask_task() -> bool:
    if "distributed" not in sys.modules:
        return False
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


def _dial(indptr: IntArray, indices: IntArray, weight: FloatArray, bucket_of: IntArray, buckets: int,
          sources: IntArray, slot: IntArray, targets: int, out: FloatArray) -> None:
    """out[k, slot[v]] = the lightest path's weight from sources[k] to each target vertex v (inf: none).
    `bucket_of[e]` is edge e's whole centiseconds, at least 1; `buckets` exceeds every one of them."""
    n = indptr.size - 1
    best = np.full(n, np.inf)
    seen = np.zeros(n, np.int64)  # the search (k + 1) that last reached the vertex: no clearing between searches
    settled = np.zeros(n, np.int64)
    head = np.full(buckets, -1, np.int64)  # bucket -> its last entry; entries chain back through `below`
    below = np.empty(indices.size + 1, np.int64)  # a vertex is settled once, so at most one entry per edge
    vertex = np.empty(indices.size + 1, np.int64)
    value = np.empty(indices.size + 1)
    for k in range(sources.size):
        mark = k + 1
        out[k, :] = np.inf
        s = sources[k]
        best[s] = 0.0
        seen[s] = mark
        vertex[0], value[0], below[0] = s, 0.0, -1
        head[0] = 0
        used, pending, now, found = 1, 1, 0, 0
        while pending > 0 and found < targets:
            b = now % buckets
            e = head[b]
            if e < 0:
                now += 1
                continue
            head[b] = below[e]
            pending -= 1
            v = vertex[e]
            if value[e] != best[v] or settled[v] == mark:
                continue  # superseded by a lighter entry
            settled[v] = mark
            if slot[v] >= 0:
                out[k, slot[v]] = value[e]
                found += 1
            for a in range(indptr[v], indptr[v + 1]):
                u = indices[a]
                w = value[e] + weight[a]
                if seen[u] != mark or w < best[u]:
                    best[u] = w
                    seen[u] = mark
                    t = (now + bucket_of[a]) % buckets
                    vertex[used], value[used], below[used] = u, w, head[t]
                    head[t] = used
                    used += 1
                    pending += 1
        head[:] = -1  # entries left when every target was found


_compiled: Callable[..., Any] | None = None
_compiling = threading.Lock()


def _search() -> Callable[..., Any]:
    """`_dial` compiled (numba is imported on first need: a plan on the straight line never waits for it;
    the machine code is cached beside this file, so a later process loads it rather than compiling)."""
    global _compiled
    with _compiling:
        if _compiled is None:
            from numba import njit

            _compiled = njit(nogil=True, cache=True)(_dial)
        return _compiled


def many_to_many(graph: sp.csr_matrix, sources: IntArray, targets: IntArray, *, shift: float,
                 threads: int | None = None) -> FloatArray:
    """The lightest path's weight from each source to each target, len(sources) x len(targets) (inf: none).
    Weights are exact integers, `shift` times whole centiseconds plus the rest (at least one centisecond
    each); `threads` overrides search_threads()."""
    indptr = np.ascontiguousarray(graph.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(graph.indices, dtype=np.int64)
    weight = np.ascontiguousarray(graph.data, dtype=np.float64)
    bucket_of = np.floor(weight / shift).astype(np.int64)
    if bucket_of.size and bucket_of.min() < 1:
        raise ValueError("every edge must take at least a centisecond")
    buckets = int(bucket_of.max(initial=0)) + 1
    slot = np.full(graph.shape[0], -1, np.int64)
    slot[targets] = np.arange(targets.size)
    sources = np.ascontiguousarray(sources, dtype=np.int64)
    out = np.empty((sources.size, targets.size))

    search = _search()

    def part(rows: slice) -> None:
        search(indptr, indices, weight, bucket_of, buckets, sources[rows], slot, targets.size, out[rows])

    size = search_threads() if threads is None else threads
    size = min(size, sources.size)
    if size <= 1 or sources.size * graph.shape[0] < MIN_SHARED_WORK:
        part(slice(0, sources.size))
        return out
    # a few parts per thread evens out their speeds; each part fills its own rows
    bounds = np.linspace(0, sources.size, 4 * size + 1).astype(int)
    with ThreadPoolExecutor(size, thread_name_prefix="road-search") as pool:
        list(pool.map(part, [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]))
    return out
