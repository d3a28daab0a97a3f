"""Settings refuse unsafe values instead of running with them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.config import OSM_TILE_URL, PLACEHOLDER_SECRET, Settings


def test_the_placeholder_secret_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY is the placeholder"):
        Settings(environment="production", secret_key=PLACEHOLDER_SECRET, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="short", _env_file=None)  # type: ignore[call-arg]
    ok = Settings(environment="production", secret_key="k" * 40, _env_file=None)  # type: ignore[call-arg]
    assert ok.secret_key == "k" * 40


def test_development_and_test_accept_the_placeholder() -> None:
    for env in ("development", "test"):
        s = Settings(environment=env, secret_key=PLACEHOLDER_SECRET, _env_file=None)  # type: ignore[call-arg]
        assert s.secret_key == PLACEHOLDER_SECRET


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setenv("SOLVER_TIME_LIMIT", "3.5")
    monkeypatch.setenv("ROAD_FACTOR", "1.5")
    monkeypatch.setenv("ENVIRONMENT", "test")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url == "postgresql+psycopg://u@db/x"
    assert s.policy().time_limit == 3.5
    assert s.travel_model.road_factor == 1.5


def test_the_connection_pool_of_a_server_database_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    # each service process holds at most size + overflow connections: the figure a deployment sizes against
    # the server's max_connections (workers x both)
    from api.db import make_engine
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "2")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "90")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    engine = make_engine("postgresql+psycopg://u@db/x", pool_size=s.database_pool_size,
                         max_overflow=s.database_max_overflow, pool_timeout=s.database_pool_timeout)
    pool = engine.pool
    assert (pool.size(), pool._max_overflow, pool._timeout) == (3, 2, 90)  # type: ignore[attr-defined]
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_TIMEOUT"):
        monkeypatch.delenv(name)
    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (default.database_pool_size, default.database_max_overflow, default.database_pool_timeout) == (16, 8, 30)
    with pytest.raises(ValidationError, match="database_pool_size"):
        Settings(database_pool_size=0, _env_file=None)  # type: ignore[call-arg]


def test_defaults_are_an_sqlite_file_and_the_design_travel_model(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "ROAD_FACTOR", "SPEED_KMH", "SOLVER_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.database_url == "sqlite:///./dispatch.sqlite"
    assert (s.travel_model.road_factor, s.travel_model.speed_kmh) == (1.3, 40.0)
    with pytest.raises(ValidationError):
        Settings(road_factor=0.9, _env_file=None)  # type: ignore[call-arg]


def test_the_plan_executor_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.main import plan_runner

    default = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (default.plan_executor, default.plan_workers) == ("process", 1)
    monkeypatch.setenv("PLAN_EXECUTOR", "thread")
    monkeypatch.setenv("PLAN_WORKERS", "3")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    runner = plan_runner(s)
    try:
        assert isinstance(runner._compute, ThreadPoolExecutor)
        assert runner._compute._max_workers == 3
    finally:
        runner.shutdown(wait=True)
    with pytest.raises(ValidationError):
        Settings(plan_executor="cluster", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        Settings(plan_workers=0, _env_file=None)  # type: ignore[call-arg]


def test_the_service_solves_plans_on_the_configured_executor(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.main import create_app

    settings = Settings(environment="test", database_url=f"sqlite:///{tmp_path}/s.sqlite", plan_executor="thread",
                        plan_workers=2, _env_file=None)  # type: ignore[call-arg]
    with TestClient(create_app(settings)) as client:
        compute = client.app.state.plan_runner._compute  # type: ignore[attr-defined]
        assert isinstance(compute, ThreadPoolExecutor)
        assert compute._max_workers == 2


@pytest.fixture
def no_scheduler(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("DISPATCH_SCHEDULER", "PLAN_EXECUTOR", "PLAN_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_dispatch_scheduler_is_read_and_implies_the_dask_executor(no_scheduler: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).dispatch_scheduler is None  # type: ignore[call-arg]
    no_scheduler.setenv("DISPATCH_SCHEDULER", "tcp://10.0.0.5:8786")  # the variable the CLI and notebooks read
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.plan_executor, s.dispatch_scheduler) == ("dask", "tcp://10.0.0.5:8786")
    # an explicit PLAN_EXECUTOR wins: the address is then only for the CLI and the notebooks
    no_scheduler.setenv("PLAN_EXECUTOR", "process")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.plan_executor, s.dispatch_scheduler) == ("process", "tcp://10.0.0.5:8786")


def test_dask_without_an_address_is_a_local_cluster_of_plan_workers(no_scheduler: pytest.MonkeyPatch) -> None:
    from api.jobs import make_executor
    from dispatch.parallel import DaskExecutor

    no_scheduler.setenv("PLAN_EXECUTOR", "dask")
    no_scheduler.setenv("PLAN_WORKERS", "3")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.plan_executor, s.dispatch_scheduler) == ("dask", None)
    executor = make_executor(s.plan_executor, s.plan_workers, scheduler=s.dispatch_scheduler)
    assert isinstance(executor, DaskExecutor)  # lazy: nothing starts until it is used
    assert (executor.address, executor.n_workers, executor.threads_per_worker) == (None, 3, 1)
    remote = make_executor("dask", 3, scheduler="tcp://10.0.0.5:8786")
    assert isinstance(remote, DaskExecutor)
    assert remote.address == "tcp://10.0.0.5:8786"


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "scheduler:8786", "tls://[::1]:8786",
                                     "tcp://dask-scheduler.jobs.svc.cluster.local:8786"])
def test_scheduler_addresses_dask_accepts(address: str) -> None:
    s = Settings(dispatch_scheduler=address, _env_file=None)  # type: ignore[call-arg]
    assert s.dispatch_scheduler == address


@pytest.mark.parametrize(("address", "why"), [
    ("scheduler", "not a dask scheduler address"),  # no port
    ("tcp://scheduler", "not a dask scheduler address"),
    ("http://scheduler:8786", "unknown protocol 'http'"),
    ("tcp://scheduler:87860", "Port out of range"),
    ("tcp://sched uler:8786", "not a dask scheduler address"),
    ("tcp://scheduler:8786/path", "not a dask scheduler address"),
])
def test_a_malformed_scheduler_address_is_refused_at_start(no_scheduler: pytest.MonkeyPatch, address: str,
                                                           why: str) -> None:
    no_scheduler.setenv("DISPATCH_SCHEDULER", address)
    with pytest.raises(ValidationError, match=why) as e:
        Settings(_env_file=None)  # type: ignore[call-arg]
    assert "DISPATCH_SCHEDULER" in str(e.value)
    assert "tcp://10.0.0.5:8786" in str(e.value)  # the message shows what is expected


def test_the_board_map_has_openstreetmap_tiles_unless_told_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    assert Settings(_env_file=None).map_tile_url == "https://tile.openstreetmap.org/{z}/{x}/{y}.png" == OSM_TILE_URL  # type: ignore[call-arg]
    for off in ("none", "NONE", "off", ""):
        monkeypatch.setenv("MAP_TILE_URL", off)  # an empty variable counts as unset (env_ignore_empty)
        assert Settings(_env_file=None).map_tile_url == (OSM_TILE_URL if off == "" else None)  # type: ignore[call-arg]
    assert Settings(map_tile_url="", _env_file=None).map_tile_url is None  # type: ignore[call-arg]
    monkeypatch.setenv("MAP_TILE_URL", "https://tiles.example.fr/{z}/{x}/{y}.png")
    assert Settings(_env_file=None).map_tile_url == "https://tiles.example.fr/{z}/{x}/{y}.png"  # type: ignore[call-arg]
    for bad in ("tiles.example.fr/{z}/{x}/{y}.png", "https://tiles.example.fr/map.png"):
        with pytest.raises(ValidationError, match="MAP_TILE_URL .* is not a tile URL"):
            Settings(map_tile_url=bad, _env_file=None)  # type: ignore[call-arg]


def test_the_time_zone_must_be_an_iana_name() -> None:
    assert Settings(_env_file=None).zone.key == "Europe/Paris"  # type: ignore[call-arg]
    assert Settings(timezone="America/Chicago", _env_file=None).zone.key == "America/Chicago"  # type: ignore[call-arg]
    for bad in ("Mars/Olympus", "../etc/passwd", ""):
        with pytest.raises(ValueError, match="TIMEZONE .* is not an IANA time zone"):
            Settings(timezone=bad, _env_file=None)  # type: ignore[call-arg]
