"""Notifications: generating the outbox from the stored day, listing it, resending. Plain functions, no HTTP.

`generate` is a pure scan of the stored state at `now`: running it again, or from several service workers at
once, adds nothing that is already there (each notification has a unique dedupe key and is inserted with
ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.customers.models import Customer
from api.errors import ConflictError, NotFoundError
from api.notify.models import Kind, Notification, Status
from api.orders.models import Order, OrderStatus
from api.plans.models import PlanJob, PublishedPlan, PublishedStop
from api.visits.models import Visit

log = logging.getLogger(__name__)

PART_MISSING = "part_missing"
SCORE_TEXT = "How did we do? Please score this visit from 1 (bad) to 5 (very good)."


@dataclass(frozen=True)
class Rules:
    """When customers hear: the confirmation lead time and the slip that calls for a delay notice."""

    confirm_minutes: int = 60
    delay_minutes: int = 15


@dataclass(frozen=True)
class Eta:
    """One order of the published plan: who comes, when planned and when now expected to start."""

    order_id: str
    technician_id: str
    planned_start: datetime
    predicted_start: datetime
    begun: bool  # the technician arrived (or the visit is over): nothing left to announce


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def predicted_etas(session: Session, *, day: date, at: datetime) -> dict[str, Eta]:
    """The published plan's orders of `day` with their predicted start at `at`.

    Walks each published route: a visit begun keeps its recorded times (one still in service ends no earlier
    than `at`); a stop not begun starts at its planned start, or later when the stop before ends late plus the
    planned drive, and not before `at` (the technician is not there yet).
    """
    published = session.get(PublishedPlan, day)
    if published is None:
        return {}
    job = session.get(PlanJob, published.plan_id)
    if job is None or job.plan is None:
        return {}
    visits = {v.order_id: v for v in session.scalars(select(Visit).where(Visit.date == day))}
    out: dict[str, Eta] = {}
    for route in job.plan["routes"]:
        free: datetime | None = None  # when the technician is done with the stop before
        for stop in route["stops"]:
            planned, end = _at(stop["start"]), _at(stop["end"])
            duration = end - planned
            v = visits.get(stop["order_id"])
            begun_at = None if v is None else (v.started_at or v.arrived_at or v.done_at)
            if v is not None and begun_at is not None:
                start = begun_at
                free = v.done_at or max(start + duration, at)
            else:
                arrival = _at(stop["arrival"])
                if free is not None:
                    arrival = max(arrival, free + timedelta(minutes=float(stop["travel_minutes"])))
                start = max(arrival, planned, at)
                free = start + duration
            out[stop["order_id"]] = Eta(stop["order_id"], route["technician_id"], planned, start,
                                        begun=begun_at is not None)
    return out


def unresolved_reason(visit: Visit) -> str | None:
    """Why a finished visit left its order open (None when it did not).

    The visit record holds only a note; a note naming a part ("part missing", "no spare part") reads as
    part_missing, anything else as other. Stored phone events will carry the reason itself.
    """
    if not visit.unresolved:
        return None
    return PART_MISSING if re.search(r"\bparts?\b", visit.notes or "", re.IGNORECASE) else "other"


def expected_date(session: Session, *, order_id: str, after: date) -> date:
    """When a missing part's visit is expected: a later published plan's date, else the next working day."""
    planned = session.scalar(select(PublishedStop.date).where(PublishedStop.order_id == order_id,
                                                              PublishedStop.date > after)
                             .order_by(PublishedStop.date).limit(1))
    if planned is not None:
        return planned
    day = after + timedelta(days=1)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return day


def _hhmm(value: datetime) -> str:
    return value.strftime("%H:%M")


def _customer(c: Customer | None, customer_id: str) -> dict[str, Any]:
    return {"id": customer_id, "name": c.name if c is not None else None, "phone": c.phone if c is not None else None}


def _told(session: Session, *, day: date) -> dict[str, datetime]:
    """The ETA last told to each order's customer on `day` (confirmations and delays)."""
    told: dict[str, datetime] = {}
    rows = session.execute(select(Notification.order_id, Notification.eta).where(
        Notification.date == day, Notification.kind.in_([Kind.visit_confirmed.value, Kind.visit_delayed.value]),
        Notification.eta.is_not(None)))
    for order_id, eta in rows:
        if eta is not None and (order_id not in told or eta > told[order_id]):
            told[order_id] = eta  # delays only ever push it later
    return told


@dataclass(frozen=True)
class Draft:
    kind: Kind
    order_id: str
    key: str
    eta: datetime | None
    fields: dict[str, Any]


def _drafts(session: Session, *, day: date, now: datetime, rules: Rules) -> Iterator[Draft]:
    d = day.isoformat()
    etas = predicted_etas(session, day=day, at=now)
    visits = list(session.scalars(select(Visit).where(Visit.date == day).order_by(Visit.order_id)))
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_(set(etas) | {v.order_id for v in visits})))}
    told = _told(session, day=day)
    for order_id in sorted(etas):
        eta, order = etas[order_id], orders.get(order_id)
        if eta.begun or order is None or order.status != OrderStatus.open.value:
            continue
        start = eta.predicted_start
        if order_id not in told:
            if now >= start - timedelta(minutes=rules.confirm_minutes):
                yield Draft(Kind.visit_confirmed, order_id, f"visit_confirmed:{d}:{order_id}", start, {
                    "eta": start.isoformat(), "technician_id": eta.technician_id,
                    "message": f"Your visit for order {order_id} is confirmed: the technician arrives at about "
                               f"{_hhmm(start)} today."})
        elif start > told[order_id] + timedelta(minutes=rules.delay_minutes):
            before = told[order_id]
            yield Draft(Kind.visit_delayed, order_id, f"visit_delayed:{d}:{order_id}:{before.isoformat()}", start, {
                "eta": start.isoformat(), "previous_eta": before.isoformat(), "technician_id": eta.technician_id,
                "delay_minutes": round((start - before).total_seconds() / 60),
                "message": f"Your technician for order {order_id} is running late: new arrival time about "
                           f"{_hhmm(start)} (instead of {_hhmm(before)})."})
    for v in visits:
        if v.done_at is None:
            continue
        reason = unresolved_reason(v)
        if reason is None:
            yield Draft(Kind.visit_done, v.order_id, f"visit_done:{d}:{v.order_id}", None, {
                "eta": None, "technician_id": v.technician_id, "done_at": v.done_at.isoformat(),
                "score": {"min": 1, "max": 5, "text": SCORE_TEXT},
                "message": f"The visit for order {v.order_id} is done. {SCORE_TEXT}"})
        elif reason == PART_MISSING:
            when = expected_date(session, order_id=v.order_id, after=day)
            yield Draft(Kind.part_missing, v.order_id, f"part_missing:{d}:{v.order_id}", None, {
                "eta": None, "technician_id": v.technician_id, "expected_date": when.isoformat(),
                "note": v.notes,
                "message": f"The repair of order {v.order_id} needs a part we did not have with us. "
                           f"We expect to come back on {when.isoformat()}."})


def _insert(session: Session, values: dict[str, Any]) -> bool:
    """Insert one notification unless its dedupe key exists; True when this call added it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.execute(stmt)
    session.commit()  # one row, one short transaction: concurrent workers never wait on each other's batch
    return bool(getattr(result, "rowcount", 0))


def generate(session: Session, *, day: date, now: datetime, rules: Rules = Rules()) -> list[str]:
    """Record the notifications the stored state of `day` calls for at `now`; the ids of those added."""
    drafts = list(_drafts(session, day=day, now=now, rules=rules))
    if not drafts:
        return []
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_({x.order_id for x in drafts})))}
    customers = {c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_({o.customer_id for o in orders.values()})))}
    added = []
    for x in drafts:
        order = orders[x.order_id]
        row_id = str(uuid.uuid4())
        payload = {"customer": _customer(customers.get(order.customer_id), order.customer_id)} | x.fields
        if _insert(session, {"id": row_id, "kind": x.kind.value, "date": day, "order_id": x.order_id,
                             "customer_id": order.customer_id, "eta": x.eta, "payload": payload,
                             "dedupe_key": x.key, "status": Status.pending.value, "attempts": 0,
                             "next_attempt_at": now, "created_at": now}):
            added.append(row_id)
            log.info("notification %s: %s for order %s", row_id, x.kind.value, x.order_id)
    return added


def get(session: Session, *, notification_id: str) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFoundError(f"notification {notification_id!r} not found")
    return row


def list_for(session: Session, *, day: date | None, status: str | None, order_id: str | None,
             limit: int) -> list[Notification]:
    stmt = select(Notification).order_by(Notification.created_at, Notification.id).limit(limit)
    if day is not None:
        stmt = stmt.where(Notification.date == day)
    if status is not None:
        stmt = stmt.where(Notification.status == status)
    if order_id is not None:
        stmt = stmt.where(Notification.order_id == order_id)
    return list(session.scalars(stmt))


def resend(session: Session, *, notification_id: str, now: datetime, webhook: str | None) -> Notification:
    """Send it again (same id, so a receiver that kept the first copy drops this one): back to pending now."""
    row = get(session, notification_id=notification_id)
    if webhook is None:
        raise ConflictError("no webhook is configured (NOTIFY_WEBHOOK_URL): nothing would be sent")
    row.status, row.next_attempt_at, row.attempts = Status.pending.value, now, 0
    row.claim_token = row.claimed_until = row.delivered_at = row.last_error = None
    session.commit()
    log.info("notification %s queued again", row.id)
    return row
