"""JSON forms of the domain values, for event payloads and stored snapshots (stable across versions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.model import (
    Course,
    CourseStatus,
    Item,
    ItemFlag,
    ItemStatus,
    MealPace,
    Modifier,
    Order,
    OrderStatus,
    Ticket,
    TicketPriority,
    TicketStatus,
)


def mod_from_json(data: Mapping[str, Any]) -> Modifier:
    return Modifier(
        name=str(data["name"]),
        qty=int(data.get("qty") or 1),
        id=data.get("id"),
        allergens=tuple(data.get("allergens") or ()),
    )


def item_to_json(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "lineId": item.line_id,
        "menuItemId": item.menu_item_id,
        "name": item.name,
        "qty": item.qty,
        "price": item.price,
        "mods": [m.to_json() for m in item.mods],
        "specialInstructions": item.special_instructions,
        "seat": item.seat,
        "course": item.course,
        "courseLabel": item.course_label,
        "courseStatus": item.course_hint,
        "category": item.category,
        "allergens": list(item.allergens),
        "stations": list(item.stations),
        "status": item.status.value,
        "flag": item.flag.value,
        "extra": dict(item.extra),
        "updatedMs": item.updated_ms,
    }


_ITEM_STATUS = {s.value: s for s in ItemStatus}
_ITEM_FLAG = {f.value: f for f in ItemFlag}


# Item's fields under their JSON names (the form item_to_json writes and commands put in events), for
# msgspec to read an item dict in C. Only where it gives exactly what the Python reading below gives.
_ITEM_JSON_NAMES = {
    "line_id": "lineId",
    "menu_item_id": "menuItemId",
    "special_instructions": "specialInstructions",
    "course_label": "courseLabel",
    "course_hint": "courseStatus",
    "updated_ms": "updatedMs",
}


def _json_field(f: msgspec.structs.FieldInfo) -> tuple[Any, ...]:
    """An Item field as the mirror reads it: a missing id or stations is read as the code below reads it
    (the fold gives the id; no stations is none)."""
    if f.name == "id":
        return (f.name, str | None, None)
    if f.name == "stations":
        return (f.name, f.type, ())
    if f.default_factory is not msgspec.NODEFAULT:
        return (f.name, f.type, msgspec.field(default_factory=f.default_factory))
    if f.default is msgspec.NODEFAULT:
        return (f.name, f.type)
    return (f.name, f.type, f.default)


_ItemJson = msgspec.defstruct(
    "_ItemJson",
    [_json_field(f) for f in msgspec.structs.fields(Item)],
    rename=_ITEM_JSON_NAMES,
    kw_only=True,
    frozen=True,
    gc=False,
)
_LAST = len(msgspec.structs.fields(Item)) - 1  # updated_ms, the last field (id is the first)


def item_from_json(data: Mapping[str, Any], updated_ms: int | None = None, item_id: str | None = None) -> Item:
    """An item from its JSON form; `updated_ms` stamps a new item with its event's time, and
    `item_id` gives the id the fold derived for it.

    msgspec reads a well-formed dict (every item of every event, on every fold) about twice as fast.
    It is strict where the reading below is liberal (a number for a string, a null for a list, a
    modifier's quantity 0 read as 1), so anything it refuses or would read differently is read below, as
    it always was: both give the same Item (a hypothesis test holds them to it)."""
    fast: Any
    try:
        fast = msgspec.convert(data, _ItemJson)
    except (msgspec.ValidationError, TypeError):
        fast = None
    # (A modifier's qty of 0, which the liberal reading takes as 1, is refused by Modifier's own bound.)
    if fast is not None and (item_id is not None or fast.id is not None):
        values = msgspec.structs.astuple(fast)
        if item_id is not None or updated_ms is not None:
            values = (
                item_id if item_id is not None else values[0],
                *values[1:_LAST],
                updated_ms if updated_ms is not None else values[_LAST],
            )
        return Item(*values)
    return _item_from_json_slowly(data, updated_ms, item_id)


def _item_from_json_slowly(data: Mapping[str, Any], updated_ms: int | None, item_id: str | None) -> Item:
    return Item(
        id=item_id if item_id is not None else str(data["id"]),
        name=str(data["name"]),
        qty=int(data["qty"]),
        course=int(data["course"]),
        stations=tuple(data.get("stations") or ()),
        line_id=data.get("lineId"),
        menu_item_id=data.get("menuItemId"),
        price=data.get("price"),
        mods=tuple(mod_from_json(m) for m in data.get("mods") or ()),
        special_instructions=data.get("specialInstructions"),
        seat=data.get("seat"),
        course_label=data.get("courseLabel"),
        course_hint=data.get("courseStatus"),
        category=data.get("category"),
        allergens=tuple(data.get("allergens") or ()),
        status=_ITEM_STATUS[data.get("status") or "pending"],
        flag=_ITEM_FLAG[data.get("flag") or ""],
        extra=dict(data.get("extra") or {}),
        updated_ms=updated_ms if updated_ms is not None else int(data.get("updatedMs") or 0),
    )


def ticket_to_json(t: Ticket) -> dict[str, Any]:
    return {
        "id": t.id,
        "station_id": t.station_id,
        "course": t.course,
        "status": t.status.value,
        "priority": t.priority.value,
        "created_ms": t.created_ms,
        "started_ms": t.started_ms,
        "ready_ms": t.ready_ms,
        "completed_ms": t.completed_ms,
        "updated_ms": t.updated_ms,
        "estimated_prep_seconds": t.estimated_prep_seconds,
        "item_ids": list(t.item_ids) if t.item_ids is not None else None,
        "seen_ms": t.seen_ms,
    }


def ticket_from_json(d: Mapping[str, Any]) -> Ticket:
    return Ticket(
        id=d["id"],
        station_id=d["station_id"],
        course=int(d["course"]),
        status=TicketStatus(d["status"]),
        priority=TicketPriority(d["priority"]),
        created_ms=int(d["created_ms"]),
        started_ms=d.get("started_ms"),
        ready_ms=d.get("ready_ms"),
        completed_ms=d.get("completed_ms"),
        updated_ms=int(d.get("updated_ms") or 0),
        estimated_prep_seconds=d.get("estimated_prep_seconds"),
        item_ids=tuple(d["item_ids"]) if d.get("item_ids") is not None else None,
        seen_ms=d.get("seen_ms"),
    )


def course_to_json(c: Course) -> dict[str, Any]:
    return {
        "number": c.number,
        "name": c.name,
        "status": c.status.value,
        "fired_ms": c.fired_ms,
        "fired_by": c.fired_by,
        "hold_reason": c.hold_reason,
        "ready_ms": c.ready_ms,
        "completed_ms": c.completed_ms,
        "served_ms": c.served_ms,
        "updated_ms": c.updated_ms,
        "notes": c.notes,
        "template_id": c.template_id,
        "fire_at_ms": c.fire_at_ms,
        "auto": c.auto,
    }


def course_from_json(d: Mapping[str, Any]) -> Course:
    return Course(
        number=int(d["number"]),
        name=str(d["name"]),
        status=CourseStatus(d["status"]),
        fired_ms=d.get("fired_ms"),
        fired_by=d.get("fired_by"),
        hold_reason=d.get("hold_reason"),
        ready_ms=d.get("ready_ms"),
        completed_ms=d.get("completed_ms"),
        served_ms=d.get("served_ms"),
        updated_ms=int(d.get("updated_ms") or 0),
        notes=d.get("notes"),
        template_id=d.get("template_id"),
        fire_at_ms=d.get("fire_at_ms"),
        auto=bool(d.get("auto")),
    )


def pace_to_json(p: MealPace | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"pace": p.pace, "custom_gap_minutes": p.custom_gap_minutes, "set_by": p.set_by, "set_ms": p.set_ms}


def pace_from_json(d: Mapping[str, Any] | None) -> MealPace | None:
    if not d:
        return None
    gap = d.get("custom_gap_minutes")
    return MealPace(str(d["pace"]), int(gap) if gap is not None else None, d.get("set_by"), int(d.get("set_ms") or 0))


def order_to_json(o: Order) -> dict[str, Any]:
    """The snapshot stored as the order's projection: enough to rebuild the state without the log."""
    return {
        "id": o.id,
        "fields": dict(o.fields),
        "devices": list(o.devices),
        "items": [item_to_json(i) for i in o.items.values()],
        "tickets": [ticket_to_json(t) for t in o.tickets.values()],
        "courses": [course_to_json(c) for c in o.courses.values()],
        "created_ms": o.created_ms,
        "updated_ms": o.updated_ms,
        "status": o.status.value,
        "canceled": o.canceled,
        "revision": o.revision,
        "table_id": o.table_id,
        "table_number": o.table_number,
        "table_name": o.table_name,
        "pace": pace_to_json(o.pace),
        "customer_arrived_ms": o.customer_arrived_ms,
        "arrival_minutes": o.arrival_minutes,
        "arrival_estimated_ms": o.arrival_estimated_ms,
    }


def order_from_json(d: Mapping[str, Any]) -> Order:
    items = [item_from_json(i) for i in d["items"]]
    tickets = [ticket_from_json(t) for t in d["tickets"]]
    courses = [course_from_json(c) for c in d["courses"]]
    return Order(
        id=d["id"],
        fields=dict(d["fields"]),
        devices=tuple(d["devices"]),
        items={i.id: i for i in items},
        tickets={t.id: t for t in tickets},
        courses={c.number: c for c in courses},
        created_ms=int(d["created_ms"]),
        updated_ms=int(d["updated_ms"]),
        status=OrderStatus(d["status"]),
        canceled=bool(d["canceled"]),
        revision=int(d.get("revision") or 0),
        table_id=d.get("table_id"),
        table_number=d.get("table_number"),
        table_name=d.get("table_name"),
        pace=pace_from_json(d.get("pace")),
        customer_arrived_ms=d.get("customer_arrived_ms"),
        arrival_minutes=d.get("arrival_minutes"),
        arrival_estimated_ms=d.get("arrival_estimated_ms"),
    )
