"""The Fresh KDS LAN door as one long-lived part of the application: started after the store when
fresh_lan.enabled, stopped before it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from daemon.api.context import CONFIG, KITCHEN, STORE
from daemon.fresh_lan.discovery import Announcer, screen_identifier
from daemon.fresh_lan.interfaces import own_subnets, parse_allow
from daemon.fresh_lan.orders import ListenerLimits, OrderListener

log = logging.getLogger(__name__)


class FreshLanDoor:
    """What the door runs: the TCP order listener and the discovery announcer."""

    def __init__(self) -> None:
        self.orders: OrderListener | None = None
        self.discovery: Announcer | None = None


FRESH_LAN = web.AppKey("fresh_lan", FreshLanDoor)


def add_door(app: web.Application) -> None:
    """Called by the app's wiring when fresh_lan.enabled; the door opens once the store is open."""
    app[FRESH_LAN] = FreshLanDoor()
    app.cleanup_ctx.append(_door_ctx)


async def _door_ctx(app: web.Application) -> AsyncIterator[None]:
    config, door = app[CONFIG], app[FRESH_LAN]
    lan = config.fresh_lan
    allow = parse_allow(lan.allow) if lan.allow is not None else own_subnets()
    limits = ListenerLimits(config.server.max_body_bytes, float(config.server.request_timeout_seconds))
    door.orders = OrderListener(app[STORE], app[KITCHEN], allow, limits, config.server.host, lan.tcp_port)
    await door.orders.start()
    device = app[KITCHEN].device
    door.discovery = Announcer(screen_identifier(device.id), device.name, lan.discovery_port, lan.broadcast_to)
    await door.discovery.start()
    try:
        yield
    finally:
        await door.discovery.close()
        await door.orders.close()
