"""A daemon killed with deliveries pending sends them after its restart: once each, signed, in order."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from tests.conftest import SEED_ORDER
from tests.daemon.process import DaemonProcess, free_port, until
from tests.daemon.reactions.test_webhooks import LOC, TABLE_SEQUENCE, Receiver, verify


async def test_deliveries_pending_at_a_kill_are_sent_after_the_restart(tmp_path: Path) -> None:
    receiver = Receiver(free_port())  # down until the daemon has been killed
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        manager = {"Authorization": f"Bearer {daemon.heardctl('token', '--role', 'manager').strip()}"}
        pos = {"x-integration-token": daemon.integration_token(), "x-location-id": LOC, "x-device-ids": "all"}
        hooks = f"{daemon.url}/api/v1/locations/{LOC}/webhooks"
        async with aiohttp.ClientSession() as http:
            async with http.post(hooks, json={"url": receiver.url, "events": ["table.*"]}, headers=manager) as r:
                sub = await r.json()
            await http.post(f"{daemon.url}/integrators/kds-orders", json={**SEED_ORDER, "id": "o1"}, headers=pos)
            tables = f"{daemon.url}/api/v1/tables"
            await http.put(f"{tables}/tbl_001/assign", json={"order_id": "o1", "party_size": 2}, headers=manager)
            await http.patch(f"{tables}/tbl_003/status", json={"status": "reserved"}, headers=manager)
            await http.post(f"{tables}/tbl_001/clear", headers=manager)
            await http.patch(f"{tables}/tbl_001/status", json={"status": "available"}, headers=manager)
            async with http.get(f"{hooks}/{sub['id']}/deliveries", headers=manager) as r:
                before = (await r.json())["data"]
        assert len(before) == 5 and {d["status"] for d in before} == {"pending"}
        daemon.kill()

        await receiver.start()
        daemon.start()

        await until(lambda: len(receiver.got) >= 5, 30, "the pending deliveries after the restart")
        delivered: list[object] = []
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 10
            while len(delivered) < 5 and time.monotonic() < deadline:  # the last acknowledgement's COMMIT
                async with http.get(f"{hooks}/{sub['id']}/deliveries?status=delivered", headers=manager) as r:
                    delivered = (await r.json())["data"]
                await asyncio.sleep(0.02)  # polling the deliveries API against a deadline
        assert len(delivered) == 5
        assert [b["type"] for b in receiver.bodies()] == TABLE_SEQUENCE
        assert len({h["webhook-id"] for h, _ in receiver.got}) == len(receiver.got) == 5
        for headers, body in receiver.got:
            verify(sub["secret"], headers, body, int(time.time()))
    finally:
        daemon.stop()
        await receiver.stop()
