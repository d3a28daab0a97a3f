"""The smallest changes that would let a visit be served (one left out) or served on time (one late).

For each target visit, `find_fixes` tries one change at a time against the routes as they stand, by
insertion with every hard rule (no search): more shift for a technician (overtime), the visit's appointment
window moved (window), a skill a technician lacks (skill), parts put in a van (part), or a less urgent
visit taken off a route (swap). A change is kept only when the strict schedule of the route with the visit
inserted, under that change, keeps every rule; its cost is what the objective gains or loses, by part,
plus what the change itself is judged to cost (`ChangeCosts`).

Positions count on the route without the target visit (and without the swapped visit). Costs and times are
in the Problem's units.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from solver.problem import Problem
from solver.rules import (
    ETA_SHIFT,
    REASSIGNMENT,
    RESPONSE_DEADLINE,
    TRAVEL,
    UNSERVED,
    eta_shift,
    over_max_orders,
    reassigned,
)
from solver.schedule import Schedule, Timetable

OVERTIME = "overtime"
WINDOW = "window"
SKILL = "skill"
PART = "part"
SWAP = "swap"
KINDS = (OVERTIME, WINDOW, SKILL, PART, SWAP)
CHANGE = "change"  # the cost part of the change itself
TOTAL = "total"
_PARTS = (TRAVEL, RESPONSE_DEADLINE, ETA_SHIFT, REASSIGNMENT, UNSERVED)
_DAY = 24 * 3600
_OVERTIME_POSITIONS = 3


@dataclass(frozen=True)
class ChangeCosts:
    """What each change is judged to cost, in objective units, to rank changes of different kinds: per
    second of overtime, per second an appointment window moves, per skill gained, per part transfer. A
    swap costs what the objective says (the swapped visit left out). `max_overtime` and `max_window_move`
    (seconds) bound what is proposed."""

    overtime: int = 0
    window_move: int = 0
    skill: int = 0
    part: int = 0
    max_overtime: int = 4 * 3600
    max_window_move: int = 8 * 3600


@dataclass(frozen=True)
class Fix:
    """Visit `visit` on vehicle `vehicle` at `position`, starting at `start`, under one change of `kind`.
    `costs` by objective part, with CHANGE and TOTAL; `late` seconds past its deadline."""

    kind: str
    visit: int
    vehicle: int
    position: int
    arrival: int
    start: int
    late: int
    costs: Mapping[str, int]
    overtime: int | None = None  # seconds added to the shift's end
    window: tuple[int, int] | None = None  # the new window
    skill: int | None = None
    part: int | None = None
    quantity: int | None = None
    swap: int | None = None  # the visit taken off the route
    # the routes of `vehicle` with the fix applied, for a caller that re-times or checks it
    route: tuple[int, ...] = field(default=(), compare=False)


def find_fixes(problem: Problem, routes: Sequence[Sequence[int]], targets: Sequence[int], *,
               costs: ChangeCosts | None = None, table: Timetable | None = None, top: int = 3,
               vehicles: int = 8, until: float | None = None) -> dict[int, list[Fix]]:
    """Up to `top` fixes per target visit, cheapest first (at most two of a kind while other kinds are
    left). A target on a route is a late visit: its fixes start it by its deadline. Each kind is tried on
    the `vehicles` nearest vehicles (by the detour of inserting the visit) for which it is the change
    that is missing, and on further ones (up to three times as many) while it has found nothing.

    `until` (a time.monotonic() moment): the targets, in the order given, not reached by then are not in
    the answer (a caller with a wall-clock limit); None looks at every target."""
    costs = costs or ChangeCosts()
    table = table or Timetable(problem)
    search = _Search(problem, routes, table, costs)
    out: dict[int, list[Fix]] = {}
    for j in targets:
        if until is not None and time.monotonic() >= until:
            break
        out[j] = _pick(search.fixes(j, vehicles), top)
    return out


def _pick(found: list[Fix], top: int) -> list[Fix]:
    found.sort(key=lambda f: (f.costs[TOTAL], KINDS.index(f.kind), f.vehicle, f.position))
    chosen: list[Fix] = []
    for f in found:
        if len(chosen) < top and sum(c.kind == f.kind for c in chosen) < 2:
            chosen.append(f)
    chosen += [f for f in found if f not in chosen][: top - len(chosen)]
    chosen.sort(key=lambda f: (f.costs[TOTAL], KINDS.index(f.kind), f.vehicle, f.position))
    return chosen


class _Search:
    def __init__(self, problem: Problem, routes: Sequence[Sequence[int]], table: Timetable,
                 costs: ChangeCosts) -> None:
        self.problem, self.table, self.costs = problem, table, costs
        self.routes = [list(r) for r in routes]
        self.where = {j: k for k, r in enumerate(self.routes) for j in r}
        self.base = [self._cost(table, k, r) for k, r in enumerate(self.routes)]
        self.dist = problem.distances
        self.need = [{p: q for p, q in enumerate(x.parts) if q > 0} for x in problem.visits]
        self.times = {k: table.schedule(k, r) for k, r in enumerate(self.routes)}
        self.route_need = [self._needs(r) for r in self.routes]
        # every insertion position of every route, for the detours of `_nearest`
        pv, pf, pt = [], [], []
        for k, route in enumerate(self.routes):
            v = problem.vehicles[k]
            locs = [v.start, *(problem.visits[x].location for x in route), v.end]
            pv += [k] * (len(route) + 1)
            pf += locs[:-1]
            pt += locs[1:]
        self.pv, self.pf, self.pt = np.array(pv, dtype=np.int64), np.array(pf, dtype=np.int64), np.array(pt, dtype=np.int64)
        idle = np.array([not r for r in self.routes], dtype=bool)
        self.leg = np.where(idle[self.pv], 0, self.dist[self.pf, self.pt]) if len(pv) else np.zeros(0, dtype=np.int64)

    def _cost(self, table: Timetable, k: int, route: Sequence[int], s: Schedule | None = None) -> dict[str, int]:
        """The route's objective parts; a route that breaks a rule as it stands is costed by its lenient times."""
        problem = self.problem
        s = s or table.schedule(k, route) or table.schedule(k, route, strict=False)
        assert s is not None
        return {
            TRAVEL: problem.distance_cost * table.distance(k, route),
            RESPONSE_DEADLINE: s.late_cost,
            ETA_SHIFT: sum(eta_shift(problem, problem.visits[j], t) for j, t in zip(route, s.starts, strict=True)),
            REASSIGNMENT: problem.reassign_cost * sum(reassigned(problem.visits[j], problem.technician_of(k))
                                                      for j in route),
            UNSERVED: 0,
        }

    def fixes(self, j: int, nearest: int) -> list[Fix]:
        problem = self.problem
        visit = problem.visits[j]
        k0 = self.where.get(j)
        # what taking j off its route (or leaving it out) saves, and the routes without it
        routes = [r if k != k0 else [x for x in r if x != j] for k, r in enumerate(self.routes)]
        if k0 is None:
            removed = dict.fromkeys(_PARTS, 0) | {UNSERVED: -(visit.drop_penalty or 0)}
            ref = self.base
        else:
            without = self._cost(self.table, k0, routes[k0])
            removed = {p: without[p] - self.base[k0][p] for p in _PARTS}
            ref = [*self.base[:k0], without, *self.base[k0 + 1:]]
        order = self._nearest(j, routes)
        who = self.problem.technician_of
        if visit.pinned is not None:
            order = [k for k in order if who(k) == visit.pinned]
        order = [k for k in order if who(k) not in visit.forbidden]  # no fix puts a refused technician there
        out: list[Fix] = []
        tried = dict.fromkeys(KINDS, 0)
        hits = dict.fromkeys(KINDS, 0)

        def turn(kind: str) -> bool:
            # the nearest few; further only while the kind has found nothing (up to three times as many)
            return tried[kind] < nearest or (hits[kind] == 0 and tried[kind] < 3 * nearest)

        def take(kind: str, fixes: list[Fix]) -> None:
            tried[kind] += 1
            hits[kind] += bool(fixes)
            out.extend(fixes)

        kinds = [kind for kind in KINDS if kind != WINDOW or visit.window is not None]
        for k in order:
            if not any(turn(kind) for kind in kinds):
                break
            vehicle = problem.vehicles[k]
            route = routes[k]
            # skills held below the level needed count as lacking too
            lacks = {s for s in visit.skills if vehicle.level_of(s) < visit.level_of(s)}
            fits_count = not over_max_orders(vehicle, len(route) + 1)
            short = self._short_with(k, route, j)
            if not lacks and fits_count and not short:
                if turn(OVERTIME):
                    take(OVERTIME, self._overtime(j, k, route, ref[k], removed))
                if visit.window is not None and turn(WINDOW):
                    take(WINDOW, self._window(j, k, route, ref[k], removed))
            if len(lacks) == 1 and fits_count and not short and turn(SKILL):
                take(SKILL, self._plain(j, k, route, ref[k], removed, SKILL, skill=next(iter(lacks)),
                                        change=self.costs.skill))
            if not lacks and fits_count and len(short) == 1 and turn(PART):
                (p, q), = short.items()
                take(PART, self._plain(j, k, route, ref[k], removed, PART, part=p, quantity=q, change=self.costs.part))
            if not lacks and turn(SWAP):
                take(SWAP, self._swaps(j, k, route, ref[k], removed))
        return out

    def _short_with(self, k: int, route: list[int], j: int) -> dict[int, int]:
        """`_short` of route k with j added, from the route's own needs when it is the route as it stands."""
        if route is not self.routes[k]:
            return self._short(k, [*route, j])
        v, need = self.problem.vehicles[k], self.route_need[k]
        return {p: need.get(p, 0) + q - v.stock_of(p) for p, q in self.need[j].items()
                if need.get(p, 0) + q > v.stock_of(p)}

    def _short(self, k: int, visits: Sequence[int]) -> dict[int, int]:
        """Part -> how many more van k needs to serve `visits` (empty: it carries them all)."""
        v = self.problem.vehicles[k]
        return {p: q - v.stock_of(p) for p, q in self._needs(visits).items() if q > v.stock_of(p)}

    def _needs(self, visits: Sequence[int]) -> dict[int, int]:
        """Part -> quantity the visits need together (sparse: rules.parts_needed walks every part type)."""
        total: dict[int, int] = {}
        for j in visits:
            for p, q in self.need[j].items():
                total[p] = total.get(p, 0) + q
        return total

    def _nearest(self, j: int, routes: list[list[int]]) -> list[int]:
        """Vehicles by the cheapest detour of inserting j anywhere on their route as it stands (home and
        back for an idle one)."""
        loc = self.problem.visits[j].location
        extra = self.dist[self.pf, loc] + self.dist[loc, self.pt] - self.leg
        detour = np.full(len(routes), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(detour, self.pv, extra)
        return [int(k) for k in np.lexsort((np.arange(len(routes)), detour))]

    def _tries(self, table: Timetable, j: int, k: int, route: list[int]) -> list[tuple[int, Schedule]]:
        """Every position of j on route k whose strict schedule keeps the rules (and, for a late visit, on time)."""
        out = []
        deadline = self.problem.visits[j].deadline if j in self.where else None
        # the stops ahead of j keep their times where the route starts as it stands (`same` stops): where even
        # arriving straight from them is too late, skip
        base, ahead = self.routes[k], self.times.get(k)
        same = 0
        while same < min(len(route), len(base)) and route[same] == base[same]:
            same += 1
        vehicle = table.vehicles[k]
        loc = table.location[j]
        for p in range(len(route) + 1):
            if ahead is not None and p <= same:
                free, at = (ahead.ends[p - 1], table.location[route[p - 1]]) if p else (vehicle.shift_start, vehicle.start)
                if max(free, table.window_open[j]) > table.window_close[j] or (deadline is not None and free > deadline):
                    if same == len(route):
                        break  # the stops ahead only end later further on
                    continue
                start = max(free + table.durations[at][loc], table.window_open[j])
                if start > table.window_close[j] or (deadline is not None and start > deadline):
                    continue
            seq = [*route[:p], j, *route[p:]]
            s = table.schedule(k, seq)
            if s is None:
                continue
            if deadline is not None and s.starts[p] > deadline:
                continue
            out.append((p, s))
        return out

    def _fix(self, table: Timetable, kind: str, j: int, k: int, route: list[int], p: int, s: Schedule,
             ref: Mapping[str, int], removed: Mapping[str, int], change: int, **fields: object) -> Fix:
        seq = [*route[:p], j, *route[p:]]
        after = self._cost(table, k, seq, s)
        parts = {part: after[part] - ref[part] + removed[part] for part in _PARTS}
        swap = fields.get("swap")
        if isinstance(swap, int):
            parts[UNSERVED] += self.problem.visits[swap].drop_penalty or 0
        parts[CHANGE] = change
        parts[TOTAL] = sum(parts.values())
        deadline = self.problem.visits[j].deadline
        late = 0 if deadline is None else max(0, s.starts[p] - deadline)
        return Fix(kind, j, k, p, s.arrivals[p], s.starts[p], late, parts, route=tuple(seq), **fields)  # type: ignore[arg-type]

    def _best(self, fixes: list[Fix]) -> list[Fix]:
        """The cheapest fix of a (kind, vehicle), so that other vehicles get their turn in the top few."""
        return [min(fixes, key=lambda f: (f.costs[TOTAL], f.position))] if fixes else []

    def _plain(self, j: int, k: int, route: list[int], ref: Mapping[str, int], removed: Mapping[str, int],
               kind: str, *, change: int, **fields: object) -> list[Fix]:
        return self._best([self._fix(self.table, kind, j, k, route, p, s, ref, removed, change, **fields)
                           for p, s in self._tries(self.table, j, k, route)])

    def _overtime(self, j: int, k: int, route: list[int], ref: Mapping[str, int],
                  removed: Mapping[str, int]) -> list[Fix]:
        vehicle = self.problem.vehicles[k]
        longer = self.table.with_vehicle(k, replace(vehicle, shift_end=vehicle.shift_end + self.costs.max_overtime))
        out = []
        # the few positions that need the least overtime (a fits-as-is position is not a change)
        tries = sorted(((s.back - vehicle.shift_end, p, s) for p, s in self._tries(longer, j, k, route)
                        if s.back > vehicle.shift_end), key=lambda x: (x[0], x[1]))
        for need, p, _ in tries[:_OVERTIME_POSITIONS]:
            minutes = math.ceil(need / 60) * 60
            exact = self.table.with_vehicle(k, replace(vehicle, shift_end=vehicle.shift_end + minutes))
            seq = [*route[:p], j, *route[p:]]
            s2 = exact.schedule(k, seq)
            if s2 is None:
                continue
            out.append(self._fix(exact, OVERTIME, j, k, route, p, s2, ref, removed, minutes * self.costs.overtime,
                                 overtime=minutes))
        return self._best(out)

    def _window(self, j: int, k: int, route: list[int], ref: Mapping[str, int],
                removed: Mapping[str, int]) -> list[Fix]:
        visit = self.problem.visits[j]
        assert visit.window is not None
        lo, hi = visit.window
        free = self.table.with_window(j, None)
        out = []
        for p, s in self._tries(free, j, k, route):
            start = s.starts[p]
            if lo <= start <= hi:
                continue  # fits as the window is: not a change
            # the window keeps its length; a bound it never had stays open
            if start > hi:
                end = math.ceil(start / 60) * 60
                window, moved = (lo if lo <= 0 else lo + end - hi, end), end - hi
            else:
                begin = start // 60 * 60
                window, moved = (begin, hi if hi - lo > _DAY else hi - lo + begin), lo - begin
            if moved > self.costs.max_window_move or window[0] < 0:
                continue
            moved_table = self.table.with_window(j, window)
            seq = [*route[:p], j, *route[p:]]
            s2 = moved_table.schedule(k, seq)
            if s2 is None:
                continue
            out.append(self._fix(moved_table, WINDOW, j, k, route, p, s2, ref, removed,
                                 moved * self.costs.window_move, window=window))
        return self._best(out)

    def _swaps(self, j: int, k: int, route: list[int], ref: Mapping[str, int],
               removed: Mapping[str, int]) -> list[Fix]:
        problem = self.problem
        urgency = problem.visits[j].drop_penalty or 0
        out = []
        for y in route:
            other = problem.visits[y]
            if other.pinned is not None or (other.drop_penalty is None or other.drop_penalty >= urgency):
                continue
            rest = [x for x in route if x != y]
            if self._short(k, [*rest, j]):
                continue
            for p, s in self._tries(self.table, j, k, rest):
                out.append(self._fix(self.table, SWAP, j, k, rest, p, s, ref, removed, 0, swap=y))
        return self._best(out)
