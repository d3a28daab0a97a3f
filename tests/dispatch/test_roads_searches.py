"""The many-to-many road searches (dispatch.roads.searches): the same lightest paths as scipy's Dijkstra, the
same matrices whichever number of threads searched, one thread where a setting says so or inside a dask task,
and no process started anywhere (a service plan job, a daemon)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import psutil
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from dispatch import roads
from dispatch.roads import searches
from dispatch.roads.network import _SHIFT, _pack

EXTRACT = Path(__file__).resolve().parents[1] / "data" / "osm" / "helsinki.osm.pbf"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(roads.CACHE_ENV, str(tmp_path / "roads-cache"))
    roads.forget()
    yield
    roads.forget()


def places(n, seed=3):
    net = roads.prepare(EXTRACT)
    rng = np.random.default_rng(seed)
    lat, lon = net.data.lat, net.data.lon
    return net, rng.uniform(lat.min(), lat.max(), n), rng.uniform(lon.min(), lon.max(), n)


def test_the_searches_find_the_same_lightest_paths_as_scipys_dijkstra():
    net, la, lo = places(120)
    graph, _ = net._with_points(net.snap(la, lo, max_snap_m=None))
    rng = np.random.default_rng(8)
    sources = rng.choice(graph.shape[0], 50, replace=False)
    targets = rng.choice(graph.shape[0], 300, replace=False)
    ours = searches.many_to_many(graph, sources, targets, shift=_SHIFT, threads=1)
    theirs = dijkstra(graph, directed=True, indices=sources)[:, targets]
    np.testing.assert_array_equal(ours, theirs)  # exact integers, unreachable ones inf on both sides


def test_ties_in_time_are_broken_by_length_and_a_long_edge_wraps_the_buckets():
    # 0 -> 1 -> 3 and 0 -> 2 -> 3 take the same 20 s; the second is 30 m shorter. 0 -> 4 is one long edge.
    edges = [(0, 1, 10, 200), (1, 3, 10, 200), (0, 2, 10, 185), (2, 3, 10, 185), (0, 4, 5000, 90_000),
             (4, 3, 0.001, 1)]
    u, v, s, m = (np.array(x) for x in zip(*edges, strict=True))
    graph = sp.csr_matrix((_pack(s, m), (u, v)), shape=(5, 5))
    out = searches.many_to_many(graph, np.array([0]), np.array([3, 4]), shift=_SHIFT, threads=1)
    seconds, metres = np.floor(out / _SHIFT) / 100, (out - np.floor(out / _SHIFT) * _SHIFT) / 10
    np.testing.assert_array_equal(seconds, [[20.0, 5000.0]])
    np.testing.assert_array_equal(metres, [[370.0, 90_000.0]])
    assert _pack(0.0, 0.0) == _SHIFT  # no edge takes less than a centisecond


def test_any_number_of_threads_gives_the_same_matrices_and_no_process_is_started(monkeypatch):
    net, la, lo = places(300)
    monkeypatch.setattr(searches, "MIN_SHARED_WORK", 0)  # share out even this small matrix
    # processes an earlier test of this worker left winding down (a dask cluster's) are not the matrices'
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    results = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv(searches.THREADS_ENV, threads)
        results.append(net.matrices(la, lo, max_snap_m=None))
    for other in results[1:]:
        np.testing.assert_array_equal(results[0][0], other[0])
        np.testing.assert_array_equal(results[0][1], other[1])
    assert (results[0][0][~np.eye(300, dtype=bool)] > 0).all()
    assert not [p for p in psutil.Process().children(recursive=True) if p.pid not in before]


def test_one_thread_when_the_setting_says_so_and_a_wrong_setting_is_named(monkeypatch):
    monkeypatch.setenv(searches.THREADS_ENV, "1")
    assert searches.search_threads() == 1
    monkeypatch.setenv(searches.THREADS_ENV, "3")
    assert searches.search_threads() == 3
    for wrong in ("0", "two"):
        monkeypatch.setenv(searches.THREADS_ENV, wrong)
        with pytest.raises(ValueError, match=f"{searches.THREADS_ENV}=.*{wrong}"):
            searches.search_threads()
    monkeypatch.delenv(searches.THREADS_ENV)
    assert 1 <= searches.search_threads() <= 8


def _in_a_daemon(queue):
    net, la, lo = places(40)
    searches.MIN_SHARED_WORK = 0
    queue.put((searches.search_threads(), net.matrices(la, lo, max_snap_m=None)))


def test_a_daemon_process_searches_on_its_threads(monkeypatch):
    monkeypatch.setenv(searches.THREADS_ENV, "2")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_in_a_daemon, args=(queue,), daemon=True)  # may not start processes of its own
    child.start()
    threads, (dist, dur) = queue.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert threads == 2
    net, la, lo = places(40)
    here = net.matrices(la, lo, max_snap_m=None)
    np.testing.assert_array_equal(dist, here[0])
    np.testing.assert_array_equal(dur, here[1])


def _in_a_dask_task(n):
    net, la, lo = places(n)
    searches.MIN_SHARED_WORK = 0
    return searches.search_threads(), net.matrices(la, lo, max_snap_m=None)


def test_a_dask_task_searches_on_one_thread_unless_told(monkeypatch):
    from dispatch.parallel import DaskExecutor

    monkeypatch.delenv(searches.THREADS_ENV, raising=False)
    with DaskExecutor(n_workers=1) as ex:
        [(threads, (dist, dur))] = ex.map(_in_a_dask_task, [40])
    assert threads == 1  # the cluster's workers already fill the cores
    net, la, lo = places(40)
    here = net.matrices(la, lo, max_snap_m=None)
    np.testing.assert_array_equal(dist, here[0])
    np.testing.assert_array_equal(dur, here[1])


def _in_a_plan_job(n):
    net, la, lo = places(n)
    searches.MIN_SHARED_WORK = 0
    matrices = net.matrices(la, lo, max_snap_m=None)
    return searches.search_threads(), matrices, len(psutil.Process().children(recursive=True))


def test_a_service_plan_job_searches_on_its_threads(monkeypatch):
    from api.jobs import ProcessSlots

    monkeypatch.setenv(searches.THREADS_ENV, "2")
    slots = ProcessSlots(1)  # the service's process executor: one spawned process per plan job
    try:
        slot = slots.take()
        threads, (dist, dur), children = slot.submit(_in_a_plan_job, 60).result(timeout=120)
        slots.give_back(slot, kill=False)
    finally:
        slots.shutdown(wait=False)
    assert threads == 2
    assert children == 0  # nothing that a cancelled job's kill could leave behind
    net, la, lo = places(60)
    here = net.matrices(la, lo, max_snap_m=None)
    np.testing.assert_array_equal(dist, here[0])
    np.testing.assert_array_equal(dur, here[1])
