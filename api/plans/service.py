"""Plan jobs: plain functions over a Session, keyword-only, no HTTP.

A job's state lives in its row. Every change of state is a conditional UPDATE on the state it expects
(`queued -> running -> done|failed`, `queued|running -> cancelled`), so a cancel racing a finishing solve has
exactly one winner, and the plan is written in the same statement that marks the job done: a job that crashed
or was stopped never holds a plan, and only a done job can be published. A cancelled job's solve is stopped
(api.jobs), by the runner that got the cancel or, within a second or two, by the one solving it, which
watches the job's row. A user may have `max_jobs` jobs queued or running at once; one more is a 429.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, Text, cast, delete, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import idempotency
from api.auth.models import User
from api.errors import ConflictError, ForbiddenError, NotFoundError, TooManyAttemptsError, field_error
from api.idempotency import begin_write
from api.jobs import ComputeCancelledError, JobRunner
from api.orders.models import Order, OrderStatus
from api.parts.models import Part
from api.plans import route_export, solving
from api.plans.days import (
    build_day,
    build_live_day,
    day_events_of,
    live_moment,
    order_candidates,
    store_stock,
)
from api.plans.horizon import day_slice, plan_dates
from api.plans.models import UNFINISHED, JobStatus, PlanJob, PublishedPlan, PublishedRoute, PublishedStop
from api.plans.schemas import PlanRequest, ReplanRequest
from api.technicians.models import Technician
from dispatch.io.day_json import day_to_dict
from dispatch.live.changes import compare
from dispatch.plan import Plan
from dispatch.policy import Policy

log = logging.getLogger(__name__)

Solve = solving.Solve

QUEUE_GRACE = timedelta(minutes=30)  # a job not started by then is taken as lost (the service went away)
RUN_GRACE = timedelta(minutes=2)  # on top of twice the time limit: building the problem, the reasons, storing


def _policy(base: Policy, *, time_limit: float | None, seed: int | None, solution_limit: int | None,
            horizon_days: int = 1) -> dict[str, Any]:
    values = base.to_dict()
    if time_limit is not None:
        values["time_limit"] = time_limit
    if seed is not None:
        values["seed"] = seed
    if solution_limit is not None:
        values["solution_limit"] = solution_limit
    values["horizon_days"] = horizon_days  # the request's, never the deployment's: a re-plan plans one day
    Policy.from_dict(values)  # checks the combination
    return values


def refuse_horizon(policy: Policy) -> None:
    """A live operation on a plan (re-plan, recommend, assign) works on one day: a multi-day plan is refused
    (422); ask for a new plan of the horizon instead. Every one of them passes here."""
    if policy.horizon_days > 1:
        raise field_error("horizon_days", f"horizon_days {policy.horizon_days}: a re-plan, a recommendation or an "
                                          "assignment works on one day; ask for a new plan of the horizon "
                                          "(POST /api/v1/plans with horizon_days)", policy.horizon_days)


def refuse_over_cap(session: Session, *, user_id: int | None, max_jobs: int | None, now: datetime) -> None:
    """429 with Retry-After when `user_id` already has `max_jobs` jobs queued or running (a job past its
    deadline does not count: it is lost, and is marked failed when next read).

    The user's row is locked first (PostgreSQL; SQLite takes its write lock), so two requests of one user at
    the same moment are counted one after the other, and the cap holds under a race."""
    if user_id is None or max_jobs is None:
        return
    begin_write(session)
    session.execute(select(User.id).where(User.id == user_id).with_for_update())
    jobs = list(session.execute(
        select(PlanJob.started_at, PlanJob.policy)
        .where(PlanJob.requested_by == user_id, PlanJob.status.in_(UNFINISHED), PlanJob.deadline_at >= now)))
    if len(jobs) < max_jobs:
        return
    # when the soonest of them should end: a running job at its time limit, a queued one (which first waits
    # for a solver) after twice its time limit from now
    ends = [(started or now) + timedelta(seconds=float(policy["time_limit"]) * (1 if started else 2))
            for started, policy in jobs]
    wait = max(1, int((min(ends) - now).total_seconds()) + 1)
    session.rollback()
    raise TooManyAttemptsError(f"you have {len(jobs)} plan jobs queued or running, the most one user may have "
                               f"({max_jobs}); wait for one to finish, or cancel one", retry_after=wait)


def _new_job(session: Session, *, day: date, policy: dict[str, Any], user_id: int | None, now: datetime,
             parent_id: str | None = None, commit: bool = True, at: datetime | None = None,
             max_jobs: int | None = None) -> PlanJob:
    refuse_over_cap(session, user_id=user_id, max_jobs=max_jobs, now=now)
    job = PlanJob(id=str(uuid.uuid4()), date=day, status=JobStatus.queued.value, phase="waiting for a solver",
                  policy=policy, parent_id=parent_id, requested_by=user_id, pins={}, created_at=now, at=at,
                  deadline_at=now + QUEUE_GRACE + timedelta(seconds=float(policy["time_limit"])))
    session.add(job)
    if commit:
        session.commit()
    else:
        session.flush()
    return job


class Submitted(NamedTuple):
    """The job a plan request stands for, and whether it is new (to start) or the replay of an earlier one."""

    job: PlanJob
    replayed: bool


def submit(session: Session, *, data: PlanRequest, defaults: Policy, user_id: int | None, now: datetime,
           idempotency_key: str | None = None, max_jobs: int | None = None) -> Submitted:
    """A queued job for `data.date`; the caller hands a new one's id to a runner.

    With an idempotency key already used by this user for the same request, no job is made: the answer is the
    job the first request made (whatever its state now), so a double click or a retried request never starts
    a second solve. The same key with a different request is refused (422). A new job beyond the user's
    `max_jobs` queued or running ones is refused (429, see refuse_over_cap); a replay never is.
    """
    policy = _policy(defaults, time_limit=data.time_limit, seed=data.seed, solution_limit=data.solution_limit,
                     horizon_days=data.horizon_days)
    if idempotency_key is None or user_id is None:
        return Submitted(_new_job(session, day=data.date, policy=policy, user_id=user_id, now=now,
                                  max_jobs=max_jobs), False)

    def work() -> dict[str, Any]:
        job = _new_job(session, day=data.date, policy=policy, user_id=user_id, now=now, commit=False,
                       max_jobs=max_jobs)
        return {"id": job.id}

    outcome = idempotency.run_once(session, key=idempotency_key, user_id=user_id, endpoint="plans:request",
                                   digest=idempotency.request_hash(data.model_dump(mode="json")), work=work,
                                   status_code=202)
    return Submitted(get(session, plan_id=str(outcome.body["id"]), now=now), outcome.replayed)


def requester_names(session: Session, *, user_ids: set[int]) -> dict[int, str]:
    """User id -> the name a dispatcher knows them by (full name, else user name)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.username, User.full_name).where(User.id.in_(user_ids)))
    return {uid: full or name for uid, name, full in rows}


def replan(session: Session, *, plan_id: str, data: ReplanRequest, user_id: int | None, now: datetime,
           day_now: datetime | None = None, idempotency_key: str | None = None,
           max_jobs: int | None = None) -> Submitted:
    """Pin `data.pins` on the orders, then queue a new job for the same date with the parent's policy.

    The job re-plans live at `data.at` (default: now, when now falls on the plan's date) from the parent's
    plan and the day's events: what happened by then stays, the rest moves as little as pays. Without such
    a moment (a plan of another day), or from a parent that holds no plan, it plans the date afresh.
    `day_now` is the moment of the day that default stands for (default `now`). With an idempotency key
    this user used before for the same request, nothing is pinned or queued again: the answer is the job the
    first request made. Beyond `max_jobs` of the user's jobs queued or running, a 429 (nothing is pinned).
    """
    parent = get(session, plan_id=plan_id, now=now)  # may mark a lost job failed: before any other write
    if idempotency_key is None or user_id is None:
        return Submitted(_replan(session, parent=parent, data=data, user_id=user_id, now=now, day_now=day_now,
                                 max_jobs=max_jobs), False)

    def work() -> dict[str, Any]:
        job = _replan(session, parent=parent, data=data, user_id=user_id, now=now, day_now=day_now, commit=False,
                      max_jobs=max_jobs)
        return {"id": job.id}

    outcome = idempotency.run_once(session, key=idempotency_key, user_id=user_id, endpoint="plans:replan",
                                   digest=idempotency.request_hash({"plan_id": plan_id} | data.model_dump(mode="json")),
                                   work=work, status_code=202)
    return Submitted(get(session, plan_id=str(outcome.body["id"]), now=now), outcome.replayed)


def _replan(session: Session, *, parent: PlanJob, data: ReplanRequest, user_id: int | None, now: datetime,
            day_now: datetime | None, commit: bool = True, max_jobs: int | None = None) -> PlanJob:
    plan_id = parent.id
    base = Policy.from_dict(parent.policy)
    refuse_horizon(base)
    day_now = day_now or now
    at: datetime | None = None
    if data.at is not None:
        if parent.status != JobStatus.done:
            raise ConflictError(f"plan {plan_id!r} is {parent.status}: a live re-plan starts from a done plan")
        at = live_moment(parent, at=data.at, now=day_now)
    elif parent.status == JobStatus.done and day_now.date() == parent.date:
        at = day_now.replace(microsecond=0)
    for order_id, technician_id in sorted(data.pins.items()):
        order = session.get(Order, order_id)
        if order is None or order.status != OrderStatus.open:
            raise field_error("pins", f"order {order_id!r} is not an open order", order_id)
        if session.get(Technician, technician_id) is None:
            raise field_error("pins", f"technician {technician_id!r} does not exist", technician_id)
        # a pin the technician cannot honour would only leave the order unassigned (or, off that day, fail
        # the plan): refused here with the reason, as the board offers only technicians who fit
        fit = next(c for c in order_candidates(session, order_id=order_id, day=parent.date, policy=base)
                   if c.technician_id == technician_id)
        if not fit.fits:
            raise field_error("pins", f"order {order_id} cannot be pinned to {technician_id} on {parent.date}: "
                                      f"{fit.reason}", technician_id)
        order.pinned_technician_id = technician_id
    policy = _policy(base, time_limit=data.time_limit, seed=data.seed, solution_limit=data.solution_limit)
    return _new_job(session, day=parent.date, policy=policy, user_id=user_id, now=now, parent_id=parent.id, at=at,
                    commit=commit, max_jobs=max_jobs)


def _fail_if_lost(session: Session, job: PlanJob, now: datetime) -> None:
    if job.status in UNFINISHED and job.deadline_at < now:
        what = "started" if job.status == JobStatus.queued else "finished"
        _finish(session, job.id, expect=UNFINISHED, status=JobStatus.failed, now=now,
                error=f"the solve was not {what} by {job.deadline_at:%Y-%m-%d %H:%M:%S}: the solver process "
                      "was stopped or the service restarted")
        session.refresh(job)


def get(session: Session, *, plan_id: str, now: datetime) -> PlanJob:
    job = session.get(PlanJob, plan_id)
    if job is None:
        raise NotFoundError(f"plan {plan_id!r} not found")
    _fail_if_lost(session, job, now)
    return job


def list_for(session: Session, *, day: date | None, limit: int) -> list[PlanJob]:
    stmt = select(PlanJob).order_by(PlanJob.created_at.desc(), PlanJob.id).limit(limit)
    if day is not None:
        stmt = stmt.where(PlanJob.date == day)
    return list(session.scalars(stmt))


def published_ids(session: Session, *, plan_ids: list[str]) -> set[str]:
    return set(session.scalars(select(PublishedPlan.plan_id).where(PublishedPlan.plan_id.in_(plan_ids))))


def progress(job: PlanJob, *, now: datetime) -> float:
    """0 queued, 1 finished; while running, the share of the time limit spent (the solve stops at it)."""
    if job.status == JobStatus.queued:
        return 0.0
    if job.status != JobStatus.running:
        return 1.0
    if job.started_at is None:
        return 0.0
    spent = (now - job.started_at).total_seconds() / max(1e-9, float(job.policy["time_limit"]))
    return round(min(0.99, max(0.0, spent)), 3)


def _finish(session: Session, job_id: str, *, expect: tuple[str, ...], status: JobStatus, now: datetime,
            **values: Any) -> bool:
    """Move a job from one of `expect` to `status`, with `values`; False when another change won."""
    result = session.execute(
        update(PlanJob).where(PlanJob.id == job_id, PlanJob.status.in_(expect))
        .values(status=status.value, finished_at=now, phase=status.value, **values)
        .execution_options(synchronize_session=False))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def cancel(session: Session, *, plan_id: str, runner: JobRunner | None, now: datetime) -> PlanJob:
    job = get(session, plan_id=plan_id, now=now)
    if job.status not in UNFINISHED or not _finish(session, job.id, expect=UNFINISHED,
                                                   status=JobStatus.cancelled, now=now):
        session.refresh(job)
        raise ConflictError(f"plan {plan_id!r} is {job.status} and can no longer be cancelled")
    if runner is not None:
        runner.cancel(job.id)  # stops its solve, if this runner has it (else its runner sees the row within CHECK_S)
    session.refresh(job)
    log.info("plan %s cancelled", plan_id)
    return job


def run_timeout(policy: dict[str, Any]) -> float:
    """Seconds a started job may take before it is given up: twice the time limit, plus RUN_GRACE."""
    return (2 * timedelta(seconds=float(policy["time_limit"])) + RUN_GRACE).total_seconds()


def run_job(job_id: str, runner: JobRunner, *, sessionmaker: sessionmaker[Session], solve: Solve = solving.solve,
            clock: Callable[[], datetime] = datetime.now) -> None:
    """The coordinator of one job: start it, build its Day, solve on the runner, store the plan or the failure."""
    with sessionmaker() as session:
        job = session.get(PlanJob, job_id)
        if job is None:
            return
        now = clock()
        started = session.execute(
            update(PlanJob).where(PlanJob.id == job_id, PlanJob.status == JobStatus.queued.value)
            .values(status=JobStatus.running.value, phase="reading the day", started_at=now,
                    deadline_at=now + timedelta(seconds=run_timeout(job.policy)))
            .execution_options(synchronize_session=False))
        session.commit()
        if not started.rowcount:  # type: ignore[attr-defined]
            return  # cancelled (or lost) before it started
        try:
            parent = session.get(PlanJob, job.parent_id) if job.parent_id is not None and job.at is not None else None
            if job.at is not None and (parent is None or parent.plan is None):
                raise ValueError(f"the plan this live re-plan starts from ({job.parent_id}) holds no plan any more")
            happened = day_events_of(session, day=job.date) if parent is not None else []
            events = solving.event_dicts(happened)
            day = (build_day(session, day=job.date, horizon_days=int(job.policy.get("horizon_days") or 1))
                   if parent is None
                   else build_live_day(session, day=job.date, events=happened))
            day_input = day_to_dict(day)
            # what the central stores hold of the parts the orders need: a part fix names a store that has them
            stores = store_stock(session, part_ids={p for o in day.orders for p in o.required_parts})
            if stores:
                day_input[solving.STORES] = {p: [[loc, q] for loc, q in held] for p, held in stores.items()}
            pins = {o.id: o.pinned_technician for o in day.orders if o.pinned_technician is not None}
            # a live re-plan keeps the events it was given with its Day, so it can be checked later
            stored = day_input if parent is None else day_input | {"events": events}
            session.execute(update(PlanJob).where(PlanJob.id == job_id)
                            .values(phase="solving", input=stored, pins=pins)
                            .execution_options(synchronize_session=False))
            session.commit()
            # the solve is stopped at the job's deadline, or as soon as the job is cancelled or given up
            # (by a request to another service worker, too: its row says so)
            timeout = max(1.0, (now + timedelta(seconds=run_timeout(job.policy)) - clock()).total_seconds())

            def still_wanted() -> bool:
                with sessionmaker() as check:
                    return check.scalar(select(PlanJob.status).where(PlanJob.id == job_id)) == JobStatus.running

            if parent is not None and parent.plan is not None and job.at is not None:
                plan = runner.compute(solving.replan, day_input, parent.plan, events, job.at.isoformat(),
                                      job.policy, timeout=timeout, still_wanted=still_wanted)
            else:
                plan = runner.compute(solve, day_input, job.policy, timeout=timeout, still_wanted=still_wanted)
        except ComputeCancelledError:
            return  # cancelled (or given up) while it solved: marked so already, its solve is stopped
        except Exception as e:
            log.exception("plan %s failed", job_id)
            session.rollback()
            _finish(session, job_id, expect=(JobStatus.running.value,), status=JobStatus.failed, now=clock(),
                    error=f"{type(e).__name__}: {e}"[:2000])
            return
        if not _finish(session, job_id, expect=(JobStatus.running.value,), status=JobStatus.done, now=clock(),
                       plan=plan):
            log.info("plan %s finished after it was cancelled or given up; its result is dropped", job_id)


def start(runner: JobRunner, *, job: PlanJob, sessionmaker: sessionmaker[Session], solve: Solve) -> None:
    def coordinate(job_id: str, r: JobRunner) -> None:
        run_job(job_id, r, sessionmaker=sessionmaker, solve=solve)

    runner.submit(job.id, coordinate)


def fail_unfinished(session: Session, *, plan_ids: list[str], reason: str, now: datetime) -> None:
    """Mark these jobs failed if they are still unfinished (the service is stopping)."""
    for plan_id in plan_ids:
        _finish(session, plan_id, expect=UNFINISHED, status=JobStatus.failed, now=now, error=reason)


def publish(session: Session, *, plan_id: str, user_id: int | None,
            now: datetime) -> tuple[PublishedPlan, list[str], list[date]]:
    """Make a done plan the one technicians see for each of its dates, in one transaction.

    A date's plan is the one published last for it: a multi-day plan replaces whatever was published for the
    dates it covers (a later date's own plan included) and leaves the other dates alone; a date it covers
    can be replaced again by publishing another plan of it. The answer: the plan date's publication, the
    technicians who got a route, the dates published.
    """
    job = get(session, plan_id=plan_id, now=now)
    if job.status != JobStatus.done or job.plan is None:
        raise ConflictError(f"plan {plan_id!r} is {job.status}: only a done plan can be published")
    plan = job.plan
    dates = plan_dates(plan) if len(plan.get("dates") or ()) > 1 else [job.date]
    _one_publication_at_a_time(session, dates)
    order_ids = [s["order_id"] for r in plan["routes"] for s in r["stops"]]
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(order_ids)))}
    part_ids = {p for o in orders.values() for p in o.required_parts}
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(part_ids)))}
    from api.customers.models import Customer

    customers = {c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_({o.customer_id for o in orders.values()})))}
    techs = {t.id: t for t in session.scalars(select(Technician))}
    published: set[str] = set()
    try:
        for day in dates:
            published |= _publish_day(session, job=job, day=day, user_id=user_id, now=now, orders=orders,
                                      customers=customers, parts=parts, techs=techs)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"another plan for {job.date} was published at the same moment; try again") from None
    log.info("plan %s published for %s (%d technicians)", job.id, ", ".join(d.isoformat() for d in dates),
             len(published))
    return session.get(PublishedPlan, job.date) or PublishedPlan(), sorted(published), dates


PUBLISH_LOCK = 0x5055  # the first key of the dates' advisory locks (the second: the date's ordinal)


def _one_publication_at_a_time(session: Session, dates: Sequence[date]) -> None:
    """Hold each date's publication lock until the transaction ends, dates in order.

    Two publishes of one date that interleaved their deletes and inserts of its routes and stops deadlocked
    on PostgreSQL (a 503), also when the date had no PublishedPlan row yet to lock; an advisory lock needs no
    row. SQLite's write lock, taken here, already lets one writer in at a time.
    """
    begin_write(session)
    if session.get_bind().dialect.name == "postgresql":
        for day in sorted(set(dates)):
            session.execute(text("SELECT pg_advisory_xact_lock(:space, :day)"),
                            {"space": PUBLISH_LOCK, "day": day.toordinal()})


def _publish_day(session: Session, *, job: PlanJob, day: date, user_id: int | None, now: datetime,
                 orders: dict[str, Order], customers: dict[str, Any], parts: dict[str, Part],
                 techs: dict[str, Technician]) -> set[str]:
    """Publish the routes `job`'s plan has on `day` as that date's plan; the technicians who got one."""
    assert job.plan is not None
    plan = day_slice(job.plan, day)
    session.execute(delete(PublishedRoute).where(PublishedRoute.date == day))
    session.execute(delete(PublishedStop).where(PublishedStop.date == day))
    current = session.get(PublishedPlan, day)
    before = None if current is None else session.get(PlanJob, current.plan_id)
    changes = publication_changes(None if before is None or before.plan is None else day_slice(before.plan, day),
                                  plan)
    if current is None:
        session.add(PublishedPlan(date=day, plan_id=job.id, published_at=now, published_by=user_id,
                                  version=1, changes=changes))
        version = 1
    else:
        version = current.version + 1
        current.plan_id, current.published_at, current.published_by = job.id, now, user_id
        current.version, current.changes = version, changes
    session.flush()
    published: set[str] = set()
    names = {t.id: t.name for t in techs.values()}
    for route in plan["routes"]:
        tech = techs.get(route["technician_id"])
        if tech is None:
            continue  # removed since the solve: nobody to show the route to
        body = route_export.route_body(route, plan_id=job.id, day=day, technician=tech, orders=orders,
                                       customers=customers, parts=parts, names=names)
        body |= {"version": version, "changes": changes_for(changes, technician_id=tech.id)}
        session.add(PublishedRoute(date=day, technician_id=tech.id, plan_id=job.id, published_at=now, route=body))
        session.add_all(PublishedStop(date=day, order_id=s["order_id"], technician_id=tech.id,
                                      lead=route_export.is_lead(s, tech.id)) for s in route["stops"])
        published.add(tech.id)
    return published


def publication_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What publishing the plan `after` changes against the plan published `before` (None: the first
    publication of the date, nothing changes): the plan contract's change items, visits not yet begun
    compared order by order (dispatch.live.changes.compare). Both are plans of one date (see day_slice)."""
    if before is None:
        return []
    new = Plan.from_dict(after)
    cancelled = {u.order_id for u in new.unassigned if u.rule == "cancelled"}
    found, _ = compare(Plan.from_dict(before), new, cancelled)
    return [c.to_dict() for c in found]


def changes_for(changes: Sequence[dict[str, Any]], *, technician_id: str) -> list[dict[str, Any]]:
    """The changes that concern one technician: an order that came to them or left them, or moved on their
    route."""
    return [c for c in changes if technician_id in (c.get("from_technician"), c.get("to_technician"))]


def route_of(session: Session, *, technician_id: str, day: date) -> PublishedRoute | None:
    """The technician's published route of `day`; None when a plan is published without them."""
    row = session.get(PublishedRoute, (day, technician_id))  # the common case: one primary-key read
    if row is None and session.get(PublishedPlan, day) is None:
        raise NotFoundError(f"no plan is published for {day}")
    return row


def published_plan(session: Session, *, day: date) -> PublishedPlan:
    row = session.get(PublishedPlan, day)
    if row is None:
        raise NotFoundError(f"no plan is published for {day}")
    return row


def my_route(session: Session, *, user: User, day: date) -> tuple[dict[str, Any], datetime]:
    """`user`'s route of the plan published for `day` (as RouteRead), and when it was published.

    A technician the published plan gives nothing to do gets an empty route; 404 when no plan is published
    for `day`, 403 when the user is not a technician.
    """
    if user.technician_id is None:
        raise ForbiddenError("only a technician has a route")
    row = route_of(session, technician_id=user.technician_id, day=day)
    if row is not None:
        return row.route, row.published_at
    tech = session.get(Technician, user.technician_id)
    if tech is None:
        raise NotFoundError(f"technician {user.technician_id!r} not found")
    published = published_plan(session, day=day)
    route = route_export.empty_route(plan_id=published.plan_id, day=day, technician=tech)
    route |= {"version": published.version,
              "changes": changes_for(published.changes or [], technician_id=tech.id)}
    return route, published.published_at


class RoutePull(NamedTuple):
    is_active: bool
    technician_id: str | None
    route_text: str | None  # None: no published route of that day for this technician


def route_pull(engine: Engine, *, user_id: int, day: date) -> RoutePull | None:
    """The token's user (active? which technician?) and their published route text of `day`, in one round trip.

    The route pull's hot path: the user row is still read on every request (deactivation and relinking take
    effect at once), joined to the route instead of read separately; columns only, no ORM objects. One
    statement sees one snapshot, so it runs in autocommit: no BEGIN and ROLLBACK round trips around it.
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(
            select(User.is_active, User.technician_id, cast(PublishedRoute.route, Text))
            .outerjoin(PublishedRoute,
                       (PublishedRoute.technician_id == User.technician_id) & (PublishedRoute.date == day))
            .where(User.id == user_id)).one_or_none()
    return None if row is None else RoutePull(bool(row[0]), row[1], row[2])
