"""Visits: plain functions over a Session, keyword-only, no HTTP.

A technician records visits only on the stops of their own published route (each member of a crew their own
visit: the lead's speaks for the order, see Visit.lead); `scope` is the technician id a
caller is limited to (None for staff). Another technician's visit looks exactly like a missing one.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import ConflictError, NotFoundError, field_error
from api.idempotency import Outcome
from api.orders.models import Order, OrderStatus
from api.parts import ledger
from api.plans.models import PublishedRoute
from api.standards import service as standards
from api.visits.models import Visit
from api.visits.schemas import VisitCreate, VisitUpdate

log = logging.getLogger(__name__)


def get(session: Session, *, visit_id: int, scope: str | None = None) -> Visit:
    row = session.get(Visit, visit_id)
    if row is None or (scope is not None and row.technician_id != scope):
        raise NotFoundError(f"visit {visit_id} not found")
    return row


def list_for(session: Session, *, scope: str | None, day: date | None, technician_id: str | None,
             limit: int) -> list[Visit]:
    stmt = select(Visit).order_by(Visit.date, Visit.id).limit(limit)
    if scope is not None:
        stmt = stmt.where(Visit.technician_id == scope)
    if technician_id is not None:
        stmt = stmt.where(Visit.technician_id == technician_id)
    if day is not None:
        stmt = stmt.where(Visit.date == day)
    return list(session.scalars(stmt))


def check_visit(session: Session, row: Visit) -> None:
    start = row.started_at or row.arrived_at
    if row.started_at is not None and row.arrived_at is not None and row.started_at < row.arrived_at:
        raise field_error("started_at", "is before arrived_at", row.started_at.isoformat())
    if row.done_at is not None and start is not None and row.done_at < start:
        raise field_error("done_at", "is before the start of service", row.done_at.isoformat())
    if row.fixed_first_time:
        before = session.scalar(select(Visit.date).where(Visit.order_id == row.order_id, Visit.date < row.date)
                                .order_by(Visit.date).limit(1))
        if before is not None:
            raise field_error("fixed_first_time", f"order {row.order_id} was visited before, on {before}", True)


def _apply(row: Visit, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "major_repair" and value is None:
            continue  # a flag: null leaves it as it is
        setattr(row, name, value)
    if row.resolved is None and row.fixed_first_time:
        row.resolved = True  # fixed on the first visit: solved


def close_or_reopen(order: Order, visit: Visit) -> None:
    # a visit finished and solved closes its order; finished unsolved, the order goes back to the pool with its
    # response clock running (a correction of the outcome reopens it). A crew's lead's visit speaks for the
    # order; a member's outcome is their own record only
    if visit.done_at is None or order.status == OrderStatus.cancelled or not visit.lead:
        return
    order.status = (OrderStatus.open if visit.unresolved else OrderStatus.done).value


def stop_on_route(session: Session, *, day: date, technician_id: str, order_id: str,
                  whose: str = "your") -> tuple[PublishedRoute, dict[str, Any]]:
    """The technician's published route of `day` and its stop of `order_id`; 404 when it is not on it."""
    route = session.get(PublishedRoute, (day, technician_id))
    stop = None if route is None else next((s for s in route.route["stops"] if s["order_id"] == order_id), None)
    if route is None or stop is None:
        raise NotFoundError(f"order {order_id!r} is not on {whose} published route of {day}")
    return route, stop


def crew_ids(stop: dict[str, Any]) -> list[str]:
    """The technicians of a published stop's crew, the lead first (none for a one-person job)."""
    return [m["technician_id"] for m in stop.get("crew") or ()]


def own_visit(session: Session, *, order_id: str, day: date, technician_id: str,
              stop: dict[str, Any]) -> Visit | None:
    """The technician's visit of the order on `day`, if recorded. A crew's members each have their own; a
    visit of a technician outside the stop's crew (or, for a one-person job, of anyone else) means the stop
    was someone else's when it was recorded: 409."""
    rows = list(session.scalars(select(Visit).where(Visit.order_id == order_id, Visit.date == day)))
    crew = set(crew_ids(stop)) | {technician_id}
    other = next((v for v in rows if v.technician_id not in crew), None)
    if other is not None:
        raise ConflictError(f"a visit of order {order_id!r} on {day} is already recorded by another technician "
                            f"({other.technician_id})")
    return next((v for v in rows if v.technician_id == technician_id), None)


def record(session: Session, *, technician_id: str, data: VisitCreate) -> Visit:
    """Record a visit on one of the technician's stops of the published route of `data.date` (a crew member:
    their own visit)."""
    route, stop = stop_on_route(session, day=data.date, technician_id=technician_id, order_id=data.order_id)
    order = session.get(Order, data.order_id)
    if order is None:
        raise NotFoundError(f"order {data.order_id!r} not found")
    if own_visit(session, order_id=data.order_id, day=data.date, technician_id=technician_id,
                 stop=stop) is not None:
        raise ConflictError(f"your visit of order {data.order_id!r} on {data.date} is already recorded; "
                            "update it instead")
    row = Visit(order_id=data.order_id, technician_id=technician_id, date=data.date, plan_id=route.plan_id,
                major_repair=False, lead=bool(stop.get("lead", True)))
    _apply(row, data.model_dump(exclude={"order_id", "date"}, exclude_unset=True))
    check_visit(session, row)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ConflictError(f"a visit of order {data.order_id!r} on {data.date} is already recorded; "
                            "update it instead") from None
    standards.on_visit(session, visit=row, order=order)
    close_or_reopen(order, row)
    session.commit()
    log.info("visit %s recorded: order %s by %s", row.id, row.order_id, technician_id)
    return row


def update(session: Session, *, visit_id: int, scope: str | None, data: VisitUpdate) -> Visit:
    row = get(session, visit_id=visit_id, scope=scope)
    values = data.model_dump(exclude_unset=True)
    _apply(row, values)
    check_visit(session, row)
    order = session.get(Order, row.order_id)
    assert order is not None  # the foreign key keeps it
    standards.on_visit(session, visit=row, order=order)
    close_or_reopen(order, row)
    session.commit()
    return row


def use_part(session: Session, *, visit_id: int, scope: str | None, part_id: str, quantity: int, user_id: int,
             idempotency_key: str | None) -> Outcome:
    """Parts used on one of my visits: a consumption out of the visit's technician's van, against its order.
    A crew's parts come out of the lead's van: a member's visit takes none (422)."""
    row = get(session, visit_id=visit_id, scope=scope)
    if not row.lead:
        raise field_error("part_id", f"order {row.order_id} is a crew job: its parts come out of the lead's van, "
                                     "on the lead's visit", part_id)
    return ledger.consume(session, part_id=part_id, order_id=row.order_id, technician_id=row.technician_id,
                          quantity=quantity, user_id=user_id, scope=scope, idempotency_key=idempotency_key)
