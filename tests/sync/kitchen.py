"""Several real daemons of one location on 127.0.0.1, and what tests ask of them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp

from daemon.domain.codec import order_to_json
from daemon.security.integration_tokens import IntegrationTokens
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from daemon.store.schema import prepare
from daemon.store.store import Store
from sync.credentials import mint_peer_token
from tests.daemon.process import DaemonProcess

LOCATION = "demo-location"


def pos_order(oid: str) -> dict[str, Any]:
    return {
        "id": oid,
        "name": f"Guest {oid}",
        "time": "2026-11-30T12:00:00Z",
        "mode": "For Here",
        "items": [
            {"lineId": "1", "name": "Hamburger", "qty": 1, "mods": [], "course": "1"},
            {"lineId": "2", "name": "Fries", "qty": 1, "mods": [], "course": "1"},
        ],
    }


class Kitchen:
    """Daemons sharing a location secret, each configured with the others' URLs (`HEARD_PEER_URLS`)."""

    def __init__(self, root: Path, count: int) -> None:
        self.daemons = [DaemonProcess(root / f"device-{i}") for i in range(count)]
        first = self.daemons[0]
        self.secret = secret = load_or_create_secret(first.data_dir / "location.secret")
        self.chef = chef_headers(first.data_dir)
        self._pos: dict[str, dict[str, str]] = {}
        for i, d in enumerate(self.daemons):
            if i:
                d.data_dir.mkdir(parents=True, exist_ok=True)
                (d.data_dir / "location.secret").write_bytes(secret)
            others = ",".join(o.url for o in self.daemons if o is not d)
            d._env.update({"HEARD_PEER_URLS": others, "HEARD_DEVICE_NAME": f"device {i}"})

    def start(self) -> Kitchen:
        for d in self.daemons:
            self.pos_headers(d)
            d.start()
        return self

    def pos_headers(self, d: DaemonProcess) -> dict[str, str]:
        """Integration tokens are stored per device (a table in its database): one per device."""
        if d.url not in self._pos:
            self._pos[d.url] = pos_headers(d.data_dir)
        return self._pos[d.url]

    def stop(self) -> None:
        for d in self.daemons:
            d.stop()


def chef_headers(data_dir: Path, location: str = LOCATION) -> dict[str, str]:
    """A manager's JWT signed with the location secret, minted here rather than by a heardctl process."""
    token = mint_token(
        load_or_create_secret(data_dir / "location.secret"), sub="test", roles=["manager"], location_id=location
    )
    return {"Authorization": f"Bearer {token}"}


def pos_headers(data_dir: Path, location: str = LOCATION) -> dict[str, str]:
    """An integration token created in the device's database (as heardctl does, without its process)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = data_dir / "heard.db"
    prepare(db)
    _, token = IntegrationTokens(lambda: sqlite3.connect(db)).create(f"test-{data_dir.name}")
    return {"x-integration-token": token, "x-location-id": location, "x-device-ids": "all"}


async def post_order(session: aiohttp.ClientSession, d: DaemonProcess, headers: dict[str, str], oid: str) -> Any:
    async with session.post(d.url + "/integrators/kds-orders", json=pos_order(oid), headers=headers) as resp:
        assert resp.status in (200, 201), await resp.text()
        return await resp.json()


async def device_rows(session: aiohttp.ClientSession, d: DaemonProcess, chef: dict[str, str]) -> list[Any]:
    async with session.get(d.url + "/api/v1/devices", headers=chef) as resp:
        assert resp.status == 200, await resp.text()
        return list((await resp.json())["devices"])


async def kitchen_orders(session: aiohttp.ClientSession, d: DaemonProcess, chef: dict[str, str]) -> dict[str, Any]:
    async with session.get(d.url + "/api/v1/kitchen/orders", headers=chef, timeout=aiohttp.ClientTimeout(10)) as resp:
        assert resp.status == 200, await resp.text()
        body = await resp.json()
    return {o["name"]: o for o in body["data"]}  # keyed by the guest name the POS sent


async def ticket(session: aiohttp.ClientSession, d: DaemonProcess, chef: dict[str, str], oid: str, action: str) -> int:
    url = f"{d.url}/api/v1/kds/stations/grill/orders/{oid}/ticket/{action}"
    async with session.post(url, headers=chef, json={}) as resp:
        return resp.status


async def versions(session: aiohttp.ClientSession, d: DaemonProcess) -> dict[str, int]:
    """A device's version vector, read as a peer would (with a peer token of the location)."""
    secret = (d.data_dir / "location.secret").read_bytes()
    headers = {"Authorization": f"Bearer {mint_peer_token(secret, LOCATION, 'test-peer')}"}
    async with session.get(d.url + "/peer/v1/hello", headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return dict((await resp.json())["versions"])


async def in_step(session: aiohttp.ClientSession, daemons: list[DaemonProcess]) -> bool:
    """Every device holds the same events."""
    try:
        seen = [await versions(session, d) for d in daemons]
    except aiohttp.ClientError:
        return False
    return all(v == seen[0] for v in seen)


async def digest(data_dir: Path) -> tuple[dict[str, int], dict[str, Any], list[Any]]:
    """A stopped device's whole state: version vector, every order folded, what the fold skipped."""
    store = Store(data_dir / "heard.db", "digest-reader")
    await store.open()
    try:
        orders = {o.id: order_to_json(o) for o in store.orders()}
        return store.version_vector(), orders, store.skipped()
    finally:
        await store.close()


async def wait_for(check: Any, timeout: float = 15.0, what: str = "the condition") -> None:
    """Poll an async condition against a deadline."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.05)  # polling a condition with a deadline
