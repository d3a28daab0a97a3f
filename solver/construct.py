"""Priority-first cheapest feasible insertion: the usual rule-based auto-assign of field-service tools.

The engine runs it as a construction of its own on large days (where OR-Tools' first-solution heuristics
are slow) and keeps whichever plan costs less; benchmarks use it alone as the rule-based peer.

Visits are taken in priority order (highest drop penalty first, then earliest response deadline) and each
is inserted at its cheapest feasible position over all allowed technicians (skills, pin, appointment
window, shift including the drive home, break, van stock, max orders); nothing is ever moved again. The
cost of a position is the objective increase: travel plus the lateness it adds along the route. Visits
that fit nowhere are left out with a reason.

Times are the earliest consistent ones for a given visit order and break position. Break convention (the
same one the independent checker accepts): a break taken on the leg to stop k starts at max(end of the
previous service, break earliest start) and the technician is ready at stop k no sooner than
max(leg start + travel, break start) + break duration, so the break never overlaps a service. Pure Python
over the Problem; it shares no code with the OR-Tools model.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from solver.problem import (
    FULLY_BOOKED,
    MAX_ORDERS,
    PINNED_TECHNICIAN,
    REQUIRED_SKILL,
    VAN_STOCK,
    Break,
    Problem,
    Reason,
    RouteSolution,
    Solution,
    Vehicle,
)
from solver.schedule import solution_costs

__all__ = ["Timetable", "greedy_solve", "left_out_reason", "solution_costs"]

_FAR = 10**12  # an open window bound or a missing deadline, in seconds


@dataclass(frozen=True)
class Schedule:
    """Earliest times of one route; depart is the shift start."""

    visits: tuple[int, ...]
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    late: tuple[int, ...]  # lateness cost per stop
    back: int
    break_start: int | None
    gap: int | None  # the break is taken on the leg to stop `gap` (len(visits): the way home)

    @property
    def late_cost(self) -> int:
        return sum(self.late)


def _due_break(v: Vehicle) -> Break | None:
    """The break a technician must take; none when its window does not overlap the shift by its length
    (the solver's convention: such a break can never be due)."""
    b = v.break_
    if b is None or min(b.latest_end, v.shift_end) - max(b.earliest_start, v.shift_start) < b.duration:
        return None
    return b


class Timetable:
    """The Problem as plain Python lists, and the earliest schedule of a route under our rules."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        # Python ints and lists: element access on numpy arrays is several times slower in these loops.
        self.dur: list[list[int]] = problem.durations.tolist()
        self.dist: list[list[int]] = problem.distances.tolist()
        vs = problem.visits
        self.loc = [v.location for v in vs]
        self.svc = [v.service for v in vs]
        self.opn = [v.window[0] if v.window else -_FAR for v in vs]
        self.cls = [v.window[1] if v.window else _FAR for v in vs]
        self.due = [v.deadline if v.deadline is not None else _FAR for v in vs]
        self.lcost = [v.lateness_cost for v in vs]
        self.brk = [_due_break(v) for v in problem.vehicles]

    def schedule(self, vehicle: int, visits: Sequence[int], gap: int | None = None) -> Schedule | None:
        """Earliest schedule with the break on leg `gap`, or, with gap None, as late as it still fits
        (earlier when waiting time hides it). None when a hard time rule breaks."""
        v = self.problem.vehicles[vehicle]
        brk = self.brk[vehicle]
        taken = brk is None
        e, lst, d = (brk.earliest_start, brk.latest_end, brk.duration) if brk else (0, 0, 0)
        t, a = v.shift_start, v.start
        n = len(visits)
        arr: list[int] = []
        sts: list[int] = []
        ends: list[int] = []
        late: list[int] = []
        bstart: int | None = None
        bgap: int | None = None
        dur = self.dur
        for k, x in enumerate(visits):
            b = self.loc[x]
            plain = t + dur[a][b]
            o = self.opn[x]
            ready = plain if plain > o else o
            arrival = plain
            if not taken:
                bs = t if t > e else e
                wb = (plain if plain > bs else bs) + d
                take = k == gap if gap is not None else (
                    wb <= ready or max(ready + self.svc[x], e) + d > lst
                )
                if take:
                    if bs + d > lst:
                        return None
                    taken, bstart, bgap, arrival = True, bs, k, wb
                    ready = wb if wb > o else o
            if ready > self.cls[x]:
                return None
            arr.append(arrival)
            sts.append(ready)
            t = ready + self.svc[x]
            ends.append(t)
            late.append(max(0, ready - self.due[x]) * self.lcost[x])
            a = b
        back = t + dur[a][v.end]
        if not taken:
            bs = t if t > e else e
            if bs + d > lst:
                return None
            back = max(back, bs) + d
            bstart, bgap = bs, n
        if back > v.shift_end:
            return None
        return Schedule(tuple(visits), tuple(arr), tuple(sts), tuple(ends), tuple(late), back, bstart, bgap)

    def best_schedule(self, vehicle: int, visits: Sequence[int]) -> Schedule | None:
        """The least late feasible schedule over every break position (the lazy one first)."""
        best = self.schedule(vehicle, visits)
        if self.brk[vehicle] is None:
            return best
        for g in range(len(visits) + 1):
            s = self.schedule(vehicle, visits, g)
            if s is not None and (best is None or s.late_cost < best.late_cost):
                best = s
        return best

    def distance(self, vehicle: int, visits: Sequence[int]) -> int:
        if not visits:
            return 0
        v = self.problem.vehicles[vehicle]
        locs = [v.start, *(self.loc[x] for x in visits), v.end]
        return sum(self.dist[p][q] for p, q in itertools.pairwise(locs))

    def route_solution(self, vehicle: int, s: Schedule | None) -> RouteSolution:
        """The RouteSolution of a schedule; the technician leaves home as late as keeps the first start."""
        v = self.problem.vehicles[vehicle]
        if s is None or not s.visits:
            return RouteSolution(vehicle=vehicle, visits=(), arrivals=(), starts=(), depart=v.shift_start,
                                 back=v.shift_start)
        arrivals, depart = list(s.arrivals), v.shift_start
        if s.gap != 0:  # with the break on the first leg, leave at shift start
            travel = self.dur[v.start][self.loc[s.visits[0]]]
            depart = max(v.shift_start, s.starts[0] - travel)
            arrivals[0] = depart + travel
        return RouteSolution(vehicle=vehicle, visits=s.visits, arrivals=tuple(arrivals), starts=s.starts,
                             depart=depart, back=s.back, break_start=s.break_start,
                             distance=self.distance(vehicle, s.visits))


def left_out_reason(problem: Problem, j: int, full: Sequence[int] = ()) -> Reason:
    """Why visit j is on no route, checked in the order a dispatcher would: skill, pin, parts, capacity."""
    visit = problem.visits[j]
    vehicles = problem.vehicles
    qualified = problem.qualified(j)
    if visit.pinned is not None:
        pv = vehicles[visit.pinned]
        broken = tuple(r for r, bad in ((REQUIRED_SKILL, not pv.has_skills(visit.skills)),
                                        (VAN_STOCK, not pv.carries(visit.parts))) if bad)
        return Reason(rule=PINNED_TECHNICIAN, vehicle=visit.pinned, broken=broken)
    if not qualified:
        owned = frozenset().union(*(v.skills for v in vehicles)) if vehicles else frozenset()
        missing = sorted(visit.skills - owned)
        return Reason(rule=REQUIRED_SKILL, skill=missing[0] if missing else None)
    if not any(vehicles[k].carries(visit.parts) for k in qualified):
        for p, q in enumerate(visit.parts):
            if q > 0 and not any(vehicles[k].stock_of(p) >= q for k in qualified):
                return Reason(rule=VAN_STOCK, part=p, quantity=q)
        return Reason(rule=VAN_STOCK)
    if full and set(qualified) <= set(full):
        return Reason(rule=MAX_ORDERS, vehicles=tuple(qualified))
    return Reason(rule=FULLY_BOOKED, vehicles=tuple(qualified))


class _Route:
    """A route under construction: its schedule, what is left in the van, and whether the schedule is the
    lazy-break one (then any continuation from an equal state is the stored one)."""

    def __init__(self, tt: Timetable, vehicle: int) -> None:
        v = tt.problem.vehicles[vehicle]
        self.vehicle = vehicle
        self.stock = [v.stock_of(p) for p in range(tt.problem.num_parts)]
        self.has_break = tt.brk[vehicle] is not None
        self.sched = Schedule((), (), (), (), (), v.shift_start, None, None)  # placeholder until first visit
        self.lazy = True

    def taken_before(self, k: int) -> bool:
        """Is the break already taken before the leg to stop k?"""
        return not self.has_break or (self.sched.gap is not None and self.sched.gap < k)


def _evaluate(tt: Timetable, r: _Route, j: int, p: int) -> tuple[int | None, int | None, bool]:
    """Lateness added by inserting j at position p of r under the lazy break rule, from the stored prefix,
    stopping as soon as the old schedule is rejoined. Returns (added lateness or None if infeasible, gap of
    the break in the new route, whether the failure happened after the break was taken)."""
    v = tt.problem.vehicles[r.vehicle]
    s = r.sched
    n = len(s.visits)
    brk = tt.brk[r.vehicle]
    e, lst, d = (brk.earliest_start, brk.latest_end, brk.duration) if brk else (0, 0, 0)
    taken = r.taken_before(p)
    gap = s.gap if (s.gap is not None and s.gap < p) else None
    if p == 0:
        t, a = v.shift_start, v.start
    else:
        t, a = s.ends[p - 1], tt.loc[s.visits[p - 1]]
    dur, loc, svc, opn, cls, due, lcost = tt.dur, tt.loc, tt.svc, tt.opn, tt.cls, tt.due, tt.lcost
    added = 0
    seq = [j, *s.visits[p:]]
    for i, x in enumerate(seq):
        b = loc[x]
        plain = t + dur[a][b]
        o = opn[x]
        ready = plain if plain > o else o
        if not taken:
            bs = t if t > e else e
            wb = (plain if plain > bs else bs) + d
            if wb <= ready or max(ready + svc[x], e) + d > lst:
                if bs + d > lst:
                    return None, None, False
                taken, gap = True, p + i
                ready = wb if wb > o else o
        if ready > cls[x]:
            return None, None, taken and brk is not None
        t = ready + svc[x]
        new_late = max(0, ready - due[x]) * lcost[x]
        if i == 0:
            added += new_late
            a = b
            continue
        old = p + i - 1  # index of x in the old route
        added += new_late - s.late[old]
        a = b
        old_taken = r.taken_before(old + 1)
        if t == s.ends[old] and taken == old_taken and (r.lazy or taken):
            if gap is None and s.gap is not None:
                gap = s.gap + 1
            return added, gap, False
    back = t + dur[a][v.end]
    if not taken:
        bs = t if t > e else e
        if bs + d > lst:
            return None, None, False
        back = max(back, bs) + d
        gap = n + 1
    if back > v.shift_end:
        return None, None, taken and brk is not None
    return added, gap, False


def _load(tt: Timetable, r: _Route, seq: Sequence[int], parts: list[list[tuple[int, int]]]) -> bool:
    """Put the given visit order on route r if it keeps every hard rule; False (r untouched) otherwise."""
    problem = tt.problem
    v = problem.vehicles[r.vehicle]
    if v.max_visits is not None and len(seq) > v.max_visits:
        return False
    stock = list(r.stock)
    for j in seq:
        x = problem.visits[j]
        if not v.has_skills(x.skills) or (x.pinned is not None and x.pinned != r.vehicle):
            return False
        for p, q in parts[j]:
            stock[p] -= q
    if any(q < 0 for q in stock):
        return False
    lazy = tt.schedule(r.vehicle, seq)
    sched = lazy if lazy is not None else tt.best_schedule(r.vehicle, seq)
    if sched is None:
        return False
    r.sched, r.lazy, r.stock = sched, lazy is not None, stock
    return True


def greedy_solve(problem: Problem, start: Sequence[Sequence[int]] | None = None) -> Solution:
    """Priority-first cheapest feasible insertion; deterministic, no time limit needed.

    With `start` (visit indices per vehicle), those routes are kept as they are and the other visits are
    inserted into them; a start route that breaks a hard rule is not kept (its visits are inserted anew)."""
    t0 = time.perf_counter()
    tt = Timetable(problem)
    routes = [_Route(tt, k) for k in range(len(problem.vehicles))]
    dist, loc = tt.dist, tt.loc
    cap = [v.max_visits for v in problem.vehicles]
    parts = [[(p, q) for p, q in enumerate(x.parts) if q > 0] for x in problem.visits]
    placed: set[int] = set()
    if start is not None:
        if len(start) != len(problem.vehicles):
            raise ValueError(f"start has {len(start)} routes for {len(problem.vehicles)} vehicles")
        seen: set[int] = set()
        for k, seq in enumerate(start):
            if seen.intersection(seq) or len(set(seq)) != len(seq):
                raise ValueError(f"start route of vehicle {k} repeats a visit")
            seen.update(seq)
            if seq and _load(tt, routes[k], seq, parts):
                placed.update(seq)

    def key(j: int) -> tuple[float, int, int]:
        x = problem.visits[j]
        pen = float("inf") if x.drop_penalty is None else x.drop_penalty
        return (-pen, x.deadline if x.deadline is not None else _FAR, j)

    unassigned: list[tuple[int, Reason]] = []
    for j in sorted((j for j in range(len(problem.visits)) if j not in placed), key=key):
        x = problem.visits[j]
        allowed = [x.pinned] if x.pinned is not None else problem.qualified(j)
        candidates: list[tuple[int, int, int]] = []  # (travel cost added, vehicle, position)
        full: list[int] = []
        for k in allowed:
            r = routes[k]
            if not problem.vehicles[k].has_skills(x.skills):
                continue
            if any(r.stock[p] < q for p, q in parts[j]):
                continue
            limit = cap[k]
            if limit is not None and len(r.sched.visits) >= limit:
                full.append(k)
                continue
            v = problem.vehicles[k]
            locs = [v.start, *(loc[y] for y in r.sched.visits), v.end]
            b = loc[j]
            for p in range(len(locs) - 1):
                u, w = locs[p], locs[p + 1]
                extra = dist[u][b] + dist[b][w] - (dist[u][w] if len(locs) > 2 else 0)
                candidates.append((problem.distance_cost * extra, k, p))
        candidates.sort()
        best: tuple[int, int, int, int | None, bool] | None = None  # (cost, vehicle, position, gap, lazy)
        for travel, k, p in candidates:
            if best is not None and travel >= best[0]:
                break  # lateness only adds, so no later candidate can be cheaper
            r = routes[k]
            added, gap, break_bound = _evaluate(tt, r, j, p)
            lazy = True
            if added is None and break_bound:
                # The lazy break rule failed after the break; another break position may still fit.
                new = [*r.sched.visits[:p], j, *r.sched.visits[p:]]
                s = tt.best_schedule(k, new)
                if s is not None:
                    added, gap, lazy = s.late_cost - r.sched.late_cost, s.gap, False
            if added is not None and (best is None or travel + added < best[0]):
                best = (travel + added, k, p, gap, lazy)
        if best is None:
            unassigned.append((j, left_out_reason(problem, j, full)))
            continue
        _, k, p, gap, _lazy = best
        r = routes[k]
        new = [*r.sched.visits[:p], j, *r.sched.visits[p:]]
        lazy_sched = tt.schedule(k, new)
        if lazy_sched is not None and lazy_sched.gap == gap:
            r.sched, r.lazy = lazy_sched, True
        else:
            fixed = tt.schedule(k, new, gap)
            if fixed is None:  # cannot happen: the evaluated schedule is the earliest one for this gap
                fixed = tt.best_schedule(k, new)
            assert fixed is not None, f"visit {j}: evaluated insertion on vehicle {k} is not reproducible"
            r.sched, r.lazy = fixed, False
        for p_, q in parts[j]:
            r.stock[p_] -= q

    solved = tuple(tt.route_solution(k, r.sched) for k, r in enumerate(routes))
    unassigned.sort()
    costs = solution_costs(problem, solved, unassigned)
    return Solution(routes=solved, unassigned=tuple(unassigned), objective=sum(costs.values()), costs=costs,
                    status="feasible", wall_time=time.perf_counter() - t0, solutions_found=1)
