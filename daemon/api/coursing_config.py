"""A location's course timing config, rush mode, and timing alerts (/api/v1/coursing/config…, /alerts), per
shared/seeds/coursing-api.txt. Config changes are for managers and owners; alerts for every coursing role."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.api import coursing_state as cs
from daemon.api.context import KITCHEN, STORE
from daemon.api.coursing_views import alert_json, config_json
from daemon.api.responses import json_response, read_json
from daemon.domain import timing_alerts, timing_config
from daemon.domain.coursing import minutes
from daemon.domain.errors import ValidationFailed
from daemon.domain.timing_alerts import TIMING_ALERTS
from daemon.domain.timing_config import TIMING_CONFIG, TimingConfig

routes = web.RouteTableDef()
BASE = "/api/v1/coursing"


def _changes(body: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "default_course_delay" in body:
        out["default_course_delay"] = minutes(body["default_course_delay"], "default_course_delay", allow_none=False)
    for flag in ("auto_fire_enabled", "table_sync_enabled", "rush_mode_active"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise ValidationFailed(f"{flag} must be true or false", field=flag)
            out[flag] = body[flag]
    if "rush_mode_multiplier" in body:
        value = body["rush_mode_multiplier"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ValidationFailed(
                "rush_mode_multiplier must be a number above 0 and at most 1", field="rush_mode_multiplier"
            )
        out["rush_mode_multiplier"] = float(value)
    return out


def _answer(request: web.Request, config: TimingConfig) -> web.Response:
    kitchen = request.app[KITCHEN]
    return json_response(config_json(config, kitchen.tenant_id, kitchen.location_id))


async def _update(request: web.Request, changes: dict[str, Any]) -> web.Response:
    actor = cs.actor(request, cs.MANAGE)
    location = cs.check_location(request, request.match_info["location_id"])
    store = request.app[STORE]
    config, _ = await store.execute(TIMING_CONFIG, location, lambda _: timing_config.update(location, changes), actor)
    return _answer(request, config or cs.timing_config(store, location))


@routes.get(BASE + "/config/{location_id}")
async def get_config(request: web.Request) -> web.Response:
    cs.actor(request)
    location = cs.check_location(request, request.match_info["location_id"])
    return _answer(request, cs.timing_config(request.app[STORE], location))


@routes.put(BASE + "/config/{location_id}")
async def update_config(request: web.Request) -> web.Response:
    cs.actor(request, cs.MANAGE)
    body = cs.body_object(await read_json(request))
    return await _update(request, _changes(body))


@routes.post(BASE + "/config/{location_id}/rush")
async def toggle_rush(request: web.Request) -> web.Response:
    cs.actor(request, cs.MANAGE)
    body = cs.body_object(await read_json(request))
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise ValidationFailed("enabled must be true or false", field="enabled")
    return await _update(request, {"rush_mode_active": enabled})


@routes.get(BASE + "/alerts")
async def list_alerts(request: web.Request) -> web.Response:
    cs.actor(request)
    location = cs.check_location(request, request.query.get("location_id"))
    include = cs.query_bool(request, "include_acknowledged", False)
    book = cs.alerts(request.app[STORE], location)
    kitchen = request.app[KITCHEN]
    listed = sorted(
        (a for a in book.alerts.values() if include or not a.acknowledged), key=lambda a: (a.created_ms, a.id)
    )
    return json_response([alert_json(a, kitchen.tenant_id, kitchen.location_id) for a in listed])


@routes.post(BASE + "/alerts/{alert_id}/acknowledge")
async def acknowledge(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    aid = request.match_info["alert_id"]
    location = cs.location(request)
    book, _ = await request.app[STORE].execute(
        TIMING_ALERTS, location, lambda b: timing_alerts.acknowledge(b, location, aid, actor.sub), actor
    )
    kitchen = request.app[KITCHEN]
    return json_response(alert_json(book.alerts[aid], kitchen.tenant_id, kitchen.location_id))
