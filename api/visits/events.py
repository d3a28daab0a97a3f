"""The day as the `events.csv` contract tells it, from what the service recorded: the events the phones
reported (departed, break, absent), the steps of the visits (arrived, started, done or unresolved), whether
reported as events or recorded directly through /visits, and the orders customers cancelled.

A visit's steps are read from its Visit row, which every step event updates: a correction made later through
/visits is what the export says, and a visit recorded without events is in it all the same. The export is
what `dispatch replan --events` and `dispatch check --events` read, so a day lived through the service can be
replayed from the command line or a notebook.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.orders.models import Order, OrderStatus
from api.visits.models import DayEvent, Visit
from dispatch.events import Event, EventKind


def unresolved_note(v: Visit) -> str:
    """Why the order needs another visit: the reason from the phone's list, then the technician's words."""
    return ": ".join(x for x in (v.reason, v.notes) if x)


# what the phones report beyond the visits' steps (those come from the Visit rows)
_REPORTED = (EventKind.DEPARTED.value, EventKind.BREAK.value, EventKind.ABSENT.value)


def _visit_events(v: Visit, *, phone: bool = False) -> list[Event]:
    """One visit's steps in the order they happen (the contract reads ties in the file's order). `phone`: its
    arrival was reported by the phone, which says "started" on its own: until then the technician is on site,
    not in service."""
    def step(at: datetime, kind: EventKind, note: str = "") -> Event:
        return Event(at, kind, technician_id=v.technician_id, order_id=v.order_id, note=note)

    out = []
    if v.arrived_at is not None:
        out.append(step(v.arrived_at, EventKind.ARRIVED))
    # service starts at the arrival unless told otherwise (the visits' own rule); an outcome with no time on
    # site at all was a service too short to record: it starts when it ends
    start = v.started_at or (v.arrived_at if v.done_at is not None or not phone else None) or v.done_at
    if start is not None:
        out.append(step(start, EventKind.STARTED))
    if v.done_at is not None:
        if v.unresolved:
            out.append(step(v.done_at, EventKind.UNRESOLVED, unresolved_note(v)))
        else:
            out.append(step(v.done_at, EventKind.DONE))
    return out


def day_events(session: Session, *, day: date) -> list[Event]:
    """The events of `day` in time order: the reported departures, breaks and absences, its visits' steps
    and its cancellations."""
    events: list[Event] = [
        Event(r.time, EventKind(r.event), technician_id=r.technician_id, order_id=r.order_id, note=r.note)
        for r in session.scalars(select(DayEvent).where(DayEvent.date == day, DayEvent.event.in_(_REPORTED))
                                 .order_by(DayEvent.time, DayEvent.id))]
    arrivals = {(t, o) for t, o in session.execute(select(DayEvent.technician_id, DayEvent.order_id).where(
        DayEvent.date == day, DayEvent.event == EventKind.ARRIVED.value))}
    for v in session.scalars(select(Visit).where(Visit.date == day).order_by(Visit.id)):
        events.extend(_visit_events(v, phone=(v.technician_id, v.order_id) in arrivals))
    start, end = datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())
    cancelled = session.scalars(select(Order).where(
        Order.status == OrderStatus.cancelled.value, Order.cancelled_at >= start, Order.cancelled_at < end)
        .order_by(Order.id))
    events.extend(Event(o.cancelled_at, EventKind.CANCELLED, order_id=o.id, note=o.cancel_reason or "")
                  for o in cancelled if o.cancelled_at is not None)
    return in_day_order(events)


_STEP = {EventKind.DEPARTED: 0, EventKind.ARRIVED: 1, EventKind.STARTED: 2, EventKind.DONE: 3,
         EventKind.UNRESOLVED: 3}


def in_day_order(events: list[Event]) -> list[Event]:
    """Time order; at one time, a visit begun earlier comes first (a phone reports "done" and "on my way" to
    the next order in the same minute), and one visit's steps keep their own order."""
    first: dict[tuple[str | None, str | None], datetime] = {}
    for e in events:
        if e.kind in _STEP:
            key = (e.technician_id, e.order_id)
            first[key] = min(first.get(key, e.time), e.time)

    def order(e: Event) -> tuple[datetime, datetime, int]:
        if e.kind in _STEP:
            return e.time, first[(e.technician_id, e.order_id)], _STEP[e.kind]
        return e.time, e.time, len(_STEP)

    return sorted(events, key=order)
