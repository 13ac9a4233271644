"""The kitchen orders API (/api/v1/kitchen), per shared/seeds/kitchen-orders-api.txt: active orders with
their items, and item status moves (pending → preparing → ready → served). Answers are `{success, data}`."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.api.auth import require
from daemon.api.context import KITCHEN, STORE
from daemon.api.notifications_json import arrival_json
from daemon.api.records import encode_each, json_body
from daemon.api.responses import json_response, read_json
from daemon.api.timestamps import iso
from daemon.domain import commands
from daemon.domain.errors import ItemNotFound, ValidationFailed
from daemon.domain.events import ORDER, Actor
from daemon.domain.model import ACTIVE_ORDER_STATUSES, CHANNEL_OF_MODE, Item, ItemStatus, Order, OrderStatus

routes = web.RouteTableDef()
BASE = "/api/v1/kitchen"
_STATUS_FILTERS = {s.value for s in ACTIVE_ORDER_STATUSES}


def kitchen_item_json(order: Order, item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "order_id": order.id,
        "line_id": item.line_id,
        "menu_item_id": item.menu_item_id,
        "name": item.name,
        "quantity": item.qty,
        "price": item.price,
        "status": item.status.value,
        "modifiers": [m.to_json() for m in item.mods],
        "special_instructions": item.special_instructions,
        "seat": item.seat,
        "course": item.course,
        "stations": list(item.stations),
        "allergens": list(item.allergens),
        "flag": item.flag.value or None,
        "extra": dict(item.extra),
        "updated_at": iso(item.updated_ms),
    }


def kitchen_order_json(order: Order, branch_id: str) -> dict[str, Any]:
    mode = order.mode
    return {
        "id": order.id,
        "branch_id": branch_id,
        "name": order.name,
        "display_name": order.display_name,
        "status": order.status.value,
        "mode": mode,
        "channel": CHANNEL_OF_MODE.get(mode, mode) if mode else None,
        "priority": order.priority,
        "canceled": order.canceled,
        "server": order.fields.get("server"),
        "covers": order.fields.get("covers"),
        "table_id": order.table_id,  # seated through the tables API
        "table": order.table_name or order.fields.get("table"),
        "check_number": order.fields.get("checkNumber"),
        "special_instructions": order.fields.get("specialInstructions"),
        "placed_at": order.fields.get("time"),
        "pickup_time": order.fields.get("pickupTime"),
        "devices": list(order.devices),
        "items": [kitchen_item_json(order, i) for i in order.items.values()],
        "courses": [{"number": c.number, "name": c.name, "status": c.status.value} for c in order.courses.values()],
        **arrival_json(order),
        "order": dict(order.fields),  # everything the POS sent, unknown fields included
        "created_at": iso(order.created_ms),
        "updated_at": iso(order.updated_ms),
    }


@routes.get(BASE + "/orders")
async def list_orders(request: web.Request) -> web.Response:
    require(request, "orders:read")
    wanted = request.query.get("status")
    if wanted is not None and wanted not in _STATUS_FILTERS:
        raise ValidationFailed(f"status must be one of {', '.join(sorted(_STATUS_FILTERS))}", field="status")
    statuses = {OrderStatus(wanted)} if wanted else set(ACTIVE_ORDER_STATUSES)
    orders = sorted(
        (o for o in request.app[STORE].active_orders() if o.status in statuses),
        key=lambda o: (not o.priority, o.created_ms),
    )
    branch = request.app[KITCHEN].location_id
    data = encode_each(request, orders, lambda o: kitchen_order_json(o, branch), lambda o: o.id)
    return json_body(b'{"success":true,"data":' + data + b"}")


@routes.patch(BASE + "/items/{item_id}/status")
async def update_item_status(request: web.Request) -> web.Response:
    principal = require(request, "orders:update_item_status")
    item_id = request.match_info["item_id"]
    body = await read_json(request)
    raw = body.get("status") if isinstance(body, dict) else None
    try:
        status = ItemStatus(raw)
    except ValueError:
        allowed = ", ".join(s.value for s in ItemStatus)
        raise ValidationFailed(f"status must be one of {allowed}", field="status") from None
    store = request.app[STORE]
    order_id = store.order_of_item(item_id)
    if order_id is None:
        raise ItemNotFound(f"order item {item_id} not found")
    actor = Actor(principal.sub, tuple(sorted(principal.roles)), "user")
    order, _ = await store.execute(ORDER, order_id, lambda o: commands.set_item_status(o, item_id, status), actor)
    return json_response({"success": True, "data": kitchen_item_json(order, order.items[item_id])})
