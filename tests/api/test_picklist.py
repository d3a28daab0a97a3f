"""GET /stock/picklist: the plan's needs per van against what the van holds, and the shortfall to pick; the
published plan first, else the newest done plan of the date (said so); done visits and cancelled orders need
nothing; roles as the stock reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from api.plans.models import JobStatus, PlanJob, PublishedPlan
from api.visits.models import Visit
from tests.api.conftest import World

V = "/api/v1"
DAY = date(2026, 11, 24)


def _post(world: World, path: str, body: dict[str, Any], who: str = "store") -> Any:
    r = world.client.post(f"{V}{path}", json=body, headers=world.as_(who))
    assert r.status_code == 201, r.text
    return r.json()


def _plan(world: World, plan_id: str, routes: dict[str, list[str]], *, minutes: int = 0,
          publish: bool = False, unassigned: list[dict[str, str]] | None = None) -> None:
    """A done plan row (only the parts of the plan contract the pick list reads), published if asked."""
    at = datetime(2026, 11, 23, 18, 0) + timedelta(minutes=minutes)
    plan = {"routes": [{"technician_id": t, "stops": [{"order_id": o} for o in stops]}
                       for t, stops in routes.items()], "unassigned": unassigned or []}
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        session.add(PlanJob(id=plan_id, date=DAY, status=JobStatus.done.value, phase="done", policy={}, pins={},
                            plan=plan, created_at=at, finished_at=at, deadline_at=at))
        if publish:
            session.flush()
            session.add(PublishedPlan(date=DAY, plan_id=plan_id, published_at=at))
        session.commit()


@pytest.fixture
def stocked(world: World) -> World:
    """Parts P-1 (filter) and P-2 (valve); a store CS; van A holds 1 x P-1; orders needing parts for A and B."""
    for part in ({"id": "P-1", "name": "Filter"}, {"id": "P-2", "name": "Valve"}):
        _post(world, "/parts", part)
    _post(world, "/stock-locations", {"id": "CS", "name": "Central"})
    _post(world, "/stock/receipts", {"part_id": "P-1", "location_id": "CS", "quantity": 10})
    _post(world, "/stock/receipts", {"part_id": "P-1", "location_id": "VAN-TA", "quantity": 1})
    _post(world, "/customers", {"id": "C1", "name": "c"}, who="disp")
    for oid, parts in (("OA1", {"P-1": 2}), ("OA2", {"P-1": 1, "P-2": 1}), ("OB1", {"P-2": 3}), ("OX", {})):
        _post(world, "/orders", {"id": oid, "customer_id": "C1", "lat": 45.75, "lon": 4.85, "priority": "P2",
                                 "duration_min": 30, "required_skills": ["hvac"], "required_parts": parts},
              who="disp")
    return world


def _pick(world: World, who: str = "store", day: str = DAY.isoformat()) -> Any:
    return world.client.get(f"{V}/stock/picklist", params={"date": day}, headers=world.as_(who))


def test_the_pick_list_sets_each_vans_needs_against_its_stock(stocked: World) -> None:
    _plan(stocked, "p-pub", {"TA": ["OA1", "OA2", "OX"], "TB": ["OB1"]}, publish=True)
    r = _pick(stocked)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["source"], body["plan_id"]) == ("published", "p-pub")
    vans = {v["technician_id"]: v for v in body["vans"]}
    a = {line["part_id"]: line for line in vans["TA"]["lines"]}
    # TA needs 2 + 1 filters and holds 1: pick 2 from CS, which holds 10; and 1 valve nobody stocks
    assert (a["P-1"]["needed"], a["P-1"]["on_van"], a["P-1"]["shortfall"]) == (3, 1, 2)
    assert (a["P-1"]["part_name"], a["P-1"]["store_location_id"], a["P-1"]["in_store"]) == ("Filter", "CS", 10)
    assert a["P-1"]["order_ids"] == ["OA1", "OA2"]
    assert (a["P-2"]["shortfall"], a["P-2"]["store_location_id"], a["P-2"]["in_store"]) == (1, None, 0)
    assert (vans["TA"]["van_location_id"], vans["TA"]["stops"], vans["TA"]["shortfall"]) == ("VAN-TA", 3, 3)
    assert [(line["part_id"], line["shortfall"]) for line in vans["TB"]["lines"]] == [("P-2", 3)]
    assert [v["technician_id"] for v in body["vans"]] == ["TA", "TB"]  # most missing first


def test_a_van_holding_enough_has_no_shortfall(stocked: World) -> None:
    _post(stocked, "/stock/transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA",
                                        "quantity": 5})
    _plan(stocked, "p-pub", {"TA": ["OA1"]}, publish=True)
    (van,) = _pick(stocked).json()["vans"]
    assert [(line["needed"], line["on_van"], line["shortfall"]) for line in van["lines"]] == [(2, 6, 0)]
    assert van["shortfall"] == 0


def test_without_a_published_plan_the_newest_done_plan_is_used_and_said(stocked: World) -> None:
    _plan(stocked, "p-old", {"TA": ["OA1"]}, minutes=0)
    _plan(stocked, "p-new", {"TB": ["OB1"]}, minutes=5)
    body = _pick(stocked).json()
    assert (body["source"], body["plan_id"]) == ("latest", "p-new")
    assert [v["technician_id"] for v in body["vans"]] == ["TB"]


def test_no_plan_means_an_empty_pick_list(stocked: World) -> None:
    body = _pick(stocked, day="2026-12-01").json()
    assert (body["source"], body["plan_id"], body["vans"]) == ("none", None, [])


def test_done_visits_and_cancelled_orders_need_nothing(stocked: World) -> None:
    _plan(stocked, "p-pub", {"TA": ["OA1", "OA2"]}, publish=True)
    maker = stocked.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        session.add(Visit(order_id="OA1", technician_id="TA", date=DAY, done_at=datetime(2026, 11, 24, 9)))
        session.commit()
    r = stocked.client.post(f"{V}/orders/OA2/cancel", json={"reason": "customer called"},
                            headers=stocked.as_("disp"))
    assert r.status_code == 200, r.text
    (van,) = _pick(stocked).json()["vans"]
    assert van["lines"] == []
    assert van["shortfall"] == 0


@pytest.mark.parametrize(("who", "status"), [("store", 200), ("disp", 200), ("plan", 200), ("tech_a", 403)])
def test_the_pick_list_is_for_staff(stocked: World, who: str, status: int) -> None:
    assert _pick(stocked, who=who).status_code == status


def test_a_bad_date_is_refused_naming_it(stocked: World) -> None:
    r = _pick(stocked, day="tomorrow")
    assert r.status_code == 422
    assert "date" in r.text


def test_orders_left_out_for_want_of_van_stock_are_listed_with_the_store_stock(stocked: World) -> None:
    _plan(stocked, "p-pub", {"TA": ["OA1"]}, publish=True, unassigned=[
        {"order_id": "OA2", "reason": "no qualified technician carries 1 x P-2", "rule": "van stock"},
        {"order_id": "OB1", "reason": "all qualified technicians are fully booked", "rule": "fully booked"}])
    (waiting,) = _pick(stocked).json()["waiting"]
    assert (waiting["order_id"], waiting["reason"]) == ("OA2", "no qualified technician carries 1 x P-2")
    assert [(n["part_id"], n["part_name"], n["quantity"], n["store_location_id"], n["in_store"])
            for n in waiting["parts"]] == [("P-1", "Filter", 1, "CS", 10), ("P-2", "Valve", 1, None, 0)]


def test_what_to_pick_keeps_the_van_at_its_minimum_after_the_stops(stocked: World) -> None:
    _post(stocked, "/stock/transfers", {"part_id": "P-1", "from_location_id": "CS", "to_location_id": "VAN-TA",
                                        "quantity": 3})  # VAN-TA holds 4 filters; its stops need 3
    r = stocked.client.put(f"{V}/stock/thresholds/VAN-TA/P-1", json={"low_stock_threshold": 2},
                           headers=stocked.as_("store"))
    assert r.status_code == 200, r.text
    _plan(stocked, "p-pub", {"TA": ["OA1", "OA2"]}, publish=True)
    (van,) = _pick(stocked).json()["vans"]
    line = next(line for line in van["lines"] if line["part_id"] == "P-1")
    # nothing short (4 >= 3), but 1 left after the stops is below the minimum of 2: pick 3 + 2 - 4 = 1
    assert (line["shortfall"], line["minimum"], line["to_pick"]) == (0, 2, 1)
    valve = next(line for line in van["lines"] if line["part_id"] == "P-2")
    assert (valve["shortfall"], valve["minimum"], valve["to_pick"]) == (1, None, 1)  # no minimum: the shortfall
    assert (van["shortfall"], van["to_pick"]) == (1, 2)
