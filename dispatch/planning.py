"""One call from a Day to a Plan: build the Problem, solve it, translate the Solution back.

A day with more orders than `policy.region_orders` is planned region by region (dispatch.regions), on the
given dask executor, on the cluster of the dask worker this runs on, or else in this process.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dispatch.build import build_problem, to_plan
from dispatch.domain import Day, Policy
from dispatch.plan import Plan
from dispatch.travel import TravelSource
from solver import SolveParams, solve

if TYPE_CHECKING:
    from dispatch.parallel import DaskExecutor

log = logging.getLogger(__name__)


def solve_params(policy: Policy) -> SolveParams:
    return SolveParams(solution_limit=policy.solution_limit)


def plan_day(day: Day, policy: Policy | None = None, *, travel: TravelSource | None = None,
             executor: DaskExecutor | None = None) -> Plan:
    policy = policy or Policy()
    if policy.by_region(len(day.orders)):
        from dispatch.regions import plan_by_region

        return plan_by_region(day, policy, travel=travel, executor=executor)
    built = build_problem(day, policy, travel)
    log.info("solving %d orders x %d technicians, limit %.0f s", len(day.orders), len(day.technicians),
             policy.time_limit)
    solution = solve(built.problem, time_limit=policy.time_limit, seed=policy.seed, params=solve_params(policy))
    return to_plan(built, solution)
