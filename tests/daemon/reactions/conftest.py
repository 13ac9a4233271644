"""A kitchen with emulated printers: the real application, real SQLite, printers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG, STORE
from daemon.app import build_app
from daemon.config import Config, PrinterConfig, StationConfig
from daemon.security.integration_tokens import IntegrationTokens
from drivers.printers.emulator import EmulatedPrinter, TcpPrinter
from tests.conftest import SEED_ORDER, ManualClock


@pytest.fixture
def printers() -> Iterator[dict[str, TcpPrinter]]:
    made = {name: TcpPrinter(EmulatedPrinter(name)).start() for name in ("main", "spare")}
    yield made
    for server in made.values():
        server.stop()


def network(pid: str, server: TcpPrinter, **kw: Any) -> PrinterConfig:
    return PrinterConfig(pid, "network", host="127.0.0.1", port=server.port, **kw)


def kitchen(config: Config, *printers: PrinterConfig, grill: tuple[str, ...] = ("main",)) -> Config:
    """Grill prints on `grill`; the other stations print nothing."""
    stations = tuple(StationConfig(s.id, s.name, s.kind, grill if s.id == "grill" else ()) for s in config.stations)
    return dataclasses.replace(config, stations=stations, printers=printers)


StartKitchen = Callable[[Config], Awaitable[TestClient]]


@pytest.fixture
def start_kitchen(aiohttp_client: Callable[..., Any], clock: ManualClock) -> StartKitchen:
    async def start(config: Config) -> TestClient:
        return await aiohttp_client(build_app(config, now_ms=clock))

    return start


def pos_headers(client: TestClient) -> dict[str, str]:
    _, token = IntegrationTokens(client.app[STORE].connect_reader).create("test-pos")
    return {
        "x-integration-token": token,
        "x-location-id": client.app[CONFIG].location.location_id,
        "x-device-ids": "all",
    }


def order(oid: str, *items: str, **fields: Any) -> dict[str, Any]:
    lines = [
        {"lineId": str(i), "name": name, "qty": 1, "mods": [], "courseStatus": "fire"}
        for i, name in enumerate(items or ("Hamburger",), 1)
    ]
    return {**SEED_ORDER, "id": oid, "name": f"Guest {oid}", "items": lines, **fields}


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)  # polling a condition with a deadline
