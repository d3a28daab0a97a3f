"""For every order left out and every late stop, the few smallest changes that would fix it, in a
dispatcher's terms (dispatch.plan.Fix): the solver's one-change insertions (solver.fixes) with ids, times,
costs in DESIGN.md units and a sentence.

`attach` adds them to a plan made from a Built problem (every solve does, see solve_day); `find_fixes`
adds them to a morning plan read back from JSON; `applied` turns one fix into the changed day and the plan
with the order inserted where the fix says, so that anyone can check it with the independent checker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from dispatch.domain import Day, Order, Technician
from dispatch.plan import Fix, Plan, Unassigned
from dispatch.planning.budget import fixes_note, noted
from dispatch.planning.translate import SCALE, Built, build_problem, to_plan
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver import fixes as solver_fixes
from solver.problem import Reason, RouteSolution, Solution
from solver.rules import FULLY_BOOKED
from solver.schedule import Timetable, solution_costs

# part number -> (stock location id, quantity on hand) of the stores (not vans) that hold it
Stores = Mapping[str, Sequence[tuple[str, int]]]


@dataclass(frozen=True)
class FixCosts:
    """What a change is judged to cost (DESIGN.md cost units), only to rank changes of different kinds: a
    minute of overtime costs about two road km, a window moved by an hour about a P3 order 3 minutes late,
    a skill (training or a temporary certification) about as much as a P2 an hour late, a transfer from a
    store about 50 km of driving. The objective's own parts (a swapped order left out, lateness, travel)
    come on top."""

    overtime_per_minute: float = 2.0
    window_per_minute: float = 0.5
    skill: float = 1_800.0
    part: float = 50.0
    max_overtime_minutes: int = 240
    max_window_move_minutes: int = 480

    def for_solver(self) -> solver_fixes.ChangeCosts:
        return solver_fixes.ChangeCosts(
            overtime=round(self.overtime_per_minute * SCALE / 60), window_move=round(self.window_per_minute * SCALE / 60),
            skill=round(self.skill * SCALE), part=round(self.part * SCALE),
            max_overtime=self.max_overtime_minutes * 60, max_window_move=self.max_window_move_minutes * 60)


def attach(built: Built, routes: Sequence[Sequence[int]], plan: Plan, *, stores: Stores | None = None,
           costs: FixCosts | None = None, top: int = 3, offsets: Mapping[str, int] | None = None,
           until: float | None = None) -> Plan:
    """`plan` (made from `built` with these `routes`, visit indices per vehicle) with the fixes of each
    order left out and each late planned stop. `offsets` (technician id -> fixed stops ahead of the planned
    ones, in a re-plan) shift the positions to count on the whole route. A multi-day plan gets none: each
    fix is a change to one technician's day (overtime, a van part, tomorrow), which a horizon already weighs.

    `until` (a time.monotonic() moment, under a time limit): the orders left out, the most urgent first,
    then the late stops, the latest first, are looked at until then; when it cuts them short the plan says
    so in a note (`budget.FIXES_CUT`)."""
    if len(built.dates) > 1:
        return plan
    orders = built.day.orders
    index = {o.id: j for j, o in enumerate(orders)}
    late_by = {index[s.order_id]: s.late_minutes for r in plan.routes for s in r.stops
               if s.late_minutes > 0 and not s.fixed and s.order_id in index}
    left = sorted((index[u.order_id] for u in plan.unassigned if u.order_id in index),
                  key=lambda j: (orders[j].priority.rank, j))
    late = sorted(late_by, key=lambda j: (orders[j].priority.rank, -late_by[j], j))
    if not late and not left:
        return plan
    found = solver_fixes.find_fixes(built.problem, routes, [*left, *late], costs=(costs or FixCosts()).for_solver(),
                                    top=top, until=until)
    words = _Words(built, stores or {}, offsets or {})
    by_order = {orders[j].id: tuple(f for f in (words.fix(x) for x in found[j]) if f is not None) for j in found}
    out = replace(
        plan,
        routes=tuple(replace(r, stops=tuple(replace(s, fixes=by_order[s.order_id]) if s.order_id in by_order
                                            and s.late_minutes > 0 and not s.fixed else s for s in r.stops))
                     for r in plan.routes),
        unassigned=tuple(replace(u, fixes=by_order.get(u.order_id, ())) for u in plan.unassigned),
    )
    if len(found) < len(left) + len(late):
        out = noted(out, fixes_note(sum(j in found for j in left), len(left), sum(j in found for j in late), len(late)))
    return out


def find_fixes(day: Day, plan: Plan, policy: Policy | None = None, *, travel: TravelSource | None = None,
               stores: Stores | None = None, costs: FixCosts | None = None, top: int = 3,
               until: float | None = None) -> Plan:
    """A morning plan of `day` with the fixes of its orders left out and its late stops (those it carries
    are replaced); `until` as in `attach`."""
    if plan.at is not None:
        raise ValueError("a re-plan's fixes come with the re-plan (dispatch replan): they start from where the "
                         "day stood at its `at`")
    built = build_problem(day, policy or Policy.from_dict(plan.policy), travel)
    if len(built.dates) > 1:
        return plan
    index = {o.id: j for j, o in enumerate(day.orders)}
    by_tech = {r.technician_id: [index[s.order_id] for s in r.stops] for r in plan.routes}
    routes = [by_tech.get(t.id, []) for t in day.technicians]
    return attach(built, routes, plan, stores=stores, costs=costs, top=top, until=until)


class _Words:
    def __init__(self, built: Built, stores: Stores, offsets: Mapping[str, int]) -> None:
        self.built, self.stores, self.offsets = built, stores, offsets

    def fix(self, f: solver_fixes.Fix) -> Fix | None:
        built = self.built
        tech = built.technician(f.vehicle)
        order = built.day.orders[f.visit]
        eta = built.at(f.start)
        late = max(0.0, (eta - built.deadline(order)).total_seconds() / 60)
        position = f.position + self.offsets.get(tech.id, 0)
        cost = {part: built.cost(v) for part, v in f.costs.items()}
        common: dict[str, Any] = {"kind": f.kind, "technician_id": tech.id, "position": position, "arrival": built.at(f.arrival),
                  "eta": eta, "late_minutes": late, "cost_delta": cost}
        where = f"as stop {position + 1}, starting {eta:%H:%M}" + (f", {late:.0f} min late" if late >= 0.5
                                                                   else ", on time")
        if f.kind == solver_fixes.OVERTIME:
            assert f.overtime is not None
            until = tech.shift_end + timedelta(seconds=f.overtime)
            if until.date() != tech.shift_end.date():
                return None  # a shift past midnight is not a time of the day
            minutes = f.overtime // 60
            return Fix(**common, minutes=minutes,
                       text=f"{tech.id} works {minutes} min longer (until {until:%H:%M}) and takes it {where}")
        if f.kind == solver_fixes.WINDOW:
            assert f.window is not None
            start, end = (None if order.window_start is None else built.at(f.window[0]),
                          None if order.window_end is None else built.at(f.window[1]))
            if any(x is not None and x.date() != built.day.date for x in (start, end)):
                return None
            new = f"{_hhmm(start)}-{_hhmm(end)}"
            return Fix(**common, window_start=None if start is None else f"{start:%H:%M}",
                       window_end=None if end is None else f"{end:%H:%M}",
                       text=f"the customer takes the window {new} instead of "
                            f"{_hhmm(order.window_start)}-{_hhmm(order.window_end)}; {tech.id} takes it {where}")
        if f.kind == solver_fixes.SKILL:
            assert f.skill is not None
            skill = built.skills[f.skill]
            return Fix(**common, skill=skill, text=f"{tech.id} gains skill '{skill}' and takes it {where}")
        if f.kind == solver_fixes.PART:
            assert f.part is not None
            assert f.quantity is not None
            part = built.parts[f.part]
            store = next((s for s, q in sorted(self.stores.get(part, ()), key=lambda x: (-x[1], x[0]))
                          if q >= f.quantity), None)
            came = f" from {store}" if store else ""
            return Fix(**common, part=part, quantity=f.quantity, store=store,
                       text=f"{tech.id}'s van gets {f.quantity} x {part}{came}; {tech.id} takes it {where}")
        assert f.kind == solver_fixes.SWAP
        assert f.swap is not None
        other = built.day.orders[f.swap]
        return Fix(**common, swap_order_id=other.id,
                   text=f"{other.id} ({other.priority.value}) leaves {tech.id}'s route and this order takes its "
                        f"place {where}")


def _hhmm(at: datetime | None) -> str:
    return "--:--" if at is None else at.strftime("%H:%M")


def changed_day(day: Day, fix: Fix, order_id: str) -> Day:
    """`day` with the one change `fix` makes to the input files (a swap changes no file)."""
    def tech(t: Technician) -> Technician:
        if t.id != fix.technician_id:
            return t
        if fix.kind == "overtime":
            assert fix.minutes is not None
            return replace(t, shift_end=t.shift_end + timedelta(minutes=fix.minutes))
        if fix.kind == "skill":
            assert fix.skill is not None
            return replace(t, skills=t.skills | {fix.skill})
        if fix.kind == "part":
            assert fix.part is not None
            assert fix.quantity is not None
            return replace(t, van_stock={**t.van_stock, fix.part: t.van_stock.get(fix.part, 0) + fix.quantity})
        return t

    def order(o: Order) -> Order:
        if o.id != order_id or fix.kind != "window":
            return o
        return replace(o, window_start=_on(day, fix.window_start), window_end=_on(day, fix.window_end))

    return replace(day, technicians=tuple(tech(t) for t in day.technicians),
                   orders=tuple(order(o) for o in day.orders))


def _on(day: Day, hhmm: str | None) -> datetime | None:
    return None if hhmm is None else datetime.combine(day.date, time.fromisoformat(hhmm))


def applied(day: Day, plan: Plan, order_id: str, fix: Fix, policy: Policy | None = None, *,
            travel: TravelSource | None = None) -> tuple[Day, Plan]:
    """The day changed by `fix` and the morning plan with `order_id` taken off its route (if on one), the
    swapped order (if any) left out, and the order inserted at the fix's technician and position; every
    route re-timed from its order of stops, nothing searched. ValueError when a route then breaks a hard
    rule."""
    new_day = changed_day(day, fix, order_id)
    policy = policy or Policy.from_dict(plan.policy)
    built = build_problem(new_day, policy, travel)
    index = {o.id: j for j, o in enumerate(new_day.orders)}
    gone = {order_id, fix.swap_order_id}
    by_tech = {r.technician_id: [s.order_id for s in r.stops if s.order_id not in gone] for r in plan.routes}
    mine = by_tech.setdefault(fix.technician_id, [])
    if not 0 <= fix.position <= len(mine):
        raise ValueError(f"position {fix.position} is not a place on {fix.technician_id}'s route (0 to {len(mine)})")
    mine.insert(fix.position, order_id)
    table = Timetable(built.problem)
    routes: list[RouteSolution] = []
    for k, t in enumerate(new_day.technicians):
        seq = [index[i] for i in by_tech.get(t.id, [])]
        # the fix was timed with the break as late as it fits; another route keeps any break that fits
        s = table.schedule(k, seq) if t.id == fix.technician_id else None
        s = s or table.best_schedule(k, seq)
        if s is None:
            raise ValueError(f"{t.id}'s route breaks a hard rule with {order_id} at position {fix.position}")
        routes.append(table.route_solution(k, s))
    served = {j for r in routes for j in r.visits}
    unserved = tuple((j, Reason(FULLY_BOOKED)) for j in range(len(new_day.orders)) if j not in served)
    costs = solution_costs(built.problem, routes, unserved)
    out = to_plan(built, Solution(routes=tuple(routes), unassigned=unserved, objective=sum(costs.values()),
                                  costs=costs, status="feasible"))
    return new_day, replace(out, unassigned=tuple(Unassigned(u.order_id, "left out when the fix was applied",
                                                             u.rule) for u in out.unassigned))


__all__ = ["FixCosts", "Stores", "applied", "attach", "changed_day", "find_fixes"]

