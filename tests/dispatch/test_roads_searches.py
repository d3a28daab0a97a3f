"""The road searches shared out over processes (dispatch.roads.searches): the same matrices whichever process
searched, one process where a setting says so, and searches in the process itself where it may not or should
not start others (a daemon, a dask worker)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import psutil
import pytest

from dispatch import roads
from dispatch.roads import searches

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


def search_children():
    return [p for p in psutil.Process().children(recursive=True)
            if any("loky" in part for part in p.cmdline())]


def test_searches_shared_over_processes_give_the_same_matrices_as_one_process(monkeypatch):
    net, la, lo = places(300)
    monkeypatch.setattr(searches, "MIN_SHARED_WORK", 0)  # share out even this small matrix
    monkeypatch.setenv(searches.PROCESSES_ENV, "1")
    alone = net.matrices(la, lo, max_snap_m=None)
    monkeypatch.setenv(searches.PROCESSES_ENV, "2")
    shared = net.matrices(la, lo, max_snap_m=None)
    assert search_children()  # the rows were searched in other processes
    again = net.matrices(la, lo, max_snap_m=None)
    for a, b, c in zip(alone, shared, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert (alone[0][~np.eye(300, dtype=bool)] > 0).all()


def test_one_process_when_the_setting_says_so_and_a_wrong_setting_is_named(monkeypatch):
    monkeypatch.setenv(searches.PROCESSES_ENV, "1")
    assert searches.search_processes() == 1
    monkeypatch.setenv(searches.PROCESSES_ENV, "3")
    assert searches.search_processes() == 3
    for wrong in ("0", "two"):
        monkeypatch.setenv(searches.PROCESSES_ENV, wrong)
        with pytest.raises(ValueError, match=f"{searches.PROCESSES_ENV}=.*{wrong}"):
            searches.search_processes()
    monkeypatch.delenv(searches.PROCESSES_ENV)
    assert 1 <= searches.search_processes() <= 8


def _in_a_daemon(queue):
    net, la, lo = places(40)
    searches.MIN_SHARED_WORK = 0
    queue.put((searches.search_processes(), net.matrices(la, lo, max_snap_m=None)))


def test_a_daemon_process_searches_in_itself(monkeypatch, tmp_path):
    monkeypatch.setenv(searches.PROCESSES_ENV, "2")
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    child = ctx.Process(target=_in_a_daemon, args=(queue,), daemon=True)  # may not start processes of its own
    child.start()
    processes, (dist, dur) = queue.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert processes == 1
    net, la, lo = places(40)
    here = net.matrices(la, lo, max_snap_m=None)
    np.testing.assert_array_equal(dist, here[0])
    np.testing.assert_array_equal(dur, here[1])


def _in_a_dask_task(n):
    net, la, lo = places(n)
    searches.MIN_SHARED_WORK = 0
    return searches.search_processes(), net.matrices(la, lo, max_snap_m=None)


def test_a_dask_worker_searches_in_itself(monkeypatch):
    from dispatch.parallel import DaskExecutor

    monkeypatch.setenv(searches.PROCESSES_ENV, "2")
    with DaskExecutor(n_workers=1) as ex:
        [(processes, (dist, dur))] = ex.map(_in_a_dask_task, [40])
    assert processes == 1
    net, la, lo = places(40)
    here = net.matrices(la, lo, max_snap_m=None)
    np.testing.assert_array_equal(dist, here[0])
    np.testing.assert_array_equal(dur, here[1])


def _in_a_plan_job(n):
    net, la, lo = places(n)
    searches.MIN_SHARED_WORK = 0
    matrices = net.matrices(la, lo, max_snap_m=None)
    return searches.search_processes(), matrices, [p.pid for p in search_children()]


def test_a_service_plan_job_shares_its_searches_and_a_killed_job_takes_them_along(monkeypatch):
    from api.jobs import ProcessSlots

    monkeypatch.setenv(searches.PROCESSES_ENV, "2")
    slots = ProcessSlots(1)  # the service's process executor: one spawned process per plan job
    try:
        slot = slots.take()
        processes, (dist, dur), pids = slot.submit(_in_a_plan_job, 60).result(timeout=120)
        assert processes == 2
        assert len(pids) >= 2  # the two search processes (and loky's resource tracker)
        net, la, lo = places(60)
        here = net.matrices(la, lo, max_snap_m=None)
        np.testing.assert_array_equal(dist, here[0])
        np.testing.assert_array_equal(dur, here[1])
        # a cancelled job's process is killed with its group: its search processes go with it
        slots.give_back(slot, kill=True)
        _, alive = psutil.wait_procs([psutil.Process(p) for p in pids if psutil.pid_exists(p)], timeout=30)
        assert not alive
    finally:
        slots.shutdown(wait=False)
