"""Role checks: who may read and write what (403 for the others)."""

from __future__ import annotations

import pytest

from tests.api.conftest import TECH, World

ROLES = ("disp", "store", "plan", "tech_a")

# (method, path, body, roles allowed) -- writes use a fresh id per role so an allowed call succeeds
CASES = [
    ("POST", "/api/v1/technicians", lambda who: {"id": f"N-{who}", "name": "New", **TECH}, {"disp"}),
    ("PATCH", "/api/v1/technicians/TA", lambda who: {"name": f"renamed by {who}"}, {"disp"}),
    ("GET", "/api/v1/customers", None, {"disp", "store", "plan"}),
    ("POST", "/api/v1/customers", lambda who: {"id": f"C-{who}", "name": "Cust"}, {"disp"}),
    ("POST", "/api/v1/orders", lambda who: {"id": f"O-{who}", "customer_id": "C0", "lat": 45.7, "lon": 4.8,
                                            "priority": "P3", "duration_min": 30}, {"disp"}),
    ("GET", "/api/v1/orders", None, {"disp", "store", "plan", "tech_a"}),
    ("POST", "/api/v1/parts", lambda who: {"id": f"P-{who}", "name": "valve"}, {"store"}),
    ("GET", "/api/v1/parts", None, {"disp", "store", "plan", "tech_a"}),
    ("POST", "/api/v1/stock-locations", lambda who: {"id": f"CS-{who}", "name": "store"}, {"store"}),
    ("GET", "/api/v1/stock-locations", None, {"disp", "store", "plan", "tech_a"}),
    # the supervisor's report: its figures (costs included) are for report readers, not technicians or stores
    ("GET", "/api/v1/kpis", None, {"disp", "plan"}),
    ("GET", "/api/v1/reports/monthly", None, {"disp", "plan"}),
    ("GET", "/api/v1/reports/monthly?format=csv", None, {"disp", "plan"}),
]


@pytest.fixture
def seeded(world: World) -> World:
    r = world.client.post("/api/v1/customers", json={"id": "C0", "name": "C0"}, headers=world.as_("disp"))
    assert r.status_code == 201
    return world


def test_each_role_gets_exactly_its_rights(seeded: World) -> None:
    failures = []
    for method, path, body, allowed in CASES:
        for who in ROLES:
            kwargs = {"json": body(who)} if body else {}
            r = seeded.client.request(method, path, headers=seeded.as_(who), **kwargs)
            ok = r.status_code < 300
            if ok != (who in allowed) or (not ok and r.status_code != 403):
                failures.append(f"{method} {path} as {who}: {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def test_forbidden_says_which_roles_may(seeded: World) -> None:
    r = seeded.client.post("/api/v1/parts", json={"id": "X", "name": "x"}, headers=seeded.as_("disp"))
    assert r.status_code == 403
    assert r.json()["detail"] == "role dispatcher may not do this (allowed: storekeeper)"


def test_inactive_user_is_refused(seeded: World) -> None:
    maker = seeded.client.app.state.sessionmaker  # type: ignore[attr-defined]
    with maker() as session:
        from api.auth.models import User

        user = session.get(User, seeded.users["plan"].id)
        assert user is not None
        user.is_active = False
        session.commit()
    assert seeded.client.get("/api/v1/parts", headers=seeded.as_("plan")).status_code == 401
