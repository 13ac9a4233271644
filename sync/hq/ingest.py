"""Ingest: a batch of one location's events stored exactly once, and the report tables moved with it.

One transaction per batch. Events are inserted only when headquarters does not hold their id (origin, seq),
so a batch sent twice, or by two devices that both hold it, or to two heard-hq processes at once, stores
each event once. Only the events that were new move the report tables. Locks are taken in one order
(events by id, then orders, then origins, each sorted) so two processes ingesting overlapping batches
queue behind each other and never deadlock; the origins' counters, the one row every batch of a device
touches, are moved last, so concurrent batches of one device wait for each other only at the end.

An order headquarters sees for the first time in this batch is folded from the batch's own events (it has
no history to read); an order it already holds is folded again from all its events, since events of
several devices arrive in any order and the fold orders them by their clocks. The statements are each
database's own (`batch_sql`): a handful per batch, none per event.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from daemon.domain.events import ORDER, Actor, Event, OrderEvents, in_fold_order
from daemon.domain.fold import apply as apply_order
from daemon.domain.hlc import Stamp
from daemon.domain.model import CHANNEL_OF_MODE, Order, TicketStatus
from sync.hq import batch_sql
from sync.upstream.wire import WireEvent, wire_of_event

MAX_BATCH = 1000


def ingest(engine: Engine, location_id: str, batch: Sequence[Event | WireEvent]) -> dict[str, int]:
    """Store the batch; returns the highest seq headquarters holds of each origin in it."""
    now = time.time_ns() // 1_000_000
    unique = {e.id: (e if isinstance(e, WireEvent) else wire_of_event(e)) for e in batch}
    rows = [_row(location_id, unique[k], now) for k in sorted(unique)]
    with engine.begin() as conn:
        sql = batch_sql.for_connection(conn)
        fresh = [unique[k] for k in sorted(sql.insert_new_events(rows))]
        touched: dict[str, list[Event]] = {}
        for e in fresh:
            if e.aggregate == ORDER:
                touched.setdefault(e.aggregate_id, []).append(e.event())
        if touched:
            _fold_orders(sql, location_id, touched)
        sql.count_origins(location_id, _origin_counts(fresh))
        names = sorted({e.origin for e in unique.values()})
        held = sql.max_seqs(names)
    return {name: held.get(name, 0) for name in names}


def _row(location_id: str, e: WireEvent, now: int) -> tuple[Any, ...]:
    return (
        e.origin,
        e.seq,
        location_id,
        e.hlc.wall_ms,
        e.hlc.counter,
        e.type,
        e.aggregate,
        e.aggregate_id,
        bytes(memoryview(e.payload)).decode(),
        bytes(memoryview(e.actor)).decode(),
        e.schema,
        now,
    )


def _origin_counts(fresh: Iterable[WireEvent]) -> list[tuple[str, int, int, int]]:
    per: dict[str, tuple[int, int, int]] = {}
    for e in fresh:
        count, max_seq, last = per.get(e.origin, (0, 0, 0))
        per[e.origin] = (count + 1, max(max_seq, e.seq), max(last, e.hlc.wall_ms))
    return [(origin, *per[origin]) for origin in sorted(per)]


def _event_of(row: tuple[Any, ...]) -> Event:
    """An event read back (batch_sql.HISTORY_COLUMNS)."""
    origin, seq, wall_ms, counter, kind, aggregate, aggregate_id, payload, actor, schema = row
    return Event(
        origin=str(origin),
        seq=int(seq),
        stamp=Stamp(int(wall_ms), int(counter), str(origin)),
        type=str(kind),
        aggregate=str(aggregate),
        aggregate_id=str(aggregate_id),
        payload=orjson.loads(payload),
        actor=Actor.from_json(orjson.loads(actor)),
        schema=int(schema),
    )


def fold_order(history: Iterable[Event]) -> tuple[Order | None, set[str], int]:
    """The order as every device folds it (the same domain code), the tickets that were ever recalled,
    and how many events applied. An event invalid at its place is skipped, as on the devices."""
    state: Order | None = None
    recalled: set[str] = set()
    applied = 0
    for event in in_fold_order(list(history)):
        try:
            state = apply_order(state, event)
        except Exception:  # noqa: BLE001 - skipped at its place, never raised (ARCHITECTURE §5)
            continue
        applied += 1
        if event.type == OrderEvents.TICKET_RECALLED:
            recalled.add(str(event.payload.get("ticket_id")))
    return state, recalled, applied


def _fold_orders(sql: batch_sql.BatchSql, location_id: str, touched: dict[str, list[Event]]) -> None:
    """Fold every order the batch brought events of, and write its row and its tickets.

    Each order is first folded from this batch's events alone and its row inserted with that result, all in
    one statement; the rows that were new are done (headquarters had no event of them before). An order
    that already had its row is locked and folded again from every event held of it."""
    ids = sorted(touched)
    folded = {o: _report_rows(location_id, o, *fold_order(touched[o])) for o in ids}
    new = sql.insert_new_orders(location_id, [folded[o][0] for o in ids])
    known = [o for o in ids if o not in new]
    history: dict[str, list[Event]] = {o: [] for o in known}
    for row in sql.lock_and_read_history(location_id, known):
        history[str(row[6])].append(_event_of(row))
    refolded = {o: _report_rows(location_id, o, *fold_order(history[o])) for o in known}
    tickets = [t for o in ids for t in (refolded.get(o) or folded[o])[1]]
    sql.replace_tickets(location_id, known, tickets)
    sql.update_orders(location_id, [refolded[o][0] for o in known])


def _report_rows(
    location_id: str, order_id: str, state: Order | None, recalled: set[str], applied: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The order's row (batch_sql.ORDER_UPDATE_TYPES) and its tickets' rows (batch_sql.TICKET_COLUMNS)."""
    if state is None:
        return (order_id, None, None, None, False, applied), []
    channel = CHANNEL_OF_MODE.get(state.mode or "", "other")
    tickets = [
        (
            location_id,
            order_id,
            t.id,
            t.station_id,
            channel,
            str(t.status),
            t.created_ms,
            t.completed_ms if t.status is TicketStatus.BUMPED else None,
            t.id in recalled,
        )
        for t in state.tickets.values()
    ]
    return (order_id, state.created_ms, str(state.status), channel, state.canceled, applied), tickets
