"""One region-free solve: a Day to a Plan through the solver (build the Problem, solve, translate back).

Every solve of a day goes through `solve_day`, whether it is a whole day, a region of a large day, or a
border group re-solved from its routes (dispatch.planning.regions). Its time limit covers the whole call
(dispatch.planning.budget): the matrices, the search, the translation and the fixes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace

from dispatch.domain import Day
from dispatch.plan import Plan
from dispatch.planning.budget import after_search, deadline_of, search_seconds
from dispatch.planning.fixes import Stores, attach
from dispatch.planning.translate import Previously, StartFrom, build_problem, to_plan
from dispatch.policy import Policy
from dispatch.travel import TravelSource
from solver import SolveParams, solve

log = logging.getLogger(__name__)


def solve_params(policy: Policy) -> SolveParams:
    return SolveParams(solution_limit=policy.solution_limit, cores=policy.cores)


def solve_day(day: Day, policy: Policy | None = None, *, travel: TravelSource | None = None,
              start: Mapping[str, Sequence[str]] | None = None, starts: Mapping[str, StartFrom] | None = None,
              previous: Mapping[str, Previously] | None = None, eject: bool = False, fixes: bool = True,
              stores: Stores | None = None, fix_offsets: Mapping[str, int] | None = None,
              deadline: float | None = None, improve_start: bool = False) -> Plan:
    """The plan of `day` as one problem. `start` (technician id -> order ids) is a plan to improve on: its
    routes are kept where they keep the hard rules and the other orders are inserted around them. A re-plan
    also gives where technicians go on from (`starts`) and each order's place before (`previous`, see
    `build_problem`) and may let an emergency bump a less urgent visit from the start routes (`eject`).
    `fixes`: each order left out and each late stop gets its one-change fixes (dispatch.planning.fixes;
    `stores` name where parts are, `fix_offsets` count a re-plan's fixed stops ahead of the planned ones).

    `deadline` (a time.monotonic() moment) is when the plan must be back, by default `policy.time_limit`
    seconds from now; the search gets what is left once the matrices are built, less the estimated cost of
    the translation and the fixes, which stop at the deadline. Under a solution limit nothing is timed.

    `improve_start`: ruin and recreate also goes on from a `start` plan (a region's border pass); a live
    re-plan does without, as it must be back within seconds."""
    policy = policy or Policy()
    if policy.solution_limit is not None:
        deadline = None
    elif deadline is None:
        deadline = deadline_of(policy)
    built = build_problem(day, policy, travel, starts=starts, previous=previous)
    routes = None
    if start is not None:
        index = {o.id: j for j, o in enumerate(day.orders)}
        routes = [[index[i] for i in start.get(t.id, ()) if i in index] for t in day.technicians]
    limit = policy.time_limit
    if deadline is not None:
        limit = search_seconds(deadline, after_search(len(day.orders), policy, fixes=fixes))
    log.info("solving %d orders x %d technicians, limit %s", len(day.orders), len(day.technicians),
             f"{policy.solution_limit} solutions" if policy.solution_limit else f"{limit:.1f} s")
    params = solve_params(policy)
    if improve_start:
        params = replace(params, ruin_recreate_from_start=True)
    solution = solve(built.problem, time_limit=limit, seed=policy.seed, params=params, start=routes, eject=eject)
    plan = to_plan(built, solution)
    if not fixes:
        return plan
    return attach(built, [list(r.visits) for r in solution.routes], plan, stores=stores, offsets=fix_offsets,
                  until=deadline)
