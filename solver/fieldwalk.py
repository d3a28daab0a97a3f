"""Ruin and recreate for dispatch days, compiled: the walk of solver/vrptw.py with the rules a field day has.

On a 200-order x 25-technician day the general walk (solver/lns.py) makes about 150-300 steps a CPU second,
nine tenths of it in the rule book's regret insertion. This walk makes the same kind of step (SISR's slack
string removals, each visit back at its cheapest feasible place, a few places blinked over, simulated
annealing; see vrptw.py) tens of times faster, pricing and checking every rule that binds on such a day:

- required skill, refused and pinned technician: a visit goes only to the vehicles `construct.vehicle_options`
  gives it, at the cost it names (over-qualification, another technician than the one asked for);
- appointment window and shift: service starts by the window's close, home by the shift's end;
- break: the route re-timed as the rule book's scheduler does (`schedule.Timetable.walk`: the lazy rule, and
  when that breaks a rule the least late leg, as `construct._load` loads a route);
- van stock of every part type, max orders;
- response deadline: each route's lateness re-simulated (routes are 5-15 stops), the most urgent class's
  weighed as the local search and the general walk weigh it (model.URGENT_LATENESS_EMPHASIS);
- unserved: each visit's drop penalty; the recreate inserts the priority classes in order, as the rule book's
  insertion does, and leaves out a visit whose cheapest place costs more than its penalty.

Days with crews, daily windows (several days), a working-time or balance cost, or a re-plan's stability
costs are not for it (`fits`). The walk's best plan is loaded back through the rule book's insertion
(`construct.greedy_solve` from its routes), which keeps a route only if it keeps every hard rule.

Bounded by steps, the walk depends on the seed alone; bounded by a deadline, the temperature falls with the
time spent instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np

from solver import kernels
from solver.construct import greedy_solve, vehicle_options
from solver.lns import Walk
from solver.model import URGENT_LATENESS_EMPHASIS
from solver.problem import Problem, Solution
from solver.rules import break_of
from solver.tables import OPEN
from solver.vrptw import AVG_REMOVED, BLINK, CHUNK, MAX_STRING  # the ruin's and the loop's, as there

# Simulated annealing from START to END, as shares of the start plan's travel per served visit.
TEMP_START = 10.0
TEMP_END = 1.0
# `on_better` hears of a new best at most once in this many steps, and of the last one at the end: each
# report loads the plan through the rule book (20-40 ms on 200 x 25), which at every improvement cost a third
# of the steps (83,328 against 132,416 in 8 CPU s on Lyon 1).
REPORT_STEPS = 4096
# Whether the recreate inserts the priority classes in order (within a class in SISR's orders): without it
# the six tuning days end 8.3 % dearer at 30,000 steps (benchmarks/RESULTS.md).
PRIORITY_FIRST = True
_MANDATORY = 10**13

log = logging.getLogger(__name__)


def fits(problem: Problem) -> bool:
    """Whether every rule and cost of the day is one the compiled walk prices: one day, one technician per
    visit, no working-time or balance cost, no re-plan stability costs."""
    if problem.balance_cost or problem.span_cost or problem.max_moves is not None:
        return False
    if any(v.day != 0 for v in problem.vehicles):
        return False
    for x in problem.visits:
        if (x.crew != 1 or x.daily
                or (x.previous_vehicle is not None and problem.reassign_cost > 0)
                or (x.previous_start is not None and problem.shift_cost > 0)):
            return False
    return True


class _Arrays:
    """The problem as the compiled loop reads it, and the walk's state."""

    def __init__(self, problem: Problem, routes: Sequence[Sequence[int]]) -> None:
        visits, vehicles = problem.visits, problem.vehicles
        n, fleet = len(visits), len(vehicles)
        parts = max(1, problem.num_parts)
        i64 = np.int64
        self.loc = np.array([x.location for x in visits], dtype=i64)
        self.svc = np.array([x.service for x in visits], dtype=i64)
        self.opn = np.array([x.window[0] if x.window else -OPEN for x in visits], dtype=i64)
        self.cls = np.array([x.window[1] if x.window else OPEN for x in visits], dtype=i64)
        self.ddl = np.array([OPEN if x.deadline is None else x.deadline for x in visits], dtype=i64)
        costs = {x.lateness_cost for x in visits if x.lateness_cost > 0}
        urgent = max(costs) if len(costs) > 1 else None  # as lns._urgent_extra
        self.lw = np.array([x.lateness_cost * (URGENT_LATENESS_EMPHASIS if x.lateness_cost == urgent else 1)
                            for x in visits], dtype=i64)
        self.dem = np.zeros((n, parts), dtype=i64)
        for j, x in enumerate(visits):
            self.dem[j, :len(x.parts)] = x.parts
        self.needs = self.dem.sum(axis=1) > 0
        self.pen = np.array([_MANDATORY if x.drop_penalty is None else x.drop_penalty for x in visits], dtype=i64)
        # priority classes, the dearest first (mandatory visits before all)
        ranks = sorted({int(p) for p in self.pen}, reverse=True)
        self.rank = np.array([ranks.index(int(p)) if PRIORITY_FIRST else 0 for p in self.pen], dtype=np.float64)
        self.asg = np.full((n, fleet), -1, dtype=i64)
        for j, options in enumerate(vehicle_options(problem)):
            for k, cost in options:
                self.asg[j, k] = cost
        self.maxv = np.array([n + 1 if v.max_visits is None else v.max_visits for v in vehicles], dtype=i64)
        self.vs = np.array([v.start for v in vehicles], dtype=i64)
        self.ve = np.array([v.end for v in vehicles], dtype=i64)
        self.ss = np.array([v.shift_start for v in vehicles], dtype=i64)
        self.se = np.array([v.shift_end for v in vehicles], dtype=i64)
        self.cap = np.array([[v.stock_of(p) for p in range(parts)] for v in vehicles], dtype=i64).reshape(fleet, parts)
        breaks = [break_of(v) for v in vehicles]
        self.hasb = np.array([b is not None for b in breaks], dtype=np.bool_)
        self.bes = np.array([0 if b is None else b.earliest_start for b in breaks], dtype=i64)
        self.ble = np.array([0 if b is None else b.latest_end for b in breaks], dtype=i64)
        self.bdur = np.array([0 if b is None else b.duration for b in breaks], dtype=i64)
        # idle vehicles alike in all the walk reads are tried once per insertion (a technician a visit names
        # is like no other)
        named = {x.pinned for x in visits} | {x.preferred for x in visits} | {t for x in visits for t in x.forbidden}
        kinds: dict[tuple[object, ...], int] = {}
        self.vclass = np.array([
            kinds.setdefault((v.start, v.end, v.shift_start, v.shift_end, tuple(self.cap[k]), int(self.maxv[k]),
                              breaks[k], v.skills, v.levels, k if problem.technician_of(k) in named else -1),
                             len(kinds))
            for k, v in enumerate(vehicles)], dtype=i64)
        self.dur = np.ascontiguousarray(problem.durations, dtype=i64)
        self.dist = np.ascontiguousarray(problem.distances * problem.distance_cost, dtype=i64)
        between = self.dist[np.ix_(self.loc, self.loc)]
        self.adj = np.argsort(between + between.T, axis=1, kind="stable").astype(i64)
        home = vehicles[0].start if vehicles else 0
        far = (self.dist[home, self.loc] + self.dist[self.loc, home]).astype(np.float64)
        self.far = far / max(1.0, float(far.max()))
        spread = float(self.ddl.max() - self.ddl.min()) if n else 0.0
        self.early = ((self.ddl - (self.ddl.min() if n else 0)) / max(1.0, spread)).astype(np.float64)
        width = n + 1
        self.rt = np.zeros((fleet, width), dtype=i64)
        self.ln = np.zeros(fleet, dtype=i64)
        self.rof = np.full(n, -1, dtype=i64)
        for k, seq in enumerate(routes):
            self.rt[k, :len(seq)] = seq
            self.ln[k] = len(seq)
            self.rof[list(seq)] = k
        self.ld = np.zeros((fleet, parts), dtype=i64)
        self.ee = np.zeros((fleet, width), dtype=i64)
        self.ls = np.zeros((fleet, width), dtype=i64)
        self.rc = np.zeros(fleet, dtype=i64)
        self.rl = np.zeros(fleet, dtype=i64)

    def timing(self) -> tuple[np.ndarray, ...]:
        return (self.loc, self.svc, self.opn, self.cls, self.ddl, self.lw, self.dem, self.asg, self.vs, self.ve,
                self.ss, self.se, self.bes, self.ble, self.bdur, self.hasb, self.dur, self.dist)


def improve(problem: Problem, start: Solution, *, seed: int, steps: int | None = None,
            deadline: float | None = None, on_better: Callable[[Solution], None] | None = None,
            clock: Callable[[], float] = time.monotonic, hot: float | None = None) -> Walk:
    """As `lns.improve` on a day that `fits`: the best plan of a walk from `start` for `steps` steps or until
    `clock()` reaches `deadline` (`start` itself when nothing beats it). `on_better` hears of a better plan at
    most once in REPORT_STEPS steps, and of the best one at the end. `hot`: the start temperature (TEMP_START unless
    told)."""
    if steps is None and deadline is None:
        raise ValueError("ruin and recreate needs a number of steps or a deadline")
    if not fits(problem):
        raise ValueError("the compiled field walk does not serve this day (see fieldwalk.fits)")
    from solver import _field_kernel as kernel  # compiles on first use, then loads from numba's cache

    began = clock()
    # crews aside (fits), the start's routes as they are
    a = _Arrays(problem, [r.visits for r in start.routes])
    for k in range(len(problem.vehicles)):
        kernel._retime(k, a.rt, a.ln, a.ld, a.ee, a.ls, a.rc, a.rl, a.loc, a.svc, a.opn, a.cls, a.ddl, a.lw, a.dem,
                       a.asg, a.vs, a.ve, a.ss, a.se, a.bes, a.ble, a.bdur, a.hasb, a.dur, a.dist)
        if a.ln[k] and a.rl[k] < 0:
            # no schedule of the rule book's keeps it (it never happens to a plan the rule book made): its
            # visits start left out
            log.warning("the field walk's start route of vehicle %d breaks a hard rule; its visits start left out", k)
            a.rof[a.rt[k, :a.ln[k]]] = -1
            a.ln[k] = 0
            kernel._retime(k, a.rt, a.ln, a.ld, a.ee, a.ls, a.rc, a.rl, a.loc, a.svc, a.opn, a.cls, a.ddl, a.lw,
                           a.dem, a.asg, a.vs, a.ve, a.ss, a.se, a.bes, a.ble, a.bdur, a.hasb, a.dur, a.dist)
    args = (a.loc, a.svc, a.opn, a.cls, a.ddl, a.lw, a.dem, a.needs, a.pen, a.rank, a.asg, a.maxv, a.vs, a.ve, a.ss,
            a.se, a.cap, a.bes, a.ble, a.bdur, a.hasb, a.vclass, a.dur, a.dist, a.adj, a.far, a.early, AVG_REMOVED,
            MAX_STRING, BLINK)
    current = (a.rt.copy(), a.ln.copy(), a.ld.copy(), a.ee.copy(), a.ls.copy(), a.rc.copy(), a.rl.copy(),
               a.rof.copy())
    best_rt, best_ln = a.rt.copy(), a.ln.copy()
    cost = int(a.rc.sum()) + int(a.rl.sum()) + int(a.pen[a.rof < 0].sum())
    cost_now = np.array([cost], dtype=np.int64)
    best_now = np.array([cost], dtype=np.int64)
    per_visit = max(1.0, int(a.rc.sum()) / max(1, int(a.ln.sum())))  # travel per served visit
    hot, cold = (TEMP_START if hot is None else hot) * per_visit, TEMP_END * per_visit
    rng = np.array([np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 2 + 1)], dtype=np.uint64)
    step = improvements = 0
    best = start
    known = cost
    heard, heard_at = cost, 0  # the best cost `on_better` last heard of, and at which step

    def temperature(done: float) -> float:
        return hot * (cold / hot) ** min(1.0, done)

    chunk = CHUNK
    while True:
        if steps is not None:
            if step >= steps:
                break
            chunk = min(CHUNK, steps - step)
            done, then = step / steps, (step + chunk) / steps
        else:
            now = clock()
            if now >= deadline:  # type: ignore[operator]
                break
            total = max(1e-9, deadline - began)  # type: ignore[operator]
            done = (now - began) / total
            then = done + chunk * (((now - began) / step) if step else 1e-4) / total
        kernel.walk(chunk, temperature(done), temperature(then), rng, a.rt, a.ln, a.ld, a.ee, a.ls, a.rc, a.rl, a.rof,
                    *current, best_rt, best_ln, cost_now, best_now, *args)
        step += chunk
        if int(best_now[0]) < known:
            known = int(best_now[0])
            improvements += 1
        if on_better is not None and known < heard and step - heard_at >= REPORT_STEPS:
            best = _solution(problem, best_rt, best_ln)
            on_better(best)
            heard, heard_at = known, step
    if known < cost and (best is start or known < heard):
        best = _solution(problem, best_rt, best_ln)
        if on_better is not None and known < heard:
            on_better(best)
    return Walk(best=best, steps=step, improvements=improvements)


def _tiny_walk() -> None:
    """One step on a day of one visit that binds every rule the loop prices."""
    from solver.problem import Break, Vehicle, Visit

    tiny = Problem(distances=np.array([[0, 1], [1, 0]]), durations=np.array([[0, 1], [1, 0]]),
                   vehicles=(Vehicle(start=0, end=0, shift_start=0, shift_end=10, stock=(1,),
                                     break_=Break(0, 10, 1)),),
                   visits=(Visit(location=1, service=1, window=(0, 5), deadline=1, lateness_cost=1, drop_penalty=9,
                                 parts=(1,)),), num_parts=1)
    improve(tiny, greedy_solve(tiny, explain=False), seed=0, steps=1)


# warm(compile=True): load the compiled loop into this process (about 1 s from numba's cache, longer to compile
# the first time), so that every walk forked from it starts at once; warmed(): whether it is (solver/kernels.py)
_KERNEL = kernels.Kernel("solver._field_kernel", _tiny_walk)
warm = _KERNEL.warm
warmed = _KERNEL.warmed


def _solution(problem: Problem, rt: np.ndarray, ln: np.ndarray) -> Solution:
    """The walk's routes through the rule book's insertion (a route that broke a hard rule would not be kept,
    and its visits would be inserted anew)."""
    routes = [[int(j) for j in rt[k, :ln[k]]] for k in range(len(ln))]
    return greedy_solve(problem, routes, explain=False, worth_it=True)


__all__ = ["fits", "improve", "warm", "warmed"]
