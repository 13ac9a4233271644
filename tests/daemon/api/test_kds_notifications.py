"""Fresh's notifications reach the targeted devices' screens as live events, and stay on the order."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER, ManualClock, device_id

BASE = "/integrators/kds-notifications"


async def receive(ws: Any, kind: str = "event", timeout: float = 5.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        assert msg.type == WSMsgType.TEXT, msg
        data: dict[str, Any] = msg.json()
        if data["type"] == kind:
            return data


async def screen(client: TestClient, chef: dict[str, str], channel: str, cursor: int | None = None) -> Any:
    """A screen's socket, subscribed to one channel."""
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await receive(ws, "welcome")
    await ws.send_json({"type": "subscribe", "channel": channel, **({"cursor": cursor} if cursor is not None else {})})
    await receive(ws, "subscribed")
    return ws


async def test_customer_arrived_reaches_the_device_channel_and_stays_on_the_order(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    ws = await screen(client, chef, f"device:{device_id(client)}")

    resp = await client.post(f"{BASE}/customer-arrived", json={"id": "123"}, headers=pos)

    assert resp.status == 200
    assert (await resp.json())["orderId"] == "123"
    message = await receive(ws)
    assert message["event"] == "notification:customer_arrived"
    assert message["data"]["order_id"] == "123"
    assert message["data"]["devices"] == [device_id(client)]
    assert message["data"]["customer_arrived_at"] is not None
    orders = (await (await client.get("/api/v1/kitchen/orders", headers=chef)).json())["data"]
    assert orders[0]["customer_arrived_at"] == message["data"]["customer_arrived_at"]
    await ws.close()


async def test_estimated_arrival_is_shown_live_and_to_a_screen_connecting_later(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    ws = await screen(client, chef, "branch:demo-location:kitchen")

    body = {"id": "123", "minutes": 7, "retry": {"expiration": "2030-01-01T00:00:00Z"}}
    resp = await client.post(f"{BASE}/estimated-arrival-update", json=body, headers=pos)

    assert resp.status == 200
    message = await receive(ws)
    assert message["event"] == "notification:estimated_arrival"
    assert message["data"]["minutes"] == 7
    await ws.close()
    late = await screen(client, chef, "branch:demo-location:kitchen", cursor=0)
    replayed = [await receive(late), await receive(late)]
    assert [m["event"] for m in replayed] == ["order:new", "notification:estimated_arrival"]
    assert replayed[1]["data"]["arrival_minutes"] == 7
    await late.close()


async def test_send_message_pops_up_on_the_targeted_screens(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    ws = await screen(client, chef, f"device:{device_id(client)}")

    resp = await client.post(f"{BASE}/send-message/", json={"message": "Table 4 birthday"}, headers=pos)

    assert resp.status == 200
    message = await receive(ws)
    assert message["event"] == "notification:message"
    assert message["data"]["message"] == "Table 4 birthday"
    assert message["data"]["devices"] == [device_id(client)]
    await ws.close()


async def test_a_notification_for_an_unknown_order_is_404(client: TestClient, pos: dict[str, str]) -> None:
    for path, body in (
        ("customer-arrived", {"id": "nope"}),
        ("estimated-arrival-update", {"id": "nope", "minutes": 3}),
    ):
        resp = await client.post(f"{BASE}/{path}", json=body, headers=pos)

        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "ORDER_NOT_FOUND"


async def test_bad_notification_bodies_are_400_naming_the_field(client: TestClient, pos: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    cases = [
        ("estimated-arrival-update", {"id": "123"}, "minutes"),
        ("estimated-arrival-update", {"id": "123", "minutes": -5}, "minutes"),
        ("customer-arrived", {"id": "123", "retry": {"notificationUrl": "ftp://x"}}, "retry.notificationUrl"),
        ("send-message", {"message": "  "}, "message"),
        ("send-message", {}, "message"),
    ]
    for path, body, field in cases:
        resp = await client.post(f"{BASE}/{path}", json=body, headers=pos)

        assert resp.status == 400, (path, body)
        assert (await resp.json())["error"]["field"] == field
