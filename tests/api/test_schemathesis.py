"""schemathesis over the app's own OpenAPI: generated requests never cause a server error, and every response
matches the schema the app publishes (documented status codes, content types, bodies).

Bounded: a few examples per operation (as a dispatcher and as a technician), so the whole run stays well
under a minute on both databases. Plan jobs solve on a thread with a one-second limit, so a generated
`time_limit` of ten minutes does not hold the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from api.plans import solving
from tests.api.conftest import World
from tests.api.planning import seed_day, thread_runner

CHECKS = [schemathesis.checks.not_a_server_error, response_schema_conformance, content_type_conformance]


def _quick_solve(day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    return solving.solve(day, policy | {"time_limit": 1.0, "solution_limit": 1})


@pytest.fixture
def api_world(world: World) -> Iterator[World]:
    seed_day(world)  # some real ids for the generator to stumble upon
    with thread_runner(world.client, solve=_quick_solve):
        yield world


NAIVE_TIME = r"[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
NAIVE = {"time": f"^{NAIVE_TIME}$", "date-time": f"^[0-9]{{4}}-[01][0-9]-[0-3][0-9]T{NAIVE_TIME}$"}


def _naive_times(node: Any) -> Any:
    """Times are naive local times ("08:00:00", "2026-11-24T08:21:00", DESIGN.md); pydantic documents them as
    JSON Schema `format: time` / `date-time`, which (RFC 3339) demand a UTC offset. Checked as what they are."""
    if isinstance(node, dict):
        out = {k: _naive_times(v) for k, v in node.items()}
        if out.get("format") in NAIVE:
            out["pattern"] = NAIVE[out.pop("format")]
        return out
    if isinstance(node, list):
        return [_naive_times(v) for v in node]
    return node


def _send(world: World, case: schemathesis.Case, who: str) -> None:
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=world.as_(who))
    if isinstance(kwargs.get("data"), bytes | str):  # httpx takes raw bodies as `content`
        kwargs["content"] = kwargs.pop("data")
    if kwargs.pop("cookies", None):
        kwargs.setdefault("headers", {})["cookie"] = "; ".join(f"{k}={v}" for k, v in case.cookies.items())
    kwargs.pop("timeout", None)
    kwargs.pop("verify", None)
    kwargs.pop("allow_redirects", None)
    response = world.client.request(**kwargs)
    response.request.read()  # a multipart upload streams; the checks read the request body back
    case.validate_response(response, checks=CHECKS)


def test_the_api_matches_its_schema(api_world: World) -> None:
    # The app is already running in the session's TestClient: load its schema as a dict and send the
    # generated requests through that client (schemathesis's ASGI transport would start a second lifespan,
    # and its pytest integration predates this pytest, so hypothesis drives each operation here).
    raw = api_world.client.get("/api/v1/openapi.json").json()
    api = schemathesis.openapi.from_dict(_naive_times(raw))
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=4, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            for who in ("disp", "tech_a"):
                _send(api_world, case, who)

        check()
