"""Seen: a screen tells the daemon which tickets it displayed, so the kitchen knows a person could see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER
from tests.daemon.api.test_websocket import _receive, _subscribe

SEEN = "/api/v1/kds/stations/{}/tickets/seen"


async def _tickets(client: TestClient, station: str, chef: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/v1/kds/stations/{station}/tickets", headers=chef)
    assert resp.status == 200
    tickets: list[dict[str, Any]] = await resp.json()
    return tickets


async def test_a_displayed_ticket_is_seen_once(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    assert (await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)).status == 201
    assert [t["seen_at"] for t in await _tickets(client, "grill", chef)] == [None]

    body = {"order_ids": ["123", "nope"], "screen_id": "s1"}
    first = await client.post(SEEN.format("grill"), json=body, headers=chef)
    again = await client.post(SEEN.format("grill"), json={"order_ids": ["123"]}, headers=chef)

    assert first.status == 200
    assert await first.json() == {"seen": ["123"], "already_seen": [], "not_found": ["nope"]}
    assert await again.json() == {"seen": [], "already_seen": ["123"], "not_found": []}
    (ticket,) = await _tickets(client, "grill", chef)
    assert ticket["seen_at"] is not None


async def test_a_held_ticket_is_seen_only_once_fired(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    """The cold station's ticket waits for course 2: seeing it greyed out is not seeing it to cook."""
    assert (await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)).status == 201

    held = await client.post(SEEN.format("cold"), json={"order_ids": ["123"]}, headers=chef)
    assert await held.json() == {"seen": [], "already_seen": ["123"], "not_found": []}
    assert [(t["status"], t["seen_at"]) for t in await _tickets(client, "cold", chef)] == [("held", None)]


async def test_seen_goes_out_live(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    assert (await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)).status == 201
    ws = await _subscribe(client, chef)

    await client.post(SEEN.format("grill"), json={"order_ids": ["123"]}, headers=chef)

    message = await _receive(ws)
    assert message["event"] == "ticket:seen"
    assert message["data"]["order_id"] == "123" and message["data"]["station_id"] == "grill"
    assert [t["seen_at"] is not None for t in message["data"]["tickets"]] == [True]
    await ws.close()


async def test_bad_acknowledgements_are_400_and_roles_are_kept(
    client: TestClient, chef: dict[str, str], token_for: Callable[..., dict[str, str]]
) -> None:
    for body, field in (
        ({}, "order_ids"),
        ({"order_ids": []}, "order_ids"),
        ({"order_ids": "123"}, "order_ids"),
        ({"order_ids": [7]}, "order_ids"),
        ({"order_ids": ["123"], "screen_id": 5}, "screen_id"),
    ):
        resp = await client.post(SEEN.format("grill"), json=body, headers=chef)
        assert resp.status == 400, body
        assert field in await resp.text()
    assert (await client.post(SEEN.format("nowhere"), json={"order_ids": ["1"]}, headers=chef)).status == 404
    cashier = await client.post(SEEN.format("grill"), json={"order_ids": ["1"]}, headers=token_for("cashier"))
    assert cashier.status == 403
