"""The live WebSocket: subscribe, receive events with cursors, resume after a reconnect without gaps or repeats."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from daemon.api.context import HUB
from tests.conftest import SEED_ORDER

KITCHEN = "branch:demo-location:kitchen"


def order(oid: str) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body["id"] = oid
    return body


async def _receive(ws: Any, kind: str = "event", timeout: float = 5.0) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        assert msg.type == WSMsgType.TEXT, msg
        data: dict[str, Any] = msg.json()
        if data["type"] == kind:
            return data


async def _closed(ws: Any, timeout: float = 5.0) -> Any:
    """The close message the server sent (its code is what a client acts on)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
            return msg


async def _subscribe(client: TestClient, chef: dict[str, str], cursor: int | None = None) -> Any:
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await _receive(ws, "welcome")
    await ws.send_json({"type": "subscribe", "channel": KITCHEN, **({"cursor": cursor} if cursor is not None else {})})
    await _receive(ws, "subscribed")
    return ws


async def test_new_order_arrives_as_order_new(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    ws = await _subscribe(client, chef)

    await client.post("/integrators/kds-orders", json=order("o1"), headers=pos)

    message = await _receive(ws)
    assert message["event"] == "order:new"
    assert message["data"]["id"] == "o1"
    assert isinstance(message["cursor"], int)
    await ws.close()


async def test_bump_arrives_as_ticket_updated(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=order("o1"), headers=pos)
    ws = await _subscribe(client, chef)

    await client.post("/api/v1/kds/stations/grill/orders/o1/ticket/bump", headers=chef)

    message = await _receive(ws)
    assert message["event"] == "ticket:updated"
    assert message["data"]["ticket"]["status"] == "bumped"
    await ws.close()


async def test_reconnect_with_cursor_gets_exactly_what_was_missed(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    ws = await _subscribe(client, chef)
    await client.post("/integrators/kds-orders", json=order("o1"), headers=pos)
    last_seen = (await _receive(ws))["cursor"]
    await ws.close()
    for oid in ("o2", "o3"):
        await client.post("/integrators/kds-orders", json=order(oid), headers=pos)

    ws = await _subscribe(client, chef, cursor=last_seen)
    replayed = [await _receive(ws), await _receive(ws)]
    await client.post("/integrators/kds-orders", json=order("o4"), headers=pos)
    live = await _receive(ws)

    assert [m["data"]["id"] for m in replayed] == ["o2", "o3"]
    assert live["data"]["id"] == "o4"
    cursors = [m["cursor"] for m in [*replayed, live]]
    assert cursors == sorted(set(cursors)) and cursors[0] > last_seen
    await ws.close()


async def test_unknown_channel_is_refused(client: TestClient, chef: dict[str, str]) -> None:
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await _receive(ws, "welcome")

    await ws.send_json({"type": "subscribe", "channel": "branch:elsewhere:kitchen"})

    error = await _receive(ws, "error")
    assert error["code"] == "UNKNOWN_CHANNEL"
    await ws.close()


async def test_token_in_query_is_accepted(client: TestClient, chef: dict[str, str]) -> None:
    token = chef["Authorization"].split()[1]

    ws = await client.ws_connect(f"/api/v1/ws?access_token={token}")

    assert (await _receive(ws, "welcome"))["branch_id"] == "demo-location"
    await ws.close()


async def test_websocket_needs_a_token(client: TestClient) -> None:
    resp = await client.get("/api/v1/ws")

    assert resp.status == 401


async def test_stuck_client_is_dropped_with_resume_code(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    hub = client.app[HUB]
    hub.queue_limit = 3  # a small queue so a handful of events overflows it
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await _receive(ws, "welcome")
    await ws.send_json({"type": "subscribe", "channel": KITCHEN})
    await _receive(ws, "subscribed")
    [client_state] = list(hub._clients)
    client_state.paused = True  # the socket stops draining, as a stuck screen would

    for i in range(5):
        await client.post("/integrators/kds-orders", json=order(f"s{i}"), headers=pos)
    client_state.paused = False
    client_state.wake.set()

    close = await _closed(ws)
    assert close.data == 4008  # the close frame tells it to resume by cursor
    assert hub.client_count == 0
