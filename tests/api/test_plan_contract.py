"""The plan contract in the OpenAPI schema (api.plans.schemas.PlanContract), and plans sent exactly as stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.plans.models import PlanJob
from api.plans.schemas import PlanContract
from tests.api.conftest import World
from tests.api.planning import PLAN, seed_day, thread_runner, wait


def _exact(value: Any) -> str:
    # key order and number types count: 36000 and 36000.0 compare equal in Python but not here
    return json.dumps(value)


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its $ref followed, and `X | None` (anyOf with null) taken as X."""
    if "anyOf" in schema:
        schema = next(s for s in schema["anyOf"] if s.get("type") != "null")
    if "$ref" in schema:
        return _resolve(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    return schema


def test_the_openapi_schema_documents_the_plan(world: World) -> None:
    spec = world.client.get("/api/v1/openapi.json").json()
    response = spec["paths"]["/api/v1/plans/{plan_id}"]["get"]["responses"]["200"]
    job = _resolve(spec, response["content"]["application/json"]["schema"])
    plan = _resolve(spec, job["properties"]["plan"])
    assert {"date", "routes", "unassigned", "kpis", "objective", "policy"} <= set(plan["properties"])
    route = _resolve(spec, plan["properties"]["routes"]["items"])
    assert {"technician_id", "stops", "break", "travel_km"} <= set(route["properties"])
    stop = _resolve(spec, route["properties"]["stops"]["items"])
    assert {"order_id", "arrival", "start", "end", "late_minutes"} <= set(stop["properties"])
    unassigned = _resolve(spec, plan["properties"]["unassigned"]["items"])
    assert {"order_id", "reason", "rule"} <= set(unassigned["properties"])
    kpis = _resolve(spec, plan["properties"]["kpis"])
    assert {"by_priority", "utilization", "objective", "solver"} <= set(kpis["properties"])
    objective = _resolve(spec, kpis["properties"]["objective"])
    assert {"unserved", "response deadline", "travel", "workload balance", "total"} <= set(objective["properties"])


def test_a_solved_plan_is_sent_exactly_as_it_is_stored(world: World) -> None:
    seed_day(world)
    c, h = world.client, world.as_("disp")
    with thread_runner(c):
        body = wait(c, c.post("/api/v1/plans", json=PLAN, headers=h).json()["id"], h)
    assert body["status"] == "done", body
    with world.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        job = session.get(PlanJob, body["id"])
        assert job is not None
        stored = job.plan
    assert stored is not None
    # what the routes sent before the plan had a schema: the stored JSON, as it is
    for answer in (body, c.get(f"/api/v1/plans/{body['id']}", headers=h).json()):
        assert _exact(answer["plan"]) == _exact(stored)
    model = PlanContract.model_validate(stored)
    assert _exact(model.model_dump(mode="json", by_alias=True, exclude_unset=True)) == _exact(stored)
    assert model.kpis.objective.response_deadline == stored["objective"]["response deadline"]


LEAN = {  # a plan without what Plan.from_dict reads with a default: nothing is added, no null appears
    "date": "2026-11-24",
    "routes": [{"technician_id": "TA", "stops": [
        {"order_id": "O1", "arrival": "2026-11-24T08:10:00", "start": "2026-11-24T08:10:00",
         "end": "2026-11-24T09:10:00", "travel_km": 3, "travel_minutes": 4.5, "late_minutes": 0}],
                "travel_km": 3}],
    "unassigned": [{"order_id": "O2", "reason": "no technician has skill 'x'"}],
    "kpis": {"orders": 2, "served": 1, "unassigned": 1, "technicians": 1, "technicians_used": 1,
             "by_priority": {"P1": {"orders": 2, "served": 1, "on_time": 1, "late": 0, "unserved": 1}},
             "total_late_minutes": 0, "max_late_minutes": 0, "travel_km": 3, "travel_minutes": 9,
             "utilization": {"TA": 0.25}, "mean_utilization": 0.25, "unassigned_by_reason": {"required skill": 1},
             "objective": {"unserved": 100000, "response deadline": 0, "travel": 3, "total": 100003}},
    "objective": {"unserved": 100000, "response deadline": 0, "travel": 3, "total": 100003},
    "policy": {"seed": 0, "time_limit": 10},
}


@pytest.mark.parametrize("plan", [
    LEAN,
    LEAN | {"kpis": LEAN["kpis"] | {"solver": {"status": "feasible", "wall_time_s": 1.5, "solutions_found": 3,
                                               "regions": [{"name": "north", "orders": 1}], "border": []},
                                    "a later kpi": [1, 2]},
            # the balance before the total, as dispatch.checker reports it
            "objective": {"unserved": 100000, "response deadline": 0, "travel": 3, "workload balance": 12.5,
                          "total": 100015.5},
            "policy": LEAN["policy"] | {"a later knob": {"x": 1}}, "a later part": None},
], ids=["lean", "with-later-keys"])
def test_the_contract_keeps_what_it_does_not_name_and_adds_nothing(plan: dict[str, Any]) -> None:
    dumped = PlanContract.model_validate(plan).model_dump(mode="json", by_alias=True, exclude_unset=True)
    assert _exact(dumped) == _exact(plan)
