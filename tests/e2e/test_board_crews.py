"""The board on a day with a two-person job, as a dispatcher meets it: an emergency placed and assigned around
the crew job still to come (which stays on both members' rows at its start), an order for two technicians
whose places show both members and whose assignment puts exactly the crew of the row clicked on both rows, and
an order nobody can take, with the service's reason. The board looks at a fixed moment (?at=10:30); the day is
planned under a solution limit, so the same day gives the same plan. Every plan made goes through the
independent re-plan check."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Request, Response, expect

from api.auth.models import Role
from dispatch.domain import Day, Order, Priority, Technician
from tests.e2e.conftest import Server, Watched, auth, axe_violations, check_live_plan, watch
from tests.e2e.test_faces import MARKERS_SHOWN, shown_plan_id, sign_in

BOARD = {"width": 1440, "height": 900}
DAY = dt.date.today() + dt.timedelta(days=2)
AT = dt.datetime.combine(DAY, dt.time(10, 30))
SMALL = {"time_limit": 30, "solution_limit": 3}
CREW_JOB = "CK1"
SHOP = "Boulangerie Pernet"  # the customer the emergencies are entered for


def _on(h: int, m: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(h, m))


def _crew_day() -> Day:
    """Three hvac technicians; CK1 needs two of them from 13:00 (a crew job not begun at 10:30), six
    one-person jobs fill the morning."""
    techs = tuple(Technician(id=i, name=name, skills=frozenset({"hvac"}), home_lat=lat, home_lon=lon,
                             shift_start=_on(8), shift_end=_on(17))
                  for i, name, lat, lon in (("CA", "Ana Roux", 45.76, 4.84), ("CB", "Bruno Petit", 45.78, 4.88),
                                            ("CC", "Chloé Martin", 45.73, 4.81)))
    crew = Order(id=CREW_JOB, customer="Clinique Saint-Luc", lat=45.755, lon=4.86, priority=Priority.P2,
                 required_skills=frozenset({"hvac"}), duration_min=60, created_at=_on(7),
                 window_start=_on(13), window_end=_on(15), technicians_needed=2)
    spots = [(45.77, 4.83), (45.745, 4.85), (45.79, 4.87), (45.735, 4.82), (45.765, 4.89), (45.75, 4.80)]
    names = [SHOP, "Café du Parc", "Garage Mercier", "Pharmacie Bel-Air", "Hôtel des Arts", "Crèche Les Lilas"]
    orders = tuple(Order(id=f"CO{i}", customer=name, lat=lat, lon=lon, priority=Priority.P3,
                         required_skills=frozenset({"hvac"}), duration_min=45, created_at=_on(7))
                   for i, ((lat, lon), name) in enumerate(zip(spots, names, strict=True), 1))
    return Day(date=DAY, technicians=techs, orders=(crew, *orders))


@pytest.fixture(scope="module")
def dispatcher(server: Server) -> str:
    server.add_user("crewdesk", Role.dispatcher)
    return server.token("crewdesk", Role.dispatcher)


@pytest.fixture(scope="module")
def published(server: Server, dispatcher: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The crew day imported, planned (bounded search) and published: CK1 on two routes at one start after
    10:30. Each test starts from this plan (an assignment makes a new plan and publishes nothing)."""
    server.import_day(_crew_day(), dispatcher, tmp_path_factory.mktemp("crews"))
    plan = server.solve(dispatcher, date=DAY.isoformat(), **SMALL)
    httpx.post(f"{server.url}/api/v1/plans/{plan['id']}/publish", headers=auth(dispatcher)).raise_for_status()
    crew = _stops(plan["plan"], CREW_JOB)
    assert len(crew) == 2
    assert len({s["start"] for s in crew.values()}) == 1
    assert min(s["start"] for s in crew.values()) > AT.isoformat()  # not begun at the board's moment
    return plan


def _stops(plan: dict[str, Any], order_id: str) -> dict[str, dict[str, Any]]:
    return {r["technician_id"]: s for r in plan["routes"] for s in r["stops"] if s["order_id"] == order_id}


def _customer_id(server: Server, token: str) -> str:
    r = httpx.get(f"{server.url}/api/v1/customers?limit=500", headers=auth(token))
    r.raise_for_status()
    return str(next(c["id"] for c in r.json()["items"] if c["name"] == SHOP))


def _board(browser: Browser, server: Server, published: dict[str, Any]) -> Watched:
    """The board of the day at 10:30, on the published plan (an earlier test's assignment is newer)."""
    w = watch(browser, BOARD)
    sign_in(w, server, "crewdesk", "/board")
    w.page.goto(f"{server.url}/board?date={DAY.isoformat()}&at={AT:%H:%M}")
    if shown_plan_id(w.page) != published["id"]:
        w.page.get_by_role("button", name=re.compile("the one technicians see")).click()
    expect(w.page.locator("#plan-status")).to_have_attribute("data-plan", published["id"])
    return w


def _recommend(page: Page, customer_id: str, needed: int) -> tuple[Locator, str, dict[str, Any]]:
    """An emergency for `needed` technicians entered in the dialog: (the dialog, the order id, the recommend
    answer the page was given)."""
    page.get_by_role("button", name="Emergency").click()
    dialog = page.get_by_role("dialog", name="Emergency")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Customer").select_option(customer_id)
    dialog.get_by_label("Technicians needed").select_option(str(needed))
    order_id = dialog.get_by_label("Order id").input_value()
    with page.expect_response(lambda r: "/recommend?" in r.url) as asked:
        dialog.get_by_role("button", name="Create and find who can go").click()
    response: Response = asked.value
    assert response.ok, response.text()
    expect(dialog.locator("#em-results-summary")).to_contain_text("as the day stands at 10:30")
    return dialog, order_id, dict(response.json())


def _rows_show(dialog: Locator, placements: list[dict[str, Any]]) -> None:
    """The dialog's rows are the service's placements, in its order, each crew member with stop and arrival."""
    rows = dialog.locator("#em-placements tbody tr")
    expect(rows).to_have_count(len(placements))
    for i, p in enumerate(placements):
        row = rows.nth(i)
        expect(row).to_have_attribute("data-technician", p["technician_id"])
        expect(row.locator("td.eta")).to_have_text(p["eta"][11:16])
        members = [p["technician_id"], *(m["technician_id"] for m in p["crew"])]
        if not p["crew"]:
            expect(row).not_to_have_attribute("data-crew", re.compile("."))
            expect(row.locator("td.stop")).to_have_text(f"stop {p['position'] + 1}")
            continue
        expect(row).to_have_attribute("data-crew", "+".join(members))
        expect(row.locator("th")).to_contain_text(" + ".join(members))
        lines = row.locator(".em-member")
        expect(lines).to_have_text([f"{p['technician_id']} (lead): stop {p['position'] + 1}, arrives "
                                    f"{p['arrival'][11:16]}"] +
                                   [f"{m['technician_id']}: stop {m['position'] + 1}, arrives {m['arrival'][11:16]}"
                                    for m in p["crew"]])


def _assign(page: Page, row: Locator) -> tuple[dict[str, Any], str]:
    """Assign from the row: (the request body the page sent, the id of the plan it made and shows)."""
    dialog = page.get_by_role("dialog", name="Emergency")
    with page.expect_request(lambda r: r.url.endswith("/assign") and r.method == "POST") as sent:
        row.get_by_role("button", name=re.compile("^Assign")).click()
    request: Request = sent.value
    expect(dialog).to_be_hidden()
    # the new plan is on screen once the board says what was assigned
    expect(page.locator("#plan-status")).to_contain_text(" assigned to ")
    return dict(json.loads(request.post_data or "{}")), shown_plan_id(page)


def _on_lanes(page: Page, order_id: str, members: list[str]) -> None:
    """The crew visit is on each member's timeline row, marked with the whole crew (the lead first)."""
    segments = page.locator(f'.seg-service[data-order="{order_id}"]')
    expect(segments).to_have_count(len(members))
    for tech in members:
        segment = page.locator(f'.timeline-row[data-technician="{tech}"] .seg-service[data-order="{order_id}"]')
        expect(segment).to_have_attribute("data-crew", "+".join(members))
        expect(segment).to_have_class(re.compile(r"\bcrew\b"))
        expect(segment).to_have_attribute("aria-label", re.compile(
            "crew with " + ", ".join(t for t in members if t != tech)))
        expect(segment.locator(".seg-crew")).to_have_text("crew: " + "+".join(members), use_inner_text=False)


def test_the_map_shows_a_crew_job_whichever_member_is_focused(
        server: Server, browser: Browser, published: dict[str, Any]) -> None:
    w = _board(browser, server, published)
    page = w.page
    plan = published["plan"]
    orders = {s["order_id"] for r in plan["routes"] for s in r["stops"]}
    unassigned = len(plan["unassigned"])
    # one marker per order, the crew job's too (it is on two routes)
    page.wait_for_function(MARKERS_SHOWN, arg=len(orders) + unassigned)
    for route in plan["routes"]:
        if not any(s["order_id"] == CREW_JOB for s in route["stops"]):
            continue
        page.locator(f'#legend button[data-technician="{route["technician_id"]}"]').click()
        expect(page.locator("#map")).to_have_attribute("data-focus", route["technician_id"])
        # every stop of the member's route stays a marker, the crew job included, whoever leads it
        page.wait_for_function(MARKERS_SHOWN, arg=len(route["stops"]) + unassigned)
    assert w.errors == []


def test_an_emergency_is_assigned_around_the_crew_job_still_to_come(
        server: Server, browser: Browser, dispatcher: str, published: dict[str, Any]) -> None:
    w = _board(browser, server, published)
    page = w.page
    crew = _stops(published["plan"], CREW_JOB)
    lead = next(iter(crew.values()))["crew"]
    _on_lanes(page, CREW_JOB, lead)  # the crew job as published: on both rows, marked

    dialog, order_id, answer = _recommend(page, _customer_id(server, dispatcher), 1)
    placements = answer["placements"]
    assert placements
    assert answer["reason"] is None
    assert all(p["crew"] == [] for p in placements)  # one technician's order: no crew
    _rows_show(dialog, placements)
    assert axe_violations(page) == []
    best = placements[0]
    body, new_id = _assign(page, dialog.locator("#em-placements tbody tr").first)
    assert body == {"order_id": order_id, "technician_id": best["technician_id"], "position": best["position"],
                    "at": AT.isoformat()}  # no crew for a one-person order
    expect(page.locator("#plan-status")).to_contain_text(
        re.compile(rf"{order_id} assigned to .*\({best['technician_id']}\) as stop {best['position'] + 1}"))

    new = server.finished(dispatcher, new_id)
    assert new["parent_id"] == published["id"]
    check_live_plan(server, DAY, AT, new["plan"], published["plan"])
    assert list(_stops(new["plan"], order_id)) == [best["technician_id"]]
    assert _stops(new["plan"], order_id)[best["technician_id"]]["start"] == best["eta"]
    # the crew job keeps its members and its start on both routes
    after = _stops(new["plan"], CREW_JOB)
    assert {t: (s["start"], s["crew"]) for t, s in after.items()} == \
        {t: (s["start"], s["crew"]) for t, s in crew.items()}
    _on_lanes(page, CREW_JOB, lead)
    assert w.errors == []


def test_an_order_for_two_shows_both_members_and_goes_to_the_crew_of_the_row_clicked(
        server: Server, browser: Browser, dispatcher: str, published: dict[str, Any]) -> None:
    w = _board(browser, server, published)
    page = w.page
    dialog, order_id, answer = _recommend(page, _customer_id(server, dispatcher), 2)
    placements = answer["placements"]
    assert placements
    assert all(len(p["crew"]) == 1 for p in placements)
    expect(dialog.locator("#em-results-summary")).to_contain_text(f"{order_id} (P1 for 2 technicians, {SHOP})")
    _rows_show(dialog, placements)
    assert axe_violations(page) == []
    w.screenshot("board-crew-recommendations")
    # the row clicked: one whose lead and stop a cheaper row has too, with another member; without its crew the
    # service would take the cheaper row's
    seen: dict[tuple[str, int], str] = {}
    chosen = None
    for i, p in enumerate(placements):
        key, member = (p["technician_id"], p["position"]), p["crew"][0]["technician_id"]
        if key in seen and seen[key] != member:
            chosen = i
            break
        seen.setdefault(key, member)
    assert chosen is not None, placements  # the day is made so that one exists
    row = placements[chosen]
    members = [row["technician_id"], row["crew"][0]["technician_id"]]
    body, new_id = _assign(page, dialog.locator("#em-placements tbody tr").nth(chosen))
    assert body == {"order_id": order_id, "technician_id": row["technician_id"], "position": row["position"],
                    "at": AT.isoformat(), "crew": members[1:]}
    expect(page.locator("#plan-status")).to_contain_text(
        re.compile(rf"{order_id} assigned to .*\({members[0]}\) \+ .*\({members[1]}\) \(crew, starting together\)"))

    new = server.finished(dispatcher, new_id)
    check_live_plan(server, DAY, AT, new["plan"], published["plan"])
    placed = _stops(new["plan"], order_id)
    assert sorted(placed) == sorted(members)  # exactly the crew of the row clicked
    assert {s["start"] for s in placed.values()} == {row["eta"]}
    assert all(s["crew"] == members for s in placed.values())
    assert {t: s["start"] for t, s in _stops(new["plan"], CREW_JOB).items()} == \
        {t: s["start"] for t, s in _stops(published["plan"], CREW_JOB).items()}
    _on_lanes(page, order_id, members)
    _on_lanes(page, CREW_JOB, next(iter(_stops(new["plan"], CREW_JOB).values()))["crew"])
    w.screenshot("board-crew-assigned")
    assert w.errors == []


def test_an_order_nobody_can_take_says_why(
        server: Server, browser: Browser, dispatcher: str, published: dict[str, Any]) -> None:
    w = _board(browser, server, published)
    page = w.page
    dialog, order_id, answer = _recommend(page, _customer_id(server, dispatcher), 4)
    assert answer["placements"] == []
    assert answer["reason"].startswith("needs 4 technicians together")
    expect(dialog.locator("#em-placements tbody tr")).to_have_count(0)
    summary = dialog.locator("#em-results-summary")
    expect(summary).to_contain_text(f"Nobody can take {order_id} for 4 technicians as the day stands at 10:30: "
                                    f"{answer['reason']}")
    expect(dialog.get_by_role("button", name="Re-plan instead")).to_be_focused()
    assert axe_violations(page) == []
    assert w.errors == []


def test_assign_takes_the_crew_of_the_placement_it_is_given(
        server: Server, dispatcher: str, published: dict[str, Any]) -> None:
    """The contract the board's assign relies on, without a browser: a placement's lead and stop with its crew
    makes that crew; the same lead and stop without a crew makes the cheapest crew with them."""
    h = auth(dispatcher)
    customer = _customer_id(server, dispatcher)
    r = httpx.post(f"{server.url}/api/v1/orders", headers=h, json={
        "id": "CREW-API", "customer_id": customer, "lat": 45.77, "lon": 4.83, "priority": "P1", "duration_min": 60,
        "technicians_needed": 2, "created_at": AT.isoformat()})
    assert r.status_code == 201, r.text
    r = httpx.get(f"{server.url}/api/v1/plans/{published['id']}/recommend", headers=h,
                  params={"order_id": "CREW-API", "at": AT.isoformat(), "top": 50})
    assert r.status_code == 200, r.text
    placements = r.json()["placements"]

    def holds(p: dict[str, Any], technician_id: str, position: int) -> bool:
        return (technician_id, position) in {(p["technician_id"], p["position"]),
                                             *((m["technician_id"], m["position"]) for m in p["crew"])}

    # a placement that is not the cheapest with its lead at its stop, and the cheapest crew with them there
    other = next(p for i, p in enumerate(placements)
                 if any(holds(q, p["technician_id"], p["position"]) for q in placements[:i]))
    cheapest = next(q for q in placements if holds(q, other["technician_id"], other["position"]))
    crew_of = lambda p: {p["technician_id"], *(m["technician_id"] for m in p["crew"])}  # noqa: E731
    assert crew_of(cheapest) != crew_of(other)  # the day is made so that the crew decides
    for crew, expected in (([m["technician_id"] for m in other["crew"]], other), (None, cheapest)):
        r = httpx.post(f"{server.url}/api/v1/plans/{published['id']}/assign", headers=h, json={
            "order_id": "CREW-API", "technician_id": other["technician_id"], "position": other["position"],
            "at": AT.isoformat()} | ({"crew": crew} if crew else {}))
        assert r.status_code == 201, r.text
        new = server.finished(dispatcher, r.json()["id"])
        check_live_plan(server, DAY, AT, new["plan"], published["plan"])
        placed = _stops(new["plan"], "CREW-API")
        assert sorted(placed) == sorted([expected["technician_id"], *(m["technician_id"] for m in expected["crew"])])
        assert {s["start"] for s in placed.values()} == {expected["eta"]}
