"""The standards over days: each day's raw figures, kept in kpi_days once the day is over, summed into periods
and grouped per technician and per customer. Plain functions over a Session, keyword-only, no HTTP.

A day's figures are *raw*: counts, minutes, km and the response minutes per priority, for the whole service
(group "") and for each technician ("t:<id>") and customer ("c:<id>") they concern. A period's figures are
the sums of its days' (its medians are computed over all its minutes), so a week, a month, a technician's or
a customer's figures come from the same kept rows. Money is priced when read (the technician's hourly cost,
the cost of a km), each day rounded to the cent, so a month's cost is exactly the sum of its days'.

Rules, in one place (contract of issue 14):
- SLA: an order counts once, on the day service first started (on time if by its deadline: created_at + the
  policy's hours, tightened by the customer's contract) or, never started, on the day its deadline fell once
  that moment has passed (missed). The start of service is started_at, else the arrival (else the finish of
  a visit recorded with no times). Response = created_at to that start, in minutes.
- First-time fix: finished first visits of their order; fixed when the phone said so (or, with no word on it,
  when the visit solved the order). Repeat visits: finished visits that were not the order's first.
- Resolution: an order is judged on the day a visit first solved it, when that is within `resolution_days`
  of its creation (resolved), or else on the day that window closed (not resolved). Orders cancelled before
  being judged are left out.
- Utilization: on-site minutes (start to finish of the finished visits) plus the published routes' travel
  minutes, over the shift minus the break of the technicians who worked that day.
- Labour: those same minutes x the technician's hourly cost (0 when unset); travel: km x travel_cost_per_km;
  parts: the parts consumed on the day's visits (a consumption belongs to its order's visit by the same
  technician on or before its date, else their first visit of the order).
- Crews: a crew job's visit counts once, by its lead's visit (SLA, first-time fix, resolution, visits, scores,
  parts); each member's own minutes on site count in their utilization and labour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.complaints.models import Complaint
from api.config import Settings
from api.customers import service as customers_service
from api.customers.models import Customer
from api.errors import InvalidInputError
from api.orders import service as orders_service
from api.orders.models import Order, OrderStatus
from api.parts.models import StockMovement
from api.plans.models import PublishedRoute
from api.standards.models import KpiDay, ServiceAlert
from api.technicians import service as technicians_service
from api.technicians.models import Technician
from api.visits.models import DayEvent, Visit
from dispatch.domain import PRIORITIES
from dispatch.policy import Policy

VERSION = 1  # the format of KpiDay.figures: rows of an older one are computed again
LOW_SCORE = "low customer score"
ALERT_BELOW = 3  # DESIGN.md: a customer score below 3 alerts a supervisor
TOTAL = ""  # the group of the whole service; "t:<id>" a technician's, "c:<id>" a customer's
CENT = Decimal("0.01")
MAX_DAYS = 400
BY = ("day", "week", "month", "technician", "customer")


# --- shared with the daily KPIs (api.standards.service) ----------------------------------------------------

def ratio(num: float, den: float) -> float | None:
    return None if den == 0 else round(num / den, 4)


def minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def start_of(day: date) -> datetime:
    return datetime.combine(day, time())


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time())


def deadlines(session: Session, *, orders: Iterable[Order], policy: Policy) -> dict[str, datetime]:
    """Each order's response deadline as plans see it: the policy's hours, tightened by the customer's
    contract. A row the planner refuses is left out (not counted against the service)."""
    rows = list(orders)
    contract = customers_service.contracts(session, customer_ids={o.customer_id for o in rows})
    out = {}
    for o in rows:
        try:
            out[o.id] = policy.sla.deadline(orders_service.to_domain(o, contract=contract.get(o.customer_id)))
        except ValueError:
            continue
    return out


def available_minutes(session: Session, *, day: date, technicians: Iterable[Technician]) -> dict[str, float]:
    """Each technician's working minutes on `day`: the shift (a shift day's where one changes it) minus the
    break."""
    techs = list(technicians)
    changed = technicians_service.shift_days(session, day=day, technician_ids=[t.id for t in techs])
    out = {}
    for t in techs:
        start, end = technicians_service.shift_of(t, changed.get(t.id))
        out[t.id] = minutes(datetime.combine(day, start), datetime.combine(day, end)) - (t.break_minutes or 0)
    return out


def service_start(v: Visit) -> datetime | None:
    """When service began on the visit: started_at, else the arrival, else (a visit recorded with no times)
    its finish."""
    return v.started_at or v.arrived_at or v.done_at


def solved(v: Visit) -> bool:
    return v.done_at is not None and not v.unresolved


def fixed(v: Visit) -> bool:
    """Fixed on this visit (the caller knows it is the order's first): the phone said so, or said nothing
    about it and the visit solved the order."""
    return v.fixed_first_time is True or (v.fixed_first_time is None and solved(v))


def on_site_minutes(v: Visit) -> float:
    start = v.started_at or v.arrived_at
    return 0.0 if start is None or v.done_at is None else max(0.0, minutes(start, v.done_at))


def parts_by_visit(session: Session, *, visits: Iterable[Visit]) -> dict[int, Decimal]:
    """The cost of the parts consumed on each of `visits` (ids absent: none). A consumption belongs to the
    visit of its order by its technician on or before its date, else to their first visit of the order."""
    wanted = {v.id for v in visits}
    order_ids = {v.order_id for v in session.scalars(select(Visit).where(Visit.id.in_(wanted)))} if wanted else set()
    if not order_ids:
        return {}
    by_pair: dict[tuple[str, str], list[Visit]] = defaultdict(list)
    for v in session.scalars(select(Visit).where(Visit.order_id.in_(order_ids)).order_by(Visit.date)):
        by_pair[(v.order_id, v.technician_id)].append(v)
    out: dict[int, Decimal] = defaultdict(Decimal)
    for m in session.scalars(select(StockMovement).where(StockMovement.kind == "consume",
                                                         StockMovement.order_id.in_(order_ids))):
        pair = by_pair.get((m.order_id or "", m.technician_id or ""))
        if not pair:
            continue
        before = [v for v in pair if v.date <= m.at.date()]
        owner = before[-1] if before else pair[0]
        if owner.id in wanted:
            out[owner.id] += m.unit_cost * m.quantity
    return dict(out)


# --- one day's raw figures --------------------------------------------------------------------------------

def _empty() -> dict[str, Any]:
    return {
        "orders_created": 0, "orders_visited": 0, "visits": 0, "visits_done": 0, "repeat_visits": 0,
        "sla": {p.value: {"started": 0, "on_time": 0, "overdue_unvisited": 0, "minutes": []} for p in PRIORITIES},
        "first_visits_done": 0, "fixed": 0, "resolution_orders": 0, "resolved": 0,
        "score_count": 0, "score_sum": 0, "score_low": 0, "low_score_alerts": 0, "complaints": 0,
        "on_site_minutes": 0.0, "travel_minutes": 0.0, "available_minutes": 0.0, "travel_km": 0.0,
        "worked_minutes": {}, "parts": "0.00", "orders_solved": 0,
    }


class _Groups:
    """Raw figures per group, made on first use."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, Any]] = {}

    def of(self, keys: Iterable[str | None]) -> Iterator[dict[str, Any]]:
        for key in keys:
            if key is not None:
                yield self.groups.setdefault(key, _empty())

    def add(self, keys: Iterable[str | None], name: str, n: float = 1) -> None:
        for g in self.of(keys):
            g[name] += n


def _labour(g: _Groups, keys: list[str | None], v: Visit) -> None:
    """A finished visit's minutes on site, for its technician's workload and utilization."""
    if v.done_at is None:
        return
    on_site = on_site_minutes(v)
    g.add(keys, "on_site_minutes", on_site)
    for group in g.of(keys):
        worked = group["worked_minutes"]
        worked[v.technician_id] = worked.get(v.technician_id, 0.0) + on_site


def _t(tech: str | None) -> str | None:
    return None if tech is None else f"t:{tech}"


def _c(customer: str | None) -> str | None:
    return None if customer is None else f"c:{customer}"


def compute_day(session: Session, *, day: date, policy: Policy, resolution_days: int,
                now: datetime) -> dict[str, Any]:
    """The raw figures of `day` (module docstring), with what tells later whether they went stale."""
    last_movement = session.scalar(select(func.max(StockMovement.id))) or 0
    last_event = session.scalar(select(func.max(DayEvent.id)).where(DayEvent.date == day)) or 0
    start, end = start_of(day), end_of(day)
    window = timedelta(days=resolution_days)
    longest = timedelta(hours=max(policy.sla.hours.values()))

    today = list(session.scalars(select(Visit).where(Visit.date == day).order_by(Visit.id)))
    created = list(session.scalars(select(Order).where(Order.created_at >= start, Order.created_at < end)))
    may_fall_due = list(session.scalars(select(Order).where(Order.created_at >= start - longest,
                                                            Order.created_at < end)))
    window_closes = list(session.scalars(select(Order).where(Order.created_at >= start - window,
                                                             Order.created_at < end - window)))
    orders = {o.id: o for o in (*created, *may_fall_due, *window_closes)}
    missing = {v.order_id for v in today} - orders.keys()
    if missing:
        orders |= {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(missing)))}
    visits_of: dict[str, list[Visit]] = defaultdict(list)
    if orders:
        # the order's visits as the order-level figures count them: a crew's once, by its lead's
        for v in session.scalars(select(Visit).where(Visit.order_id.in_(list(orders)), Visit.lead)
                                 .order_by(Visit.date)):
            visits_of[v.order_id].append(v)
    due = deadlines(session, orders=orders.values(), policy=policy)

    def first_start(order_id: str) -> Visit | None:
        return next((v for v in visits_of[order_id] if service_start(v) is not None), None)

    def first_solve(order_id: str) -> Visit | None:
        return next((v for v in visits_of[order_id] if solved(v)), None)

    g = _Groups()
    watch: set[str] = set()
    for o in created:
        watch.add(o.id)
        if o.status == OrderStatus.cancelled.value and not visits_of[o.id]:
            continue  # cancelled before any visit: not an order the service had to serve
        g.add([TOTAL, _c(o.customer_id)], "orders_created")

    parts = parts_by_visit(session, visits=today)
    for v in today:
        o = orders[v.order_id]
        watch.add(o.id)
        keys = [TOTAL, _t(v.technician_id), _c(o.customer_id)]
        if not v.lead:  # a crew member's visit: their time on site is labour, the order is counted by the lead's
            _labour(g, keys, v)
            continue
        g.add(keys, "visits")
        g.add(keys, "orders_visited")
        first_visit = visits_of[o.id][0].id == v.id
        if v.done_at is not None:
            g.add(keys, "visits_done")
            if first_visit:
                g.add(keys, "first_visits_done")
                g.add(keys, "fixed", int(fixed(v)))
            else:
                g.add(keys, "repeat_visits")
            _labour(g, keys, v)
            if solved(v):
                g.add(keys, "orders_solved")
                if first_solve(o.id) is v and v.done_at <= o.created_at + window:  # type: ignore[operator]
                    g.add(keys, "resolution_orders")
                    g.add(keys, "resolved")
        if v.customer_score is not None:
            g.add(keys, "score_count")
            g.add(keys, "score_sum", v.customer_score)
            g.add(keys, "score_low", int(v.customer_score < ALERT_BELOW))
        if v.id in parts:
            for group in g.of(keys):
                group["parts"] = str(Decimal(group["parts"]) + parts[v.id])
        begun = service_start(v)
        if begun is not None and first_start(o.id) is v and o.id in due:
            for group in g.of(keys):
                sla = group["sla"][o.priority]
                sla["started"] += 1
                sla["on_time"] += int(begun <= due[o.id])
                sla["minutes"].append(round(minutes(o.created_at, begun), 2))

    # never started: missed on the day the deadline fell, once it has passed
    for o in may_fall_due:
        deadline = due.get(o.id)
        if deadline is None or not start <= deadline < end or deadline > now or first_start(o.id) is not None:
            continue
        if o.status == OrderStatus.cancelled.value and o.cancelled_at is not None and o.cancelled_at < deadline:
            continue
        watch.add(o.id)
        for group in g.of([TOTAL, _c(o.customer_id)]):
            group["sla"][o.priority]["overdue_unvisited"] += 1

    # not solved within the window: judged (not resolved) on the day it closed
    for o in window_closes:
        closes = o.created_at + window
        if closes > now:
            continue
        solver = first_solve(o.id)
        if solver is not None and solver.done_at <= closes:  # type: ignore[operator]
            continue
        if o.status == OrderStatus.cancelled.value and o.cancelled_at is not None and o.cancelled_at < closes \
                and solver is None:
            continue
        watch.add(o.id)
        last = [v for v in visits_of[o.id] if v.date <= closes.date()]
        g.add([TOTAL, _c(o.customer_id), _t(last[-1].technician_id) if last else None], "resolution_orders")

    alerts = session.execute(select(ServiceAlert.technician_id, Order.customer_id)
                             .join(Visit, ServiceAlert.visit_id == Visit.id).join(Order, Visit.order_id == Order.id)
                             .where(Visit.date == day, ServiceAlert.kind == LOW_SCORE))
    for tech, customer in alerts:
        g.add([TOTAL, _t(tech), _c(customer)], "low_score_alerts")
    for tech, customer in session.execute(select(Complaint.technician_id, Complaint.customer_id).where(
            Complaint.received_at >= start, Complaint.received_at < end)):
        g.add([TOTAL, _t(tech), _c(customer)], "complaints")

    routes = {r.technician_id: r.route for r in session.scalars(
        select(PublishedRoute).where(PublishedRoute.date == day))}
    for tech, route in routes.items():
        keys = [TOTAL, _t(tech)]
        travel = float(route.get("travel_minutes", 0.0))
        g.add(keys, "travel_minutes", travel)
        g.add(keys, "travel_km", float(route.get("travel_km", 0.0)))
        for group in g.of(keys):
            group["worked_minutes"][tech] = group["worked_minutes"].get(tech, 0.0) + travel
    working = set(routes) | {v.technician_id for v in today}
    if working:
        techs = session.scalars(select(Technician).where(Technician.id.in_(working)))
        for tech, available in available_minutes(session, day=day, technicians=techs).items():
            g.add([TOTAL, _t(tech)], "available_minutes", max(0.0, available))

    for group in g.groups.values():  # a stable, compact row
        for name in ("on_site_minutes", "travel_minutes", "available_minutes"):
            group[name] = round(group[name], 4)
        group["travel_km"] = round(group["travel_km"], 3)
        group["worked_minutes"] = {t: round(m, 4) for t, m in sorted(group["worked_minutes"].items())}
    return {"groups": g.groups, "watch": sorted(watch), "last_movement": last_movement, "last_event": last_event}


# --- kept days ------------------------------------------------------------------------------------------------

def _stale(session: Session, kept: dict[date, KpiDay], *, longest: timedelta, window: timedelta) -> set[date]:
    """The kept days something changed since they were computed: a visit of the day or of an order the day
    counted, an order created near it (they fall due or close their window on it), a complaint received on it,
    a stock movement on an order it counted, an event of the day. Compared on the database's own clock (the
    rows' updated_at against computed_at, both set by it); ids for movements and events."""
    if not kept:
        return set()
    out = {d for d, row in kept.items() if row.version != VERSION}
    watching: dict[str, list[date]] = defaultdict(list)
    for d, row in kept.items():
        for order_id in row.figures.get("watch", []):
            watching[order_id].append(d)
    since = min(row.computed_at for row in kept.values()) - timedelta(seconds=1)

    def after(d: date, changed: datetime | None) -> bool:
        return d in kept and changed is not None and changed >= kept[d].computed_at

    for order_id, day, changed in session.execute(select(Visit.order_id, Visit.date, Visit.updated_at)
                                                  .where(Visit.updated_at >= since)):
        out |= {d for d in [day, *watching.get(order_id, [])] if after(d, changed)}
    reach = (longest + window).days + 1
    for order_id, created, changed in session.execute(select(Order.id, Order.created_at, Order.updated_at)
                                                      .where(Order.updated_at >= since)):
        near = [created.date() + timedelta(days=k) for k in range(reach + 1)]
        out |= {d for d in [*near, *watching.get(order_id, [])] if after(d, changed)}
    for received, changed in session.execute(select(Complaint.received_at, Complaint.updated_at)
                                             .where(Complaint.updated_at >= since)):
        out |= {received.date()} if after(received.date(), changed) else set()
    first_movement = min(row.figures.get("last_movement", 0) for row in kept.values())
    for movement_id, order_id in session.execute(select(StockMovement.id, StockMovement.order_id).where(
            StockMovement.id > first_movement, StockMovement.kind == "consume")):
        out |= {d for d in watching.get(order_id or "", []) if movement_id > kept[d].figures.get("last_movement", 0)}
    first_event = min(row.figures.get("last_event", 0) for row in kept.values())
    for event_id, day in session.execute(select(DayEvent.id, DayEvent.date).where(
            DayEvent.id > first_event, DayEvent.date.in_(list(kept)))):
        if event_id > kept[day].figures.get("last_event", 0):
            out.add(day)
    return out


def days(session: Session, *, first: date, last: date, policy: Policy, resolution_days: int,
         now: datetime) -> dict[date, dict[str, Any]]:
    """Raw figures of every day from `first` to `last`: kept rows where they are still good, computed (and
    kept, for days before today) otherwise."""
    today = now.date()
    span = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    kept = {r.date: r for r in session.scalars(select(KpiDay).where(KpiDay.date >= first, KpiDay.date <= last))}
    stale = _stale(session, kept, longest=timedelta(hours=max(policy.sla.hours.values())),
                   window=timedelta(days=resolution_days))
    out: dict[date, dict[str, Any]] = {}
    fresh: list[date] = []
    for d in span:
        if d in kept and d not in stale:
            out[d] = kept[d].figures
            continue
        out[d] = compute_day(session, day=d, policy=policy, resolution_days=resolution_days, now=now)
        if d < today:
            fresh.append(d)
    for d in fresh:
        # computed_at from the database's clock, the one the rows' updated_at come from
        try:
            with session.begin_nested():
                if d in kept:
                    kept[d].figures, kept[d].version, kept[d].computed_at = out[d], VERSION, func.now()
                else:
                    session.add(KpiDay(date=d, figures=out[d], version=VERSION, computed_at=func.now()))
        except IntegrityError:  # another request kept the same day meanwhile: its figures are as good
            continue
    if fresh:
        session.commit()
    return out


# --- periods ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pricing:
    hourly: dict[str, Decimal]  # technician id -> hourly cost (missing: 0)
    per_km: Decimal

    @classmethod
    def load(cls, session: Session, *, per_km: float) -> Pricing:
        rows = session.execute(select(Technician.id, Technician.hourly_cost))
        return cls({t: Decimal(c) for t, c in rows if c is not None}, Decimal(str(per_km)))


def _cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


class Sum:
    """A period's raw figures: days' groups added up; money priced per day and rounded to the cent."""

    def __init__(self) -> None:
        self.raw = _empty()
        self.labour = self.travel = self.parts = Decimal(0)
        self.days = 0

    def add(self, raw: dict[str, Any] | None, pricing: Pricing) -> Sum:
        if raw is None:
            return self
        r = self.raw
        for name, value in raw.items():
            if name == "sla":
                for p, s in value.items():
                    for k in ("started", "on_time", "overdue_unvisited"):
                        r["sla"][p][k] += s[k]
                    r["sla"][p]["minutes"] = r["sla"][p]["minutes"] + list(s["minutes"])
            elif name == "worked_minutes":
                for tech, m in value.items():
                    self.labour += _cents(Decimal(str(m)) / 60 * pricing.hourly.get(tech, Decimal(0)))
            elif name == "parts":
                self.parts += Decimal(value)
            elif name == "travel_km":
                r[name] = round(r[name] + value, 3)
                self.travel += _cents(Decimal(str(value)) * pricing.per_km)
            elif isinstance(value, (int, float)):
                r[name] += value
        return self

    def figures(self, *, resolution_days: int) -> dict[str, Any]:
        """The contract's Figures."""
        r = self.raw
        sla = {}
        all_on_time = all_counted = 0
        for p in PRIORITIES:
            s = r["sla"][p.value]
            counted = s["started"] + s["overdue_unvisited"]
            all_on_time += s["on_time"]
            all_counted += counted
            spread = np.array(s["minutes"], dtype=float)
            sla[p.value] = {
                "started": s["started"], "on_time": s["on_time"], "overdue_unvisited": s["overdue_unvisited"],
                "share": ratio(s["on_time"], counted),
                "response_median_min": round(float(np.percentile(spread, 50)), 1) if spread.size else None,
                "response_p90_min": round(float(np.percentile(spread, 90)), 1) if spread.size else None,
            }
        total = self.labour + self.travel + self.parts
        return {
            "orders_created": r["orders_created"], "orders_visited": r["orders_visited"], "visits": r["visits"],
            "visits_done": r["visits_done"], "repeat_visits": r["repeat_visits"],
            "sla": sla, "sla_share": ratio(all_on_time, all_counted),
            "first_time_fix": {"first_visits_done": r["first_visits_done"], "fixed": r["fixed"],
                               "rate": ratio(r["fixed"], r["first_visits_done"])},
            "resolution": {"orders": r["resolution_orders"], "resolved": r["resolved"],
                           "rate": ratio(r["resolved"], r["resolution_orders"]), "within_days": resolution_days},
            "score": {"count": r["score_count"],
                      "average": ratio(r["score_sum"], r["score_count"]),
                      "low": r["score_low"], "low_share": ratio(r["score_low"], r["score_count"])},
            "low_score_alerts": r["low_score_alerts"],
            "complaints": {"received": r["complaints"], "rate": ratio(r["complaints"], r["visits_done"])},
            "utilization": ratio(r["on_site_minutes"] + r["travel_minutes"], r["available_minutes"]),
            "travel_km": round(r["travel_km"], 3),
            "costs": {"labour": str(self.labour.quantize(CENT)), "travel": str(self.travel.quantize(CENT)),
                      "parts": str(self.parts.quantize(CENT)), "total": str(total.quantize(CENT))},
            "orders_solved": r["orders_solved"],
            "cost_per_solved": str(_cents(total / r["orders_solved"])) if r["orders_solved"] else None,
        }


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def targets(settings: Settings) -> dict[str, Any]:
    return {"sla": dict(settings.target_sla), "first_time_fix": settings.target_first_time_fix,
            "resolution": settings.target_resolution, "score": settings.target_score,
            "low_score_share": settings.target_low_score_share, "complaint_rate": settings.target_complaint_rate,
            "utilization": settings.target_utilization, "cost_per_solved": settings.target_cost_per_solved}


def _query_error(field: str, message: str, value: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", errors=[{"loc": ["query", field], "msg": message,
                                                              "type": "value_error", "input": value}])


def check_range(first: date, last: date) -> None:
    if first > last:
        raise _query_error("from", f"{first} is after to {last}", first.isoformat())
    if (last - first).days + 1 > MAX_DAYS:
        raise _query_error("to", f"the range {first}..{last} holds {(last - first).days + 1} days; at most "
                                f"{MAX_DAYS}", last.isoformat())


def default_range(now: datetime, *, first: date | None, last: date | None) -> tuple[date, date]:
    """The range asked for, by default the 30 days ending yesterday (to alone: the 30 days ending then; from
    alone: up to yesterday, or that one day if it is later)."""
    yesterday = now.date() - timedelta(days=1)
    if last is None:
        last = yesterday if first is None else max(first, yesterday)
    return (last - timedelta(days=29) if first is None else first), last


def kpis(session: Session, *, first: date, last: date, by: str, settings: Settings,
         now: datetime) -> dict[str, Any]:
    """The contract's GET /kpis answer."""
    check_range(first, last)
    per_day = days(session, first=first, last=last, policy=settings.policy(),
                   resolution_days=settings.resolution_days, now=now)
    pricing = Pricing.load(session, per_km=settings.travel_cost_per_km)
    within = settings.resolution_days
    total = Sum()
    for groups in per_day.values():
        total.add(groups["groups"].get(TOTAL), pricing)
    rows: list[dict[str, Any]] = []
    if by in ("day", "week", "month"):
        buckets: dict[str, list[date]] = {}
        for d in per_day:
            key = d.isoformat() if by == "day" else iso_week(d) if by == "week" else f"{d:%Y-%m}"
            buckets.setdefault(key, []).append(d)
        for key, members in buckets.items():
            s = Sum()
            for d in members:
                s.add(per_day[d]["groups"].get(TOTAL), pricing)
            rows.append(s.figures(resolution_days=within) | {"key": key, "label": key, "from": members[0],
                                                            "to": members[-1]})
    else:
        prefix = "t:" if by == "technician" else "c:"
        sums: dict[str, Sum] = defaultdict(Sum)
        for groups in per_day.values():
            for key, raw in groups["groups"].items():
                if key.startswith(prefix):
                    sums[key[2:]].add(raw, pricing)
        model: Any = Technician if by == "technician" else Customer
        names = {row[0]: row[1] for row in session.execute(select(model.id, model.name).where(model.id.in_(list(sums))))}
        rows = [sums[k].figures(resolution_days=within) | {"key": k, "label": names.get(k, k), "from": None,
                                                           "to": None} for k in sorted(sums)]
    return {"from": first, "to": last, "by": by, "targets": targets(settings),
            "total": total.figures(resolution_days=within), "rows": rows}


# --- the monthly report -------------------------------------------------------------------------------------

LINE_FIELDS = ("orders_created", "visits_done", "orders_solved", "labour_cost", "travel_km", "travel_cost",
               "parts_cost", "total_cost", "sla_share", "first_time_fix", "resolution", "average_score",
               "complaints")


def _line(label: str, f: dict[str, Any]) -> dict[str, Any]:
    return {"date": label, "orders_created": f["orders_created"], "visits_done": f["visits_done"],
            "orders_solved": f["orders_solved"], "labour_cost": f["costs"]["labour"], "travel_km": f["travel_km"],
            "travel_cost": f["costs"]["travel"], "parts_cost": f["costs"]["parts"],
            "total_cost": f["costs"]["total"], "sla_share": f["sla_share"], "first_time_fix": f["first_time_fix"]["rate"],
            "resolution": f["resolution"]["rate"], "average_score": f["score"]["average"],
            "complaints": f["complaints"]["received"]}


def month_bounds(month: str) -> tuple[date, date]:
    first = datetime.strptime(month, "%Y-%m").date()
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def monthly(session: Session, *, first_month: str, last_month: str, settings: Settings,
            now: datetime) -> dict[str, Any]:
    """The contract's monthly report: per month its day lines and a total line (counts, km and money the sums
    of its days; rates of the month's figures), and a total over all months."""
    first, _ = month_bounds(first_month)
    _, last = month_bounds(last_month)
    if first > last:
        raise _query_error("from", f"{first_month} is after to {last_month}", first_month)
    check_range(first, last)
    per_day = days(session, first=first, last=last, policy=settings.policy(),
                   resolution_days=settings.resolution_days, now=now)
    pricing = Pricing.load(session, per_km=settings.travel_cost_per_km)
    within = settings.resolution_days
    months: dict[str, dict[str, Any]] = {}
    sums: dict[str, Sum] = {}
    everything = Sum()
    for d, groups in per_day.items():
        key = f"{d:%Y-%m}"
        month = months.setdefault(key, {"month": key, "days": []})
        raw = groups["groups"].get(TOTAL)
        month["days"].append(_line(d.isoformat(), Sum().add(raw, pricing).figures(resolution_days=within)))
        sums.setdefault(key, Sum()).add(raw, pricing)
        everything.add(raw, pricing)
    for key, month in months.items():
        month["total"] = _line("total", sums[key].figures(resolution_days=within))
    return {"months": list(months.values()), "total": _line("total", everything.figures(resolution_days=within))}
