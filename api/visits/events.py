"""The day as the `events.csv` contract tells it, from what the service recorded: the visits technicians
reported (arrived, started, done or unresolved) and the orders customers cancelled.

The export is what `dispatch replan --events` and `dispatch check --events` read, so a day lived through the
service can be replayed from the command line or a notebook. Steps the visit records do not hold (departed,
the break, absent) are not in it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orders.models import Order, OrderStatus
from api.visits.models import Visit
from dispatch.events import Event, EventKind


def _visit_events(v: Visit) -> list[Event]:
    """One visit's steps in the order they happen (the contract reads ties in the file's order)."""
    who = {"technician_id": v.technician_id, "order_id": v.order_id}
    out = []
    if v.arrived_at is not None:
        out.append(Event(v.arrived_at, EventKind.ARRIVED, **who))
    # service starts at the arrival unless told otherwise (the visits' own rule); an outcome with no time on
    # site at all was a service too short to record: it starts when it ends
    start = v.started_at or v.arrived_at or v.done_at
    if start is not None:
        out.append(Event(start, EventKind.STARTED, **who))
    if v.done_at is not None:
        if v.unresolved:
            out.append(Event(v.done_at, EventKind.UNRESOLVED, note=v.notes or "", **who))
        else:
            out.append(Event(v.done_at, EventKind.DONE, **who))
    return out


def day_events(session: Session, *, day: date) -> list[Event]:
    """The events of `day` in time order: its visits' steps and its cancellations."""
    events: list[Event] = []
    for v in session.scalars(select(Visit).where(Visit.date == day).order_by(Visit.id)):
        events.extend(_visit_events(v))
    start, end = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
    cancelled = session.scalars(select(Order).where(
        Order.status == OrderStatus.cancelled.value, Order.cancelled_at >= start, Order.cancelled_at < end)
        .order_by(Order.id))
    events.extend(Event(o.cancelled_at, EventKind.CANCELLED, order_id=o.id, note=o.cancel_reason or "")
                  for o in cancelled if o.cancelled_at is not None)
    return sorted(events, key=lambda e: e.time)  # stable: a visit's steps at one time keep their order
