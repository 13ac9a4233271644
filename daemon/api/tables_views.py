"""The JSON shapes of the tables document: a table in a list, a table in detail, the floor plan."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from daemon.api.timestamps import iso
from daemon.domain.floor import Floor, TableLayout
from daemon.domain.model import Order
from daemon.domain.tables import TableState


def plain(value: Any) -> Any:
    """msgspec values as JSON, with whole floats as integers: a position of 100 stays 100, not 100.0."""
    return _ints(msgspec.to_builtins(value))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


def table_summary(floor: Floor, layout: TableLayout, state: TableState) -> dict[str, Any]:
    """A table in the location's list. `seated_at` and `party_size` appear while a party is seated."""
    section = floor.section_of(layout)
    seating = state.seating
    body: dict[str, Any] = {
        "id": layout.id,
        "number": layout.number,
        "name": layout.name,
        "section": section.name if section else None,
        "capacity": layout.capacity,
        "status": state.status.value,
        "shape": layout.shape.value,
        "position": {"x": plain(layout.position.x), "y": plain(layout.position.y)} if layout.position else None,
        "current_order_id": seating.order_id if seating else None,
    }
    if seating is not None:
        body["seated_at"] = iso(seating.seated_ms)
        body["party_size"] = seating.party_size
    body["server_id"] = (seating.server_id if seating else None) or layout.server_id
    body["server_name"] = (seating.server_name if seating else None) or layout.server_name
    return body


def order_subtotal(order: Order | None) -> float | None:
    """The POS's `costs.subtotal`, else the live lines' prices × quantities; None when neither is known."""
    if order is None:
        return None
    costs = order.fields.get("costs")
    if isinstance(costs, dict) and costs.get("subtotal") is not None:
        return _money(costs["subtotal"])
    total = Decimal(0)
    for item in order.items.values():
        if not item.is_live:
            continue
        price = _money(item.price) if item.price is not None else None
        if price is None:
            return None
        total += Decimal(str(price)) * item.qty
    return float(total) if order.items else None


def _money(value: Any) -> float | None:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def table_detail(floor: Floor, layout: TableLayout, state: TableState, order: Order | None) -> dict[str, Any]:
    section = floor.section_of(layout)
    seating = state.seating
    current = None
    if seating is not None:
        current = {
            "id": seating.order_id,
            "order_number": seating.order_number,
            "party_size": seating.party_size,
            "seated_at": iso(seating.seated_ms),
            "subtotal": order_subtotal(order),
            "items_count": sum(1 for i in order.items.values() if i.is_live) if order else None,
        }
    server_id = (seating.server_id if seating else None) or layout.server_id
    server_name = (seating.server_name if seating else None) or layout.server_name
    return {
        "id": layout.id,
        "number": layout.number,
        "name": layout.name,
        "section": section.name if section else None,
        "section_id": layout.section_id,
        "capacity": layout.capacity,
        "min_capacity": layout.min_capacity,
        "status": state.status.value,
        "status_changed_at": iso(state.status_changed_ms),
        "status_changed_by": state.status_changed_by,
        "shape": layout.shape.value,
        "dimensions": plain(layout.dimensions),
        "position": plain(layout.position),
        "current_order": current,
        "server": {"id": server_id, "name": server_name} if server_id or server_name else None,
        "features": list(layout.features),
        "created_at": iso(layout.created_ms),
    }


def floor_plan(location_id: str, floor: Floor, states: dict[str, TableState]) -> dict[str, Any]:
    return {
        "location_id": location_id,
        "dimensions": plain(floor.dimensions),
        "sections": [plain(s) for s in floor.sections.values()],
        "tables": [table_summary(floor, t, states[t.id]) for t in floor.tables.values()],
        "fixtures": [plain(f) for f in floor.fixtures.values()],
    }
