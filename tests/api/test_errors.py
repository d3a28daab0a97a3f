"""Values a database cannot hold are the client's mistake: 422 naming the parameter, never a 500; and the
error body the service sends is the one its OpenAPI schema documents."""

from __future__ import annotations

from tests.api.conftest import Database, World


def test_a_nul_byte_in_a_query_value_is_a_422_naming_it(world: World, database: Database) -> None:
    r = world.client.get("/api/v1/orders?customer_id=a%00b", headers=world.as_("disp"))
    # SQLite searches for NUL like any character; PostgreSQL refuses it (DataError), which must not be a 500
    assert r.status_code == (422 if database.kind == "postgresql" else 200), r.text
    if r.status_code == 422:
        assert r.json()["errors"][0]["loc"] == ["query", "customer_id"]
        assert "customer_id" in r.json()["detail"]


def test_an_integer_out_of_range_is_a_422_naming_it(world: World, database: Database) -> None:
    r = world.client.get(f"/api/v1/stock/movements/{2**40}", headers=world.as_("store"))
    # row ids are bounded to PostgreSQL's INTEGER on both databases (SQLite's would be 64-bit)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["path", "movement_id"]]


def test_the_422_body_is_documented(world: World) -> None:
    schema = world.client.get("/api/v1/openapi.json").json()
    body = schema["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["detail"]
    ref = schema["paths"]["/api/v1/orders/import"]["post"]["responses"]["422"]
    assert ref["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
