"""`dispatch serve --demo`: the named demo scenario seeded into an empty database, with logins that work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.cli import app
from api.commands import DEMO_DISPATCHER, DEMO_STOREKEEPER, DEMO_TECHNICIAN, seed_demo
from api.config import get_settings
from api.parts.demo import DEPOT_ID
from dispatch.demo_days import DEFAULT_DATE, scenario


def _login(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_demo_scenario_is_seeded_once_with_working_logins(client: TestClient) -> None:
    maker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    day = scenario("demo", plan_date=DEFAULT_DATE)
    with maker() as session:
        seeded = seed_demo(session, plan_date=DEFAULT_DATE)
    assert seeded is not None
    assert (seeded.technicians, seeded.orders) == (len(day.technicians), len(day.orders))
    logins = {name: (password, tech) for name, password, tech in seeded.logins}
    assert set(logins) == {DEMO_DISPATCHER, DEMO_TECHNICIAN, DEMO_STOREKEEPER}
    first = sorted(t.id for t in day.technicians)[0]
    assert logins[DEMO_TECHNICIAN][1] == first

    disp = _login(client, DEMO_DISPATCHER, logins[DEMO_DISPATCHER][0])
    assert client.get("/api/v1/technicians", headers=disp).json()["total"] == len(day.technicians)
    assert client.get("/api/v1/orders", headers=disp).json()["total"] == len(day.orders)
    tech = _login(client, DEMO_TECHNICIAN, logins[DEMO_TECHNICIAN][0])
    assert [t["id"] for t in client.get("/api/v1/technicians", headers=tech).json()["items"]] == [first]
    stocked = {t.id for t in day.technicians if any(q > 0 for q in t.van_stock.values())}
    if first in stocked:
        assert client.get("/api/v1/stock", headers=tech).json()["total"] > 0

    # the storekeeper finds named parts, a depot holding spares, and alerts on a fresh demo (vans below minimum)
    keeper = _login(client, DEMO_STOREKEEPER, logins[DEMO_STOREKEEPER][0])
    assert client.get("/api/v1/parts/GSK-8", headers=keeper).json()["name"] == "Gasket 8 mm"
    assert client.get(f"/api/v1/stock-locations/{DEPOT_ID}", headers=keeper).json()["kind"] == "central"
    assert client.get("/api/v1/stock", params={"location_id": DEPOT_ID}, headers=keeper).json()["total"] > 0
    alerts = client.get("/api/v1/stock/alerts", headers=keeper).json()["items"]
    assert any(a["location_id"].startswith("VAN-") for a in alerts)
    assert all(a["quantity"] < a["low_stock_threshold"] for a in alerts)

    with maker() as session:  # a second start seeds nothing and keeps the passwords
        assert seed_demo(session, plan_date=DEFAULT_DATE) is None


def test_the_demo_job_cards_have_addresses_phones_jobs_and_part_names(client: TestClient) -> None:
    maker = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        assert seed_demo(session, plan_date=DEFAULT_DATE) is not None
    from api.customers.models import Customer
    from api.orders.models import Order
    from api.parts.models import Part

    with maker() as session:
        orders = list(session.scalars(select(Order)))
        assert orders
        assert all(o.address and o.address.endswith(("Lyon", "Villeurbanne", "Vénissieux", "Bron"))
                              for o in orders)
        assert all(o.notes for o in orders)
        customers = list(session.scalars(select(Customer)))
        assert all(c.phone and c.phone.startswith("+33 4 65 71 ") for c in customers)
        names = {p.id: p.name for p in session.scalars(select(Part))}
        assert names["GSK-8"] == "Gasket 8 mm"
        assert all(name != part for part, name in names.items())


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "demo.sqlite"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_serve_demo_prints_the_logins_once(sqlite_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(app))  # no server in a test
    r = CliRunner().invoke(app, ["serve", "--demo", "--port", "8123"])
    assert r.exit_code == 0, r.output
    assert len(started) == 1
    assert f"{DEMO_DISPATCHER} / " in r.output
    assert f"{DEMO_TECHNICIAN} / " in r.output
    assert f"{DEMO_STOREKEEPER} / " in r.output
    assert "http://127.0.0.1:8123/docs" in r.output
    r = CliRunner().invoke(app, ["serve", "--demo"])
    assert r.exit_code == 0, r.output
    assert "already holds data" in r.output
    assert " / " not in r.output
