"""Checking a multi-day plan with the checker as it stands: it reads one day per plan (a second route of a
technician is "more than one route", a route of a later day is measured against the plan date's shift), so
the plan date's routes are checked as the one-day plan of the orders they serve. Replace with check_plan on
the whole plan once the checker reads multi-day plans."""

from __future__ import annotations

from dataclasses import replace

from dispatch.analysis.checker import CheckReport, check_plan
from dispatch.domain import Day
from dispatch.plan import Plan


def check_first_day(day: Day, plan: Plan) -> CheckReport:
    first = plan.dates[0]
    served = {s.order_id for r in plan.routes_on(first) for s in r.stops}
    return check_plan(replace(day, orders=tuple(o for o in day.orders if o.id in served)),
                      Plan(date=first, routes=plan.routes_on(first), unassigned=(), policy=plan.policy))
