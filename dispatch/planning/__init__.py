"""Planning a day: translate it for the solver, solve it (whole, or region by region when it is large), and
translate the solution back into a Plan.

`plan_day` is the one entry point. A day with more orders than `policy.region_orders` is planned region by
region (dispatch.planning.regions) on the given dask executor, on the cluster of the dask worker this runs
on, or else in this process; any other day is one `solve_day`. The time limit covers the whole call, fixes
included (dispatch.planning.budget).
"""

from __future__ import annotations

from dispatch.domain import Day
from dispatch.parallel import DaskExecutor
from dispatch.plan import Plan
from dispatch.planning.fixes import Stores
from dispatch.planning.regions import plan_by_region
from dispatch.planning.solving import solve_day, solve_params
from dispatch.policy import Policy
from dispatch.travel import TravelSource


def plan_day(day: Day, policy: Policy | None = None, *, travel: TravelSource | None = None,
             executor: DaskExecutor | None = None, fixes: bool = True, stores: Stores | None = None,
             deadline: float | None = None) -> Plan:
    """The plan of `day`; with `fixes`, each order left out and each late stop carries the changes that would
    fix it (`stores`: where parts are, so a part fix names a store). Without a solution limit it is back by
    `deadline` (a time.monotonic() moment; default `policy.time_limit` seconds from now), give or take what
    a search overruns its own limit by."""
    policy = policy or Policy()
    if policy.by_region(len(day.orders)):
        return plan_by_region(day, policy, travel=travel, executor=executor, fixes=fixes, stores=stores,
                              deadline=deadline)
    return solve_day(day, policy, travel=travel, fixes=fixes, stores=stores, deadline=deadline)


__all__ = ["plan_day", "solve_day", "solve_params"]
