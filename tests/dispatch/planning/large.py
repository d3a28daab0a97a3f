"""The large day planned region by region, shared by the region tests and the deadline tests."""

from __future__ import annotations

from dispatch.demo_days import generate_day
from dispatch.policy import Policy
from tests.factories import PLAN_DATE

LARGE = generate_day(orders=200, technicians=24, seed=3, plan_date=PLAN_DATE)
# bounded by solutions, not seconds, so plans are the same on any machine and executor
BY_REGION = Policy(time_limit=120, solution_limit=30, region_orders=120)
