"""Peer replication wired into the application: the endpoints, the fan-out to peer streams, one link per
known peer (started after the store opens, stopped before it closes), and `GET /api/v1/devices`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import WSCloseCode, web

from daemon.api.auth import require
from daemon.api.context import CONFIG, KITCHEN, STORE
from daemon.api.responses import json_response
from daemon.discovery import Discovery
from daemon.membership import read_peer_urls
from daemon.security.jwt_tokens import load_or_create_secret
from sync import join, server
from sync.outbound import Outbound
from sync.registry import OUTBOUND, PEERS, Peers

log = logging.getLogger(__name__)

routes = web.RouteTableDef()


@routes.get("/api/v1/devices")
async def devices(request: web.Request) -> web.Response:
    """Every device of the location this one knows: itself first, then its peers."""
    require(request, "tickets:read")
    return json_response({"devices": request.app[PEERS].devices()})


def add_peering(app: web.Application) -> None:
    config, kitchen, store = app[CONFIG], app[KITCHEN], app[STORE]
    outbound = Outbound()
    store.subscribe(outbound.publish)
    app[OUTBOUND] = outbound
    app[PEERS] = Peers(
        store,
        location_id=kitchen.location_id,
        device_id=kitchen.device.id,
        device_name=kitchen.device.name,
        secret=load_or_create_secret(config.secret_path),
        data_dir=config.data_dir,
        urls=[*config.peers.urls, *read_peer_urls(config.data_dir)],
        port=config.server.port,
    )
    app[PEERS].outbound = outbound
    app.add_routes(server.routes)
    app.add_routes(join.routes)
    app.add_routes(routes)
    app.cleanup_ctx.append(_peers_ctx)
    app.on_shutdown.append(_close_streams)


async def start_discovery(app: web.Application) -> Discovery | None:
    """mDNS for the serving daemon (not for in-process test apps: a responder takes seconds to start and
    stop): advertise this device, and link to every device of the location it finds."""
    config, kitchen, store, peers = app[CONFIG], app[KITCHEN], app[STORE], app[PEERS]
    if not config.peers.mdns:
        return None
    discovery = Discovery(
        location_id=kitchen.location_id,
        device_id=kitchen.device.id,
        name=kitchen.device.name,
        port=lambda: peers.port,
        stations=lambda: sorted(store.setup(kitchen.location_id).stations),
        found=peers.add_url,
        host=config.server.host,
    )
    try:
        await discovery.start()
    except Exception:  # no multicast here (a container, no interface): replication by URL still works
        log.exception("mdns could not start; peers are found by URL only")
        with contextlib.suppress(Exception):
            await discovery.stop()
        return None
    return discovery


async def _peers_ctx(app: web.Application) -> AsyncIterator[None]:
    peers = app[PEERS]
    await peers.start()
    yield
    await peers.stop()


async def _close_streams(app: web.Application) -> None:
    for ws in list(app[OUTBOUND].sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"shutting down")
