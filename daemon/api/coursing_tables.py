"""Coursing's table sync (/api/v1/coursing/tables…), per shared/seeds/coursing-api.txt: orders at one table
fired course by course together, advancing only when every order is ready. A sync groups order ids
under a table label; the floor plan is the tables API's."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from daemon.api import coursing_state as cs
from daemon.api.context import KITCHEN, STORE
from daemon.api.coursing_views import sync_complete, sync_json, sync_status_json
from daemon.api.responses import json_response, read_json
from daemon.api.timestamps import iso
from daemon.domain import coursing
from daemon.domain import table_sync as ts
from daemon.domain.errors import CourseNotFound, ValidationFailed
from daemon.domain.events import ORDER, Actor, Change
from daemon.domain.model import CourseStatus, Order
from daemon.domain.table_sync import TABLE_SYNCS, TableSync
from daemon.store.store import Store

routes = web.RouteTableDef()
BASE = "/api/v1/coursing/tables"
ID_MAX = 128
ORDERS_MAX = 50


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_MAX:
        raise ValidationFailed(f"{field} must be a non-empty string of at most {ID_MAX} characters", field=field)
    return value


async def _existing_order(store: Store, order_id: str) -> Order:
    order: Order | None = await store.load(ORDER, order_id)
    return coursing.existing(order, order_id)


def _sync(request: web.Request) -> TableSync:
    return ts.sync_of(cs.syncs(request.app[STORE], cs.location(request)), request.match_info["table_id"])


def _orders(store: Store, sync: TableSync) -> dict[str, Order | None]:
    return {oid: store.order(oid) for oid in sync.order_ids}


def _status(request: web.Request, sync: TableSync) -> dict[str, Any]:
    store = request.app[STORE]
    orders = _orders(store, sync)
    body = sync_status_json(sync, orders)
    pacing = cs.pacing(store, cs.location(request))
    upcoming = [
        at
        for order in orders.values()
        if order is not None and not order.canceled
        for course in order.courses.values()
        if course.status is CourseStatus.HELD and course.number > sync.current_course
        if (at := pacing.scheduled_fire_ms(order, course)) is not None
    ]
    if upcoming:
        body["next_fire_at"] = iso(min(upcoming))
    return body


def _sync_answer(request: web.Request, sync: TableSync, status: int = 200) -> web.Response:
    kitchen = request.app[KITCHEN]
    complete = sync_complete(sync, _orders(request.app[STORE], sync))
    return json_response(sync_json(sync, kitchen.tenant_id, kitchen.location_id, complete), status=status)


@routes.post(BASE)
async def create_sync(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    body = cs.body_object(await read_json(request))
    location = cs.check_location(request, body.get("location_id"))
    table_id = _text(body.get("table_id"), "table_id")
    raw = body.get("order_ids")
    if not isinstance(raw, list) or len(raw) > ORDERS_MAX:
        raise ValidationFailed(f"order_ids must be a list of at most {ORDERS_MAX} order ids", field="order_ids")
    order_ids = list(dict.fromkeys(_text(o, "order_ids") for o in raw))
    store = request.app[STORE]
    for oid in order_ids:
        await _existing_order(store, oid)
    sync_id = str(uuid.uuid4())
    book, _ = await store.execute(
        TABLE_SYNCS, location, lambda b: ts.create(b, location, sync_id, table_id, order_ids), actor
    )
    return _sync_answer(request, book.syncs[table_id], 201)


@routes.get(BASE + "/{table_id}")
async def sync_status(request: web.Request) -> web.Response:
    cs.actor(request)
    return json_response(_status(request, _sync(request)))


@routes.delete(BASE + "/{table_id}")
async def delete_sync(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    table_id, location = request.match_info["table_id"], cs.location(request)
    await request.app[STORE].execute(TABLE_SYNCS, location, lambda b: ts.delete(b, location, table_id), actor)
    return web.Response(status=204)


@routes.post(BASE + "/{table_id}/orders/{order_id}")
async def add_order(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    table_id, order_id, location = request.match_info["table_id"], request.match_info["order_id"], cs.location(request)
    _sync(request)
    store = request.app[STORE]
    await _existing_order(store, order_id)
    book, _ = await store.execute(TABLE_SYNCS, location, lambda b: ts.add_order(b, location, table_id, order_id), actor)
    return _sync_answer(request, book.syncs[table_id])


@routes.delete(BASE + "/{table_id}/orders/{order_id}")
async def remove_order(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    table_id, order_id, location = request.match_info["table_id"], request.match_info["order_id"], cs.location(request)
    book, _ = await request.app[STORE].execute(
        TABLE_SYNCS, location, lambda b: ts.remove_order(b, location, table_id, order_id), actor
    )
    return _sync_answer(request, book.syncs[table_id])


async def fire_table_course(store: Store, location: str, sync: TableSync, number: int, actor: Actor, now: int) -> None:
    """Fire `number` on every order of the table that holds it, then move the table to that course."""
    for oid in sync.order_ids:

        def decide(order: Order | None, n: int = number) -> Change | None:
            if order is None or order.canceled:
                return None
            course = order.courses.get(n)
            if course is None or course.status is not CourseStatus.HELD:
                return None
            return coursing.fire(order, n, actor.sub)

        await store.execute(ORDER, oid, decide, actor)
    if number != sync.current_course:
        table_id = sync.table_id
        await store.execute(TABLE_SYNCS, location, lambda _: ts.advance(location, table_id, number, now, None), actor)


@routes.post(BASE + "/{table_id}/fire/{course_number}")
async def fire_course(request: web.Request) -> web.Response:
    actor = cs.actor(request)
    number = coursing.course_number(request.match_info["course_number"])
    sync = _sync(request)
    store, location = request.app[STORE], cs.location(request)
    orders = [o for o in _orders(store, sync).values() if o is not None]
    if not any(number in o.courses for o in orders):
        raise CourseNotFound(f"no order at table {sync.table_id} has course {number}", code="COURSE_NOT_FOUND")
    await fire_table_course(store, location, sync, number, actor, cs.now_ms(request))
    return json_response(_status(request, _sync(request)))


@routes.post(BASE + "/{table_id}/advance")
async def advance(request: web.Request) -> web.Response:
    """The table's status once advanced to its next course (fired for every order), or null: some order
    is not ready, or there is no course left to advance to."""
    actor = cs.actor(request)
    sync = _sync(request)
    store, location = request.app[STORE], cs.location(request)
    orders = _orders(store, sync)
    if not sync_complete(sync, orders):
        return json_response(None)
    later = sorted(
        {n for o in orders.values() if o is not None and not o.canceled for n in o.courses if n > sync.current_course}
    )
    if not later:
        return json_response(None)
    await fire_table_course(store, location, sync, later[0], actor, cs.now_ms(request))
    return json_response(_status(request, _sync(request)))
