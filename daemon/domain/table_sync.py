"""Coursing's table sync: orders at one table that progress through their courses together (coursing
seed, Table Synchronization). One aggregate per location holding each table's sync, folded from events.

A table sync groups *order ids* under a table label; it is not the floor plan (that is the tables API).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from daemon.domain.errors import Conflict, InvalidEvent, NotFound
from daemon.domain.events import Change, Event
from daemon.domain.values import evolve

TABLE_SYNCS = "table_syncs"


class SyncEvents:
    CREATED = "table_sync.created"
    DELETED = "table_sync.deleted"
    ORDER_ADDED = "table_sync.order_added"
    ORDER_REMOVED = "table_sync.order_removed"
    ADVANCED = "table_sync.advanced"


class TableSyncNotFound(NotFound):
    code = "TABLE_SYNC_NOT_FOUND"


class OrderNotInSync(NotFound):
    code = "ORDER_NOT_IN_SYNC"


class TableSync(msgspec.Struct, frozen=True, gc=False):
    id: str
    table_id: str
    order_ids: tuple[str, ...]
    current_course: int = 1
    course_started_ms: int | None = None
    next_fire_ms: int | None = None
    created_ms: int = 0
    updated_ms: int = 0


class SyncBook(msgspec.Struct, frozen=True, gc=False):
    """The location's table syncs by table id (a deleted sync leaves: its orders course on their own)."""

    syncs: Mapping[str, TableSync] = msgspec.field(default_factory=dict)

    def of_order(self) -> dict[str, TableSync]:
        return {oid: s for s in self.syncs.values() for oid in s.order_ids}


EMPTY_SYNCS = SyncBook()


def syncs_to_json(book: SyncBook) -> dict[str, Any]:
    return {"syncs": [msgspec.to_builtins(s) for s in book.syncs.values()]}


def syncs_from_json(data: Mapping[str, Any]) -> SyncBook:
    syncs = [msgspec.convert(s, TableSync) for s in data.get("syncs", ())]
    return SyncBook({s.table_id: s for s in syncs})


def sync_of(book: SyncBook | None, table_id: str) -> TableSync:
    found = (book or EMPTY_SYNCS).syncs.get(table_id)
    if found is None:
        raise TableSyncNotFound(f"no table sync for table {table_id}")
    return found


def apply_syncs(state: SyncBook | None, event: Event) -> SyncBook:
    book = state or EMPTY_SYNCS
    p = event.payload
    at = event.at_ms
    table_id = str(p["table_id"])
    if event.type == SyncEvents.CREATED:
        if table_id in book.syncs:
            raise Conflict(f"table {table_id} is already in sync", code="TABLE_SYNC_EXISTS")
        sync = TableSync(str(p["id"]), table_id, tuple(p["order_ids"]), created_ms=at, updated_ms=at)
        return SyncBook({**book.syncs, table_id: sync})
    sync = sync_of(book, table_id)
    if event.type == SyncEvents.DELETED:
        return SyncBook({k: v for k, v in book.syncs.items() if k != table_id})
    if event.type == SyncEvents.ORDER_ADDED:
        oid = str(p["order_id"])
        ids = sync.order_ids if oid in sync.order_ids else (*sync.order_ids, oid)
        sync = evolve(sync, order_ids=ids, updated_ms=at)
    elif event.type == SyncEvents.ORDER_REMOVED:
        oid = str(p["order_id"])
        if oid not in sync.order_ids:
            raise OrderNotInSync(f"order {oid} is not in the sync of table {table_id}")
        sync = evolve(sync, order_ids=tuple(o for o in sync.order_ids if o != oid), updated_ms=at)
    elif event.type == SyncEvents.ADVANCED:
        next_fire = p.get("next_fire_ms")
        sync = evolve(
            sync,
            current_course=int(p["course"]),
            course_started_ms=p.get("started_ms", at),
            next_fire_ms=int(next_fire) if next_fire is not None else None,
            updated_ms=at,
        )
    else:
        raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")
    return SyncBook({**book.syncs, table_id: sync})


def _refuse_synced_elsewhere(book: SyncBook, table_id: str, order_ids: list[str]) -> None:
    """An order courses with one table: in two syncs, two tables would each wait for it."""
    for oid, sync in book.of_order().items():
        if oid in order_ids and sync.table_id != table_id:
            raise Conflict(f"order {oid} is in the sync of table {sync.table_id}", code="ORDER_IN_OTHER_SYNC")


def create(book: SyncBook | None, location_id: str, sync_id: str, table_id: str, order_ids: list[str]) -> Change:
    book = book or EMPTY_SYNCS
    if table_id in book.syncs:
        raise Conflict(f"table {table_id} is already in sync", code="TABLE_SYNC_EXISTS")
    _refuse_synced_elsewhere(book, table_id, order_ids)
    payload = {"id": sync_id, "table_id": table_id, "order_ids": order_ids}
    return Change(SyncEvents.CREATED, TABLE_SYNCS, location_id, payload)


def delete(book: SyncBook | None, location_id: str, table_id: str) -> Change:
    sync_of(book, table_id)
    return Change(SyncEvents.DELETED, TABLE_SYNCS, location_id, {"table_id": table_id})


def add_order(book: SyncBook | None, location_id: str, table_id: str, order_id: str) -> Change | None:
    if order_id in sync_of(book, table_id).order_ids:
        return None
    _refuse_synced_elsewhere(book or EMPTY_SYNCS, table_id, [order_id])
    return Change(SyncEvents.ORDER_ADDED, TABLE_SYNCS, location_id, {"table_id": table_id, "order_id": order_id})


def remove_order(book: SyncBook | None, location_id: str, table_id: str, order_id: str) -> Change:
    if order_id not in sync_of(book, table_id).order_ids:
        raise OrderNotInSync(f"order {order_id} is not in the sync of table {table_id}")
    return Change(SyncEvents.ORDER_REMOVED, TABLE_SYNCS, location_id, {"table_id": table_id, "order_id": order_id})


def advance(location_id: str, table_id: str, course: int, started_ms: int, next_fire_ms: int | None) -> Change:
    payload = {"table_id": table_id, "course": course, "started_ms": started_ms, "next_fire_ms": next_fire_ms}
    return Change(SyncEvents.ADVANCED, TABLE_SYNCS, location_id, payload)
