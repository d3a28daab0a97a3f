"""Bulk import of orders.csv: all or nothing, and every bad cell reported by row, column and value."""

from __future__ import annotations

import pytest

from dispatch.demo_days import scenario
from dispatch.io import orders_to_frame
from tests.api.conftest import World

URL = "/api/v1/orders/import?plan_date=2026-11-24"
HEADER = ("id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end,"
          "required_parts,pinned_technician")
GOOD = [
    "O1,Hospital Dupont,45.75,4.85,P1,hvac,60,2026-11-24T07:10:00,,,P-310:1,",
    "O2,School Martin,45.76,4.83,P3,elevator;english,90,2026-11-23T16:00:00,09:00,12:00,,TA",
    "O3,Hospital Dupont,45.74,4.86,P4,hvac,30,2026-11-22T10:00:00,,,,",
]


def upload(world: World, lines: list[str], name: str = "orders.csv", who: str = "disp"):
    content = "\n".join([HEADER, *lines]) + "\n"
    return world.client.post(URL, files={"file": (name, content.encode(), "text/csv")}, headers=world.as_(who))


def count_orders(world: World) -> int:
    return world.client.get("/api/v1/orders", headers=world.as_("disp")).json()["total"]


def test_a_good_file_creates_every_order_and_its_customers(world: World) -> None:
    r = upload(world, GOOD)
    assert r.status_code == 201, r.text
    assert r.json()["created"] == 3
    assert r.json()["order_ids"] == ["O1", "O2", "O3"]
    assert len(r.json()["customers_created"]) == 2  # the hospital once, for both of its orders
    o2 = world.client.get("/api/v1/orders/O2", headers=world.as_("disp")).json()
    assert o2["window_start"] == "2026-11-24T09:00:00"
    assert o2["required_skills"] == ["elevator", "english"]
    assert o2["pinned_technician_id"] == "TA"
    assert o2["source"] == "import:orders.csv"
    o1 = world.client.get("/api/v1/orders/O1", headers=world.as_("disp")).json()
    o3 = world.client.get("/api/v1/orders/O3", headers=world.as_("disp")).json()
    assert o1["customer_id"] == o3["customer_id"]
    # a second file naming the same customer links to it instead of adding another
    r = upload(world, ["O9,Hospital Dupont,45.75,4.85,P2,hvac,45,2026-11-24T08:00:00,,,,"])
    assert r.status_code == 201
    assert r.json()["customers_created"] == []


def test_a_bad_file_imports_nothing_and_lists_every_bad_cell(world: World) -> None:
    lines = [
        GOOD[0],
        "O2,School,123.4,4.83,P3,hvac,90,2026-11-23T16:00:00,,,,",       # lat out of range
        "O3,Shop,45.74,4.86,P7,hvac,abc,2026-11-22T10:00:00,,,,",         # priority and duration
        "O1,Shop,45.74,4.86,P2,hvac,30,2026-11-22T10:00:00,25:00,,P-1:x,",  # duplicate id, time, parts
    ]
    r = upload(world, lines, name="today.csv")
    assert r.status_code == 422
    body = r.json()
    assert "nothing was imported" in body["detail"]
    cells = {(e["row"], e["column"], e["value"]) for e in body["errors"]}
    assert (3, "lat", "123.4") in cells
    assert (4, "priority", "P7") in cells
    assert (4, "duration_min", "abc") in cells
    assert (5, "id", "O1") in cells
    assert (5, "window_start", "25:00") in cells
    assert (5, "required_parts", "P-1:x") in cells
    assert all(e["file"] == "today.csv" and e["message"] for e in body["errors"])
    assert count_orders(world) == 0  # the good first row was not imported either


def test_the_api_and_the_cli_reader_report_the_same_cells(world: World, tmp_path) -> None:
    from dispatch.errors import InputError
    from dispatch.io import read_orders_csv

    lines = ["O1,X,91,4.8,P1,hvac,60,2026-11-24T07:00:00,,,,", "O2,Y,45,4.8,PX,hvac,-1,yesterday,,,,"]
    path = tmp_path / "orders.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    with pytest.raises(InputError) as cli:
        read_orders_csv(path, __import__("datetime").date(2026, 11, 24))
    api = upload(world, lines).json()["errors"]
    assert [(e["row"], e["column"], e["value"], e["message"]) for e in api] == \
        [(e.row, e.column, e.value, e.message) for e in sorted(cli.value.errors, key=lambda e: e.sort_key())]


def test_database_conflicts_are_reported_per_cell_too(world: World) -> None:
    assert upload(world, GOOD[:1]).status_code == 201
    r = upload(world, [GOOD[0], GOOD[2], "O4,Z,45.7,4.8,P2,hvac,30,2026-11-24T07:00:00,,,,T-GHOST"])
    assert r.status_code == 422
    cells = [(e["row"], e["column"], e["value"]) for e in r.json()["errors"]]
    assert cells == [(2, "id", "O1"), (4, "pinned_technician", "T-GHOST")]
    assert count_orders(world) == 1


def test_missing_columns_and_non_utf8_are_refused(world: World) -> None:
    r = world.client.post(URL, files={"file": ("o.csv", b"id,customer\nO1,X\n", "text/csv")},
                          headers=world.as_("disp"))
    assert r.status_code == 422
    assert any(e["column"] == "lat" and e["row"] is None for e in r.json()["errors"])
    r = world.client.post(URL, files={"file": ("o.csv", HEADER.encode() + b"\nO1,\xe9t\xe9\n", "text/csv")},
                          headers=world.as_("disp"))
    assert r.status_code == 422
    assert "UTF-8" in r.json()["errors"][0]["message"]


def test_only_dispatchers_import_and_plan_date_is_required(world: World) -> None:
    assert upload(world, GOOD, who="plan").status_code == 403
    assert upload(world, GOOD, who="tech_a").status_code == 403
    r = world.client.post("/api/v1/orders/import", files={"file": ("o.csv", b"x", "text/csv")},
                          headers=world.as_("disp"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "plan_date"]


def test_a_generated_day_round_trips(world: World) -> None:
    day = scenario("small")  # 12 orders on 2026-11-24, none pinned
    content = orders_to_frame(day.orders, day.date).to_csv(index=False, lineterminator="\n").encode()
    r = world.client.post(URL, files={"file": ("small.csv", content, "text/csv")}, headers=world.as_("disp"))
    assert r.status_code == 201, r.text
    assert r.json()["created"] == len(day.orders)
    listed = world.client.get("/api/v1/orders?sort=id", headers=world.as_("disp")).json()["items"]
    by_id = {o.id: o for o in day.orders}
    for item in listed:
        o = by_id[item["id"]]
        assert (item["priority"], item["duration_min"], set(item["required_skills"])) == \
            (o.priority.value, o.duration_min, set(o.required_skills))


def test_levels_and_wanted_or_refused_technicians_are_stored(world: World) -> None:
    """What the planner reads is kept, not dropped: a plan made from the stored orders honours it. A wanted or
    refused technician the service does not know is stored as given (`dispatch solve` ignores one who is not
    on its roster)."""
    header = HEADER + ",preferred_technician,forbidden_technicians,technicians_needed"
    content = "\n".join([header, GOOD[0] + ",,,",
                         "O2,School Martin,45.76,4.83,P3,hvac:3;english,90,2026-11-23T16:00:00,,,,,TA,TB;T-GONE,1"]) + "\n"
    r = world.client.post(URL, files={"file": ("orders.csv", content.encode(), "text/csv")},
                          headers=world.as_("disp"))
    assert r.status_code == 201, r.text
    o2 = world.client.get("/api/v1/orders/O2", headers=world.as_("disp")).json()
    assert (o2["required_skills"], o2["required_skill_levels"]) == (["english", "hvac"], {"hvac": 3})
    assert (o2["preferred_technician_id"], o2["forbidden_technician_ids"]) == ("TA", ["T-GONE", "TB"])
    o1 = world.client.get("/api/v1/orders/O1", headers=world.as_("disp")).json()
    assert (o1["required_skill_levels"], o1["preferred_technician_id"], o1["forbidden_technician_ids"],
            o1["technicians_needed"]) == ({}, None, [], 1)
