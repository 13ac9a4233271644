"""Stations and routing rules: managers change the setup; routing of new orders follows it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER


async def test_stations_list_the_configured_setup(client: TestClient, chef: dict[str, str]) -> None:
    stations = await (await client.get("/api/v1/kds/stations", headers=chef)).json()

    assert {s["id"] for s in stations} == {"grill", "fry", "cold", "bar", "expo"}


async def test_manager_creates_a_station_and_a_rule_that_routes_new_orders(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], chef: dict[str, str]
) -> None:
    created = await client.post("/api/v1/kds/stations", json={"id": "dessert", "name": "Dessert"}, headers=manager)
    rule = await client.post(
        "/api/v1/kds/routing-rules", json={"station_id": "dessert", "name_pattern": "shake"}, headers=manager
    )
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)

    tickets = await (await client.get("/api/v1/kds/stations/dessert/tickets", headers=chef)).json()
    assert (created.status, rule.status) == (201, 201)
    assert [i["name"] for t in tickets for i in t["items"]] == ["Vanilla Shake"]


async def test_menu_item_rule_beats_a_name_pattern(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post(
        "/api/v1/kds/routing-rules", json={"station_id": "fry", "menu_item_id": "burger-1"}, headers=manager
    )
    order = {**SEED_ORDER, "items": [{**SEED_ORDER["items"][0], "id": "burger-1"}]}
    await client.post("/integrators/kds-orders", json=order, headers=pos)

    fry = await (await client.get("/api/v1/kds/stations/fry/tickets", headers=chef)).json()

    assert [i["name"] for t in fry for i in t["items"]] == ["Hamburger"]


async def test_chef_cannot_change_stations(client: TestClient, chef: dict[str, str]) -> None:
    resp = await client.post("/api/v1/kds/stations", json={"name": "Nope"}, headers=chef)

    assert resp.status == 403


async def test_duplicate_station_is_409(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.post("/api/v1/kds/stations", json={"id": "grill", "name": "Grill 2"}, headers=manager)

    assert resp.status == 409


async def test_rule_needs_exactly_one_match(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.post(
        "/api/v1/kds/routing-rules", json={"station_id": "fry", "category": "x", "default": True}, headers=manager
    )

    assert resp.status == 400


async def test_bad_pattern_is_400_naming_the_field(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.post(
        "/api/v1/kds/routing-rules", json={"station_id": "fry", "name_pattern": "(("}, headers=manager
    )

    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == "name_pattern"


async def test_update_and_delete_station(client: TestClient, manager: dict[str, str], chef: dict[str, str]) -> None:
    put = await client.put("/api/v1/kds/stations/fry", json={"name": "Fryer", "kind": "prep"}, headers=manager)
    got = await (await client.get("/api/v1/kds/stations/fry", headers=chef)).json()
    deleted = await client.delete("/api/v1/kds/stations/fry", headers=manager)
    missing = await client.get("/api/v1/kds/stations/fry", headers=chef)

    assert put.status == 200 and got["name"] == "Fryer"
    assert deleted.status == 204
    assert missing.status == 404


async def test_update_and_delete_rule(client: TestClient, manager: dict[str, str], chef: dict[str, str]) -> None:
    rules = await (await client.get("/api/v1/kds/routing-rules", headers=chef)).json()
    rule_id = rules[0]["id"]

    put = await client.put(
        f"/api/v1/kds/routing-rules/{rule_id}", json={"station_id": "fry", "category": "sides"}, headers=manager
    )
    deleted = await client.delete(f"/api/v1/kds/routing-rules/{rule_id}", headers=manager)
    again = await client.delete(f"/api/v1/kds/routing-rules/{rule_id}", headers=manager)

    assert put.status == 200
    assert deleted.status == 204
    assert again.status == 404


async def test_deleting_a_station_with_active_tickets_is_409(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)

    resp = await client.delete("/api/v1/kds/stations/grill", headers=manager)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "STATION_IN_USE"
    assert (await client.get("/api/v1/kds/stations/grill", headers=chef)).status == 200


async def test_deleting_a_station_whose_tickets_are_bumped_is_allowed(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    await client.post("/api/v1/kds/stations/grill/orders/123/ticket/bump", headers=chef)

    resp = await client.delete("/api/v1/kds/stations/grill", headers=manager)

    assert resp.status == 204


async def test_deleting_the_last_prep_station_is_409(client: TestClient, manager: dict[str, str]) -> None:
    for station in ("fry", "cold", "bar"):
        assert (await client.delete(f"/api/v1/kds/stations/{station}", headers=manager)).status == 204

    resp = await client.delete("/api/v1/kds/stations/grill", headers=manager)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "LAST_PREP_STATION"


async def test_changing_the_last_prep_station_to_expo_is_409(client: TestClient, manager: dict[str, str]) -> None:
    for station in ("fry", "cold", "bar"):
        await client.delete(f"/api/v1/kds/stations/{station}", headers=manager)

    resp = await client.put("/api/v1/kds/stations/grill", json={"name": "Grill", "kind": "expo"}, headers=manager)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "LAST_PREP_STATION"


async def test_deleting_a_missing_station_is_404(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.delete("/api/v1/kds/stations/nowhere", headers=manager)

    assert resp.status == 404
