"""Live clients are bounded: a subscriber that does not read is closed with 4008 without slowing the others
or keeping its memory, one that never reads is cut off, and a socket lives no longer than its token."""

from __future__ import annotations

import asyncio
import copy
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from daemon.api import websocket
from daemon.api.context import CONFIG, HUB
from daemon.config import DEMO
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from tests.conftest import SEED_ORDER
from tests.daemon.api.test_websocket import KITCHEN, _receive
from tests.daemon.process import DaemonProcess, until

SLOW_DROPPED = "dropping slow websocket client"


def big_order(oid: str, revision: int) -> dict[str, Any]:
    """An order of about 80 KB: 40 items with 10 long modifiers each (within the input limits)."""
    body = copy.deepcopy(SEED_ORDER)
    body["id"] = oid
    item = body["items"][0]
    body["items"] = [
        {**item, "lineId": str(i), "mods": [f"rev {revision} mod {m} " + "x" * 180 for m in range(10)]}
        for i in range(40)
    ]
    return body


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[DaemonProcess]:
    # The demo's kitchen without its printer: each revision of the big order below would print an 80 KB
    # update chit, and what the printer thread allocates would count against the WebSocket's memory bound.
    stations = "".join(
        f'[[stations]]\nid = "{s["id"]}"\nname = "{s["name"]}"\nkind = "{s.get("kind", "prep")}"\n\n'
        for s in DEMO["stations"]
    )
    config = tmp_path / "heard.toml"
    config.write_text(stations + '[[routing]]\nstation = "grill"\ndefault = true\n')
    process = DaemonProcess(tmp_path / "data", env={"HEARD_CONFIG": str(config)}).start()
    yield process
    process.stop()


@pytest.fixture
async def http(daemon: DaemonProcess) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(daemon.url, timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def chef_headers(daemon: DaemonProcess) -> dict[str, str]:
    secret = load_or_create_secret(daemon.data_dir / "location.secret")
    token = mint_token(secret, sub="screen", roles=["chef"], location_id="demo-location")
    return {"Authorization": f"Bearer {token}"}


async def subscribed(http: aiohttp.ClientSession, headers: dict[str, str]) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect("/api/v1/ws", headers=headers)
    await _receive(ws, "welcome")
    await ws.send_json({"type": "subscribe", "channel": KITCHEN})
    await _receive(ws, "subscribed")
    return ws


class Screen:
    """A subscriber that keeps reading: every event's cursor, as it arrives."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.cursors: list[int] = []
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == WSMsgType.TEXT and msg.json()["type"] == "event":
                self.cursors.append(msg.json()["cursor"])


async def test_a_subscriber_that_does_not_read_is_closed_with_4008_and_costs_bounded_memory(
    daemon: DaemonProcess, http: aiohttp.ClientSession
) -> None:
    assert daemon.proc is not None
    pid = daemon.proc.pid
    pos = {"x-integration-token": daemon.integration_token(), "x-location-id": "demo-location", "x-device-ids": "all"}
    chef = chef_headers(daemon)
    revision = 0

    async def update() -> None:
        nonlocal revision
        revision += 1
        async with http.put("/integrators/kds-orders", json=big_order("big", revision), headers=pos) as resp:
            assert resp.status == 200, await resp.text()

    async with http.post("/integrators/kds-orders", json=big_order("big", 0), headers=pos) as resp:
        assert resp.status == 201
    screen = Screen(await subscribed(http, chef))
    for _ in range(30):  # warm up: the same work with every subscriber reading
        await update()
    await until(lambda: len(screen.cursors) == 30, 10, "the screen keeping up")
    before = rss_mb(pid)
    stuck = await subscribed(http, chef)  # from here it reads nothing

    peak = before
    while SLOW_DROPPED not in daemon.log():
        assert revision < 400, "the stuck subscriber was never dropped"
        await update()
        peak = max(peak, rss_mb(pid))
    dropped_at = time.monotonic()
    published = revision

    close = await stuck.receive(timeout=websocket.CLOSE_GRACE_SECONDS)
    while close.type == WSMsgType.TEXT:  # what the socket held before the close frame
        close = await stuck.receive(timeout=websocket.CLOSE_GRACE_SECONDS)
    closed_in = time.monotonic() - dropped_at
    await until(lambda: len(screen.cursors) == published, 10, "the screen receiving every update")
    for _ in range(30):  # the same work again, the stuck subscriber gone
        await update()
    await until(lambda: len(screen.cursors) == revision, 10, "the screen receiving every update")
    after = rss_mb(pid)

    assert close.type == WSMsgType.CLOSE and close.data == websocket.CLOSE_SLOW
    assert closed_in < websocket.CLOSE_GRACE_SECONDS
    assert not screen.task.done()
    assert peak - before < 12, f"RSS {before:.0f} -> {peak:.0f} MB"  # the 4 MiB backlog bound, and buffers
    assert after - before < 8, f"RSS {before:.0f} -> {after:.0f} MB after the stuck client left"
    print(f"stuck subscriber: {published - 30} updates of 80 KB; RSS {before:.1f} / {peak:.1f} / {after:.1f} MB")
    await screen.ws.close()


# --- in-process: cut off, and token expiry ------------------------------------------------------------


def tcp_closed(ws: aiohttp.ClientWebSocketResponse) -> bool:
    """Whether the server reset or closed the client's socket, read from the kernel without reading it."""
    sock = ws.get_extra_info("socket")
    if sock is None or sock.fileno() < 0:
        return True
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]) in (7, 8)  # CLOSE, CLOSE_WAIT


async def test_a_subscriber_that_never_reads_is_cut_off_after_the_close_grace(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(websocket, "CLOSE_GRACE_SECONDS", 0.5)
    hub = client.app[HUB]
    hub.queue_bytes = 512 * 1024  # overflowed by a few big updates
    await client.post("/integrators/kds-orders", json=big_order("big", 0), headers=pos)
    stuck = await client.ws_connect("/api/v1/ws", headers=chef)
    await _receive(stuck, "welcome")
    await stuck.send_json({"type": "subscribe", "channel": KITCHEN})
    await _receive(stuck, "subscribed")

    revision = 0
    while hub.client_count:
        revision += 1
        assert revision < 500, "the stuck subscriber was never dropped"
        await client.put("/integrators/kds-orders", json=big_order("big", revision), headers=pos)
    dropped_at = time.monotonic()

    await until(lambda: tcp_closed(stuck), 5, "the stuck subscriber's connection cut")
    assert time.monotonic() - dropped_at < websocket.CLOSE_GRACE_SECONDS + 1


async def test_a_socket_closes_with_4001_when_its_token_expires_and_gets_no_event_after(
    client: TestClient, pos: dict[str, str]
) -> None:
    config = client.app[CONFIG]
    secret = load_or_create_secret(config.secret_path)
    token = mint_token(secret, sub="screen", roles=["chef"], location_id=config.location.location_id, ttl_seconds=2)
    expires = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    ws = await client.ws_connect("/api/v1/ws", headers={"Authorization": f"Bearer {token}"})
    await _receive(ws, "welcome")
    await ws.send_json({"type": "subscribe", "channel": KITCHEN})
    await _receive(ws, "subscribed")
    posted: dict[str, float] = {}

    async def keep_ordering() -> None:
        for i in range(200):
            oid = f"o{i}"
            posted[oid] = time.time()
            await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": oid}, headers=pos)
            await asyncio.sleep(0.02)  # a steady stream of orders across exp

    ordering = asyncio.create_task(keep_ordering())
    received: list[str] = []
    while True:
        msg = await ws.receive(timeout=5)
        if msg.type != WSMsgType.TEXT:
            break
        if msg.json()["type"] == "event" and msg.json()["event"] == "order:new":
            received.append(msg.json()["data"]["id"])
    closed_at = time.time()
    ordering.cancel()

    assert msg.type == WSMsgType.CLOSE and msg.data == websocket.CLOSE_TOKEN_EXPIRED
    assert expires <= closed_at < expires + 1
    assert received, "no event arrived while the token was valid"
    assert all(posted[oid] < expires for oid in received), "an event committed after exp was delivered"
    assert max(posted.values()) > expires - 0.2, "orders were not coming up to exp"


async def test_a_socket_whose_token_expired_within_the_leeway_is_closed_at_once(
    client: TestClient, pos: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": "before"}, headers=pos)
    config = client.app[CONFIG]
    secret = load_or_create_secret(config.secret_path)
    location = config.location.location_id
    # Expired five seconds ago: still let in at the door, within the 30 s leeway for clock skew.
    token = mint_token(secret, sub="screen", roles=["chef"], location_id=location, ttl_seconds=5, now=time.time() - 10)
    ws = await client.ws_connect("/api/v1/ws", headers={"Authorization": f"Bearer {token}"})
    await ws.send_json({"type": "subscribe", "channel": KITCHEN, "cursor": 0})

    messages = []
    while (msg := await ws.receive(timeout=5)).type == WSMsgType.TEXT:
        messages.append(msg.json()["type"])

    assert msg.type == WSMsgType.CLOSE and msg.data == websocket.CLOSE_TOKEN_EXPIRED
    assert "event" not in messages
