"""The typed application keys through which handlers reach the long-lived objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

from aiohttp import web

from daemon.config import Config
from daemon.fanout import Hub
from daemon.identity import Device
from daemon.store.store import Store


@dataclass(frozen=True)
class Kitchen:
    """Who this daemon is: the location it serves and the device it runs on."""

    tenant_id: str
    location_id: str
    device: Device
    zone: tzinfo = field(default=UTC)  # the location's time zone: local times without a zone are read in it

    def known_devices(self) -> dict[str, str]:
        """Device id → name, for x-device-ids. Peers join this map with the replication issue."""
        return {self.device.id: self.device.name}


CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", Store)
KITCHEN = web.AppKey("kitchen", Kitchen)
HUB = web.AppKey("hub", Hub)
# The front process (daemon/front/link.py), when server.front is on: its state for /readyz, and each order
# write's count for its load meter (True: the front is up, close this core connection after the answer).
FRONT_STATUS = web.AppKey("front_status", Callable[[], dict[str, Any]])  # type: ignore[arg-type]
ORDER_WRITE_SEEN = web.AppKey("order_write_seen", Callable[[bool], bool])  # type: ignore[arg-type]
