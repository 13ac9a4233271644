"""GET /api/v1/upstream: how this device's uploads to headquarters are going (managers)."""

from __future__ import annotations

from aiohttp import web

from daemon.api.auth import require
from daemon.api.context import STORE
from daemon.api.responses import json_response
from sync.upstream.uploader import OFF, Uploader

routes = web.RouteTableDef()
UPSTREAM = web.AppKey("upstream", Uploader)


@routes.get("/api/v1/upstream")
async def get_upstream(request: web.Request) -> web.Response:
    require(request, "upstream:read")
    uploader = request.app.get(UPSTREAM)
    if uploader is None:
        store = request.app[STORE]
        return json_response({**OFF, "last_seq": store.version_vector().get(store.origin, 0)})
    return json_response(await uploader.status())
