"""Coursing on the live WebSocket: course changes, fires and alerts reach the kitchen and branch channels."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from tests.conftest import ManualClock
from tests.daemon.api.coursing_support import C, coursed_order, location, make_templates, post_order, tick

KITCHEN = "branch:demo-location:kitchen"
BRANCH = "branch:demo-location"


async def _next_named(ws: Any, name: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next event message called `name` (others are skipped), within a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        msg = await ws.receive(timeout=max(0.01, deadline - asyncio.get_running_loop().time()))
        assert msg.type == WSMsgType.TEXT, msg
        data: dict[str, Any] = msg.json()
        if data["type"] == "event" and data["event"] == name:
            return data


async def _subscribe(client: TestClient, headers: dict[str, str], channel: str) -> Any:
    ws = await client.ws_connect("/api/v1/ws", headers=headers)
    await ws.send_json({"type": "subscribe", "channel": channel})
    while (await ws.receive_json(timeout=5))["type"] != "subscribed":
        pass
    return ws


async def test_fires_and_alerts_go_out_live(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    await make_templates(client, manager)
    kitchen = await _subscribe(client, chef, KITCHEN)
    branch = await _subscribe(client, manager, BRANCH)
    await post_order(client, pos, coursed_order("w-1"))
    await tick(client)

    fired = await _next_named(kitchen, "course:updated")
    assert (fired["data"]["order_id"], fired["data"]["course"]["course_number"]) == ("w-1", 1)
    assert fired["data"]["course"]["status"] == "fired"
    assert (await _next_named(branch, "course:updated"))["cursor"] == fired["cursor"]

    clock.advance(18 * 60)  # the appetizer: 8 minutes past its ready time
    await tick(client)
    new = await _next_named(kitchen, "alert:new")
    assert (new["data"]["alert_level"], new["data"]["order_id"], new["data"]["acknowledged"]) == (
        "warning",
        "w-1",
        False,
    )
    assert (await _next_named(branch, "alert:new"))["data"]["id"] == new["data"]["id"]

    await client.post(f"{C}/alerts/{new['data']['id']}/acknowledge", headers=chef)
    acked = await _next_named(kitchen, "alert:acknowledged")
    assert (acked["data"]["id"], acked["data"]["acknowledged"]) == (new["data"]["id"], True)

    bump = await client.post("/api/v1/kds/stations/cold/orders/w-1/ticket/bump", headers=chef)
    assert bump.status == 200
    bumped = await _next_named(kitchen, "ticket:updated")
    assert (bumped["data"]["course"]["course_number"], bumped["data"]["course"]["status"]) == (1, "complete")

    await client.post(f"{C}/config/{location(client)}/rush", json={"enabled": True}, headers=manager)
    assert (await _next_named(branch, "coursing_config:updated"))["data"]["rush_mode_active"] is True
    await kitchen.close()
    await branch.close()
