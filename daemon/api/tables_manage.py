"""The managers' side of the tables API: create, edit and delete tables, sections, fixtures and the floor
plan. Not in the tables document; designed in its style (docs/api.md, "Tables: managing the floor")."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from daemon.api.auth import require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response, read_json
from daemon.api.tables import TABLES, actor, floor_of, location_of
from daemon.api.tables_views import plain, table_detail
from daemon.domain.errors import Conflict, ValidationFailed
from daemon.domain.events import Change
from daemon.domain.floor import (
    FLOOR,
    Bounds,
    Fixture,
    FixtureNotFound,
    Floor,
    Position,
    Section,
    SectionNotFound,
    Size,
    TableLayout,
    TableOccupied,
    TableShape,
    clear_floor,
    remove_fixture,
    remove_section,
    remove_table,
    save_fixture,
    save_section,
    save_table,
    set_dimensions,
)

routes = web.RouteTableDef()
PERMISSION = "tables:manage"
PLAN = "/api/v1/locations/{location_id}/floor-plan"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FIELD = re.compile(r"at `\$\.([A-Za-z_]+)|required field `([A-Za-z_]+)`")
T = TypeVar("T")


class TableInput(msgspec.Struct, forbid_unknown_fields=False):
    number: str | int
    capacity: int
    name: str | None = None
    section_id: str | None = None
    min_capacity: int | None = None
    shape: TableShape = TableShape.RECTANGLE
    dimensions: Size | None = None
    position: Position | None = None
    features: list[str] = []
    server_id: str | None = None
    server_name: str | None = None


class SectionInput(msgspec.Struct, forbid_unknown_fields=False):
    name: str
    color: str | None = None
    bounds: Bounds | None = None


class FixtureInput(msgspec.Struct, forbid_unknown_fields=False):
    type: str
    position: Position
    dimensions: Size | None = None
    label: str | None = None


class PlanInput(msgspec.Struct, forbid_unknown_fields=False):
    dimensions: Size | None = None


def _convert(body: Any, kind: type[T]) -> T:
    """A body as `kind`, or a 400 naming the field that is wrong (msgspec says where)."""
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    try:
        return msgspec.convert(body, kind)
    except msgspec.ValidationError as exc:
        found = _FIELD.search(str(exc))
        raise ValidationFailed(
            str(exc).replace("`$.", "`"), field=(found.group(1) or found.group(2)) if found else None
        ) from None


def _new_id(body: Any, prefix: str, location: str) -> str:
    raw = body.get("id") if isinstance(body, dict) else None
    if raw is None:
        return f"{prefix}_{uuid.uuid4().hex[:10]}"
    if not isinstance(raw, str) or not _ID.match(raw):
        raise ValidationFailed("id must be 1–64 letters, digits, '.', '_' or '-'", field="id")
    if raw == location:
        raise ValidationFailed("id must differ from the location id (GET /api/v1/tables/{id} reads either)", field="id")
    return raw


def _text(value: str | None, name: str, limit: int = 120) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > limit or not value.isprintable():
        raise ValidationFailed(f"{name} must be 1–{limit} printable characters", field=name)
    return value


async def _write(request: web.Request, decide: Callable[[Floor], Change]) -> Floor:
    """One floor change, decided against the newest floor (pending writes included)."""
    location = request.app[KITCHEN].location_id
    floor, _ = await request.app[STORE].execute(FLOOR, location, lambda f: decide(f or Floor()), actor(request))
    assert isinstance(floor, Floor)
    return floor


# ---- tables ----


def _layout(table_id: str, body: Any, now_ms: int) -> TableLayout:
    data = _convert(body, TableInput)
    number = _text(str(data.number), "number", 16)
    assert number is not None
    if not 1 <= data.capacity <= 500:
        raise ValidationFailed("capacity must be from 1 to 500", field="capacity")
    if data.min_capacity is not None and not 1 <= data.min_capacity <= data.capacity:
        raise ValidationFailed("min_capacity must be from 1 to capacity", field="min_capacity")
    features = tuple(f for f in (_text(f, "features", 40) for f in data.features) if f)
    return TableLayout(
        id=table_id,
        number=number,
        name=_text(data.name, "name") or f"Table {number}",
        capacity=data.capacity,
        section_id=data.section_id,
        min_capacity=data.min_capacity,
        shape=data.shape,
        dimensions=data.dimensions,
        position=data.position,
        features=features,
        server_id=_text(data.server_id, "server_id"),
        server_name=_text(data.server_name, "server_name"),
        created_ms=now_ms,
    )


def _check_table(floor: Floor, table: TableLayout) -> None:
    if table.section_id is not None and table.section_id not in floor.sections:
        raise ValidationFailed(
            f"section_id {table.section_id!r} is not a section of the floor plan", field="section_id"
        )
    for other in floor.tables.values():
        if other.id != table.id and other.number == table.number:
            raise Conflict(f"table {other.id} already has number {table.number}", code="table_number_taken")


def _save_table(request: web.Request, table: TableLayout) -> Callable[[Floor], Change]:
    location = request.app[KITCHEN].location_id

    def decide(floor: Floor) -> Change:
        _check_table(floor, table)
        return save_table(location, table)

    return decide


def _detail(request: web.Request, floor: Floor, table_id: str) -> dict[str, Any]:
    return table_detail(floor, floor.table(table_id), request.app[STORE].table_state(table_id), None)


@routes.post("/api/v1/locations/{location_id}/tables")
async def create_table(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location = location_of(request)
    body = await read_json(request)
    table_id = _new_id(body, "tbl", location)
    if table_id in floor_of(request).tables:
        raise Conflict(f"table {table_id} already exists", code="table_exists")
    table = _layout(table_id, body, request.app[STORE].now_ms())
    floor = await _write(request, _save_table(request, table))
    return json_response(_detail(request, floor, table_id), status=201)


@routes.patch(TABLES + "/{table_id}")
async def edit_table(request: web.Request) -> web.Response:
    """A partial edit: the fields sent replace the table's; `null` clears an optional one."""
    require(request, PERMISSION)
    table_id = request.match_info["table_id"]
    old = floor_of(request).table(table_id)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    merged = {**msgspec.to_builtins(old), **{k: v for k, v in body.items() if k not in ("id", "created_ms")}}
    table = _layout(table_id, merged, old.created_ms)
    floor = await _write(request, _save_table(request, table))
    return json_response(_detail(request, floor, table_id))


@routes.delete(TABLES + "/{table_id}")
async def delete_table(request: web.Request) -> web.Response:
    """A table with a party at it stays: its order would lose its table mid-meal."""
    require(request, PERMISSION)
    table_id = request.match_info["table_id"]
    floor_of(request).table(table_id)
    seating = request.app[STORE].table_state(table_id).seating
    if seating is not None:
        raise TableOccupied(f"table {table_id} has order {seating.order_id}; clear it first")
    await _write(request, lambda f: remove_table(request.app[KITCHEN].location_id, f.table(table_id).id))
    return web.Response(status=204)


# ---- the floor plan, its sections and fixtures ----


@routes.put(PLAN)
async def put_floor_plan(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location = location_of(request)
    plan = _convert(await read_json(request), PlanInput)
    floor = await _write(request, lambda f: set_dimensions(location, plan.dimensions))
    return json_response({"location_id": location, "dimensions": plain(floor.dimensions)})


@routes.delete(PLAN)
async def delete_floor_plan(request: web.Request) -> web.Response:
    """Removes sections, fixtures and dimensions; refused (409 floor_plan_in_use) while tables remain."""
    require(request, PERMISSION)
    location = location_of(request)
    await _write(request, lambda f: clear_floor(location))
    return web.Response(status=204)


def _section(section_id: str, body: Any) -> Section:
    data = _convert(body, SectionInput)
    name = _text(data.name, "name")
    assert name is not None
    return Section(section_id, name, _text(data.color, "color", 32), data.bounds)


def _fixture(fixture_id: str, body: Any) -> Fixture:
    data = _convert(body, FixtureInput)
    kind = _text(data.type, "type", 40)
    assert kind is not None
    return Fixture(fixture_id, kind, data.position, data.dimensions, _text(data.label, "label"))


def _part_routes(
    part: str,
    prefix: str,
    build: Callable[[str, Any], Any],
    parts_of: Callable[[Floor], dict[str, Any]],
    save: Callable[[str, Any], Change],
    remove: Callable[[str, str], Change],
    not_found: Callable[[str], Exception],
) -> None:
    """Create, edit and delete for one kind of part of the plan (sections, fixtures): the same three
    routes, the same checks, the same answers. Deleting a section with tables in it is 409
    section_in_use (the fold refuses it): move or remove its tables first."""
    base, key = f"{PLAN}/{part}s", f"{part}_id"

    async def create(request: web.Request) -> web.Response:
        require(request, PERMISSION)
        location = location_of(request)
        body = await read_json(request)
        item = build(_new_id(body, prefix, location), body)
        if item.id in parts_of(floor_of(request)):
            raise Conflict(f"{part} {item.id} already exists", code=f"{part}_exists")
        await _write(request, lambda f: save(location, item))
        return json_response(plain(item), status=201)

    async def edit(request: web.Request) -> web.Response:
        require(request, PERMISSION)
        location = location_of(request)
        item_id = request.match_info[key]
        old = parts_of(floor_of(request)).get(item_id)
        if old is None:
            raise not_found(f"{part} {item_id} does not exist")
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ValidationFailed("the body must be a JSON object")
        item = build(item_id, {**msgspec.to_builtins(old), **body})
        await _write(request, lambda f: save(location, item))
        return json_response(plain(item))

    async def delete(request: web.Request) -> web.Response:
        require(request, PERMISSION)
        location = location_of(request)
        item_id = request.match_info[key]
        await _write(request, lambda f: remove(location, item_id))
        return web.Response(status=204)

    for handler, verb in ((create, "create"), (edit, "edit"), (delete, "delete")):
        handler.__name__ = f"{verb}_{part}"
    routes.post(base)(create)
    routes.patch(f"{base}/{{{key}}}")(edit)
    routes.delete(f"{base}/{{{key}}}")(delete)


_part_routes("section", "sec", _section, lambda f: f.sections, save_section, remove_section, SectionNotFound)
_part_routes("fixture", "fix", _fixture, lambda f: f.fixtures, save_fixture, remove_fixture, FixtureNotFound)
