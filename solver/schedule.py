"""Times along one route: the earliest consistent schedule for a given visit order and break position.

Used to report a solution (every start as early as possible, which also minimises lateness), to test
insertions when explaining why a visit is left out, and by the insertion heuristic (solver/construct.py),
whose hot loops need the Problem as plain Python lists (`Timetable`). Pure Python over the Problem.

Break convention: a break taken on the leg to stop k starts at max(end of the previous service, break
earliest start); the technician then arrives at stop k no sooner than (leg start + travel + break) and no
sooner than the break end. So a break never overlaps a service and always fits between two stops. A break
still due on the way home: a strict schedule (the insertion's) takes it before the end of the shift; a
reported schedule lets a break that would start once the technician is home lie after `back` (off the
clock).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from solver.problem import DAY, Problem, Reason, RouteSolution, Vehicle
from solver.rules import (
    ETA_SHIFT,
    OVER_QUALIFICATION,
    PREFERRED_TECHNICIAN,
    REASSIGNMENT,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    WORKING_TIME,
    WORKLOAD_BALANCE,
    break_of,
    eta_shift,
    lateness,
    over_qualification,
    reassigned,
)
from solver.tables import OPEN


@dataclass(frozen=True)
class Timing:
    """A reported schedule (see `earliest`)."""

    depart: int
    arrivals: tuple[int, ...]
    starts: tuple[int, ...]
    back: int
    break_start: int | None  # None when the vehicle has no break
    break_leg: int | None  # the break is taken on the leg to stop `break_leg` (len(visits): the way home)


@dataclass(frozen=True)
class Schedule:
    """Earliest times of one route, leaving home at shift start."""

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


class Timetable:
    """The Problem as plain Python lists, and the earliest schedule of a route under its rules."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        # Python ints and lists: element access on numpy arrays is several times slower in these loops.
        self.durations: list[list[int]] = problem.durations.tolist()
        self.distances: list[list[int]] = problem.distances.tolist()
        visits = problem.visits
        self.location = [x.location for x in visits]
        self.service = [x.service for x in visits]
        self.window_open = [x.window[0] if x.window else -OPEN for x in visits]
        self.window_close = [x.window[1] if x.window else OPEN for x in visits]
        self.daily = [x.daily and x.window is not None for x in visits]
        self.day_shift = [v.day * DAY for v in problem.vehicles]
        self.deadline = [x.deadline if x.deadline is not None else OPEN for x in visits]
        self.lateness_cost = [x.lateness_cost for x in visits]
        # a visit whose start `lean` may move: one technician's, with no start planned before
        self.movable = [x.crew == 1 and x.previous_start is None for x in visits]
        self.vehicles = list(problem.vehicles)
        self.brk = [break_of(v) for v in problem.vehicles]
        self._over: dict[tuple[int, int], int] = {}  # (vehicle, visit) -> rules.over_qualification, as asked

    def over_qualification(self, vehicle: int, visit: int) -> int:
        """rules.over_qualification of `visit` served by `vehicle`, remembered."""
        key = (vehicle, visit)
        cost = self._over.get(key)
        if cost is None:
            problem = self.problem
            cost = self._over[key] = over_qualification(problem, self.vehicles[vehicle], problem.visits[visit])
        return cost

    def with_vehicle(self, k: int, vehicle: Vehicle) -> Timetable:
        """This table with vehicle k replaced (a longer shift, say); the matrices are shared, not copied."""
        out = copy.copy(self)
        out.vehicles, out.brk = list(self.vehicles), list(self.brk)
        out.vehicles[k], out.brk[k] = vehicle, break_of(vehicle)
        out._over = {}  # the new vehicle may hold other levels
        return out

    def with_window(self, j: int, window: tuple[int, int] | None) -> Timetable:
        """This table with visit j's appointment window replaced (None: no window)."""
        out = copy.copy(self)
        out.window_open, out.window_close = list(self.window_open), list(self.window_close)
        out.window_open[j], out.window_close[j] = window if window is not None else (-OPEN, OPEN)
        out.daily = list(self.daily)
        out.daily[j] = False  # the window given is where it lies, whatever the vehicle's day
        return out

    def schedule(
        self, vehicle: int, visits: Sequence[int], gap: int | None = None, *, strict: bool = True
    ) -> Schedule | None:
        """The earliest schedule with the break on leg `gap`, or, with gap None, as late as it still fits
        (earlier when waiting time hides it). `strict`: None as soon as a window, the break or the shift
        breaks, and a break still due on the way home is taken before the end of the shift; otherwise
        the schedule whatever it breaks (see `earliest`)."""
        return self.walk(vehicle, visits, gap, strict=strict)[0]

    def walk(
        self, vehicle: int, visits: Sequence[int], gap: int | None = None, *, strict: bool = True,
        position: int = 0, old: Schedule | None = None, old_lazy: bool = True, breakless: bool = False,
    ) -> tuple[Schedule | None, bool, int | None]:
        """The one earliest-time scheduler (see `schedule`). With `old`, the stored schedule of a route,
        `visits` replace old's stops from `position` on: the walk starts from old's state there and stops
        as soon as it rejoins old's times with the same break state (when `old_lazy`, old was scheduled
        by the lazy break rule, so its rest is what the walk would find). Stop indices (`gap`, the result's
        gap) count from the start of the route.

        `breakless`: as if the vehicle had no break (times no later than with it wherever it is taken).

        Returns (the times of the walked stops, or None when a rule breaks; whether that happened after
        the break was taken; the index in `visits` where old was rejoined, None when the walk went home)."""
        v = self.vehicles[vehicle]
        brk = None if breakless else self.brk[vehicle]
        earliest_break, latest_break_end, length = (
            (brk.earliest_start, brk.latest_end, brk.duration) if brk else (0, 0, 0)
        )
        durations, location, service = self.durations, self.location, self.service
        window_open, window_close, daily = self.window_open, self.window_close, self.daily
        shift = self.day_shift[vehicle]  # a daily window lies on this vehicle's day
        deadline, lateness_cost = self.deadline, self.lateness_cost
        t, at = v.shift_start, v.start  # end of the previous service, and where
        taken = brk is None
        break_start: int | None = None
        break_gap: int | None = None
        if old is not None:
            if position > 0:
                t, at = old.ends[position - 1], location[old.visits[position - 1]]
            if old.gap is not None and old.gap < position:
                taken, break_start, break_gap = True, old.break_start, old.gap
        arrivals: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        late: list[int] = []
        for k, x in enumerate(visits):
            there = location[x]
            arrival = t + durations[at][there]
            opens = window_open[x] + shift if daily[x] else window_open[x]
            ready = arrival if arrival > opens else opens
            if not taken:
                bs = t if t > earliest_break else earliest_break
                with_break = (arrival if arrival > bs else bs) + length
                if gap is not None:
                    take = position + k == gap
                else:  # free when waiting hides it; forced when after this stop it could no longer fit
                    after = ready + service[x]
                    take = with_break <= ready or (after if after > earliest_break else earliest_break) + length > latest_break_end
                if take:
                    if strict and bs + length > latest_break_end:
                        return None, False, None
                    taken, break_start, break_gap, arrival = True, bs, position + k, with_break
                    ready = with_break if with_break > opens else opens
            if strict and ready > (window_close[x] + shift if daily[x] else window_close[x]):
                return None, taken and brk is not None, None
            arrivals.append(arrival)
            starts.append(ready)
            t = ready + service[x]
            ends.append(t)
            late.append(max(0, ready - deadline[x]) * lateness_cost[x])
            at = there
            if old is not None and k > 0:
                was = position + k - 1  # index of x in old
                old_taken = brk is None or (old.gap is not None and old.gap < was + 1)
                if t == old.ends[was] and taken == old_taken and (old_lazy or taken):
                    if break_gap is None and old.gap is not None:
                        break_gap = old.gap + 1
                    return Schedule(tuple(visits[: k + 1]), tuple(arrivals), tuple(starts), tuple(ends), tuple(late),
                                    old.back, break_start, break_gap), False, k
        back = t + durations[at][v.end]
        if not taken:
            bs = t if t > earliest_break else earliest_break
            if strict and bs + length > latest_break_end:
                return None, False, None
            if strict or not (visits and bs >= back):  # off the clock once home, unless strict
                back = (back if back > bs else bs) + length
            break_start, break_gap = bs, position + len(visits)
        if strict and back > v.shift_end:
            return None, taken and brk is not None, None
        return Schedule(tuple(visits), tuple(arrivals), tuple(starts), tuple(ends), tuple(late), back, break_start,
                        break_gap), False, None

    def best_schedule(self, vehicle: int, visits: Sequence[int]) -> Schedule | None:
        """The least late strict schedule over every break position (the lazy one first)."""
        best = self.schedule(vehicle, visits)
        brk = self.brk[vehicle]
        if brk is None or (best is not None and best.late_cost == 0):
            return best  # no break position beats on time (a tie keeps the one found first)
        # Wherever the break is taken, every time is at least the one without it: when that misses a window
        # or the shift, so does every break position. Before the break the times are those without it, after
        # it the stops must start by their latest starts: break positions that cannot are not walked.
        bound = self.walk(vehicle, visits, breakless=True)[0]
        if bound is None:
            return best
        latest = self._latest_starts(vehicle, visits)
        v = self.vehicles[vehicle]
        shift = self.day_shift[vehicle]
        durations, location = self.durations, self.location
        t, at = v.shift_start, v.start
        for gap in range(len(visits) + 1):
            if best is not None and best.late_cost == 0:
                break
            if gap:
                t, at = bound.ends[gap - 1], location[visits[gap - 1]]
            bs = t if t > brk.earliest_start else brk.earliest_start
            if bs + brk.duration > brk.latest_end:
                break  # and on every later leg, which starts no sooner
            if gap < len(visits):
                x = visits[gap]
                arrival = t + durations[at][location[x]]
                ready = (arrival if arrival > bs else bs) + brk.duration
                opens = self.window_open[x] + shift if self.daily[x] else self.window_open[x]
                if (ready if ready > opens else opens) > latest[gap]:
                    continue
            elif max(t + durations[at][v.end], bs) + brk.duration > v.shift_end:
                continue
            s = self.schedule(vehicle, visits, gap)
            if s is not None and (best is None or s.late_cost < best.late_cost):
                best = s
        return best

    def _latest_starts(self, vehicle: int, visits: Sequence[int]) -> list[int]:
        """The latest start of each stop that lets the stops after it keep their windows and the technician
        be home by the end of the shift, without the break (no strict schedule starts a stop later)."""
        v = self.vehicles[vehicle]
        shift = self.day_shift[vehicle]
        durations, location, service = self.durations, self.location, self.service
        latest = [0] * len(visits)
        bound, at = v.shift_end, v.end  # the latest the technician may leave the stop after, and where it is
        for i in range(len(visits) - 1, -1, -1):
            x = visits[i]
            closes = self.window_close[x] + shift if self.daily[x] else self.window_close[x]
            last = bound - durations[location[x]][at] - service[x]
            latest[i] = bound = closes if closes < last else last
            at = location[x]
        return latest

    def bounds(self, vehicle: int, visits: Sequence[int]) -> tuple[list[int], list[int]]:
        """What holds of every strict schedule of `visits`, wherever the break is: each service ends no sooner
        than without the break (the first list), and each stop starts no later than `_latest_starts` (the
        second). Taking the break only delays what follows it, so a stop inserted where these bounds cannot
        hold never fits."""
        s = self.walk(vehicle, visits, breakless=True, strict=False)[0]
        assert s is not None  # only a strict schedule gives up
        return list(s.ends), self._latest_starts(vehicle, visits)

    def distance(self, vehicle: int, visits: Sequence[int]) -> int:
        """Metres driven including the way home; an idle technician drives nothing."""
        if not visits:
            return 0
        v = self.vehicles[vehicle]
        locs = [v.start, *(self.location[x] for x in visits), v.end]
        return sum(self.distances[p][q] for p, q in itertools.pairwise(locs))

    def route_solution(self, vehicle: int, s: Schedule | None) -> RouteSolution:
        """The RouteSolution of a strict schedule; the technician leaves home as late as keeps the first
        start (at shift start when the break is on the first leg), or with a working-time cost as late as
        keeps the time back home (`lean`)."""
        v = self.vehicles[vehicle]
        if s is None or not s.visits:
            return RouteSolution(vehicle=vehicle, visits=(), arrivals=(), starts=(), depart=v.shift_start,
                                 back=v.shift_start)
        arrivals, depart, starts = list(s.arrivals), v.shift_start, s.starts
        if s.gap != 0:
            travel = self.durations[v.start][self.location[s.visits[0]]]
            depart = max(v.shift_start, s.starts[0] - travel)
            arrivals[0] = depart + travel
            if self.problem.span_cost:
                leaner = self.lean(vehicle, s.visits, arrivals, s.starts, s.back)
                if leaner is not None:
                    depart, lean_arrivals, starts = leaner
                    arrivals = list(lean_arrivals)
        return RouteSolution(vehicle=vehicle, visits=s.visits, arrivals=tuple(arrivals), starts=starts,
                             depart=depart, back=s.back, break_start=s.break_start,
                             distance=self.distance(vehicle, s.visits))

    def leeway(self, vehicle: int, visits: Sequence[int], arrivals: Sequence[int], starts: Sequence[int],
               back: int) -> int:
        """How much later the technician can leave home (arrivals[0] the first arrival, leaving as late as
        keeps the first start) and still be back at `back`: the waits after the first stop, as far as every
        window (and deadline, where lateness costs) still holds on the way (Savelsbergh's forward slack).
        0 for a vehicle with a break, and a route with a crew's visit or a start planned before (their times
        are not the route's alone to move)."""
        v = self.vehicles[vehicle]
        if self.brk[vehicle] is not None:
            return 0
        shift = self.day_shift[vehicle]
        waits = 0
        room = OPEN
        for i, x in enumerate(visits):
            if not self.movable[x]:
                return 0
            if i:
                waits += starts[i] - arrivals[i]
            closes = self.window_close[x] + shift if self.daily[x] else self.window_close[x]
            if self.lateness_cost[x] and self.deadline[x] < closes:
                closes = max(starts[i], self.deadline[x])
            room = min(room, waits + closes - starts[i])
        room = min(room, waits + v.shift_end - back)
        return max(0, min(room, waits))

    def lean(self, vehicle: int, visits: Sequence[int], arrivals: Sequence[int], starts: Sequence[int],
             back: int) -> tuple[int, tuple[int, ...], tuple[int, ...]] | None:
        """(departure, arrivals, starts) leaving home `leeway` later, or None when there is none. The
        working time then holds no wait that leaving later could save (the benchmarks' convention)."""
        push = self.leeway(vehicle, visits, arrivals, starts, back)
        if not push:
            return None
        v = self.vehicles[vehicle]
        shift = self.day_shift[vehicle]
        durations, location, service = self.durations, self.location, self.service
        t, at = arrivals[0] - durations[v.start][location[visits[0]]] + push, v.start
        depart = t
        new_arrivals: list[int] = []
        new_starts: list[int] = []
        for x in visits:
            arrival = t + durations[at][location[x]]
            opens = self.window_open[x] + shift if self.daily[x] else self.window_open[x]
            begins = arrival if arrival > opens else opens
            new_arrivals.append(arrival)
            new_starts.append(begins)
            t, at = begins + service[x], location[x]
        return depart, tuple(new_arrivals), tuple(new_starts)


def earliest(
    problem: Problem, vehicle: int, visits: Sequence[int], break_leg: int | None = None, *,
    just_in_time: bool = False, table: Timetable | None = None,
) -> Timing:
    """Earliest schedule of `visits` on `vehicle`, reported whatever rules it breaks (see `broken_rules`).
    `break_leg` fixes the leg of the break; None picks one greedily (as late as it can still fit, or
    earlier when waiting time hides it). With `just_in_time`, the technician leaves home as late as keeps
    the first start unchanged, instead of at shift start. Pass the problem's `table` when calling often."""
    table = table or Timetable(problem)
    s = table.schedule(vehicle, visits, break_leg, strict=False)
    assert s is not None  # only a strict schedule gives up
    depart, arrivals, break_start = problem.vehicles[vehicle].shift_start, s.arrivals, s.break_start
    starts = s.starts
    if just_in_time and visits:
        depart, first_arrival, break_start = _leave_late(problem, vehicle, visits[0], s.starts[0], s.gap == 0,
                                                         break_start)
        arrivals = (first_arrival, *arrivals[1:])
        if problem.span_cost and s.gap != 0:
            leaner = table.lean(vehicle, visits, arrivals, starts, s.back)
            if leaner is not None:
                depart, arrivals, starts = leaner
    return Timing(depart, arrivals, starts, s.back, break_start, s.gap)


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


def working_time(problem: Problem, vehicle: int, visits: Sequence[int], table: Timetable | None = None) -> int:
    """Service plus driving, in seconds (waiting and the break do not count as work); the same read off the
    problem's `table` when given (plain lists: faster)."""
    if not visits:
        return 0
    v = problem.vehicles[vehicle]
    if table is not None:
        at, durations = table.location, table.durations
        stops = [v.start, *(at[j] for j in visits), v.end]
        return sum(durations[a][b] for a, b in itertools.pairwise(stops)) + sum(table.service[j] for j in visits)
    locs = [v.start, *(problem.visits[j].location for j in visits), v.end]
    dur = problem.durations
    drive = sum(int(dur[a, b]) for a, b in itertools.pairwise(locs))
    return drive + sum(problem.visits[j].service for j in visits)


def crew_synced(table: Timetable, sequences: Sequence[Sequence[int]], legs: Sequence[int | None] | None = None,
                *, rounds: int = 20) -> Timetable:
    """`table` with each crew visit's start fixed where all its members can be there (the latest of
    their earliest starts, pushed on until they agree, each route with its break on leg `legs[k]` or, without
    legs, where the earliest schedule puts it): a window of one instant on the visit. Routes
    without crew visits are untouched; a crew that cannot agree keeps the last times tried (the routes
    then break a window, which `broken_rules` reports)."""
    problem = table.problem
    members: dict[int, list[int]] = {}
    for k, seq in enumerate(sequences):
        for j in seq:
            if problem.visits[j].crew > 1:
                members.setdefault(j, []).append(k)
    if not members:
        return table
    out = table
    for _ in range(rounds):
        starts: dict[int, list[int]] = {}
        for k in sorted({k for ks in members.values() for k in ks}):
            sched = out.schedule(k, sequences[k], None if legs is None else legs[k], strict=False)
            assert sched is not None
            for j, t in zip(sched.visits, sched.starts, strict=True):
                if j in members:
                    starts.setdefault(j, []).append(t)
        moved = False
        for j, ts in starts.items():
            at = max(ts)
            if min(ts) != at or out.window_open[j] != at:
                moved = moved or min(ts) != at
                # one instant: every member starts then (the window as it was still bounds it)
                out = out.with_window(j, (at, at))
        if not moved:
            break
    return out


def solution_costs(problem: Problem, routes: Sequence[RouteSolution],
                   unassigned: Sequence[tuple[int, Reason]], *, table: Timetable | None = None) -> dict[str, int]:
    """Each objective part recomputed from the routes as reported (not read off a search). A crew visit
    is late, and served by its customer's preferred technician, once; over-qualification is a single
    technician's matter (a crew's is not charged). Pass the problem's `table` when calling often."""
    visits = problem.visits
    starts: dict[int, int] = {}
    serving: dict[int, list[int]] = {}  # visits a customer asked a technician for -> who serves them
    distance = reassigning = shifting = over = span = 0
    for r in routes:
        who = problem.technician_of(r.vehicle)
        distance += r.distance
        if r.visits:
            span += r.back - r.depart
        for j, s in zip(r.visits, r.starts, strict=True):
            x = visits[j]
            starts[j] = s
            if x.preferred is not None:
                serving.setdefault(j, []).append(who)
            if x.previous_start is not None:
                shifting += eta_shift(problem, x, s)
            if x.crew == 1:
                reassigning += reassigned(x, who)
                if problem.over_qualification_cost > 0:
                    over += over_qualification(problem, problem.vehicles[r.vehicle], x) if table is None \
                        else table.over_qualification(r.vehicle, j)
    balance = 0
    if problem.balance_cost > 0 and routes:
        # spread within each day: a technician's light Tuesday does not offset a colleague's heavy Monday
        by_day: dict[int, list[int]] = {}
        for r in routes:
            by_day.setdefault(problem.vehicles[r.vehicle].day, []).append(working_time(problem, r.vehicle, r.visits, table))
        balance = problem.balance_cost * sum(max(work) - min(work) for work in by_day.values())
    return {
        TRAVEL: problem.distance_cost * distance,
        RESPONSE_DEADLINE: sum(lateness(visits[j], s) for j, s in starts.items()),
        UNSERVED: sum(visits[j].drop_penalty or 0 for j, _ in unassigned),
        WORKLOAD_BALANCE: balance,
        REASSIGNMENT: problem.reassign_cost * reassigning,
        ETA_SHIFT: shifting,  # nothing without a start planned before (rules.eta_shift)
        OVER_QUALIFICATION: over,
        WORKING_TIME: problem.span_cost * span,
        PREFERRED_TECHNICIAN: sum(0 if visits[j].preferred in who else problem.preference_cost
                                  for j, who in serving.items()),
    }
