"""One call from a Day to a Plan: build the Problem, solve it, translate the Solution back."""

from __future__ import annotations

import logging

from dispatch.travel import TravelSource

from dispatch.build import build_problem, to_plan
from dispatch.domain import Day, Policy
from dispatch.plan import Plan
from solver import SolveParams, solve

log = logging.getLogger(__name__)


def solve_params(policy: Policy) -> SolveParams:
    return SolveParams(solution_limit=policy.solution_limit)


def plan_day(day: Day, policy: Policy | None = None, *, travel: TravelSource | None = None) -> Plan:
    policy = policy or Policy()
    built = build_problem(day, policy, travel)
    log.info("solving %d orders x %d technicians, limit %.0f s", len(day.orders), len(day.technicians),
             policy.time_limit)
    solution = solve(built.problem, time_limit=policy.time_limit, seed=policy.seed, params=solve_params(policy))
    return to_plan(built, solution)
