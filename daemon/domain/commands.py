"""Commands: a request, checked against current state, becomes the changes (unstamped events) to log.

State rules live in the fold's `apply`; the store applies each change before it is logged, so a
command that the fold would refuse is refused with the same error. Ids are derived, never random:
a lineId names the same item on every device, and a line without one is named by the fold after
the event that brought it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from daemon.domain.courses import course_name, course_number, starting, template_of
from daemon.domain.errors import OrderExists, OrderNotFound, TicketNotFound
from daemon.domain.events import ORDER, Change, OrderEvents
from daemon.domain.fold import TICKET_EVENT_OF_ACTION, item_id
from daemon.domain.model import (
    ACTIVE_TICKET_STATUSES,
    CourseTemplate,
    ItemStatus,
    Order,
    Ticket,
    TicketAction,
    TicketPriority,
    TicketStatus,
)
from daemon.domain.routing import Routing

_KNOWN_ITEM_KEYS = frozenset(
    {
        "id",
        "lineId",
        "name",
        "qty",
        "price",
        "mods",
        "specialInstructions",
        "course",
        "courseStatus",
        "seat",
        "category",
        "allergens",
    }
)


_LABELS_MAX = 1024


@dataclass(frozen=True)
class Kitchen:
    """What commands need to know about the location: routing and course templates."""

    routing: Routing
    templates: tuple[CourseTemplate, ...]
    _course_of_label: dict[str | None, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    _course_specs: dict[tuple[int, frozenset[str]], dict[str, Any]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def course_of(self, label: str | None) -> int:
        """The course an item's `course` label names (courses.course_number), remembered per kitchen:
        a POS sends the same few labels all day."""
        number = self._course_of_label.get(label)
        if number is None:
            number = course_number(label, self.templates)
            if len(self._course_of_label) >= _LABELS_MAX:
                self._course_of_label.clear()
            self._course_of_label[label] = number
        return number

    def course_spec(self, number: int, hints: frozenset[str]) -> dict[str, Any]:
        """A new course's spec (its name and starting status, rule 2) for the hints its items sent,
        remembered per kitchen like the labels: a fresh copy each time, since it goes into an event."""
        key = (number, hints)
        spec = self._course_specs.get(key)
        if spec is None:
            status, auto = starting(number, hints, self.templates)
            template = template_of(number, self.templates)
            spec = {"number": number, "name": course_name(number, self.templates), "status": status.value}
            if auto:
                spec["auto"] = True
            if template is not None and template.id is not None:
                spec["template"] = template.id
            if len(self._course_specs) >= _LABELS_MAX:
                self._course_specs.clear()
            self._course_specs[key] = spec
        return dict(spec)


def _str_or_none(value: Any) -> str | None:
    return value if value is None or value.__class__ is str else str(value)


def build_items(order_id: str, raw_items: Sequence[Mapping[str, Any]], kitchen: Kitchen) -> list[dict[str, Any]]:
    """Checked KdsItems → the item form carried by events: course and stations resolved, and the id
    of a line with a lineId. A line without one gets its id from the fold, which derives it from the
    event: a command only sees one device's view, so any id it made could be made again elsewhere.

    One pass per item, with each lookup bound once: it runs for every item of every order."""
    built = []
    route = kitchen.routing.route
    course_of = kitchen.course_of
    known = _KNOWN_ITEM_KEYS
    for raw in raw_items:
        get = raw.get
        line_id = _str_or_none(get("lineId"))
        name = str(raw["name"])
        menu_item_id = _str_or_none(get("id"))
        category = _str_or_none(get("category"))
        label = _str_or_none(get("course"))
        mods = get("mods")
        allergens = get("allergens")
        unknown = raw.keys() - known
        item: dict[str, Any] = {
            "lineId": line_id,
            "menuItemId": menu_item_id,
            "name": name,
            "qty": int(raw["qty"]),
            "price": _str_or_none(get("price")),
            "mods": list(mods) if mods else [],
            "specialInstructions": _str_or_none(get("specialInstructions")),
            "seat": _str_or_none(get("seat")),
            "course": course_of(label),
            "courseLabel": label,
            "courseStatus": get("courseStatus"),
            "category": category,
            "allergens": [a if a.__class__ is str else str(a) for a in allergens] if allergens else [],
            "stations": list(route(name=name, menu_item_id=menu_item_id, category=category)),
            "extra": {k: v for k, v in raw.items() if k in unknown} if unknown else {},
        }
        if line_id is not None:
            item["id"] = item_id(order_id, line_id)
        built.append(item)
    return built


def new_courses(items: Sequence[Mapping[str, Any]], order: Order | None, kitchen: Kitchen) -> list[dict[str, Any]]:
    """The courses these items open that the order does not have yet, each with its starting status."""
    known = order.courses if order else {}
    hints: dict[int, set[str]] = {}
    for item in items:
        number = item["course"]
        found = hints.get(number)
        if found is None:
            found = hints[number] = set()
        hint = item.get("courseStatus")
        if hint:
            found.add(hint)
    return [kitchen.course_spec(n, frozenset(h)) for n, h in sorted(hints.items()) if n not in known]


def create_order(
    existing: Order | None,
    fields: Mapping[str, Any],
    raw_items: Sequence[Mapping[str, Any]],
    devices: Sequence[str],
    kitchen: Kitchen,
) -> Change:
    if existing is not None:
        raise OrderExists("Could not create resource. Id already exists")
    oid = str(fields["id"])
    items = build_items(oid, raw_items, kitchen)
    payload = {
        "fields": dict(fields),
        "devices": list(devices),
        "items": items,
        "courses": new_courses(items, None, kitchen),
    }
    return Change(OrderEvents.CREATED, ORDER, oid, payload)


def _existing(order: Order | None, oid: str) -> Order:
    if order is None:
        raise OrderNotFound("Could not update. No resource found")
    return order


def replace_order(
    existing: Order | None, fields: Mapping[str, Any], raw_items: Sequence[Mapping[str, Any]], kitchen: Kitchen
) -> Change:
    order = _existing(existing, str(fields["id"]))
    items = build_items(order.id, raw_items, kitchen)
    payload = {"fields": dict(fields), "items": items, "courses": new_courses(items, order, kitchen)}
    return Change(OrderEvents.REPLACED, ORDER, order.id, payload)


def patch_order(existing: Order | None, oid: str, patch: Mapping[str, Any], kitchen: Kitchen) -> Change:
    order = _existing(existing, oid)
    add = build_items(order.id, patch["add"], kitchen)
    update = build_items(order.id, patch["update"], kitchen)
    payload = {
        "fields": dict(patch["fields"]),
        "add": add,
        "update": update,
        "remove": list(patch["remove"]),
        "courses": new_courses([*add, *update], order, kitchen),
    }
    return Change(OrderEvents.PATCHED, ORDER, order.id, payload)


def cancel_order(existing: Order | None, oid: str) -> Change | None:
    """None when it is canceled already: a POS retrying a cancel gets the same success."""
    order = _existing(existing, oid)
    if order.canceled:
        return None
    return Change(OrderEvents.CANCELED, ORDER, order.id, {})


def set_item_status(order: Order, item_id: str, status: ItemStatus) -> Change:
    return Change(OrderEvents.ITEM_STATUS_SET, ORDER, order.id, {"item_id": item_id, "status": status.value})


def current_ticket(order: Order, station_id: str, action: TicketAction | None) -> Ticket:
    """The ticket an (order, station) request acts on, when the order has several courses there.

    Recall takes the most recently finished (bumped or ready) one: that is the one a cook means.
    Everything else takes the lowest course whose ticket is neither held nor finished, because the
    kitchen works courses in order. With no such ticket we still pick one (the lowest held, else the
    latest finished) so the request fails with a precise 409 rather than a vague 404.
    """
    tickets = order.tickets_at(station_id)
    if not tickets:
        raise TicketNotFound(f"order {order.id} has no ticket at station {station_id}")
    finished = [t for t in tickets if t.status in (TicketStatus.READY, TicketStatus.BUMPED, TicketStatus.VOIDED)]
    latest_finished = max(
        finished, key=lambda t: (t.completed_ms or t.ready_ms or t.updated_ms, t.course), default=None
    )
    if action is TicketAction.RECALL:
        recallable = [t for t in finished if t.status is not TicketStatus.VOIDED]
        if recallable:
            return max(recallable, key=lambda t: (t.completed_ms or t.ready_ms or t.updated_ms, t.course))
    active = [t for t in tickets if t.status in (TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.RECALLED)]
    if action is TicketAction.BUMP or action is TicketAction.VOID or action is None:
        active += [t for t in tickets if t.status is TicketStatus.READY]
    if active:
        return min(active, key=lambda t: t.course)
    held = [t for t in tickets if t.status is TicketStatus.HELD]
    if held:
        return held[0]
    assert latest_finished is not None
    return latest_finished


def ticket_action(order: Order, station_id: str, action: TicketAction) -> Change:
    ticket = current_ticket(order, station_id, action)
    payload = {"ticket_id": ticket.id, "station_id": station_id, "course": ticket.course}
    return Change(TICKET_EVENT_OF_ACTION[action], ORDER, order.id, payload)


def set_ticket_priority(order: Order, station_id: str, priority: TicketPriority) -> Change:
    ticket = current_ticket(order, station_id, None)
    payload = {"ticket_id": ticket.id, "station_id": station_id, "priority": priority.value}
    return Change(OrderEvents.TICKET_PRIORITY_SET, ORDER, order.id, payload)


def mark_seen(order: Order, station_id: str, screen: str | None = None) -> Change | None:
    """A screen of the station displays the order: its tickets there that are to be worked and not yet
    seen become seen. None when there is nothing new, so a screen that acknowledges what it shows on
    every repaint writes nothing after the first time."""
    unseen = [
        t.id
        for t in order.tickets_at(station_id)
        if t.seen_ms is None and t.status in ACTIVE_TICKET_STATUSES and t.status is not TicketStatus.HELD
    ]
    if not unseen:
        return None
    payload = {"station_id": station_id, "ticket_ids": unseen, "screen": screen}
    return Change(OrderEvents.TICKET_SEEN, ORDER, order.id, payload)


def fire_course(order: Order, course: int, by: str | None = None) -> Change:
    return Change(OrderEvents.COURSE_FIRED, ORDER, order.id, {"course": course, "by": by})


def hold_course(order: Order, course: int, reason: str | None = None) -> Change:
    return Change(OrderEvents.COURSE_HELD, ORDER, order.id, {"course": course, "reason": reason})


def skip_course(order: Order, course: int) -> Change:
    return Change(OrderEvents.COURSE_SKIPPED, ORDER, order.id, {"course": course})
