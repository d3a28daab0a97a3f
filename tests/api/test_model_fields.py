"""The CSV contract's newer fields in the service: skill levels, work days, wanted and refused technicians, the
day of an appointment window and crews; stored by the imports and the JSON resources, read back, and honoured by
the plans the service makes (each checked by the independent checker)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from api.db import downgrade, make_engine, upgrade
from api.orders.models import Order
from api.orders.schemas import OrderRead
from api.orders.service import to_domain
from api.plans import service
from api.plans.schemas import PlanRequest
from dispatch.policy import Policy
from tests.api.conftest import World, fresh_database
from tests.api.planning import SOLUTION_LIMIT, checked, stored_day, thread_runner, wait

SATURDAY = "2026-11-28"  # TA and TB of the world work Monday to Friday: only the imported roster works
TECH_URL = f"/api/v1/technicians/import?plan_date={SATURDAY}"
ORDER_URL = f"/api/v1/orders/import?plan_date={SATURDAY}"
PLAN = {"date": SATURDAY, "time_limit": 30, "seed": 1, "solution_limit": SOLUTION_LIMIT}

TECH_HEADER = ("id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
               "max_orders,van_stock,work_days")
# T-HI and T-LO live 8 km apart on one street; T-OFF, the most skilled, does not work on Saturdays
ROSTER = [
    "T-HI,Hana Haut,hvac:3;english,45.76,4.80,08:00,17:00,,,,,,Sat;Sun",
    "T-LO,Louis Bas,hvac,45.76,4.90,08:00,17:00,,,,,,Mon;Tue;Wed;Thu;Fri;Sat",
    "T-OFF,Odile Lundi,hvac:5,45.76,4.85,08:00,17:00,,,,,,Mon",
]
ORDER_HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
                "required_parts,pinned_technician,preferred_technician,forbidden_technicians,window_date,"
                "technicians_needed")
# each order sits at the door of the technician a rule keeps from it
ORDERS = [
    "O-LEVEL,Clinique Est,45.7602,4.8998,P2,hvac:2,45,2026-11-28T07:00:00,,,,,,,,",
    "O-REFUSE,Ecole Ouest,45.7602,4.8002,P2,hvac,45,2026-11-28T07:00:00,,,,,,T-HI;T-GONE,,1",
    "O-WINDOW,Mairie,45.7700,4.8500,P3,hvac,30,2026-11-28T07:00:00,10:00,12:00,,,,,2026-11-28,",
]


def upload(world: World, url: str, header: str, lines: list[str], name: str) -> Any:
    content = "\n".join([header, *lines]) + "\n"
    return world.client.post(url, files={"file": (name, content.encode(), "text/csv")}, headers=world.as_("disp"))


def get(world: World, path: str) -> dict[str, Any]:
    r = world.client.get(f"/api/v1/{path}", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    return r.json()


def solved(world: World) -> dict[str, Any]:
    """A plan of SATURDAY made by the service, passed by the independent checker against the Day it was made
    from; and that Day."""
    c, h = world.client, world.as_("disp")
    with thread_runner(c):
        r = c.post("/api/v1/plans", json=PLAN, headers=h)
        assert r.status_code == 202, r.text
        body = wait(c, r.json()["id"], h)
    return {"plan": checked(world, body), "day": stored_day(world, body)}


def served_by(plan: dict[str, Any]) -> dict[str, str]:
    return {s["order_id"]: r["technician_id"] for r in plan["routes"] for s in r["stops"]}


@pytest.fixture
def saturday(world: World) -> World:
    r = upload(world, TECH_URL, TECH_HEADER, ROSTER, "technicians.csv")
    assert r.status_code == 201, r.text
    r = upload(world, ORDER_URL, ORDER_HEADER, ORDERS, "orders.csv")
    assert r.status_code == 201, r.text
    return world


def test_imported_fields_read_back_through_the_api(saturday: World) -> None:
    hi = get(saturday, "technicians/T-HI")
    assert (hi["skills"], hi["skill_levels"], hi["work_days"]) == (["english", "hvac"], {"hvac": 3}, [6, 7])
    assert get(saturday, "technicians/T-LO")["skill_levels"] == {}
    level = get(saturday, "orders/O-LEVEL")
    assert (level["required_skills"], level["required_skill_levels"], level["technicians_needed"]) == \
        (["hvac"], {"hvac": 2}, 1)
    refuse = get(saturday, "orders/O-REFUSE")
    # T-GONE is not a technician of the service: stored as given, as `dispatch solve` reads it
    assert (refuse["forbidden_technician_ids"], refuse["preferred_technician_id"]) == (["T-GONE", "T-HI"], None)
    window = get(saturday, "orders/O-WINDOW")
    assert (window["window_date"], window["window_start"], window["window_end"]) == \
        (SATURDAY, f"{SATURDAY}T10:00:00", f"{SATURDAY}T12:00:00")


def test_plans_honour_levels_refusals_and_work_days(saturday: World) -> None:
    result = solved(saturday)
    plan, day = result["plan"], result["day"]
    assert {t.id for t in day.technicians} == {"T-HI", "T-LO"}  # T-OFF and the world's TA, TB are off
    assert day.technician("T-HI").skill_levels == {"hvac": 3}
    who = served_by(plan)
    # each at the other technician's door: only the rules send them across town
    assert who["O-LEVEL"] == "T-HI"  # needs hvac level 2: T-LO holds level 1
    assert who["O-REFUSE"] == "T-LO"  # the customer refuses T-HI
    assert "O-WINDOW" in who
    assert not plan["unassigned"]


def test_a_preferred_technician_gets_the_order_when_it_costs_little(world: World) -> None:
    # the order is at T-NEAR's door; T-WANTED lives 3 km away, a detour cheaper than missing the preference
    roster = ["T-NEAR,Nina Pres,hvac,45.76,4.80,08:00,17:00,,,,,,Sat",
              "T-WANTED,Victor Voulu,hvac,45.76,4.83,08:00,17:00,,,,,,Sat"]
    assert upload(world, TECH_URL, TECH_HEADER, roster, "technicians.csv").status_code == 201
    order = "O-PREF,Cafe,45.7602,4.8002,P3,hvac,30,2026-11-28T07:00:00,,,,,T-WANTED,,,"
    r = upload(world, ORDER_URL, ORDER_HEADER, [order], "orders.csv")
    assert r.status_code == 201, r.text
    assert get(world, "orders/O-PREF")["preferred_technician_id"] == "T-WANTED"
    assert served_by(solved(world)["plan"]) == {"O-PREF": "T-WANTED"}


def test_a_crew_beyond_the_sane_size_is_refused_by_the_import_naming_row_field_and_value(world: World) -> None:
    """A crew of 2 is taken (tests/api/test_crews.py runs its day); 0 or more than MAX_CREW (4) is not, and
    nothing of the file is kept."""
    crews = [f"O-CREW{n},Tour,45.76,4.85,P3,hvac,60,2026-11-28T07:00:00,,,,,,,,{n}" for n in (0, 2, 5)]
    r = upload(world, ORDER_URL, ORDER_HEADER, [ORDERS[0], *crews], "orders.csv")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [(e["row"], e["column"], e["value"]) for e in errors] == [(3, "technicians_needed", "0"),
                                                                      (5, "technicians_needed", "5")]
    assert all("outside 1..4" in e["message"] for e in errors)
    assert world.client.get("/api/v1/orders", headers=world.as_("disp")).json()["total"] == 0  # all or nothing


ORDER = {"id": "O9", "customer_id": "C9", "lat": 45.76, "lon": 4.85, "priority": "P3", "duration_min": 30,
         "required_skills": ["hvac:2", "english"], "created_at": "2026-11-28T07:00:00",
         "preferred_technician_id": "TA", "forbidden_technician_ids": ["TB"],
         "window_start": "2026-11-28T10:00:00", "window_end": "2026-11-28T12:00:00", "window_date": SATURDAY}


def test_the_json_resources_take_the_same_fields(world: World) -> None:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "C9", "name": "Nine"}, headers=h).status_code == 201
    r = c.post("/api/v1/orders", json=ORDER, headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["required_skills"], body["required_skill_levels"]) == (["english", "hvac"], {"hvac": 2})
    assert (body["preferred_technician_id"], body["forbidden_technician_ids"], body["window_date"],
            body["technicians_needed"]) == ("TA", ["TB"], SATURDAY, 1)
    r = c.patch("/api/v1/orders/O9", json={"required_skills": ["hvac"], "forbidden_technician_ids": []}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["required_skill_levels"], r.json()["forbidden_technician_ids"]) == ({}, [])

    r = c.patch("/api/v1/technicians/TA", json={"skills": ["hvac:4", "english"]}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["skills"], r.json()["skill_levels"]) == (["english", "hvac"], {"hvac": 4})


@pytest.mark.parametrize(("change", "field", "says"), [
    ({"required_skills": ["hvac:2", "hvac:3"]}, "required_skills", "given at two levels"),
])
def test_the_json_resources_refuse_what_the_service_cannot_plan(world: World, change: dict[str, Any], field: str,
                                                                 says: str) -> None:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "C9", "name": "Nine"}, headers=h).status_code == 201
    r = c.post("/api/v1/orders", json=ORDER | change, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", field]
    assert says in r.json()["errors"][0]["msg"]
    assert c.post("/api/v1/orders", json=ORDER, headers=h).status_code == 201
    r = c.patch("/api/v1/orders/O9", json=change, headers=h)
    assert r.status_code == 422, r.text
    assert says in r.json()["errors"][0]["msg"]


@pytest.mark.parametrize(("needed", "says"), [(0, "greater than or equal to 1"), (5, "less than or equal to 4")])
def test_the_json_resources_refuse_a_crew_of_no_one_or_beyond_the_sane_size(world: World, needed: int,
                                                                           says: str) -> None:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "C9", "name": "Nine"}, headers=h).status_code == 201
    r = c.post("/api/v1/orders", json=ORDER | {"technicians_needed": needed}, headers=h)
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert (error["loc"], error["input"]) == (["body", "technicians_needed"], needed)
    assert says in error["msg"]
    assert c.post("/api/v1/orders", json=ORDER | {"technicians_needed": 2}, headers=h).status_code == 201
    r = c.patch("/api/v1/orders/O9", json={"technicians_needed": needed}, headers=h)
    assert r.status_code == 422, r.text
    assert (r.json()["detail"][0]["loc"], r.json()["detail"][0]["input"]) == (["body", "technicians_needed"], needed)
    assert c.get("/api/v1/orders/O9", headers=h).json()["technicians_needed"] == 2


def test_a_window_off_its_window_date_is_refused(world: World) -> None:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json={"id": "C9", "name": "Nine"}, headers=h).status_code == 201
    r = c.post("/api/v1/orders", json=ORDER | {"window_date": "2026-11-30"}, headers=h)
    assert r.status_code == 422, r.text
    assert "is not on window_date 2026-11-30" in r.text


def test_a_plan_request_plans_the_days_it_asks_for_whatever_the_deployment_default(world: World) -> None:
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        for asked in (1, 3):
            job = service.submit(session, data=PlanRequest(date=date(2026, 11, 28), horizon_days=asked),
                                 defaults=Policy(horizon_days=2), user_id=None, now=datetime(2026, 11, 28, 7)).job
            assert job.policy["horizon_days"] == asked


OLD_ORDER = ("INSERT INTO orders (id, customer_id, lat, lon, priority, required_skills, duration_min, created_at, "
             "required_parts, status, source) VALUES ('O', 'C', 45, 4, 'P1', '[\"hvac\"]', 10, "
             "'2026-11-24 07:00:00', '{}', 'open', 'api')")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_migration_adds_the_columns_to_existing_orders_and_removes_them(kind: str, tmp_path: Any) -> None:
    with fresh_database(kind, tmp_path) as db:
        engine = make_engine(db.url, **db.engine_args)
        try:
            upgrade(engine, "0011")
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO customers (id, name) VALUES ('C', 'c')"))
                conn.execute(text(OLD_ORDER))
            upgrade(engine)
            with Session(engine) as session:  # an order from before: one technician, no levels, no refusals
                row = session.get(Order, "O")
                assert row is not None
                read = OrderRead.model_validate(row)
                assert (read.technicians_needed, read.required_skill_levels, read.forbidden_technician_ids,
                        read.preferred_technician_id, read.window_date) == (1, {}, [], None, None)
                order = to_domain(row)
                assert (order.technicians_needed, dict(order.skill_levels), order.forbidden_technicians) == \
                    (1, {}, frozenset())
            downgrade(engine, "0011")
            columns = {c["name"] for c in inspect(engine).get_columns("orders")}
            assert not {"required_skill_levels", "preferred_technician_id", "forbidden_technician_ids",
                        "window_date", "technicians_needed"} & columns
            assert "skill_levels" not in {c["name"] for c in inspect(engine).get_columns("technicians")}
            with engine.connect() as conn:
                assert conn.execute(text("SELECT id FROM orders")).scalars().all() == ["O"]
            upgrade(engine)
            assert "technicians_needed" in {c["name"] for c in inspect(engine).get_columns("orders")}
            assert "skill_levels" in {c["name"] for c in inspect(engine).get_columns("technicians")}
        finally:
            engine.dispose()
