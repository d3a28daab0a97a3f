"""Complaints: plain functions over a Session, keyword-only, no HTTP; `now` is always given (the service clock).

A complaint is received (its two clocks set from the settings at intake, api.complaints.clocks), assigned to a
dispatcher or a supervisor, answered (the first response stops the response clock) and resolved with an
outcome (stops the resolution clock). A resolution without an earlier response answers the customer too: it
sets responded_at (the response clock stops then; `response` stays empty). Each step sent again unchanged
changes nothing; a different answer to a step already taken is a conflict (409).

`check_clocks` raises a supervisor alert, once per complaint and kind, when a clock has run out; the escalation
watch calls it every round, and the reads of complaints and alerts call it first, so an alert is there whenever
someone looks. It closes nothing: a late answer leaves its alert open until a supervisor closes it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from api.auth.models import Role, User
from api.complaints.clocks import due_dates
from api.complaints.models import Complaint
from api.complaints.schemas import ComplaintCreate
from api.customers.models import Customer
from api.errors import ConflictError, NotFoundError, field_error
from api.orders.models import Order
from api.standards import service as standards
from api.standards.models import ServiceAlert
from api.visits.models import Visit

log = logging.getLogger(__name__)

RESPONSE_OVERDUE = "complaint response overdue"
RESOLUTION_OVERDUE = "complaint resolution overdue"
HANDLERS = (Role.dispatcher.value, Role.supervisor.value)  # who a complaint may be assigned to


def status(row: Complaint) -> str:
    if row.resolved_at is not None:
        return "resolved"
    return "responded" if row.responded_at is not None else "open"


def overdue(row: Complaint, *, now: datetime) -> tuple[bool, bool]:
    """(response, resolution) overdue: the clock ran out before it was stopped, or, still running, by `now`."""
    return ((row.responded_at or now) > row.response_due, (row.resolved_at or now) > row.resolution_due)


def _handler(session: Session, *, field: str, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise field_error(field, f"user {user_id} does not exist or is inactive", user_id)
    if user.role not in HANDLERS:
        raise field_error(field, f"user {user_id} ({user.username}) is a {user.role}; a complaint is handled by "
                                 "a dispatcher or a supervisor", user_id)
    return user


def create(session: Session, *, data: ComplaintCreate, received_at: datetime, recorded_by: int | None,
           now: datetime, response_hours: int, resolution_working_days: int) -> Complaint:
    """Receive a complaint; `received_at` is local time (the view defaults it to now)."""
    if received_at > now:
        raise field_error("received_at", f"{received_at.isoformat()} is in the future (now {now.isoformat()})",
                          received_at.isoformat())
    if session.get(Customer, data.customer_id) is None:
        raise field_error("customer_id", f"customer {data.customer_id!r} does not exist", data.customer_id)
    technician_id = None
    if data.order_id is not None:
        order = session.get(Order, data.order_id)
        if order is None:
            raise field_error("order_id", f"order {data.order_id!r} does not exist", data.order_id)
        if order.customer_id != data.customer_id:
            raise field_error("order_id", f"order {data.order_id!r} is not an order of customer "
                                          f"{data.customer_id!r}", data.order_id)
        # the technician of the order's last visit (by then): the one the complaint is likely about
        technician_id = session.scalar(select(Visit.technician_id).where(Visit.order_id == order.id, Visit.lead)
                                       .order_by(Visit.date.desc(), Visit.id.desc()).limit(1))
    if data.assigned_to is not None:
        _handler(session, field="assigned_to", user_id=data.assigned_to)
    response_due, resolution_due = due_dates(received_at, response_hours=response_hours,
                                             resolution_working_days=resolution_working_days)
    row = Complaint(customer_id=data.customer_id, order_id=data.order_id, technician_id=technician_id,
                    channel=data.channel.value, text=data.text, received_at=received_at, recorded_by=recorded_by,
                    assigned_to=data.assigned_to, assigned_at=now if data.assigned_to is not None else None,
                    response_due=response_due, resolution_due=resolution_due)
    session.add(row)
    session.commit()
    log.info("complaint %s received from customer %s (%s)", row.id, row.customer_id, row.channel)
    return row


def get(session: Session, *, complaint_id: int) -> Complaint:
    row = session.get(Complaint, complaint_id)
    if row is None:
        raise NotFoundError(f"complaint {complaint_id} not found")
    return row


def _running_late(now: datetime) -> ColumnElement[bool]:
    return or_(and_(Complaint.responded_at.is_(None), Complaint.response_due < now),
               and_(Complaint.resolved_at.is_(None), Complaint.resolution_due < now))


def list_for(session: Session, *, status: str | None, customer_id: str | None, now: datetime,
             limit: int) -> list[Complaint]:
    """Newest received first. `status` overdue: a clock still running has run out by `now`."""
    stmt = select(Complaint).order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit)
    if status == "open":
        stmt = stmt.where(Complaint.responded_at.is_(None), Complaint.resolved_at.is_(None))
    elif status == "responded":
        stmt = stmt.where(Complaint.responded_at.is_not(None), Complaint.resolved_at.is_(None))
    elif status == "resolved":
        stmt = stmt.where(Complaint.resolved_at.is_not(None))
    elif status == "overdue":
        stmt = stmt.where(_running_late(now))
    if customer_id is not None:
        stmt = stmt.where(Complaint.customer_id == customer_id)
    return list(session.scalars(stmt))


def assign(session: Session, *, complaint_id: int, user_id: int, now: datetime) -> Complaint:
    """Hand the complaint to a dispatcher or a supervisor (again to another while it is not resolved)."""
    row = get(session, complaint_id=complaint_id)
    if row.assigned_to == user_id:
        return row  # the same assignment sent again
    _handler(session, field="user_id", user_id=user_id)
    if row.resolved_at is not None:
        raise ConflictError(f"complaint {row.id} was resolved at {row.resolved_at:%Y-%m-%d %H:%M}; it is not "
                            "reassigned")
    row.assigned_to, row.assigned_at = user_id, now
    session.commit()
    return row


def respond(session: Session, *, complaint_id: int, response: str, now: datetime) -> Complaint:
    """The first response to the customer: stops the response clock. Given once (409 for another one)."""
    row = get(session, complaint_id=complaint_id)
    if row.responded_at is not None:
        if row.response == response:
            return row  # the same response sent again
        how = "by its resolution" if row.response is None else "already"
        raise ConflictError(f"complaint {row.id} was answered {how} at {row.responded_at:%Y-%m-%d %H:%M}")
    if now < row.received_at:
        raise ConflictError(f"complaint {row.id} is received at {row.received_at:%Y-%m-%d %H:%M}, after now")
    row.response, row.responded_at = response, now
    session.commit()
    return row


def resolve(session: Session, *, complaint_id: int, outcome: str, resolution: str, now: datetime) -> Complaint:
    """The outcome and the remedy: stops the resolution clock (and the response clock when no response was
    given: the resolution is the customer's first answer). Resolved once (409 for another outcome)."""
    row = get(session, complaint_id=complaint_id)
    if row.resolved_at is not None:
        if (row.outcome, row.resolution) == (outcome, resolution):
            return row  # the same resolution sent again
        raise ConflictError(f"complaint {row.id} was resolved at {row.resolved_at:%Y-%m-%d %H:%M} ({row.outcome})")
    if now < row.received_at:
        raise ConflictError(f"complaint {row.id} is received at {row.received_at:%Y-%m-%d %H:%M}, after now")
    row.outcome, row.resolution, row.resolved_at = outcome, resolution, now
    row.responded_at = row.responded_at or now
    session.commit()
    return row


def _message(kind: str, row: Complaint, customer: str) -> str:
    if kind == RESPONSE_OVERDUE:
        what = f"first response was due {row.response_due:%Y-%m-%d %H:%M}"
    else:
        what = f"resolution was due {row.resolution_due:%Y-%m-%d %H:%M}"
    about = f", order {row.order_id}" if row.order_id else ""
    return f"complaint {row.id} of customer {row.customer_id} ({customer}{about}): its {what}"


def check_clocks(session: Session, *, now: datetime) -> list[ServiceAlert]:
    """Raise, once per complaint and kind, the alert of a clock still running that has run out by `now`
    (after its due time): "complaint response overdue", "complaint resolution overdue". The new alerts."""
    late = list(session.scalars(select(Complaint).where(_running_late(now)).order_by(Complaint.id)))
    if not late:
        return []
    have = {(complaint_id, kind) for complaint_id, kind in session.execute(
        select(ServiceAlert.complaint_id, ServiceAlert.kind).where(
            ServiceAlert.complaint_id.in_([c.id for c in late])))}
    names = dict(session.execute(
        select(Customer.id, Customer.name).where(Customer.id.in_({c.customer_id for c in late}))).all())
    raised = []
    for row in late:
        for kind, due, stopped in ((RESPONSE_OVERDUE, row.response_due, row.responded_at),
                                   (RESOLUTION_OVERDUE, row.resolution_due, row.resolved_at)):
            if stopped is None and now > due and (row.id, kind) not in have:
                raised.append(ServiceAlert(kind=kind, complaint_id=row.id, order_id=row.order_id,
                                           technician_id=row.technician_id, created_at=now,
                                           message=_message(kind, row, names.get(row.customer_id, "?"))))
    return standards.raise_alerts(session, raised, what="complaint clock")
