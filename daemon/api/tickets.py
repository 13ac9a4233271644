"""The station tickets API (/api/v1/kds/stations/{station_id}/…), per shared/seeds/station-tickets-api.txt.

Tickets are addressed by (station, order); which of the order's tickets at that station a request
means is the domain's current-ticket rule (daemon.domain.commands.current_ticket).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from daemon.api.auth import PRINCIPAL, require
from daemon.api.context import KITCHEN, STORE
from daemon.api.records import encode_each, json_body
from daemon.api.responses import json_response, read_json
from daemon.api.timestamps import iso
from daemon.domain import commands, kds_order
from daemon.domain.errors import OrderNotFound, StationNotFound, ValidationFailed
from daemon.domain.events import ORDER, Actor
from daemon.domain.intake import parse_duration_seconds, parse_instant
from daemon.domain.model import (
    ACTIVE_TICKET_STATUSES,
    CHANNEL_OF_MODE,
    FINISHED_TICKET_STATUSES,
    Item,
    Order,
    Ticket,
    TicketAction,
    TicketPriority,
)

routes = web.RouteTableDef()
BASE = "/api/v1/kds/stations/{station_id}"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
_PRIORITY_RANK = {TicketPriority.URGENT: 0, TicketPriority.HIGH: 1, TicketPriority.NORMAL: 2}


def _seat_number(seat: str | None) -> int | str | None:
    """The seat's number ("Seat 3" → 3), read as intake bounds it; the label itself when it holds none, or
    holds one out of range (an order stored before intake bounded seats must not break every read)."""
    if seat is None:
        return None
    number = kds_order.label_number(seat) if len(seat) <= kds_order.TEXT_MAX_LENGTH else None
    return number if number is not None and number <= kds_order.SEAT_MAX else seat


def item_json(item: Item) -> dict[str, Any]:
    return {
        "menu_item_id": item.menu_item_id,
        "name": item.name,
        "quantity": item.qty,
        "modifiers": [
            {"modifier_id": m.id, "name": m.name, "quantity": m.qty, "allergens": list(m.allergens)} for m in item.mods
        ],
        "special_instructions": item.special_instructions,
        "seat_number": _seat_number(item.seat),
        "course": item.course,
        "is_done": item.is_done,
        "allergens": list(item.allergens),
        # Heard's own, beside the seed's fields:
        "item_id": item.id,
        "line_id": item.line_id,
        "status": item.status.value,
        "flag": item.flag.value or None,
    }


def _timing(order: Order) -> tuple[str | None, int | None]:
    """target_time: the pickup time, else placed + prep duration; estimated_prep_time in seconds. Values out of
    intake's ranges (stored before it had them) count as absent: no estimate rather than no answer."""
    prep = order.fields.get("prepTimeDuration")
    seconds = parse_duration_seconds(prep) if isinstance(prep, str) else None
    if seconds is not None and seconds > kds_order.PREP_MAX_SECONDS:
        seconds = None
    pickup = order.fields.get("pickupTime")
    instant = parse_instant(pickup) if isinstance(pickup, str) else None
    if instant is not None and kds_order.EARLIEST <= instant < kds_order.LATEST:
        return iso(int(instant.timestamp() * 1000)), int(seconds) if seconds is not None else None
    if seconds is not None:
        return iso(order.created_ms + int(seconds * 1000)), int(seconds)
    return None, None


def ticket_json(order: Order, ticket: Ticket, tenant_id: str, location_id: str) -> dict[str, Any]:
    target_time, prep_seconds = _timing(order)
    mode = order.mode
    return {
        "id": ticket.id,
        "tenant_id": tenant_id,
        "location_id": location_id,
        "order_id": order.id,
        "station_id": ticket.station_id,
        "items": [item_json(i) for i in order.items_of(ticket)],
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "course_number": ticket.course,
        "order_channel": CHANNEL_OF_MODE.get(mode, mode) if mode else None,
        "order_reference": order.table_name or order.fields.get("table") or order.display_name,
        "customer_name": order.name or None,
        "server_name": order.fields.get("server"),
        "target_time": target_time,
        "estimated_prep_time": ticket.estimated_prep_seconds or prep_seconds,
        "metadata": {
            "order_name": order.display_name,
            "order_priority": order.priority,
            "canceled": order.canceled,
            "mode": mode,
            "course_name": order.courses[ticket.course].name if ticket.course in order.courses else None,
        },
        "created_at": iso(ticket.created_ms),
        "started_at": iso(ticket.started_ms),
        "ready_at": iso(ticket.ready_ms),
        "completed_at": iso(ticket.completed_ms),
        "updated_at": iso(ticket.updated_ms),
        "seen_at": iso(ticket.seen_ms),  # Heard's own: when a screen of the station first displayed it
    }


def _station(request: web.Request) -> str:
    station_id = request.match_info["station_id"]
    setup = request.app[STORE].setup(request.app[KITCHEN].location_id)
    if station_id not in setup.stations:
        raise StationNotFound(f"station {station_id} not found")
    return station_id


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"limit must be a whole number, not {raw!r}", field="limit") from None
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return value


@routes.get(BASE + "/tickets")
async def list_tickets(request: web.Request) -> web.Response:
    require(request, "tickets:read")
    station_id = _station(request)
    which = request.query.get("status")
    if which not in (None, "", "completed", "all"):
        raise ValidationFailed("status must be omitted (active), completed or all", field="status")
    limit = _limit(request)
    orders = request.app[STORE].orders_at_station(station_id, active_only=not which)
    pairs = [(o, t) for o in orders for t in o.tickets_at(station_id)]
    if which == "completed":
        pairs = [(o, t) for o, t in pairs if t.status in FINISHED_TICKET_STATUSES]
        pairs.sort(key=lambda p: -(p[1].completed_ms or p[1].updated_ms))
    else:
        if not which:
            pairs = [(o, t) for o, t in pairs if t.status in ACTIVE_TICKET_STATUSES]
        # Priority first (the integrator's priority flag moves an order to the front), then oldest first.
        pairs.sort(key=lambda p: (_PRIORITY_RANK[p[1].priority], not p[0].priority, p[1].created_ms, p[1].course))
    kitchen = request.app[KITCHEN]
    body = encode_each(
        request,
        pairs[:limit],
        lambda p: ticket_json(p[0], p[1], kitchen.tenant_id, kitchen.location_id),
        lambda p: f"order={p[0].id} ticket={p[1].id}",
    )
    return json_body(body)


def _actor(request: web.Request) -> Actor:
    principal = request[PRINCIPAL]
    return Actor(principal.sub, tuple(sorted(principal.roles)), "user")


async def _act(
    request: web.Request, action: TicketAction | None, priority: TicketPriority | None = None
) -> web.Response:
    station_id = _station(request)
    order_id = request.match_info["order_id"]

    def decide(order: Order | None) -> Any:
        if order is None:
            raise OrderNotFound(f"order {order_id} not found")
        if action is None:
            assert priority is not None
            return commands.set_ticket_priority(order, station_id, priority)
        return commands.ticket_action(order, station_id, action)

    order, events = await request.app[STORE].execute(ORDER, order_id, decide, _actor(request))
    ticket = order.tickets[events[-1].payload["ticket_id"]]
    kitchen = request.app[KITCHEN]
    return json_response(ticket_json(order, ticket, kitchen.tenant_id, kitchen.location_id))


def _action_route(action: TicketAction, permission: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        require(request, permission)
        return await _act(request, action)

    handler.__name__ = f"ticket_{action.value}"
    routes.post(f"{BASE}/orders/{{order_id}}/ticket/{action.value}")(handler)


for _action in (TicketAction.START, TicketAction.READY, TicketAction.BUMP, TicketAction.RECALL):
    _action_route(_action, "tickets:write")
_action_route(TicketAction.VOID, "tickets:void")


@routes.post(BASE + "/orders/{order_id}/ticket/priority")
async def ticket_priority(request: web.Request) -> web.Response:
    require(request, "tickets:write")
    body = await read_json(request)
    value = body.get("priority") if isinstance(body, dict) else None
    try:
        priority = TicketPriority(value)
    except ValueError:
        raise ValidationFailed("priority must be one of normal, high, urgent", field="priority") from None
    return await _act(request, None, priority)


MAX_SEEN_ORDERS = 500  # a full screen is ~40 cards; a screen catching up after a reconnect sends more


def _seen_request(body: Any) -> tuple[list[str], str | None]:
    if not isinstance(body, dict) or not isinstance(body.get("order_ids"), list):
        raise ValidationFailed("order_ids must be a list of order ids", field="order_ids")
    order_ids = body["order_ids"]
    if not 1 <= len(order_ids) <= MAX_SEEN_ORDERS:
        raise ValidationFailed(f"order_ids must hold 1 to {MAX_SEEN_ORDERS} ids", field="order_ids")
    if not all(isinstance(o, str) and 0 < len(o) <= kds_order.ID_MAX_LENGTH for o in order_ids):
        raise ValidationFailed(
            f"each order id must be a string of 1 to {kds_order.ID_MAX_LENGTH} characters", field="order_ids"
        )
    screen = body.get("screen_id")
    if screen is not None and not (isinstance(screen, str) and len(screen) <= kds_order.ID_MAX_LENGTH):
        raise ValidationFailed(
            f"screen_id must be a string of at most {kds_order.ID_MAX_LENGTH} characters", field="screen_id"
        )
    return list(dict.fromkeys(order_ids)), screen


@routes.post(BASE + "/tickets/seen")
async def tickets_seen(request: web.Request) -> web.Response:
    """A screen of the station acknowledges the orders it displayed: their tickets there that are to be
    worked become seen (the first time only). Orders this device does not know are listed, not refused:
    a screen acknowledges what it drew, and one order gone meanwhile must not cost the others."""
    require(request, "tickets:write")
    station_id = _station(request)
    order_ids, screen = _seen_request(await read_json(request))
    store, actor = request.app[STORE], _actor(request)
    answer: dict[str, list[str]] = {"seen": [], "already_seen": [], "not_found": []}
    for order_id in order_ids:

        def decide(order: Order | None) -> Any:
            return None if order is None else commands.mark_seen(order, station_id, screen)

        order, events = await store.execute(ORDER, order_id, decide, actor)
        which = "not_found" if order is None else "seen" if events else "already_seen"
        answer[which].append(order_id)
    return json_response(answer)
