"""Priority-first cheapest feasible insertion: the usual rule-based auto-assign of field-service tools.

The engine runs it as a construction of its own on large days (where OR-Tools' first-solution heuristics
are slow) and keeps whichever plan costs less; benchmarks use it alone as the rule-based peer.

Visits are taken in priority order (highest drop penalty first, then earliest response deadline) and each
is inserted at its cheapest feasible position over all allowed technicians (skills, pin, appointment
window, shift including the drive home, break, van stock, max orders); nothing is ever moved again. The
cost of a position is the objective increase: travel plus the lateness it adds along the route. Visits
that fit nowhere are left out with a reason (solver/reasons.py).

Times are the earliest consistent ones for a given visit order and break position, by the strict
schedules of solver/schedule.py (`Timetable`, where the break convention is stated); `_evaluate` re-times
only the part of a route an insertion changes, by the same steps. The rules come from solver/rules.py.
Pure Python over the Problem; it shares no code with the OR-Tools model.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Collection, Sequence

from solver.problem import FULLY_BOOKED, MAX_ORDERS, Problem, Reason, Solution
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

__all__ = ["Schedule", "Timetable", "greedy_solve", "left_out_reason", "solution_costs"]


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


class _Route:
    """A route under construction: its schedule, what is left in the van, and whether the schedule is the
    lazy-break one (then any continuation from an equal state is the stored one)."""

    def __init__(self, table: Timetable, vehicle: int) -> None:
        v = table.problem.vehicles[vehicle]
        self.vehicle = vehicle
        self.stock = [v.stock_of(p) for p in range(table.problem.num_parts)]
        self.has_break = table.brk[vehicle] is not None
        self.schedule = Schedule((), (), (), (), (), v.shift_start, None, None)  # placeholder until first visit
        self.lazy = True

    def break_taken_before(self, stop: int) -> bool:
        """Is the break already taken before the leg to stop `stop`?"""
        return not self.has_break or (self.schedule.gap is not None and self.schedule.gap < stop)


def _evaluate(table: Timetable, route: _Route, j: int, position: int) -> tuple[int | None, int | None, bool]:
    """Lateness added by inserting j at `position` of `route` under the lazy break rule, re-timing only
    from the stored prefix until the old schedule is rejoined. Returns (added lateness or None if
    infeasible, gap of the break in the new route, whether the failure happened after the break was
    taken)."""
    old = route.schedule
    walked, break_bound, rejoined = table.walk(route.vehicle, (j, *old.visits[position:]), position=position,
                                               old=old, old_lazy=route.lazy)
    if walked is None:
        return None, None, break_bound
    # The walked stops replace old's from `position` up to where it rejoined (or to the end).
    replaced = old.late[position:] if rejoined is None else old.late[position:position + rejoined]
    return walked.late_cost - sum(replaced), walked.gap, False


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


def vehicle_options(problem: Problem) -> list[list[tuple[int, int]]]:
    """For each visit, the vehicles that may serve it (pins, skills at their levels, refusals) with what it
    costs that they serve it (over-qualification, a technician other than the one asked for)."""
    out: list[list[tuple[int, int]]] = []
    for j, x in enumerate(problem.visits):
        allowed = problem.qualified(j) if x.pinned is None else [
            k for k in range(len(problem.vehicles)) if problem.technician_of(k) == x.pinned]
        out.append([(k, over_qualification(problem, problem.vehicles[k], x)
                     + missed_preference(problem, x, problem.technician_of(k)))
                    for k in allowed
                    if qualified(problem.vehicles[k], x) and not refused(x, problem.technician_of(k))])
    return out


def greedy_solve(problem: Problem, start: Sequence[Sequence[int]] | None = None, *, eject: bool = False,
                 worth_it: bool = False, only: Collection[int] | None = None,
                 options: Sequence[Sequence[tuple[int, int]]] | None = None, explain: bool = True) -> Solution:
    """Priority-first cheapest feasible insertion; deterministic, no time limit needed.

    With `start` (visit indices per vehicle), those routes are kept as they are and the other visits are
    inserted into them; a start route that breaks a hard rule is not kept (its visits are inserted anew).
    With `eject`, a visit of the most urgent class (the highest drop penalty) takes the place of one less
    urgent visit when that costs less than its best insertion, or when it fits nowhere and that lowers the
    cost (an emergency bumps a routine job rather than wait for it). With `worth_it` (always on a horizon of
    several days), an optional visit whose best place costs more than leaving it out is left out. With `only`,
    no other visit than those is tried (the others off the start routes are left out as fully booked).
    `options` are `vehicle_options(problem)` when the caller has them already; without `explain`, a visit that
    fits nowhere is left out as fully booked without looking for the rule that keeps it out (a search that
    throws most plans away)."""
    if options is None:
        options = vehicle_options(problem)
    began = time.perf_counter()
    table = Timetable(problem)
    routes = [_Route(table, k) for k in range(len(problem.vehicles))]
    distances, durations, location, service, brk = table.distances, table.durations, table.location, table.service, table.brk
    parts = [[(p, q) for p, q in enumerate(x.parts) if q > 0] for x in problem.visits]
    placed: set[int] = set()
    if start is not None:
        if len(start) != len(problem.vehicles):
            raise ValueError(f"start has {len(start)} routes for {len(problem.vehicles)} vehicles")
        seen: set[int] = set()
        for k, visits in enumerate(start):
            if seen.intersection(visits) or len(set(visits)) != len(visits):
                raise ValueError(f"start route of vehicle {k} repeats a visit")
            seen.update(visits)
            # crew visits are placed again, all members at once
            visits = [j for j in visits if problem.visits[j].crew == 1]
            if visits and _load(table, routes[k], visits, parts):
                placed.update(visits)

    def priority(j: int) -> tuple[float, int, int]:
        x = problem.visits[j]
        penalty = float("inf") if x.drop_penalty is None else x.drop_penalty
        return (-penalty, x.deadline if x.deadline is not None else OPEN, j)

    urgent = max((x.drop_penalty for x in problem.visits if x.drop_penalty is not None), default=None)
    unassigned: list[tuple[int, Reason]] = []
    crews: dict[int, tuple[int, ...]] = {}
    several_days = len(problem.days) > 1
    for j in sorted((j for j in range(len(problem.visits)) if j not in placed), key=priority):
        x = problem.visits[j]
        if only is not None and j not in only:
            unassigned.append((j, Reason(rule=FULLY_BOOKED, vehicles=tuple(problem.qualified(j)))))
            continue
        if x.crew > 1:
            placed_crew = _insert_crew(table, routes, j, parts)
            if placed_crew is None:
                unassigned.append((j, crew_reason(problem, j)))
            else:
                table, crews[j] = placed_crew
            continue
        allowed = [k for k, _ in options[j]]
        candidates: list[tuple[int, int, int]] = []  # (travel cost added, vehicle, position)
        full: list[int] = []
        # who serves it costs too (`assign`): levels above those needed, another technician than the one asked for
        for k, assign in options[j]:
            route = routes[k]
            v = problem.vehicles[k]
            if any(route.stock[p] < q for p, q in parts[j]):
                continue
            if over_max_orders(v, len(route.schedule.visits) + 1):
                full.append(k)
                continue
            stops = [v.start, *(location[y] for y in route.schedule.visits), v.end]
            here = location[j]
            # Work, drives and the break must fit the shift whatever the waits: a cheap test that spares
            # the schedule walks of a full route.
            due = brk[k]
            room = v.shift_end - v.shift_start - service[j] - (due.duration if due is not None else 0) \
                - sum(service[y] for y in route.schedule.visits) \
                - (sum(durations[a][b] for a, b in itertools.pairwise(stops)) if len(stops) > 2 else 0)
            for position in range(len(stops) - 1):
                before, after = stops[position], stops[position + 1]
                if len(stops) > 2:
                    if durations[before][here] + durations[here][after] - durations[before][after] > room:
                        continue
                elif durations[before][here] + durations[here][after] > room:
                    continue
                extra = distances[before][here] + distances[here][after] - (distances[before][after] if len(stops) > 2 else 0)
                candidates.append((problem.distance_cost * extra + assign, k, position))
        candidates.sort()
        best: tuple[int, int, int, int | None, bool] | None = None  # (cost, vehicle, position, gap, lazy)
        for travel, k, position in candidates:
            if best is not None and travel >= best[0]:
                break  # lateness only adds, so no later candidate can be cheaper
            route = routes[k]
            added, gap, break_bound = _evaluate(table, route, j, position)
            lazy = True
            if added is None and break_bound:
                # The lazy break rule failed after the break; another break position may still fit.
                new = [*route.schedule.visits[:position], j, *route.schedule.visits[position:]]
                schedule = table.best_schedule(k, new)
                if schedule is not None:
                    added, gap, lazy = schedule.late_cost - route.schedule.late_cost, schedule.gap, False
            if added is not None and (best is None or travel + added < best[0]):
                best = (travel + added, k, position, gap, lazy)
        if eject and x.drop_penalty is not None and x.drop_penalty == urgent:
            # an emergency takes the place of a less urgent visit when that beats its best insertion (none, or
            # a late one)
            bumped = _eject_for(table, routes, j, allowed, parts, beat=None if best is None else best[0])
            if bumped is not None:
                unassigned.append((bumped, Reason(rule=FULLY_BOOKED, vehicles=tuple(problem.qualified(bumped)))))
                continue
        if (several_days or worth_it) and best is not None and x.drop_penalty is not None and best[0] > x.drop_penalty:
            # on a horizon of days an order whose best place costs more than leaving it out (a day late) is
            # left out; on one day the rule-based insertion serves whatever fits, as dispatchers' tools do
            unassigned.append((j, Reason(rule=FULLY_BOOKED, vehicles=tuple(allowed))))
            continue
        if best is None:
            unassigned.append((j, left_out_reason(problem, j, full) if explain
                               else Reason(rule=FULLY_BOOKED, vehicles=tuple(allowed))))
            continue
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

    solved = tuple(table.route_solution(k, r.schedule) for k, r in enumerate(routes))
    unassigned.sort()
    costs = solution_costs(problem, solved, unassigned)
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
