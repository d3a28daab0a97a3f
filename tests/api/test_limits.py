"""Limits on body sizes and list lengths."""

from __future__ import annotations

from api.errors import ErrorBody
from tests.api.conftest import World

TOO_LARGE = {"detail": "request body is larger than 1000000 bytes"}  # the shape of every error body


def test_oversized_json_bodies_get_413(world: World) -> None:
    body = b'{"id": "C1", "name": "' + b"x" * 1_100_000 + b'"}'
    r = world.client.post("/api/v1/customers", content=body,
                          headers={**world.as_("disp"), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert r.json() == TOO_LARGE
    ErrorBody.model_validate(r.json())


def test_oversized_bodies_without_content_length_get_413(world: World) -> None:
    def chunks():
        yield b'{"id": "C1", "name": "'
        for _ in range(12):
            yield b"x" * 100_000
        yield b'"}'

    r = world.client.post("/api/v1/customers", content=chunks(),
                          headers={**world.as_("disp"), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == TOO_LARGE  # not FastAPI's 400 for a body it could not read
    assert world.client.get("/api/v1/customers", headers=world.as_("disp")).json()["items"] == []


def test_uploads_have_their_own_larger_limit(world: World) -> None:
    header = b"id,customer,lat,lon,priority,required_skills,duration_min,created_at,window_start,window_end," \
             b"required_parts,pinned_technician\n"
    customer = b"Hospital " + b"x" * 190  # long rows keep the file above the JSON limit with few orders
    row = b"O%d," + customer + b",45.75,4.85,P3,hvac,60,2026-11-24T07:00:00,,,,\n"
    content = header + b"".join(row % i for i in range(1, 4_501))
    assert len(content) > 1_000_000
    r = world.client.post("/api/v1/orders/import?plan_date=2026-11-24",
                          files={"file": ("big.csv", content, "text/csv")}, headers=world.as_("disp"))
    assert r.status_code == 201, r.text[:300]
    assert r.json()["created"] == 4_500


def test_page_size_and_list_lengths_are_capped(world: World) -> None:
    c, h = world.client, world.as_("disp")
    assert c.get("/api/v1/orders?limit=100000", headers=h).status_code == 422
    tech = {"id": "T9", "name": "n", "home_lat": 45, "home_lon": 4, "shift_start": "08:00", "shift_end": "17:00",
            "skills": [f"s{i}" for i in range(51)]}
    r = c.post("/api/v1/technicians", json=tech, headers=h)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "skills"]
