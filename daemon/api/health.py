"""Liveness and readiness, for systemd, load balancers and operators."""

from __future__ import annotations

from aiohttp import web

from daemon.api.context import FRONT_STATUS, HUB, KITCHEN, STORE
from daemon.api.records import READ_SKIPS
from daemon.api.responses import json_response

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Alive: the event loop answers."""
    return json_response({"status": "ok"})


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    """Fresh's integrations API health route, which POS software polls before sending orders. Fresh does not
    publish its body; this is the shape of the health checks of the Node services such APIs are built on
    (`@nestjs/terminus`): `status` ok/error, with each part up or down. 503 when orders cannot be stored."""
    up = request.app[STORE].ready
    part = {"database": {"status": "up" if up else "down"}}
    body = {"status": "ok" if up else "error", "info": part if up else {}, "error": {} if up else part, "details": part}
    return json_response(body, status=200 if up else 503)


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Ready: the database is open, migrated, and accepting writes."""
    store = request.app[STORE]
    body = {
        "status": "ready" if store.ready else "not_ready",
        "database": "ok" if store.ready else "unavailable",
        "schema_version": store.schema_version,
        "integrity": store.integrity,  # "checking" just after start, then "ok" or what SQLite found
        "device_id": request.app[KITCHEN].device.id,
        # Records skipped rather than failing a whole read: each is logged with its id at ERROR.
        "skipped": {
            "stored_states": store.unreadable,
            "live_events": request.app[HUB].render_failures,
            "reads": request.app[READ_SKIPS].count,
            "effect_rules": store.journal.rule_failures,  # side effects a failing rule could not record
        },
    }
    front = request.app.get(FRONT_STATUS)
    if front is not None:  # server.front: the core serves every connection while the front is down
        body["front"] = front()
    return json_response(body, status=200 if store.ready else 503)
