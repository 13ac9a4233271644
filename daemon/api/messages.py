"""What each live message carries: the same shapes the REST APIs answer with, so a client parses one model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daemon.api.kitchen_orders import kitchen_item_json, kitchen_order_json
from daemon.api.notifications_json import notification_json
from daemon.api.tickets import ticket_json
from daemon.domain.codec import course_to_json
from daemon.domain.events import Event, OrderEvents
from daemon.domain.model import Order
from daemon.domain.notices import Notices
from daemon.domain.setup import Setup, setup_to_json


def renderer(tenant_id: str, location_id: str) -> Callable[[Event, Any], dict[str, Any]]:
    def render(event: Event, state: Any) -> dict[str, Any]:
        if isinstance(state, Setup):
            return setup_to_json(state)
        if isinstance(state, Notices):
            return notification_json(event, state)
        if event.type in (OrderEvents.CUSTOMER_ARRIVED, OrderEvents.ARRIVAL_ESTIMATED) and isinstance(state, Order):
            return notification_json(event, state)
        if not isinstance(state, Order):
            return {"aggregate": event.aggregate, "id": event.aggregate_id}
        p = event.payload
        if event.type == OrderEvents.ITEM_STATUS_SET and p.get("item_id") in state.items:
            item = state.items[p["item_id"]]
            return {"order_id": state.id, "order_status": state.status.value, "item": kitchen_item_json(state, item)}
        if event.type == OrderEvents.TICKET_SEEN:
            seen = [state.tickets[t] for t in p.get("ticket_ids", ()) if t in state.tickets]
            tickets = [ticket_json(state, t, tenant_id, location_id) for t in seen]
            return {"order_id": state.id, "station_id": p.get("station_id"), "tickets": tickets}
        if event.type.startswith("ticket.") and p.get("ticket_id") in state.tickets:
            ticket = ticket_json(state, state.tickets[p["ticket_id"]], tenant_id, location_id)
            return {"order_id": state.id, "order_status": state.status.value, "ticket": ticket}
        if event.type.startswith("course.") and int(p.get("course", 0)) in state.courses:
            course = course_to_json(state.courses[int(p["course"])])
            return {"order_id": state.id, "order_status": state.status.value, "course": course}
        return kitchen_order_json(state, location_id)

    return render
