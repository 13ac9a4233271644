"""kill -9 at random moments while a POS sends orders: every acknowledged order survives, exactly once."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from pathlib import Path

import aiohttp

from tests.daemon.process import DaemonProcess

CYCLES = 12
CLIENTS = 4


def order(oid: str) -> dict[str, object]:
    return {
        "id": oid,
        "name": f"Guest {oid}",
        "time": "2026-11-24T12:00:00Z",
        "mode": "For Here",
        "items": [
            {"lineId": "1", "name": "Hamburger", "qty": 1, "mods": ["No onion"], "course": "1"},
            {"lineId": "2", "name": "Fries", "qty": 2, "mods": [], "course": "1"},
        ],
    }


async def pos_client(url: str, headers: dict[str, str], prefix: str, acked: set[str], stop: asyncio.Event) -> None:
    """Send orders until the daemon dies; remember only what got a 2xx."""
    n = 0
    async with aiohttp.ClientSession(headers=headers) as session:
        while not stop.is_set():
            oid = f"{prefix}-{n}"
            n += 1
            try:
                async with session.post(url + "/integrators/kds-orders", json=order(oid)) as resp:
                    if 200 <= resp.status < 300:
                        acked.add(oid)
            except (TimeoutError, aiohttp.ClientError):
                return


async def one_cycle(
    daemon: DaemonProcess, headers: dict[str, str], cycle: int, acked: set[str], rng: random.Random
) -> None:
    stop = asyncio.Event()
    clients = [
        asyncio.create_task(pos_client(daemon.url, headers, f"c{cycle}-{i}", acked, stop)) for i in range(CLIENTS)
    ]
    before = len(acked)
    deadline = asyncio.get_running_loop().time() + 10
    # Kill once a random number of orders has landed in this cycle: a moment chosen by progress, not time.
    target = before + rng.randint(5, 60)
    while len(acked) < target and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.001)
    await asyncio.to_thread(daemon.kill)
    stop.set()
    await asyncio.gather(*clients)


async def active_order_ids(url: str, headers: dict[str, str]) -> list[str]:
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(url + "/integrators/kds-orders/active") as resp:
            assert resp.status == 200
            [device] = await resp.json()
            return [o["orderId"] for o in device["orders"]]


async def test_acknowledged_orders_survive_sigkill_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        headers = {
            "x-integration-token": daemon.integration_token(),
            "x-location-id": "demo-location",
            "x-device-ids": "all",
        }
        acked: set[str] = set()
        for cycle in range(CYCLES):
            await one_cycle(daemon, headers, cycle, acked, rng)
            daemon.start()

        listed = await active_order_ids(daemon.url, headers)
        async with aiohttp.ClientSession(headers=headers) as session:
            some = sorted(acked)[0]
            async with session.post(daemon.url + "/integrators/kds-orders", json=order(some)) as resp:
                retry_status = resp.status
    finally:
        daemon.stop()

    assert len(acked) > CYCLES * 5, daemon.log()
    assert acked <= set(listed), f"lost acknowledged orders: {sorted(acked - set(listed))[:10]}"
    assert len(listed) == len(set(listed)), "an order is listed twice"
    assert retry_status == 409
    conn = sqlite3.connect(tmp_path / "data" / "heard.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    created = conn.execute("SELECT aggregate_id, COUNT(*) FROM events WHERE type = 'order.created' GROUP BY 1")
    assert all(count == 1 for _, count in created)
