"""What a re-plan changed against the plan it started from: the plan's `changes` and `kpis.churn`.

Only visits not yet begun can change: the previous plan's planned stops are compared with the new plan's
planned stops, order by order (a crew job's by its lead's stop, the first of its crew, as the stability
costs weigh it).
- planned on A before, on B now: "reassigned" (with how far its start moved, in minutes, signed);
- planned on the same technician, start moved by more than SHIFT_TOLERANCE_MINUTES: "shifted";
- planned now but not before (a new order, one left out before, an unresolved one to visit again): "added";
- planned before, left out now: "cancelled" when the customer cancelled it, else "dropped";
- planned before and begun or finished now: no change (the day happened), and a visit again after an
  unresolved one is "added";
- cancelled by the customer while left out before: "cancelled" (once: not again when the previous plan
  already has it left out as cancelled).
Churn: `reassigned` counts the reassigned changes (those an absent technician had to give up included);
`shifted_over_15_min` the orders planned in both plans whose start moved by more than the tolerance,
whoever serves them; `max_eta_shift_minutes` the largest such move; `technicians_affected` the technicians
named by a change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import datetime

from dispatch.plan import PLANNED, SHIFT_TOLERANCE_MINUTES, Change, Churn, Plan


def planned_stops(plan: Plan) -> dict[str, tuple[str, datetime]]:
    """Order id -> (technician, start) of every visit not yet begun (a crew job's lead's)."""
    return {s.order_id: (r.technician_id, s.start) for r in plan.routes for s in r.stops
            if s.status == PLANNED and (not s.crew or s.crew[0] == r.technician_id)}


def _fixed_visits(plan: Plan) -> Counter[str]:
    return Counter(s.order_id for r in plan.routes for s in r.stops if s.fixed)


def compare(previous: Plan, new: Plan, cancelled: Collection[str] = ()) -> tuple[tuple[Change, ...], Churn]:
    before, after = planned_stops(previous), planned_stops(new)
    # a visit begun since uses up its planned stop: a visit again (unresolved) is a new one
    begun = _fixed_visits(new) - _fixed_visits(previous)
    before = {i: v for i, v in before.items() if i not in begun}
    left_out = {u.order_id for u in new.unassigned}
    already = {u.order_id for u in previous.unassigned if u.rule == "cancelled"}
    known_before = (set(before) | {u.order_id for u in previous.unassigned}) - already
    changes: list[Change] = []
    shifts: list[float] = []
    for order_id in sorted(set(before) | set(after) | (set(cancelled) & known_before)):
        was, now = before.get(order_id), after.get(order_id)
        if was is not None and now is not None:
            shift = (now[1] - was[1]).total_seconds() / 60
            shifts.append(abs(shift))
            if was[0] != now[0]:
                changes.append(Change(order_id, "reassigned", was[0], now[0], shift))
            elif abs(shift) > SHIFT_TOLERANCE_MINUTES:
                changes.append(Change(order_id, "shifted", was[0], now[0], shift))
        elif now is not None:
            changes.append(Change(order_id, "added", None, now[0]))
        elif order_id in cancelled:
            changes.append(Change(order_id, "cancelled", was[0] if was else None, None))
        elif was is not None and order_id in left_out:
            changes.append(Change(order_id, "dropped", was[0], None))
    affected = {t for c in changes for t in (c.from_technician, c.to_technician) if t is not None}
    churn = Churn(
        reassigned=sum(1 for c in changes if c.change == "reassigned"),
        shifted_over_15_min=sum(1 for s in shifts if s > SHIFT_TOLERANCE_MINUTES),
        max_eta_shift_minutes=max(shifts, default=0.0),
        technicians_affected=len(affected),
    )
    return tuple(changes), churn
