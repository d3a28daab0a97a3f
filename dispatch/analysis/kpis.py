"""Plan KPIs and the objective of DESIGN.md, each part reported separately under its rule name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from dispatch.analysis.who_serves import who_serves_parts
from dispatch.domain import PRIORITIES, Day, Order, Technician
from dispatch.plan import (
    SHIFT_TOLERANCE_MINUTES,
    Churn,
    Kpis,
    Plan,
    PriorityKpis,
    Route,
    SolverStats,
    TechnicianWorkload,
    Workload,
)
from dispatch.policy import Policy
from solver.rules import ETA_SHIFT, REASSIGNMENT, RESPONSE_DEADLINE, TRAVEL, UNSERVED, WORKLOAD_BALANCE

TOTAL = "total"
# late by less than half a minute counts as on time
ON_TIME_MINUTES = 0.5


def work_minutes(route: Route) -> float:
    """Service and driving of a route, the drive home included (waiting and the break are not work)."""
    return sum((s.end - s.start).total_seconds() / 60 + s.travel_minutes for s in route.stops) + route.return_minutes


def objective_of(day: Day, plan: Plan, policy: Policy) -> dict[str, float]:
    """Weighted cost of a plan in DESIGN.md units: one entry per part of the objective, and the total."""
    return _objective(day, plan, policy, multi_day=len(plan.dates) > 1)


def _objective(day: Day, plan: Plan, policy: Policy, *, multi_day: bool) -> dict[str, float]:
    w = policy.weights
    by_id = {o.id: o for o in day.orders}
    # an order the customer cancelled is not unserved
    unserved = sum((w.unserved[by_id[u.order_id].priority] for u in plan.unassigned if u.rule != "cancelled"), 0.0)
    # a crew's stop is on every member's route: its lateness counts once (a re-plan's unresolved visit and
    # the order's next one both count)
    crew_stops = {s.order_id: s for r in plan.routes for s in r.stops if s.crew}
    late = sum(w.late_per_minute[by_id[s.order_id].priority] * s.late_minutes
               for s in [*(s for r in plan.routes for s in r.stops if not s.crew), *crew_stops.values()])
    # a re-plan's stability, from its changes against the plan it started from
    moved = sum(1 for c in plan.changes if c.change == "reassigned")
    delay = sum(max(0.0, (c.eta_shift_minutes or 0.0) - SHIFT_TOLERANCE_MINUTES) for c in plan.changes
                if c.change in ("reassigned", "shifted"))
    travel = w.per_km * sum(r.travel_km for r in plan.routes)
    # per day, the spread of working time between the busiest and the least busy technician (idle: zero),
    # summed over the days: a light Tuesday does not offset a colleague's heavy Monday
    spread = 0.0
    for d in plan.dates:
        work: dict[str, float] = {}
        for r in plan.routes_on(d):
            work[r.technician_id] = work.get(r.technician_id, 0.0) + work_minutes(r)
        minutes = [work.get(t.id, 0.0) for t in _compared_on(day, d, multi_day)]
        spread += max(minutes, default=0.0) - min(minutes, default=0.0)
    balance = w.balance_per_minute * spread
    parts = {UNSERVED: unserved, RESPONSE_DEADLINE: late, TRAVEL: travel, WORKLOAD_BALANCE: balance,
             REASSIGNMENT: policy.reassign_cost * moved, ETA_SHIFT: policy.shift_cost_per_minute * delay,
             **who_serves_parts(day, plan, policy)}
    return {name: round(value, 3) for name, value in parts.items()} | {TOTAL: round(sum(parts.values()), 3)}


def _compared_on(day: Day, d: date, multi_day: bool) -> list[Technician]:
    """The technicians whose working time the balance compares on `d`, as the planner does: on a multi-day
    horizon those who work that day; on a one-day plan the whole roster."""
    return [t for t in day.technicians if not multi_day or t.works_on(d)]


def workload_of(day: Day, plan: Plan) -> Workload:
    """Each technician's working minutes and visits over the plan's days (idle technicians at zero), and how
    evenly they are shared among the technicians who work: the spread (max - min) and the max/mean ratio."""
    return _workload(day.technicians, plan.routes)


def _workload(technicians: Sequence[Technician], routes: Sequence[Route]) -> Workload:
    per = {t.id: TechnicianWorkload(minutes=0.0, orders=0) for t in technicians}
    for r in routes:
        if r.technician_id in per and r.stops:
            w = per[r.technician_id]
            per[r.technician_id] = TechnicianWorkload(minutes=w.minutes + work_minutes(r),
                                                      orders=w.orders + len(r.stops))
    per = {t: TechnicianWorkload(minutes=round(w.minutes, 1), orders=w.orders) for t, w in per.items()}
    working = [w for w in per.values() if w.orders > 0]
    minutes = [w.minutes for w in working]
    orders = [w.orders for w in working]
    # an idle technician is not part of the spread: one who stays home is not unfairly treated
    return Workload(
        per_technician=per, working=len(working),
        spread_minutes=round(max(minutes, default=0.0) - min(minutes, default=0.0), 1),
        max_mean_minutes=round(max(minutes) * len(minutes) / sum(minutes), 3) if sum(minutes) > 0 else 0.0,
        spread_orders=max(orders, default=0) - min(orders, default=0),
        max_mean_orders=round(max(orders) * len(orders) / sum(orders), 3) if orders else 0.0,
    )


def compute_kpis(day: Day, plan: Plan, policy: Policy, *, solver: SolverStats | None = None,
                 churn: Churn | None = None) -> Kpis:
    """The plan's KPIs: over all its days and, for a multi-day plan, per day in `by_day` (see Kpis: orders
    left unassigned count in the totals only)."""
    multi_day = len(plan.dates) > 1
    totals = _figures(day, plan, policy, day.orders, day.technicians, multi_day=multi_day)
    by_day = {}
    if multi_day:
        for d in plan.dates:
            routes = plan.routes_on(d)
            one = replace(plan, date=d, dates=(d,), routes=routes, unassigned=(), changes=(), kpis=None)
            ids = {s.order_id for r in routes for s in r.stops}
            by_day[d.isoformat()] = _figures(day, one, policy, [o for o in day.orders if o.id in ids],
                                             _compared_on(day, d, True), multi_day=True)
    return replace(totals, solver=solver, churn=churn, by_day=by_day)


def _figures(day: Day, plan: Plan, policy: Policy, orders: Sequence[Order], technicians: Sequence[Technician],
             *, multi_day: bool) -> Kpis:
    """The KPIs of `plan`'s routes over `orders` (those it is judged by) and `technicians` (those it could
    use), on its days."""
    served = {s.order_id: s for r in plan.routes for s in r.stops}
    per_priority: dict[str, PriorityKpis] = {}
    for p in PRIORITIES:
        ids = [o.id for o in orders if o.priority == p]
        done = [served[i] for i in ids if i in served]
        on_time = sum(1 for s in done if s.late_minutes < ON_TIME_MINUTES)
        per_priority[p.value] = PriorityKpis(orders=len(ids), served=len(done), on_time=on_time,
                                             late=len(done) - on_time, unserved=len(ids) - len(done))
    lateness = [s.late_minutes for s in served.values()]
    # utilization: working minutes over the shifts (less the break) of the days each technician works
    utilization = {}
    for t in technicians:
        days = sum(1 for d in plan.dates if t.works_on(d))
        shift_min = days * ((t.shift_end - t.shift_start).total_seconds() / 60 - (t.break_minutes or 0))
        work = sum(work_minutes(r) for r in plan.routes if r.technician_id == t.id)
        utilization[t.id] = round(min(1.0, work / shift_min), 3) if shift_min > 0 else 0.0
    # the mean over those who work some day of the plan: a technician's day off is no idle time
    available = [utilization[t.id] for t in technicians if any(t.works_on(d) for d in plan.dates)]
    travel_minutes = sum(s.travel_minutes for r in plan.routes for s in r.stops) + sum(
        r.return_minutes for r in plan.routes
    )
    reasons = Counter(u.rule or "other" for u in plan.unassigned)
    return Kpis(
        orders=len(orders),
        served=len(served),
        unassigned=len(plan.unassigned),
        technicians=len(technicians),
        technicians_used=len({r.technician_id for r in plan.routes}),
        by_priority=per_priority,
        total_late_minutes=round(sum(lateness), 1),
        max_late_minutes=round(max(lateness, default=0.0), 1),
        travel_km=round(sum(r.travel_km for r in plan.routes), 2),
        travel_minutes=round(travel_minutes, 1),
        utilization=utilization,
        mean_utilization=round(sum(available) / max(1, len(available)), 3),
        unassigned_by_reason=dict(sorted(reasons.items())),
        objective=_objective(day, plan, policy, multi_day=multi_day),
        workload=_workload(technicians, plan.routes),
    )


def kpi_rows(kpis: Kpis) -> list[tuple[str, str]]:
    """The KPI table a person reads first: (label, value) rows; a multi-day plan's totals, then a row per
    day."""
    rows = [
        ("orders", str(kpis.orders)),
        ("served", f"{kpis.served} ({kpis.served / max(1, kpis.orders):.0%})"),
        ("technicians used", f"{kpis.technicians_used} of {kpis.technicians}"),
    ]
    for p, d in kpis.by_priority.items():
        rows.append((f"{p} served / on time", f"{d.served}/{d.orders} served, {d.on_time} on time"))
    rows += [
        ("total lateness", f"{kpis.total_late_minutes:.0f} min (max {kpis.max_late_minutes:.0f})"),
        ("travel", f"{kpis.travel_km:.1f} km, {kpis.travel_minutes:.0f} min"),
        ("mean utilization", f"{kpis.mean_utilization:.0%}"),
    ]
    for rule, n in kpis.unassigned_by_reason.items():
        rows.append((f"unassigned: {rule}", str(n)))
    if kpis.churn is not None:
        c = kpis.churn
        rows.append(("re-plan churn", f"{c.reassigned} reassigned, {c.shifted_over_15_min} moved over 15 min "
                     f"(max {c.max_eta_shift_minutes:.0f} min), {c.technicians_affected} technicians affected"))
    if kpis.workload is not None and kpis.workload.working:
        rows.append(("workload", workload_line(kpis.workload)))
    obj = kpis.objective
    balance = f", workload balance {obj[WORKLOAD_BALANCE]:,.1f}" if obj.get(WORKLOAD_BALANCE) else ""
    rows.append(("weighted cost", f"{obj[TOTAL]:,.1f} (unserved {obj[UNSERVED]:,.0f}, "
                 f"lateness {obj[RESPONSE_DEADLINE]:,.0f}, travel {obj[TRAVEL]:,.1f}{balance})"))
    for when, k in kpis.by_day.items():
        w = k.workload
        spread = f", spread {w.spread_minutes:.0f} min" if w is not None and w.working else ""
        rows.append((f"day {when}", f"served {k.served}, late {k.total_late_minutes:.0f} min, {k.travel_km:.1f} km, "
                     f"{k.technicians_used} of {k.technicians} technicians{spread}"))
    return rows


def workload_line(w: Workload) -> str:
    """The fairness of a day in one line: the busiest and the least busy technician who works, the spread and
    the max/mean ratio of minutes and of visits."""
    working = {t: x for t, x in w.per_technician.items() if x.orders > 0}
    most = max(working, key=lambda t: (working[t].minutes, t))
    least = min(working, key=lambda t: (working[t].minutes, t))
    return (f"{w.working} working, busiest {most} {working[most].minutes:.0f} min, least {least} "
            f"{working[least].minutes:.0f} min: spread {w.spread_minutes:.0f} min (max/mean "
            f"{w.max_mean_minutes:.2f}), {w.spread_orders} orders (max/mean {w.max_mean_orders:.2f})")
