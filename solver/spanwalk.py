"""Ruin and recreate priced by working time, compiled: the field walk's steps on days with a span cost.

The field walk (solver/fieldwalk.py) prices travel, assignment and lateness; a day with a working-time cost
(`Problem.span_cost`, each route's back home minus its departure, waiting included: the benchmarks'
objective) is not for it. This walk makes the same kind of step (SISR's string removals near a seed visit,
each visit back at its cheapest feasible place, a few places blinked over, simulated annealing) and prices
each place by the route's working time re-simulated as the rule book times it (`schedule.Timetable.lean`:
the technician leaves as late as keeps the time back). One step in DISSOLVE_EVERY also empties a short
route and keeps its vehicle idle for that step, as the general walk does on such days
(lns.SHORT_ROUTE_EVERY): its trip from home and back is what working time saves most.

It serves the days `fits` names: one day, one technician per visit, no break, no lateness cost, no
balance or re-plan costs; windows, shifts, skills (with refused and pinned technicians and their
assignment costs, `construct.vehicle_options`), van stock and max orders are kept. The best plan is loaded
back through the rule book's insertion, which keeps a route only if it keeps every hard rule. Bounded by
steps the walk depends on the seed alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from solver import fieldwalk, kernels
from solver.lns import SHORT_ROUTE_EVERY, Walk
from solver.problem import Problem, Solution
from solver.rules import break_of
from solver.vrptw import AVG_REMOVED, BLINK, CHUNK, MAX_STRING, TEMP_END, TEMP_START

DISSOLVE_EVERY = SHORT_ROUTE_EVERY
# Simulated annealing from HOT to COLD, as shares of the start plan's drive and wait per served visit: the
# plain walk's. The field walk's ten times hotter ones ended 3.5 % dearer on R105, RC105, R202 and RC107
# (50,000 steps, two seeds each); 3 to 0.3 and 0.5 to 0.05 within 0.6 % of these.
HOT = TEMP_START
COLD = TEMP_END


def fits(problem: Problem) -> bool:
    """Whether the span walk prices every rule and cost of the day (see the module docstring)."""
    if not problem.span_cost or problem.balance_cost or problem.max_moves is not None:
        return False
    if any(v.day != 0 or break_of(v) is not None for v in problem.vehicles):
        return False
    return all(x.crew == 1 and not x.daily and (x.deadline is None or x.lateness_cost == 0)
               and (x.previous_vehicle is None or problem.reassign_cost == 0)
               and (x.previous_start is None or problem.shift_cost == 0) for x in problem.visits)


def improve(problem: Problem, start: Solution, *, seed: int, steps: int | None = None,
            deadline: float | None = None, on_better: Callable[[Solution], None] | None = None,
            clock: Callable[[], float] = time.monotonic, hot: float | None = None) -> Walk:
    """As `fieldwalk.improve`, on a day this walk `fits`."""
    if steps is None and deadline is None:
        raise ValueError("ruin and recreate needs a number of steps or a deadline")
    if not fits(problem):
        raise ValueError("the compiled span walk does not serve this day (see spanwalk.fits)")
    from solver import _span_kernel as kernel  # compiles on first use, then loads from numba's cache

    began = clock()
    a = fieldwalk._Arrays(problem, [r.visits for r in start.routes])
    # near and far by driving time (the arrays' own are by priced distance, none on a working-time day)
    between = a.dur[np.ix_(a.loc, a.loc)]
    a.adj = np.argsort(between + between.T, axis=1, kind="stable").astype(np.int64)
    home = problem.vehicles[0].start if problem.vehicles else 0
    far = (a.dur[home, a.loc] + a.dur[a.loc, home]).astype(np.float64)
    a.far = far / max(1.0, float(far.max()))
    closes = a.cls.astype(np.float64)  # by window close, the tightest first
    a.early = (closes - closes.min()) / max(1.0, float(closes.max() - closes.min())) if len(closes) else closes
    fleet = len(problem.vehicles)
    sp = np.zeros(fleet, dtype=np.int64)
    idle = np.zeros(fleet, dtype=np.int64)
    state = (a.rt, a.ln, a.ld, a.ee, a.ls, a.rc, sp, idle, a.rof)
    span_w = int(problem.span_cost)
    fixed = (a.loc, a.svc, a.opn, a.cls, a.dem, a.asg, a.vs, a.ve, a.ss, a.se, a.dur, a.dist, span_w)
    for k in range(fleet):
        kernel._refresh(k, *state[:8], *fixed)
        if a.ln[k] and kernel._span(k, a.rt, a.ln[k], -1, 0, *fixed[:4], a.vs, a.ve, a.ss, a.se, a.dur) < 0:
            raise ValueError(f"the span walk's start route of vehicle {k} breaks a window or the shift")
    current = tuple(x.copy() for x in state)
    best_routes = (a.rt.copy(), a.ln.copy())
    cost = int(a.rc.sum()) + int(a.pen[a.rof < 0].sum())
    cost_now = np.array([cost], dtype=np.int64)
    best_now = np.array([cost], dtype=np.int64)
    served = max(1, int(a.ln.sum()))
    # drive and wait per served visit: service is the same in every plan
    per_visit = max(1.0, (int(sp.sum()) - int(a.svc[a.rof >= 0].sum())) / served)
    hot_t, cold_t = (HOT if hot is None else hot) * per_visit, COLD * per_visit
    rng = np.array([np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed * 2 + 1)], dtype=np.uint64)
    args = (a.loc, a.svc, a.opn, a.cls, a.dem, a.needs, a.pen, a.rank, a.asg, a.maxv, a.vs, a.ve, a.ss, a.se,
            a.cap, a.vclass, a.dur, a.dist, a.adj, a.far, a.early, span_w, AVG_REMOVED, MAX_STRING, BLINK,
            DISSOLVE_EVERY)
    done_steps = improvements = 0
    best, known = start, cost
    told, told_at = cost, 0  # what `on_better` last heard, and when

    def heat(share: float) -> float:
        return float(hot_t * (cold_t / hot_t) ** min(1.0, share))

    while steps is None or done_steps < steps:
        chunk = CHUNK if steps is None else min(CHUNK, steps - done_steps)
        if steps is not None:
            share, share_after = done_steps / steps, (done_steps + chunk) / steps
        else:
            now = clock()
            if now >= deadline:  # type: ignore[operator]
                break
            span = max(1e-9, deadline - began)  # type: ignore[operator]
            per_step = (now - began) / done_steps if done_steps else 1e-5
            share, share_after = (now - began) / span, (now - began + chunk * per_step) / span
        improvements += kernel.walk(chunk, heat(share), heat(share_after), rng, current, state, best_routes,
                                    cost_now, best_now, *args)
        done_steps += chunk
        known = int(best_now[0])
        if on_better is not None and known < told and done_steps - told_at >= fieldwalk.REPORT_STEPS:
            best = fieldwalk._solution(problem, *best_routes)
            on_better(best)
            told, told_at = known, done_steps
    if known < cost and (best is start or known < told):
        best = fieldwalk._solution(problem, *best_routes)
        if on_better is not None and known < told:
            on_better(best)
    return Walk(best=best, steps=done_steps, improvements=improvements)


def _tiny_walk() -> None:
    """One step on a day of one visit with a working-time cost."""
    from solver.construct import greedy_solve
    from solver.problem import Vehicle, Visit

    tiny = Problem(distances=np.array([[0, 1], [1, 0]]), durations=np.array([[0, 1], [1, 0]]),
                   vehicles=(Vehicle(start=0, end=0, shift_start=0, shift_end=10, stock=(1,)),),
                   visits=(Visit(location=1, service=1, window=(0, 5), drop_penalty=9, parts=(1,)),), num_parts=1,
                   span_cost=1)
    improve(tiny, greedy_solve(tiny, explain=False), seed=0, steps=1)


# warm(compile=True) and warmed(): as fieldwalk's (solver/kernels.py)
_KERNEL = kernels.Kernel("solver._span_kernel", _tiny_walk)
warm = _KERNEL.warm
warmed = _KERNEL.warmed


__all__ = ["fits", "improve", "warm", "warmed"]
