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
from api.errors import ConflictError, NotFoundError, field_error
from api.live.status import day_status
from api.notify.models import Kind, Notification, Status
from api.orders.models import Order, OrderStatus
from api.plans.models import PublishedPlan, PublishedStop
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


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


NOT_THERE_YET = ("planned", "en_route")  # day_status order statuses: the customer still waits for the technician


def predicted_etas(session: Session, *, day: date, at: datetime) -> dict[str, Eta]:
    """The published plan's orders of `day` with their predicted start at `at` (the live status of the day:
    the plan walked forward from what the visits and events say)."""
    if session.get(PublishedPlan, day) is None:
        return {}  # nothing promised to anyone: spare the walk
    out: dict[str, Eta] = {}
    for row in day_status(session, day=day, at=at)["orders"]:
        planned, predicted = _at(row["planned_start"]), _at(row["predicted_start"])
        if planned is None or predicted is None or row["technician_id"] is None:
            continue  # not on the published plan, or nobody is to come
        out[row["order_id"]] = Eta(row["order_id"], row["technician_id"], planned, predicted,
                                   begun=row["status"] not in NOT_THERE_YET)
    return out


def unresolved_reason(visit: Visit) -> str | None:
    """Why a finished visit left its order open (None when it did not).

    The phone's reason (stored with the visit by the day events) when there is one; a visit recorded without
    it is read from its note: one naming a part ("part missing", "no spare part") is part_missing.
    """
    if not visit.unresolved:
        return None
    stored = getattr(visit, "reason", None)  # the visits' reason column of the day events (contract A)
    if stored:
        return str(stored)
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


def _confirmed(session: Session, *, day: date) -> set[str]:
    return set(session.scalars(select(Notification.order_id).where(
        Notification.date == day, Notification.kind == Kind.visit_confirmed.value)))


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
    # the customer hears of a crew job's visit once: its lead's
    visits = list(session.scalars(select(Visit).where(Visit.date == day, Visit.lead).order_by(Visit.order_id)))
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.id.in_(set(etas) | {v.order_id for v in visits})))}
    told = _told(session, day=day)
    confirmed = _confirmed(session, day=day)
    for order_id in sorted(etas):
        eta, order = etas[order_id], orders.get(order_id)
        if eta.begun or order is None or order.status != OrderStatus.open.value:
            continue
        start = eta.predicted_start
        # what the customer expects: the ETA told last, else the published plan's (their appointment); a slip
        # is told as soon as it is known, however far ahead the visit is
        before = told.get(order_id, eta.planned_start)
        late = round((start - before).total_seconds() / 60)
        slipped = start > before + timedelta(minutes=rules.delay_minutes)
        if order_id not in confirmed and now >= start - timedelta(minutes=rules.confirm_minutes):
            # the hour before: one message, which says the delay too if there is one
            fields: dict[str, Any] = {"eta": start.isoformat(), "technician_id": eta.technician_id}
            later = ""
            if slipped:
                fields |= {"previous_eta": before.isoformat(), "delay_minutes": late}
                later = f" (later than the {_hhmm(before)} we said, sorry)"
            yield Draft(Kind.visit_confirmed, order_id, f"visit_confirmed:{d}:{order_id}", start, fields | {
                "message": f"Your visit for order {order_id} is confirmed: the technician arrives at about "
                           f"{_hhmm(start)} today{later}."})
        elif slipped:
            yield Draft(Kind.visit_delayed, order_id, f"visit_delayed:{d}:{order_id}:{before.isoformat()}", start, {
                "eta": start.isoformat(), "previous_eta": before.isoformat(), "technician_id": eta.technician_id,
                "delay_minutes": late,
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
                "message": f"The repair of order {v.order_id} needs a part we did not have with us. "
                           f"We expect to come back on {when.isoformat()}."})


def _insert(session: Session, values: dict[str, Any]) -> bool:
    """Insert one notification unless its dedupe key exists; True when this call added it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(Notification).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Notification.id))
    added = session.execute(stmt).scalar_one_or_none()
    session.commit()  # one row, one short transaction: concurrent workers never wait on each other's batch
    return added is not None


def generate(session: Session, *, day: date, now: datetime, rules: Rules = Rules(),
             clock: datetime | None = None) -> list[str]:
    """Record the notifications the stored state of `day` calls for at `now`; the ids of those added.
    `clock` (default `now`) is the service's own time, which the outbox rows are due at: `now` is the day's
    moment, which for a day reported in recorded time is not the clock's."""
    stamp = now if clock is None else clock
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
                             "next_attempt_at": stamp, "created_at": stamp}):
            added.append(row_id)
            log.info("notification %s: %s for order %s", row_id, x.kind.value, x.order_id)
    return added


def _window_words(start: datetime, end: datetime) -> str:
    return f"between {_hhmm(start)} and {_hhmm(end)} on {start:%a} {start.day} {start:%b} {start.year}"


def propose_window(session: Session, *, order_id: str, window_start: datetime, window_end: datetime,
                   now: datetime) -> tuple[Notification, bool]:
    """Put a message to the order's customer in the outbox that proposes another appointment window; the
    notification, and whether this call added it (the same proposal made again is the one already there).
    The order's own window is not changed: that waits for the customer's yes."""
    for name, value in (("window_start", window_start), ("window_end", window_end)):
        if value.tzinfo is not None:
            raise field_error(name, f"{value.isoformat()} must be a local time without a zone", value.isoformat())
    if window_end < window_start:
        raise field_error("window_end", f"{window_end.isoformat(timespec='minutes')} is before the window start "
                                        f"{window_start.isoformat(timespec='minutes')}",
                          window_end.isoformat(timespec="minutes"))
    if window_end.date() != window_start.date():
        raise field_error("window_end", "must fall on the same date as window_start",
                          window_end.isoformat(timespec="minutes"))
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"order {order_id!r} not found")
    if order.status != OrderStatus.open.value:
        raise ConflictError(f"order {order_id!r} is {order.status}: no window to propose")
    key = f"window_proposed:{order_id}:{window_start.isoformat()}:{window_end.isoformat()}"
    existing = session.scalar(select(Notification).where(Notification.dedupe_key == key))
    if existing is not None:
        return existing, False
    was = "" if order.window_start is None or order.window_end is None else \
        f" instead of {_window_words(order.window_start, order.window_end)}"
    payload = {"customer": _customer(session.get(Customer, order.customer_id), order.customer_id),
               "window_start": window_start.isoformat(), "window_end": window_end.isoformat(),
               "previous_window_start": None if order.window_start is None else order.window_start.isoformat(),
               "previous_window_end": None if order.window_end is None else order.window_end.isoformat(),
               "message": f"For order {order_id} we can come {_window_words(window_start, window_end)}{was}. "
                          "Please tell us whether that suits you."}
    row_id = str(uuid.uuid4())
    added = _insert(session, {"id": row_id, "kind": Kind.window_proposed.value, "date": window_start.date(),
                              "order_id": order_id, "customer_id": order.customer_id, "eta": None,
                              "payload": payload, "dedupe_key": key, "status": Status.pending.value,
                              "attempts": 0, "next_attempt_at": now, "created_at": now})
    row = session.scalar(select(Notification).where(Notification.dedupe_key == key))
    if row is None:  # cannot happen: the key was inserted now or by a concurrent twin
        raise ConflictError(f"the proposal for order {order_id!r} could not be recorded; try again")
    if added:
        log.info("notification %s: window %s-%s proposed for order %s", row.id, _hhmm(window_start),
                 _hhmm(window_end), order_id)
    return row, added


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
