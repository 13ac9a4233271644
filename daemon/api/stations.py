"""Stations and routing rules (managers): the kitchen's setup, changed through the event log so every
device of the location agrees on it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from daemon.api.auth import PRINCIPAL, require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response, read_json
from daemon.domain.errors import Conflict, NotFound, StationNotFound, ValidationFailed
from daemon.domain.events import Actor, Change
from daemon.domain.model import RoutingRule, Station, StationKind
from daemon.domain.routing import pattern_error
from daemon.domain.setup import (
    SETUP,
    Setup,
    check_station_edit,
    check_station_removal,
    remove_rule,
    remove_station,
    rule_to_json,
    save_rule,
    save_station,
)
from daemon.domain.setup import station_to_json as station_json

routes = web.RouteTableDef()
STATIONS = "/api/v1/kds/stations"
RULES = "/api/v1/kds/routing-rules"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _setup(request: web.Request) -> Setup:
    return request.app[STORE].setup(request.app[KITCHEN].location_id)


def _actor(request: web.Request) -> Actor:
    p = request[PRINCIPAL]
    return Actor(p.sub, tuple(sorted(p.roles)), "user")


def _text(body: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationFailed(f"{key} is required", field=key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{key} must be a non-empty string", field=key)
    return value.strip()


def _station_from(body: Any, station_id: str) -> Station:
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    if not _ID.match(station_id):
        raise ValidationFailed("id must be 1–64 letters, digits, '.', '_' or '-'", field="id")
    name = _text(body, "name", required=True)
    kind = body.get("kind", "prep")
    if kind not in ("prep", "expo"):
        raise ValidationFailed("kind must be prep or expo", field="kind")
    printers = body.get("printers", [])
    if not isinstance(printers, list) or not all(isinstance(p, str) for p in printers):
        raise ValidationFailed("printers must be a list of printer ids", field="printers")
    assert name is not None
    return Station(station_id, name, StationKind(kind), tuple(printers))


async def _save(request: web.Request, change: Change, check: Callable[[Setup], None] | None = None) -> Setup:
    """Log a setup change; `check` runs against the newest setup (pending writes included), so two
    quick requests cannot both pass a check that only one of them may."""
    location = request.app[KITCHEN].location_id

    def decide(current: Setup | None) -> Change:
        if check is not None:
            check(current or Setup())
        return change

    setup, _ = await request.app[STORE].execute(SETUP, location, decide, _actor(request))
    assert isinstance(setup, Setup)
    return setup


@routes.get(STATIONS)
async def list_stations(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    return json_response([station_json(s) for s in _setup(request).stations.values()])


@routes.post(STATIONS)
async def create_station(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    body = await read_json(request)
    station_id = str(body.get("id") or uuid.uuid4()) if isinstance(body, dict) else ""
    station = _station_from(body, station_id)
    if station.id in _setup(request).stations:
        raise Conflict(f"station {station.id} already exists", code="STATION_EXISTS")
    await _save(request, save_station(request.app[KITCHEN].location_id, station))
    return json_response(station_json(station), status=201)


@routes.get(STATIONS + "/{station_id}")
async def get_station(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    station = _setup(request).stations.get(request.match_info["station_id"])
    if station is None:
        raise StationNotFound(f"station {request.match_info['station_id']} not found")
    return json_response(station_json(station))


@routes.put(STATIONS + "/{station_id}")
async def update_station(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    station_id = request.match_info["station_id"]
    if station_id not in _setup(request).stations:
        raise StationNotFound(f"station {station_id} not found")
    station = _station_from(await read_json(request), station_id)
    change = save_station(request.app[KITCHEN].location_id, station)
    await _save(request, change, lambda setup: check_station_edit(setup, station))
    return json_response(station_json(station))


@routes.delete(STATIONS + "/{station_id}")
async def delete_station(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    station_id = request.match_info["station_id"]
    orders = request.app[STORE].orders()
    change = remove_station(request.app[KITCHEN].location_id, station_id)
    await _save(request, change, lambda setup: check_station_removal(setup, station_id, orders))
    return web.Response(status=204)


def _rule_from(body: Any, rule_id: str, setup: Setup) -> RoutingRule:
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    station_id = _text(body, "station_id", required=True)
    assert station_id is not None
    if station_id not in setup.stations:
        raise ValidationFailed(f"station_id {station_id!r} is not a station", field="station_id")
    menu_item_id = _text(body, "menu_item_id", required=False)
    category = _text(body, "category", required=False)
    pattern = _text(body, "name_pattern", required=False)
    default = body.get("default", False)
    if not isinstance(default, bool):
        raise ValidationFailed("default must be true or false", field="default")
    if sum(x is not None for x in (menu_item_id, category, pattern)) + int(default) != 1:
        raise ValidationFailed("give exactly one of menu_item_id, category, name_pattern, default: true")
    if pattern is not None and (error := pattern_error(pattern)):
        raise ValidationFailed(f"name_pattern is not a valid pattern: {error}", field="name_pattern")
    return RoutingRule(station_id, menu_item_id, category, pattern, default, id=rule_id)


@routes.get(RULES)
async def list_rules(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    return json_response([rule_to_json(r) for r in _setup(request).rules.values()])


@routes.post(RULES)
async def create_rule(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    rule = _rule_from(await read_json(request), str(uuid.uuid4()), _setup(request))
    await _save(request, save_rule(request.app[KITCHEN].location_id, rule))
    return json_response(rule_to_json(rule), status=201)


@routes.put(RULES + "/{rule_id}")
async def update_rule(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    rule_id = request.match_info["rule_id"]
    setup = _setup(request)
    if rule_id not in setup.rules:
        raise NotFound(f"routing rule {rule_id} not found", code="ROUTING_RULE_NOT_FOUND")
    rule = _rule_from(await read_json(request), rule_id, setup)
    await _save(request, save_rule(request.app[KITCHEN].location_id, rule))
    return json_response(rule_to_json(rule))


@routes.delete(RULES + "/{rule_id}")
async def delete_rule(request: web.Request) -> web.Response:
    require(request, "stations:manage")
    await _save(request, remove_rule(request.app[KITCHEN].location_id, request.match_info["rule_id"]))
    return web.Response(status=204)
