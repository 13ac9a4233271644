"""Fresh LAN discovery: the 102-byte announcement, received by a listener on the loopback broadcast address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.api.context import KITCHEN
from daemon.app import build_app
from daemon.config import load_config
from daemon.fresh_lan.discovery import SIZE, Announcer, announcement, screen_identifier
from tests.conftest import ManualClock


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A UDP socket as a Fresh POS client opens it: on every address, on a port of its own for this test."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    yield sock
    sock.close()


async def datagram(sock: socket.socket, timeout: float = 10.0) -> tuple[bytes, str]:
    data, (source, _) = await asyncio.wait_for(asyncio.get_running_loop().sock_recvfrom(sock, 4096), timeout)
    return data, source


def fields(data: bytes) -> dict[str, Any]:
    """The announcement read as a Fresh client reads it: fixed offsets, zero padding stripped."""
    return {
        "name": data[0:12].rstrip(b"\0").decode("ascii"),
        "version": data[12:20].rstrip(b"\0").decode("ascii"),
        "address": str(ipaddress.IPv4Address(data[20:24])),
        "address_padding": data[24:30],
        "identifier": data[30:50].rstrip(b"\0").decode("ascii"),
        "screen": data[50:102].rstrip(b"\0").decode("ascii"),
    }


def test_the_announcement_is_102_bytes_of_fixed_fields() -> None:
    data = announcement("192.168.1.3", "E7A09AAD7B98", "emulator")

    assert len(data) == SIZE == 102
    assert data.hex().upper() == (
        "46726573684B445300000000" + "312E300000000000" + "C0A80103000000000000"
        "4537413039414144374239380000000000000000" + "656D756C61746F72" + "00" * 44
    )


def test_the_name_uses_at_most_20_characters_and_only_ascii() -> None:
    data = announcement("10.0.0.1", "ID", "Grill station — left side, by the window")

    assert fields(data)["screen"] == "Grill station ? left"


def test_the_identifier_is_the_device_id_shortened_the_same_way_every_time() -> None:
    device_id = "49d0d0a9-e7a8-438c-9e14-e26198e637df"

    assert screen_identifier(device_id) == "49D0D0A9E7A8438C9E14"
    assert screen_identifier(device_id) == screen_identifier(str(device_id))
    assert len(screen_identifier("ü")) == 20


async def test_the_daemon_announces_itself_every_two_seconds(
    aiohttp_client: Callable[..., Any], tmp_path: Path, clock: ManualClock, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    overrides = {
        "fresh_lan.enabled": True,
        "fresh_lan.tcp_port": 0,
        "fresh_lan.discovery_port": port,
        "fresh_lan.broadcast_to": ["127.255.255.255"],
        "device.name": "Fry screen",
    }
    config = load_config(data_dir=tmp_path / "data", environ={}, overrides=overrides)
    client = await aiohttp_client(build_app(config, now_ms=clock))

    first, source = await datagram(listener)
    second, _ = await datagram(listener)

    assert len(first) == 102
    assert fields(first) == {
        "name": "FreshKDS",
        "version": "1.0",
        "address": source,
        "address_padding": bytes(6),
        "identifier": screen_identifier(client.app[KITCHEN].device.id),
        "screen": "Fry screen",
    }
    assert second == first


async def test_an_unreachable_target_is_logged_and_the_others_still_announced(
    listener: socket.socket, caplog: pytest.LogCaptureFixture
) -> None:
    announcer = Announcer("ID", "Screen", listener.getsockname()[1], ["256.0.0.1", "127.255.255.255"])

    announcer.announce()

    data, _ = await datagram(listener)
    assert fields(data)["identifier"] == "ID"
    assert announcer.sent == 1
    assert any("cannot reach target=256.0.0.1" in r.getMessage() for r in caplog.records)
