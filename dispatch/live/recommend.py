"""Where one order fits best in the routes as they stand, without re-solving: `recommend`.

Every position after each present technician's fixed stops is tried with the order inserted; the
placements that keep every hard rule (skills, pins, windows, shift, break, van stock, max orders) are
ranked by the cost they add, broken down by objective part (travel, response deadline, ETA shift of the
visits behind it, and the unserved cost it saves). On a technician's route where it fits nowhere, it is
also tried in place of each less urgent visit (`bumps` names it; its unserved cost counts). `Recommender` builds the matrices and routes once, so
ranking another order costs only the insertions. `Recommender.plan_with` turns one placement into the
whole-day plan (the order inserted there, nothing else searched), and `assign` does both for one order.

Crew jobs begun at `at` are fixed stops like any other. A crew job not begun yet would have to keep its
members together on every route an insertion re-times: a recommendation or an assignment refuses such a
day (`CrewsToPlanError`); a re-plan places crews.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.domain import Day
from dispatch.errors import CellError, InputError
from dispatch.events import Event
from dispatch.live.replan import assemble, live_inputs, open_routes, previously
from dispatch.plan import Plan, Unassigned
from dispatch.planning.translate import Built, build_problem, to_plan
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver.problem import Problem, RouteSolution, Solution
from solver.reasons import explain_dropped, screen
from solver.rules import (
    ETA_SHIFT,
    PINNED_TECHNICIAN,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    carries,
    eta_shift,
    over_max_orders,
    qualified,
)
from solver.schedule import Timetable, solution_costs
from solver.tables import tables_of

TOTAL = "total"


@dataclass(frozen=True)
class Placement:
    """One feasible place for the order: on `technician_id`'s route as stop number `position` (0: first of
    the day), arriving at `arrival`, starting at `eta`; `added_cost` by objective part and its total."""

    technician_id: str
    position: int
    arrival: datetime
    eta: datetime
    late_minutes: float
    added_cost: Mapping[str, float]
    bumps: str | None = None  # on a full route: the less urgent order it would take the place of

    def to_dict(self) -> dict[str, object]:
        return {"technician_id": self.technician_id, "position": self.position,
                "arrival": self.arrival.isoformat(timespec="seconds"), "eta": self.eta.isoformat(timespec="seconds"),
                "late_minutes": round(self.late_minutes, 1),
                "added_cost": {k: round(v, 3) for k, v in self.added_cost.items()}, "bumps": self.bumps}


class CrewsToPlanError(ValueError):
    """The day holds crew jobs still to plan at `at` (`orders`): they move with all their members at once,
    which only a re-plan does."""

    def __init__(self, orders: Sequence[str], at: datetime) -> None:
        self.orders = tuple(orders)
        shown = ", ".join(self.orders[:5]) + (f" and {len(self.orders) - 5} more" if len(self.orders) > 5 else "")
        super().__init__(f"crew job(s) {shown} (technicians_needed above 1) not begun at {at:%H:%M}: a "
                         "recommendation or an assignment inserts one visit into the routes as they stand and "
                         "does not move crews; re-plan the day instead")


class Recommender:
    """The routes of `current` at `at`, ready to rank placements of any order of the day."""

    def __init__(self, day: Day, current: Plan, events: Sequence[Event], at: datetime, policy: Policy | None = None,
                 *, travel: TravelSource | None = None) -> None:
        live = live_inputs(day, current, events, at, policy, travel)
        self.day, self.current, self.at, self.live = day, current, at, live
        state = live.state
        needed = {o.id: o.technicians_needed for o in day.orders}
        crews = [i for i in state.to_plan if needed[i] > 1]
        if crews:
            raise CrewsToPlanError(crews, at)
        present = {t.id for t in live.present}
        self._open = set(state.to_plan)
        # the visits not yet begun stay in their order; they are the routes an order is inserted into
        still = self._open - set(state.unresolved)
        self._routes = open_routes(current, still, present)
        previous = previously(current, still)
        self._orders = {o.id: o for o in day.orders}
        orders = [o for o in day.orders if o.id in self._open]
        sub = Day(day.date, live.present, tuple(o for o in orders
                                                  if o.pinned_technician is None or o.pinned_technician in present))
        self.built: Built = build_problem(sub, live.policy, live.travel, starts=live.starts, previous=previous)
        self._index = {o.id: j for j, o in enumerate(sub.orders)}
        self._table = Timetable(self.built.problem)

    def places(self, order_id: str, top: int | None = 5) -> list[Placement]:
        """The feasible placements of `order_id`, cheapest first (at most `top`; None: all)."""
        self._require(order_id)
        built, table, problem = self.built, self._table, self.built.problem
        x = self._index[order_id]
        visit = problem.visits[x]
        out: list[Placement] = []
        for k, tech in enumerate(built.day.technicians):
            vehicle = problem.vehicles[k]
            if not qualified(vehicle, visit) or (visit.pinned is not None and visit.pinned != problem.technician_of(k)):
                continue
            route = [self._index[i] for i in self._routes.get(tech.id, []) if i != order_id and i in self._index]
            base = _route_costs(problem, table, k, route)
            if base is None:  # already broken as it stands: compare against its lenient times
                base = _route_costs(problem, table, k, route, strict=False)
            assert base is not None
            fixed = len(self.live.fixed.get(tech.id, []))
            found = self._insertions(k, x, route, base, fixed, None)
            if not found:
                # a full route: the order could still take the place of one less urgent visit
                for y in route:
                    if (problem.visits[y].drop_penalty or 0) < (visit.drop_penalty or 0):
                        found += self._insertions(k, x, [j for j in route if j != y], base, fixed, y)
            out += found
        out.sort(key=lambda pl: (pl.added_cost[TOTAL], pl.eta, pl.technician_id, pl.position))
        return out if top is None else out[:top]


    def _require(self, order_id: str) -> None:
        if order_id not in self._index:
            raise InputError([CellError("--order", None, "order_id", order_id,
                                        f"not an open order of the day at {self.at:%H:%M} (unknown, done, "
                                        "cancelled, under way or created later)")])

    def plan_with(self, order_id: str, placement: Placement) -> Plan:
        """The whole day with `order_id` inserted at `placement` (one of `places(order_id)`): every other
        visit not yet begun stays where it is in its technician's order, re-timed; nothing is searched. The
        plan carries its `changes` and `kpis.churn` against the current plan, like a re-plan at `at`."""
        self._require(order_id)
        built, table, problem = self.built, self._table, self.built.problem
        x = self._index[order_id]
        bumped = None if placement.bumps is None else self._index[placement.bumps]
        k_to = next((k for k, t in enumerate(built.day.technicians) if t.id == placement.technician_id), None)
        if k_to is None:
            raise ValueError(f"technician {placement.technician_id!r} is not at work at {self.at:%H:%M}")
        fixed = len(self.live.fixed.get(placement.technician_id, []))
        routes: list[RouteSolution] = []
        for k, tech in enumerate(built.day.technicians):
            seq = [self._index[i] for i in self._routes.get(tech.id, []) if i in self._index and i != order_id]
            if k == k_to:
                seq = [j for j in seq if j != bumped]
                p = placement.position - fixed
                if not 0 <= p <= len(seq):
                    raise ValueError(f"position {placement.position} is not a place on {tech.id}'s route "
                                     f"({fixed} to {fixed + len(seq)})")
                seq = [*seq[:p], x, *seq[p:]]
            s = table.schedule(k, seq)
            if s is None and k == k_to:
                raise ValueError(f"{order_id} at position {placement.position} on {tech.id}'s route breaks a hard "
                                 "rule")
            # a route already broken as it stands keeps nothing it cannot time: those visits are explained below
            routes.append(table.route_solution(k, s) if s is not None
                          else RouteSolution(vehicle=k, visits=(), arrivals=(), starts=(),
                                             depart=problem.vehicles[k].shift_start,
                                             back=problem.vehicles[k].shift_start))
        tables = tables_of(problem)
        screening = screen(problem, tables)
        served = {j for r in routes for j in r.visits}
        reasons = {j: r for j, r in screening.reasons.items() if j not in served}
        dropped = [j for j in range(len(problem.visits)) if j not in served and j not in reasons]
        reasons.update(explain_dropped(problem, tables, screening, [list(r.visits) for r in routes], dropped,
                                       table=table))
        unserved = tuple(sorted(reasons.items()))
        costs = solution_costs(problem, routes, unserved)
        sub = to_plan(built, Solution(routes=tuple(routes), unassigned=unserved, objective=sum(costs.values()),
                                      costs=costs, status="feasible", solutions_found=0))
        present = {t.id for t in self.live.present}
        away = [Unassigned(i, f"pinned to {o.pinned_technician}, who is absent", PINNED_TECHNICIAN)
                for i in self.live.state.to_plan
                if (o := self._orders[i]).pinned_technician is not None and o.pinned_technician not in present]
        return assemble(self.day, self.current, self.live, self.at, sub, away)

    def _insertions(self, k: int, x: int, route: list[int], base: dict[str, int], fixed: int,
                    bumped: int | None) -> list[Placement]:
        """Every feasible position of x in `route` on vehicle k (from which `bumped`, if any, was taken)."""
        built, table, problem = self.built, self._table, self.built.problem
        vehicle, visit = problem.vehicles[k], problem.visits[x]
        if over_max_orders(vehicle, len(route) + 1) or not carries(vehicle, [problem.visits[j] for j in [*route, x]]):
            return []
        out = []
        for p in range(len(route) + 1):
            seq = [*route[:p], x, *route[p:]]
            costs = _route_costs(problem, table, k, seq)
            if costs is None:
                continue
            added = {part: built.cost(costs[part] - base[part]) for part in (TRAVEL, RESPONSE_DEADLINE, ETA_SHIFT)}
            dropped = 0 if bumped is None else problem.visits[bumped].drop_penalty or 0
            added[UNSERVED] = built.cost(dropped - (visit.drop_penalty or 0))
            added[TOTAL] = sum(added.values())
            s = table.schedule(k, seq)
            assert s is not None
            eta = built.at(s.starts[p])
            late = max(0.0, (eta - built.deadline(built.day.orders[x])).total_seconds() / 60)
            out.append(Placement(built.day.technicians[k].id, fixed + p, built.at(s.arrivals[p]), eta, late, added,
                                 None if bumped is None else built.day.orders[bumped].id))
        return out


def _route_costs(problem: Problem, table: Timetable, k: int, seq: list[int], *,
                 strict: bool = True) -> dict[str, int] | None:
    s = table.schedule(k, seq, strict=strict)
    if s is None:
        return None
    return {
        TRAVEL: problem.distance_cost * table.distance(k, seq),
        RESPONSE_DEADLINE: s.late_cost,
        ETA_SHIFT: sum(eta_shift(problem, problem.visits[j], t) for j, t in zip(seq, s.starts, strict=True)),
    }


def recommend(day: Day, current: Plan, events: Sequence[Event], at: datetime, order_id: str,
              policy: Policy | None = None, *, travel: TravelSource | None = None, top: int | None = 5) -> list[Placement]:
    """The best places for `order_id` in `current` as the day stands at `at`, cheapest first."""
    return Recommender(day, current, events, at, policy, travel=travel).places(order_id, top)


def assign(day: Day, current: Plan, events: Sequence[Event], at: datetime, order_id: str, technician_id: str,
           position: int | None = None, policy: Policy | None = None, *,
           travel: TravelSource | None = None) -> Plan:
    """The day with `order_id` inserted on `technician_id`'s route at `position` (None: its cheapest place
    there), as `recommend` would place it; ValueError naming what is wrong when that place is not feasible."""
    rec = Recommender(day, current, events, at, policy, travel=travel)
    mine = [p for p in rec.places(order_id, top=None) if p.technician_id == technician_id]
    if not mine:
        raise ValueError(f"technician {technician_id!r} cannot take {order_id} at {at:%H:%M} without breaking a hard "
                         "rule")
    if position is not None:
        there = [p for p in mine if p.position == position]
        if not there:
            feasible = ", ".join(str(p) for p in sorted({p.position for p in mine}))
            raise ValueError(f"position {position} on {technician_id}'s route breaks a hard rule for {order_id}; "
                             f"feasible positions: {feasible}")
        mine = there
    return rec.plan_with(order_id, mine[0])
