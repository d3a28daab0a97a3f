"""The actions behind a plan's fixes, as a dispatcher takes them over the API on both databases: a shift day
(overtime for one date) that the next plan uses, parts from a central store into a technician's van (which
the next plan uses too, and which the plan job reads so that part fixes name a store), and another appointment
window proposed to the customer through the notifications outbox. Each refuses what it must, with the field
named. Every plan is checked by the independent checker against the Day it was made from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from api.notify.delivery import deliver_due
from tests.api.conftest import World
from tests.api.planning import DATE, PLAN, checked, seed_day, stored_day, thread_runner, wait
from tests.api.test_notify import receiving

V = "/api/v1"
SATURDAY = "2026-11-28"  # TA and TB work Monday to Friday
# O-LATE can only start between 17:05 and 17:20, after TA's and TB's 17:00 shift end: served with overtime
O_LATE = {"id": "O-LATE", "customer_id": "C1", "lat": 45.7597, "lon": 4.8422, "priority": "P2", "duration_min": 30,
          "required_skills": ["hvac"], "created_at": "2026-11-24T07:00:00",
          "window_start": "2026-11-24T17:05:00", "window_end": "2026-11-24T17:20:00"}
# O-PART needs two filters, which no van holds: served once a van gets them from the central store
O_PART = {"id": "O-PART", "customer_id": "C2", "lat": 45.7746, "lon": 4.8317, "priority": "P2", "duration_min": 30,
          "required_skills": ["hvac"], "created_at": "2026-11-24T07:00:00", "required_parts": {"P-1": 2}}


def _plan(world: World, **overrides: Any) -> dict[str, Any]:
    """A plan of DATE solved through the API (solution limit), checked; with its job's id and stored input."""
    c, h = world.client, world.as_("disp")
    r = c.post(f"{V}/plans", json=PLAN | overrides, headers=h)
    assert r.status_code == 202, r.text
    body = wait(c, r.json()["id"], h)
    return body | {"plan": checked(world, body)}


def _where(plan: dict[str, Any], order_id: str) -> str | None:
    """The technician serving `order_id`, None when it is left out."""
    return next((r["technician_id"] for r in plan["routes"] for s in r["stops"] if s["order_id"] == order_id), None)


def _put_day(world: World, tech: str, day: str, body: dict[str, Any], who: str = "disp") -> Any:
    return world.client.put(f"{V}/technicians/{tech}/days/{day}", json=body, headers=world.as_(who))


def _field(r: Any) -> list[Any]:
    return [e["loc"][-1] for e in r.json()["errors"]]


# --- overtime: a shift day ----------------------------------------------------------------------------------

def test_a_longer_shift_for_one_day_lets_the_next_plan_serve_a_late_window(world: World) -> None:
    seed_day(world, [O_LATE])
    with thread_runner(world.client):
        before = _plan(world)
        assert _where(before["plan"], "O-LATE") is None  # 17:05 is after every shift's end
        # the plan's overtime fix, taken as the board takes it: that technician's shift of that day ends later
        left = next(u for u in before["plan"]["unassigned"] if u["order_id"] == "O-LATE")
        fix = next(f for f in left["fixes"] if f["kind"] == "overtime")
        tech, until = fix["technician_id"], (datetime(2026, 11, 24, 17) + timedelta(minutes=fix["minutes"])).time()
        r = _put_day(world, tech, DATE.isoformat(), {"shift_end": until.strftime("%H:%M")})
        assert r.status_code == 200, r.text
        assert r.json() == {"technician_id": tech, "date": DATE.isoformat(), "works": True,
                            "shift_start": "08:00:00", "shift_end": until.isoformat(), "usual_shift_start": "08:00:00",
                            "usual_shift_end": "17:00:00", "changed": True}
        after = _plan(world)
    assert _where(after["plan"], "O-LATE") == tech
    shifts = {t.id: t.shift_end.time() for t in stored_day(world, after).technicians}
    other = "TB" if tech == "TA" else "TA"
    assert shifts == {tech: until, other: datetime(2026, 11, 24, 17).time()}  # that day, that technician only
    # the weekly pattern is untouched, and another day keeps it
    assert world.client.get(f"{V}/technicians/{tech}", headers=world.as_("disp")).json()["shift_end"] == "17:00:00"
    another = world.client.get(f"{V}/technicians/{tech}/days/2026-11-25", headers=world.as_("disp")).json()
    assert (another["shift_end"], another["changed"]) == ("17:00:00", False)


def test_a_shift_day_is_cleared_and_read_back(world: World) -> None:
    c, h = world.client, world.as_("disp")
    assert _put_day(world, "TB", DATE.isoformat(), {"shift_start": "07:00", "shift_end": "19:30"}).status_code == 200
    r = _put_day(world, "TB", DATE.isoformat(), {"shift_end": "18:15"})  # a PUT replaces: the start is the usual
    assert (r.json()["shift_start"], r.json()["shift_end"]) == ("08:00:00", "18:15:00")
    # a technician reads their own day, not another's
    assert c.get(f"{V}/technicians/TB/days/{DATE}", headers=world.as_("tech_b")).json()["shift_end"] == "18:15:00"
    assert c.get(f"{V}/technicians/TB/days/{DATE}", headers=world.as_("tech_a")).status_code == 404
    # the date's changed shifts, as the board's timeline draws them
    assert [(d["technician_id"], d["shift_end"]) for d in c.get(f"{V}/technicians/days/{DATE}", headers=h).json()] \
        == [("TB", "18:15:00")]
    assert c.get(f"{V}/technicians/days/{DATE}", headers=world.as_("tech_a")).json() == []
    assert c.get(f"{V}/technicians/days/2026-11-25", headers=h).json() == []
    r = c.delete(f"{V}/technicians/TB/days/{DATE}", headers=h)
    assert r.status_code == 200
    assert (r.json()["shift_end"], r.json()["changed"]) == ("17:00:00", False)
    assert c.get(f"{V}/technicians/TB/days/{DATE}", headers=h).json()["changed"] is False


@pytest.mark.parametrize(("tech", "day", "body", "status", "field", "words"), [
    ("TA", DATE.isoformat(), {"shift_end": "07:30"}, 422, "shift_end", "07:30 is before the shift start 08:00"),
    ("TA", DATE.isoformat(), {"shift_start": "17:30"}, 422, "shift_start", "17:30 is after the shift end 17:00"),
    ("TA", DATE.isoformat(), {}, 422, "shift_end", "give shift_start or shift_end"),
    ("TA", SATURDAY, {"shift_end": "18:00"}, 422, "date", "TA does not work on Sat 2026-11-28"),
    ("TA", DATE.isoformat(), {"shift_end": "25:00"}, 422, "shift_end", ""),
    ("TA", DATE.isoformat(), {"shift_end": "18:00", "minutes": 60}, 422, "minutes", ""),
    ("NOBODY", DATE.isoformat(), {"shift_end": "18:00"}, 404, None, "technician 'NOBODY' not found"),
])
def test_a_shift_day_refuses_with_the_field_named(world: World, tech: str, day: str, body: dict[str, Any],
                                                 status: int, field: str | None, words: str) -> None:
    r = _put_day(world, tech, day, body)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    if field is not None:
        assert field in (_field(r) if "errors" in r.json() else [e["loc"][-1] for e in detail])
    assert words in (detail if isinstance(detail, str) else str(detail))
    assert world.client.get(f"{V}/technicians/TA/days/{DATE}", headers=world.as_("disp")).json()["changed"] is False


def test_only_a_dispatcher_changes_a_day_s_shift(world: World) -> None:
    for who in ("store", "plan", "tech_a"):
        assert _put_day(world, "TA", DATE.isoformat(), {"shift_end": "18:00"}, who=who).status_code == 403
        assert world.client.delete(f"{V}/technicians/TA/days/{DATE}", headers=world.as_(who)).status_code == 403


# --- parts: from a central store into a van ----------------------------------------------------------------

@pytest.fixture
def stocked(world: World) -> World:
    """Part P-1 (filters): 5 in central store CS, 1 in store CS-EAST, none in any van."""
    c, store = world.client, world.as_("store")
    assert c.post(f"{V}/parts", json={"id": "P-1", "name": "filter", "unit_cost": "12.50"}, headers=store).status_code == 201
    for loc, qty in (("CS", 5), ("CS-EAST", 1)):
        assert c.post(f"{V}/stock-locations", json={"id": loc, "name": loc}, headers=store).status_code == 201
        r = c.post(f"{V}/stock/receipts", json={"part_id": "P-1", "location_id": loc, "quantity": qty}, headers=store)
        assert r.status_code == 201, r.text
    return world


def _van(world: World, tech: str, body: dict[str, Any], who: str = "disp", key: str | None = None) -> Any:
    headers = dict(world.as_(who)) | ({"Idempotency-Key": key} if key else {})
    return world.client.post(f"{V}/technicians/{tech}/van/transfers", json=body, headers=headers)


def _held(world: World, location: str) -> int:
    items = world.client.get(f"{V}/stock", params={"location_id": location, "part_id": "P-1"},
                             headers=world.as_("store")).json()["items"]
    return items[0]["quantity"] if items else 0


def test_parts_brought_to_a_van_let_the_next_plan_serve_the_order(stocked: World) -> None:
    world = stocked
    seed_day(world, [O_PART])
    with thread_runner(world.client):
        before = _plan(world)
        assert _where(before["plan"], "O-PART") is None
        # the job read what the central stores hold of the parts the day's orders need, the fullest first
        maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
        with maker() as session:
            from api.plans.models import PlanJob

            job = session.get(PlanJob, before["id"])
            assert job is not None
            assert job.input is not None
            assert job.input["stores"] == {"P-1": [["CS", 5], ["CS-EAST", 1]]}
        # so its part fixes name the store that holds enough: CS (CS-EAST has 1 of the 2 it needs)
        left = next(u for u in before["plan"]["unassigned"] if u["order_id"] == "O-PART")
        parts = [f for f in left["fixes"] if f["kind"] == "part"]
        assert parts
        assert {(f["part"], f["quantity"], f["store"]) for f in parts} == {("P-1", 2, "CS")}
        r = _van(world, "TB", {"part_id": "P-1", "quantity": 2, "from_location_id": "CS",
                               "reason": "so that O-PART can be served"})
        assert r.status_code == 201, r.text
        move = r.json()
        assert (move["kind"], move["from_location_id"], move["to_location_id"], move["quantity"]) == \
            ("transfer", "CS", "VAN-TB", 2)
        assert (_held(world, "CS"), _held(world, "VAN-TB")) == (3, 2)
        after = _plan(world)
    assert _where(after["plan"], "O-PART") == "TB"
    assert dict(next(t for t in stored_day(world, after).technicians if t.id == "TB").van_stock) == {"P-1": 2}


def test_a_van_transfer_is_replayed_not_repeated(stocked: World) -> None:
    body = {"part_id": "P-1", "quantity": 1, "from_location_id": "CS"}
    first = _van(stocked, "TA", body, key="fix-1")
    again = _van(stocked, "TA", body, key="fix-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (_held(stocked, "CS"), _held(stocked, "VAN-TA")) == (4, 1)


@pytest.mark.parametrize(("tech", "body", "status", "words"), [
    ("TA", {"part_id": "P-1", "quantity": 2, "from_location_id": "CS-EAST"}, 409,
     "Not enough stock: CS-EAST holds 1 × filter (P-1); you asked to move 2."),
    ("TA", {"part_id": "P-1", "quantity": 1, "from_location_id": "VAN-TB"}, 422,
     "stock location 'VAN-TB' is a van, not a central store"),
    ("TA", {"part_id": "P-1", "quantity": 1, "from_location_id": "NOWHERE"}, 422,
     "stock location 'NOWHERE' does not exist"),
    ("TA", {"part_id": "P-9", "quantity": 1, "from_location_id": "CS"}, 422, "part 'P-9' does not exist"),
    ("TA", {"part_id": "P-1", "quantity": 0, "from_location_id": "CS"}, 422, "greater than or equal to 1"),
    ("NOBODY", {"part_id": "P-1", "quantity": 1, "from_location_id": "CS"}, 404, "technician 'NOBODY' not found"),
])
def test_a_van_transfer_refuses_in_words(stocked: World, tech: str, body: dict[str, Any], status: int,
                                         words: str) -> None:
    r = _van(stocked, tech, body)
    assert r.status_code == status, r.text
    assert words in str(r.json()["detail"])
    assert (_held(stocked, "CS"), _held(stocked, "CS-EAST"), _held(stocked, "VAN-TA")) == (5, 1, 0)


def test_only_a_dispatcher_uses_the_van_action(stocked: World) -> None:
    body = {"part_id": "P-1", "quantity": 1, "from_location_id": "CS"}
    for who in ("store", "plan", "tech_a"):
        assert _van(stocked, "TA", body, who=who).status_code == 403
    assert _held(stocked, "VAN-TA") == 0


# --- window: a proposal to the customer --------------------------------------------------------------------

def _propose(world: World, order: str, start: str, end: str, who: str = "disp") -> Any:
    return world.client.post(f"{V}/orders/{order}/window-proposals",
                             json={"window_start": f"{DATE}T{start}", "window_end": f"{DATE}T{end}"},
                             headers=world.as_(who))


def test_a_proposed_window_waits_in_the_outbox_and_reaches_the_customer(world: World) -> None:
    seed_day(world)  # O2 (Boulangerie Croix-Rousse) is promised 10:00-12:00
    r = _propose(world, "O2", "13:00", "15:00")
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["kind"], sent["order_id"], sent["customer_id"], sent["date"], sent["status"]) == \
        ("window_proposed", "O2", "C2", DATE.isoformat(), "pending")
    assert sent["payload"]["message"] == ("For order O2 we can come between 13:00 and 15:00 on Tue 24 Nov 2026 "
                                          "instead of between 10:00 and 12:00 on Tue 24 Nov 2026. Please tell us "
                                          "whether that suits you.")
    assert sent["payload"]["customer"]["name"] == "Boulangerie Croix-Rousse"
    # the same proposal again is the one already there; the order keeps its window until the customer agrees
    again = _propose(world, "O2", "13:00", "15:00")
    assert (again.status_code, again.json()["id"]) == (200, sent["id"])
    listed = world.client.get(f"{V}/notifications", params={"order_id": "O2"}, headers=world.as_("disp")).json()
    assert [n["id"] for n in listed] == [sent["id"]]
    order = world.client.get(f"{V}/orders/O2", headers=world.as_("disp")).json()
    assert order["window_start"] == f"{DATE}T10:00:00"
    # delivered like every notification of the outbox
    maker = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with receiving() as rec, httpx.Client(timeout=5) as client:
        report = deliver_due(maker, now=datetime.fromisoformat(sent["created_at"]) + timedelta(minutes=1),
                             url=rec.url, client=client)
    assert report.delivered == [sent["id"]]
    (_key, got), = rec.got
    assert (got["kind"], got["window_start"], got["window_end"]) == \
        ("window_proposed", f"{DATE}T13:00:00", f"{DATE}T15:00:00")


def test_a_proposed_window_sent_with_an_offset_is_the_areas_local_time(world: World) -> None:
    seed_day(world)
    r = _propose(world, "O2", "12:00Z", "15:00+01:00")  # Lyon is UTC+1 in November
    assert r.status_code == 201, r.text
    payload = r.json()["payload"]
    assert (payload["window_start"], payload["window_end"]) == (f"{DATE}T13:00:00", f"{DATE}T15:00:00")


@pytest.mark.parametrize(("order", "start", "end", "status", "field", "words"), [
    ("O2", "15:00", "13:00", 422, "window_end", "is before the window start"),
    ("O2", "13:00", "2026-11-25T15:00", 422, "window_end", "same date"),
    ("O2", "13:00", "", 422, "window_end", ""),
    ("NOPE", "13:00", "15:00", 404, None, "order 'NOPE' not found"),
])
def test_a_window_proposal_refuses_with_the_field_named(world: World, order: str, start: str, end: str,
                                                        status: int, field: str | None, words: str) -> None:
    seed_day(world)
    end_value = end if "T" in end else (f"{DATE}T{end}" if end else "")
    r = world.client.post(f"{V}/orders/{order}/window-proposals",
                          json={"window_start": f"{DATE}T{start}", "window_end": end_value},
                          headers=world.as_("disp"))
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    if field is not None:
        locs = _field(r) if "errors" in r.json() else [e["loc"][-1] for e in detail]
        assert field in locs
    assert words in str(detail)
    assert world.client.get(f"{V}/notifications", headers=world.as_("disp")).json() == []


def test_no_window_is_proposed_for_a_cancelled_order_nor_by_other_roles(world: World) -> None:
    seed_day(world)
    for who in ("store", "plan", "tech_a"):
        assert _propose(world, "O2", "13:00", "15:00", who=who).status_code == 403
    assert world.client.post(f"{V}/orders/O3/cancel", json={"reason": "fixed itself"},
                             headers=world.as_("disp")).status_code == 200
    r = _propose(world, "O3", "13:00", "15:00")
    assert r.status_code == 409
    assert r.json()["detail"] == "order 'O3' is cancelled: no window to propose"
