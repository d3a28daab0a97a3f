"""Times as people send them, on both databases: a date and time with a UTC offset is converted to the plan
area's local time (Europe/Paris here, +01:00 in November); a time of day with one is a 422 naming the field.
Never a 500, whichever operation of the OpenAPI takes it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from typing import Annotated, Any, get_args, get_origin
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, WrapValidator

import api
from api import timefields
from api.main import create_app
from tests.api.conftest import Database, World, make_settings
from tests.api.planning import DATE, seed_day

V = "/api/v1"
ROLES = ("disp", "store", "plan", "super", "tech_a")
DATETIMES = ["2026-11-24T06:10:00Z", "2026-11-24T10:10:00+04:00", "2026-11-23T19:10:00-11:00"]  # 07:10 in Lyon
EXTREME = "0001-01-01T00:30:00+14:00"  # year 0 once in Lyon: out of range
TIMES = ["00:00:00Z", "08:00+02:00"]
PATH_VALUES = {"technician_id": "TA", "order_id": "O1", "date": DATE.isoformat(), "day": DATE.isoformat(),
               "plan_id": "00000000-0000-4000-8000-000000000000", "visit_id": "1"}


def _spec() -> dict[str, Any]:
    app = create_app(make_settings(Database("sqlite", "sqlite:///:memory:")))  # no request: no database opened
    return app.openapi()


SPEC = _spec()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _formats(schema: dict[str, Any]) -> set[str]:
    schema = _resolve(schema)
    found = {schema["format"]} if "format" in schema else set()
    for sub in schema.get("anyOf", []):
        found |= _formats(sub)
    return found


def _time_fields() -> list[tuple[str, str, str, str, str]]:
    """(method, path, in, name, format) of every request field and query parameter of time or date-time type."""
    out: list[tuple[str, str, str, str, str]] = []
    for path, operations in SPEC["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                for fmt in _formats(param["schema"]) & {"time", "date-time"}:
                    out.append((method, path, param["in"], param["name"], fmt))
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                for name, prop in _resolve(body["schema"]).get("properties", {}).items():
                    for fmt in _formats(prop) & {"time", "date-time"}:
                        out.append((method, path, "body", name, fmt))
    return out


FIELDS = _time_fields()


def test_the_openapi_has_time_fields_to_try() -> None:
    # the walk finds what the API takes (a nested one would need the walk to go deeper: none today)
    assert ("patch", f"{V}/technicians/{{technician_id}}", "body", "shift_start", "time") in FIELDS
    assert ("post", f"{V}/events", "body", "time", "date-time") in FIELDS
    assert ("get", f"{V}/days/{{day}}/status", "query", "at", "date-time") in FIELDS
    assert len(FIELDS) >= 30


def _send(world: World, method: str, path: str, where: str, name: str, value: str) -> Any:
    url = path
    for key, filler in PATH_VALUES.items():
        url = url.replace(f"{{{key}}}", filler)
    assert "{" not in url, f"no value for a path parameter of {path}"
    kwargs: dict[str, Any] = {"params": {name: value}} if where == "query" else {"json": {name: value}}
    for who in ROLES:  # the first role the operation lets in
        r = world.client.request(method.upper(), url, headers=world.as_(who), **kwargs)
        if r.status_code not in (401, 403):
            return r
    raise AssertionError(f"no role may call {method} {path}")


def _errors_on(r: Any, where: str, name: str) -> list[dict[str, Any]]:
    body = r.json()
    items = body.get("errors") or (body["detail"] if isinstance(body.get("detail"), list) else [])
    return [e for e in items if list(e.get("loc", []))[:2] == [where, name]]


@pytest.fixture
def day(world: World) -> World:
    seed_day(world)  # O1.. of customers C1.., for TA and TB
    return world


@pytest.mark.parametrize(("method", "path", "where", "name", "fmt"), FIELDS,
                         ids=[f"{m} {p.removeprefix(V)} {n}" for m, p, _, n, _ in FIELDS])
def test_every_time_field_takes_an_offset_by_the_rule(day: World, method: str, path: str, where: str, name: str,
                                                      fmt: str) -> None:
    for value in TIMES if fmt == "time" else [*DATETIMES, EXTREME]:
        r = _send(day, method, path, where, name, value)
        assert r.status_code < 500, (value, r.text)
        named = _errors_on(r, where, name)
        if fmt == "time":  # a time of day: refused, naming the field and the value sent
            assert r.status_code == 422, (value, r.text)
            assert [(e["type"], e["input"]) for e in named] == [("time_offset", value)], r.text
        elif value == EXTREME:
            assert r.status_code == 422, r.text
            assert [(e["type"], e["input"]) for e in named] == [("datetime_offset", value)], r.text
        else:  # a date and time: converted, so nothing is said about it
            assert named == [], (value, r.text)


def test_a_shift_time_with_an_offset_is_refused_naming_the_field(world: World) -> None:
    c, h = world.client, world.as_("disp")
    r = c.patch(f"{V}/technicians/TA", json={"shift_start": "00:00:00Z"}, headers=h)
    assert r.status_code == 422
    [e] = r.json()["detail"]
    assert (e["loc"], e["input"]) == (["body", "shift_start"], "00:00:00Z")
    assert "without a UTC offset" in e["msg"]
    assert c.get(f"{V}/technicians/TA", headers=h).json()["shift_start"] == "08:00:00"  # unchanged
    r = c.patch(f"{V}/technicians/TA", json={"shift_start": "07:30"}, headers=h)
    assert (r.status_code, r.json()["shift_start"]) == (200, "07:30:00")


@pytest.mark.parametrize("sent", DATETIMES)
def test_a_datetime_with_an_offset_is_the_plan_areas_local_time(world: World, sent: str) -> None:
    c, h = world.client, world.as_("disp")
    assert c.post(f"{V}/customers", json={"id": "C1", "name": "c"}, headers=h).status_code == 201
    order = {"id": "O1", "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P2", "duration_min": 30,
             "required_skills": ["hvac"], "created_at": sent}
    r = c.post(f"{V}/orders", json=order, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["created_at"] == "2026-11-24T07:10:00"
    # the same rule for a query: the order was created at 07:10 local, so after 07:05 and not after 07:15
    around = {"created_from": "2026-11-24T06:05:00Z", "created_to": "2026-11-24T07:15:00+01:00"}
    assert c.get(f"{V}/orders", params=around, headers=h).json()["total"] == 1
    assert c.get(f"{V}/orders", params={"created_from": "2026-11-24T06:15:00Z"}, headers=h).json()["total"] == 0
    # and in summer, Lyon is two hours ahead of UTC
    r = c.patch(f"{V}/orders/O1", json={"created_at": "2026-07-01T06:10:00Z"}, headers=h)
    assert (r.status_code, r.json()["created_at"]) == (200, "2026-07-01T08:10:00")


def test_each_app_reads_times_in_its_own_plan_area() -> None:
    def echo_app(zone: str) -> FastAPI:
        app = FastAPI()
        app.add_middleware(timefields.PlanAreaZone, zone=ZoneInfo(zone))

        @app.get("/echo")
        def echo(at: timefields.LocalDateTime) -> str:
            return at.isoformat()
        return app

    with TestClient(echo_app("America/New_York")) as ny, TestClient(echo_app("Asia/Tokyo")) as tokyo:
        assert ny.get("/echo", params={"at": "2026-11-24T15:00:00Z"}).json() == "2026-11-24T10:00:00"
        assert tokyo.get("/echo", params={"at": "2026-11-24T15:00:00Z"}).json() == "2026-11-25T00:00:00"
        assert ny.get("/echo", params={"at": "2026-11-24T15:00:00"}).json() == "2026-11-24T15:00:00"
    with pytest.raises(ValueError, match="no plan area"):  # outside a request no zone is known
        timefields.to_local(dt.datetime(2026, 11, 24, 15, tzinfo=dt.UTC), None)


def _ours(metadata: Any) -> bool:
    return any(isinstance(m, WrapValidator) and m.func in (timefields._local_time, timefields._local_datetime)
               for m in metadata)


def _bare(tp: Any, wrapped: bool) -> bool:
    """Whether `tp` holds a time or datetime that is not one of the shared types."""
    if get_origin(tp) is Annotated:
        inner, *metadata = get_args(tp)
        return _bare(inner, wrapped or _ours(metadata))
    if tp in (dt.time, dt.datetime):
        return not wrapped
    return any(_bare(a, wrapped) for a in get_args(tp))


def test_every_schema_uses_the_shared_time_types() -> None:
    bare: list[str] = []
    for info in pkgutil.walk_packages(api.__path__, "api."):
        if not info.name.endswith(".schemas"):
            continue
        module = importlib.import_module(info.name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, BaseModel) or cls.__module__ != module.__name__:
                continue
            for field_name, field in cls.model_fields.items():
                if _bare(field.annotation, _ours(field.metadata)):
                    bare.append(f"{info.name}.{cls_name}.{field_name}")
    assert bare == []
