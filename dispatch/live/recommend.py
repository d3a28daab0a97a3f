"""Where one order fits best in the routes as they stand, without re-solving: `recommend`.

Every position after each present technician's fixed stops is tried with the order inserted; the
placements that keep every hard rule (skills, pins, windows, shift, break, van stock, max orders) are
ranked by the cost they add, broken down by objective part (travel, response deadline, ETA shift of the
visits behind it, and the unserved cost it saves). On a technician's route where it fits nowhere, it is
also tried in place of each less urgent visit (`bumps` names it; its unserved cost counts). `Recommender` builds the matrices and routes once, so
ranking another order costs only the insertions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.domain import Day
from dispatch.errors import CellError, InputError
from dispatch.events import Event
from dispatch.live.replan import live_inputs, open_routes, previously
from dispatch.plan import Plan
from dispatch.planning.translate import Built, build_problem
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver.problem import Problem
from solver.rules import (
    ETA_SHIFT,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    carries,
    eta_shift,
    over_max_orders,
    qualified,
)
from solver.schedule import Timetable

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


class Recommender:
    """The routes of `current` at `at`, ready to rank placements of any order of the day."""

    def __init__(self, day: Day, current: Plan, events: Sequence[Event], at: datetime, policy: Policy | None = None,
                 *, travel: TravelSource | None = None) -> None:
        live = live_inputs(day, current, events, at, policy, travel)
        self.day, self.at, self.live = day, at, live
        state = live.state
        present = {t.id for t in live.present}
        self._open = set(state.to_plan)
        # the visits not yet begun stay in their order; they are the routes an order is inserted into
        still = self._open - set(state.unresolved)
        self._routes = open_routes(current, still, present)
        previous = previously(current, still)
        orders = [o for o in day.orders if o.id in self._open]
        sub = Day(day.date, live.present, tuple(o for o in orders
                                                  if o.pinned_technician is None or o.pinned_technician in present))
        self.built: Built = build_problem(sub, live.policy, live.travel, starts=live.starts, previous=previous)
        self._index = {o.id: j for j, o in enumerate(sub.orders)}
        self._table = Timetable(self.built.problem)

    def places(self, order_id: str, top: int | None = 5) -> list[Placement]:
        """The feasible placements of `order_id`, cheapest first (at most `top`; None: all)."""
        if order_id not in self._index:
            raise InputError([CellError("--order", None, "order_id", order_id,
                                        f"not an open order of the day at {self.at:%H:%M} (unknown, done, "
                                        "cancelled, under way or created later)")])
        built, table, problem = self.built, self._table, self.built.problem
        x = self._index[order_id]
        visit = problem.visits[x]
        out: list[Placement] = []
        for k, tech in enumerate(built.day.technicians):
            vehicle = problem.vehicles[k]
            if not qualified(vehicle, visit) or (visit.pinned is not None and visit.pinned != k):
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
