"""Bulk import of technicians.csv: all or nothing, every bad cell by row, column and value, vans stocked
through the ledger."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch.errors import InputError
from dispatch.io import technicians_from_csv_bytes
from tests.api.conftest import World

URL = "/api/v1/technicians/import?plan_date=2026-11-24"  # a Tuesday
HEADER = ("id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
          "max_orders,van_stock")
GOOD = [
    "T1,Alice Martin,hvac;english,45.75,4.85,08:00,17:00,12:00,13:30,30,6,P-310:2;P-NEW:1",
    "T2,Bruno Petit,elevator,45.76,4.83,07:30,16:00,,,,,P-310:0",
    "T3,Chloe Roux,hvac,45.74,4.86,09:00,18:00,,,,4,",
]


def upload(world: World, lines: list[str], name: str = "technicians.csv", who: str = "disp",
           url: str = URL):
    content = "\n".join([HEADER, *lines]) + "\n"
    return world.client.post(url, files={"file": (name, content.encode(), "text/csv")}, headers=world.as_(who))


def technician_ids(world: World) -> list[str]:
    items = world.client.get("/api/v1/technicians?limit=100", headers=world.as_("disp")).json()["items"]
    return [t["id"] for t in items]


def test_a_good_file_creates_technicians_vans_and_van_stock(world: World) -> None:
    world.client.post("/api/v1/parts", json={"id": "P-310", "name": "Valve", "unit_cost": "12.50"},
                      headers=world.as_("store"))
    r = upload(world, GOOD)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["created"], body["technician_ids"]) == (3, ["T1", "T2", "T3"])
    assert body["parts_created"] == ["P-NEW"]  # P-310 was known; P-NEW is created at price 0 and said so
    assert "P-NEW" in body["message"]
    assert "unit_cost 0" in body["message"]
    assert body["receipts"] == 2  # T1's two parts; T2's empty bin (0) moves nothing

    assert technician_ids(world) == ["T1", "T2", "T3", "TA", "TB"]
    t1 = world.client.get("/api/v1/technicians/T1", headers=world.as_("disp")).json()
    assert (t1["name"], t1["skills"], t1["shift_start"], t1["break_minutes"], t1["max_orders"]) == \
        ("Alice Martin", ["english", "hvac"], "08:00:00", 30, 6)
    assert t1["van_location_id"] == "VAN-T1"
    assert 2 in t1["work_days"]  # the plan date's weekday

    stock = world.client.get("/api/v1/stock?location_id=VAN-T1", headers=world.as_("store")).json()["items"]
    assert {(s["part_id"], s["quantity"]) for s in stock} == {("P-310", 2), ("P-NEW", 1)}
    assert world.client.get("/api/v1/stock?location_id=VAN-T2", headers=world.as_("store")).json()["total"] == 0
    moves = world.client.get("/api/v1/stock/movements?location_id=VAN-T1",
                             headers=world.as_("store")).json()["items"]
    assert {(m["kind"], m["part_id"], m["quantity"], m["reason"], m["from_location_id"]) for m in moves} == \
        {("receive", "P-310", 2, "import", None), ("receive", "P-NEW", 1, "import", None)}
    assert {m["unit_cost"] for m in moves if m["part_id"] == "P-310"} == {"12.50"}
    part = world.client.get("/api/v1/parts/P-NEW", headers=world.as_("store")).json()
    assert float(part["unit_cost"]) == 0


def test_a_bad_file_imports_nothing_and_lists_every_bad_cell(world: World) -> None:
    lines = [
        GOOD[0],
        "T2,Bruno,elevator,123.4,4.83,07:30,16:00,,,,,",              # home_lat out of range
        "T3,Chloe,hvac,45.74,4.86,09:00,08:00,,,,x,P-1:y",            # shift_end, max_orders, van_stock
        "T1,Dup,hvac,45.74,4.86,25:00,18:00,,,,,",                    # duplicate id, shift_start
    ]
    r = upload(world, lines, name="roster.csv")
    assert r.status_code == 422
    body = r.json()
    assert "nothing was imported" in body["detail"]
    cells = {(e["row"], e["column"], e["value"]) for e in body["errors"]}
    assert (3, "home_lat", "123.4") in cells
    assert (4, "max_orders", "x") in cells
    assert (4, "van_stock", "P-1:y") in cells
    assert (5, "id", "T1") in cells
    assert (5, "shift_start", "25:00") in cells
    assert (4, "shift_end", "08:00") in cells
    assert all(e["file"] == "roster.csv" and e["message"] for e in body["errors"])
    rows = [e["row"] for e in body["errors"]]
    assert rows == sorted(rows)
    assert technician_ids(world) == ["TA", "TB"]  # the good first row was not imported either
    assert world.client.get("/api/v1/stock/movements", headers=world.as_("store")).json()["total"] == 0
    assert world.client.get("/api/v1/parts", headers=world.as_("store")).json()["total"] == 0


def test_the_api_and_the_cli_reader_report_the_same_cells(world: World) -> None:
    lines = ["T1,X,hvac,91,4.8,08:00,17:00,,,,,", "T2,Y,hvac,45,4.8,8h,17:00,12:00,,,,P:1"]
    content = ("\n".join([HEADER, *lines]) + "\n").encode()
    with pytest.raises(InputError) as cli:
        technicians_from_csv_bytes(content, date(2026, 11, 24), source="technicians.csv")
    api = upload(world, lines).json()["errors"]
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in api] == \
        [(e.row, e.column, e.value, e.message) for e in sorted(cli.value.errors, key=lambda e: e.sort_key())]


def test_the_services_own_rules_are_cell_errors_too(world: World) -> None:
    # a file the CSV reader accepts, with values a technician created through the API may not have
    lines = [GOOD[2], "T5 X,Eve,hvac,45.74,4.86,08:00,17:00,,,,,", "T6,Fay,hvac,45.7,4.8,08:00,17:00,,,,,P 1:2"]
    r = upload(world, lines)
    assert r.status_code == 422
    cells = [(e["row"], e["column"], e["value"]) for e in r.json()["errors"]]
    assert cells == [(3, "id", "T5 X"), (4, "van_stock", "P 1:2")]
    assert technician_ids(world) == ["TA", "TB"]


def test_ids_already_in_the_database_are_cell_errors(world: World) -> None:
    assert upload(world, GOOD[2:]).status_code == 201
    r = upload(world, [GOOD[0], "TA,Again,hvac,45.7,4.8,08:00,17:00,,,,,", GOOD[2]])
    assert r.status_code == 409  # nothing else is wrong with the file: a conflict with what is stored
    assert r.json()["detail"] == "2 technician(s) already exist(s): TA, T3; nothing was imported"
    cells = [(e["row"], e["column"], e["value"]) for e in r.json()["errors"]]
    assert cells == [(3, "id", "TA"), (4, "id", "T3")]
    assert technician_ids(world) == ["T3", "TA", "TB"]
    assert world.client.get("/api/v1/stock/movements", headers=world.as_("store")).json()["total"] == 0


def test_retired_parts_are_refused(world: World) -> None:
    world.client.post("/api/v1/parts", json={"id": "P-OLD", "name": "Old", "active": False},
                      headers=world.as_("store"))
    r = upload(world, ["T1,X,hvac,45.7,4.8,08:00,17:00,,,,,P-OLD:3"])
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json()["errors"]] == [(2, "van_stock")]


@pytest.mark.parametrize("who", ["tech_a", "store", "plan"])
def test_only_dispatchers_import(world: World, who: str) -> None:
    assert upload(world, GOOD, who=who).status_code == 403
    assert technician_ids(world) == ["TA", "TB"]


def test_plan_date_is_required(world: World) -> None:
    r = upload(world, GOOD, url="/api/v1/technicians/import")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "plan_date"]


def test_skill_levels_and_work_days_are_stored(world: World) -> None:
    r = upload(world, [GOOD[2], "T7,Gil,hvac:3;english,45.74,4.86,08:00,17:00,,,,,"])
    assert r.status_code == 201, r.text
    t7 = world.client.get("/api/v1/technicians/T7", headers=world.as_("disp")).json()
    assert (t7["skills"], t7["skill_levels"]) == (["english", "hvac"], {"hvac": 3})
    t3 = world.client.get("/api/v1/technicians/T3", headers=world.as_("disp")).json()
    assert (t3["skills"], t3["skill_levels"]) == (["hvac"], {})
    # without a work_days column: the service's default week, and the roster's date (a Tuesday)
    assert t3["work_days"] == [1, 2, 3, 4, 5]
