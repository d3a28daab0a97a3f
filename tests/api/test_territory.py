"""Territories end to end: the optional `territory` column of technicians.csv and orders.csv is stored, shown,
changed, and reaches the Day a plan is made from, so a large day splits by the dispatcher's own territories."""

from __future__ import annotations

from datetime import date

from api.plans.models import PlanJob
from api.plans.service import build_day
from dispatch.domain import Day
from dispatch.io.day_json import day_from_dict
from dispatch.planning.regions import plan_by_region, split_day
from dispatch.policy import Policy
from tests.api.conftest import World
from tests.api.planning import PLAN, checked, thread_runner, wait
from tests.factories import assert_valid

DATE = date(2026, 11, 24)  # a Tuesday: the world's TA and TB work
TECH_URL = f"/api/v1/technicians/import?plan_date={DATE}"
ORDER_URL = f"/api/v1/orders/import?plan_date={DATE}"
TECH_HEADER = ("id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
               "max_orders,van_stock")
ORDER_HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
                "required_parts,pinned_technician")
TECHS = [  # (cells, territory)
    ("T1,Alice Martin,hvac,45.78,4.84,08:00,17:00,,,,,", "Nord"),
    ("T2,Bruno Petit,hvac,45.74,4.84,08:00,17:00,,,,,", "Sud"),
    ("T3,Chloe Roux,hvac,45.76,4.84,08:00,17:00,,,,,", ""),
]
# two orders in each territory and one without: split_day gives that one to the nearest technician's territory
ORDERS = [
    ("N1,Hospital Dupont,45.785,4.842,P1,hvac,60,2026-11-24T07:00:00,,,,", "Nord"),
    ("N2,School Martin,45.779,4.836,P3,hvac,30,2026-11-23T16:00:00,,,,", "Nord"),
    ("S1,Gare Sud,45.741,4.845,P2,hvac,45,2026-11-23T09:00:00,,,,", "Sud"),
    ("S2,Bakery Sud,45.736,4.839,P4,hvac,30,2026-11-22T09:00:00,,,,", "Sud"),
    ("X1,Shop Nord,45.790,4.846,P3,hvac,30,2026-11-23T10:00:00,,,,", ""),
]


def csv_file(header: str, rows: list[tuple[str, str]], *, territory: bool = True) -> bytes:
    if not territory:
        return "\n".join([header, *(cells for cells, _ in rows)]).encode() + b"\n"
    return "\n".join([header + ",territory", *(f"{cells},{t}" for cells, t in rows)]).encode() + b"\n"


def upload(world: World, url: str, content: bytes, name: str):
    return world.client.post(url, files={"file": (name, content, "text/csv")}, headers=world.as_("disp"))


def import_both(world: World, *, territory: bool = True) -> None:
    r = upload(world, TECH_URL, csv_file(TECH_HEADER, TECHS, territory=territory), "technicians.csv")
    assert r.status_code == 201, r.text
    r = upload(world, ORDER_URL, csv_file(ORDER_HEADER, ORDERS, territory=territory), "orders.csv")
    assert r.status_code == 201, r.text


def get(world: World, what: str, item_id: str) -> dict:
    r = world.client.get(f"/api/v1/{what}/{item_id}", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    return r.json()


def patch(world: World, what: str, item_id: str, body: dict):
    return world.client.patch(f"/api/v1/{what}/{item_id}", json=body, headers=world.as_("disp"))


def day_of(world: World) -> Day:
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        return build_day(session, day=DATE)


def territories_of(day: Day) -> tuple[dict[str, str | None], dict[str, str | None]]:
    return {t.id: t.territory for t in day.technicians}, {o.id: o.territory for o in day.orders}


def put_world_in_territories(world: World) -> None:
    """TA and TB of the world go to Nord and Sud, so that every working technician has a territory."""
    for tid, name in (("TA", "Nord"), ("TB", "Sud")):
        assert patch(world, "technicians", tid, {"territory": name}).status_code == 200


def test_imported_territories_are_stored_and_shown(world: World) -> None:
    import_both(world)
    assert [get(world, "technicians", t)["territory"] for t in ("T1", "T2", "T3", "TA")] == \
        ["Nord", "Sud", None, None]  # an empty cell, and a technician created without one, have none
    assert [get(world, "orders", o)["territory"] for o in ("N1", "S2", "X1")] == ["Nord", "Sud", None]
    listed = world.client.get("/api/v1/technicians?limit=100", headers=world.as_("disp")).json()["items"]
    assert {t["id"]: t["territory"] for t in listed}["T2"] == "Sud"


def test_files_without_a_territory_column_import_as_before(world: World) -> None:
    import_both(world, territory=False)
    assert get(world, "technicians", "T1")["territory"] is None
    assert get(world, "orders", "N1")["territory"] is None
    techs, orders = territories_of(day_of(world))
    assert set(techs.values()) == {None}
    assert set(orders.values()) == {None}


def test_patch_sets_changes_and_clears_a_territory(world: World) -> None:
    import_both(world)
    r = patch(world, "technicians", "T1", {"territory": "  Lyon Est "})
    assert r.status_code == 200, r.text
    assert r.json()["territory"] == "Lyon Est"  # stripped, like the CSV cells
    assert get(world, "technicians", "T1")["territory"] == "Lyon Est"
    assert patch(world, "technicians", "T3", {"territory": "Sud"}).json()["territory"] == "Sud"
    assert patch(world, "technicians", "T2", {"territory": None}).json()["territory"] is None
    assert patch(world, "technicians", "T1", {"name": "Alice M."}).json()["territory"] == "Lyon Est"  # untouched

    assert patch(world, "orders", "X1", {"territory": "Nord"}).json()["territory"] == "Nord"
    assert patch(world, "orders", "N1", {"territory": None}).json()["territory"] is None
    assert get(world, "orders", "X1")["territory"] == "Nord"

    for bad in ("", "   ", "x" * 65):  # empty (after stripping) or longer than the column: refused, unchanged
        assert patch(world, "technicians", "T1", {"territory": bad}).status_code == 422
        assert patch(world, "orders", "X1", {"territory": bad}).status_code == 422
    assert get(world, "technicians", "T1")["territory"] == "Lyon Est"
    assert get(world, "orders", "X1")["territory"] == "Nord"


def test_create_takes_a_territory(world: World) -> None:
    c, h = world.client, world.as_("disp")
    tech = {"id": "T9", "name": "Nina", "home_lat": 45.7, "home_lon": 4.8, "shift_start": "08:00",
            "shift_end": "17:00", "territory": "Ouest"}
    r = c.post("/api/v1/technicians", json=tech, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["territory"] == "Ouest"
    assert c.post("/api/v1/customers", json={"id": "C1", "name": "Client"}, headers=h).status_code == 201
    order = {"id": "O9", "customer_id": "C1", "lat": 45.7, "lon": 4.8, "priority": "P3", "duration_min": 30,
             "territory": "Ouest"}
    r = c.post("/api/v1/orders", json=order, headers=h)
    assert r.status_code == 201, r.text
    assert get(world, "orders", "O9")["territory"] == "Ouest"


def test_a_territory_too_long_to_store_is_a_bad_cell(world: World) -> None:
    long = "x" * 65
    rows = [(TECHS[0][0], long)]
    r = upload(world, TECH_URL, csv_file(TECH_HEADER, rows), "technicians.csv")
    assert r.status_code == 422, r.text
    assert [(e["row"], e["column"], e["value"]) for e in r.json()["errors"]] == [(2, "territory", long)]
    r = upload(world, ORDER_URL, csv_file(ORDER_HEADER, [ORDERS[0], (ORDERS[1][0], long)]), "orders.csv")
    assert r.status_code == 422, r.text
    assert [(e["row"], e["column"], e["value"]) for e in r.json()["errors"]] == [(3, "territory", long)]
    assert "nothing was imported" in r.json()["detail"]
    assert world.client.get("/api/v1/orders", headers=world.as_("disp")).json()["total"] == 0


def test_the_day_of_a_plan_job_carries_the_territories(world: World) -> None:
    import_both(world)
    put_world_in_territories(world)
    expected_techs = {"T1": "Nord", "T2": "Sud", "T3": None, "TA": "Nord", "TB": "Sud"}
    expected_orders = {"N1": "Nord", "N2": "Nord", "S1": "Sud", "S2": "Sud", "X1": None}
    assert territories_of(day_of(world)) == (expected_techs, expected_orders)

    c, h = world.client, world.as_("disp")
    with thread_runner(c):
        r = c.post("/api/v1/plans", json=PLAN, headers=h)
        assert r.status_code == 202, r.text
        body = wait(c, r.json()["id"], h)
    plan = checked(world, body)  # the independent checker, against the Day the job stored
    assert {s["order_id"] for route in plan["routes"] for s in route["stops"]} | \
        {u["order_id"] for u in plan["unassigned"]} == set(expected_orders)
    maker = c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        job = session.get(PlanJob, body["id"])
        assert job is not None
        assert job.input is not None
        assert territories_of(day_from_dict(job.input)) == (expected_techs, expected_orders)


def test_a_large_day_splits_by_the_stored_territories(world: World) -> None:
    import_both(world)
    put_world_in_territories(world)
    assert patch(world, "technicians", "T3", {"territory": "Nord"}).status_code == 200  # now everyone has one
    day = day_of(world)

    regions = split_day(day, 20)
    assert sorted(r.name for r in regions) == ["Nord", "Sud"]  # the dispatcher's territories, not R01, R02
    by_name = {r.name: r for r in regions}
    assert sorted(by_name["Nord"].technicians) == ["T1", "T3", "TA"]
    assert sorted(by_name["Sud"].technicians) == ["T2", "TB"]
    nord = set(by_name["Nord"].orders) | set(by_name["Nord"].held)
    sud = set(by_name["Sud"].orders) | set(by_name["Sud"].held)
    assert nord == {"N1", "N2", "X1"}  # X1 has no territory: it goes with the nearest home (T1, Nord)
    assert sud == {"S1", "S2"}

    plan = plan_by_region(day, Policy(time_limit=10, solution_limit=5, seed=1, region_orders=20), regions=regions)
    assert_valid(day, plan)
    assert sorted(plan.assigned_ids() + [u.order_id for u in plan.unassigned]) == sorted(o.id for o in day.orders)
