"""VROOM (pyvroom) as a second peer, on the very same Problem and travel model as the solver.

Mapping: vehicles start and end at home inside their shift, with their skills, van stock as capacity (one
amount dimension per part type, delivered from the van, no restock), max orders as `max_tasks` and the
break as a VROOM break whose start window keeps it inside [earliest_start, latest_end]. Jobs carry their
service, appointment window, skills and parts; a pin becomes a skill only the pinned technician has.
VROOM minimises the cost matrix, which is the distance matrix (our travel objective), after maximising the
sum of job priorities, which are the drop penalties scaled to 0..100.

Known peer limitation, kept on purpose: VROOM has no soft response deadline, so it never trades travel
for punctuality; the plans are scored on our full objective all the same.

VROOM's times are not trusted: every route is re-timed forward with our rules (benchmarks.greedy's
Timetable), keeping VROOM's order and break leg. A route that does not fit our rules that way is re-timed
with another break leg if one fits, and otherwise kept with VROOM's own times and reported in `notes`, so
that the independent checker flags it instead of it being hidden.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import vroom

from benchmarks.greedy import Timetable, left_out_reason, solution_costs
from solver.problem import Problem, Reason, RouteSolution, Solution

_MAX_PRIORITY = 100  # VROOM's job priority range is 0..100


@dataclass(frozen=True)
class VroomRun:
    solution: Solution
    notes: tuple[str, ...]  # how VROOM's routes differed from our rules, one line each
    invalid_routes: int  # routes kept with VROOM's own times because our rules reject them
    vroom_seconds: float  # VROOM's own solve time, without building and re-timing


def _priorities(problem: Problem) -> list[int]:
    """Drop penalties scaled to VROOM's 0..100; a mandatory visit gets the top priority."""
    pens = [x.drop_penalty for x in problem.visits]
    top = max((p for p in pens if p is not None), default=0)
    if top <= 0:
        return [_MAX_PRIORITY if p is None else 0 for p in pens]
    return [_MAX_PRIORITY if p is None else max(1 if p > 0 else 0, round(_MAX_PRIORITY * p / top)) for p in pens]


def _matrix(m: np.ndarray) -> np.ndarray:
    if m.size and int(m.max()) >= 2**32:
        raise ValueError("VROOM matrices are 32-bit; a value exceeds 2**32 - 1")
    return np.ascontiguousarray(m, dtype=np.uint32)


def build_input(problem: Problem, tt: Timetable) -> vroom.Input:
    inp = vroom.Input()
    inp.set_durations_matrix("car", _matrix(problem.durations))
    inp.set_costs_matrix("car", _matrix(problem.distances))
    n_parts = problem.num_parts
    pin_skill = problem.num_skills  # pin to vehicle k: skill pin_skill + k
    for k, v in enumerate(problem.vehicles):
        brk = tt.brk[k]
        breaks = []
        if brk is not None:
            breaks = [vroom.Break(k, time_windows=[(brk.earliest_start, brk.latest_end - brk.duration)],
                                  service=brk.duration)]
        kw = {} if v.max_visits is None else {"max_tasks": v.max_visits}
        inp.add_vehicle(vroom.Vehicle(
            k, start=v.start, end=v.end,
            capacity=[v.stock_of(p) for p in range(n_parts)],
            skills={*v.skills, pin_skill + k},
            time_window=(v.shift_start, v.shift_end),
            breaks=breaks, **kw,
        ))
    prio = _priorities(problem)
    for j, x in enumerate(problem.visits):
        skills = set(x.skills) | ({pin_skill + x.pinned} if x.pinned is not None else set())
        amount = [x.parts[p] if p < len(x.parts) else 0 for p in range(n_parts)]
        inp.add_job(vroom.Job(
            j, location=x.location, default_service=x.service,
            delivery=amount, skills=skills, priority=prio[j],
            time_windows=[x.window] if x.window is not None else (),
        ))
    return inp


def vroom_run(problem: Problem, *, exploration_level: int = 5, threads: int = 1) -> VroomRun:
    """Solve with VROOM and bring the routes back as a Solution re-timed under our rules."""
    t0 = time.perf_counter()
    tt = Timetable(problem)
    inp = build_input(problem, tt)
    t1 = time.perf_counter()
    raw = inp.solve(exploration_level=exploration_level, nb_threads=threads)
    vroom_seconds = time.perf_counter() - t1
    steps = raw.routes
    notes: list[str] = []
    invalid = 0
    routes: list[RouteSolution] = []
    served: set[int] = set()
    by_vehicle = {int(k): g for k, g in steps.groupby("vehicle_id", observed=True)}
    for k in range(len(problem.vehicles)):
        g = by_vehicle.get(k)
        if g is None:
            routes.append(tt.route_solution(k, None))
            continue
        visits: list[int] = []
        gap: int | None = None
        for kind, job_id in zip(g["type"].astype(str), g["id"], strict=True):
            if kind == "job":
                visits.append(int(job_id))
            elif kind == "break":
                gap = len(visits)
        served.update(visits)
        sched = tt.schedule(k, visits, gap) if tt.brk[k] is not None else tt.schedule(k, visits)
        if sched is None:
            sched = tt.best_schedule(k, visits)
            if sched is not None:
                notes.append(f"vehicle {k}: VROOM's break leg {gap} breaks our rules; re-timed with the break "
                             f"on leg {sched.gap}")
        if sched is None:
            invalid += 1
            notes.append(f"vehicle {k}: route {visits} does not fit our rules with any break leg; kept with "
                         f"VROOM's times")
            routes.append(_as_reported(problem, tt, k, g, visits))
            continue
        routes.append(tt.route_solution(k, sched))
    unassigned: list[tuple[int, Reason]] = [
        (j, left_out_reason(problem, j)) for j in range(len(problem.visits)) if j not in served
    ]
    costs = solution_costs(problem, routes, unassigned)
    solution = Solution(routes=tuple(routes), unassigned=tuple(unassigned), objective=sum(costs.values()),
                        costs=costs, status="feasible" if not invalid else "infeasible",
                        wall_time=time.perf_counter() - t0, solutions_found=1)
    return VroomRun(solution=solution, notes=tuple(notes), invalid_routes=invalid, vroom_seconds=vroom_seconds)


def vroom_solve(problem: Problem, *, exploration_level: int = 5, threads: int = 1) -> Solution:
    """VROOM's plan for `problem` as a Solution (see vroom_run for the notes on rule mismatches)."""
    return vroom_run(problem, exploration_level=exploration_level, threads=threads).solution


def _as_reported(problem: Problem, tt: Timetable, k: int, g, visits: list[int]) -> RouteSolution:  # type: ignore[no-untyped-def]
    """VROOM's own times for a route our rules reject: start of service = arrival + waiting."""
    v = problem.vehicles[k]
    jobs = g[g["type"].astype(str) == "job"]
    arrivals = tuple(int(a) for a in jobs["arrival"])
    starts = tuple(int(a) + int(w) for a, w in zip(jobs["arrival"], jobs["waiting_time"], strict=True))
    brk = g[g["type"].astype(str) == "break"]
    break_start = int(brk["arrival"].iloc[0] + brk["waiting_time"].iloc[0]) if len(brk) else None
    kinds = g["type"].astype(str)
    depart = int(g[kinds == "start"]["arrival"].iloc[0]) if (kinds == "start").any() else v.shift_start
    back = int(g[kinds == "end"]["arrival"].iloc[0]) if (kinds == "end").any() else v.shift_end
    return RouteSolution(vehicle=k, visits=tuple(visits), arrivals=arrivals, starts=starts, depart=depart,
                         back=back, break_start=break_start, distance=tt.distance(k, visits))
