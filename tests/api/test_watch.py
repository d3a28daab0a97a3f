"""The escalation watch, driven by a clock of the test's own (no sleeping): an emergency's alert appears
before its deadline once its predicted start passes the deadline minus 30 min, again when the deadline is
missed, each once; with two workers, the lease lets exactly one of them tick."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.live import watch
from api.live.models import Lease
from api.main import create_app
from api.standards.models import ServiceAlert
from tests.api.conftest import Database, World, make_settings
from tests.api.live_day import at, live_day, report


def clock(hhmm: str) -> datetime:
    return datetime.fromisoformat(at(hhmm))


def tick(world: World, hhmm: str) -> list[tuple[str, str, str | None]]:
    """The alerts one tick at `hhmm` raises: (kind, order, technician)."""
    with world.client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return [(a.kind, a.order_id, a.technician_id) for a in watch.tick(session, now=clock(hhmm))]


def alerts(world: World, query: str = "") -> list[dict[str, Any]]:
    r = world.client.get(f"/api/v1/alerts{query}", headers=world.as_("disp"))
    assert r.status_code == 200, r.text
    return r.json()


def test_an_emergency_is_escalated_before_its_deadline_and_again_when_it_is_missed(world: World) -> None:
    live_day(world)
    # the phones report: TA starts the two-hour A1 twenty minutes late; TB does C1 and C2 as planned
    for who, event, hhmm, order in (("tech_a", "departed", "08:10", "A1"), ("tech_a", "arrived", "08:15", "A1"),
                                    ("tech_a", "started", "08:20", "A1"), ("tech_b", "arrived", "08:00", "C1"),
                                    ("tech_b", "done", "08:30", "C1"), ("tech_b", "departed", "09:25", "C2"),
                                    ("tech_b", "arrived", "09:30", "C2"), ("tech_b", "done", "10:00", "C2")):
        report(world, who, event, hhmm, order_id=order)
    # 09:30: A1 ends 10:20, E1 (P1, due 11:30) starts minutes later: nothing to say
    assert tick(world, "09:30") == []
    # 10:58: A1 still in service, E1 cannot start before 11:00 = 11:30 minus the margin: escalated
    assert tick(world, "10:58") == [("deadline at risk", "E1", "TA")]
    assert tick(world, "10:59") == []  # once
    [alert] = alerts(world)
    assert (alert["kind"], alert["order_id"], alert["visit_id"], alert["closed_at"]) == (
        "deadline at risk", "E1", None, None)
    assert "E1 (P1)" in alert["message"]
    assert "11:30" in alert["message"]
    assert datetime.fromisoformat(alert["created_at"]) == clock("10:58")
    # 11:31: the deadline has passed, service not begun
    assert tick(world, "11:31") == [("deadline missed", "E1", "TA")]
    assert tick(world, "11:45") == []
    assert [a["kind"] for a in alerts(world)] == ["deadline missed", "deadline at risk"]
    assert [a["order_id"] for a in alerts(world, "?kind=deadline missed")] == ["E1"]
    # A1 done, E1 begun at last: no further alert
    for event, hhmm, order in (("done", "11:40", "A1"), ("departed", "11:41", "E1"), ("arrived", "11:50", "E1"),
                               ("started", "11:55", "E1")):
        report(world, "tech_a", event, hhmm, order_id=order)
    assert tick(world, "12:00") == []

    # acknowledged, an alert stays open; closed, it leaves the open list
    c, h = world.client, world.as_("disp")
    risk = next(a for a in alerts(world) if a["kind"] == "deadline at risk")
    r = c.post(f"/api/v1/alerts/{risk['id']}/acknowledge", headers=h)
    assert r.status_code == 200
    assert r.json()["acknowledged_at"] is not None
    assert len(alerts(world)) == 2
    r = c.post(f"/api/v1/alerts/{risk['id']}/close", headers=h)
    assert r.status_code == 200, r.text
    closed = r.json()["closed_at"]
    assert closed is not None
    assert c.post(f"/api/v1/alerts/{risk['id']}/close", headers=h).json()["closed_at"] == closed  # once
    assert [a["kind"] for a in alerts(world)] == ["deadline missed"]
    assert len(alerts(world, "?open_only=false")) == 2
    assert c.post("/api/v1/alerts/999999/close", headers=h).status_code == 404
    assert c.post(f"/api/v1/alerts/{risk['id']}/close", headers=world.as_("plan")).status_code == 403
    assert c.get("/api/v1/alerts?kind=late", headers=h).status_code == 422


def test_an_order_nobody_is_to_visit_is_escalated_too(world: World) -> None:
    live_day(world)
    r = world.client.post("/api/v1/orders", json={
        "id": "E2", "customer_id": "C3", "lat": 45.76, "lon": 4.85, "priority": "P1", "duration_min": 30,
        "required_skills": ["hvac"], "created_at": at("10:00")}, headers=world.as_("disp"))
    assert r.status_code == 201, r.text
    assert ("deadline at risk", "E2", None) not in tick(world, "13:00")
    assert ("deadline at risk", "E2", None) in tick(world, "13:31")
    assert ("deadline missed", "E2", None) in tick(world, "14:01")


def _race(database: Database, sessions: Any, now: datetime, ttl: timedelta) -> dict[str, bool]:
    """Two workers run one round of the watch at the same moment; which of them ticked."""
    start = threading.Barrier(2)
    out: dict[str, bool] = {}
    failed: list[BaseException] = []

    def worker(holder: str) -> None:
        try:
            start.wait()
            out[holder] = watch.run_once(sessions, holder=holder, now=now, ttl=ttl)
        except BaseException as e:  # reported by the test thread
            failed.append(e)

    threads = [threading.Thread(target=worker, args=(h,)) for h in ("worker-1", "worker-2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed, failed
    return out


def test_with_two_workers_exactly_one_ticks(world: World, database: Database) -> None:
    live_day(world)  # nobody reports anything: E1 is at risk from 10:30 on (its first stop ends late)
    sessions = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    ttl = timedelta(minutes=3)
    winners = []
    for i in range(4):  # each round after the lease expired: a fresh race
        now = clock("10:50") + i * (ttl + timedelta(seconds=1))
        out = _race(database, sessions, now, ttl)
        assert sorted(out.values()) == [False, True], out
        winners.append(next(h for h, won in out.items() if won))
        # while the lease runs, the other worker does not tick, and the holder renews it
        other = ({"worker-1", "worker-2"} - {winners[-1]}).pop()
        assert watch.run_once(sessions, holder=other, now=now + ttl - timedelta(seconds=1), ttl=ttl) is False
        assert watch.run_once(sessions, holder=winners[-1], now=now + timedelta(seconds=1), ttl=ttl) is True
    with sessions() as session:
        lease = session.get(Lease, watch.WATCH_LEASE)
        assert lease is not None
        assert lease.holder == winners[-1]
        raised = list(session.scalars(select(ServiceAlert.order_id).where(ServiceAlert.kind == watch.AT_RISK)))
    assert raised.count("E1") == 1  # every round ticked; the alert exists once


def test_the_service_runs_the_watch_when_an_interval_is_set(client: TestClient, database: Database) -> None:
    settings = make_settings(database, watch_interval_seconds=3600)
    with TestClient(create_app(settings, engine_args=database.engine_args)) as other:
        sessions = other.app.state.sessionmaker  # type: ignore[attr-defined]
        give_up = time.monotonic() + 60  # a bound against hanging, not a timing assertion
        while True:
            with sessions() as session:
                lease = session.get(Lease, watch.WATCH_LEASE)
                if lease is not None and lease.holder:
                    break
            assert time.monotonic() < give_up, "the watch never took its lease"
            time.sleep(0.05)
        assert lease.expires_at > datetime.now() - timedelta(days=1)


def test_a_day_reported_in_recorded_time_is_watched_at_its_latest_report(world: World) -> None:
    """A day that is not today, whose phones report now (a rehearsal, a day typed in after the fact), is
    watched at the moment its latest report puts it, by the worker's own round."""
    live_day(world)
    for event, hhmm in (("departed", "08:10"), ("arrived", "08:15"), ("started", "08:20")):
        report(world, "tech_a", event, hhmm, order_id="A1")
    last = report(world, "tech_b", "arrived", "10:58", order_id="C1")
    received = datetime.fromisoformat(last["received_at"])
    assert received.date() != clock("10:58").date()
    sessions = world.client.app.state.sessionmaker  # type: ignore[attr-defined]
    assert watch.run_once(sessions, holder="w1", now=received, ttl=timedelta(minutes=3)) is True
    [alert] = alerts(world)
    assert (alert["kind"], alert["order_id"]) == ("deadline at risk", "E1")
    assert datetime.fromisoformat(alert["created_at"]) == clock("10:58")
