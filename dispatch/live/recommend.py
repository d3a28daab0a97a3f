"""Where one order fits best in the routes as they stand, without re-solving: `recommend`.

Every position after each present technician's fixed stops is tried with the order inserted; the
placements that keep every hard rule (skills, refusals, pins, windows, shift, break, van stock, max orders)
are ranked by the cost they add, broken down by objective part (travel, response deadline, ETA shift of the
visits behind it, and the unserved cost it saves). On a technician's route where a one-person order fits
nowhere, it is also tried in place of each less urgent one-person visit (`bumps` names it; its unserved cost
counts). `Recommender` builds the matrices and routes once, so ranking another order costs only the
insertions. `Recommender.plan_with` turns one placement into the whole-day plan (the order inserted there,
nothing else searched), `assign` does both for one order, and `Recommender.why_none` says why an order has
no placement.

Crews. A crew job begun at `at` is a fixed stop like any other. One not begun stays on every member's route
at its planned start (or, when a member can no longer be there by then, at the earliest start the whole crew
can make): an insertion into a member's route is feasible only if the member is still there by that start
(arriving early and waiting is fine), and the visits after it go on from that start. No other route is
re-timed, so the crew still starts together; a crew visit is never bumped. A crew order itself
(`technicians_needed` above 1) is placed on as many routes at once: technicians who together hold its skills
at their levels, none refused by the customer, the pinned one among them, the lead's van holding its parts,
each at a position in their own route, all starting at the latest of their arrivals and the window's
opening. `Placement.crew` names the members besides the lead; the added cost is summed over the members.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dispatch.domain import Day
from dispatch.errors import CellError, InputError
from dispatch.events import Event
from dispatch.live.replan import assemble, live_inputs, previously
from dispatch.plan import Plan, Unassigned
from dispatch.planning.reasons import reason_text
from dispatch.planning.translate import Built, build_problem, to_plan
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver.problem import Problem, Solution
from solver.reasons import explain_dropped, screen
from solver.rules import (
    ETA_SHIFT,
    PINNED_TECHNICIAN,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    carries,
    crew_covers,
    eta_shift,
    lateness,
    over_max_orders,
    pin_allows,
    qualified,
    refused,
)
from solver.schedule import Schedule, Timetable, solution_costs
from solver.tables import tables_of

TOTAL = "total"
_PARTS = (TRAVEL, RESPONSE_DEADLINE, ETA_SHIFT)

# The bounded search for a crew order's placements. Each technician keeps the _POSITIONS cheapest positions
# the order fits at in their route on its own; the teams are drawn from the _CANDIDATES technicians with the
# cheapest such position, plus the _PER_SKILL cheapest holders of each required skill (at its level) and
# vans holding its parts, and the pinned technician: at most _TEAMS teams that together qualify, in that
# order. Their position choices are timed together cheapest bound first (the members' costs alone, and the
# order's own lateness at the common start; starting later only adds), at most _TIMED of them, and no more
# once `top` placements cost no more than the next bound. With up to _CANDIDATES technicians who have room,
# every pair is tried (at most 66 pairs of 9 position choices each).
_POSITIONS = 3
_CANDIDATES = 12
_PER_SKILL = 3
_TEAMS = 500
_TIMED = 2000
# Rounds of agreeing on a crew's start when a member can no longer make the planned one (each round moves
# a start later; a crew that has not agreed by then is left out of the routes and explained).
_SYNC_ROUNDS = 20


@dataclass(frozen=True)
class Member:
    """Another member of a crew placement: on `technician_id`'s route as stop number `position`, arriving at
    `arrival` (starting with the lead, at the placement's `eta`)."""

    technician_id: str
    position: int
    arrival: datetime

    def to_dict(self) -> dict[str, object]:
        return {"technician_id": self.technician_id, "position": self.position,
                "arrival": self.arrival.isoformat(timespec="seconds")}


@dataclass(frozen=True)
class Placement:
    """One feasible place for the order: on `technician_id`'s route as stop number `position` (0: first of
    the day), arriving at `arrival`, starting at `eta`; `added_cost` by objective part and its total. A crew
    order's `technician_id` is the lead, whose van gives the parts, and `crew` the other members."""

    technician_id: str
    position: int
    arrival: datetime
    eta: datetime
    late_minutes: float
    added_cost: Mapping[str, float]
    bumps: str | None = None  # on a full route: the less urgent order it would take the place of
    crew: tuple[Member, ...] = ()

    @property
    def members(self) -> tuple[str, ...]:
        """Every technician of the placement, the lead first."""
        return (self.technician_id, *(m.technician_id for m in self.crew))

    def position_of(self, technician_id: str) -> int | None:
        if technician_id == self.technician_id:
            return self.position
        return next((m.position for m in self.crew if m.technician_id == technician_id), None)

    def to_dict(self) -> dict[str, object]:
        return {"technician_id": self.technician_id, "position": self.position,
                "arrival": self.arrival.isoformat(timespec="seconds"), "eta": self.eta.isoformat(timespec="seconds"),
                "late_minutes": round(self.late_minutes, 1),
                "added_cost": {k: round(v, 3) for k, v in self.added_cost.items()}, "bumps": self.bumps,
                "crew": [m.to_dict() for m in self.crew]}


@dataclass(frozen=True)
class _Option:
    """One position of a crew order on one member's route, timed on that route alone."""

    cost: int  # added to the route, the order's own lateness and ETA shift left out (counted once)
    position: int  # in the open route
    start: int


class Recommender:
    """The routes of `current` at `at`, ready to rank placements of any order of the day."""

    def __init__(self, day: Day, current: Plan, events: Sequence[Event], at: datetime, policy: Policy | None = None,
                 *, travel: TravelSource | None = None) -> None:
        live = live_inputs(day, current, events, at, policy, travel)
        self.day, self.current, self.at, self.live = day, current, at, live
        state = live.state
        present = {t.id for t in live.present}
        self._open = set(state.to_plan)
        # the visits not yet begun stay in their order; they are the routes an order is inserted into
        still = self._open - set(state.unresolved)
        self._orders = {o.id: o for o in day.orders}
        orders = [o for o in day.orders if o.id in self._open]
        sub = Day(day.date, live.present, tuple(o for o in orders
                                                  if o.pinned_technician is None or o.pinned_technician in present))
        self.built: Built = build_problem(sub, live.policy, live.travel, starts=live.starts,
                                          previous=previously(current, still))
        self._index = {o.id: j for j, o in enumerate(sub.orders)}
        self._vehicle = {t.id: k for k, t in enumerate(self.built.day.technicians)}
        self._plain = Timetable(self.built.problem)
        self._seqs, self._crews = self._open_routes(still)
        self._table = self._anchored()
        # crew visit -> its lead's vehicle, whose van gives its parts
        self._lead = {j: members[0] for j, members in self._crews.items()}

    def _open_routes(self, still: set[str]) -> tuple[list[list[int]], dict[int, tuple[int, ...]]]:
        """Each vehicle's visits not yet begun, in their order (a crew job on every member's route), and the
        crews among them (visit -> the members' vehicles, the lead first). A crew the routes cannot keep
        together (a member absent, the stop missing from a member's route, a crew of another size than the
        order needs now) is taken off every route: it is left out, and explained, unless placed again."""
        index, problem = self._index, self.built.problem
        seqs: list[list[int]] = [[] for _ in problem.vehicles]
        named: dict[int, tuple[str, ...]] = {}
        for r in self.current.routes:
            k = self._vehicle.get(r.technician_id)
            for s in r.stops:
                if s.fixed or s.order_id not in still or s.order_id not in index:
                    continue
                j = index[s.order_id]
                if problem.visits[j].crew > 1 or s.crew:
                    named.setdefault(j, s.crew)
                if k is not None:
                    seqs[k].append(j)
        crews: dict[int, tuple[int, ...]] = {}
        for j, names in named.items():
            members = tuple(self._vehicle.get(t, -1) for t in names)
            if (len(members) == problem.visits[j].crew and -1 not in members
                    and all(j in seqs[k] for k in members)
                    and sum(j in seq for seq in seqs) == len(members)):
                crews[j] = members
            else:
                seqs = [[i for i in seq if i != j] for seq in seqs]
        self._planned = {j: round((s.start - self.built.origin).total_seconds())
                         for r in self.current.routes for s in r.stops
                         if s.order_id in index and (j := index[s.order_id]) in crews}
        return seqs, crews

    def _anchored(self) -> Timetable:
        """The timetable with each crew visit not begun held at one start: the planned one, or the earliest
        every member can still make (a window of one instant). A crew that can no longer start within its
        window is taken off every route."""
        problem, plain = self.built.problem, self._plain
        anchor = dict(self._planned)

        def held(starts: Mapping[int, int]) -> Timetable:
            table = plain
            for j, t in starts.items():
                table = table.with_window(j, (t, t))
            return table

        later: dict[int, int] = {}  # after the last round: the crews not agreed yet
        for _ in range(_SYNC_ROUNDS):
            table = held(anchor)
            latest: dict[int, int] = {}
            for k in sorted({k for members in self._crews.values() for k in members}):
                s = table.schedule(k, self._seqs[k], strict=False)
                assert s is not None  # only a strict schedule gives up
                for j, t in zip(s.visits, s.starts, strict=True):
                    if j in anchor:
                        latest[j] = max(latest.get(j, t), t)
            later = {j: t for j, t in latest.items() if t > anchor[j]}
            if not later:
                break
            anchor.update(later)
        for j, members in list(self._crews.items()):
            window = problem.window_of(j, members[0])
            if j in later or (window is not None and anchor[j] > window[1]):
                del self._crews[j], anchor[j]
                self._seqs = [[i for i in seq if i != j] for seq in self._seqs]
        self._anchor = anchor
        return held(anchor)

    def places(self, order_id: str, top: int | None = 5) -> list[Placement]:
        """The feasible placements of `order_id`, cheapest first (at most `top`; None: all, or for a crew
        order all the bounded search finds)."""
        self._require(order_id)
        x = self._index[order_id]
        out = self._crew_places(x, top) if self.built.problem.visits[x].crew > 1 else self._solo_places(x)
        out.sort(key=lambda pl: (pl.added_cost[TOTAL], pl.eta, pl.members, pl.position))
        return out if top is None else out[:top]

    def why_none(self, order_id: str) -> str:
        """Why `order_id` has no placement, in words a dispatcher acts on."""
        self._require(order_id)
        x, problem, order = self._index[order_id], self.built.problem, self._orders[order_id]
        reason = screen(problem, tables_of(problem)).reasons.get(x)
        if reason is not None:
            return reason_text(self.built, order, reason)
        rules = "appointment window, shift, break, van stock, max orders, the start of a crew job already planned"
        if problem.visits[x].crew > 1:
            return (f"no {problem.visits[x].crew} technicians who together can take it have room for it at one "
                    f"common start in the routes as they stand ({rules}); a re-plan may make room")
        return (f"no technician can take it in the routes as they stand without breaking a hard rule ({rules}); "
                "a re-plan may make room")

    def _require(self, order_id: str) -> None:
        if order_id not in self._index:
            raise InputError([CellError("--order", None, "order_id", order_id,
                                        f"not an open order of the day at {self.at:%H:%M} (unknown, done, "
                                        "cancelled, under way or created later)")])

    def _route(self, k: int, x: int) -> list[int]:
        """Vehicle k's open route without visit x."""
        return [j for j in self._seqs[k] if j != x]

    def _table_for(self, x: int) -> Timetable:
        """The timetable to place x with: a crew visit placed again is not held at its old start."""
        return self._table.with_window(x, self.built.problem.visits[x].window) if x in self._anchor else self._table

    def _carries(self, k: int, seq: Sequence[int], lead_of: Mapping[int, int] | None = None) -> bool:
        """Van stock: k's van holds the parts of the visits of `seq` it gives them for (not a crew's whose
        lead is another member)."""
        lead_of = lead_of or self._lead
        problem = self.built.problem
        return carries(problem.vehicles[k], [problem.visits[j] for j in seq if lead_of.get(j, k) == k])

    def _fixed(self, k: int) -> int:
        return len(self.live.fixed.get(self.built.day.technicians[k].id, []))

    def _base(self, table: Timetable, k: int, route: list[int]) -> dict[str, int]:
        # a route already broken as it stands is compared against its lenient times
        base = _route_costs(self.built.problem, table, k, route)
        if base is None:
            base = _route_costs(self.built.problem, table, k, route, strict=False)
        assert base is not None
        return base

    def _solo_places(self, x: int) -> list[Placement]:
        built, problem = self.built, self.built.problem
        table = self._table_for(x)
        visit = problem.visits[x]
        out: list[Placement] = []
        for k in range(len(built.day.technicians)):
            who = problem.technician_of(k)
            if not qualified(problem.vehicles[k], visit) or refused(visit, who) or not pin_allows(visit, who):
                continue
            route = self._route(k, x)
            base = self._base(table, k, route)
            found = self._insertions(table, k, x, route, base, None)
            if not found:
                # a full route: the order could still take the place of one less urgent visit (never a crew's:
                # its other members would go without it)
                for y in route:
                    if problem.visits[y].crew == 1 and (problem.visits[y].drop_penalty or 0) < (visit.drop_penalty or 0):
                        found += self._insertions(table, k, x, [j for j in route if j != y], base, y)
            out += found
        return out

    def _insertions(self, table: Timetable, k: int, x: int, route: list[int], base: dict[str, int],
                    bumped: int | None) -> list[Placement]:
        """Every feasible position of x in `route` on vehicle k (from which `bumped`, if any, was taken)."""
        built, problem = self.built, self.built.problem
        vehicle, visit = problem.vehicles[k], problem.visits[x]
        if over_max_orders(vehicle, len(route) + 1) or not self._carries(k, [*route, x]):
            return []
        fixed = self._fixed(k)
        out = []
        for p in range(len(route) + 1):
            seq = [*route[:p], x, *route[p:]]
            s = table.schedule(k, seq)
            if s is None:
                continue
            costs = _costs_of(problem, table, k, seq, s)
            added = {part: built.cost(costs[part] - base[part]) for part in _PARTS}
            dropped = 0 if bumped is None else problem.visits[bumped].drop_penalty or 0
            added[UNSERVED] = built.cost(dropped - (visit.drop_penalty or 0))
            added[TOTAL] = sum(added.values())
            eta = built.at(s.starts[p])
            late = max(0.0, (eta - built.deadline(built.day.orders[x])).total_seconds() / 60)
            out.append(Placement(built.day.technicians[k].id, fixed + p, built.at(s.arrivals[p]), eta, late, added,
                                 None if bumped is None else built.day.orders[bumped].id))
        return out

    def _crew_places(self, x: int, top: int | None) -> list[Placement]:
        """The placements of crew order x: teams of visit.crew technicians at one common start (see the
        bounds above)."""
        built, problem = self.built, self.built.problem
        table, visit = self._table_for(x), problem.visits[x]
        options: dict[int, list[_Option]] = {}
        base: dict[int, dict[str, int]] = {}
        carrier: dict[int, bool] = {}
        for k in range(len(built.day.technicians)):
            route = self._route(k, x)
            if refused(visit, problem.technician_of(k)) or over_max_orders(problem.vehicles[k], len(route) + 1):
                continue
            base[k] = self._base(table, k, route)
            mine = []
            for p in range(len(route) + 1):
                seq = [*route[:p], x, *route[p:]]
                s = table.schedule(k, seq)
                if s is None:
                    continue
                costs = _costs_of(problem, table, k, seq, s, skip=x)
                mine.append(_Option(sum(costs[part] - base[k][part] for part in _PARTS), p, s.starts[p]))
            if mine:
                options[k] = sorted(mine, key=lambda o: (o.cost, o.position))[:_POSITIONS]
                carrier[k] = self._carries(k, [*route, x], {x: k})
        ranked = sorted(options, key=lambda k: (options[k][0].cost, k))
        chosen = ranked[:_CANDIDATES]
        for skill in sorted(visit.skills):
            chosen += [k for k in ranked if problem.vehicles[k].level_of(skill) >= visit.level_of(skill)][:_PER_SKILL]
        chosen += [k for k in ranked if carrier[k]][:_PER_SKILL]
        chosen += [k for k in ranked if problem.technician_of(k) == visit.pinned]
        order = {k: n for n, k in enumerate(ranked)}
        candidates = sorted(set(chosen), key=order.__getitem__)
        teams: list[tuple[tuple[int, ...], int]] = []
        for team in itertools.combinations(candidates, visit.crew):
            leads = [k for k in team if carrier[k]]
            if (leads and crew_covers((problem.vehicles[k] for k in team), visit)
                    and (visit.pinned is None or any(problem.technician_of(k) == visit.pinned for k in team))):
                teams.append((team, leads[0]))  # the lead: the carrier with the cheapest place on its own
                if len(teams) == _TEAMS:
                    break
        choices = []
        for team, lead in teams:
            window = problem.window_of(x, lead)
            for picks in itertools.product(*(options[k] for k in team)):
                start = max(o.start for o in picks)
                if window is not None and start > window[1]:
                    continue
                bound = sum(o.cost for o in picks) + lateness(visit, start) + eta_shift(problem, visit, start)
                choices.append((bound, start, team, lead, picks))
        choices.sort(key=lambda c: (c[0], c[1], c[2], [o.position for o in c[4]]))
        held: dict[int, Timetable] = {}
        found: list[Placement] = []
        totals: list[int] = []
        for bound, start, team, lead, picks in choices[:_TIMED]:
            if top is not None and len(totals) >= top and bound > heapq.nsmallest(top, totals)[-1]:
                break
            if start not in held:
                held[start] = table.with_window(x, (start, start))
            together = held[start]
            added = dict.fromkeys(_PARTS, 0)
            arrivals: dict[int, int] = {}
            for k, o in zip(team, picks, strict=True):
                route = self._route(k, x)
                seq = [*route[:o.position], x, *route[o.position:]]
                s = together.schedule(k, seq)
                if s is None:
                    break
                costs = _costs_of(problem, together, k, seq, s, skip=x)
                for part in _PARTS:
                    added[part] += costs[part] - base[k][part]
                arrivals[k] = s.arrivals[o.position]
            else:
                added[RESPONSE_DEADLINE] += lateness(visit, start)
                added[ETA_SHIFT] += eta_shift(problem, visit, start)
                totals.append(sum(added.values()))
                found.append(self._crew_placement(x, start, team, lead, picks, added, arrivals))
        return found

    def _crew_placement(self, x: int, start: int, team: tuple[int, ...], lead: int, picks: tuple[_Option, ...],
                        added: Mapping[str, int], arrivals: Mapping[int, int]) -> Placement:
        built, techs = self.built, self.built.day.technicians
        cost = {part: built.cost(v) for part, v in added.items()}
        cost[UNSERVED] = built.cost(-(built.problem.visits[x].drop_penalty or 0))
        cost[TOTAL] = sum(cost.values())
        eta = built.at(start)
        late = max(0.0, (eta - built.deadline(built.day.orders[x])).total_seconds() / 60)
        position = {k: self._fixed(k) + o.position for k, o in zip(team, picks, strict=True)}
        others = sorted((k for k in team if k != lead), key=lambda k: techs[k].id)
        return Placement(techs[lead].id, position[lead], built.at(arrivals[lead]), eta, late, cost,
                         crew=tuple(Member(techs[k].id, position[k], built.at(arrivals[k])) for k in others))

    def plan_with(self, order_id: str, placement: Placement) -> Plan:
        """The whole day with `order_id` inserted at `placement` (one of `places(order_id)`): every other
        visit not yet begun stays where it is in its technician's order, re-timed (a crew's at its start);
        nothing is searched. The plan carries its `changes` and `kpis.churn` against the current plan, like
        a re-plan at `at`."""
        self._require(order_id)
        built, problem = self.built, self.built.problem
        x = self._index[order_id]
        visit = problem.visits[x]
        bumped = None if placement.bumps is None else self._index[placement.bumps]
        placed: dict[int, int] = {}  # vehicle -> the order's position in its open route
        for tech_id in placement.members:
            k = self._vehicle.get(tech_id)
            if k is None:
                raise ValueError(f"technician {tech_id!r} is not at work at {self.at:%H:%M}")
            position = placement.position_of(tech_id)
            assert position is not None  # a member
            placed[k] = position - self._fixed(k)
        if len(placed) != visit.crew:
            raise ValueError(f"{order_id} needs {visit.crew} technician(s) together; the placement names "
                             f"{', '.join(placement.members)}")
        table = self._table_for(x)
        if visit.crew > 1:
            start = round((placement.eta - built.origin).total_seconds())
            window = problem.window_of(x, next(iter(placed)))
            if window is not None and not window[0] <= start <= window[1]:
                raise ValueError(f"{order_id} cannot start at {placement.eta:%H:%M}, outside its window")
            table = table.with_window(x, (start, start))
        seqs = []
        for k in range(len(problem.vehicles)):
            seq = self._route(k, x)
            if k in placed:
                seq = [j for j in seq if j != bumped]
                p = placed[k]
                if not 0 <= p <= len(seq):
                    tech = built.day.technicians[k].id
                    raise ValueError(f"position {p + self._fixed(k)} is not a place on {tech}'s route "
                                     f"({self._fixed(k)} to {self._fixed(k) + len(seq)})")
                seq = [*seq[:p], x, *seq[p:]]
            seqs.append(seq)
        # a route already broken as it stands keeps nothing it cannot time (those visits are explained below),
        # and a crew visit it loses leaves every member's route
        dropped: set[int] = set()
        while True:
            timed: list[Schedule | None] = [table.schedule(k, [j for j in seq if j not in dropped])
                                            for k, seq in enumerate(seqs)]
            for k in placed:
                if timed[k] is None:
                    raise ValueError(f"{order_id} at position {placed[k] + self._fixed(k)} on "
                                     f"{built.day.technicians[k].id}'s route breaks a hard rule")
            lost = {j for k, s in enumerate(timed) if s is None for j in seqs[k] if j in self._crews} - dropped
            if not lost:
                break
            dropped |= lost
        routes = [table.route_solution(k, s) for k, s in enumerate(timed)]
        crews = [(j, members) for j, members in self._crews.items() if j not in dropped and j != x]
        if visit.crew > 1:
            lead = self._vehicle[placement.technician_id]
            crews.append((x, (lead, *(k for k in placed if k != lead))))
        tables = tables_of(problem)
        screening = screen(problem, tables)
        served = {j for r in routes for j in r.visits}
        reasons = {j: r for j, r in screening.reasons.items() if j not in served}
        left = [j for j in range(len(problem.visits)) if j not in served and j not in reasons]
        reasons.update(explain_dropped(problem, tables, screening, [list(r.visits) for r in routes], left,
                                       table=table))
        unserved = tuple(sorted(reasons.items()))
        costs = solution_costs(problem, routes, unserved)
        sub = to_plan(built, Solution(routes=tuple(routes), unassigned=unserved, objective=sum(costs.values()),
                                      costs=costs, status="feasible", solutions_found=0, crews=tuple(sorted(crews))))
        present = {t.id for t in self.live.present}
        away = [Unassigned(i, f"pinned to {o.pinned_technician}, who is absent", PINNED_TECHNICIAN)
                for i in self.live.state.to_plan
                if (o := self._orders[i]).pinned_technician is not None and o.pinned_technician not in present]
        return assemble(self.day, self.current, self.live, self.at, sub, away)


def _costs_of(problem: Problem, table: Timetable, k: int, seq: Sequence[int], s: Schedule, *,
              skip: int | None = None) -> dict[str, int]:
    """The route's parts of the objective (`skip`: leaving that visit's lateness and ETA shift out)."""
    return {
        TRAVEL: problem.distance_cost * table.distance(k, seq),
        RESPONSE_DEADLINE: sum(late for j, late in zip(seq, s.late, strict=True) if j != skip),
        ETA_SHIFT: sum(eta_shift(problem, problem.visits[j], t) for j, t in zip(seq, s.starts, strict=True)
                       if j != skip),
    }


def _route_costs(problem: Problem, table: Timetable, k: int, seq: list[int], *,
                 strict: bool = True) -> dict[str, int] | None:
    s = table.schedule(k, seq, strict=strict)
    return None if s is None else _costs_of(problem, table, k, seq, s)


def recommend(day: Day, current: Plan, events: Sequence[Event], at: datetime, order_id: str,
              policy: Policy | None = None, *, travel: TravelSource | None = None, top: int | None = 5) -> list[Placement]:
    """The best places for `order_id` in `current` as the day stands at `at`, cheapest first."""
    return Recommender(day, current, events, at, policy, travel=travel).places(order_id, top)


def assign(day: Day, current: Plan, events: Sequence[Event], at: datetime, order_id: str, technician_id: str,
           position: int | None = None, policy: Policy | None = None, *,
           travel: TravelSource | None = None, crew: Sequence[str] | None = None) -> Plan:
    """The day with `order_id` inserted on `technician_id`'s route at `position` (None: its cheapest place
    there), as `recommend` would place it; ValueError naming what is wrong when that place is not feasible.
    A crew order goes to the cheapest crew with `technician_id` in it (lead or not; `position` is on their
    route), with `crew` the other members when given."""
    rec = Recommender(day, current, events, at, policy, travel=travel)
    places = rec.places(order_id, top=None)
    mine = [p for p in places if technician_id in p.members]
    if crew is not None:
        mine = [p for p in mine if sorted(p.members) == sorted({technician_id, *crew})]
    if not mine:
        with_crew = f" with {', '.join(crew)}" if crew else ""
        why = f": {rec.why_none(order_id)}" if not places else ""
        raise ValueError(f"technician {technician_id!r} cannot take {order_id}{with_crew} at {at:%H:%M} without "
                         f"breaking a hard rule{why}")
    if position is not None:
        there = [p for p in mine if p.position_of(technician_id) == position]
        if not there:
            feasible = ", ".join(str(q) for q in sorted({p.position_of(technician_id) or 0 for p in mine}))
            raise ValueError(f"position {position} on {technician_id}'s route breaks a hard rule for {order_id}; "
                             f"feasible positions: {feasible}")
        mine = there
    return rec.plan_with(order_id, mine[0])

