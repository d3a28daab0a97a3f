"""The computation of a plan job: plain values in, the plan JSON out, no database, no settings, no clock.

It runs on the job runner's compute executor (another process, or a dask worker of a cluster that may sit on
another machine), so its arguments are the plain JSON-like data the job stores as its input, and it imports
nothing of the service beyond this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatch.io.day_json import day_from_dict
from dispatch.planning import plan_day
from dispatch.policy import Policy

# (day, policy) -> plan, all as JSON-like dicts: what a plan job computes
Solve = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def solve(day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    """The plan of `day` under `policy` (both as dicts), as the plan JSON contract."""
    return plan_day(day_from_dict(day), Policy.from_dict(policy)).to_dict()
