"""How notifications read in live events and on orders: one shape for the WebSocket and the REST order."""

from __future__ import annotations

from typing import Any

from daemon.api.timestamps import iso
from daemon.domain.events import Event, OrderEvents
from daemon.domain.model import Order
from daemon.domain.notices import Notices, notice_id


def arrival_json(order: Order) -> dict[str, Any]:
    """What a screen shows of a customer's arrival: the banner's time, and the latest estimate."""
    estimated_ms = None
    if order.arrival_minutes is not None and order.arrival_estimated_ms is not None:
        estimated_ms = order.arrival_estimated_ms + order.arrival_minutes * 60_000
    return {
        "customer_arrived_at": iso(order.customer_arrived_ms),
        "arrival_minutes": order.arrival_minutes,
        "estimated_arrival_at": iso(estimated_ms),
    }


def notification_json(event: Event, state: Order | Notices) -> dict[str, Any]:
    """The data of a notification:* live event: who it is for, and what to show."""
    devices = list(event.payload.get("devices") or ())
    if isinstance(state, Notices):
        message = str(event.payload.get("message", ""))
        return {"id": notice_id(event), "message": message, "devices": devices, "sent_at": iso(event.at_ms)}
    body = {"order_id": state.id, "display_name": state.display_name, "devices": devices, **arrival_json(state)}
    if event.type == OrderEvents.ARRIVAL_ESTIMATED:
        body["minutes"] = event.payload.get("minutes")
    return body
