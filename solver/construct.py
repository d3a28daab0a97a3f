"""Priority-first cheapest feasible insertion: the usual rule-based auto-assign of field-service tools.

The engine runs it as a construction of its own on large days (where OR-Tools' first-solution heuristics
are slow) and keeps whichever plan costs less; benchmarks use it alone as the rule-based peer.

Visits are taken in priority order (highest drop penalty first, then earliest response deadline) and each
is inserted at its cheapest feasible position over all allowed technicians (skills, pin, appointment
window, shift including the drive home, break, van stock, max orders); nothing is ever moved again. The
cost of a position is the objective increase: travel plus the lateness it adds along the route, and with a
working-time cost (benchmarks) the span it adds, waits included. Visits that fit nowhere are left out with a
reason (solver/reasons.py).

Times are the earliest consistent ones for a given visit order and break position, by the strict
schedules of solver/schedule.py (`Timetable`, where the break convention is stated); `_evaluate` re-times
only the part of a route an insertion changes, by the same steps. The rules come from solver/rules.py.
Pure Python over the Problem; it shares no code with the OR-Tools model.

A search inserts once per step into routes most of which no step touched: `Prepared` keeps what does not
change between calls (the tables, start routes' schedules, and per route schedule the positions each visit
was found to fit or not), so that a step re-times only what it changed. Positions are first tested against
bounds that hold wherever the break is taken (`Timetable.bounds`); only those that pass are walked. None of
this changes a decision: the same inputs give the same plan with or without it (tests/solver/test_construct.py).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection, Sequence

from solver.problem import FULLY_BOOKED, MAX_ORDERS, Problem, Reason, RouteSolution, Solution
from solver.reasons import crew_reason, nobody_fits
from solver.rules import (
    REFUSED_TECHNICIAN,
    REQUIRED_SKILL,
    VAN_STOCK,
    carries,
    crew_covers,
    lateness,
    missed_preference,
    over_max_orders,
    over_qualification,
    pin_allows,
    qualified,
    refused,
)
from solver.schedule import Schedule, Timetable, solution_costs
from solver.tables import OPEN

__all__ = ["Prepared", "Schedule", "Timetable", "greedy_solve", "left_out_reason", "prepare", "solution_costs", "span"]


def left_out_reason(problem: Problem, j: int, full: Sequence[int] = ()) -> Reason:
    """Why visit j is on no route, checked in the order a dispatcher would: pin, skill, parts, then
    capacity (MAX_ORDERS when every qualified vehicle is among the `full` ones)."""
    visit = problem.visits[j]
    fits = {
        REQUIRED_SKILL: [qualified(v, visit) for v in problem.vehicles],
        REFUSED_TECHNICIAN: [not refused(visit, problem.technician_of(k)) for k in range(len(problem.vehicles))],
        VAN_STOCK: [carries(v, [visit]) for v in problem.vehicles],
    }
    reason = nobody_fits(problem, j, fits)
    if reason is not None:
        return reason
    able = tuple(problem.qualified(j))
    if full and set(able) <= set(full):
        return Reason(rule=MAX_ORDERS, vehicles=able)
    return Reason(rule=FULLY_BOOKED, vehicles=able)


# How many start routes' schedules a Prepared keeps (a search inserts into mostly the same routes each step),
# and how many routes' shapes with what was found there.
_KEPT_SCHEDULES = 10_000
_KEPT_SHAPES = 2_000


class Prepared:
    """What the insertion reads of a problem that is the same on every call, worked out once: a search
    that inserts once per step passes it to `greedy_solve` each time (`prepare`)."""

    def __init__(self, problem: Problem, options: Sequence[Sequence[tuple[int, int]]] | None = None) -> None:
        self.problem = problem
        self.table = Timetable(problem)
        self.qualified = [tuple(problem.qualified(j)) for j in range(len(problem.visits))]
        self.options = vehicle_options(problem, self.qualified) if options is None else options
        vehicles = problem.vehicles
        # a visit no other one than those asked for was tried for is left out as fully booked: one Reason each
        self.booked = [Reason(rule=FULLY_BOOKED, vehicles=q) for q in self.qualified]
        self.urgent = max((x.drop_penalty for x in problem.visits if x.drop_penalty is not None), default=None)
        self.several_days = len(problem.days) > 1
        self.parts = [[(p, q) for p, q in enumerate(x.parts) if q > 0] for x in problem.visits]
        self.single = [x.crew == 1 for x in problem.visits]
        self.any_crew = not all(self.single)
        self.stock = [[v.stock_of(p) for p in range(problem.num_parts)] for v in vehicles]
        self.empty = [Schedule((), (), (), (), (), v.shift_start, None, None) for v in vehicles]

        def priority(j: int) -> tuple[float, int, int]:
            x = problem.visits[j]
            penalty = float("inf") if x.drop_penalty is None else x.drop_penalty
            return (-penalty, x.deadline if x.deadline is not None else OPEN, j)

        # every visit, highest drop penalty first, then earliest response deadline
        self.order = sorted(range(len(problem.visits)), key=priority)
        # (vehicle, visits) -> what `_load` makes of a start route on the plain table (None: it breaks a rule)
        self.kept: dict[tuple[int, tuple[int, ...]], tuple[Schedule, bool, list[int]] | None] = {}
        # id of a schedule on the plain table -> it (kept alive, so the id stays its own) and its shape
        self.shapes: dict[int, tuple[Schedule, _Shape]] = {}
        # id of a schedule -> it and its RouteSolution
        self.reported: dict[int, tuple[Schedule, RouteSolution]] = {}

    def load(self, vehicle: int, visits: tuple[int, ...]) -> tuple[Schedule, bool, list[int]] | None:
        """A start route as `_load` puts it on an empty route of the plain table: its schedule, whether that
        is the lazy-break one, what is left in the van; None when it breaks a hard rule. Remembered."""
        key = (vehicle, visits)
        if key in self.kept:
            return self.kept[key]
        route = _Route(self.table, vehicle, self)
        found = (route.schedule, route.lazy, route.stock) if _load(self.table, route, visits, self.parts) else None
        if len(self.kept) >= _KEPT_SCHEDULES:
            self.kept.clear()
        self.kept[key] = found
        return found

    def route_solution(self, table: Timetable, vehicle: int, schedule: Schedule) -> RouteSolution:
        """`table.route_solution`, remembered for a table with the plain one's vehicles and matrices (only
        windows differ: the crews' starts), which are all a RouteSolution reads."""
        if not schedule.visits or table.vehicles is not self.table.vehicles or table.distances is not self.table.distances:
            return table.route_solution(vehicle, schedule)
        found = self.reported.get(id(schedule))
        if found is not None and found[0] is schedule:
            return found[1]
        solved = table.route_solution(vehicle, schedule)
        if len(self.reported) >= _KEPT_SCHEDULES:
            self.reported.clear()
        self.reported[id(schedule)] = (schedule, solved)
        return solved

    def shape(self, vehicle: int, schedule: Schedule) -> _Shape:
        """The `_Shape` of `schedule` on vehicle `vehicle` on the plain table, remembered."""
        found = self.shapes.get(id(schedule))
        if found is not None and found[0] is schedule:
            return found[1]
        shape = _Shape(self.table, vehicle, schedule)
        if len(self.shapes) >= _KEPT_SHAPES:
            self.shapes.clear()
        self.shapes[id(schedule)] = (schedule, shape)
        return shape


def prepare(problem: Problem, options: Sequence[Sequence[tuple[int, int]]] | None = None) -> Prepared:
    """The insertion's per-problem tables (`options`: `vehicle_options(problem)` when the caller has them)."""
    return Prepared(problem, options)


class _Shape:
    """What the insertion tests a route's positions with: its stops' locations home to home, the service
    plus driving time of its visits (no driving for a route without visits), and `Timetable.bounds`; and
    what it found there for each visit tried (the same for as long as the route's schedule and the table
    are, which in a search is many steps for a route no ruin touches). With a working-time cost, also the
    route's span and, per position, what any new span is at least apart from the visit's own legs and
    service (`floors`)."""

    __slots__ = ("busy", "evaluated", "floors", "legs", "span", "tried")

    def __init__(self, table: Timetable, vehicle: int, schedule: Schedule) -> None:
        visits = schedule.visits
        v = table.vehicles[vehicle]
        durations, distances = table.durations, table.distances
        stops = [v.start, *(table.location[y] for y in visits), v.end]
        self.busy = sum(table.service[y] for y in visits)
        if visits:
            self.busy += sum(durations[a][b] for a, b in itertools.pairwise(stops))
        ends, latest = table.bounds(vehicle, visits)
        # Per leg (insertion position): the durations and distances from where it starts, where it ends, its
        # own duration and distance (0 on an idle route: the technician drives nowhere), when the technician
        # leaves its start no sooner, and reaches its end no later, wherever the break is.
        self.legs = [(durations[a], distances[a], b, durations[a][b] if visits else 0, distances[a][b] if visits else 0,
                      leaves, due)
                     for a, b, leaves, due in zip(stops[:-1], stops[1:], [v.shift_start, *ends], [*latest, v.shift_end],
                                                  strict=True)]
        self.span = 0
        self.floors: list[int] = []
        if table.problem.span_cost:
            self.span = span(table, vehicle, schedule)
            if table.brk[vehicle] is None:
                # Without a break the departure moves by the forward slack (`Timetable.lean`), so a new route
                # spans at least its work, waits aside: the route's work less the leg the visit goes into.
                self.floors = [self.busy - leg[3] for leg in self.legs]
            else:
                # A new route spans at least its work after stop p-1 plus, from the second position on, the
                # time from leaving home to the end of stop p-1 without the break (every strict schedule is
                # no sooner there, and leaves home no later: see `Timetable.route_solution`).
                service = table.service
                tail = [0] * (len(visits) + 1)  # work from stop p on, its way in excluded
                for p in range(len(visits) - 1, -1, -1):
                    tail[p] = tail[p + 1] + service[visits[p]] + durations[stops[p + 1]][stops[p + 2]]
                self.floors = [tail[0]]
                if visits:
                    depart = max(v.shift_start, ends[0] - service[visits[0]] - durations[stops[0]][stops[1]])
                    self.floors += [ends[p - 1] - depart + tail[p] for p in range(1, len(visits) + 1)]
        # visit -> its (travel cost added, vehicle, position) where the bounds let it in
        self.tried: dict[int, list[tuple[int, int, int]]] = {}
        # (visit, position) -> (lateness added or None when it does not fit, break leg, lazy break rule)
        self.evaluated: dict[tuple[int, int], tuple[int | None, int | None, bool]] = {}


class _Route:
    """A route under construction: its schedule, what is left in the van, and whether the schedule is the
    lazy-break one (then any continuation from an equal state is the stored one)."""

    def __init__(self, table: Timetable, vehicle: int, prepared: Prepared | None = None) -> None:
        v = table.problem.vehicles[vehicle]
        self.vehicle = vehicle
        self.stock = [v.stock_of(p) for p in range(table.problem.num_parts)] if prepared is None \
            else list(prepared.stock[vehicle])
        self.has_break = table.brk[vehicle] is not None
        # placeholder until the first visit (one for each vehicle: its shape is remembered too)
        self.schedule = Schedule((), (), (), (), (), v.shift_start, None, None) if prepared is None \
            else prepared.empty[vehicle]
        self.lazy = True
        self._prepared = prepared
        self._shape: tuple[Schedule, Timetable, _Shape] | None = None

    def shape(self, table: Timetable) -> _Shape:
        """The route's `_Shape` on `table` (remembered by `Prepared` on its plain table)."""
        if self._shape is not None and self._shape[0] is self.schedule and self._shape[1] is table:
            return self._shape[2]
        prepared = self._prepared
        if prepared is not None and table is prepared.table:
            shape = prepared.shape(self.vehicle, self.schedule)
        else:
            shape = _Shape(table, self.vehicle, self.schedule)
        self._shape = (self.schedule, table, shape)
        return shape

    def break_taken_before(self, stop: int) -> bool:
        """Is the break already taken before the leg to stop `stop`?"""
        return not self.has_break or (self.schedule.gap is not None and self.schedule.gap < stop)


def span(table: Timetable, vehicle: int, s: Schedule) -> int:
    """Back home minus departure of a strict schedule, the departure as `Timetable.route_solution` has it."""
    if not s.visits:
        return 0
    return _span_of(table, vehicle, s.visits, s.arrivals, s.starts, s.back, s.gap)


def _span_of(table: Timetable, vehicle: int, visits: Sequence[int], arrivals: Sequence[int], starts: Sequence[int],
             back: int, gap: int | None) -> int:
    v = table.vehicles[vehicle]
    if gap == 0:
        return back - v.shift_start
    depart = max(v.shift_start, starts[0] - table.durations[v.start][table.location[visits[0]]])
    leeway = table.leeway(vehicle, visits, arrivals, starts, back) if table.problem.span_cost else 0
    return back - depart - leeway


def _evaluate(table: Timetable, route: _Route, j: int, position: int,
              with_span: bool = False) -> tuple[int | None, int | None, bool, int]:
    """Lateness added by inserting j at `position` of `route` under the lazy break rule, re-timing only
    from the stored prefix until the old schedule is rejoined. Returns (added lateness or None if
    infeasible, gap of the break in the new route, whether the failure happened after the break was
    taken, and with `with_span` the new route's span, else 0)."""
    old = route.schedule
    walked, break_bound, rejoined = table.walk(route.vehicle, (j, *old.visits[position:]), position=position,
                                               old=old, old_lazy=route.lazy)
    if walked is None:
        return None, None, break_bound, 0
    # The walked stops replace old's from `position` up to where it rejoined (or to the end).
    replaced = old.late[position:] if rejoined is None else old.late[position:position + rejoined]
    spans = 0
    if with_span:
        # old's times before `position` and once rejoined, the walk's between; back is old's once rejoined
        rest = len(old.visits) if rejoined is None else position + rejoined
        spans = _span_of(table, route.vehicle, (*old.visits[:position], *walked.visits, *old.visits[rest:]),
                         (*old.arrivals[:position], *walked.arrivals, *old.arrivals[rest:]),
                         (*old.starts[:position], *walked.starts, *old.starts[rest:]), walked.back, walked.gap)
    return walked.late_cost - sum(replaced), walked.gap, False, spans


def _load(table: Timetable, route: _Route, visits: Sequence[int], parts: list[list[tuple[int, int]]]) -> bool:
    """Put the given visit order on `route` if it keeps every hard rule; False (route untouched) otherwise."""
    problem = table.problem
    v = problem.vehicles[route.vehicle]
    if over_max_orders(v, len(visits)):
        return False
    stock = list(route.stock)
    for j in visits:
        x = problem.visits[j]
        who = problem.technician_of(route.vehicle)
        if not qualified(v, x) or refused(x, who) or not pin_allows(x, who):
            return False
        for p, q in parts[j]:
            stock[p] -= q
    if any(q < 0 for q in stock):
        return False
    lazy = table.schedule(route.vehicle, visits)
    schedule = lazy if lazy is not None else table.best_schedule(route.vehicle, visits)
    if schedule is None:
        return False
    route.schedule, route.lazy, route.stock = schedule, lazy is not None, stock
    return True


def vehicle_options(problem: Problem, qualified_for: Sequence[Sequence[int]] | None = None) -> list[list[tuple[int, int]]]:
    """For each visit, the vehicles that may serve it (pins, skills at their levels, refusals) with what it
    costs that they serve it (over-qualification, a technician other than the one asked for).
    `qualified_for`: `problem.qualified(j)` of each visit j, when the caller has them."""
    out: list[list[tuple[int, int]]] = []
    for j, x in enumerate(problem.visits):
        if x.pinned is None:  # problem.qualified holds the skills and refusals already
            allowed = problem.qualified(j) if qualified_for is None else qualified_for[j]
            out.append([(k, over_qualification(problem, problem.vehicles[k], x)
                         + missed_preference(problem, x, problem.technician_of(k))) for k in allowed])
            continue
        allowed = [
            k for k in range(len(problem.vehicles)) if problem.technician_of(k) == x.pinned]
        out.append([(k, over_qualification(problem, problem.vehicles[k], x)
                     + missed_preference(problem, x, problem.technician_of(k)))
                    for k in allowed
                    if qualified(problem.vehicles[k], x) and not refused(x, problem.technician_of(k))])
    return out


def greedy_solve(problem: Problem, start: Sequence[Sequence[int]] | None = None, *, eject: bool = False,
                 worth_it: bool = False, only: Collection[int] | None = None,
                 prepared: Prepared | None = None, explain: bool = True, regret: bool = False,
                 closed: Collection[int] = ()) -> Solution:
    """Priority-first cheapest feasible insertion; deterministic, no time limit needed.

    With `start` (visit indices per vehicle), those routes are kept as they are and the other visits are
    inserted into them; a start route that breaks a hard rule is not kept (its visits are inserted anew).
    With `eject`, a visit of the most urgent class (the highest drop penalty) takes the place of one less
    urgent visit when that costs less than its best insertion, or when it fits nowhere and that lowers the
    cost (an emergency bumps a routine job rather than wait for it). With `worth_it` (always on a horizon of
    several days), an optional visit whose best place costs more than leaving it out is left out. With `only`,
    no other visit than those is tried (the others off the start routes are left out as fully booked).
    `prepared` is `prepare(problem)` when the caller inserts often (a search); without `explain`, a visit that
    fits nowhere is left out as fully booked without looking for the rule that keeps it out (a search that
    throws most plans away). With `regret` (a search's option), the optional visits of one priority class are
    inserted not in order but each time the one whose second-best place, on another vehicle, costs most
    beyond its best (regret-2); classes still go in priority order. The vehicles in `closed` take no visit
    (a search that dissolves a route)."""
    began = time.perf_counter()
    if prepared is None:
        prepared = prepare(problem)
    elif prepared.problem is not problem:
        raise ValueError("prepared is for another problem")
    options, parts, table = prepared.options, prepared.parts, prepared.table
    routes = [_Route(table, k, prepared) for k in range(len(problem.vehicles))]
    distances, durations, location, service, brk = table.distances, table.durations, table.location, table.service, table.brk
    distance_cost = problem.distance_cost
    placed: set[int] = set()
    if start is not None:
        if len(start) != len(problem.vehicles):
            raise ValueError(f"start has {len(start)} routes for {len(problem.vehicles)} vehicles")
        seen: set[int] = set()
        for k, visits in enumerate(start):
            mine = set(visits)
            if len(mine) != len(visits) or not seen.isdisjoint(mine):
                raise ValueError(f"start route of vehicle {k} repeats a visit")
            seen |= mine
            # crew visits are placed again, all members at once
            visits = tuple(j for j in visits if prepared.single[j]) if prepared.any_crew else tuple(visits)
            loaded = prepared.load(k, visits) if visits else None
            if loaded is not None:
                route = routes[k]
                route.schedule, route.lazy, route.stock = loaded[0], loaded[1], list(loaded[2])
                placed.update(visits)

    urgent, several_days = prepared.urgent, prepared.several_days
    unassigned: list[tuple[int, Reason]] = []
    crews: dict[int, tuple[int, ...]] = {}
    span_cost = problem.span_cost
    def best_place(j: int, runner_up: bool) -> tuple[tuple[int, int, int, int | None, bool] | None, int | None, list[int]]:
        """j's cheapest feasible place (cost, vehicle, position, break leg, lazy) or None, and with
        `runner_up` the cost of its cheapest place on another vehicle (None: there is none); the vehicles
        too full to take it."""
        candidates: list[tuple[int, int, int]] = []  # (travel cost added, vehicle, position)
        full: list[int] = []
        here, serve, needs = location[j], service[j], parts[j]
        from_here, far_from_here = durations[here], distances[here]
        # who serves it costs too (`assign`): levels above those needed, another technician than the one asked for
        for k, assign in options[j]:
            if k in closed:
                continue
            route = routes[k]
            v = problem.vehicles[k]
            if needs and any(route.stock[p] < q for p, q in needs):
                continue
            if over_max_orders(v, len(route.schedule.visits) + 1):
                full.append(k)
                continue
            shape = route.shape(table)
            found = shape.tried.get(j)
            if found is not None:
                candidates.extend(found)
                continue
            found = shape.tried[j] = []
            opens, closes = table.window_open[j], table.window_close[j]
            if table.daily[j]:
                opens, closes = opens + table.day_shift[k], closes + table.day_shift[k]
            # Work, drives and the break must fit the shift whatever the waits: a cheap test that spares
            # the schedule walks of a full route.
            due = brk[k]
            room = v.shift_end - v.shift_start - serve - (due.duration if due is not None else 0) - shape.busy
            for position, (from_before, far_from_before, after, leg, far, leaves, due_by) in enumerate(shape.legs):
                to_here, onwards = from_before[here], from_here[after]
                if to_here + onwards - leg > room:
                    continue
                # j's start and the next stop's arrival are no sooner than without the break
                begins = leaves + to_here
                begins = begins if begins > opens else opens
                if begins > closes or begins + serve + onwards > due_by:
                    continue
                cost = distance_cost * (far_from_before[here] + far_from_here[after] - far) + assign
                if span_cost:
                    # at least the working time it adds (a lower bound: the walk below prices the waits)
                    cost += span_cost * (shape.floors[position] + to_here + serve + onwards - shape.span)
                found.append((cost, k, position))
            candidates.extend(found)
        candidates.sort()
        best: tuple[int, int, int, int | None, bool] | None = None  # (cost, vehicle, position, gap, lazy)
        second: int | None = None  # the cheapest on another vehicle than best's
        for travel, k, position in candidates:
            bound = second if runner_up else (None if best is None else best[0])
            if bound is not None and travel >= bound:
                break  # lateness and waits only add to `travel`, so no later candidate can be cheaper
            route = routes[k]
            shape = route.shape(table)
            outcome = shape.evaluated.get((j, position))
            if outcome is None:
                added, gap, break_bound, spans = _evaluate(table, route, j, position, bool(span_cost))
                lazy = True
                if added is None and break_bound:
                    # The lazy break rule failed after the break; another break position may still fit.
                    new = [*route.schedule.visits[:position], j, *route.schedule.visits[position:]]
                    schedule = table.best_schedule(k, new)
                    if schedule is not None:
                        added, gap, lazy = schedule.late_cost - route.schedule.late_cost, schedule.gap, False
                        spans = span(table, k, schedule) if span_cost else 0
                if added is not None and span_cost:
                    # the span it really adds, waits included, beyond the bound `travel` holds
                    from_before, _, after = shape.legs[position][:3]
                    added += span_cost * (spans - shape.floors[position] - from_before[location[j]] - service[j]
                                          - durations[location[j]][after])
                outcome = shape.evaluated[(j, position)] = (added, gap, lazy)
            added, gap, lazy = outcome
            if added is None:
                # it never fits there: the next time this route is as it is, j is not tried there again (a
                # candidate that does not fit neither changes the best nor ends the search for it early)
                shape.tried[j].remove((travel, k, position))
                continue
            total = travel + added
            if best is None or total < best[0]:
                if best is not None and best[1] != k:
                    second = best[0]
                best = (total, k, position, gap, lazy)
            elif k != best[1] and (second is None or total < second):
                second = total
        return best, second, full

    def settle(j: int, best: tuple[int, int, int, int | None, bool] | None, full: list[int]) -> None:
        """Place j at `best`, or leave it out (or, with `eject`, let it bump a less urgent visit)."""
        x = problem.visits[j]
        allowed = [k for k, _ in options[j]]
        if eject and x.drop_penalty is not None and x.drop_penalty == urgent:
            # an emergency takes the place of a less urgent visit when that beats its best insertion (none, or
            # a late one)
            bumped = _eject_for(table, routes, j, allowed, parts, beat=None if best is None else best[0])
            if bumped is not None:
                unassigned.append((bumped, Reason(rule=FULLY_BOOKED, vehicles=tuple(problem.qualified(bumped)))))
                return
        if (several_days or worth_it) and best is not None and x.drop_penalty is not None and best[0] > x.drop_penalty:
            # on a horizon of days an order whose best place costs more than leaving it out (a day late) is
            # left out; on one day the rule-based insertion serves whatever fits, as dispatchers' tools do
            unassigned.append((j, Reason(rule=FULLY_BOOKED, vehicles=tuple(allowed))))
            return
        if best is None:
            unassigned.append((j, left_out_reason(problem, j, full) if explain
                               else Reason(rule=FULLY_BOOKED, vehicles=tuple(allowed))))
            return
        _, k, position, gap, _lazy = best
        route = routes[k]
        new = [*route.schedule.visits[:position], j, *route.schedule.visits[position:]]
        lazy_schedule = table.schedule(k, new)
        if lazy_schedule is not None and lazy_schedule.gap == gap:
            route.schedule, route.lazy = lazy_schedule, True
        else:
            fixed = table.schedule(k, new, gap)
            if fixed is None:  # cannot happen: the evaluated schedule is the earliest one for this gap
                fixed = table.best_schedule(k, new)
            assert fixed is not None, f"visit {j}: evaluated insertion on vehicle {k} is not reproducible"
            route.schedule, route.lazy = fixed, False
        for p, q in parts[j]:
            route.stock[p] -= q

    def by_regret(pending: list[int]) -> None:
        """Insert visits of one class, each time the one that would lose most by waiting: the largest gap
        between its cheapest place and its cheapest on another vehicle (one with no other vehicle first)."""
        while pending:
            chosen: tuple[float, int, int] | None = None  # (-regret, index in pending, ...)
            places = []
            for i, j in enumerate(pending):
                best, second, full = best_place(j, True)
                places.append((best, full))
                x = problem.visits[j]
                if best is None or ((several_days or worth_it) and x.drop_penalty is not None
                                    and best[0] > x.drop_penalty):
                    continue  # left out below whatever the others do
                regret = float("inf") if second is None else second - best[0]
                if chosen is None or -regret < chosen[0]:
                    chosen = (-regret, i, j)
            if chosen is None:
                for j, (best, full) in zip(pending, places, strict=True):
                    settle(j, best, full)
                pending.clear()
                return
            _, i, j = chosen
            settle(j, places[i][0], places[i][1])
            del pending[i]

    pending: list[int] = []  # with `regret`: visits of the class being inserted
    for j in prepared.order:
        if j in placed:
            continue
        x = problem.visits[j]
        if pending and problem.visits[pending[0]].drop_penalty != x.drop_penalty:
            by_regret(pending)
        if only is not None and j not in only:
            unassigned.append((j, prepared.booked[j]))
            continue
        if x.crew > 1:
            placed_crew = _insert_crew(table, routes, j, parts)
            if placed_crew is None:
                unassigned.append((j, crew_reason(problem, j)))
            else:
                table, crews[j] = placed_crew
            continue
        if regret and x.drop_penalty is not None:
            pending.append(j)
            continue
        best, _, full = best_place(j, False)
        settle(j, best, full)
    by_regret(pending)

    solved = tuple(prepared.route_solution(table, k, r.schedule) for k, r in enumerate(routes))
    unassigned.sort()
    costs = solution_costs(problem, solved, unassigned, table=table)
    return Solution(routes=solved, unassigned=tuple(unassigned), objective=sum(costs.values()), costs=costs,
                    status="feasible", wall_time=time.perf_counter() - began, solutions_found=1,
                    crews=tuple(sorted(crews.items())))


# Per day, the crews tried are made of this many vehicles with the cheapest own insertion.
_CREW_CANDIDATES = 6


def _insert_crew(table: Timetable, routes: list[_Route], j: int,
                 parts: list[list[tuple[int, int]]]) -> tuple[Timetable, tuple[int, ...]] | None:
    """Insert crew visit j on `x.crew` routes of one day at a common start: each member's cheapest own
    position, the crew the cheapest whose members together hold the skills, one of them carries the parts
    (the lead, first in the result) and a pinned technician is among them. Returns the table with j's start
    fixed for later insertions, and the crew; None when no crew fits."""
    problem = table.problem
    x = problem.visits[j]
    own: dict[int, tuple[int, int, int]] = {}  # vehicle -> (cost added without j's lateness, position, start)
    for k, route in enumerate(routes):
        v = problem.vehicles[k]
        old = route.schedule.visits
        if refused(x, problem.technician_of(k)) or over_max_orders(v, len(old) + 1):
            continue
        base = problem.distance_cost * table.distance(k, old) + route.schedule.late_cost
        for position in range(len(old) + 1):
            new = (*old[:position], j, *old[position:])
            s = table.best_schedule(k, new)
            if s is None:
                continue
            cost = problem.distance_cost * table.distance(k, new) + s.late_cost - s.late[position] - base
            if k not in own or cost < own[k][0]:
                own[k] = (cost, position, s.starts[position])
    by_day: dict[int, list[int]] = {}
    for k in sorted(own, key=lambda k: (own[k][0], k)):
        by_day.setdefault(problem.vehicles[k].day, []).append(k)
    best: tuple[int, tuple[int, ...], Timetable, dict[int, Schedule]] | None = None
    for day in sorted(by_day):
        for team in itertools.combinations(by_day[day][:_CREW_CANDIDATES], x.crew):
            if not crew_covers((problem.vehicles[k] for k in team), x):
                continue
            if x.pinned is not None and x.pinned not in {problem.technician_of(k) for k in team}:
                continue
            lead = next((k for k in team if all(routes[k].stock[p] >= q for p, q in parts[j])), None)
            if lead is None:
                continue
            at = max(own[k][2] for k in team)
            fixed = table.with_window(j, (at, at))
            schedules: dict[int, Schedule] = {}
            cost = 0
            for k in team:
                old = routes[k].schedule.visits
                position = own[k][1]
                new = (*old[:position], j, *old[position:])
                s = fixed.best_schedule(k, new)
                if s is None:
                    break
                schedules[k] = s
                cost += (problem.distance_cost * (fixed.distance(k, new) - fixed.distance(k, old))
                         + s.late_cost - s.late[position] - routes[k].schedule.late_cost)
            else:
                cost += lateness(x, at)
                cost += 0 if x.preferred is None or x.preferred in {problem.technician_of(k) for k in team} \
                    else problem.preference_cost
                if best is None or cost < best[0]:
                    best = (cost, (lead, *(k for k in team if k != lead)), fixed, schedules)
    if best is None or (x.drop_penalty is not None and best[0] > x.drop_penalty):
        return None  # no crew fits, or serving costs more than leaving it out (the search keeps crews as placed)
    _, team, fixed, schedules = best
    for k in team:
        lazy = fixed.schedule(k, schedules[k].visits)
        routes[k].schedule, routes[k].lazy = (lazy, True) if lazy is not None else (schedules[k], False)
    for p, q in parts[j]:
        routes[team[0]].stock[p] -= q
    return fixed, team


def _eject_for(table: Timetable, routes: list[_Route], j: int, allowed: Sequence[int],
               parts: list[list[tuple[int, int]]], *, beat: int | None = None) -> int | None:
    """Put j in place of the one less urgent visit whose removal lets it in most cheaply (travel, lateness
    and the left-out visit's penalty against j's), when that lowers the cost and costs less than `beat`
    (the travel and lateness j's best plain insertion adds). Returns the visit left out, or None (nothing
    changed)."""
    problem = table.problem
    x = problem.visits[j]
    assert x.drop_penalty is not None
    best: tuple[int, int, int, tuple[int, ...]] | None = None  # (cost change, vehicle, bumped, new visits)
    for k in allowed:
        route, v = routes[k], problem.vehicles[k]
        who = problem.technician_of(k)
        if not qualified(v, x) or refused(x, who) or not pin_allows(x, who):
            continue
        old = route.schedule.visits
        old_cost = problem.distance_cost * table.distance(k, old) + route.schedule.late_cost
        for i, y in enumerate(old):
            penalty = problem.visits[y].drop_penalty
            if penalty is None or penalty >= x.drop_penalty or problem.visits[y].crew > 1:
                continue  # a crew visit leaves all its routes or none
            stock = list(route.stock)
            for p, q in parts[y]:
                stock[p] += q
            if any(stock[p] < q for p, q in parts[j]):
                continue
            rest = old[:i] + old[i + 1:]
            for position in range(len(rest) + 1):
                new = (*rest[:position], j, *rest[position:])
                schedule = table.schedule(k, new)
                if schedule is None:
                    continue
                change = (problem.distance_cost * table.distance(k, new) + schedule.late_cost - old_cost
                          + penalty - x.drop_penalty)
                if change < 0 and (best is None or change < best[0]):
                    best = (change, k, y, new)
    if best is None or (beat is not None and best[0] + x.drop_penalty >= beat):
        return None
    _, k, y, new = best
    route = routes[k]
    route.stock = [problem.vehicles[k].stock_of(p) for p in range(problem.num_parts)]  # _load takes out all
    loaded = _load(table, route, new, parts)
    assert loaded, f"visit {j}: the ejection on vehicle {k} is not reproducible"
    return y
