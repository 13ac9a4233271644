"""The station tickets slice: orders routed to stations become tickets that cooks list and bump."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER


async def _create(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    assert resp.status == 201


async def test_created_order_routes_items_to_station_tickets(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await _create(client, pos)

    grill = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    cold = await (await client.get("/api/v1/kds/stations/cold/tickets", headers=chef)).json()

    assert [(t["order_id"], t["status"], [i["name"] for i in t["items"]]) for t in grill] == [
        ("123", "pending", ["Hamburger"])
    ]
    assert [(t["status"], t["course_number"]) for t in cold] == [("held", 2)]


async def test_expo_sees_every_item(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    await _create(client, pos)

    expo = await (await client.get("/api/v1/kds/stations/expo/tickets?status=all", headers=chef)).json()

    assert sorted(i["name"] for t in expo for i in t["items"]) == ["Hamburger", "Vanilla Shake"]


async def test_bump_moves_ticket_to_completed_and_marks_items_done(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await _create(client, pos)

    resp = await client.post("/api/v1/kds/stations/grill/orders/123/ticket/bump", headers=chef)

    assert resp.status == 200
    bumped = await resp.json()
    assert bumped["status"] == "bumped"
    assert bumped["completed_at"] is not None
    assert all(i["is_done"] for i in bumped["items"])
    active = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    completed = await (await client.get("/api/v1/kds/stations/grill/tickets?status=completed", headers=chef)).json()
    assert active == []
    assert [t["id"] for t in completed] == [bumped["id"]]


async def test_bump_twice_is_409(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    await _create(client, pos)
    await client.post("/api/v1/kds/stations/grill/orders/123/ticket/bump", headers=chef)

    resp = await client.post("/api/v1/kds/stations/grill/orders/123/ticket/bump", headers=chef)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "INVALID_TICKET_TRANSITION"


async def test_unknown_station_is_404(client: TestClient, chef: dict[str, str]) -> None:
    resp = await client.get("/api/v1/kds/stations/nowhere/tickets", headers=chef)

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "STATION_NOT_FOUND"


async def test_unknown_order_is_404(client: TestClient, chef: dict[str, str]) -> None:
    resp = await client.post("/api/v1/kds/stations/grill/orders/nope/ticket/bump", headers=chef)

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "ORDER_NOT_FOUND"


async def test_void_needs_a_manager(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], manager: dict[str, str]
) -> None:
    await _create(client, pos)

    refused = await client.post("/api/v1/kds/stations/grill/orders/123/ticket/void", headers=chef)
    allowed = await client.post("/api/v1/kds/stations/grill/orders/123/ticket/void", headers=manager)

    assert refused.status == 403
    assert allowed.status == 200
    assert (await allowed.json())["status"] == "voided"


async def test_tickets_need_a_token(client: TestClient) -> None:
    resp = await client.get("/api/v1/kds/stations/grill/tickets")

    assert resp.status == 401
