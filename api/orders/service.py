"""Repair orders: plain functions over a Session, keyword-only, no HTTP.

`scope` is the technician id a caller is limited to: a technician sees only the orders given to them (pinned
to them, or on their route of a published plan).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, cast, or_, select, true
from sqlalchemy.orm import Session

from api.customers.models import Customer
from api.errors import ConflictError, InvalidInputError, NotFoundError, checked_again, field_error, taken
from api.orders.models import Order, OrderStatus
from api.orders.schemas import OrderCreate, OrderRead, OrderUpdate, OutcomeRead
from api.paging import PageParams, paginate
from api.technicians import service as technicians_service
from api.technicians.models import Technician
from api.visits.models import Visit
from dispatch import domain

log = logging.getLogger(__name__)

Sort = Literal["priority", "created_at", "-created_at", "id"]
_NOT_NULL = ("customer_id", "lat", "lon", "priority", "required_skills", "duration_min", "created_at",
             "required_parts", "forbidden_technician_ids", "technicians_needed")


def visible(scope: str | None) -> ColumnElement[bool]:
    """The orders a caller may see: all for staff, their own for a technician."""
    if scope is None:
        return true()
    from api.plans.models import PublishedStop

    on_route = select(PublishedStop.order_id).where(PublishedStop.technician_id == scope)
    return or_(Order.pinned_technician_id == scope, Order.id.in_(on_route))


def to_domain(row: Order, *, contract: Mapping[str, float] | None = None) -> domain.Order:
    """The order as the domain type the planner takes (raises ValueError if a rule is broken).

    `contract` is its customer's response hours per priority: the one for the order's priority (if any)
    tightens its response deadline in plans, checks and KPIs."""
    hours = (contract or {}).get(row.priority)
    return domain.Order(
        id=row.id, customer=row.customer_id, lat=row.lat, lon=row.lon, priority=domain.Priority(row.priority),
        required_skills=frozenset(row.required_skills), skill_levels=dict(row.required_skill_levels or {}),
        duration_min=row.duration_min, created_at=row.created_at,
        window_start=row.window_start, window_end=row.window_end, window_date=row.window_date,
        required_parts=dict(row.required_parts), pinned_technician=row.pinned_technician_id,
        preferred_technician=row.preferred_technician_id,
        forbidden_technicians=frozenset(row.forbidden_technician_ids or ()), territory=row.territory,
        sla_hours=None if hours is None else float(hours),
        technicians_needed=row.technicians_needed or 1,  # a row not flushed yet has no column default
    )


def get(session: Session, *, order_id: str, scope: str | None = None) -> Order:
    row = session.get(Order, order_id)
    # another technician's order looks exactly like a missing one
    if row is None or (scope is not None and row.pinned_technician_id != scope
                       and session.scalar(select(Order.id).where(Order.id == order_id, visible(scope))) is None):
        raise NotFoundError(f"order {order_id!r} not found")
    return row


def _has_tag(column: Any, tag: str) -> ColumnElement[bool]:
    # tags are stored as a JSON list and cannot hold quotes, so matching the quoted tag in its text is exact
    return cast(column, String).like(f'%"{tag}"%')


def query(*, scope: str | None = None, status: Sequence[OrderStatus] = (),
          priority: Sequence[domain.Priority] = (), customer_id: str | None = None,
          technician_id: str | None = None, skill: str | None = None, created_from: datetime | None = None,
          created_to: datetime | None = None, sort: Sort = "priority") -> Select[Order]:
    stmt = select(Order).where(visible(scope))
    if status:
        stmt = stmt.where(Order.status.in_([s.value for s in status]))
    if priority:
        stmt = stmt.where(Order.priority.in_([p.value for p in priority]))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    if technician_id is not None:
        stmt = stmt.where(Order.pinned_technician_id == technician_id)
    if skill is not None:
        stmt = stmt.where(_has_tag(Order.required_skills, skill.lower()))
    if created_from is not None:
        stmt = stmt.where(Order.created_at >= created_from)
    if created_to is not None:
        stmt = stmt.where(Order.created_at < created_to)
    order_by = {
        "priority": (Order.priority, Order.created_at, Order.id),
        "created_at": (Order.created_at, Order.id),
        "-created_at": (Order.created_at.desc(), Order.id),
        "id": (Order.id,),
    }[sort]
    return stmt.order_by(*order_by)


def list_page(session: Session, *, page: PageParams, **filters: Any) -> tuple[list[Order], int]:
    return paginate(session, query(**filters), page)


def _check_refs(session: Session, values: dict[str, Any]) -> None:
    if "customer_id" in values and session.get(Customer, values["customer_id"]) is None:
        raise field_error("customer_id", f"customer {values['customer_id']!r} does not exist", values["customer_id"])
    pinned = values.get("pinned_technician_id")
    if pinned is not None and session.get(Technician, pinned) is None:
        raise field_error("pinned_technician_id", f"technician {pinned!r} does not exist", pinned)


def _check_domain(row: Order) -> None:
    try:
        to_domain(row)
    except ValueError as e:
        raise InvalidInputError(str(e), errors=[{"loc": ["body"], "msg": str(e), "type": "value_error"}]) from None


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    if values.get("priority") is not None:
        values["priority"] = domain.Priority(values["priority"]).value
    if values.get("required_skills") is not None:
        values["required_skills"], values["required_skill_levels"] = technicians_service.split_skills(
            values["required_skills"], field="required_skills")
    if values.get("forbidden_technician_ids") is not None:
        values["forbidden_technician_ids"] = sorted(set(values["forbidden_technician_ids"]))
    if values.get("required_parts") is not None:
        values["required_parts"] = dict(sorted(values["required_parts"].items()))
    return values


@checked_again
def create(session: Session, *, data: OrderCreate, now: datetime) -> Order:
    values = _normalise(data.model_dump())
    if values["created_at"] is None:
        values["created_at"] = now
    if session.get(Order, data.id) is not None:
        raise taken("order", data.id)
    _check_refs(session, values)
    row = Order(**values, status=OrderStatus.open.value, source="api")
    _check_domain(row)
    session.add(row)
    session.commit()
    return row


def update(session: Session, *, order_id: str, data: OrderUpdate) -> Order:
    row = get(session, order_id=order_id)
    if row.status != OrderStatus.open:
        raise ConflictError(f"order {order_id!r} is {row.status} and can no longer be changed")
    values = _normalise(data.model_dump(exclude_unset=True))
    for name in _NOT_NULL:
        if name in values and values[name] is None:
            raise field_error(name, "may not be null")
    _check_refs(session, values)
    for name, value in values.items():
        setattr(row, name, value)
    _check_domain(row)
    session.commit()
    return row


def cancel(session: Session, *, order_id: str, reason: str, now: datetime) -> Order:
    row = get(session, order_id=order_id)
    if row.status == OrderStatus.cancelled:
        raise ConflictError(f"order {order_id!r} is already cancelled")
    row.status = OrderStatus.cancelled.value
    row.cancelled_at = now
    row.cancel_reason = reason
    session.commit()
    log.info("order %s cancelled: %s", order_id, reason)
    return row



def last_outcomes(session: Session, *, order_ids: Sequence[str]) -> dict[str, OutcomeRead]:
    """Order id -> how its last finished visit ended (done, or unresolved with the reason); none if never."""
    found: dict[str, OutcomeRead] = {}
    if not order_ids:
        return found
    # a crew's outcome is its lead's
    visits = session.scalars(select(Visit).where(Visit.order_id.in_(set(order_ids)), Visit.done_at.is_not(None),
                                                 Visit.lead).order_by(Visit.date, Visit.done_at, Visit.id))
    for v in visits:  # later visits overwrite earlier ones
        assert v.done_at is not None
        unresolved = v.unresolved
        found[v.order_id] = OutcomeRead(event="unresolved" if unresolved else "done",
                                        reason=v.reason if unresolved else None, note=v.notes, time=v.done_at,
                                        technician_id=v.technician_id)
    return found


def read(session: Session, rows: Sequence[Order]) -> list[OrderRead]:
    """The orders as read by clients, each with its last outcome."""
    outcomes = last_outcomes(session, order_ids=[r.id for r in rows])
    return [OrderRead.model_validate(r).model_copy(update={"last_outcome": outcomes.get(r.id)}) for r in rows]
