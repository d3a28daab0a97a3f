"""The spare-part ledger over the API: each kind of movement binds and refuses, balances follow the ledger,
alerts fire under a threshold and clear above it, usage reports add up, roles and ownership hold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.parts import stock
from tests.api.conftest import World

V = "/api/v1"


class Ledger:
    """The world with a central store, two parts and an order for each technician, and short-hand calls."""

    def __init__(self, world: World) -> None:
        self.world, self.c = world, world.client

    def post(self, kind: str, body: dict[str, Any], who: str = "store", key: str | None = None) -> Any:
        headers = dict(self.world.as_(who)) | ({"Idempotency-Key": key} if key else {})
        return self.c.post(f"{V}/stock/{kind}", json=body, headers=headers)

    def get(self, path: str, who: str = "store", **params: Any) -> Any:
        r = self.c.get(f"{V}{path}", params=params, headers=self.world.as_(who))
        assert r.status_code == 200, r.text
        return r.json()

    def qty(self, location: str, part: str = "P-1") -> int:
        items = self.get("/stock", location_id=location, part_id=part)["items"]
        return items[0]["quantity"] if items else 0

    def ledger_sum(self, location: str, part: str = "P-1") -> int:
        total = 0
        for m in self.get("/stock/movements", location_id=location, part_id=part, limit=500)["items"]:
            total += m["quantity"] * ((m["to_location_id"] == location) - (m["from_location_id"] == location))
        return total


@pytest.fixture
def led(world: World) -> Ledger:
    c, store, disp = world.client, world.as_("store"), world.as_("disp")
    for part in ({"id": "P-1", "name": "filter", "unit_cost": "12.50", "low_stock_threshold": 5},
                 {"id": "P-2", "name": "valve", "unit_cost": "40"}):
        assert c.post(f"{V}/parts", json=part, headers=store).status_code == 201
    assert c.post(f"{V}/stock-locations", json={"id": "CS", "name": "central"}, headers=store).status_code == 201
    assert c.post(f"{V}/customers", json={"id": "C1", "name": "c"}, headers=disp).status_code == 201
    for oid, tech in (("OA", "TA"), ("OA2", "TA"), ("OB", "TB")):
        order = {"id": oid, "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P2", "duration_min": 30,
                 "required_skills": ["hvac"], "pinned_technician_id": tech}
        assert c.post(f"{V}/orders", json=order, headers=disp).status_code == 201
    return Ledger(world)


def _stocked(led: Ledger, central: int = 50, van_a: int = 10) -> None:
    assert led.post("receipts", {"part_id": "P-1", "location_id": "CS", "quantity": central}).status_code == 201
    if van_a:
        r = led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA",
                                   "quantity": van_a})
        assert r.status_code == 201, r.text


def test_receive_and_transfer_move_stock_and_the_ledger_explains_it(led: Ledger) -> None:
    r = led.post("receipts", {"part_id": "P-1", "location_id": "CS", "quantity": 50, "reason": "DN-17"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["kind"], m["to_location_id"], m["from_location_id"], m["quantity"]) == ("receive", "CS", None, 50)
    assert Decimal(m["unit_cost"]) == Decimal("12.50")
    r = led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA",
                               "quantity": 8})
    assert r.status_code == 201, r.text
    assert (led.qty("CS"), led.qty("VAN-TA")) == (42, 8)
    assert (led.ledger_sum("CS"), led.ledger_sum("VAN-TA")) == (42, 8)


def test_transfer_refuses_more_than_the_source_holds_and_moves_nothing(led: Ledger) -> None:
    _stocked(led, central=5, van_a=0)
    r = led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA",
                               "quantity": 6})
    assert r.status_code == 409
    assert r.json()["detail"] == "Not enough stock: CS holds 5 × filter (P-1); you asked to move 6."
    # the same facts as data, for a page to word in its own way
    assert r.json()["errors"] == [{"location_id": "CS", "part_id": "P-1", "have": 5, "asked": 6}]
    assert (led.qty("CS"), led.qty("VAN-TA")) == (5, 0)
    assert led.get("/stock/movements", kind="transfer")["total"] == 0
    r = led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "CS", "quantity": 1})
    assert r.status_code == 422


def test_the_ledger_reads_newest_first_and_its_id_filters_ignore_case(led: Ledger) -> None:
    _stocked(led)
    oldest = led.get("/stock/movements")["items"]
    newest = led.get("/stock/movements", newest_first=True)["items"]
    assert [m["id"] for m in newest] == [m["id"] for m in reversed(oldest)]
    assert [m["kind"] for m in newest] == ["transfer", "receive"]
    found = led.get("/stock/movements", part_id="p-1", location_id="van-ta")  # as typed, "t001"-style
    assert [(m["kind"], m["part_id"], m["to_location_id"]) for m in found["items"]] == [("transfer", "P-1", "VAN-TA")]
    assert led.get("/stock/movements", part_id="P-2")["total"] == 0


@pytest.mark.parametrize(("body", "field"), [
    ({"part_id": "NOPE", "location_id": "CS", "quantity": 1}, "part_id"),
    ({"part_id": "P-1", "location_id": "NOWHERE", "quantity": 1}, "location_id"),
    ({"part_id": "P-1", "location_id": "CS", "quantity": 0}, "quantity"),
    ({"part_id": "P-1", "location_id": "CS", "quantity": -3}, "quantity"),
    ({"part_id": "P-1", "location_id": "CS", "quantity": 1, "unit_cost": "0"}, "unit_cost"),
])
def test_receipts_refuse_bad_input_naming_the_field(led: Ledger, body: dict[str, Any], field: str) -> None:
    r = led.post("receipts", body)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert led.get("/stock/movements")["total"] == 0


def test_an_inactive_part_is_not_received(led: Ledger) -> None:
    led.c.patch(f"{V}/parts/P-2", json={"active": False}, headers=led.world.as_("store"))
    r = led.post("receipts", {"part_id": "P-2", "location_id": "CS", "quantity": 1})
    assert r.status_code == 422
    assert "no longer active" in r.text


def test_adjustments_need_a_reason_and_cannot_go_below_zero(led: Ledger) -> None:
    _stocked(led, central=5, van_a=0)
    assert led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": -1}).status_code == 422
    assert led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": -1,
                                    "reason": "   "}).status_code == 422
    assert led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": 0,
                                    "reason": "count"}).status_code == 422
    r = led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": -6, "reason": "count"})
    assert r.status_code == 409
    assert r.json()["detail"] == "Not enough stock: CS holds 5 × filter (P-1); you asked to remove 6."
    r = led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": -2, "reason": "broken in store"})
    assert r.status_code == 201
    assert (r.json()["from_location_id"], r.json()["quantity"], r.json()["reason"]) == ("CS", 2, "broken in store")
    assert led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": 4,
                                    "reason": "found a box"}).status_code == 201
    assert led.qty("CS") == 7 == led.ledger_sum("CS")


def test_returns_go_from_a_van_to_a_central_store_only(led: Ledger) -> None:
    _stocked(led)
    back = {"part_id": "P-1", "from_location_id": "VAN-TA", "to_location_id": "CS", "quantity": 3,
            "reason": "unused"}
    assert led.post("returns", back).status_code == 201
    assert (led.qty("CS"), led.qty("VAN-TA")) == (43, 7)
    wrong = back | {"from_location_id": "CS", "to_location_id": "VAN-TA"}
    r = led.post("returns", wrong)
    assert r.status_code == 422
    assert "is a central, not a van" in r.text
    assert led.post("returns", back | {"quantity": 8}).status_code == 409


def test_a_technician_consumes_from_their_own_van_on_their_own_order(led: Ledger) -> None:
    _stocked(led)
    r = led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 3}, who="tech_a")
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["kind"], m["from_location_id"], m["order_id"], m["technician_id"]) == ("consume", "VAN-TA", "OA", "TA")
    assert led.qty("VAN-TA") == 7
    # another technician's order, van or name: not found or forbidden, and nothing moves
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OB", "quantity": 1},
                    who="tech_a").status_code == 404
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 1, "location_id": "VAN-TB"},
                    who="tech_a").status_code == 404
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 1, "technician_id": "TB"},
                    who="tech_a").status_code == 403
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 1, "location_id": "CS"},
                    who="tech_a").status_code == 404
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 8},
                    who="tech_a").status_code == 409
    assert led.qty("VAN-TA") == 7 == led.ledger_sum("VAN-TA")


def test_a_storekeeper_records_a_consumption_for_a_named_technician_on_their_order(led: Ledger) -> None:
    _stocked(led)
    body = {"part_id": "P-1", "order_id": "OA", "quantity": 1}
    assert led.post("consumptions", body).status_code == 422  # whose?
    assert led.post("consumptions", body | {"technician_id": "TB"}).status_code == 422  # OA is not TB's
    assert led.post("consumptions", body | {"technician_id": "TA"}).status_code == 201
    assert led.post("consumptions", body | {"technician_id": "TA"}, who="disp").status_code == 403


def test_no_consumption_on_a_cancelled_order(led: Ledger) -> None:
    _stocked(led)
    r = led.c.post(f"{V}/orders/OA/cancel", json={"reason": "customer fixed it"}, headers=led.world.as_("disp"))
    assert r.status_code == 200, r.text
    r = led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 1}, who="tech_a")
    assert r.status_code == 409
    assert "cancelled" in r.json()["detail"]


@pytest.mark.parametrize(("kind", "body"), [
    ("receipts", {"part_id": "P-1", "location_id": "CS", "quantity": 1}),
    ("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA", "quantity": 1}),
    ("returns", {"part_id": "P-1", "from_location_id": "VAN-TA", "to_location_id": "CS", "quantity": 1}),
    ("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": 1, "reason": "count"}),
])
def test_only_the_storekeeper_moves_stock_in_and_around(led: Ledger, kind: str, body: dict[str, Any]) -> None:
    for who in ("disp", "plan", "tech_a"):
        assert led.post(kind, body, who=who).status_code == 403


def test_stock_bodies_refuse_unknown_fields(led: Ledger) -> None:
    r = led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 1, "unit_cost": "0"},
                 who="tech_a")
    assert r.status_code == 422
    assert "unit_cost" in r.text


def test_technicians_read_central_stock_and_their_own_van_only(led: Ledger) -> None:
    _stocked(led)
    r = led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TB",
                               "quantity": 2})
    assert r.status_code == 201
    assert {s["location_id"] for s in led.get("/stock", who="tech_a")["items"]} == {"CS", "VAN-TA"}
    assert led.get("/stock", who="tech_a", location_id="VAN-TB")["total"] == 0
    seen = led.get("/stock/movements", who="tech_a")["items"]
    assert {m["to_location_id"] for m in seen} == {"VAN-TA"}
    b_move = led.get("/stock/movements", location_id="VAN-TB")["items"][0]["id"]
    assert led.c.get(f"{V}/stock/movements/{b_move}", headers=led.world.as_("tech_a")).status_code == 404
    assert led.c.get(f"{V}/stock/movements/{b_move}", headers=led.world.as_("tech_b")).status_code == 200
    assert led.c.get(f"{V}/stock/usage", headers=led.world.as_("tech_a")).status_code == 403


def test_movements_filter_and_page(led: Ledger) -> None:
    _stocked(led)
    for oid in ("OA", "OA2", "OA"):
        assert led.post("consumptions", {"part_id": "P-1", "order_id": oid, "quantity": 1},
                        who="tech_a").status_code == 201
    assert led.get("/stock/movements", kind="consume")["total"] == 3
    assert led.get("/stock/movements", order_id="OA")["total"] == 2
    assert led.get("/stock/movements", technician_id="TA")["total"] == 3
    assert led.get("/stock/movements", location_id="VAN-TA")["total"] == 4
    assert led.get("/stock/movements", part_id="P-2")["total"] == 0
    page = led.get("/stock/movements", limit=2, offset=1)
    assert (page["total"], [m["kind"] for m in page["items"]]) == (5, ["transfer", "consume"])


def test_alerts_fire_below_the_threshold_and_clear_above_it(led: Ledger) -> None:
    _stocked(led, central=5, van_a=0)  # P-1's threshold is 5: 5 is not below it
    assert led.get("/stock/alerts")["total"] == 0
    assert led.post("adjustments", {"part_id": "P-1", "location_id": "CS", "delta": -1,
                                    "reason": "count"}).status_code == 201
    alerts = led.get("/stock/alerts")["items"]
    assert [(a["location_id"], a["part_id"], a["quantity"], a["low_stock_threshold"]) for a in alerts] == [
        ("CS", "P-1", 4, 5)]
    assert led.post("receipts", {"part_id": "P-1", "location_id": "CS", "quantity": 1}).status_code == 201
    assert led.get("/stock/alerts")["total"] == 0
    # a location's own threshold overrides the part's; null falls back to it
    h = led.world.as_("store")
    r = led.c.put(f"{V}/stock/thresholds/VAN-TA/P-2", json={"low_stock_threshold": 2}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["quantity"], r.json()["below_threshold"]) == (0, True)
    assert [(a["location_id"], a["part_id"]) for a in led.get("/stock/alerts")["items"]] == [("VAN-TA", "P-2")]
    assert led.c.put(f"{V}/stock/thresholds/CS/P-1", json={"low_stock_threshold": 9}, headers=h).status_code == 200
    assert len(led.get("/stock/alerts")["items"]) == 2
    assert led.c.put(f"{V}/stock/thresholds/CS/P-1", json={"low_stock_threshold": None},
                     headers=h).status_code == 200
    assert len(led.get("/stock/alerts")["items"]) == 1
    assert led.c.put(f"{V}/stock/thresholds/CS/P-1", json={"low_stock_threshold": 1},
                     headers=led.world.as_("tech_a")).status_code == 403
    assert led.c.put(f"{V}/stock/thresholds/NOWHERE/P-1", json={"low_stock_threshold": 1},
                     headers=h).status_code == 404


def test_usage_reports_add_up_per_order_technician_part_and_month(led: Ledger) -> None:
    _stocked(led)
    assert led.post("transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TB",
                                  "quantity": 5}).status_code == 201
    assert led.post("receipts", {"part_id": "P-2", "location_id": "VAN-TA", "quantity": 5}).status_code == 201
    used = [("tech_a", "OA", "P-1", 2), ("tech_a", "OA", "P-2", 1), ("tech_a", "OA2", "P-1", 3),
            ("tech_b", "OB", "P-1", 4)]
    for who, oid, pid, q in used:
        r = led.post("consumptions", {"part_id": pid, "order_id": oid, "quantity": q}, who=who)
        assert r.status_code == 201, r.text

    def report(by: str, **params: Any) -> dict[str, tuple[int, int, str]]:
        body = led.get("/stock/usage", by=by, **params)
        rows = {r["key"]: (r["movements"], r["quantity"], r["cost"]) for r in body["rows"]}
        total = body["total"]
        assert sum(v[0] for v in rows.values()) == total["movements"]
        assert sum(v[1] for v in rows.values()) == total["quantity"]
        assert sum(Decimal(v[2]) for v in rows.values()) == Decimal(total["cost"])
        return rows

    # P-1 costs 12.50, P-2 40.00
    assert report("order") == {"OA": (2, 3, "65.00"), "OA2": (1, 3, "37.50"), "OB": (1, 4, "50.00")}
    assert report("technician") == {"TA": (3, 6, "102.50"), "TB": (1, 4, "50.00")}
    assert report("part") == {"P-1": (3, 9, "112.50"), "P-2": (1, 1, "40.00")}
    assert report("part", technician_id="TB") == {"P-1": (1, 4, "50.00")}
    months = report("month")
    assert list(months.values()) == [(4, 10, "152.50")]
    assert len(next(iter(months))) == 7  # YYYY-MM


def test_usage_months_and_the_price_at_the_time(led: Ledger) -> None:
    from datetime import datetime

    _stocked(led)
    maker = led.c.app.state.sessionmaker  # type: ignore[attr-defined]
    from api.parts import ledger

    store_id = led.world.users["store"].id
    with maker() as session:
        for at in (datetime(2026, 10, 30, 16), datetime(2026, 11, 2, 9), datetime(2026, 11, 20, 9)):
            ledger.consume(session, part_id="P-1", order_id="OA", technician_id="TA", quantity=1,
                           user_id=store_id, at=at)
        # a later price change does not rewrite what was used before it
        assert led.c.patch(f"{V}/parts/P-1", json={"unit_cost": "20"},
                           headers=led.world.as_("store")).status_code == 200
        ledger.consume(session, part_id="P-1", order_id="OA", technician_id="TA", quantity=2, user_id=store_id,
                       at=datetime(2026, 12, 3, 9))
    rows = led.get("/stock/usage", by="month", since="2026-10-01T00:00:00", until="2027-01-01T00:00:00")["rows"]
    assert {r["key"]: (r["quantity"], r["cost"]) for r in rows} == {
        "2026-10": (1, "12.50"), "2026-11": (2, "25.00"), "2026-12": (2, "40.00")}


def test_van_stock_is_what_the_next_plan_sees(led: Ledger) -> None:
    _stocked(led)
    assert led.post("consumptions", {"part_id": "P-1", "order_id": "OA", "quantity": 4},
                    who="tech_a").status_code == 201
    maker = led.c.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        assert stock.van_stock(session, technician_id="TA") == {"P-1": 6}
        assert stock.van_stock(session, technician_id="TB") == {}


def test_the_database_refuses_negative_balances_and_malformed_movements(client: TestClient, led: Ledger) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    _stocked(led)
    maker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    bad = ["UPDATE stock_balances SET quantity = -1 WHERE location_id = 'CS'",
           "INSERT INTO stock_movements (kind, part_id, quantity, from_location_id, unit_cost) "
           "VALUES ('consume', 'P-1', 1, 'VAN-TA', 1)",  # no order, no technician
           "INSERT INTO stock_movements (kind, part_id, quantity, to_location_id, unit_cost) "
           "VALUES ('adjust', 'P-1', 1, 'CS', 1)",  # no reason
           "INSERT INTO stock_movements (kind, part_id, quantity, to_location_id, unit_cost) "
           "VALUES ('receive', 'P-1', 0, 'CS', 1)"]
    for sql in bad:
        with maker() as session, pytest.raises(IntegrityError):
            session.execute(text(sql))
