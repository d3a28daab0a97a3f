"""A customer's history: their orders with each visit's outcome and score, and their complaints. Staff see any
customer's; a technician only that of a customer with an order on one of their published routes (another looks
exactly like a missing one)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.complaints.models import Complaint
from api.customers.models import Customer
from api.errors import NotFoundError
from api.orders.models import Order
from api.plans.models import PublishedStop
from api.standards.history import fixed, ratio
from api.visits.models import Visit


def _outcome(v: Visit, first: bool) -> str:
    if v.done_at is None:
        return "open"
    if v.unresolved:
        return "unresolved"
    return "fixed" if first and fixed(v) else "solved"


def _status(c: Complaint) -> str:
    return "resolved" if c.resolved_at is not None else "responded" if c.responded_at is not None else "open"


def get(session: Session, *, customer_id: str, scope: str | None, limit: int) -> dict[str, Any]:
    row = session.get(Customer, customer_id)
    if row is not None and scope is not None:
        served = session.scalar(select(PublishedStop.order_id).join(Order, Order.id == PublishedStop.order_id)
                                .where(PublishedStop.technician_id == scope, Order.customer_id == customer_id)
                                .limit(1))
        row = row if served is not None else None
    if row is None:
        raise NotFoundError(f"customer {customer_id!r} not found")
    order_ids = select(Order.id).where(Order.customer_id == customer_id)
    visits: dict[str, list[Visit]] = defaultdict(list)
    # a crew job's visit once, by its lead's
    for v in session.scalars(select(Visit).where(Visit.order_id.in_(order_ids), Visit.lead)
                             .order_by(Visit.date, Visit.id)):
        visits[v.order_id].append(v)
    every = [v for vs in visits.values() for v in vs]
    scores = [v.customer_score for v in every if v.customer_score is not None]
    firsts = [vs[0] for vs in visits.values() if vs[0].done_at is not None]
    complaints = list(session.scalars(select(Complaint).where(Complaint.customer_id == customer_id)
                                      .order_by(Complaint.received_at.desc(), Complaint.id.desc())))
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id)
                             .order_by(Order.created_at.desc(), Order.id.desc()).limit(limit))
    return {
        "customer_id": row.id, "name": row.name,
        "summary": {
            "orders": session.scalar(select(func.count()).select_from(order_ids.subquery())) or 0,
            "visits": len(every),
            "average_score": ratio(sum(scores), len(scores)),
            "complaints": len(complaints),
            "open_complaints": sum(1 for c in complaints if c.resolved_at is None),
            "last_visit": max((v.date for v in every), default=None),
            "first_time_fix": ratio(sum(1 for v in firsts if fixed(v)), len(firsts)),
        },
        "orders": [{"order_id": o.id, "created_at": o.created_at, "priority": o.priority, "status": o.status,
                    "visits": [{"date": v.date, "technician_id": v.technician_id,
                                "outcome": _outcome(v, k == 0), "reason": v.reason, "score": v.customer_score,
                                "notes": v.notes} for k, v in enumerate(visits[o.id])]}
                   for o in orders],
        "complaints": [{"id": c.id, "received_at": c.received_at, "channel": c.channel, "order_id": c.order_id,
                        "status": _status(c), "outcome": c.outcome} for c in complaints],
    }
