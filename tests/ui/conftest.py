"""The screen's tests: one qasync loop per async test (STACK.md), a real daemon on 127.0.0.1, the real screen.

Never qtbot.wait*/waitUntil in an async test (the nested Qt loop does not run asyncio tasks): poll with
tests.daemon.process.until, which awaits between checks.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import qasync
from PySide6.QtWidgets import QApplication

from tests.daemon.process import DaemonProcess, free_port, until
from ui.connection import locate
from ui.session import KitchenSession
from ui.sound import Chime
from ui.views.theme import theme_for
from ui.window import KitchenWindow


def pytest_asyncio_loop_factories(config: Any, item: Any) -> dict[str, Any]:
    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


_ids = itertools.count(1)


def order_id() -> str:
    return f"ui-{os.getpid()}-{next(_ids)}"


def order_body(oid: str, name: str, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": oid,
        "name": name,
        "time": "2026-11-30T12:00:00Z",
        "mode": "For Here",
        "items": items
        or [
            {"lineId": "1", "name": "Hamburger", "qty": 2, "mods": ["No onion"]},
            {"lineId": "2", "name": "Ribeye steak", "qty": 1, "mods": [], "allergens": ["dairy"]},
        ],
    }


class Pos:
    """A POS on the integrator API, and a chef's client on the kitchen APIs: the screen's other clients."""

    def __init__(self, daemon: DaemonProcess) -> None:
        self.daemon = daemon
        self.token = daemon.integration_token()
        self.chef = daemon.heardctl("token", "--role", "chef").strip()

    async def post_order(self, body: dict[str, Any]) -> None:
        headers = {"x-integration-token": self.token, "x-location-id": "demo-location", "x-device-ids": "all"}
        async with aiohttp.ClientSession() as s:
            async with s.post(self.daemon.url + "/integrators/kds-orders", json=body, headers=headers) as resp:
                assert resp.status == 201, await resp.text()

    async def kitchen(self, method: str, path: str, body: Any = None) -> Any:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.chef}"}) as s:
            async with s.request(method, self.daemon.url + path, json=body) as resp:
                assert resp.status < 400, await resp.text()
                return await resp.json()

    async def ticket(self, station: str, order_id: str, status: str = "all") -> dict[str, Any] | None:
        tickets = await self.kitchen("GET", f"/api/v1/kds/stations/{station}/tickets?status={status}&limit=1000")
        return next((t for t in tickets if t["order_id"] == order_id), None)


@pytest.fixture(scope="module")
def shared_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    daemon = DaemonProcess(tmp_path_factory.mktemp("ui") / "data").start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def pos(shared_daemon: DaemonProcess) -> Pos:
    return Pos(shared_daemon)


class Screen:
    def __init__(self, session: KitchenSession, window: KitchenWindow, chime: Chime) -> None:
        self.session = session
        self.window = window
        self.chime = chime

    @property
    def grid(self) -> Any:
        return self.window.stations[0].grid

    def card(self, order_id: str) -> Any:
        return next((p for page in self.grid.pages for p in page if p.card.ticket["order_id"] == order_id), None)

    async def ready(self) -> None:
        await until(
            lambda: self.session.loaded.is_set() and self.session.status.status.connected, 15, "the screen loaded"
        )


async def open_screen(data_dir: Path, url: str, mode: str = "station", stations: list[str] | None = None) -> Screen:
    endpoint = locate(url, None, data_dir)
    station_ids = stations if stations is not None else (["grill"] if mode == "station" else [])
    session = KitchenSession(endpoint.url, endpoint.token, station_ids, endpoint.config)
    chime = Chime("off")
    window = KitchenWindow(session, mode, station_ids, theme_for("dark"), chime)
    window.resize(1600, 900)
    window.show()
    session.start()
    screen = Screen(session, window, chime)
    await screen.ready()
    return screen


@contextlib.asynccontextmanager
async def screen_on(daemon: DaemonProcess, mode: str = "station") -> AsyncIterator[Screen]:
    """The screen for the length of a test. A context inside the test, not an async fixture: pytest-qt
    processes Qt events between a test and its fixtures' teardown, which would step asyncio tasks outside
    the running loop."""
    s = await open_screen(daemon.data_dir, daemon.url, mode)
    try:
        yield s
    finally:
        await s.session.stop()
        s.window.close()
        s.window.deleteLater()


def hardware_config(path: Path, dead_port: int) -> Path:
    """A kitchen with the hardware and links the status bar reports on: a network printer and a
    headquarters that nothing answers at (a port bound to nothing), and a keyboard-wedge bump bar."""
    path.write_text(
        f"""
[[stations]]
id = "grill"
name = "Grill"
printers = ["pass"]

[[stations]]
id = "fry"
name = "Fry"

[[routing]]
station = "fry"
name_pattern = "fries"

[[routing]]
station = "grill"
default = true

[[printers]]
id = "pass"
kind = "network"
host = "127.0.0.1"
port = {dead_port}

[[bumpbars]]
id = "wedge"
kind = "keyboard"
station = "grill"
layout = "10-key"

[upstream]
url = "http://127.0.0.1:{dead_port}"
token = "not-a-real-credential"
"""
    )
    return path


@pytest.fixture(scope="module")
def hardware_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    folder = tmp_path_factory.mktemp("ui-hw")
    config = hardware_config(folder / "heard.toml", free_port())
    daemon = DaemonProcess(folder / "data", env={"HEARD_CONFIG": str(config)}).start()
    yield daemon
    daemon.stop()
