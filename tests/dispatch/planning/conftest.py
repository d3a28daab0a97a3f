from __future__ import annotations

import pytest

from dispatch.plan import Plan
from dispatch.planning import plan_day
from tests.dispatch.planning.large import BY_REGION, LARGE
from tests.factories import assert_valid


@pytest.fixture(scope="session")
def large_plan() -> Plan:
    """LARGE planned by region in this process, once for every module of the process: the plan that other runs
    of the same day and policy must repeat."""
    plan = plan_day(LARGE, BY_REGION)
    assert_valid(LARGE, plan)
    return plan
