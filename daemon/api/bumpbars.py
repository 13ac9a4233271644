"""Bump bars over HTTP: each station's selection (what the screen highlights), keys of keyboard-wedge
bars (the screen hands them over, the daemon maps and applies them), and the bars' state.

POST /api/v1/bumpbars/{bar_id}/keys            {"key": "ctrl+r"}  → the action and the new selection
POST /api/v1/kds/stations/{station_id}/actions {"action": "next"} → the new selection (the screen's buttons)
GET  /api/v1/kds/stations/{station_id}/selection
GET  /api/v1/bumpbars
"""

from __future__ import annotations

from aiohttp import web

from daemon.api.auth import require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response, read_json
from daemon.bumpbars.runtime import BUMPBARS
from daemon.bumpbars.selection import selection_json
from daemon.domain.errors import NotFound, StationNotFound, ValidationFailed
from drivers.bumpbars.keymap import Key, KeyMapError, parse_action

routes = web.RouteTableDef()


def _station(request: web.Request) -> str:
    station_id = request.match_info["station_id"]
    if station_id not in request.app[STORE].setup(request.app[KITCHEN].location_id).stations:
        raise StationNotFound(f"station {station_id} not found")
    return station_id


@routes.get("/api/v1/bumpbars")
async def list_bars(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    bars = request.app[BUMPBARS].bars.values()
    return json_response([b.status_json() for b in bars])


@routes.get("/api/v1/kds/stations/{station_id}/selection")
async def get_selection(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    station_id = _station(request)
    selection, tickets = request.app[BUMPBARS].actions.selection(station_id)
    return json_response(selection_json(selection, tickets))


@routes.post("/api/v1/kds/stations/{station_id}/actions")
async def post_action(request: web.Request) -> web.Response:
    require(request, "tickets:write")
    station_id = _station(request)
    body = await read_json(request)
    raw = body.get("action") if isinstance(body, dict) else None
    if not isinstance(raw, str):
        raise ValidationFailed("action is required: one of the bump bar actions", field="action")
    try:
        action = parse_action(raw)
    except KeyMapError as exc:
        raise ValidationFailed(str(exc), field="action") from None
    actions = request.app[BUMPBARS].actions
    await actions.submit("screen", station_id, action)
    selection, tickets = actions.selection(station_id)
    return json_response(selection_json(selection, tickets))


@routes.post("/api/v1/bumpbars/{bar_id}/keys")
async def post_key(request: web.Request) -> web.Response:
    require(request, "tickets:write")
    bars = request.app[BUMPBARS]
    bar = bars.bars.get(request.match_info["bar_id"])
    if bar is None:
        raise NotFound(f"bump bar {request.match_info['bar_id']} not found", code="BUMPBAR_NOT_FOUND")
    body = await read_json(request)
    spec = body.get("key") if isinstance(body, dict) else None
    if not isinstance(spec, str):
        raise ValidationFailed('key is required: a key spec such as "1", "ctrl+r" or "scan:30"', field="key")
    try:
        key = Key.parse(spec)
    except KeyMapError as exc:
        raise ValidationFailed(str(exc), field="key") from None
    action = bar.keymap.action(key)
    station_id = bar.config.station
    if action is not None:
        await bars.actions.submit(bar.config.id, station_id, action)
    selection, tickets = bars.actions.selection(station_id)
    return json_response(
        {
            "bar_id": bar.config.id,
            "key": str(key),
            "action": action.value if action else None,
            "selection": selection_json(selection, tickets),
        }
    )
