"""The FastAPI application: settings, database, migrations at start-up, routers and error mapping."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI

from api import errors
from api.auth.views import router as auth_router
from api.complaints.views import router as complaints_router
from api.config import Settings, get_settings
from api.customers.views import router as customers_router
from api.db import hold_before_commit, make_engine, make_sessionmaker, upgrade
from api.deps import API_PREFIX
from api.jobs import JobRunner, make_executor
from api.limits import BodyLimit
from api.live.views import router as live_router
from api.live.watch import WatchRunner
from api.notify import delivery as notify_delivery
from api.notify.views import router as notifications_router
from api.orders.views import router as orders_router
from api.parts.views import locations_router, parts_router, stock_router
from api.plans import service as plans_service
from api.plans.views import me_router
from api.plans.views import router as plans_router
from api.standards.report_views import router as report_router
from api.standards.views import router as standards_router
from api.technicians.views import router as technicians_router
from api.timefields import PlanAreaZone
from api.visits.views import days_router, events_router
from api.visits.views import router as visits_router
from api.web.views import mount as mount_web

log = logging.getLogger(__name__)


def plan_runner(settings: Settings) -> JobRunner:
    """The job runner of plan jobs, on the compute executor the settings choose (a pool, or dask)."""
    return JobRunner(make_compute=lambda: make_executor(settings.plan_executor, settings.plan_workers,
                                                        scheduler=settings.dispatch_scheduler))


def create_app(settings: Settings | None = None, *, engine_args: dict[str, Any] | None = None) -> FastAPI:
    """The service over `settings.database_url`; `engine_args` go to the engine (tests pass a schema)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """Owns the engine, the sessions and the plan job runner (api.deps hands them to the views)."""
        engine = make_engine(settings.database_url, pool_size=settings.database_pool_size,
                             max_overflow=settings.database_max_overflow,
                             pool_timeout=settings.database_pool_timeout, **(engine_args or {}))
        if settings.test_hold_before_commit is not None:
            hold_before_commit(engine, settings.test_hold_before_commit)
        try:
            if settings.run_migrations_on_startup:
                upgrade(engine)
            app.state.engine = engine
            app.state.sessionmaker = sessions = make_sessionmaker(engine)
            app.state.plan_runner = runner = plan_runner(settings)
            watch = None
            if settings.watch_interval_seconds > 0:  # the escalation watch; a lease lets one worker tick
                watch = WatchRunner(sessions, interval=settings.watch_interval_seconds, zone=settings.zone,
                                    margin_minutes=settings.escalation_margin_minutes, policy=settings.policy())
                watch.start()
            stop_notify = notify_delivery.start_loop(settings, sessions)  # off without a webhook
            try:
                if settings.plan_executor == "dask" and settings.dispatch_scheduler is None:
                    # the local cluster starts with the service (a remote scheduler is reached at the first job,
                    # so the service starts while the scheduler is down); off the event loop, which it would
                    # block for a second
                    await anyio.to_thread.run_sync(runner.connect)
                yield
            finally:
                if watch is not None:
                    watch.stop()
                stop_notify()
                pending = runner.pending()
                runner.shutdown(wait=False)
                if pending:  # the jobs it had not finished fail, rather than wait for their deadline
                    with sessions() as session:
                        plans_service.fail_unfinished(
                            session, plan_ids=pending, reason="the service stopped before the solve finished",
                            now=dt.datetime.now().replace(microsecond=0))
        finally:
            engine.dispose()

    app = FastAPI(
        title="Dispatch",
        summary="Field-technician dispatch: technicians, customers, repair orders, parts and stock.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    errors.install(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(PlanAreaZone, zone=settings.zone)  # times sent with an offset are read in it
    for router in (auth_router, technicians_router, customers_router, orders_router, parts_router,
                   locations_router, stock_router, plans_router, me_router, visits_router, days_router, events_router,
                   standards_router, complaints_router, report_router, live_router, notifications_router):
        app.include_router(router, prefix=API_PREFIX)
    mount_web(app)

    @app.get(f"{API_PREFIX}/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
