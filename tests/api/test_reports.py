"""The monthly report (JSON, CSV, XLSX) and a customer's history, over the hand-built history of
test_kpi_history (service clock 2026-11-20 12:00); and the technicians' hourly cost through technicians.csv."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from tests.api.conftest import World
from tests.api.test_kpi_history import history_fixture  # noqa: F401  (the hand-built history, `history`)

MONTHLY = "/api/v1/reports/monthly"
SUMMED = ("orders_created", "visits_done", "orders_solved", "complaints")
MONEY = ("labour_cost", "travel_cost", "parts_cost", "total_cost")


def _check_sums(days: list[dict[str, Any]], total: dict[str, Any]) -> None:
    for name in SUMMED:
        assert total[name] == sum(d[name] for d in days), name
    for name in MONEY:
        assert Decimal(str(total[name])) == sum(Decimal(str(d[name])) for d in days), name
    assert round(total["travel_km"], 3) == round(sum(d["travel_km"] for d in days), 3)


def test_monthly_json_totals_are_the_sums_of_the_days(history: World) -> None:
    r = history.client.get(f"{MONTHLY}?from=2026-10&to=2026-11", headers=history.as_("super"))
    assert r.status_code == 200, r.text
    report = r.json()
    october, november = report["months"]
    assert (october["month"], len(october["days"]), november["month"], len(november["days"])) == \
        ("2026-10", 31, "2026-11", 30)
    assert october["total"]["visits_done"] == 0
    assert october["total"]["total_cost"] == "0.00"
    # November: O7 (11-10) and the five orders of 11-16..18; O7's visit (TA, 30 min: 15.00) and the five others
    nov = november["total"]
    assert (nov["date"], nov["orders_created"], nov["visits_done"], nov["orders_solved"]) == ("total", 6, 6, 4)
    assert (nov["labour_cost"], nov["travel_cost"], nov["parts_cost"], nov["total_cost"]) == \
        ("162.00", "11.38", "30.00", "203.38")
    assert nov["travel_km"] == 32.5
    assert nov["complaints"] == 1
    # rates are the month's: 5 first visits finished (O7's unresolved), O1 O3 O6 fixed; scores 5 2 4 3 1
    assert nov["first_time_fix"] == 0.6
    assert nov["average_score"] == 3.0
    day16 = next(d for d in november["days"] if d["date"] == "2026-11-16")
    assert (day16["labour_cost"], day16["travel_cost"], day16["total_cost"], day16["sla_share"]) == \
        ("75.00", "4.38", "79.38", 0.5)
    for month in report["months"]:
        _check_sums(month["days"], month["total"])
    _check_sums([m["total"] for m in report["months"]], report["total"])
    # one month by default: this one (the service clock's)
    default = history.client.get(MONTHLY, headers=history.as_("plan")).json()
    assert [m["month"] for m in default["months"]] == ["2026-11"]
    bad = history.client.get(f"{MONTHLY}?from=2026-13", headers=history.as_("super"))
    assert bad.status_code == 422
    later = history.client.get(f"{MONTHLY}?from=2026-11&to=2026-10", headers=history.as_("super"))
    assert later.status_code == 422
    assert later.json()["errors"][0]["loc"] == ["query", "from"]


def test_monthly_csv_has_a_line_per_day_and_a_total_per_month(history: World) -> None:
    r = history.client.get(f"{MONTHLY}?from=2026-10&to=2026-11&format=csv", headers=history.as_("disp"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == "attachment; filename=dispatch-monthly-2026-10-2026-11.csv"
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["month", "date", "orders_created", "visits_done", "orders_solved", "labour_cost",
                             "travel_km", "travel_cost", "parts_cost", "total_cost", "sla_share", "first_time_fix",
                             "resolution", "average_score", "complaints"]
    assert len(rows) == 31 + 1 + 30 + 1
    for month in ("2026-10", "2026-11"):
        lines = [row for row in rows if row["month"] == month]
        days, total = lines[:-1], lines[-1]
        assert total["date"] == "total"
        assert all(d["date"].startswith(month) for d in days)
        for name in (*SUMMED, *MONEY):
            assert Decimal(total[name]) == sum(Decimal(d[name]) for d in days), (month, name)
    assert next(row for row in rows if row["date"] == "total" and row["month"] == "2026-11")["total_cost"] == "203.38"
    empty_rate = next(row for row in rows if row["date"] == "2026-10-01")["sla_share"]
    assert empty_rate == ""  # no rate on a day with nothing to rate


def test_monthly_xlsx_has_a_sheet_per_month_and_the_months(history: World) -> None:
    r = history.client.get(f"{MONTHLY}?from=2026-10&to=2026-11&format=xlsx", headers=history.as_("plan"))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["content-disposition"] == "attachment; filename=dispatch-monthly-2026-10-2026-11.xlsx"
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["Months", "2026-10", "2026-11"]
    sheet = list(book["2026-11"].iter_rows(values_only=True))
    header, days, total = sheet[0], sheet[1:-1], sheet[-1]
    assert header[:3] == ("date", "orders_created", "visits_done")
    assert len(days) == 30
    assert total[0] == "total"
    for k, name in enumerate(header):
        if name in (*SUMMED, *MONEY):
            assert round(total[k], 2) == round(sum(d[k] for d in days), 2), name
    column = header.index("total_cost")
    assert total[column] == 203.38
    months = list(book["Months"].iter_rows(values_only=True))
    assert [m[0] for m in months] == ["month", "2026-10", "2026-11"]
    assert months[2][header.index("total_cost")] == 203.38  # "month" in the place of "date"


def test_a_customers_history(history: World) -> None:
    c = history.client
    r = c.get("/api/v1/customers/C1/history", headers=history.as_("disp"))
    assert r.status_code == 200, r.text
    h = r.json()
    assert (h["customer_id"], h["name"]) == ("C1", "Hôtel Dieu")
    # O7, O1, O2, O6; five visits scored 5 2 4 1; first visits finished O7 O1 O2 O6, of which O1 and O6 fixed
    assert h["summary"] == {"orders": 4, "visits": 5, "average_score": 3.0, "complaints": 1, "open_complaints": 1,
                            "last_visit": "2026-11-18", "first_time_fix": 0.5}
    assert [o["order_id"] for o in h["orders"]] == ["O6", "O1", "O2", "O7"]  # newest first
    o2 = next(o for o in h["orders"] if o["order_id"] == "O2")
    assert (o2["priority"], o2["status"], o2["created_at"]) == ("P2", "done", "2026-11-16T07:00:00")
    assert o2["visits"] == [
        {"date": "2026-11-16", "technician_id": "TA", "outcome": "unresolved", "reason": "part_missing", "score": 2,
         "notes": None},
        {"date": "2026-11-17", "technician_id": "TB", "outcome": "solved", "reason": None, "score": 4, "notes": None}]
    assert [v["outcome"] for v in next(o for o in h["orders"] if o["order_id"] == "O6")["visits"]] == ["fixed"]
    assert [(x["channel"], x["order_id"], x["status"], x["outcome"]) for x in h["complaints"]] == \
        [("phone", "O2", "open", None)]
    limited = c.get("/api/v1/customers/C1/history?limit=2", headers=history.as_("plan")).json()
    assert [o["order_id"] for o in limited["orders"]] == ["O6", "O1"]
    assert limited["summary"]["orders"] == 4
    assert c.get("/api/v1/customers/NOPE/history", headers=history.as_("disp")).status_code == 404
    assert c.get("/api/v1/customers/C1/history", headers=history.as_("store")).status_code == 200


def test_a_technician_sees_the_history_of_their_routes_customers_only(history: World) -> None:
    c = history.client
    # TA's published route of 11-16 holds O1 and O2 (C1); TB's of 11-17 holds O2 (C1) and O3 (C2)
    assert c.get("/api/v1/customers/C1/history", headers=history.as_("tech_a")).status_code == 200
    assert c.get("/api/v1/customers/C1/history", headers=history.as_("tech_b")).status_code == 200
    assert c.get("/api/v1/customers/C2/history", headers=history.as_("tech_b")).status_code == 200
    other = c.get("/api/v1/customers/C2/history", headers=history.as_("tech_a"))
    assert other.status_code == 404  # like a customer that does not exist
    assert other.json()["detail"] == "customer 'C2' not found"
    # the customer record itself stays staff's
    assert c.get("/api/v1/customers/C1", headers=history.as_("tech_a")).status_code == 403


HEADER = ("id,name,skills,home_lat,home_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
          "max_orders,van_stock")


def _import(world: World, header: str, lines: list[str]) -> Any:
    content = "\n".join([header, *lines]) + "\n"
    return world.client.post("/api/v1/technicians/import?plan_date=2026-11-24",
                             files={"file": ("technicians.csv", content.encode(), "text/csv")},
                             headers=world.as_("disp"))


def test_technicians_csv_takes_an_optional_hourly_cost(world: World) -> None:
    c, h = world.client, world.as_("disp")
    r = _import(world, HEADER + ",hourly_cost", ["T1,Alice,hvac,45.75,4.85,08:00,17:00,,,,,,32.50",
                                                 "T2,Bruno,hvac,45.76,4.83,08:00,17:00,,,,,,"])
    assert r.status_code == 201, r.text
    assert c.get("/api/v1/technicians/T1", headers=h).json()["hourly_cost"] == "32.50"
    assert c.get("/api/v1/technicians/T2", headers=h).json()["hourly_cost"] is None
    # the column is optional: a file without it imports as before
    assert _import(world, HEADER, ["T3,Chloe,hvac,45.74,4.86,09:00,18:00,,,,,"]).status_code == 201
    bad = _import(world, HEADER + ",hourly_cost", ["T4,Dan,hvac,45.75,4.85,08:00,17:00,,,,,,-5",
                                                   "T5,Eve,hvac,45.75,4.85,08:00,17:00,,,,,,cheap"])
    assert bad.status_code == 422
    cells = [(e["row"], e["column"], e["value"]) for e in bad.json()["errors"]]
    assert cells == [(2, "hourly_cost", "-5"), (3, "hourly_cost", "cheap")]
    assert "greater than or equal to 0" in bad.json()["errors"][0]["message"]
    # and through the API
    assert c.patch("/api/v1/technicians/T3", json={"hourly_cost": "28"}, headers=h).status_code == 200
    assert c.get("/api/v1/technicians/T3", headers=h).json()["hourly_cost"] == "28.00"
    neg = c.patch("/api/v1/technicians/T3", json={"hourly_cost": -1}, headers=h)
    assert neg.status_code == 422
    assert neg.json()["detail"][0]["loc"] == ["body", "hourly_cost"]
