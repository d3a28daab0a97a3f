"""Customers hear in time: confirmations, delays, completions and missing parts reach a real local webhook.

A real HTTP receiver (http.server on a thread) stands in for the SMS or e-mail provider. Generation and
delivery are driven with a settable clock (direct calls with `now`); the two-worker test runs the service's
own background loop under uvicorn and waits, bounded, for the receiver to have everything.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient

from api.live.status import moments
from api.notify import delivery, service
from api.notify.delivery import Report, Retry, deliver_due, run_once
from tests.api.conftest import Database, World, make_settings
from tests.api.live import live_server
from tests.api.planning import CUSTOMERS, DATE, PINNED, seed_day, solve_and_publish, thread_runner

V = "/api/v1"


@dataclass
class Receiver:
    """What the webhook received, in order: (Idempotency-Key header, JSON body); answers 503 to the first
    `fail` posts of each id."""

    url: str = ""
    fail: int = 0
    got: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        return [b["id"] for _, b in self.got]

    def unique(self) -> dict[str, dict[str, Any]]:
        """What survives de-duplication by id: one body per id (every copy of an id is the same body)."""
        with self.lock:
            kept: dict[str, dict[str, Any]] = {}
            for _key, b in self.got:
                assert kept.setdefault(b["id"], b) == b, f"two different bodies under id {b['id']}"
            return kept


@contextmanager
def receiving(fail: int = 0) -> Iterator[Receiver]:
    rec = Receiver(fail=fail)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with rec.lock:
                body = json.loads(raw)
                rec.got.append((self.headers.get("Idempotency-Key"), body))
                code = 503 if rec.ids().count(body["id"]) <= rec.fail else 200
                rec.answers.append(code)
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/customers"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as rec:
        yield rec


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@dataclass
class Day:
    world: World
    stops: dict[str, list[dict[str, Any]]]  # technician id -> the published plan's stops, in order

    @property
    def client(self) -> TestClient:
        return self.world.client

    def sessions(self) -> Any:
        return self.client.app.state.sessionmaker  # type: ignore[attr-defined]

    def generate(self, now: datetime, **rules: int) -> list[dict[str, Any]]:
        """Generate at `now`; the notifications added, as the API lists them."""
        with self.sessions()() as session:
            added = set(service.generate(session, day=DATE, now=now, rules=service.Rules(**rules)))
        return [n for n in self.listed() if n["id"] in added]

    def listed(self, **params: str) -> list[dict[str, Any]]:
        r = self.client.get(f"{V}/notifications", params={"date": DATE.isoformat()} | params,
                            headers=self.world.as_("disp"))
        assert r.status_code == 200, r.text
        return list(r.json())


@pytest.fixture
def day(world: World) -> Day:
    seed_day(world, PINNED)
    with thread_runner(world.client):
        body = solve_and_publish(world)  # checked by the independent plan checker
    return Day(world, {r["technician_id"]: r["stops"] for r in body["plan"]["routes"]})


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def record(d: Day, who: str, order_id: str, **fields: Any) -> dict[str, Any]:
    body = {"order_id": order_id, "date": DATE.isoformat()} | {
        k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
    r = d.client.post(f"{V}/visits", json=body, headers=d.world.as_(who))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_the_visit_is_confirmed_an_hour_before_the_eta_once(day: Day, receiver: Receiver,
                                                           http: httpx.Client) -> None:
    first = day.stops["TA"][0]
    eta = at(first["start"])
    early = day.generate(eta - timedelta(minutes=61))
    assert first["order_id"] not in {n["order_id"] for n in early}  # more than an hour ahead: not yet
    added = [n for n in day.generate(eta - timedelta(minutes=60)) if n["order_id"] == first["order_id"]]
    assert [n["kind"] for n in added] == ["visit_confirmed"]
    confirmed = added[0]
    assert confirmed["eta"] == first["start"]
    assert confirmed["status"] == "pending"
    # a second scan, and a later one, add nothing for that order
    assert day.generate(eta - timedelta(minutes=60)) == []
    assert first["order_id"] not in {n["order_id"] for n in day.generate(eta - timedelta(minutes=30))}

    report = deliver_due(day.sessions(), now=eta - timedelta(minutes=30), url=receiver.url, client=http)
    assert confirmed["id"] in report.delivered
    sent = receiver.unique()[confirmed["id"]]
    key = next(k for k, b in receiver.got if b["id"] == confirmed["id"])
    assert key == confirmed["id"]  # the Idempotency-Key header is the id
    assert sent["kind"] == "visit_confirmed"
    assert sent["order_id"] == first["order_id"]
    assert sent["date"] == DATE.isoformat()
    assert sent["eta"] == first["start"]
    customer = next(c for o in PINNED if o["id"] == first["order_id"] for c in CUSTOMERS
                    if c["id"] == o["customer_id"])
    assert sent["customer_id"] == customer["id"]
    assert sent["customer"] == {"id": customer["id"], "name": customer["name"], "phone": customer.get("phone")}
    assert eta.strftime("%H:%M") in sent["message"]
    row = next(n for n in day.listed(order_id=first["order_id"]) if n["id"] == confirmed["id"])
    assert row["status"] == "delivered"
    assert row["attempts"] == 1
    assert row["delivered_at"] is not None


def test_a_late_arrival_sends_a_delay_notice_for_the_next_visit_each_time_it_slips(day: Day) -> None:
    first, second = day.stops["TA"][:2]
    told = at(second["start"])
    confirmed = [n for n in day.generate(told - timedelta(minutes=60)) if n["order_id"] == second["order_id"]]
    assert [n["kind"] for n in confirmed] == ["visit_confirmed"]

    # 5 minutes late at the first stop: the next ETA moves by 15 minutes at most, the customer is not told
    late = at(first["start"]) + timedelta(minutes=5)
    visit = record(day, "tech_a", first["order_id"], arrived_at=late)
    assert [n for n in day.generate(late) if n["order_id"] == second["order_id"]] == []

    # corrected: 2 hours late (the technician is still on site at the first stop): the next visit slips
    late = at(first["start"]) + timedelta(hours=2)
    r = day.client.patch(f"{V}/visits/{visit['id']}", json={"arrived_at": late.isoformat()},
                         headers=day.world.as_("tech_a"))
    assert r.status_code == 200, r.text
    delayed = [n for n in day.generate(late) if n["order_id"] == second["order_id"]]
    assert [n["kind"] for n in delayed] == ["visit_delayed"]
    notice = delayed[0]
    new_eta = at(notice["eta"])
    service_minutes = (at(first["end"]) - at(first["start"]))
    assert new_eta >= late + service_minutes  # not before the first visit can be over
    assert new_eta > told + timedelta(minutes=15)
    assert notice["payload"]["previous_eta"] == second["start"]
    assert new_eta.strftime("%H:%M") in notice["payload"]["message"]
    assert day.generate(late) == []  # the same slip is told once

    # the first visit runs over by another hour: a second notice, against the ETA told last
    later = new_eta + timedelta(hours=1)
    again = [n for n in day.generate(later - service_minutes) if n["order_id"] == second["order_id"]]
    assert [n["kind"] for n in again] == ["visit_delayed"]
    assert again[0]["payload"]["previous_eta"] == notice["eta"]
    assert at(again[0]["eta"]) > new_eta + timedelta(minutes=15)
    kinds = [n["kind"] for n in day.listed(order_id=second["order_id"])]
    assert kinds == ["visit_confirmed", "visit_delayed", "visit_delayed"]


def test_a_done_visit_invites_a_score_and_a_missing_part_gives_the_new_date(day: Day) -> None:
    a, b = day.stops["TA"], day.stops["TB"]
    start = at(a[0]["start"])
    record(day, "tech_a", a[0]["order_id"], arrived_at=start, done_at=start + timedelta(minutes=40),
           fixed_first_time=True)
    record(day, "tech_a", a[1]["order_id"], arrived_at=at(a[1]["start"]),
           done_at=at(a[1]["start"]) + timedelta(minutes=30), fixed_first_time=False,
           notes="part missing: compressor valve")
    record(day, "tech_b", b[0]["order_id"], arrived_at=at(b[0]["start"]),
           done_at=at(b[0]["start"]) + timedelta(minutes=10), fixed_first_time=False, notes="customer absent")
    added = day.generate(at(f"{DATE}T16:00:00"))
    by = {(n["kind"], n["order_id"]): n for n in added}
    done = by.pop(("visit_done", a[0]["order_id"]))
    assert done["payload"]["score"]["min"] == 1
    assert done["payload"]["score"]["max"] == 5
    assert "1" in done["payload"]["message"]
    assert "5" in done["payload"]["message"]
    missing = by.pop(("part_missing", a[1]["order_id"]))
    assert missing["payload"]["expected_date"] == "2026-11-25"  # DATE is a Tuesday: the next working day
    assert "2026-11-25" in missing["payload"]["message"]
    # the customer who was not there hears nothing of these two kinds; nobody else was visited
    assert not [k for k in by if k[0] in ("visit_done", "part_missing")]
    assert day.generate(at(f"{DATE}T16:00:00")) == []
    later = day.generate(at(f"{DATE}T16:30:00"))
    assert not [n for n in later if n["kind"] in ("visit_done", "part_missing")]  # each told once


def test_generation_from_several_workers_at_once_records_each_notification_once(day: Day) -> None:
    start = at(day.stops["TA"][0]["start"])
    for who, stops in (("tech_a", day.stops["TA"]), ("tech_b", day.stops["TB"])):
        record(day, who, stops[0]["order_id"], arrived_at=at(stops[0]["start"]),
               done_at=at(stops[0]["start"]) + timedelta(minutes=20), fixed_first_time=True)
    now = start + timedelta(hours=3)

    def scan(_: int) -> list[str]:
        with day.sessions()() as session:
            return service.generate(session, day=DATE, now=now)

    with ThreadPoolExecutor(max_workers=4) as pool:
        added = [i for ids in pool.map(scan, range(4)) for i in ids]
    rows = day.listed()
    assert sorted(added) == sorted(n["id"] for n in rows)  # each row added by exactly one of the scans
    keys = [(n["kind"], n["order_id"]) for n in rows]
    assert len(keys) == len(set(keys))
    assert {("visit_done", day.stops["TA"][0]["order_id"]), ("visit_done", day.stops["TB"][0]["order_id"])} <= set(keys)


def test_a_receiver_that_fails_three_times_still_gets_it_after_back_off(day: Day, http: httpx.Client) -> None:
    first = day.stops["TA"][0]
    t0 = at(first["start"]) - timedelta(minutes=60)
    (row,) = [n for n in day.generate(t0) if n["order_id"] == first["order_id"]]
    retry = Retry(first_seconds=30, max_seconds=3600, max_attempts=10)
    with receiving(fail=3) as rec:
        def send(now: datetime) -> Report:
            return deliver_due(day.sessions(), now=now, url=rec.url, client=http, retry=retry)

        now = t0
        for attempt, wait_s in enumerate((30, 60, 120), start=1):  # 30 s, doubled each time
            report = send(now)
            assert row["id"] in report.retrying
            state = next(n for n in day.listed() if n["id"] == row["id"])
            assert state["status"] == "pending"
            assert state["attempts"] == attempt
            assert at(state["next_attempt_at"]) == now + timedelta(seconds=wait_s)
            assert "503" in state["last_error"]
            assert send(now + timedelta(seconds=wait_s - 1)) == Report()  # not due before the back-off ends
            now += timedelta(seconds=wait_s)
        assert row["id"] in send(now).delivered
        mine = [code for (_, b), code in zip(rec.got, rec.answers, strict=True) if b["id"] == row["id"]]
        assert mine == [503, 503, 503, 200]
        assert rec.unique()[row["id"]]["order_id"] == first["order_id"]  # one copy survives de-duplication
        assert send(now + timedelta(hours=1)).delivered == []  # delivered is final
    state = next(n for n in day.listed() if n["id"] == row["id"])
    assert state["status"] == "delivered"
    assert state["attempts"] == 4
    assert state["last_error"] is None


def test_a_worker_that_dies_mid_send_leaves_the_row_to_another_once_its_claim_lapses(
        day: Day, receiver: Receiver, http: httpx.Client) -> None:
    first = day.stops["TA"][0]
    t0 = at(first["start"]) - timedelta(minutes=60)
    (row,) = [n for n in day.generate(t0) if n["order_id"] == first["order_id"]]
    retry = Retry(lease_seconds=60)
    # a worker claims the row and is never heard of again (killed before the webhook answered)
    assert delivery._claim(day.sessions(), row_id=row["id"], token="lost", now=t0, retry=retry) is not None
    held = deliver_due(day.sessions(), now=t0 + timedelta(seconds=59), url=receiver.url, client=http, retry=retry)
    assert row["id"] not in held.delivered  # still held: nobody sends it twice at once
    taken = deliver_due(day.sessions(), now=t0 + timedelta(seconds=60), url=receiver.url, client=http, retry=retry)
    assert row["id"] in taken.delivered
    assert receiver.ids().count(row["id"]) == 1
    state = next(n for n in day.listed() if n["id"] == row["id"])
    assert state["status"] == "delivered"


@contextmanager
def webhook_configured(client: TestClient, url: str) -> Iterator[None]:
    app = client.app
    before = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = before.model_copy(update={"notify_webhook_url": url})  # type: ignore[attr-defined]
    try:
        yield
    finally:
        app.state.settings = before  # type: ignore[attr-defined]


def test_failed_for_good_after_max_attempts_then_a_dispatcher_resends_it(day: Day, http: httpx.Client) -> None:
    first = day.stops["TA"][0]
    t0 = at(first["start"]) - timedelta(minutes=60)
    (row,) = [n for n in day.generate(t0) if n["order_id"] == first["order_id"]]
    retry = Retry(first_seconds=30, max_seconds=40, max_attempts=3)
    with receiving(fail=1000) as rec:
        now = t0
        for _ in range(3):
            report = deliver_due(day.sessions(), now=now, url=rec.url, client=http, retry=retry)
            now += timedelta(seconds=40)  # the cap: never longer
        assert row["id"] in report.failed
        assert row["id"] in {n["id"] for n in day.listed(status="failed")}
        assert deliver_due(day.sessions(), now=now + timedelta(days=1), url=rec.url, client=http).delivered == []
        assert rec.ids().count(row["id"]) == 3

        c = day.client
        no_hook = c.post(f"{V}/notifications/{row['id']}/resend", headers=day.world.as_("disp"))
        assert no_hook.status_code == 409
        assert "NOTIFY_WEBHOOK_URL" in no_hook.json()["detail"]
        with webhook_configured(c, rec.url):
            assert c.post(f"{V}/notifications/{row['id']}/resend",
                          headers=day.world.as_("plan")).status_code == 403  # a dispatcher's decision
            r = c.post(f"{V}/notifications/{row['id']}/resend", headers=day.world.as_("disp"))
        assert r.status_code == 200, r.text
        again = r.json()
        assert again["status"] == "pending"
        assert again["attempts"] == 0
        assert again["id"] == row["id"]
        rec.fail = 0
        due = at(again["next_attempt_at"])
        assert deliver_due(day.sessions(), now=due, url=rec.url, client=http, retry=retry).delivered == [row["id"]]
    assert rec.ids().count(row["id"]) == 4  # the same id each time: a receiver drops the copies
    assert row["id"] in {n["id"] for n in day.listed(status="delivered")}


def test_no_webhook_no_traffic(day: Day, database: Database, receiver: Receiver, http: httpx.Client) -> None:
    start = at(day.stops["TA"][0]["start"])
    record(day, "tech_a", day.stops["TA"][0]["order_id"], arrived_at=start, done_at=start + timedelta(minutes=30))
    settings = make_settings(database, notify_webhook_url="none")
    assert settings.notify_webhook_url is None
    report = run_once(day.sessions(), settings=settings, now=start + timedelta(hours=1), client=http)
    assert report == Report()
    assert day.listed() == []  # nothing generated: a webhook configured later gets no stale backlog
    day.generate(start + timedelta(hours=1))  # rows that exist still never leave without a URL
    assert deliver_due(day.sessions(), now=start + timedelta(hours=2), url=None, client=http) == Report()
    assert receiver.got == []
    assert {n["status"] for n in day.listed()} == {"pending"}


def test_notifications_are_for_staff_and_bad_filters_name_the_parameter(day: Day) -> None:
    c, w = day.client, day.world
    assert c.get(f"{V}/notifications", headers=w.as_("tech_a")).status_code == 403
    assert c.get(f"{V}/notifications", headers=w.as_("store")).status_code == 200
    r = c.get(f"{V}/notifications?status=sent", headers=w.as_("disp"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "status"]
    r = c.get(f"{V}/notifications?date=2026-13-01", headers=w.as_("disp"))
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "date"]
    r = c.post(f"{V}/notifications/00000000-0000-0000-0000-000000000000/resend", headers=w.as_("disp"))
    assert r.status_code == 404
    assert "not found" in r.json()["detail"]


def test_settings_refuse_a_webhook_that_is_not_a_url(database: Database) -> None:
    with pytest.raises(ValueError, match="NOTIFY_WEBHOOK_URL 'ftp://x' is not a webhook URL"):
        make_settings(database, notify_webhook_url="ftp://x")
    with pytest.raises(ValueError, match="NOTIFY_RETRY_MAX_SECONDS"):
        make_settings(database, notify_retry_seconds=60, notify_retry_max_seconds=30)


# -- two service workers -------------------------------------------------------------------------------------

ZONE = "Europe/Paris"


def _today_orders(day: date) -> list[dict[str, Any]]:
    """Ten half-hour orders of `day`, five pinned to each technician."""
    out = []
    for i in range(10):
        out.append({"id": f"W{i:02d}", "customer_id": CUSTOMERS[i % 3]["id"], "lat": 45.75 + i * 0.002,
                    "lon": 4.83 + i * 0.002, "priority": "P3", "duration_min": 30, "required_skills": ["hvac"],
                    "created_at": f"{day}T06:00:00", "pinned_technician_id": "TA" if i % 2 == 0 else "TB"})
    return out


def test_two_service_workers_deliver_each_notification_and_one_copy_of_each_id_survives(
        world: World, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(ZoneInfo(ZONE)).date()  # the day the workers' loops scan: theirs is the real clock
    c, disp = world.client, world.as_("disp")
    for tid in ("TA", "TB"):  # whatever weekday the suite runs on
        assert c.patch(f"{V}/technicians/{tid}", json={"work_days": [1, 2, 3, 4, 5, 6, 7]},
                       headers=disp).status_code == 200
    seed_day(world, _today_orders(today))
    with thread_runner(c):
        plan = solve_and_publish(world, date=today.isoformat())["plan"]
    owner = {s["order_id"]: r["technician_id"] for r in plan["routes"] for s in r["stops"]}
    assert len(owner) == 10
    # every visit is over (so nothing depends on the hour the test runs): eight fixed, two waiting for a part
    expected = set()
    for order_id, tech in sorted(owner.items()):
        who = "tech_a" if tech == "TA" else "tech_b"
        fields: dict[str, Any] = {"order_id": order_id, "date": today.isoformat(),
                                  "arrived_at": f"{today}T00:10:00", "done_at": f"{today}T00:20:00"}
        if order_id in ("W00", "W01"):
            fields |= {"fixed_first_time": False, "notes": "part missing"}
            expected.add(("part_missing", order_id))
        else:
            fields |= {"fixed_first_time": True}
            expected.add(("visit_done", order_id))
        assert c.post(f"{V}/visits", json=fields, headers=world.as_(who)).status_code == 201

    with receiving() as rec:
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", rec.url)
        monkeypatch.setenv("NOTIFY_INTERVAL_SECONDS", "0.2")
        monkeypatch.setenv("TIMEZONE", ZONE)
        with live_server(database, workers=2) as url:
            give_up = time.monotonic() + 90  # a bound against hanging, not a timing assertion
            while True:
                rows = httpx.get(f"{url}{V}/notifications", params={"date": today.isoformat(), "limit": 500},
                                 headers=disp, timeout=10).json()
                if len(rows) == len(expected) and all(n["status"] == "delivered" for n in rows) \
                        and set(rec.unique()) >= {n["id"] for n in rows}:
                    break
                assert time.monotonic() < give_up, f"not all delivered: {rows}, received {len(rec.got)}"
                time.sleep(0.1)
    # both workers generated: still one notification per kind and order
    assert {(n["kind"], n["order_id"]) for n in rows} == expected
    kept = rec.unique()
    assert set(kept) == {n["id"] for n in rows}  # each at least once; one copy of each id survives
    assert all(key == b["id"] for key, b in rec.got)
    # the claims: with every answer a success, no row was sent by both workers
    assert len(rec.got) == len(rows), sorted(rec.ids())
    for n in rows:
        assert kept[n["id"]]["kind"] == n["kind"]
        assert kept[n["id"]]["order_id"] == n["order_id"]


def test_a_day_reported_in_recorded_time_is_notified_at_its_latest_report(
        day: Day, database: Database, receiver: Receiver, http: httpx.Client) -> None:
    """A day that is not today (a rehearsal, or a day typed in after the fact) whose phones report now stands
    where its latest report puts it: its visits are notified at that moment and sent at once, on the
    service's clock; an hour after the last report it is left alone."""
    first, second = day.stops["TA"][0], day.stops["TA"][1]
    done = at(first["start"]) + timedelta(minutes=20)
    for event, when in (("arrived", at(first["start"])), ("done", done)):
        r = day.client.post(f"{V}/events", headers=day.world.as_("tech_a"),
                            json={"time": when.isoformat(), "event": event, "order_id": first["order_id"]})
        assert r.status_code == 201, r.text
    received = datetime.fromisoformat(r.json()["received_at"])
    assert received.date() != DATE
    settings = make_settings(database, notify_webhook_url=receiver.url, timezone=ZONE)

    report = run_once(day.sessions(), settings=settings, now=received + timedelta(seconds=5), client=http)
    sent = {b["order_id"]: b for b in receiver.unique().values()}
    assert sent[first["order_id"]]["kind"] == "visit_done"
    assert at(second["start"]) <= done + timedelta(minutes=60)  # the next visit is within the hour
    assert sent[second["order_id"]]["kind"] == "visit_confirmed"
    assert len(report.delivered) == len(sent)

    with day.sessions()() as session:
        # "today" is the date of the moment asked about (late in the evening, half an hour later is tomorrow)
        later = received + timedelta(minutes=30)
        assert [d for d, _ in moments(session, now=later)] == [later.date(), DATE]
        after = received + timedelta(hours=2)
        assert [d for d, _ in moments(session, now=after)] == [after.date()]


def test_a_slip_is_told_early_against_the_appointment_and_the_hour_before_says_it_once(day: Day) -> None:
    """The first visit starts late while the next one is still more than an hour away: its customer hears of
    the delay at once, against the published plan's time (nothing was told yet). Later, in the visit's hour,
    a customer whose ETA slipped again gets one confirmation that carries the delay."""
    first, second = day.stops["TA"][:2]
    late = at(first["start"]) + timedelta(minutes=45)
    visit = record(day, "tech_a", first["order_id"], arrived_at=late)
    confirm = 30  # confirmations half an hour ahead, so that the next visit is not yet due one
    (told,) = [n for n in day.generate(late, confirm_minutes=confirm) if n["order_id"] == second["order_id"]]
    eta = at(told["eta"])
    assert eta > late + timedelta(minutes=confirm)  # told early
    assert told["kind"] == "visit_delayed"
    assert told["payload"]["previous_eta"] == second["start"]  # the appointment
    assert eta > at(second["start"]) + timedelta(minutes=15)
    assert day.generate(late, confirm_minutes=confirm) == []

    # 2 h late in all; the next visit's hour has come: one message, the confirmation, saying the delay
    later = at(first["start"]) + timedelta(hours=2)
    r = day.client.patch(f"{V}/visits/{visit['id']}", json={"arrived_at": later.isoformat()},
                         headers=day.world.as_("tech_a"))
    assert r.status_code == 200, r.text
    (hour,) = [n for n in day.generate(later) if n["order_id"] == second["order_id"]]
    assert hour["kind"] == "visit_confirmed"
    assert hour["payload"]["previous_eta"] == told["eta"]
    assert f"later than the {eta:%H:%M}" in hour["payload"]["message"]
    assert day.generate(later) == []
