"""Daemons of one location as separate processes on 127.0.0.1: they replicate, survive cuts and kills,
and refuse strangers."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from sync.credentials import mint_peer_token
from tests.daemon.process import DaemonProcess
from tests.sync.kitchen import (
    Kitchen,
    chef_headers,
    device_rows,
    digest,
    in_step,
    kitchen_orders,
    pos_headers,
    post_order,
    ticket,
    wait_for,
)


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Kitchen]:
    kitchen = Kitchen(tmp_path, 2).start()
    yield kitchen
    kitchen.stop()


async def test_an_order_posted_to_one_device_shows_on_the_other_over_rest_and_websocket(pair: Kitchen) -> None:
    a, b = pair.daemons
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(b.url + "/api/v1/ws", headers=pair.chef)
        await ws.send_json({"type": "subscribe", "channel": "branch:demo-location:kitchen"})
        assert (await ws.receive_json(timeout=5))["type"] == "welcome"
        assert (await ws.receive_json(timeout=5))["type"] == "subscribed"

        await post_order(session, a, pair.pos_headers(a), "r1")

        message = await ws.receive_json(timeout=10)
        assert message["event"] == "order:new" and message["source"]["origin"] != _device_id(b)
        assert message["data"]["name"] == "Guest r1"

        async def on_b() -> bool:
            return "Guest r1" in await kitchen_orders(session, b, pair.chef)

        await wait_for(on_b, what="the order on device 1")
        await ws.close()
        # A bump on the other device comes back.
        oid = (await kitchen_orders(session, b, pair.chef))["Guest r1"]["id"]
        assert await ticket(session, b, pair.chef, oid, "start") == 200

        async def started_on_a() -> bool:
            order = (await kitchen_orders(session, a, pair.chef)).get("Guest r1")
            return order is not None and order["status"] == "preparing"

        await wait_for(started_on_a, what="the start on device 0")

        async def devices_seen() -> bool:
            async with session.get(a.url + "/api/v1/devices", headers=pair.chef) as resp:
                assert resp.status == 200
                rows = (await resp.json())["devices"]
            return len(rows) == 2 and rows[1]["connected"] and rows[1]["clockOffsetMs"] is not None

        await wait_for(devices_seen, what="device 1 listed as connected with a measured clock")
        async with session.get(a.url + "/api/v1/devices", headers=pair.chef) as resp:
            me, other = (await resp.json())["devices"]
        assert me["self"] and me["name"] == "device 0" and me["deviceId"] == _device_id(a)
        assert other["name"] == "device 1" and other["address"] == b.url and other["deviceId"] == _device_id(b)
        assert abs(other["clockOffsetMs"]) < 2000 and not other["clockWarning"]  # one machine: one clock
        assert other["replicationLag"] == 0 and other["lastContactAt"].endswith("Z")
        async with session.get(a.url + "/api/v1/devices") as resp:
            assert resp.status == 401
        peer = {"Authorization": f"Bearer {mint_peer_token(pair.secret, 'demo-location', 'x')}"}
        async with session.get(a.url + "/api/v1/kitchen/orders", headers=peer) as resp:
            assert resp.status == 401  # a peer token is no user's credential, whatever its role
            assert (await resp.json())["error"]["code"] == "TOKEN_INVALID"


async def test_a_device_cut_off_keeps_accepting_and_both_converge_once_it_is_back(pair: Kitchen) -> None:
    a, b = pair.daemons
    async with aiohttp.ClientSession() as session:
        pos_a, pos_b = pair.pos_headers(a), pair.pos_headers(b)
        await post_order(session, a, pos_a, "c1")

        async def both_have_c1() -> bool:
            return "Guest c1" in await kitchen_orders(session, b, pair.chef)

        await wait_for(both_have_c1, what="c1 on device 1")
        answer = await post_order(session, a, pos_a, "c0")
        assert {s["status"] for s in answer["deliveryStatuses"]} == {"success"} and len(answer["deliveryStatuses"]) == 2
        oid = (await kitchen_orders(session, a, pair.chef))["Guest c1"]["id"]

        await asyncio.to_thread(b.stop)  # device 1 is cut off

        async def b_unreachable() -> bool:
            return not (await device_rows(session, a, pair.chef))[1]["connected"]

        await wait_for(b_unreachable, what="device 0 noticing device 1 is gone")
        answer = await post_order(session, a, pos_a, "c2")
        statuses = {s["device"]: s["status"] for s in answer["deliveryStatuses"]}
        assert statuses == {_device_id(a): "success", _device_id(b): "queued"}  # x-device-ids: all of them
        assert await ticket(session, a, pair.chef, oid, "bump") == 200
        await asyncio.to_thread(b.start)
        await post_order(session, b, pos_b, "c3")  # accepted at once, whatever it has pulled yet

        async def converged() -> bool:
            return set(await kitchen_orders(session, a, pair.chef)) == set(await kitchen_orders(session, b, pair.chef))

        await wait_for(converged, what="the same active orders on both")
        await wait_for(lambda: in_step(session, pair.daemons), what="both devices holding the same events")
        assert {"Guest c2", "Guest c3"} <= set(await kitchen_orders(session, a, pair.chef))
    pair.stop()
    assert await digest(a.data_dir) == await digest(b.data_dir)


async def test_sigkill_mid_stream_loses_and_duplicates_nothing(pair: Kitchen) -> None:
    a, b = pair.daemons
    async with aiohttp.ClientSession() as session:
        pos_a = pair.pos_headers(a)
        sent = 0

        async def post_many() -> None:
            nonlocal sent
            for n in range(60):
                await post_order(session, a, pos_a, f"k{n}")
                sent += 1

        writer = asyncio.create_task(post_many())
        await wait_for(lambda: _true(sent >= 20), what="some orders sent")
        await asyncio.to_thread(b.kill)  # mid-stream
        await writer
        await asyncio.to_thread(b.start)

        async def caught_up() -> bool:
            return len(await kitchen_orders(session, b, pair.chef)) == 60

        await wait_for(caught_up, what="all 60 orders on the restarted device")
        await wait_for(lambda: in_step(session, pair.daemons), what="both devices holding the same events")
    pair.stop()
    versions_a, orders_a, _ = await digest(a.data_dir)
    versions_b, orders_b, _ = await digest(b.data_dir)
    assert versions_a == versions_b and orders_a == orders_b and len(orders_b) == 60


def _device_id(d: DaemonProcess) -> str:
    return str(json.loads((d.data_dir / "device.json").read_text())["device_id"])


async def _true(value: bool) -> bool:
    return value


async def test_a_stranger_gets_nothing(pair: Kitchen, tmp_path: Path) -> None:
    a, _ = pair.daemons
    stranger = DaemonProcess(tmp_path / "stranger", env={"HEARD_PEER_URLS": a.url})
    stranger_pos = pos_headers(stranger.data_dir)
    stranger.start()
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/peer/v1/hello", "/peer/v1/events?origin=x", "/peer/v1/stream"):
                async with session.get(a.url + path) as resp:
                    assert resp.status == 401, path
            async with session.get(a.url + "/peer/v1/hello", headers=chef_headers(stranger.data_dir)) as resp:
                assert resp.status == 401  # a user token of another secret, and not a peer token anyway
            await post_order(session, stranger, stranger_pos, "s1")
            await post_order(session, a, pair.pos_headers(a), "a1")

            async def a_has_a1() -> bool:
                return "Guest a1" in await kitchen_orders(session, a, pair.chef)

            await wait_for(a_has_a1)
            assert "Guest s1" not in await kitchen_orders(session, a, pair.chef)
            assert "refused" in stranger.log() or "401" in stranger.log()
    finally:
        stranger.stop()
    shutil.rmtree(tmp_path / "stranger", ignore_errors=True)
