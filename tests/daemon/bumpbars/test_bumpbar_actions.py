"""A key on a bar changes a ticket on the daemon: serial (pty), evdev (input_event records) and
keyboard-wedge (keys the screen hands over), each end to end through the real application."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG
from daemon.app import build_app
from daemon.bumpbars.runtime import BUMPBARS
from daemon.config import BumpBarConfig, Config
from drivers.bumpbars.evdev import press_events
from tests.conftest import SEED_ORDER, ManualClock
from tests.daemon.process import until
from tests.drivers.bumpbars.conftest import PtyBar

TICKETS = "/api/v1/kds/stations/grill/tickets"


def _order(oid: str, name: str) -> dict[str, Any]:
    return {**SEED_ORDER, "id": oid, "name": name, "items": [{**SEED_ORDER["items"][0], "lineId": "1"}]}


async def _client(
    aiohttp_client: Callable[..., Any], config: Config, clock: ManualClock, *bars: BumpBarConfig
) -> TestClient:
    app: web.Application = build_app(dataclasses.replace(config, bumpbars=bars), now_ms=clock)
    return await aiohttp_client(app)


async def _orders(client: TestClient, pos: dict[str, str], clock: ManualClock, *ids: str) -> None:
    for oid in ids:
        clock.advance(1)
        resp = await client.post("/integrators/kds-orders", json=_order(oid, f"Guest {oid}"), headers=pos)
        assert resp.status == 201, await resp.text()


async def _active(client: TestClient, chef: dict[str, str]) -> list[tuple[str, str]]:
    tickets = await (await client.get(TICKETS + "?status=all", headers=chef)).json()
    return [(t["order_id"], t["status"]) for t in tickets]


@pytest.fixture
async def pos_for(tmp_path: Path) -> Callable[[TestClient], dict[str, str]]:
    from daemon.api.context import CONFIG, STORE
    from daemon.security.integration_tokens import IntegrationTokens

    def make(client: TestClient) -> dict[str, str]:
        _, token = IntegrationTokens(client.app[STORE].connect_reader).create("test-pos")
        return {
            "x-integration-token": token,
            "x-location-id": client.app[CONFIG].location.location_id,
            "x-device-ids": "all",
        }

    return make


async def test_a_key_on_a_serial_bar_bumps_the_selected_ticket(
    aiohttp_client: Callable[..., Any],
    config: Config,
    clock: ManualClock,
    chef: dict[str, str],
    pos_for: Callable[[TestClient], dict[str, str]],
    tmp_path: Path,
) -> None:
    bar = PtyBar(tmp_path / "ttyBUMP0")
    client = await _client(aiohttp_client, config, clock, BumpBarConfig("grill-bar", "grill", "serial", str(bar.link)))
    try:
        await _orders(client, pos_for(client), clock, "A", "B", "C")
        await until(lambda: client.app[BUMPBARS].bars["grill-bar"].reader.connected, 5, "bar connected")

        bar.press(b"4")  # next: B
        bar.press(b"1")  # bump

        async def bumped() -> list[tuple[str, str]]:
            return await _active(client, chef)

        done: list[tuple[str, str]] = []

        async def check() -> bool:
            done[:] = await bumped()
            return ("B", "bumped") in done

        await _until_async(check, "B bumped")
        assert sorted(done) == [("A", "pending"), ("B", "bumped"), ("C", "pending")]
        selection = await (await client.get("/api/v1/kds/stations/grill/selection", headers=chef)).json()
        assert selection["order_id"] == "C"  # C slid into B's place
        assert selection["last_action"] == "bump"
    finally:
        bar.unplug()


async def test_a_key_on_an_evdev_bar_bumps(
    aiohttp_client: Callable[..., Any],
    config: Config,
    clock: ManualClock,
    chef: dict[str, str],
    pos_for: Callable[[TestClient], dict[str, str]],
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "event-bar"
    os.mkfifo(fifo)
    client = await _client(aiohttp_client, config, clock, BumpBarConfig("ev", "grill", "evdev", str(fifo)))
    writer = os.open(fifo, os.O_WRONLY)  # opens once the bar's reader has the FIFO open
    try:
        await _orders(client, pos_for(client), clock, "A")
        os.write(writer, press_events(2))  # KEY_1: bump

        async def check() -> bool:
            return await _active(client, chef) == [("A", "bumped")]

        await _until_async(check, "A bumped")
    finally:
        os.close(writer)


async def test_keyboard_wedge_keys_come_from_the_screen(
    aiohttp_client: Callable[..., Any],
    config: Config,
    clock: ManualClock,
    chef: dict[str, str],
    pos_for: Callable[[TestClient], dict[str, str]],
) -> None:
    bar = BumpBarConfig("wedge", "grill", "keyboard", keys={"ctrl+p": "priority"})
    client = await _client(aiohttp_client, config, clock, bar)
    await _orders(client, pos_for(client), clock, "A", "B")

    resp = await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "Ctrl+P"}, headers=chef)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["action"] == "priority" and body["selection"]["order_id"] == "A"
    tickets = await (await client.get(TICKETS, headers=chef)).json()
    assert [(t["order_id"], t["priority"]) for t in tickets] == [("A", "high"), ("B", "normal")]

    await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "4"}, headers=chef)  # next
    await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "1"}, headers=chef)  # bump B
    await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "2"}, headers=chef)  # recall B
    recalled = await (await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "z"}, headers=chef)).json()

    assert recalled["action"] is None  # an unmapped key does nothing
    assert recalled["selection"]["order_id"] == "B" and recalled["selection"]["last_action"] == "recall"
    assert dict(await _active(client, chef))["B"] == "recalled"


async def test_item_keys_move_and_bump_an_item(
    aiohttp_client: Callable[..., Any],
    config: Config,
    clock: ManualClock,
    chef: dict[str, str],
    pos_for: Callable[[TestClient], dict[str, str]],
) -> None:
    client = await _client(aiohttp_client, config, clock)
    await _orders(client, pos_for(client), clock, "A")

    for action in ("item down", "item_bump"):
        resp = await client.post("/api/v1/kds/stations/grill/actions", json={"action": action}, headers=chef)
        assert resp.status == 200

    [ticket] = await (await client.get(TICKETS, headers=chef)).json()
    assert [i["status"] for i in ticket["items"]] == ["ready"]


async def test_bad_input_is_a_clear_400_or_404(
    aiohttp_client: Callable[..., Any], config: Config, clock: ManualClock, chef: dict[str, str]
) -> None:
    client = await _client(aiohttp_client, config, clock, BumpBarConfig("wedge", "grill", "keyboard"))

    bad_action = await client.post("/api/v1/kds/stations/grill/actions", json={"action": "fly"}, headers=chef)
    bad_key = await client.post("/api/v1/bumpbars/wedge/keys", json={"key": "hyper+x"}, headers=chef)
    no_bar = await client.post("/api/v1/bumpbars/nope/keys", json={"key": "1"}, headers=chef)
    no_station = await client.get("/api/v1/kds/stations/nope/selection", headers=chef)
    nothing = await client.post("/api/v1/kds/stations/grill/actions", json={"action": "bump"}, headers=chef)

    assert (bad_action.status, (await bad_action.json())["error"]["field"]) == (400, "action")
    assert (bad_key.status, (await bad_key.json())["error"]["field"]) == (400, "key")
    assert (no_bar.status, no_station.status) == (404, 404)
    assert (await nothing.json())["last_error"].startswith("NOTHING_SELECTED")


async def _until_async(check: Callable[[], Any], what: str, timeout: float = 5.0) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)  # polling a condition with a deadline


async def test_each_action_sends_the_selection_to_the_kitchen_channel(
    aiohttp_client: Callable[..., Any],
    config: Config,
    clock: ManualClock,
    chef: dict[str, str],
    pos_for: Callable[[TestClient], dict[str, str]],
) -> None:
    """A bar the daemon reads moves the highlight on the screens: each action is followed by a `selection`
    message (no cursor: it is not an event of the log) on the kitchen channel."""
    client = await _client(aiohttp_client, config, clock)
    await _orders(client, pos_for(client), clock, "A", "B")
    location = client.app[CONFIG].location.location_id
    async with client.ws_connect("/api/v1/ws", headers=chef) as ws:
        welcome = await ws.receive_json(timeout=5)
        await ws.send_json({"type": "subscribe", "channel": f"branch:{location}:kitchen", "cursor": welcome["cursor"]})
        assert (await ws.receive_json(timeout=5))["type"] == "subscribed"
        for action in ("next", "bump"):
            resp = await client.post("/api/v1/kds/stations/grill/actions", json={"action": action}, headers=chef)
            assert resp.status == 200
        selections = []
        while len(selections) < 2:
            message = await ws.receive_json(timeout=5)
            if message["type"] == "selection":
                selections.append(message)
    assert [(m["data"]["last_action"], m["data"]["order_id"]) for m in selections] == [("next", "B"), ("bump", "A")]
    assert selections[0]["channel"] == f"branch:{location}:kitchen" and "cursor" not in selections[0]
    assert selections[1]["data"]["version"] == selections[0]["data"]["version"] + 1
