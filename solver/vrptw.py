"""Ruin and recreate for plain VRPTW days, compiled: the walk beside OR-Tools' search when the only rules
are windows, van stock and shifts.

On such a day (every rule but the appointment window, the van stock of one part type and the shift is idle,
and the objective is travel plus the penalty of visits left out; `plain`) the general walk of solver/lns.py
does about 100 steps a CPU second, as its insertion weighs every rule of a dispatch day. This walk does the
same kind of step tens of times faster: slack string removals (Christiaens and Vanden Berghe's SISR: strings
of consecutive stops on a few routes near a seed visit, sometimes with a stop kept in between), then each
visit back at its cheapest feasible place in one of four orders (random, most demand, farthest, nearest),
a few places blinked over, and a plan accepted by simulated annealing. The loop is compiled
(solver/_sisr_kernel.py) and tests an insertion in O(1) from each route's earliest and latest starts.

The rules are those of solver/rules.py, read off the problem once here: `appointment window` (service starts
no later than the window closes; waiting for it to open is allowed), `van stock` (the load of a route within
the van's stock of the one part type) and `shift` (leaving home no sooner than the shift starts, home no
later than it ends). The walk's best plan is loaded back through the rule book's insertion
(`construct.greedy_solve` from its routes), which keeps a route only if it keeps every hard rule.

Bounded by steps, the walk depends on the seed alone; bounded by a deadline, the temperature falls with the
time spent instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from solver import kernels
from solver.construct import greedy_solve
from solver.lns import Walk
from solver.problem import Problem, Solution
from solver.rules import break_of
from solver.tables import OPEN

# SISR's ruin: visits removed on average, and the longest string (the paper's values).
AVG_REMOVED = 10
MAX_STRING = 10
# Share of insertion places passed over (the paper's blink rate); also the chance of each extra stop kept
# inside a split string.
BLINK = 0.01
# Simulated annealing: the temperature falls geometrically from START to END, as shares of the start
# plan's travel per served visit (10 of the worst Solomon instances, 10^5 steps, seeds 1-3: 1/0.1 0.90 %,
# 3/0.1 1.10 %, 10/0.1 1.07 %, 0.3/0.01 1.65 % in one seed, 0.1/0.01 3.95 %; benchmarks/RESULTS_solomon.md).
TEMP_START = 1.0
TEMP_END = 0.1
# A hotter start for a second walk beside the first: on C208 a walk from 1.0 stayed with 4 routes (6.4 % over
# the BKS) in 3 seeds of 4, from 10 it found the 3-route optimum in 3 of 3; each regime wins elsewhere.
TEMP_HOT = 10.0
# Steps per call into the compiled loop: under a deadline the clock is read between calls.
CHUNK = 64
# What a visit left out costs in the walk when it is mandatory (it never is, in a plan the walk returns
# while the start serves them all: every other plan costs less).
_MANDATORY = 10**13


def plain(problem: Problem) -> bool:
    """Whether the only hard rules that bind are windows, one part type's van stock and shifts, and the cost
    is travel plus the penalties of visits left out: every other rule of the rule book is idle."""
    if problem.num_parts > 1 or problem.balance_cost or problem.span_cost or problem.max_moves is not None:
        return False
    if problem.num_skills and any(len(problem.qualified(j)) != len(problem.vehicles) for j in range(len(problem.visits))):
        return False
    for v in problem.vehicles:
        if break_of(v) is not None or v.max_visits is not None or v.day != 0:
            return False
    for x in problem.visits:
        if (x.crew != 1 or x.pinned is not None or x.forbidden or x.daily
                or (x.deadline is not None and x.lateness_cost > 0)
                or (x.preferred is not None and problem.preference_cost > 0)
                or (x.previous_vehicle is not None and problem.reassign_cost > 0)
                or (x.previous_start is not None and problem.shift_cost > 0)
                or (x.skills and problem.over_qualification_cost > 0)):
            return False
    return True


class _Arrays:
    """The problem as the compiled loop reads it, and the walk's state."""

    def __init__(self, problem: Problem, routes: Sequence[Sequence[int]]) -> None:
        visits, vehicles = problem.visits, problem.vehicles
        n, fleet = len(visits), len(vehicles)
        i64 = np.int64
        self.loc = np.array([x.location for x in visits], dtype=i64)
        self.svc = np.array([x.service for x in visits], dtype=i64)
        self.opn = np.array([x.window[0] if x.window else -OPEN for x in visits], dtype=i64)
        self.cls = np.array([x.window[1] if x.window else OPEN for x in visits], dtype=i64)
        self.dem = np.array([x.parts[0] if x.parts else 0 for x in visits], dtype=i64)
        self.pen = np.array([_MANDATORY if x.drop_penalty is None else x.drop_penalty for x in visits], dtype=i64)
        self.vs = np.array([v.start for v in vehicles], dtype=i64)
        self.ve = np.array([v.end for v in vehicles], dtype=i64)
        self.ss = np.array([v.shift_start for v in vehicles], dtype=i64)
        self.se = np.array([v.shift_end for v in vehicles], dtype=i64)
        self.cap = np.array([v.stock_of(0) if problem.num_parts else OPEN for v in vehicles], dtype=i64)
        # idle vehicles alike in all the walk reads are tried once per insertion
        kinds: dict[tuple[int, ...], int] = {}
        self.vclass = np.array([kinds.setdefault((v.start, v.end, v.shift_start, v.shift_end, int(c)), len(kinds))
                                for v, c in zip(vehicles, self.cap, strict=True)], dtype=i64)
        self.dur = np.ascontiguousarray(problem.durations, dtype=i64)
        self.dist = np.ascontiguousarray(problem.distances * problem.distance_cost, dtype=i64)
        between = self.dist[np.ix_(self.loc, self.loc)]
        self.adj = np.argsort(between + between.T, axis=1, kind="stable").astype(i64)
        home = vehicles[0].start if vehicles else 0
        self.far = (self.dist[home, self.loc] + self.dist[self.loc, home]).astype(np.float64)
        width = n + 1
        self.rt = np.zeros((fleet, width), dtype=i64)
        self.ln = np.zeros(fleet, dtype=i64)
        self.rof = np.full(n, -1, dtype=i64)
        for k, seq in enumerate(routes):
            self.rt[k, :len(seq)] = seq
            self.ln[k] = len(seq)
            self.rof[list(seq)] = k
        self.ld = np.zeros(fleet, dtype=i64)
        self.est = np.zeros((fleet, width), dtype=i64)
        self.lst = np.zeros((fleet, width), dtype=i64)
        self.rc = np.zeros(fleet, dtype=i64)


def improve(problem: Problem, start: Solution, *, seed: int, steps: int | None = None,
            deadline: float | None = None, on_better: Callable[[Solution], None] | None = None,
            clock: Callable[[], float] = time.monotonic, hot: float = TEMP_START) -> Walk:
    """As `lns.improve` on a `plain` problem: the best plan of a walk from `start` for `steps` steps or until
    `clock()` reaches `deadline` (`start` itself when nothing beats it). `on_better` hears of the best plan
    after each call into the compiled loop that improved it. `hot`: the start temperature (see TEMP_START)."""
    if steps is None and deadline is None:
        raise ValueError("ruin and recreate needs a number of steps or a deadline")
    if not plain(problem):
        raise ValueError("the compiled walk serves plain VRPTW days only (see vrptw.plain)")
    from solver import _sisr_kernel as kernel  # compiles on first use, then loads from numba's cache

    began = clock()
    a = _Arrays(problem, [r.visits for r in start.routes])
    args = (a.loc, a.svc, a.opn, a.cls, a.dem, a.pen, a.vs, a.ve, a.ss, a.se, a.cap, a.vclass, a.dur, a.dist, a.adj,
            a.far, AVG_REMOVED, MAX_STRING, BLINK)
    for k in range(len(problem.vehicles)):
        kernel._retime(k, a.rt, a.ln, a.ld, a.est, a.lst, a.rc, a.loc, a.svc, a.opn, a.cls, a.dem, a.vs, a.ve, a.ss,
                       a.se, a.dur, a.dist)
    current = (a.rt.copy(), a.ln.copy(), a.ld.copy(), a.est.copy(), a.lst.copy(), a.rc.copy(), a.rof.copy())
    best_rt, best_ln = a.rt.copy(), a.ln.copy()
    cost = int(a.rc.sum()) + int(a.pen[a.rof < 0].sum())
    cost_now = np.array([cost], dtype=np.int64)
    best_now = np.array([cost], dtype=np.int64)
    per_visit = max(1.0, int(a.rc.sum()) / max(1, int(a.ln.sum())))  # travel per served visit
    hot, cold = hot * per_visit, TEMP_END * per_visit
    rng = np.array([np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 2 + 1)], dtype=np.uint64)
    step = improvements = 0
    best = start
    known = cost

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
            then = done + chunk * _per_step(step, now - began) / total
        kernel.walk(chunk, temperature(done), temperature(then), rng, a.rt, a.ln, a.ld, a.est, a.lst, a.rc, a.rof,
                    *current, best_rt, best_ln, cost_now, best_now, *args)
        step += chunk
        if int(best_now[0]) < known:
            known = int(best_now[0])
            improvements += 1
            if on_better is not None:
                best = _solution(problem, best_rt, best_ln)
                on_better(best)
    if known < cost and (on_better is None or best is start):
        best = _solution(problem, best_rt, best_ln)
    return Walk(best=best, steps=step, improvements=improvements)


def _tiny_walk() -> None:
    """One step on a day of one visit."""
    from solver.problem import Vehicle, Visit

    tiny = Problem(distances=np.array([[0, 1], [1, 0]]), durations=np.array([[0, 1], [1, 0]]),
                   vehicles=(Vehicle(start=0, end=0, shift_start=0, shift_end=10, stock=(1,)),),
                   visits=(Visit(location=1, service=1, window=(0, 5), parts=(1,)),), num_parts=1)
    improve(tiny, greedy_solve(tiny, explain=False), seed=0, steps=1)


# warm(compile=True): load the compiled loop into this process (about 1 s from numba's cache, longer to compile
# the first time), so that every walk forked from it starts at once; warmed(): whether it is (solver/kernels.py)
_KERNEL = kernels.Kernel("solver._sisr_kernel", _tiny_walk)
warm = _KERNEL.warm
warmed = _KERNEL.warmed


def _per_step(step: int, spent: float) -> float:
    """Seconds a step has taken so far (a guess before the first)."""
    return spent / step if step else 1e-4


def _solution(problem: Problem, rt: np.ndarray, ln: np.ndarray) -> Solution:
    """The walk's routes through the rule book's insertion (a route that broke a hard rule would not be kept,
    and its visits would be inserted anew)."""
    routes = [[int(j) for j in rt[k, :ln[k]]] for k in range(len(ln))]
    return greedy_solve(problem, routes, explain=False)


__all__ = ["improve", "plain", "warm", "warmed"]
