from __future__ import annotations

import pytest

from dispatch.plan import Plan
from dispatch.planning import plan_day
from tests.dispatch.planning.large import BY_REGION, LARGE
from tests.factories import assert_valid
from tests.run_cache import once_per_run


@pytest.fixture(scope="session")
def large_plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """LARGE planned by region once per run (the xdist workers share it: tests/run_cache.py), for the region and
    deadline tests: the plan that other runs of the same day and policy must repeat."""
    plan = once_per_run(tmp_path_factory, "large-plan", lambda _folder: plan_day(LARGE, BY_REGION))
    assert_valid(LARGE, plan)
    return plan
