"""The state of a day at a moment `at`: where each technician is, how far ahead or behind plan, which orders
are at risk of missing their response deadline.

Built from the published plan of the day and the day's events, through the live engine: `dispatch.live`
freezes what happened (the visits done, under way, the break, who is absent) exactly as a re-plan would, and
each technician's remaining stops of the plan are walked forward from where and when they go on with the
solver's own timetable (the plan's travel model and service durations). Nothing is re-planned: the
prediction is the published plan as the day stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.customers import service as customers_service
from api.orders import service as orders_service
from api.orders.models import Order, OrderStatus
from api.plans import days as plan_days
from api.plans.horizon import published_day
from api.visits.events import day_events
from api.visits.models import DayEvent
from dispatch.domain import Day
from dispatch.domain import Order as DomainOrder
from dispatch.events import Event, EventKind
from dispatch.io.day_json import day_from_dict
from dispatch.live.replan import LiveInputs, live_inputs, open_routes
from dispatch.live.state import FixedVisit, VisitStatus
from dispatch.plan import Plan, Stop
from dispatch.planning.translate import build_problem
from dispatch.policy import Policy
from solver.schedule import Timetable

log = logging.getLogger(__name__)

DEFAULT_MARGIN_MINUTES = 30  # issue 12: an alert when the predicted start passes the deadline minus 30 min

# technician states
NOT_STARTED, EN_ROUTE, ON_SITE, IN_SERVICE = "not_started", "en_route", "on_site", "in_service"
ON_BREAK, IDLE, ABSENT, FINISHED = "on_break", "idle", "absent", "finished"
# order statuses beyond a visit's (planned, en_route, on_site, in_service, done, unresolved)
UNASSIGNED, CANCELLED = "unassigned", "cancelled"
NOT_STARTED_YET = ("planned", EN_ROUTE, ON_SITE, UNASSIGNED)  # service not begun: the response clock runs


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def _minutes(a: datetime, b: datetime) -> int:
    """b - a in whole minutes, rounded."""
    return round((b - a).total_seconds() / 60)


@dataclass(frozen=True)
class _Base:
    """What the status starts from: the published plan (empty when none) and its Day, with its policy."""

    plan_id: str | None
    version: int | None
    plan: Plan
    day: Day
    policy: Policy


def _order_rows(session: Session, day: Day, ids: set[str]) -> list[DomainOrder]:
    """Domain orders of `ids` (their customers' contract hours included); rows that break a domain rule are
    left out with a log line rather than hiding the whole day."""
    if not ids:
        return []
    rows = list(session.scalars(select(Order).where(Order.id.in_(ids)).order_by(Order.id)))
    contract = customers_service.contracts(session, customer_ids={o.customer_id for o in rows})
    techs = {t.id for t in day.technicians}
    out = []
    for row in rows:
        try:
            o = orders_service.to_domain(row, contract=contract.get(row.customer_id))
        except ValueError as e:
            log.warning("day status of %s: order %s left out: %s", day.date, row.id, e)
            continue
        if o.pinned_technician is not None and o.pinned_technician not in techs:
            o = replace(o, pinned_technician=None)  # pinned to someone off that day: the status does not pin
        out.append(o)
    return out


def _live_day(session: Session, base: Day, events: list[Event]) -> Day:
    """`base` with the orders the day learnt of since the plan: open orders created by the end of the day
    (an emergency, an order left for another visit) and any order an event names."""
    known = {o.id for o in base.orders}
    end = datetime.combine(base.date + timedelta(days=1), datetime.min.time())
    open_ids = set(session.scalars(select(Order.id).where(Order.status == OrderStatus.open.value,
                                                          Order.created_at < end)))
    named = {e.order_id for e in events if e.order_id is not None}
    extra = [o for o in _order_rows(session, base, (open_ids | named) - known)
             if o.window_start is None or o.window_start.date() == base.date or o.id in named]
    return replace(base, orders=(*base.orders, *extra))


def _base(session: Session, day: date, policy: Policy | None) -> _Base:
    found = published_day(session, day=day)  # a multi-day plan's routes and Day of this date
    if found is not None and found.plan is not None and found.input is not None:
        return _Base(found.job.id, getattr(found.published, "version", None), Plan.from_dict(found.plan),
                     day_from_dict(found.input), Policy.from_dict(found.policy))
    techs = plan_days.working_technicians(session, day=day)
    return _Base(None, None, Plan(date=day, routes=(), unassigned=()), Day(day, tuple(techs), ()),
                 policy or Policy())


def _when(v: FixedVisit) -> datetime:
    return max(t for t in (v.departed, v.arrival, v.start, v.end) if t is not None)


def _predicted(live: LiveInputs, day: Day, routes: dict[str, list[str]]) -> dict[str, tuple[datetime, datetime]]:
    """Order id -> (arrival, start) of each stop not yet begun, walking each present technician's remaining
    stops in the plan's order from where and when they go on (the solver's timetable, rules not enforced:
    a prediction, not a plan)."""
    ids = list(dict.fromkeys(i for r in routes.values() for i in r))  # a crew's stop is on each member's route
    if not ids:
        return {}
    orders = {o.id: o for o in day.orders}
    # pins do not move a prediction; dropping them keeps the Day valid without the absent technicians
    sub = Day(day.date, live.present, tuple(replace(orders[i], pinned_technician=None) for i in ids))
    built = build_problem(sub, live.policy, live.travel, starts=live.starts)
    table = Timetable(built.problem)
    index = {o.id: j for j, o in enumerate(sub.orders)}
    out: dict[str, tuple[datetime, datetime]] = {}
    for k, tech in enumerate(sub.technicians):
        route = routes.get(tech.id, [])
        if not route:
            continue
        s = table.schedule(k, [index[i] for i in route], strict=False)
        assert s is not None  # not strict: always a schedule
        for p, order_id in enumerate(route):
            out[order_id] = (built.at(s.arrivals[p]), built.at(s.starts[p]))
    return out


def day_status(session: Session, *, day: date, at: datetime, margin_minutes: int = DEFAULT_MARGIN_MINUTES,
               policy: Policy | None = None) -> dict[str, Any]:
    """The state of `day` at `at` (see the module docstring), JSON-able: the contract of
    `GET /api/v1/days/{date}/status`. `policy` gives the response deadlines when no plan is published (the
    published plan's own policy does otherwise); an order is at risk when its predicted start (for an order
    nobody is to visit: `at`) passes its deadline minus `margin_minutes`, service not begun."""
    base = _base(session, day, policy)
    events = day_events(session, day=day)
    the_day = _live_day(session, base.day, events)
    techs = {t.id for t in the_day.technicians}
    orders = {o.id: o for o in the_day.orders}
    # what the engine can place: events of technicians of the day and of orders it knows
    events = [e for e in events if (e.technician_id is None or e.technician_id in techs)
              and (e.order_id is None or e.order_id in orders)
              and (e.technician_id is not None or e.kind is EventKind.CANCELLED)]
    live = live_inputs(the_day, base.plan, events, at, base.policy)
    state = live.state
    present = {t.id for t in live.present}
    margin = timedelta(minutes=margin_minutes)

    # each order's latest visit, with its times as the freeze has them
    visited: dict[str, tuple[FixedVisit, Stop]] = {}
    under_way: dict[str, tuple[FixedVisit, Stop]] = {}
    for t in the_day.technicians:
        fixed = state.technicians[t.id].fixed
        for v, stop in zip(fixed, live.fixed[t.id], strict=True):
            if v.order_id not in visited or _when(visited[v.order_id][0]) <= _when(v):
                visited[v.order_id] = (v, stop)
        if fixed and fixed[-1].status in (VisitStatus.EN_ROUTE, VisitStatus.ON_SITE, VisitStatus.IN_SERVICE):
            under_way[t.id] = (fixed[-1], live.fixed[t.id][-1])

    # the plan's remaining stops: an unresolved order is visited again only if the plan was made after that
    # visit (it has it as a fixed unresolved stop and plans the next)
    again = {s.order_id for r in base.plan.routes for s in r.stops if s.status == VisitStatus.UNRESOLVED.value}
    still = set(state.to_plan) - (set(state.unresolved) - again)
    routes = open_routes(base.plan, still, present)
    predicted = _predicted(live, the_day, routes)
    on_route = {i: tech for tech, r in routes.items() for i in r}
    planned: dict[str, Stop] = {}
    for r in base.plan.routes:
        for s in r.stops:
            if not s.fixed or s.order_id not in planned:  # a visit still to come outranks one behind
                planned[s.order_id] = s

    order_rows = []
    at_risk = []
    for o in the_day.orders:
        if o.created_at > at:
            continue  # not known yet at `at`
        deadline = live.policy.sla.deadline(o)
        technician: str | None = None
        start: datetime | None = None
        if o.id in on_route:
            status, technician, start = "planned", on_route[o.id], predicted[o.id][1]
        elif o.id in visited and not (o.id in state.cancelled and visited[o.id][0].status is not VisitStatus.DONE):
            # under way, done, or unresolved with its next visit not planned yet (it waits in the pool)
            v, stop = visited[o.id]
            status, technician, start = v.status.value, v.technician_id, stop.start
        else:
            status = CANCELLED if o.id in state.cancelled else UNASSIGNED
        risky = status in NOT_STARTED_YET and (start or at) > deadline - margin
        late = 0 if status == CANCELLED else max(0, _minutes(deadline, start or at))
        plan_start = planned[o.id].start if o.id in planned else None
        order_rows.append({
            "order_id": o.id, "technician_id": technician, "status": status, "planned_start": _iso(plan_start),
            "predicted_start": _iso(start), "deadline": _iso(deadline), "late_minutes": late, "at_risk": risky})
        if risky:
            at_risk.append(o.id)

    rows = []
    for t in the_day.technicians:
        tstate = state.technicians[t.id]
        current = under_way.get(t.id)
        route = routes.get(t.id, [])
        brk = live.breaks.get(t.id)
        if tstate.absent:
            kind = ABSENT
        elif current is not None:
            kind = current[0].status.value
        elif brk is not None and brk[0] <= at < brk[1]:
            kind = ON_BREAK
        elif not route:
            kind = FINISHED if tstate.fixed or at >= t.shift_end else IDLE
        else:
            kind = IDLE if tstate.fixed or tstate.break_taken else NOT_STARTED
        delay = 0
        if current is not None and current[0].order_id in planned:
            # in service: behind plan by how much later it ends; on the way or on site: starts
            was, now = planned[current[0].order_id], current[1]
            delay = _minutes(was.end, now.end) if kind == IN_SERVICE else _minutes(was.start, now.start)
        elif route and not tstate.absent and route[0] in planned:
            delay = _minutes(planned[route[0]].start, predicted[route[0]][1])
        following = route[0] if route and not tstate.absent else None
        rows.append({
            "technician_id": t.id, "name": t.name, "state": kind,
            "order_id": current[0].order_id if current is not None else None, "delay_minutes": delay,
            "next_order_id": following,
            "next_eta": _iso(predicted[following][1]) if following is not None else None})
    return {"date": day.isoformat(), "at": _iso(at), "plan_id": base.plan_id, "version": base.version,
            "technicians": rows, "orders": order_rows, "at_risk": at_risk}


REPLAY_WINDOW = timedelta(hours=1)


def moments(session: Session, *, now: datetime) -> list[tuple[date, datetime]]:
    """The days to scan and the moment each stands at: today at `now`; and a day reported in recorded time
    (its phones' events arrived within the last hour, but it is not today: a rehearsal, or a day typed in
    after the fact) at its latest reported event, as a re-plan of that day would take it."""
    out = [(now.date(), now)]
    rows = session.execute(
        select(DayEvent.date, func.max(DayEvent.time)).where(DayEvent.received_at >= now - REPLAY_WINDOW,
                                                              DayEvent.date != now.date())
        .group_by(DayEvent.date).order_by(DayEvent.date))
    out.extend((day, latest) for day, latest in rows)
    return out
