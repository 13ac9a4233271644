"""What a chit says, decided when its cause is written: an order's ticket (or a change to it) as the
plain dict the printer drivers lay out (drivers.printers.layout).

The content is frozen in the print effect's payload: a chit printed after a printer outage, or
reprinted, shows the ticket as it was sent to the kitchen, not whatever it became later.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from daemon.domain.model import Item, ItemFlag, Order, Ticket


def item_chit(item: Item, flag: str | None = None) -> dict[str, Any]:
    return {
        "qty": item.qty,
        "name": item.name,
        "mods": [{"name": m.name, "qty": m.qty, "allergens": list(m.allergens)} for m in item.mods],
        "seat": item.seat,
        "allergens": list(item.allergens),
        "special": item.special_instructions,
        "flag": flag if flag is not None else (item.flag.value if item.flag is not ItemFlag.NONE else ""),
    }


def chit(
    kind: str,
    order: Order,
    ticket: Ticket,
    station_name: str,
    at_ms: int,
    items: Iterable[dict[str, Any]] | None = None,
    marks: Iterable[str] = (),
    item_chits: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The chit of one ticket. `items` defaults to the ticket's items (deleted and voided ones included,
    shown as such: a cook who saw them must see them struck). `item_chits` (item id → its line) shares
    the lines between the chits of one write: expo's chit repeats every station's items. A line is
    never changed once made, so sharing it is safe."""
    if items is None:
        lines = {} if item_chits is None else item_chits
        items = []
        for i in order.items_of(ticket):
            line = lines.get(i.id)
            if line is None:
                line = lines[i.id] = item_chit(i)
            items.append(line)
    course = order.courses.get(ticket.course)
    return {
        "chit": kind,
        "order_id": order.id,
        "order_name": order.display_name or order.id,
        "mode": order.mode,
        "table": _text(order.fields.get("table") or order.fields.get("tableName")),
        "server": _text(order.fields.get("server")),
        "station_id": ticket.station_id,
        "station_name": station_name,
        "ticket_id": ticket.id,
        "course": ticket.course,
        "course_name": course.name if course else None,
        "priority": ticket.priority.value,
        "order_priority": order.priority,
        "at_ms": at_ms,
        "items": list(items),
        "marks": list(marks),
    }


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)
