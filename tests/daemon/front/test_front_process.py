"""The daemon with its front process (server.front): order writes' connections go to the front, their answers
come from the core, and the daemon serves everything itself while the front is down."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bench.ingest import demo_without_printers
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from tests.conftest import SEED_ORDER
from tests.daemon.process import DaemonProcess, until


def front_status(daemon: DaemonProcess) -> dict[str, Any]:
    with urllib.request.urlopen(daemon.url + "/readyz", timeout=5) as resp:
        return dict(json.loads(resp.read())["front"])


def front_pid(daemon: DaemonProcess) -> int:
    assert daemon.proc is not None
    children = Path(f"/proc/{daemon.proc.pid}/task/{daemon.proc.pid}/children").read_text().split()
    [pid] = [int(c) for c in children if b"daemon.front" in Path(f"/proc/{c}/cmdline").read_bytes()]
    return pid


def order(oid: str) -> dict[str, Any]:
    return {**copy.deepcopy(SEED_ORDER), "id": oid}


@pytest.fixture
def daemon(tmp_path: Path) -> Any:
    process = DaemonProcess(tmp_path / "device", env={"HEARD_FRONT_START_RATE": "0"}).start()  # from the start
    yield process
    process.stop()


async def test_order_writes_are_served_through_the_front_with_the_core_s_answers(daemon: DaemonProcess) -> None:
    await until(lambda: front_status(daemon)["up"], timeout=30, what="the front up")
    pos = {"x-integration-token": daemon.integration_token(), "x-location-id": "demo-location", "x-device-ids": "all"}
    url = daemon.url + "/integrators/kds-orders"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:  # one connection
        async with http.post(url, json=order("via-front"), headers=pos) as resp:
            assert resp.status == 201
            assert (await resp.json())["orderId"] == "via-front"
        async with http.post(url, json=order("via-front"), headers=pos) as resp:
            assert resp.status == 409
            assert (await resp.json())["message"] == "Could not create resource. Id already exists"
        async with http.post(url, json={"id": "x"}, headers={**pos, "x-integration-token": "wrong"}) as resp:
            assert resp.status == 401
        async with http.post(url, data=b"x" * (1_048_576 + 1), headers=pos) as resp:  # over server.max_body_bytes
            assert resp.status == 413
            assert (await resp.json())["error"]["code"] == "PAYLOAD_TOO_LARGE"
        async with http.get(url + "/active", headers=pos) as resp:  # not an order write, on the same connection
            assert resp.status == 200
            [device] = await resp.json()
            assert {"orderId": "via-front", "orderName": "John Doe"} in device["orders"]

    assert front_status(daemon)["connections_handed_over"] == 1


async def test_a_websocket_on_an_order_writer_s_connection_is_handed_back_to_the_core(daemon: DaemonProcess) -> None:
    await until(lambda: front_status(daemon)["up"], timeout=30, what="the front up")
    pos = {"x-integration-token": daemon.integration_token(), "x-location-id": "demo-location", "x-device-ids": "all"}
    jwt = mint_token(
        load_or_create_secret(daemon.data_dir / "location.secret"), sub="t", roles=["chef"], location_id="demo-location"
    )
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
        async with http.post(daemon.url + "/integrators/kds-orders", json=order("first"), headers=pos) as resp:
            assert resp.status == 201
        async with http.ws_connect(daemon.url + "/api/v1/ws", headers={"Authorization": f"Bearer {jwt}"}) as ws:
            await ws.send_json({"type": "subscribe", "channel": "branch:demo-location:kitchen"})
            async with aiohttp.ClientSession() as other:
                async with other.post(daemon.url + "/integrators/kds-orders", json=order("second"), headers=pos) as r:
                    assert r.status == 201
            async for message in ws:
                data = message.json()
                if data.get("event") == "order:new" and data["data"]["id"] == "second":
                    break

    assert front_status(daemon)["connections_handed_back"] == 1


async def test_the_core_serves_everything_while_the_front_is_down_and_starts_it_again(daemon: DaemonProcess) -> None:
    await until(lambda: front_status(daemon)["up"], timeout=30, what="the front up")
    pos = {"x-integration-token": daemon.integration_token(), "x-location-id": "demo-location", "x-device-ids": "all"}

    os.kill(front_pid(daemon), signal.SIGKILL)
    await until(lambda: "the front is down" in daemon.log(), timeout=10, what="the core to see the front gone")

    async with aiohttp.ClientSession() as http:
        async with http.post(daemon.url + "/integrators/kds-orders", json=order("meanwhile"), headers=pos) as resp:
            assert resp.status == 201
    await until(lambda: front_status(daemon)["starts"] == 2 and front_status(daemon)["up"], 30, "the front again")
    async with aiohttp.ClientSession() as http:
        async with http.post(daemon.url + "/integrators/kds-orders", json=order("after"), headers=pos) as resp:
            assert resp.status == 201


async def test_the_front_starts_under_load_stops_when_quiet_and_takes_the_core_s_connections(tmp_path: Path) -> None:
    config = demo_without_printers(tmp_path / "kitchen.toml")
    config.write_text(config.read_text() + "\n[server]\nfront_start_rate = 20\nfront_idle_seconds = 2\n")
    daemon = DaemonProcess(tmp_path / "device", env={"HEARD_CONFIG": str(config)}).start()
    try:
        assert front_status(daemon)["up"] is False
        pos = {"x-integration-token": daemon.integration_token(), "x-location-id": "demo-location"}
        pos["x-device-ids"] = "all"
        url = daemon.url + "/integrators/kds-orders"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=4)) as http:

            async def post(oid: str) -> aiohttp.ClientResponse:
                async with http.post(url, json=order(oid), headers=pos) as resp:
                    assert resp.status == 201
                    return resp

            await asyncio.gather(*(post(f"burst-{n}") for n in range(100)))
            await until(lambda: front_status(daemon)["up"], timeout=30, what="the front started by the load")
            answer = await post("after-start")  # on one of the core's keep-alive connections
            assert answer.headers.get("Connection", "").lower() == "close"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=order("on-a-new-connection"), headers=pos) as resp:
                assert resp.status == 201
        assert front_status(daemon)["connections_handed_over"] >= 1

        await until(lambda: not front_status(daemon)["up"], timeout=30, what="the front stopped when quiet")
        await until(lambda: "stopping the front" in daemon.log(), timeout=10, what="the stop logged")
        async with aiohttp.ClientSession() as http:  # and the core serves alone again
            async with http.post(url, json=order("quiet-again"), headers=pos) as resp:
                assert resp.status == 201
        assert front_status(daemon)["starts"] == 1
    finally:
        daemon.stop()
