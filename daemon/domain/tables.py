"""A table during service — its status, the party seated at it and its order — as an aggregate per table.

A seating starts with `table.assigned` and ends with `table.cleared`; the clear carries the whole turn
(who sat, when, how many, in which section, what they spent) so turnover is computed from the log's
recorded facts, never reconstructed from later state. Status names are the tables document's.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import msgspec

from daemon.domain.errors import Conflict, HeardError, InvalidEvent
from daemon.domain.events import ORDER, Change, Event, OrderEvents
from daemon.domain.floor import Floor, TableLayout, TableOccupied
from daemon.domain.values import evolve

TABLE = "table"


class TableEvents:
    ASSIGNED = "table.assigned"
    STATUS_CHANGED = "table.status_changed"
    CLEARED = "table.cleared"


class TableStatus(StrEnum):
    AVAILABLE = "available"
    OCCUPIED = "occupied"
    RESERVED = "reserved"
    DIRTY = "dirty"
    BLOCKED = "blocked"


class Seating(msgspec.Struct, frozen=True):
    """A party at a table, and the kitchen order that is theirs."""

    order_id: str
    seated_ms: int
    party_size: int | None = None
    order_number: str | None = None
    server_id: str | None = None
    server_name: str | None = None


class TableState(msgspec.Struct, frozen=True):
    id: str
    status: TableStatus = TableStatus.AVAILABLE
    status_changed_ms: int | None = None
    status_changed_by: str | None = None
    seating: Seating | None = None
    turns: int = 0
    updated_ms: int = 0


def table_from_json(d: Mapping[str, Any]) -> TableState:
    return msgspec.convert(d, TableState)


def table_to_json(t: TableState) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(t)
    return out


def apply_table(state: TableState | None, event: Event) -> TableState:
    table = state or TableState(event.aggregate_id)
    p, at = event.payload, event.at_ms
    try:
        if event.type == TableEvents.ASSIGNED:
            if table.seating is not None:
                raise TableOccupied(f"table {table.id} already has order {table.seating.order_id}")
            if table.status is TableStatus.BLOCKED:
                raise Conflict(f"table {table.id} is blocked", code="table_blocked")
            seating = msgspec.convert({**p["seating"], "seated_ms": at}, Seating)
            return evolve(
                table,
                status=TableStatus.OCCUPIED,
                status_changed_ms=at,
                status_changed_by=event.actor.sub,
                seating=seating,
                updated_ms=at,
            )
        if event.type == TableEvents.STATUS_CHANGED:
            status = TableStatus(p["status"])
            if table.seating is not None and status is not TableStatus.OCCUPIED:
                raise TableOccupied(f"table {table.id} has order {table.seating.order_id}; clear the table instead")
            return evolve(table, status=status, status_changed_ms=at, status_changed_by=event.actor.sub, updated_ms=at)
        if event.type == TableEvents.CLEARED:
            return evolve(
                table,
                status=TableStatus.DIRTY,
                status_changed_ms=at,
                status_changed_by=event.actor.sub,
                seating=None,
                turns=table.turns + (1 if p.get("turn") else 0),
                updated_ms=at,
            )
    except HeardError:
        raise
    except (msgspec.ValidationError, KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"malformed {event.type} event: {exc}", code="MALFORMED_EVENT") from None
    raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")


# ---- commands ----


def assign(
    state: TableState | None,
    layout: TableLayout,
    order_id: str,
    party_size: int | None,
    order_number: str | None,
) -> Change | None:
    """Seat a party with its order. The server comes from the table's layout (the host stand's plan).
    None when this order is already seated here: a retried assign (say after a crash between the
    table's write and the order's) changes nothing at the table, and the caller links the order."""
    if state is not None and state.seating is not None and state.seating.order_id == order_id:
        return None
    if state is not None and state.seating is not None:
        raise TableOccupied(f"table {layout.id} already has order {state.seating.order_id}")
    if state is not None and state.status is TableStatus.BLOCKED:
        raise Conflict(f"table {layout.id} is blocked", code="table_blocked")
    seating = {
        "order_id": order_id,
        "party_size": party_size,
        "order_number": order_number,
        "server_id": layout.server_id,
        "server_name": layout.server_name,
    }
    return Change(TableEvents.ASSIGNED, TABLE, layout.id, {"seating": seating})


def change_status(state: TableState | None, table_id: str, status: TableStatus) -> Change | None:
    """None when the table already has that status: a retried PATCH changes nothing."""
    current = state or TableState(table_id)
    if current.status is status:
        return None
    if current.seating is not None and status is not TableStatus.OCCUPIED:
        raise TableOccupied(f"table {table_id} has order {current.seating.order_id}; clear the table instead")
    return Change(TableEvents.STATUS_CHANGED, TABLE, table_id, {"status": status.value})


def clear(state: TableState | None, floor: Floor, table_id: str, subtotal: float | None) -> Change | None:
    """The party left: the table needs bussing, its order is unlinked, and the seating becomes a turn.
    None when there is nothing to clear (already dirty, nobody seated): a retried clear is harmless."""
    current = state or TableState(table_id)
    seating = current.seating
    if seating is None and current.status is TableStatus.DIRTY:
        return None
    turn = None
    if seating is not None:
        layout = floor.tables.get(table_id)
        section = floor.section_of(layout) if layout else None
        turn = {
            **msgspec.to_builtins(seating),
            "section_id": section.id if section else None,
            "section": section.name if section else None,
            "capacity": layout.capacity if layout else None,
            "subtotal": subtotal,
        }
    return Change(TableEvents.CLEARED, TABLE, table_id, {"turn": turn})


def link_order(order_id: str, layout: TableLayout) -> Change:
    """The order event of a seating: the kitchen's tickets and expo name the table from it."""
    payload = {"table_id": layout.id, "table_number": layout.number, "table_name": layout.name}
    return Change(OrderEvents.TABLE_ASSIGNED, ORDER, order_id, payload)


def unlink_order(order_id: str, table_id: str) -> Change:
    return Change(OrderEvents.TABLE_CLEARED, ORDER, order_id, {"table_id": table_id})
