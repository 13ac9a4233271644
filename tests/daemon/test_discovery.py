"""mDNS with real multicast on this machine's interface: devices of one location find each other, a device
of another location is not taken, and the TXT keys integrators read are there."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo

from daemon.discovery import HTTP_TYPE, SERVICE_TYPE, Discovery, local_addresses
from tests.conftest import HOST_NETWORK
from tests.daemon.process import until

ADDRESSES = [a for a in local_addresses("0.0.0.0") if a != "127.0.0.1"]
pytestmark = [
    HOST_NETWORK,
    pytest.mark.skipif(not ADDRESSES, reason="no non-loopback IPv4 interface here to multicast on"),
]


def device(location: str, port: int, found: list[str]) -> Discovery:
    return Discovery(
        location_id=location,
        device_id=str(uuid.uuid4()),
        name=f"Grill {port}",
        port=lambda: port,
        stations=lambda: ["grill", "fry"],
        found=found.append,
        host=ADDRESSES[0],
    )


async def test_devices_of_one_location_find_each_other_and_no_other() -> None:
    location = f"loc-{uuid.uuid4().hex[:8]}"  # unique: other runs on this network never match
    found_a: list[str] = []
    found_b: list[str] = []
    found_c: list[str] = []
    a, b = device(location, 18001, found_a), device(location, 18002, found_b)
    c = device(f"other-{location}", 18003, found_c)
    await asyncio.gather(a.start(), b.start(), c.start())
    try:
        await until(lambda: f"http://{ADDRESSES[0]}:18002" in found_a, timeout=10, what="a finds b")
        await until(lambda: f"http://{ADDRESSES[0]}:18001" in found_b, timeout=10, what="b finds a")
        info = AsyncServiceInfo(HTTP_TYPE, f"Grill 18001 {a.device_id[:8]}.{HTTP_TYPE}")
        assert a._zc is not None
        assert await info.async_request(a._zc.zeroconf, 3000)
        txt = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
        assert txt == {
            "location_id": location,
            "device_id": a.device_id,
            "name": "Grill 18001",
            "api": "1",
            "stations": "grill,fry",
            "port": "18001",
        }
        assert info.parsed_addresses(IPVersion.V4Only) == [ADDRESSES[0]]
        assert SERVICE_TYPE == "_heard._tcp.local."
    finally:
        await asyncio.gather(a.stop(), b.stop(), c.stop())
    assert not any(":18003" in u for u in found_a + found_b)  # another location's device is never taken
    assert not any(":18001" in u or ":18002" in u for u in found_c)


async def test_a_change_of_address_restarts_the_responder_without_a_restart_of_the_daemon() -> None:
    found: list[str] = []
    d = device("loc-x", 18004, found)
    await d.start()
    try:
        assert d.addresses == [ADDRESSES[0]] and d.restarts == 1
        d._host = "0.0.0.0"  # as if the interface it listened on changed: the next look finds other addresses
        d.addresses = ["203.0.113.9"]
        await d._refresh()
        assert d.restarts == 2 and d.addresses == local_addresses("0.0.0.0")
        await d._refresh()
        assert d.restarts == 2  # nothing changed: nothing restarted
    finally:
        await d.stop()
