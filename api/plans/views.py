"""HTTP routes of plan jobs (dispatchers) and of a technician's published route: thin, rules in the service."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from api.auth import service as auth_service
from api.deps import (
    NO_USER,
    CurrentUser,
    Dispatcher,
    EngineDep,
    PlanRunnerDep,
    PlanSolveDep,
    SessionDep,
    SessionFactoryDep,
    SessionRoute,
    SettingsDep,
    Staff,
    TokenDep,
    token_user_id,
)
from api.errors import ErrorBody, ForbiddenError, UnauthorizedError
from api.idempotency import IdempotencyKey
from api.live.clock import local_now
from api.plans import live, route_export, service
from api.plans.models import JobStatus, PlanJob
from api.plans.schemas import (
    AssignRequest,
    PlanContract,
    PlanRead,
    PlanRequest,
    PlanSummary,
    PublishedRead,
    RecommendRead,
    ReplanRequest,
    RouteRead,
)
from api.timefields import LocalDateTime

# a new job beyond the user's cap of queued or running ones
TOO_MANY_JOBS: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "the user has MAX_PLAN_JOBS_PER_USER plan jobs queued or running; "
                                             "`Retry-After` says when to try again"}}
# job ids are UUIDs; the pattern keeps bytes a database refuses (NUL) out of the lookups
PlanId = Annotated[str, Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")]

router = APIRouter(route_class=SessionRoute, prefix="/plans", tags=["plans"])
me_router = APIRouter(route_class=SessionRoute, prefix="/me", tags=["technician"])


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def day_clock(request: Request) -> dt.datetime:
    """The moment of the day a live request (re-plan, recommend, assign) works at when it names none, on the
    service's clock (its area's local time); a test sets it (`app.dependency_overrides[day_clock]`) to live a
    day that is not today."""
    return local_now(request.app.state.settings.zone)


DayNow = Annotated[dt.datetime, Depends(day_clock)]


# The plan routes answer with response_model_exclude_unset: a plan goes out with the keys it was stored with
# (PlanContract leaves a key the stored plan lacks unset); every field of PlanRead itself is always set.
def _read(session: Session, job: PlanJob, *, published: bool) -> PlanRead:
    now = _now()
    names = service.requester_names(session, user_ids={job.requested_by} if job.requested_by else set())
    return PlanRead(
        id=job.id, date=job.date, status=JobStatus(job.status), phase=job.phase,
        progress=service.progress(job, now=now),
        time_limit=job.policy["time_limit"], seed=job.policy["seed"], solution_limit=job.policy.get("solution_limit"),
        parent_id=job.parent_id, at=job.at, pins=job.pins, error=job.error, created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at, published=published,
        requested_by=names.get(job.requested_by) if job.requested_by else None,
        plan=None if job.plan is None else PlanContract.model_validate(job.plan))


@router.post("", response_model=PlanRead, response_model_exclude_unset=True,
             status_code=status.HTTP_202_ACCEPTED, responses=TOO_MANY_JOBS)
def request_plan(request: Request, session: SessionDep, settings: SettingsDep, user: Dispatcher,
                 body: PlanRequest, response: Response, runner: PlanRunnerDep, sessions: SessionFactoryDep,
                 solve: PlanSolveDep, key: IdempotencyKey = None) -> PlanRead:
    """Queue a plan for a date; the answer comes at once, poll GET /plans/{plan_id} for status and the plan.

    With an `Idempotency-Key` used before by the same user for the same request, no new job starts: the answer
    is the job of the first request as it is now (header `Idempotent-Replayed: true`). A user with
    MAX_PLAN_JOBS_PER_USER jobs queued or running gets 429 with `Retry-After`.
    """
    submitted = service.submit(session, data=body, defaults=settings.policy(), user_id=user.id, now=_now(),
                               idempotency_key=key, max_jobs=settings.max_plan_jobs_per_user)
    job = submitted.job
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        service.start(runner, job=job, sessionmaker=sessions, solve=solve)
    response.headers["Location"] = f"{request.url.path}/{job.id}"
    return _read(session, job, published=bool(service.published_ids(session, plan_ids=[job.id])))


@router.get("", response_model=list[PlanSummary])
def list_plans(session: SessionDep, _user: Staff, date: dt.date | None = None,
               limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PlanSummary]:
    jobs = service.list_for(session, day=date, limit=limit)
    published = service.published_ids(session, plan_ids=[j.id for j in jobs])
    names = service.requester_names(session, user_ids={j.requested_by for j in jobs if j.requested_by})
    return [PlanSummary(id=j.id, date=j.date, status=JobStatus(j.status), created_at=j.created_at,
                        finished_at=j.finished_at, published=j.id in published, parent_id=j.parent_id,
                        requested_by=names.get(j.requested_by) if j.requested_by else None) for j in jobs]


@router.get("/{plan_id}", response_model=PlanRead, response_model_exclude_unset=True)
def get_plan(session: SessionDep, _user: Staff, plan_id: PlanId) -> PlanRead:
    """Status, phase and progress; once done, the plan (routes, unassigned with reasons, KPIs)."""
    job = service.get(session, plan_id=plan_id, now=_now())
    return _read(session, job, published=bool(service.published_ids(session, plan_ids=[job.id])))


@router.post("/{plan_id}/cancel", response_model=PlanRead, response_model_exclude_unset=True)
def cancel_plan(session: SessionDep, _user: Dispatcher, plan_id: PlanId, runner: PlanRunnerDep) -> PlanRead:
    """Cancel a queued or running job: it never holds a plan, and a running solve is stopped (its process
    ended within about two seconds, its core free again). A finished job cannot be cancelled (409)."""
    job = service.cancel(session, plan_id=plan_id, runner=runner, now=_now())
    return _read(session, job, published=False)


@router.post("/{plan_id}/replan", response_model=PlanRead, response_model_exclude_unset=True,
             status_code=status.HTTP_202_ACCEPTED, responses=TOO_MANY_JOBS)
def replan(request: Request, session: SessionDep, settings: SettingsDep, user: Dispatcher, plan_id: PlanId,
           body: ReplanRequest, response: Response, runner: PlanRunnerDep, sessions: SessionFactoryDep,
           solve: PlanSolveDep, day_now: DayNow, key: IdempotencyKey = None) -> PlanRead:
    """Pin orders to technicians (optional) and queue a new plan of the same date that keeps every pin.

    On the plan's date (or with `at`), the day is re-planned live from this plan and the day's events: what
    happened by `at` stays, nothing new starts before it, and the rest moves as little as pays (the plan's
    `changes` and `kpis.churn` say what moved). A retry with the same `Idempotency-Key` answers the job the
    first request queued (header `Idempotent-Replayed: true`) and queues no second one."""
    submitted = service.replan(session, plan_id=plan_id, data=body, user_id=user.id, now=_now(), day_now=day_now,
                               idempotency_key=key, max_jobs=settings.max_plan_jobs_per_user)
    job = submitted.job
    if submitted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        service.start(runner, job=job, sessionmaker=sessions, solve=solve)
    response.headers["Location"] = request.url.path.removesuffix(f"{plan_id}/replan") + job.id
    return _read(session, job, published=False)


@router.get("/{plan_id}/recommend", response_model=RecommendRead)
def recommend(session: SessionDep, _user: Dispatcher, plan_id: PlanId,
              order_id: Annotated[str, Query(min_length=1, max_length=64, description="the order to place")],
              at: Annotated[LocalDateTime | None, Query(description="the moment of the day (local time on the plan's "
                                                                   "date); default now on that date")] = None,
              top: Annotated[int, Query(ge=1, le=50)] = 5, *, day_now: DayNow) -> dict[str, object]:
    """The best places for one order (an emergency entered since the plan, say) in this plan's routes as the
    day stands at `at`, cheapest first: technician, stop number, ETA, late minutes, the cost it adds by part;
    for an order needing several technicians, the lead and the `crew` starting with them; `reason` when none."""
    return live.recommend(session, plan_id=plan_id, order_id=order_id, at=at, top=top, now=_now(), day_now=day_now)


@router.post("/{plan_id}/assign", response_model=PlanRead, response_model_exclude_unset=True,
             status_code=status.HTTP_201_CREATED)
def assign(request: Request, session: SessionDep, user: Dispatcher, plan_id: PlanId, body: AssignRequest,
           response: Response, day_now: DayNow, key: IdempotencyKey = None) -> PlanRead:
    """A new plan (done at once) with the order put on the technician's route at `position` (a placement
    of recommend; default the cheapest on that route; an order for several technicians goes to a crew with
    them in it, `crew` naming the others), its `changes` saying what moved; publish it to tell
    the technicians. A retry with the same `Idempotency-Key` answers the plan the first request made
    (header `Idempotent-Replayed: true`) and makes no second one."""
    job, replayed = live.assign_order(session, plan_id=plan_id, data=body, user_id=user.id, now=_now(),
                                      day_now=day_now, idempotency_key=key)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = request.url.path.removesuffix(f"{plan_id}/assign") + job.id
    return _read(session, job, published=False)


@router.post("/{plan_id}/publish", response_model=PublishedRead)
def publish_plan(session: SessionDep, user: Dispatcher, plan_id: PlanId) -> PublishedRead:
    """Make this done plan the one technicians see for its date (replacing the one published before); a plan
    of several days is published for each of its dates, replacing what was published for them."""
    row, technicians, dates = service.publish(session, plan_id=plan_id, user_id=user.id, now=_now())
    return PublishedRead(date=row.date, dates=dates, plan_id=row.plan_id, published_at=row.published_at,
                         version=row.version, technicians=technicians)


# --- the technician side: only the published plan, only their own route ----------------------------------

DateQuery = Annotated[dt.date, Query(alias="date", description="the plan date")]


@me_router.get("/route", response_model=RouteRead)
def my_route(settings: SettingsDep, token: TokenDep, day: DateQuery, engine: EngineDep,
             sessions: SessionFactoryDep) -> Response:
    """My stops of the published plan of `date`, in order, with ETAs, addresses and the parts to bring."""
    # The hot path of the service, so it runs as one thread-pool call with one query: the same checks as
    # CurrentUser (valid token, existing active user), read together with the stored route, which was shaped
    # (as RouteRead) when published and is sent as stored.
    user_id = token_user_id(token, settings)
    pull = service.route_pull(engine, user_id=user_id, day=day)
    if pull is None or not pull.is_active:
        raise UnauthorizedError(NO_USER)
    if pull.technician_id is None:
        raise ForbiddenError("only a technician has a route")
    if pull.route_text is not None:
        return Response(pull.route_text, media_type="application/json")
    # no route of mine that day: 404 without a published plan, else my empty route
    with sessions() as session:
        user = auth_service.get(session, user_id=user_id)
        if user is None:  # deleted since the read above
            raise UnauthorizedError(NO_USER)
        route, _ = service.my_route(session, user=user, day=day)
    return Response(RouteRead.model_validate(route).model_dump_json(by_alias=True), media_type="application/json")


@me_router.get("/route.ics", response_class=Response,
               responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}})
def my_route_ics(session: SessionDep, settings: SettingsDep, user: CurrentUser, day: DateQuery) -> Response:
    """My route as an iCalendar file (RFC 5545): one event per stop, in the service area's time zone."""
    route, published_at = service.my_route(session, user=user, day=day)
    return Response(route_export.to_ics(route, published_at=published_at, zone=settings.zone),
                    media_type="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="route-{day}.ics"'})


@me_router.get("/route.geojson", responses={200: {"content": {"application/geo+json": {}}}})
def my_route_geojson(session: SessionDep, user: CurrentUser, day: DateQuery) -> Response:
    """My route as GeoJSON (RFC 7946, [lon, lat]): the drive as a LineString, then a Point per stop."""
    route, _ = service.my_route(session, user=user, day=day)
    return Response(json.dumps(route_export.to_geojson(route)), media_type="application/geo+json")
