"""Plan jobs over several days: the horizon's Day, its dates and each route's date, publishing a route per day,
a technician's route of a later day on its date, and which publication a date shows."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dispatch.analysis.checker import check_plan, format_report
from dispatch.io.day_json import day_from_dict
from tests.api.conftest import TECH, World
from tests.api.planning import CUSTOMERS, SOLUTION_LIMIT, thread_runner, wait

THU, FRI, SAT = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)
NEXT_TUE = date(2026, 12, 1)
PLAN = {"date": THU.isoformat(), "time_limit": 30, "seed": 1, "solution_limit": SOLUTION_LIMIT}


def _order(oid: str, day: date | None, tech: str | None, *, window_date: bool = True) -> dict[str, Any]:
    """An hvac order, with a 10:00-12:00 window on `day` (None: no window), pinned to `tech`; a P4 of the plan
    date's morning, so that Saturday is still inside its response deadline (72 h)."""
    body: dict[str, Any] = {"id": oid, "customer_id": "C1", "lat": 45.76, "lon": 4.85, "priority": "P4",
                            "duration_min": 30, "required_skills": ["hvac"], "created_at": "2026-11-26T07:00:00"}
    if day is not None:
        body |= {"window_start": f"{day}T10:00:00", "window_end": f"{day}T12:00:00"}
        if window_date:
            body["window_date"] = day.isoformat()
    if tech is not None:
        body["pinned_technician_id"] = tech
    return body


# Thursday to Saturday: TA and TB work Monday to Friday, TC on Saturdays only, TD on Sundays only
ORDERS = [
    _order("TH1", THU, "TA"), _order("TH2", THU, "TB"),
    _order("FR1", FRI, "TA"), _order("FR2", FRI, "TB", window_date=False),  # its window's day comes from its times
    _order("SA1", SAT, "TC"),
    _order("ANY", None, None),
    _order("TUE", NEXT_TUE, "TA"),  # its window lies past the horizon: not in this plan
]


@pytest.fixture
def week(world: World) -> World:
    c, h = world.client, world.as_("disp")
    assert c.post("/api/v1/customers", json=CUSTOMERS[0], headers=h).status_code == 201
    for tid, days in (("TC", [6]), ("TD", [7])):
        r = c.post("/api/v1/technicians", json=TECH | {"id": tid, "name": f"Tech {tid}", "work_days": days}, headers=h)
        assert r.status_code == 201, r.text
    for order in ORDERS:
        r = c.post("/api/v1/orders", json=order, headers=h)
        assert r.status_code == 201, r.text
    return world


def _solve(world: World, **overrides: Any) -> dict[str, Any]:
    c, h = world.client, world.as_("disp")
    r = c.post("/api/v1/plans", json=PLAN | overrides, headers=h)
    assert r.status_code == 202, r.text
    body = wait(c, r.json()["id"], h)
    assert body["status"] == "done", body
    return body


def _stored_input(world: World, plan_id: str) -> dict[str, Any]:
    from api.plans.models import PlanJob

    with world.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        job = session.get(PlanJob, plan_id)
        assert job is not None
        assert job.input is not None
        return job.input


def _checked(world: World, body: dict[str, Any]) -> dict[str, Any]:
    """The plan after the independent checker passed it whole, against the Day the job stored."""
    plan, day_input = body["plan"], _stored_input(world, body["id"])
    report = check_plan(day_from_dict(day_input), plan)
    assert report.ok, format_report(report)
    return plan


def _routes(plan: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    return {(r["date"], r["technician_id"]): [s["order_id"] for s in r["stops"]] for r in plan["routes"]}


def test_a_three_day_plan_covers_the_working_days_and_each_route_has_its_date(week: World) -> None:
    with thread_runner(week.client):
        body = _solve(week, horizon_days=3)
    plan = _checked(week, body)
    assert body["date"] == THU.isoformat()
    assert plan["dates"] == [THU.isoformat(), FRI.isoformat(), SAT.isoformat()]  # someone works on Saturday
    assert plan["policy"]["horizon_days"] == 3
    day_input = _stored_input(week, body["id"])
    # one Day of the plan date with everyone who works on one of the dates, each with their work_days
    assert day_input["date"] == THU.isoformat()
    assert {t["id"]: t["work_days"] for t in day_input["technicians"]} == {
        "TA": [0, 1, 2, 3, 4], "TB": [0, 1, 2, 3, 4], "TC": [5]}
    assert sorted(o["id"] for o in day_input["orders"]) == ["ANY", "FR1", "FR2", "SA1", "TH1", "TH2"]
    assert next(o for o in day_input["orders"] if o["id"] == "FR2")["window_date"] == FRI.isoformat()
    # a route per technician and day they work: TC on Saturday only, TA and TB not on Saturday
    routes = _routes(plan)
    assert set(routes) == {(d.isoformat(), t) for d in (THU, FRI) for t in ("TA", "TB")} | {(SAT.isoformat(), "TC")}
    placed = {o: key for key, stops in routes.items() for o in stops}
    # each pinned order on its technician's route of its window's day
    assert {o: placed.get(o) for o in ("TH1", "TH2", "FR1", "FR2", "SA1")} == {
        "TH1": (THU.isoformat(), "TA"), "TH2": (THU.isoformat(), "TB"), "FR1": (FRI.isoformat(), "TA"),
        "FR2": (FRI.isoformat(), "TB"), "SA1": (SAT.isoformat(), "TC")}
    served = [o for r in routes.values() for o in r]
    assert sorted(served + [u["order_id"] for u in plan["unassigned"]]) == sorted(
        ["ANY", "FR1", "FR2", "SA1", "TH1", "TH2"])


def test_a_one_day_plan_is_as_before(week: World) -> None:
    with thread_runner(week.client):
        body = _solve(week)
    plan = _checked(week, body)
    assert plan["dates"] == [THU.isoformat()]
    assert {r["date"] for r in plan["routes"]} == {THU.isoformat()}
    assert {t["id"] for t in _stored_input(week, body["id"])["technicians"]} == {"TA", "TB"}
    assert sorted(o["id"] for o in _stored_input(week, body["id"])["orders"]) == ["ANY", "TH1", "TH2"]


def test_a_published_three_day_plan_gives_each_technician_their_route_on_its_date(week: World) -> None:
    c, h = week.client, week.as_("disp")
    with thread_runner(c):
        body = _solve(week, horizon_days=3)
    plan = _checked(week, body)
    r = c.post(f"/api/v1/plans/{body['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["date"] == THU.isoformat()
    assert r.json()["dates"] == plan["dates"]
    assert r.json()["technicians"] == ["TA", "TB", "TC"]
    routes = _routes(plan)
    for d in (THU, FRI):
        mine = c.get(f"/api/v1/me/route?date={d}", headers=week.as_("tech_a"))
        assert mine.status_code == 200, mine.text
        assert mine.json()["date"] == d.isoformat()
        assert mine.json()["plan_id"] == body["id"]
        assert [s["order_id"] for s in mine.json()["stops"]] == routes[(d.isoformat(), "TA")]
    # TA does not work on Saturday: the plan published for that day gives them nothing to do
    saturday = c.get(f"/api/v1/me/route?date={SAT}", headers=week.as_("tech_a"))
    assert saturday.status_code == 200, saturday.text
    assert saturday.json()["stops"] == []
    # the day after the horizon has no published plan
    assert c.get(f"/api/v1/me/route?date={date(2026, 11, 29)}", headers=week.as_("tech_a")).status_code == 404
    # the plan is published, and each of its days is that date's plan for the board's live view
    assert c.get(f"/api/v1/plans/{body['id']}", headers=h).json()["published"] is True
    status = c.get(f"/api/v1/days/{FRI}/status?at={FRI}T07:00:00", headers=h)
    assert status.status_code == 200, status.text
    friday = {o["order_id"]: o["technician_id"] for o in status.json()["orders"] if o["status"] == "planned"}
    assert friday == {o: t for (d, t), stops in routes.items() if d == FRI.isoformat() for o in stops}


def test_the_newest_publication_wins_for_the_dates_it_covers(week: World) -> None:
    c, h = week.client, week.as_("disp")
    with thread_runner(c):
        friday = _solve(week, date=FRI.isoformat())
        three = _solve(week, horizon_days=3)
        friday_again = _solve(week, date=FRI.isoformat(), seed=2)
    _checked(week, friday)
    plan = _checked(week, three)
    _checked(week, friday_again)

    def shown(d: date) -> tuple[str, int]:
        route = c.get(f"/api/v1/me/route?date={d}", headers=week.as_("tech_b")).json()
        return route["plan_id"], route["version"]

    assert c.post(f"/api/v1/plans/{friday['id']}/publish", headers=h).json()["version"] == 1
    assert shown(FRI) == (friday["id"], 1)
    # the three days replace Friday's own plan: Friday is now the three-day plan's
    r = c.post(f"/api/v1/plans/{three['id']}/publish", headers=h)
    assert r.status_code == 200, r.text
    assert (shown(THU), shown(FRI)) == ((three["id"], 1), (three["id"], 2))
    route = c.get(f"/api/v1/me/route?date={FRI}", headers=week.as_("tech_b")).json()
    assert [s["order_id"] for s in route["stops"]] == _routes(plan)[(FRI.isoformat(), "TB")]
    assert c.get(f"/api/v1/plans/{friday['id']}", headers=h).json()["published"] is False
    # a newer plan of Friday replaces Friday alone: Thursday and Saturday stay the three-day plan's
    assert c.post(f"/api/v1/plans/{friday_again['id']}/publish", headers=h).status_code == 200
    assert (shown(THU), shown(FRI)) == ((three["id"], 1), (friday_again["id"], 3))
    saturday = c.get(f"/api/v1/me/route?date={SAT}", headers=week.as_("tech_b")).json()
    assert saturday["plan_id"] == three["id"]
    assert c.get(f"/api/v1/plans/{three['id']}", headers=h).json()["published"] is True


def test_a_re_plan_stays_one_day(week: World) -> None:
    c, h = week.client, week.as_("disp")
    with thread_runner(c):
        one = _solve(week)
        three = _solve(week, horizon_days=2)
    r = c.post(f"/api/v1/plans/{three['id']}/replan", json={}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"][-1] == "horizon_days"
    assert "a re-plan, a recommendation or an assignment works on one day" in r.text
    r = c.post(f"/api/v1/plans/{one['id']}/replan", json={"horizon_days": 2}, headers=h)
    assert r.status_code == 422, r.text
    r = c.get(f"/api/v1/plans/{three['id']}/recommend?order_id=ANY&at={THU}T09:00:00", headers=h)
    assert r.status_code == 422, r.text
    assert "horizon_days" in r.text


@pytest.mark.parametrize("days", [0, 15])
def test_a_horizon_outside_1_to_14_is_refused(week: World, days: int) -> None:
    r = week.client.post("/api/v1/plans", json=PLAN | {"horizon_days": days}, headers=week.as_("disp"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == "horizon_days"


def test_the_openapi_documents_the_horizon(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    field = schema["PlanRequest"]["properties"]["horizon_days"]
    assert (field["minimum"], field["maximum"], field["default"]) == (1, 14, 1)
    assert "work_days" in field["description"]
