"""Times along one route: the earliest consistent schedule for a given visit order and break position.

Used to report a solution (every start as early as possible, which also minimises lateness) and to
test insertions when explaining why a visit is left out. Pure Python over the Problem.

Break convention: a break taken on the leg to stop k starts at max(end of the previous service, break
earliest start); the technician then arrives at stop k no sooner than (leg start + travel + break) and no
sooner than the break end. So a break never overlaps a service and always fits between two stops,
except that a break due after the technician is already home lies after `back` (off the clock).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from solver.problem import (
    APPOINTMENT_WINDOW,
    BREAK,
    MAX_ORDERS,
    RESPONSE_DEADLINE,
    SHIFT,
    TRAVEL,
    UNSERVED,
    VAN_STOCK,
    WORKLOAD_BALANCE,
    Break,
    Problem,
    Reason,
    RouteSolution,
    Vehicle,
)


def break_of(v: Vehicle) -> Break | None:
    """The vehicle's break, or None when its window does not fit the shift (no break can be due then)."""
    b = v.break_
    if b is None or min(b.latest_end, v.shift_end) - max(b.earliest_start, v.shift_start) < b.duration:
        return None
    return b


@dataclass(frozen=True)
class Timing:
    depart: int
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    back: int
    break_start: int | None  # None when the vehicle has no break
    break_leg: int | None  # the break is taken on the leg to stop `break_leg` (len(visits): the way home)


def _open(problem: Problem, j: int) -> int | None:
    w = problem.visits[j].window
    return None if w is None else w[0]


def earliest(
    problem: Problem, vehicle: int, visits: Sequence[int], break_leg: int | None = None, *,
    just_in_time: bool = False,
) -> Timing:
    """Earliest schedule of `visits` on `vehicle`. `break_leg` fixes the leg of the break; None picks one
    greedily (as late as it can still fit, or earlier when waiting time hides it). With `just_in_time`,
    the technician leaves home as late as keeps the first start unchanged, instead of at shift start."""
    v = problem.vehicles[vehicle]
    dur = problem.durations
    brk = break_of(v)
    n = len(visits)
    t = v.shift_start  # end of the previous service (or departure)
    at = v.start
    arrivals: list[int] = []
    starts: list[int] = []
    break_start: int | None = None
    leg_of_break: int | None = None
    for k in range(n + 1):
        nxt = problem.visits[visits[k]].location if k < n else v.end
        travel = int(dur[at, nxt])
        plain = t + travel
        if brk is not None and break_start is None:
            bs = max(t, brk.earliest_start)
            with_break = max(plain, bs) + brk.duration
            take = k == n or break_leg == k
            if break_leg is None and not take:
                j = visits[k]
                o = _open(problem, j)
                ready = plain if o is None else max(plain, o)
                # Free when waiting hides it; forced when after this stop it could no longer fit.
                end_next = ready + problem.visits[j].service
                take = with_break <= ready or max(end_next, brk.earliest_start) + brk.duration > brk.latest_end
            if take:
                break_start, leg_of_break = bs, k
                # A break that would start once the technician is home is off the clock: back stays.
                if not (k == n and n > 0 and bs >= plain):
                    plain = with_break
        if k == n:
            back = plain
            break
        j = visits[k]
        o = _open(problem, j)
        arrivals.append(plain)
        start = plain if o is None else max(plain, o)
        starts.append(start)
        t = start + problem.visits[j].service
        at = nxt
    depart = v.shift_start
    if just_in_time and n > 0:
        depart, arrivals[0], break_start = _leave_late(problem, vehicle, visits[0], starts[0], leg_of_break == 0,
                                                       break_start)
    return Timing(depart, tuple(arrivals), tuple(starts), back, break_start, leg_of_break)


def _leave_late(
    problem: Problem, vehicle: int, first: int, start: int, break_first: bool, break_start: int | None
) -> tuple[int, int, int | None]:
    """Leave home as late as still reaches the first start; the earliest schedule left at shift start."""
    v = problem.vehicles[vehicle]
    travel = int(problem.durations[v.start, problem.visits[first].location])
    brk = break_of(v)
    if break_first and brk is not None:
        d = brk.duration
        depart = max(v.shift_start, start - travel - d)
        bs = max(depart, brk.earliest_start)
        return depart, max(depart + travel, bs) + d, bs
    depart = max(v.shift_start, start - travel)
    return depart, depart + travel, break_start


def broken_rules(problem: Problem, vehicle: int, visits: Sequence[int], timing: Timing) -> tuple[str, ...]:
    """Hard rules this route breaks, in model order (empty: the route is feasible)."""
    v = problem.vehicles[vehicle]
    broken: list[str] = []
    for j, s in zip(visits, timing.starts, strict=True):
        w = problem.visits[j].window
        if w is not None and s > w[1]:
            broken.append(APPOINTMENT_WINDOW)
            break
    if timing.back > v.shift_end:
        broken.append(SHIFT)
    brk = break_of(v)
    if brk is not None and timing.break_start is not None and timing.break_start + brk.duration > brk.latest_end:
        broken.append(BREAK)
    for p in range(problem.num_parts):
        if sum(problem.visits[j].parts[p] if p < len(problem.visits[j].parts) else 0 for j in visits) > v.stock_of(p):
            broken.append(VAN_STOCK)
            break
    if v.max_visits is not None and len(visits) > v.max_visits:
        broken.append(MAX_ORDERS)
    return tuple(broken)


def route_distance(problem: Problem, vehicle: int, visits: Sequence[int]) -> int:
    """Metres driven including the way home; an idle technician drives nothing."""
    if not visits:
        return 0
    v = problem.vehicles[vehicle]
    locs = [v.start, *(problem.visits[j].location for j in visits), v.end]
    dist = problem.distances
    return int(sum(int(dist[a, b]) for a, b in itertools.pairwise(locs)))


def working_time(problem: Problem, vehicle: int, visits: Sequence[int]) -> int:
    """Service plus driving, in seconds (waiting and the break do not count as work)."""
    if not visits:
        return 0
    v = problem.vehicles[vehicle]
    locs = [v.start, *(problem.visits[j].location for j in visits), v.end]
    dur = problem.durations
    drive = sum(int(dur[a, b]) for a, b in itertools.pairwise(locs))
    return drive + sum(problem.visits[j].service for j in visits)


def solution_costs(problem: Problem, routes: Sequence[RouteSolution],
                   unassigned: Sequence[tuple[int, Reason]]) -> dict[str, int]:
    """Each objective part recomputed from the routes as reported (not read off a search)."""
    late = 0
    for r in routes:
        for j, s in zip(r.visits, r.starts, strict=True):
            x = problem.visits[j]
            if x.deadline is not None and s > x.deadline:
                late += (s - x.deadline) * x.lateness_cost
    balance = 0
    if problem.balance_cost > 0 and routes:
        work = [working_time(problem, r.vehicle, r.visits) for r in routes]
        balance = problem.balance_cost * (max(work) - min(work))
    return {
        TRAVEL: problem.distance_cost * sum(r.distance for r in routes),
        RESPONSE_DEADLINE: late,
        UNSERVED: sum(problem.visits[j].drop_penalty or 0 for j, _ in unassigned),
        WORKLOAD_BALANCE: balance,
    }
