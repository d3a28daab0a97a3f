"""schemathesis over the app's own OpenAPI, as every role: generated requests never cause a server error, and
every response matches the schema the app publishes (bodies and content types of its documented answers).

Two runs per database, each as a dispatcher, a technician, a storekeeper, a planner and a supervisor:
- each operation alone, with a few generated examples sent as every role;
- stateful scenarios: chains of calls where a later call takes its ids from an earlier answer (the OpenAPI
  links schemathesis infers from the schemas, plus the plan links below), so the generator reaches real
  plans, orders, visits and movements instead of stopping at 404.

Bounded and derandomized (hypothesis draws from a fixed seed) so the suite's run stays short and repeatable;
`make fuzz` runs the same with many more examples (sizes from DISPATCH_FUZZ_EXAMPLES,
DISPATCH_FUZZ_SCENARIOS and DISPATCH_FUZZ_STEPS). Plan jobs solve on a thread with a one-second limit, so a
generated `time_limit` of ten minutes does not hold the run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Flaky
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from api.plans import solving
from tests.api.conftest import Database, World
from tests.api.planning import seed_day, thread_runner

CHECKS = [schemathesis.checks.not_a_server_error, response_schema_conformance, content_type_conformance]
ROLES = {"dispatcher": "disp", "technician": "tech_a", "storekeeper": "store", "planner": "plan",
         "supervisor": "super"}
# sizes: the suite's bounded run by default; `make fuzz` (benchmarks/fuzz.py) sets larger ones
EXAMPLES = int(os.environ.get("DISPATCH_FUZZ_EXAMPLES", "2"))  # generated cases per operation
SEEDS = int(os.environ.get("DISPATCH_FUZZ_SEEDS", "2"))  # stateful runs per role, one seed each
SCENARIOS = int(os.environ.get("DISPATCH_FUZZ_SCENARIOS", "4"))  # scenarios per stateful run
STEPS = int(os.environ.get("DISPATCH_FUZZ_STEPS", "8"))  # calls per scenario, at most
# unset: derandomized, stateful seeds 0, 1, ...; a number draws other examples (the seeds from it on)
SEED = os.environ.get("DISPATCH_FUZZ_SEED")
REPORT = os.environ.get("DISPATCH_FUZZ_REPORT")  # a JSON file each test adds its counts to


def _quick_solve(day: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
    return solving.solve(day, policy | {"time_limit": 1.0, "solution_limit": 1})


@pytest.fixture
def api_world(world: World) -> Iterator[World]:
    seed_day(world)  # some real ids for the generator to stumble upon
    with thread_runner(world.client, solve=_quick_solve):
        yield world


NAIVE_TIME = r"[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?"
NAIVE_DATE_TIME = f"[0-9]{{4}}-[01][0-9]-[0-3][0-9]T{NAIVE_TIME}"
NAIVE = {"time": f"^{NAIVE_TIME}$", "date-time": f"^{NAIVE_DATE_TIME}$"}
OFFSET = r"(Z|[+-][01][0-9]:[0-5][0-9])?"
WITH_OFFSETS = {"time": f"^{NAIVE_TIME}{OFFSET}$", "date-time": f"^{NAIVE_DATE_TIME}{OFFSET}$"}
# requests may carry UTC offsets (api/timefields.py: a datetime is converted, a time of day refused with a 422)
REQUEST_TIMES = WITH_OFFSETS
REQUEST = "__request"  # the suffix of the request-side copies of the component schemas


def _times(node: Any, patterns: dict[str, str]) -> Any:
    """Times are naive local times ("08:00:00", "2026-11-24T08:21:00", DESIGN.md); pydantic documents them as
    JSON Schema `format: time` / `date-time`, which (RFC 3339) demand a UTC offset. Checked as what they are."""
    if isinstance(node, dict):
        out = {k: _times(v, patterns) for k, v in node.items()}
        if out.get("format") in patterns:
            out["pattern"] = patterns[out.pop("format")]
        return out
    if isinstance(node, list):
        return [_times(v, patterns) for v in node]
    return node


def _request_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (v + REQUEST if k == "$ref" and v.startswith("#/components/schemas/") else _request_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_request_refs(v) for v in node]
    return node


PLAN_ID = {"plan_id": "$response.body#/id"}
# What a new plan leads to; schemathesis infers the links of the other operations from their schemas.
PLAN_LINKS = {name: {"operationId": op, "parameters": PLAN_ID} for name, op in (
    ("GetPlan", "get_plan_api_v1_plans__plan_id__get"),
    ("PublishPlan", "publish_plan_api_v1_plans__plan_id__publish_post"),
    ("Replan", "replan_api_v1_plans__plan_id__replan_post"),
    ("Recommend", "recommend_api_v1_plans__plan_id__recommend_get"),
    ("Assign", "assign_api_v1_plans__plan_id__assign_post"),
    ("CancelPlan", "cancel_plan_api_v1_plans__plan_id__cancel_post"),
)}


def prepared(raw: dict[str, Any]) -> dict[str, Any]:
    """The app's OpenAPI as the fuzzer uses it: naive times in answers, REQUEST_TIMES in requests (request
    parts refer to copies of the component schemas), and links from a new plan to what it leads to."""
    spec = copy.deepcopy(raw)
    schemas = spec["components"]["schemas"]
    spec["components"]["schemas"] = {name: _times(s, NAIVE) for name, s in schemas.items()} | {
        name + REQUEST: _times(_request_refs(s), REQUEST_TIMES) for name, s in schemas.items()}
    for item in spec["paths"].values():
        for operation in item.values():
            for part in ("parameters", "requestBody"):
                if part in operation:
                    operation[part] = _times(_request_refs(operation[part]), REQUEST_TIMES)
            operation["responses"] = _times(operation["responses"], NAIVE)
    spec["paths"]["/api/v1/plans"]["post"]["responses"]["202"]["links"] = PLAN_LINKS
    return spec


class Sender:
    """Sends generated cases through the session's TestClient as one user; counts and checks the answers."""

    def __init__(self, world: World, who: str) -> None:
        self.world, self.who = world, who
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []  # checks that failed (a stateful run may end in Flaky before it says)
        self.linked: Counter[str] = Counter()  # stateful calls that took ids from an earlier answer, per link

    def send(self, case: schemathesis.Case) -> Response:
        """The response, checked."""
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=self.world.as_(self.who))
        if isinstance(kwargs.get("data"), bytes | str):  # httpx takes raw bodies as `content`
            kwargs["content"] = kwargs.pop("data")
        if kwargs.pop("cookies", None):
            kwargs.setdefault("headers", {})["cookie"] = "; ".join(f"{k}={v}" for k, v in case.cookies.items())
        if kwargs.get("files"):  # httpx sends str or bytes parts; schemathesis may leave a number in a form field
            kwargs["files"] = [(name, (part[0], part[1] if isinstance(part[1], str | bytes) else str(part[1]),
                                       *part[2:])) for name, part in kwargs["files"]]
        for transport_only in ("timeout", "verify", "allow_redirects"):
            kwargs.pop(transport_only, None)
        try:
            raw = self.world.client.request(**kwargs)
        except Exception as e:  # unhandled in the app: a 500 for a real client
            self.failures.append(f"{case.method} {case.formatted_path} -> 500: {type(e).__name__}: {e}")
            raise
        raw.request.read()  # a multipart upload streams; the checks read the request body back
        self.statuses[raw.status_code] += 1
        response = Response.from_any(raw)
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as e:
            self.failures.append(f"{case.method} {case.formatted_path} -> {raw.status_code}: {e}")
            raise
        return response

    def record(self, run: str, role: str, database: Database) -> None:
        """Add the counts to REPORT when it is set."""
        if not REPORT:
            return
        path = Path(REPORT)
        report = json.loads(path.read_text()) if path.exists() else []
        report.append({"database": database.kind, "run": run, "role": role,
                       "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                       "linked": sum(self.linked.values()), "failures": list(dict.fromkeys(self.failures)),
})
        path.write_text(json.dumps(report, indent=1))


def _api(world: World) -> Any:
    # The app is already running in the session's TestClient: load its schema as a dict and send the
    # generated requests through that client (schemathesis's ASGI transport would start a second lifespan).
    return schemathesis.openapi.from_dict(prepared(world.client.get("/api/v1/openapi.json").json()))


def test_every_operation_as_every_role(api_world: World, database: Database) -> None:
    operations = [result.ok() for result in _api(api_world).get_all_operations()]
    assert len(operations) >= 80
    senders = {role: Sender(api_world, who) for role, who in ROLES.items()}
    failed: list[str] = []  # per operation, the (shrunk) failure
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=SEED is None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            for sender in senders.values():
                sender.send(case)

        try:  # every operation is tried, whatever an earlier one did
            (check if SEED is None else seed(int(SEED))(check))()
        except Exception as e:
            failed.append(f"{operation.label}: {e}")
    for role, sender in senders.items():
        sender.record("operations", role, database)
        assert sum(sender.statuses.values()) >= len(operations)
    assert not failed, "\n\n".join(failed)


@pytest.mark.parametrize("role", ROLES)
def test_stateful_scenarios_as_each_role(api_world: World, database: Database, role: str) -> None:
    sender = Sender(api_world, ROLES[role])

    class Scenarios(_api(api_world).as_state_machine()):  # type: ignore[misc]
        def step(self, input: Any) -> Any:
            if input.transition is not None and input.is_applied:
                sender.linked[input.transition.id] += 1
            return super().step(input)

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Response:
            return sender.send(case)

        def validate_response(self, response: Response, case: schemathesis.Case, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            pass  # Sender.send checked it

    assert sum(1 for name in dir(Scenarios) if "__" in name and not name.startswith(("RANDOM", "_"))) >= 100, \
        "links between the operations (inferred, and PLAN_LINKS)"
    first = 0 if SEED is None else int(SEED)
    for n in range(first, first + SEEDS):
        # a scenario changes the server's data, so hypothesis may find a later scenario drawing differently where
        # an earlier one drew, and stop (Flaky); the calls made so far were checked (Sender.failures)
        with contextlib.suppress(Flaky):
            seed(n)(Scenarios).run(settings=settings(
                max_examples=SCENARIOS, stateful_step_count=STEPS, database=None, deadline=None,
                phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    sender.record("stateful", role, database)
    assert not sender.failures
    assert sum(sender.statuses.values()) >= SEEDS * SCENARIOS
    assert sender.linked, "some calls took their ids from an earlier answer"
    assert not [status for status in sender.statuses if status >= 500]
