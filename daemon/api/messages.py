"""What each live message carries: the same shapes the REST APIs answer with, so a client parses one model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from daemon.api.coursing_views import coursing_message, order_course_json, pace_json
from daemon.api.kitchen_orders import kitchen_item_json, kitchen_order_json
from daemon.api.notifications_json import notification_json
from daemon.api.tickets import ticket_json
from daemon.domain.events import Event, OrderEvents
from daemon.domain.model import Order
from daemon.domain.notices import Notices
from daemon.domain.pacing import Pacing
from daemon.domain.setup import Setup, setup_to_json


def renderer(
    tenant_id: str, location_id: str, pacing: Callable[[], Pacing] = Pacing
) -> Callable[[Event, Any], dict[str, Any]]:
    def render(event: Event, state: Any) -> dict[str, Any]:
        if isinstance(state, Setup):
            return setup_to_json(state)
        coursing = coursing_message(event, state, tenant_id, location_id)
        if coursing is not None:
            return coursing
        if isinstance(state, Notices):
            return notification_json(event, state)
        if event.type in (OrderEvents.CUSTOMER_ARRIVED, OrderEvents.ARRIVAL_ESTIMATED) and isinstance(state, Order):
            return notification_json(event, state)
        if not isinstance(state, Order):
            return {"aggregate": event.aggregate, "id": event.aggregate_id}
        p = event.payload

        def course_of(number: int) -> dict[str, Any] | None:
            """The course an item or ticket moved, as it is now: stations drive its progress (rule 5)."""
            course = state.courses.get(number)
            return order_course_json(state, course, pacing(), tenant_id, location_id) if course else None

        if event.type == OrderEvents.ITEM_STATUS_SET and p.get("item_id") in state.items:
            item = state.items[p["item_id"]]
            return {
                "order_id": state.id,
                "order_status": state.status.value,
                "item": kitchen_item_json(state, item),
                "course": course_of(item.course),
            }
        if event.type == OrderEvents.TICKET_SEEN:
            seen = [state.tickets[t] for t in p.get("ticket_ids", ()) if t in state.tickets]
            tickets = [ticket_json(state, t, tenant_id, location_id) for t in seen]
            return {"order_id": state.id, "station_id": p.get("station_id"), "tickets": tickets}
        if event.type.startswith("ticket.") and p.get("ticket_id") in state.tickets:
            moved = state.tickets[p["ticket_id"]]
            ticket = ticket_json(state, moved, tenant_id, location_id)
            return {
                "order_id": state.id,
                "order_status": state.status.value,
                "ticket": ticket,
                "course": course_of(moved.course),
            }
        if event.type.startswith("course.") and int(p.get("course", 0)) in state.courses:
            # The coursing API's OrderCourse, as GET …/courses answers it.
            course = order_course_json(state, state.courses[int(p["course"])], pacing(), tenant_id, location_id)
            return {"order_id": state.id, "order_status": state.status.value, "course": course}
        if event.type == OrderEvents.PACE_SET:
            return pace_json(state)
        return kitchen_order_json(state, location_id)

    return render
