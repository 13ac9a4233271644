"""The tables document's routes: list and get tables, assign an order, change status, clear, the
current assignments, turnover and the floor plan. Writes go through the event log (daemon.domain.tables).

`GET /api/v1/tables/{id}` serves both the location's list and one table, as the document has it: the id
is resolved by what it names — this location's id gives the list, a table's id that table, anything
else is 404 `table_not_found`. No table may take the location's id (the manager API refuses it).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from daemon.api.auth import PRINCIPAL, require
from daemon.api.context import KITCHEN, STORE
from daemon.api.responses import json_response, read_json
from daemon.api.tables_views import floor_plan, order_subtotal, table_detail, table_summary
from daemon.api.timestamps import iso
from daemon.domain.errors import Forbidden, HeardError, OrderNotFound, ValidationFailed
from daemon.domain.events import ORDER, Actor
from daemon.domain.floor import Floor, TableLayout
from daemon.domain.kds_order import parse_instant
from daemon.domain.model import Order
from daemon.domain.tables import (
    TABLE,
    TableState,
    TableStatus,
    assign,
    change_status,
    clear,
    link_order,
    unlink_order,
)
from daemon.domain.turnover import turnover
from daemon.store.store import Store
from daemon.store.turns import read_turns

routes = web.RouteTableDef()
TABLES = "/api/v1/tables"
PERMISSION = "tables"
MAX_PARTY = 500
MAX_PERIOD = timedelta(days=92)


class MissingLocationId(HeardError):
    code = "missing_location_id"
    status = 400


def actor(request: web.Request) -> Actor:
    p = request[PRINCIPAL]
    return Actor(p.sub, tuple(sorted(p.roles)), "user")


def location_of(request: web.Request, name: str = "location_id") -> str:
    """The location a route names: it must be this device's (a token for another location never gets here)."""
    value = (request.match_info.get(name) or "").strip()
    if not value:
        raise MissingLocationId("a location id is required in the path")
    location = request.app[KITCHEN].location_id
    if value != location:
        raise Forbidden(f"this device serves location {location}, not {value}", code="LOCATION_MISMATCH")
    return location


def floor_of(request: web.Request) -> Floor:
    return request.app[STORE].floor(request.app[KITCHEN].location_id)


def states_of(store: Store, floor: Floor) -> dict[str, TableState]:
    return {tid: store.table_state(tid) for tid in floor.tables}


@routes.get(TABLES)
async def list_without_location(request: web.Request) -> web.Response:
    """`?location_id=` is accepted for clients that cannot put it in the path; without it, the document's 400."""
    require(request, PERMISSION)
    location = request.query.get("location_id", "").strip()
    if not location:
        raise MissingLocationId("a location id is required: GET /api/v1/tables/{location_id}")
    request.match_info["location_id"] = location
    return _list(request, location_of(request))


def _list(request: web.Request, location: str) -> web.Response:
    store = request.app[STORE]
    floor = store.floor(location)
    return json_response({"data": [table_summary(floor, t, store.table_state(t.id)) for t in floor.tables.values()]})


@routes.get(TABLES + "/{table_id}")
async def get_tables_or_table(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    ident = request.match_info["table_id"].strip()
    location = request.app[KITCHEN].location_id
    if not ident:
        raise MissingLocationId("a location id is required in the path")
    if ident == location:
        return _list(request, location)
    store = request.app[STORE]
    floor = floor_of(request)
    layout = floor.table(ident)
    state = store.table_state(ident)
    order = await store.load(ORDER, state.seating.order_id) if state.seating else None
    return json_response(table_detail(floor, layout, state, order))


def _party_size(body: dict[str, Any]) -> int | None:
    value = body.get("party_size")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PARTY:
        raise ValidationFailed(f"party_size must be a whole number from 1 to {MAX_PARTY}", field="party_size")
    return value


@routes.put(TABLES + "/{table_id}/assign")
async def assign_table(request: web.Request) -> web.Response:
    """Seat a party: the table's event first (it decides against the newest table state, so two hosts
    seating one table get one 200 and one 409), then the order's, which names the table on its tickets."""
    require(request, PERMISSION)
    table_id = request.match_info["table_id"]
    layout = floor_of(request).table(table_id)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    order_id = body.get("order_id")
    if not isinstance(order_id, str) or not order_id.strip() or len(order_id) > 256:
        raise ValidationFailed("order_id is required (a non-empty string of at most 256 characters)", field="order_id")
    party_size = _party_size(body)
    store = request.app[STORE]
    order = await store.working(ORDER, order_id)
    if not isinstance(order, Order):
        raise OrderNotFound(f"order {order_id} not found")
    # An order still linked to a table that no longer holds it (a clear whose unlink was lost) may move.
    elsewhere = store.table_state(order.table_id).seating if order.table_id not in (None, table_id) else None
    if elsewhere is not None and elsewhere.order_id == order_id:
        raise HeardError(
            f"order {order_id} is seated at table {order.table_id}; clear that table first",
            code="order_seated_elsewhere",
            status=409,
        )
    number = str(order.fields.get("checkNumber") or order.name or order.id)
    who = actor(request)
    state, _ = await store.execute(TABLE, table_id, lambda s: assign(s, layout, order_id, party_size, number), who)
    # Skipped when the order already names this table (a retried assign): a retry heals a crash that
    # fell between the two writes, and repeats nothing.
    await store.execute(
        ORDER, order_id, lambda o: link_order(order_id, layout) if o.table_id != table_id else None, who
    )
    return json_response(
        {
            "table": {"id": table_id, "status": state.status.value, "seated_at": iso(state.seating.seated_ms)},
            "order": {"id": order_id, "table_id": table_id, "table_number": layout.number},
        }
    )


@routes.patch(TABLES + "/{table_id}/status")
async def set_status(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    table_id = request.match_info["table_id"]
    floor_of(request).table(table_id)
    body = await read_json(request)
    raw = body.get("status") if isinstance(body, dict) else None
    try:
        status = TableStatus(raw)
    except ValueError:
        allowed = ", ".join(s.value for s in TableStatus)
        raise HeardError(f"status must be one of {allowed}", code="invalid_status", field="status") from None
    state, _ = await request.app[STORE].execute(
        TABLE, table_id, lambda s: change_status(s, table_id, status), actor(request)
    )
    state = state or TableState(table_id)
    return json_response(
        {
            "id": table_id,
            "status": state.status.value,
            "status_changed_at": iso(state.status_changed_ms),
            "status_changed_by": state.status_changed_by,
        }
    )


@routes.post(TABLES + "/{table_id}/clear")
async def clear_table(request: web.Request) -> web.Response:
    """Dirty, order unlinked, and the seating recorded as a turn (carried by the clear event)."""
    require(request, PERMISSION)
    table_id = request.match_info["table_id"]
    floor = floor_of(request)
    floor.table(table_id)
    store = request.app[STORE]
    seated = store.table_state(table_id).seating
    order = await store.load(ORDER, seated.order_id) if seated else None
    subtotal = order_subtotal(order)
    who = actor(request)
    _, events = await store.execute(TABLE, table_id, lambda s: clear(s, floor, table_id, subtotal), who)
    turn = events[0].payload.get("turn") if events else None
    if turn and isinstance(await store.working(ORDER, turn["order_id"]), Order):
        await store.execute(ORDER, turn["order_id"], lambda _: unlink_order(turn["order_id"], table_id), who)
    return web.Response(status=204)


@routes.get(TABLES + "/{location_id}/assignments")
async def assignments(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location = location_of(request)
    store = request.app[STORE]
    floor = store.floor(location)
    now = request.app[STORE].now_ms()
    data, guests, statuses = [], 0, []
    for layout in floor.tables.values():
        state = store.table_state(layout.id)
        statuses.append(state.status)
        if state.seating is None:
            continue
        seating = state.seating
        guests += seating.party_size or 0
        data.append(
            {
                "table_id": layout.id,
                "table_number": layout.number,
                "order_id": seating.order_id,
                "party_size": seating.party_size,
                "seated_at": iso(seating.seated_ms),
                "server_id": seating.server_id or layout.server_id,
                "duration_minutes": max(0, (now - seating.seated_ms) // 60_000),
            }
        )
    summary = {
        "occupied_tables": statuses.count(TableStatus.OCCUPIED),
        "available_tables": statuses.count(TableStatus.AVAILABLE),
        "total_seated_guests": guests,
    }
    return json_response({"data": data, "summary": summary})


def _instant(request: web.Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    value = parse_instant(raw.strip())
    if value is None:
        raise ValidationFailed(
            f"{name} must be an ISO 8601 date-time with a zone, such as 2026-01-24T00:00:00Z", field=name
        )
    return value


@routes.get(TABLES + "/{location_id}/turnover")
async def turnover_metrics(request: web.Request) -> web.Response:
    """Hours are counted in the UTC offset of `start_date`; the default period is today in the location's
    time zone (`location.timezone`, UTC when unset)."""
    require(request, PERMISSION)
    location = location_of(request)
    store = request.app[STORE]
    now_ms = store.now_ms()
    zone = request.app[KITCHEN].zone  # the location's day, when no period is asked for
    today = datetime.fromtimestamp(now_ms / 1000, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        start = _instant(request, "start_date") or today
        end = _instant(request, "end_date") or (start + timedelta(days=1) - timedelta(seconds=1))
        start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    except (OverflowError, ValueError):
        raise ValidationFailed("start_date and end_date must lie between the years 1970 and 9998") from None
    if end <= start:
        raise ValidationFailed("end_date must be after start_date", field="end_date")
    if end - start > MAX_PERIOD:
        raise ValidationFailed(f"the period may span at most {MAX_PERIOD.days} days", field="end_date")
    offset = start.utcoffset() or timedelta(0)
    turns = await asyncio.to_thread(read_turns, store, start_ms, end_ms)
    floor = store.floor(location)
    seated_now = [s.seating.seated_ms for s in states_of(store, floor).values() if s.seating]
    figures = turnover(
        turns, seated_now, len(floor.tables), start_ms, end_ms, now_ms, int(offset.total_seconds() * 1000)
    )
    return json_response(
        {
            "period": {
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": end.isoformat().replace("+00:00", "Z"),
            },
            **figures,
        }
    )


@routes.get("/api/v1/locations/{location_id}/floor-plan")
async def get_floor_plan(request: web.Request) -> web.Response:
    require(request, PERMISSION)
    location = location_of(request)
    store = request.app[STORE]
    floor = store.floor(location)
    return json_response(floor_plan(location, floor, states_of(store, floor)))


def layout_or_404(request: web.Request, table_id: str) -> TableLayout:
    return floor_of(request).table(table_id)
