"""Resuming by cursor is exact: every missed event once, in cursor order, then live ones; overlapping
channels never repeat an event; a cursor ahead of the log is refused; evicted orders replay whole."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG, HUB, STORE
from tests.conftest import ManualClock
from tests.daemon.api.test_websocket import KITCHEN, _closed, _receive, order

BRANCH = "branch:demo-location"


async def _connect(client: TestClient, chef: dict[str, str]) -> Any:
    ws = await client.ws_connect("/api/v1/ws", headers=chef)
    await _receive(ws, "welcome")
    return ws


async def _events_until(ws: Any, wanted: set[str], timeout: float = 20.0) -> list[dict[str, Any]]:
    """Every event message (other messages skipped) until each order id in `wanted` has been created."""
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    while not wanted <= seen:
        message = await _receive(ws, "event", timeout=timeout)
        events.append(message)
        if message["event"] == "order:new":
            seen.add(message["data"]["id"])
    return events


async def _events_until_pong(ws: Any) -> list[dict[str, Any]]:
    """The events still on their way: a pong is answered only after the replays asked before it."""
    await ws.send_json({"type": "ping"})
    events = []
    while True:
        msg = await ws.receive(timeout=5)
        data = msg.json()
        if data["type"] == "pong":
            return events
        if data["type"] == "event":
            events.append(data)


async def test_overlapping_channels_deliver_each_missed_and_live_event_once(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    for oid in ("o1", "o2", "o3"):
        await client.post("/integrators/kds-orders", json=order(oid), headers=pos)
    ws = await _connect(client, chef)

    await ws.send_json({"type": "subscribe", "channel": BRANCH, "cursor": 0})
    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": 0})
    await client.post("/integrators/kds-orders", json=order("o4"), headers=pos)
    events = await _events_until(ws, {"o1", "o2", "o3", "o4"})
    events += await _events_until_pong(ws)

    cursors = [m["cursor"] for m in events]
    assert len(cursors) == len(set(cursors)), "an event was delivered twice"
    assert [m["data"]["id"] for m in events if m["event"] == "order:new"] == ["o1", "o2", "o3", "o4"]
    await ws.close()


async def test_commits_during_a_replay_arrive_after_it_in_cursor_order(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    before = [f"b{i}" for i in range(120)]
    for oid in before:
        await client.post("/integrators/kds-orders", json=order(oid), headers=pos)
    ws = await _connect(client, chef)
    during = [f"d{i}" for i in range(30)]

    async def post_during() -> None:
        for oid in during:
            await client.post("/integrators/kds-orders", json=order(oid), headers=pos)

    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": 0})
    posting = asyncio.create_task(post_during())
    events = await _events_until(ws, {*before, *during})
    await posting

    cursors = [m["cursor"] for m in events]
    assert cursors == sorted(cursors), "a live event overtook the replay"
    assert len(cursors) == len(set(cursors)), "an event was delivered twice"
    created = [m["data"]["id"] for m in events if m["event"] == "order:new"]
    assert created == [*before, *during]
    await ws.close()


async def test_a_cursor_ahead_of_the_log_is_refused_with_the_cursor_to_resume_from(
    client: TestClient, chef: dict[str, str]
) -> None:
    ws = await _connect(client, chef)
    head = client.app[HUB].committed_pos

    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": head + 1000})

    error = await _receive(ws, "error")
    assert error["code"] == "CURSOR_AHEAD"
    assert error["cursor"] == head
    await ws.close()


async def test_an_order_that_left_memory_replays_whole(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    body = order("old")
    for item in body["items"]:
        item["courseStatus"] = "fire"
    await client.post("/integrators/kds-orders", json=body, headers=pos)
    for station in ("grill", "cold", "expo", "expo"):  # expo has a ticket per course
        await client.post(f"/api/v1/kds/stations/{station}/orders/old/ticket/bump", headers=chef)
    store = client.app[STORE]
    clock.advance(48 * 3600)
    assert store.evict() >= 1 and store.order("old") is None
    ws = await _connect(client, chef)

    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": 0})
    created = next(m for m in await _events_until(ws, {"old"}) if m["event"] == "order:new")

    assert created["data"]["id"] == "old"
    assert [i["name"] for i in created["data"]["items"]] == ["Hamburger", "Vanilla Shake"]
    await ws.close()


async def test_a_failed_replay_closes_the_socket_with_a_code_not_an_http_response(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order("o1"), headers=pos)
    conn = sqlite3.connect(client.app[CONFIG].database_path)
    conn.execute("ALTER TABLE events RENAME TO events_gone")  # the log cannot be read any more
    conn.commit()
    ws = await _connect(client, chef)

    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": 0})
    close = await _closed(ws)

    assert close.type == WSMsgType.CLOSE
    assert close.data == 1011
