"""Service standards: plain functions over a Session, keyword-only, no HTTP.

`on_visit` is called by the visits service inside its transaction, so an alert or a follow-up exists exactly
when the visit that raised it does.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.errors import ConflictError, NotFoundError
from api.orders.models import Order, OrderStatus
from api.plans.models import PublishedRoute
from api.standards.history import ALERT_BELOW, LOW_SCORE, available_minutes, deadlines, parts_by_visit
from api.standards.history import end_of as _end_of
from api.standards.history import minutes as _minutes
from api.standards.history import ratio as _ratio
from api.standards.models import FollowUp, ServiceAlert
from api.technicians.models import Technician
from api.visits.models import Visit
from dispatch.domain import PRIORITIES
from dispatch.policy import Policy

log = logging.getLogger(__name__)

FOLLOW_UP_DAYS = (3, 7)  # DESIGN.md: follow-up calls 3 and 7 days after a major repair


def on_visit(session: Session, *, visit: Visit, order: Order) -> None:
    """Raise what the visit calls for (idempotent: recording the same visit again adds nothing). A crew's
    lead's visit speaks for the order: a member's raises nothing (one alert, one set of follow-up calls)."""
    if not visit.lead:
        return
    if visit.customer_score is not None and visit.customer_score < ALERT_BELOW:
        exists = session.scalar(select(ServiceAlert.id).where(ServiceAlert.visit_id == visit.id,
                                                              ServiceAlert.kind == LOW_SCORE))
        if exists is None:
            session.add(ServiceAlert(
                kind=LOW_SCORE, visit_id=visit.id, order_id=visit.order_id, technician_id=visit.technician_id,
                message=f"customer score {visit.customer_score} on order {visit.order_id} "
                        f"(technician {visit.technician_id}, {visit.date})"))
            log.warning("supervisor alert: score %s on order %s", visit.customer_score, visit.order_id)
    if visit.major_repair:
        base = (visit.done_at or visit.started_at or visit.arrived_at)
        day = base.date() if base is not None else visit.date
        have = {f.days_after: f for f in session.scalars(select(FollowUp).where(FollowUp.visit_id == visit.id))}
        for days in FOLLOW_UP_DAYS:
            if days in have:
                have[days].due_date = day + timedelta(days=days)  # the repair's day may be recorded later
            else:
                session.add(FollowUp(visit_id=visit.id, order_id=visit.order_id, customer_id=order.customer_id,
                                     days_after=days, due_date=day + timedelta(days=days)))


def raise_alerts(session: Session, alerts: list[ServiceAlert], *, what: str) -> list[ServiceAlert]:
    """Add and commit `alerts`, each at most once: when another worker or request raised the same ones at the
    same moment, the unique indexes refuse ours and theirs stand (nothing is raised here). Returns those
    added, each logged as a warning under `what`."""
    if not alerts:
        return []
    session.add_all(alerts)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return []
    for alert in alerts:
        log.warning("%s: %s", what, alert.message)
    return alerts


def list_alerts(session: Session, *, open_only: bool, limit: int, kind: str | None = None) -> list[ServiceAlert]:
    """Alerts newest first; open ones are those not closed (acknowledged or not)."""
    stmt = select(ServiceAlert).order_by(ServiceAlert.created_at.desc(), ServiceAlert.id.desc()).limit(limit)
    if open_only:
        stmt = stmt.where(ServiceAlert.closed_at.is_(None))
    if kind is not None:
        stmt = stmt.where(ServiceAlert.kind == kind)
    return list(session.scalars(stmt))


def _alert(session: Session, alert_id: int) -> ServiceAlert:
    row = session.get(ServiceAlert, alert_id)
    if row is None:
        raise NotFoundError(f"alert {alert_id} not found")
    return row


def acknowledge(session: Session, *, alert_id: int, now: datetime) -> ServiceAlert:
    """Seen by a supervisor (it stays open until closed); acknowledging again changes nothing."""
    row = _alert(session, alert_id)
    if row.acknowledged_at is None:
        row.acknowledged_at = now
        session.commit()
    return row


def close(session: Session, *, alert_id: int, now: datetime) -> ServiceAlert:
    """Dealt with: it leaves the open list (and counts as seen); closing again changes nothing."""
    row = _alert(session, alert_id)
    if row.closed_at is None:
        row.closed_at = now
        row.acknowledged_at = row.acknowledged_at or now
        session.commit()
    return row


def is_missed(row: FollowUp, *, today: date) -> bool:
    """A call due before today that nobody completed."""
    return row.done_at is None and row.due_date < today


def list_follow_ups(session: Session, *, due_from: date | None, due_to: date | None, open_only: bool,
                    limit: int, missed: bool | None = None, today: date | None = None) -> list[FollowUp]:
    """By due date. `missed` true: only the calls missed by `today`; false: only the others."""
    stmt = select(FollowUp).order_by(FollowUp.due_date, FollowUp.id).limit(limit)
    if missed is not None:
        assert today is not None
        late = (FollowUp.done_at.is_(None)) & (FollowUp.due_date < today)
        stmt = stmt.where(late if missed else ~late)
    if due_from is not None:
        stmt = stmt.where(FollowUp.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(FollowUp.due_date <= due_to)
    if open_only:
        stmt = stmt.where(FollowUp.done_at.is_(None))
    return list(session.scalars(stmt))


def complete_follow_up(session: Session, *, follow_up_id: int, outcome: str, note: str | None,
                       now: datetime) -> FollowUp:
    """The call was made: its outcome and note, and when. A call is completed once (409 after that)."""
    row = session.get(FollowUp, follow_up_id)
    if row is None:
        raise NotFoundError(f"follow-up call {follow_up_id} not found")
    if row.done_at is not None:
        if (row.outcome, row.note) == (outcome, note):
            return row  # the same completion sent again
        raise ConflictError(f"follow-up call {follow_up_id} was completed at {row.done_at:%Y-%m-%d %H:%M} "
                            f"({row.outcome})")
    row.outcome, row.note, row.done_at = outcome, note, now
    session.commit()
    return row


def _overdue_unvisited(session: Session, *, day: date, policy: Policy) -> list[Order]:
    """Orders still to serve at the end of `day` whose response deadline fell by then, with no visit begun by
    then: each counts as a missed deadline in that day's SLA compliance (an order nobody went to is the worst
    miss, not one that goes uncounted)."""
    end = _end_of(day)
    later = select(Visit.order_id).where(Visit.date > day)
    rows = list(session.scalars(select(Order).where(
        Order.created_at < end,
        (Order.status == OrderStatus.open.value)
        | ((Order.status == OrderStatus.cancelled.value) & (Order.cancelled_at >= end))
        | ((Order.status == OrderStatus.done.value) & Order.id.in_(later))).order_by(Order.id)))
    if not rows:
        return []
    begun = set(session.scalars(select(Visit.order_id).where(
        Visit.order_id.in_([o.id for o in rows]), Visit.date <= day,
        (Visit.arrived_at.is_not(None)) | (Visit.started_at.is_not(None)) | (Visit.done_at.is_not(None)))))
    due = deadlines(session, orders=[o for o in rows if o.id not in begun], policy=policy)
    return [o for o in rows if o.id in due and due[o.id] <= end]


def daily_kpis(session: Session, *, day: date, policy: Policy) -> dict[str, Any]:
    """The supervisor's figures for `day`, from the visits recorded on it and the routes published for it.

    - SLA compliance per priority: visits whose service started (started_at, else arrival) by the order's
      response deadline (created_at + the policy's SLA hours, or the customer's contract hours when
      tighter), over visits that started plus the orders overdue by the end of the day that nobody had
      visited by then (`overdue_unvisited`: missed).
    - first-time fix: the done first visits of orders fixed then, over the done first visits.
    - resolution: orders with a done visit on the day that are resolved (by any visit up to the day).
    - utilization per technician: on-site minutes (start to done) plus the route's travel minutes, over the
      shift minus the break.
    A crew job's visit counts once in the order-level figures (its lead's visit); each member's time on site
    counts in their utilization.
    - travel: km and minutes of the published routes; parts cost: parts consumed on the day's visited orders.
    """
    worked = list(session.scalars(select(Visit).where(Visit.date == day).order_by(Visit.id)))
    visits = [v for v in worked if v.lead]  # the order-level figures count a crew's visit once, by its lead's
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_({v.order_id for v in visits})))}
    earlier = set(session.scalars(select(Visit.order_id).where(Visit.date < day,
                                                               Visit.order_id.in_(list(orders)))))
    resolved_ids = set(session.scalars(select(Visit.order_id).where(
        Visit.date <= day, Visit.resolved.is_(True), Visit.order_id.in_(list(orders)))))

    # the plans' own deadline: the policy's hours, tightened by the customer's contract
    deadline = deadlines(session, orders=orders.values(), policy=policy)
    missed = _overdue_unvisited(session, day=day, policy=policy)
    sla: dict[str, dict[str, Any]] = {}
    for p in PRIORITIES:
        started = [(start, v.order_id) for v in visits if orders[v.order_id].priority == p.value
                   and v.order_id in deadline and (start := v.started_at or v.arrived_at) is not None]
        on_time = sum(1 for start, oid in started if start <= deadline[oid])
        never = sum(1 for o in missed if o.priority == p.value)
        sla[p.value] = {"visits": len(started), "on_time": on_time, "overdue_unvisited": never,
                        "compliance": _ratio(on_time, len(started) + never)}

    done = [v for v in visits if v.done_at is not None]
    first = [v for v in done if v.order_id not in earlier]
    fixed = sum(1 for v in first if v.fixed_first_time)
    done_orders = {v.order_id for v in done}
    resolved = len(done_orders & resolved_ids)

    routes = list(session.scalars(select(PublishedRoute).where(PublishedRoute.date == day)))
    travel_min = {r.technician_id: float(r.route.get("travel_minutes", 0.0)) for r in routes}
    on_site: dict[str, float] = defaultdict(float)
    for v in worked:  # labour: every member of a crew on site
        start = v.started_at or v.arrived_at
        if start is not None and v.done_at is not None:
            on_site[v.technician_id] += _minutes(start, v.done_at)
    utilization: dict[str, float | None] = {}
    tech_ids = sorted(set(travel_min) | set(on_site))
    techs = session.scalars(select(Technician).where(Technician.id.in_(tech_ids)).order_by(Technician.id))
    for tech_id, available in available_minutes(session, day=day, technicians=techs).items():
        busy = on_site.get(tech_id, 0.0) + travel_min.get(tech_id, 0.0)
        utilization[tech_id] = None if available <= 0 else round(busy / available, 4)
    values = [u for u in utilization.values() if u is not None]

    cost = sum(parts_by_visit(session, visits=visits).values(), Decimal(0))
    return {
        "date": day,
        "visits": len(visits),
        "visits_done": len(done),
        "sla_compliance": sla,
        "first_time_fix": {"first_visits_done": len(first), "fixed": fixed, "rate": _ratio(fixed, len(first))},
        "resolution": {"orders_done": len(done_orders), "resolved": resolved,
                       "rate": _ratio(resolved, len(done_orders))},
        "utilization": utilization,
        "mean_utilization": round(sum(values) / len(values), 4) if values else None,
        "travel": {"km": round(sum(float(r.route.get("travel_km", 0.0)) for r in routes), 3),
                   "minutes": round(sum(travel_min.values()), 2)},
        "parts_cost": str(cost.quantize(Decimal("0.01"))),
        "alerts": (session.scalar(select(func.count()).select_from(ServiceAlert)
                                  .join(Visit, ServiceAlert.visit_id == Visit.id).where(Visit.date == day)) or 0)
                  + (session.scalar(select(func.count()).select_from(ServiceAlert).where(
                      ServiceAlert.visit_id.is_(None), ServiceAlert.created_at >= datetime.combine(day, time()),
                      ServiceAlert.created_at < _end_of(day))) or 0),
    }
