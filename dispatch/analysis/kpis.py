"""Plan KPIs and the objective of DESIGN.md, each part reported separately."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dispatch.domain import PRIORITIES, Day
from dispatch.plan import Plan
from dispatch.policy import Policy


def objective_of(day: Day, plan: Plan, policy: Policy) -> dict[str, float]:
    """Weighted cost of a plan in DESIGN.md units: unserved, response deadline, travel, total."""
    w = policy.weights
    by_id = {o.id: o for o in day.orders}
    unserved = sum(w.unserved[by_id[u.order_id].priority] for u in plan.unassigned)
    late = sum(
        w.late_per_minute[by_id[s.order_id].priority] * s.late_minutes for r in plan.routes for s in r.stops
    )
    travel = w.per_km * sum(r.travel_km for r in plan.routes)
    return {
        "unserved": round(unserved, 3),
        "response deadline": round(late, 3),
        "travel": round(travel, 3),
        "total": round(unserved + late + travel, 3),
    }


def compute_kpis(day: Day, plan: Plan, policy: Policy) -> dict[str, Any]:
    served = {s.order_id: s for r in plan.routes for s in r.stops}
    per_priority: dict[str, dict[str, int]] = {}
    for p in PRIORITIES:
        ids = [o.id for o in day.orders if o.priority == p]
        done = [served[i] for i in ids if i in served]
        per_priority[p.value] = {
            "orders": len(ids),
            "served": len(done),
            "on_time": sum(1 for s in done if s.late_minutes < 0.5),
            "late": sum(1 for s in done if s.late_minutes >= 0.5),
            "unserved": len(ids) - len(done),
        }
    lateness = [s.late_minutes for s in served.values()]
    utilization = {}
    for t in day.technicians:
        route = next((r for r in plan.routes if r.technician_id == t.id), None)
        shift_min = (t.shift_end - t.shift_start).total_seconds() / 60 - (t.break_minutes or 0)
        if route is None or shift_min <= 0:
            utilization[t.id] = 0.0
            continue
        busy = sum((s.end - s.start).total_seconds() / 60 + s.travel_minutes for s in route.stops)
        busy += route.return_minutes
        utilization[t.id] = round(min(1.0, busy / shift_min), 3)
    travel_minutes = sum(s.travel_minutes for r in plan.routes for s in r.stops) + sum(
        r.return_minutes for r in plan.routes
    )
    reasons = Counter(u.rule or "other" for u in plan.unassigned)
    return {
        "orders": len(day.orders),
        "served": len(served),
        "unassigned": len(plan.unassigned),
        "technicians": len(day.technicians),
        "technicians_used": len(plan.routes),
        "by_priority": per_priority,
        "total_late_minutes": round(sum(lateness), 1),
        "max_late_minutes": round(max(lateness, default=0.0), 1),
        "travel_km": round(sum(r.travel_km for r in plan.routes), 2),
        "travel_minutes": round(travel_minutes, 1),
        "utilization": utilization,
        "mean_utilization": round(sum(utilization.values()) / max(1, len(utilization)), 3),
        "unassigned_by_reason": dict(sorted(reasons.items())),
        "objective": objective_of(day, plan, policy),
    }


def kpi_rows(kpis: dict[str, Any]) -> list[tuple[str, str]]:
    """The KPI table a person reads first: (label, value) rows."""
    rows = [
        ("orders", str(kpis["orders"])),
        ("served", f"{kpis['served']} ({kpis['served'] / max(1, kpis['orders']):.0%})"),
        ("technicians used", f"{kpis['technicians_used']} of {kpis['technicians']}"),
    ]
    for p, d in kpis["by_priority"].items():
        rows.append((f"{p} served / on time", f"{d['served']}/{d['orders']} served, {d['on_time']} on time"))
    rows += [
        ("total lateness", f"{kpis['total_late_minutes']:.0f} min (max {kpis['max_late_minutes']:.0f})"),
        ("travel", f"{kpis['travel_km']:.1f} km, {kpis['travel_minutes']:.0f} min"),
        ("mean utilization", f"{kpis['mean_utilization']:.0%}"),
    ]
    for rule, n in kpis["unassigned_by_reason"].items():
        rows.append((f"unassigned: {rule}", str(n)))
    obj = kpis["objective"]
    rows.append(("weighted cost", f"{obj['total']:,.1f} (unserved {obj['unserved']:,.0f}, "
                 f"lateness {obj['response deadline']:,.0f}, travel {obj['travel']:,.1f})"))
    return rows
