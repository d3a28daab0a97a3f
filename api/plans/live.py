"""The live day over a stored plan: where one order fits best now (recommend), and putting it there (assign).

Plain functions over a Session, keyword-only, no HTTP. Both read the day as it stands in the database (the
orders with today's new emergencies, the day's events) on each call, so an answer never comes from stale
state; the engine's Recommender builds its matrices once per call and ranks in milliseconds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from api import idempotency
from api.errors import ConflictError, InvalidInputError, field_error
from api.plans import days, service, solving
from api.plans.models import JobStatus, PlanJob
from api.plans.schemas import AssignRequest
from dispatch.domain import Day
from dispatch.errors import InputError
from dispatch.events import Event
from dispatch.io.day_json import day_to_dict
from dispatch.live import Recommender, assign
from dispatch.plan import Plan
from dispatch.policy import Policy


def _query_error(field: str, message: str, value: Any) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", errors=[{"loc": ["query", field], "msg": message,
                                                              "type": "value_error", "input": value}])


def _done(job: PlanJob) -> dict[str, Any]:
    if job.status != JobStatus.done or job.plan is None:
        raise ConflictError(f"plan {job.id!r} is {job.status}: only a done plan can take an order")
    service.refuse_horizon(Policy.from_dict(job.policy))
    return job.plan


def _policy(job: PlanJob, plan: dict[str, Any]) -> Policy:
    return Policy.from_dict(plan.get("policy") or job.policy)


def _checked(rows: list[dict[str, Any]], day: Day) -> tuple[Event, ...]:
    try:
        return solving.checked_events(rows, day)
    except InputError as e:
        raise InvalidInputError(f"the events of {day.date} contradict each other: {_why(e)}") from None


def _why(e: InputError | ValueError) -> str:
    return "; ".join(c.message for c in e.errors) if isinstance(e, InputError) else str(e)


def recommend(session: Session, *, plan_id: str, order_id: str, at: datetime | None, top: int,
              now: datetime, day_now: datetime | None = None) -> dict[str, Any]:
    """The `top` best places for `order_id` in the plan as the day stands at `at` (see live_moment; `day_now`
    is the moment of the day it defaults to, default `now`), cheapest first: {"order_id", "at",
    "reason", "placements": [...]} (`reason`: why there is none, when there is none)."""
    job = service.get(session, plan_id=plan_id, now=now)
    plan = _done(job)
    try:
        moment = days.live_moment(job, at=at, now=day_now or now)
    except InvalidInputError as e:
        raise _query_error("at", str(e).removeprefix("at: "), None if at is None else at.isoformat()) from None
    happened = days.day_events_of(session, day=job.date)
    try:
        day = days.build_live_day(session, day=job.date, events=happened)
    except ValueError as e:
        raise InvalidInputError(f"the day of plan {plan_id} cannot be read: {e}") from None
    events = _checked(solving.event_dicts(happened), day)
    try:
        rec = Recommender(day, Plan.from_dict(plan), events, moment, _policy(job, plan))
        places = rec.places(order_id, top)
        reason = None if places else rec.why_none(order_id)
    except InputError as e:
        raise _query_error("order_id", _why(e), order_id) from None
    except ValueError as e:
        raise InvalidInputError(f"the day of plan {plan_id} cannot be read: {e}") from None
    # "cost_delta" is the contract's name for the added cost by part; "added_cost" is the engine's
    return {"order_id": order_id, "at": moment, "reason": reason,
            "placements": [p.to_dict() | {"cost_delta": p.to_dict()["added_cost"]} for p in places]}


class Assigned(NamedTuple):
    job: PlanJob
    replayed: bool  # the answer of an earlier request with the same Idempotency-Key


def assign_order(session: Session, *, plan_id: str, data: AssignRequest, user_id: int | None,
                 now: datetime, day_now: datetime | None = None, idempotency_key: str | None = None) -> Assigned:
    """A new done plan (parent: `plan_id`) with `data.order_id` on `data.technician_id`'s route at
    `data.position` (default its cheapest place there): the insertion recommend ranks, nothing searched.
    422 naming the field when the order is not open, the technician cannot take it, or the place breaks a
    hard rule; nothing is written then. With an idempotency key this user used before for the same request,
    no second plan is made: the answer is the plan the first one made."""
    parent = service.get(session, plan_id=plan_id, now=now)  # may mark a lost job failed: before any write
    if idempotency_key is None or user_id is None:
        job = _assign(session, parent=parent, data=data, user_id=user_id, now=now, day_now=day_now)
        session.commit()
        return Assigned(job, False)

    def work() -> dict[str, Any]:
        return {"id": _assign(session, parent=parent, data=data, user_id=user_id, now=now, day_now=day_now).id}

    outcome = idempotency.run_once(session, key=idempotency_key, user_id=user_id, endpoint="plans:assign",
                                   # without a crew, the digest of the request as it was before crews existed
                                   digest=idempotency.request_hash({"plan_id": plan_id} | data.model_dump(
                                       mode="json", exclude=None if data.crew is not None else {"crew"})),
                                   work=work, status_code=201)
    return Assigned(service.get(session, plan_id=str(outcome.body["id"]), now=now), outcome.replayed)


def _assign(session: Session, *, parent: PlanJob, data: AssignRequest, user_id: int | None, now: datetime,
            day_now: datetime | None) -> PlanJob:
    plan_id = parent.id
    plan = _done(parent)
    moment = days.live_moment(parent, at=data.at, now=day_now or now)
    happened = days.day_events_of(session, day=parent.date)
    try:
        day = days.build_live_day(session, day=parent.date, events=happened)
    except ValueError as e:
        raise InvalidInputError(f"the day of plan {plan_id} cannot be read: {e}") from None
    if data.technician_id not in {t.id for t in day.technicians}:
        raise field_error("technician_id", f"technician {data.technician_id!r} does not work on {parent.date}",
                          data.technician_id)
    away = [t for t in data.crew or () if t not in {t.id for t in day.technicians}]
    if away:
        raise field_error("crew", f"technician {away[0]!r} does not work on {parent.date}", data.crew)
    events_rows = solving.event_dicts(happened)
    events = _checked(events_rows, day)
    try:
        new = assign(day, Plan.from_dict(plan), events, moment, data.order_id, data.technician_id, data.position,
                     _policy(parent, plan), crew=data.crew)
    except InputError as e:
        raise field_error("order_id", _why(e), data.order_id) from None
    except ValueError as e:
        field = ("position" if data.position is not None and "position" in str(e)
                 else "crew" if data.crew and " with " in str(e) else "technician_id")
        given = {"position": data.position, "crew": data.crew}.get(field, data.technician_id)
        raise field_error(field, str(e), given) from None
    job = PlanJob(id=str(uuid.uuid4()), date=parent.date, status=JobStatus.done.value, phase=JobStatus.done.value,
                  policy=parent.policy, parent_id=parent.id, requested_by=user_id, at=moment,
                  pins={o.id: o.pinned_technician for o in day.orders if o.pinned_technician is not None},
                  input=day_to_dict(day) | {"events": events_rows}, plan=new.to_dict(), created_at=now,
                  started_at=now, finished_at=now, deadline_at=now)
    session.add(job)
    session.flush()
    return job
