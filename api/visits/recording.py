"""What the phones report: each event stored as sent (the phone's time) and as received (the server's), and the
visit steps (arrived, started, done, unresolved) applied to the stop's Visit, so order closing, the standards'
alerts and follow-ups and the KPIs read them as they read a visit recorded through /visits. Each member of a
crew reports their own steps on their own visit; the lead's finish closes the order, and the lead records the
parts (out of their van, once).

Plain functions over a Session, keyword-only, no HTTP. `scope` is the technician a caller is limited to (a
technician user: themselves), None for the dispatcher, who names the technician.

Steps of one visit come in order: a step out of order (done before arrived, a time before the step before it) is
a 422 naming the field; a step of a visit already finished, or taken already, is a 409 (another phone or the
office recorded it).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import idempotency
from api.errors import ConflictError, ForbiddenError, NotFoundError, field_error
from api.idempotency import Outcome
from api.orders.models import Order, OrderStatus
from api.parts import ledger
from api.parts.models import MovementKind, Part, StockLocation
from api.plans.models import PublishedRoute
from api.standards import service as standards
from api.technicians.models import Technician
from api.visits.models import DayEvent, Visit
from api.visits.schemas import EventCreate, EventRead
from api.visits.service import check_visit, close_or_reopen, crew_ids, own_visit, stop_on_route
from dispatch.events import EventKind

log = logging.getLogger(__name__)

FINISHED = (EventKind.DONE, EventKind.UNRESOLVED)


def _hhmm(at: datetime | None) -> str:
    return "" if at is None else f"{at:%H:%M}"


def _technician(session: Session, data: EventCreate, scope: str | None) -> str | None:
    if scope is not None:
        if data.technician_id is not None and data.technician_id != scope:
            raise field_error("technician_id", "a technician reports only their own events", data.technician_id)
        return scope
    if data.technician_id is None:
        if data.event == EventKind.CANCELLED:
            return None
        raise field_error("technician_id", f"is required: name the technician whose {data.event} it is")
    if session.get(Technician, data.technician_id) is None:
        raise field_error("technician_id", f"technician {data.technician_id!r} does not exist", data.technician_id)
    return data.technician_id


def _check_shape(data: EventCreate, kind: EventKind) -> None:
    if kind.needs_order and data.order_id is None:
        raise field_error("order_id", f"is required for a {kind.value} event")
    if not kind.needs_order and data.order_id is not None:
        raise field_error("order_id", f"must be empty for a {kind.value} event", data.order_id)
    if kind is EventKind.UNRESOLVED and data.reason is None:
        raise field_error("reason", "is required for unresolved: part_missing, second_technician, "
                                    "customer_absent or other")
    if kind is not EventKind.UNRESOLVED and data.reason is not None:
        raise field_error("reason", f"is only for unresolved, not {kind.value}", data.reason)
    if kind not in FINISHED:
        if data.parts:
            raise field_error("parts", f"are recorded with done or unresolved, not {kind.value}")
        if data.customer_score is not None:
            raise field_error("customer_score", f"is given with done or unresolved, not {kind.value}",
                              data.customer_score)


def _on_route(session: Session, *, day: date, technician_id: str, order_id: str,
              scope: str | None) -> tuple[PublishedRoute, dict[str, Any]]:
    """The technician's published route of `day` and its stop of `order_id` (404 when not on it)."""
    return stop_on_route(session, day=day, technician_id=technician_id, order_id=order_id,
                         whose="your" if scope is not None else f"technician {technician_id}'s")


def _departed_at(session: Session, *, day: date, technician_id: str, order_id: str) -> datetime | None:
    return session.scalar(select(DayEvent.time).where(
        DayEvent.date == day, DayEvent.technician_id == technician_id, DayEvent.order_id == order_id,
        DayEvent.event == EventKind.DEPARTED.value).order_by(DayEvent.time.desc()).limit(1))


def _not_before(at: datetime, step: str, previous: datetime | None) -> None:
    if previous is not None and at < previous:
        raise field_error("time", f"is before {step} at {_hhmm(previous)}", at.isoformat())


def _free_for(session: Session, *, at: datetime, technician_id: str, order_id: str, begun: bool) -> None:
    """Refuse what the day's log could not follow: moving on while still on site elsewhere, new work after
    going absent (the contract's reader names the same contradictions)."""
    elsewhere = session.scalar(select(Visit).where(
        Visit.technician_id == technician_id, Visit.date == at.date(), Visit.order_id != order_id,
        Visit.done_at.is_(None), or_(Visit.arrived_at.is_not(None), Visit.started_at.is_not(None))).limit(1))
    if elsewhere is not None:
        since = elsewhere.started_at or elsewhere.arrived_at
        raise field_error("order_id", f"technician {technician_id} is still at order {elsewhere.order_id} "
                                      f"(since {_hhmm(since)}): finish it first", order_id)
    absent = session.scalar(select(DayEvent.time).where(
        DayEvent.date == at.date(), DayEvent.technician_id == technician_id, DayEvent.time <= at,
        DayEvent.event == EventKind.ABSENT.value).order_by(DayEvent.time).limit(1))
    if absent is not None and not begun:
        raise field_error("event", f"technician {technician_id} is absent since {_hhmm(absent)} and takes no "
                                   "new work", order_id)


def _use_parts(session: Session, *, data: EventCreate, technician_id: str, order_id: str, at: datetime,
               user_id: int, lead: str | None) -> None:
    if not data.parts:
        return
    if lead is not None:  # a crew's parts come out of one van, once: the lead records them
        raise field_error("parts", f"order {order_id} is a crew job: its parts come out of the lead's van and "
                                   f"{lead} records them with their own done or unresolved")
    van = session.scalar(select(StockLocation).where(StockLocation.technician_id == technician_id))
    if van is None:
        raise field_error("parts", f"technician {technician_id!r} has no van to use parts from")
    for use in data.parts:
        part = session.get(Part, use.part_id)
        if part is None:
            raise field_error("parts", f"part {use.part_id!r} does not exist", use.part_id)
        ledger.record(session, kind=MovementKind.consume, part_id=use.part_id, quantity=use.quantity,
                      user_id=user_id, source=van.id, order_id=order_id, technician_id=technician_id, at=at,
                      unit_cost=part.unit_cost)


def _visit_step(session: Session, *, data: EventCreate, kind: EventKind, at: datetime, technician_id: str,
                scope: str | None, user_id: int) -> None:
    """Apply a visit's step to its Visit row (made on the first step that needs one)."""
    order_id = str(data.order_id)
    route, stop = _on_route(session, day=at.date(), technician_id=technician_id, order_id=order_id, scope=scope)
    order = session.get(Order, order_id)
    if order is None:  # the published route is a snapshot: the order may have gone since
        raise NotFoundError(f"order {order_id!r} not found")
    if order.status == OrderStatus.cancelled:
        raise ConflictError(f"order {order_id!r} was cancelled: nothing more is recorded on it")
    row = own_visit(session, order_id=order_id, day=at.date(), technician_id=technician_id, stop=stop)
    if row is not None and row.done_at is not None:
        outcome = "unresolved" if row.unresolved else "done"
        raise ConflictError(f"a visit of order {order_id!r} on {at.date()} is already recorded as {outcome} "
                            f"at {_hhmm(row.done_at)}")
    arrived = row.arrived_at if row is not None else None
    started = row.started_at if row is not None else None
    if kind not in FINISHED:
        _free_for(session, at=at, technician_id=technician_id, order_id=order_id, begun=row is not None)
    if kind is EventKind.DEPARTED:
        if arrived is not None or started is not None:
            step = "started" if started is not None else "arrived"
            raise field_error("event", f"departed after {step} for order {order_id}", kind.value)
        return
    if kind is EventKind.ARRIVED:
        if arrived is not None:
            raise ConflictError(f"arrived is already recorded for order {order_id!r} at {_hhmm(arrived)}")
        if started is not None:
            raise field_error("event", f"arrived after started for order {order_id}", kind.value)
        _not_before(at, "departed", _departed_at(session, day=at.date(), technician_id=technician_id,
                                                  order_id=order_id))
    elif kind is EventKind.STARTED:
        if started is not None:
            raise ConflictError(f"started is already recorded for order {order_id!r} at {_hhmm(started)}")
        _not_before(at, "arrived", arrived)
    else:
        if arrived is None and started is None:
            raise field_error("event", f"{kind.value} before arrived: order {order_id} has no arrival on "
                                       f"{at.date()}; send arrived first", kind.value)
        _not_before(at, "started" if started is not None else "arrived", started or arrived)
    if row is None:
        row = Visit(order_id=order_id, technician_id=technician_id, date=at.date(), plan_id=route.plan_id,
                    major_repair=False, lead=bool(stop.get("lead", True)))
        session.add(row)
    if kind is EventKind.ARRIVED:
        row.arrived_at = at
    elif kind is EventKind.STARTED:
        row.started_at = at
    else:
        visited_before = session.scalar(select(Visit.id).where(Visit.order_id == order_id,
                                                               Visit.date < at.date()).limit(1))
        row.done_at = at
        row.resolved = kind is EventKind.DONE
        row.fixed_first_time = kind is EventKind.DONE and visited_before is None
        row.reason = data.reason
        if data.note:
            row.notes = data.note
        if data.customer_score is not None:
            row.customer_score = data.customer_score
    check_visit(session, row)
    try:
        session.flush()
    except IntegrityError:  # a concurrent first step of the same stop took the row
        raise ConflictError(f"a visit of order {order_id!r} on {at.date()} is already recorded") from None
    if kind in FINISHED:
        _use_parts(session, data=data, technician_id=technician_id, order_id=order_id, at=at, user_id=user_id,
                   lead=None if row.lead else crew_ids(stop)[0])
    standards.on_visit(session, visit=row, order=order)
    close_or_reopen(order, row)


def _cancel(session: Session, *, data: EventCreate, at: datetime, scope: str | None) -> None:
    if scope is not None:
        raise ForbiddenError("a customer's cancellation is recorded by the dispatcher")
    order = session.get(Order, str(data.order_id))
    if order is None:
        raise NotFoundError(f"order {data.order_id!r} not found")
    if order.status != OrderStatus.open:
        raise ConflictError(f"order {order.id!r} is already {order.status}")
    order.status = OrderStatus.cancelled.value
    order.cancelled_at = at
    order.cancel_reason = data.note or "cancelled by the customer"


def report(session: Session, *, data: EventCreate, scope: str | None, user_id: int, now: datetime,
           idempotency_key: str | None = None) -> Outcome:
    """Store one event and apply it; a retry with the same key answers the first answer and records nothing."""
    kind = EventKind(data.event)
    at = data.time.replace(microsecond=0)
    digest = idempotency.request_hash(data.model_dump(mode="json") | {"scope": scope})

    def work() -> dict[str, Any]:
        _check_shape(data, kind)
        technician_id = _technician(session, data, scope)
        if kind is EventKind.CANCELLED:
            _cancel(session, data=data, at=at, scope=scope)
        elif kind.needs_order:
            assert technician_id is not None
            _visit_step(session, data=data, kind=kind, at=at, technician_id=technician_id, scope=scope,
                        user_id=user_id)
        row = DayEvent(date=at.date(), time=at, received_at=now.replace(microsecond=0),
                       technician_id=technician_id, order_id=data.order_id, event=kind.value, reason=data.reason,
                       note=data.note, recorded_by=user_id)
        session.add(row)
        session.flush()
        log.info("event %s: %s %s by %s at %s", row.id, kind.value, data.order_id or "", technician_id, at)
        return EventRead.model_validate(row).model_dump(mode="json")

    return idempotency.run_once(session, key=idempotency_key, user_id=user_id, endpoint="events:report",
                                digest=digest, work=work)


def list_day(session: Session, *, day: date, scope: str | None) -> list[DayEvent]:
    """The stored events of `day` in time order (received order at equal times); a technician's own only."""
    stmt = select(DayEvent).where(DayEvent.date == day).order_by(DayEvent.time, DayEvent.id)
    if scope is not None:
        stmt = stmt.where(DayEvent.technician_id == scope)
    return list(session.scalars(stmt))

