"""Ingest: a batch of one location's events stored exactly once, and the report tables moved with it.

One transaction per batch. Events are inserted with `ON CONFLICT DO NOTHING` on their id (origin, seq),
so a batch sent twice, or by two devices that both hold it, or to two heard-hq processes at once, stores
each event once. Only the events that were new move the report tables. Locks are taken in one order
(events by id, then origins, then orders, each sorted) so two processes ingesting overlapping batches
queue behind each other and never deadlock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from daemon.domain.events import ORDER, Actor, Event, OrderEvents, in_fold_order
from daemon.domain.fold import apply as apply_order
from daemon.domain.hlc import Stamp
from daemon.domain.model import CHANNEL_OF_MODE, Order, TicketStatus
from sync.hq.db import events, is_postgres, orders, origins, tickets

MAX_BATCH = 1000
REFOLD_CHUNK = 500  # orders per statement (IN lists, multi-row inserts): well under both databases' limits


def _insert(conn: Connection, table: sa.Table) -> Any:
    return postgresql.insert(table) if is_postgres(conn) else sqlite.insert(table)


def ingest(engine: Engine, location_id: str, batch: Sequence[Event]) -> dict[str, int]:
    """Store the batch; returns the highest seq headquarters holds of each origin in it."""
    now = time.time_ns() // 1_000_000
    unique = {e.id: e for e in batch}
    rows = [_row(location_id, e, now) for _, e in sorted(unique.items())]
    with engine.begin() as conn:
        new: set[tuple[str, int]] = set()
        if rows:
            # executemany (SQLAlchemy batches it into multi-row statements itself, "insertmanyvalues"): one
            # compiled statement, cached; .values(list) compiled a fresh statement per batch, 5 ms per row.
            stmt = _insert(conn, events).on_conflict_do_nothing(index_elements=["origin", "seq"])
            returned = conn.execute(stmt.returning(events.c.origin, events.c.seq), rows)
            new = {(str(o), int(s)) for o, s in returned}
        fresh = [unique[k] for k in sorted(new)]
        _count_origins(conn, location_id, fresh)
        _refold_orders(conn, location_id, sorted({e.aggregate_id for e in fresh if e.aggregate == ORDER}))
        acked = _acked(conn, sorted({e.origin for e in batch}))
    return acked


def _row(location_id: str, e: Event, now: int) -> dict[str, Any]:
    return {
        "origin": e.origin,
        "seq": e.seq,
        "location_id": location_id,
        "wall_ms": e.stamp.wall_ms,
        "counter": e.stamp.counter,
        "type": e.type,
        "aggregate": e.aggregate,
        "aggregate_id": e.aggregate_id,
        "payload": orjson.dumps(e.payload).decode(),
        "actor": orjson.dumps(e.actor.to_json()).decode(),
        "schema": e.schema,
        "received_ms": now,
    }


def _count_origins(conn: Connection, location_id: str, fresh: Iterable[Event]) -> None:
    per: dict[str, tuple[int, int, int]] = {}
    for e in fresh:
        count, max_seq, last = per.get(e.origin, (0, 0, 0))
        per[e.origin] = (count + 1, max(max_seq, e.seq), max(last, e.stamp.wall_ms))
    for origin in sorted(per):
        count, max_seq, last = per[origin]
        stmt = _insert(conn, origins).values(
            origin=origin, location_id=location_id, events=count, max_seq=max_seq, last_event_ms=last
        )
        excluded = stmt.excluded
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["origin"],
                set_={
                    "events": origins.c.events + excluded.events,
                    "max_seq": sa.case(
                        (excluded.max_seq > origins.c.max_seq, excluded.max_seq), else_=origins.c.max_seq
                    ),
                    "last_event_ms": sa.case(
                        (excluded.last_event_ms > origins.c.last_event_ms, excluded.last_event_ms),
                        else_=origins.c.last_event_ms,
                    ),
                },
            )
        )


def _acked(conn: Connection, names: list[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = conn.execute(sa.select(origins.c.origin, origins.c.max_seq).where(origins.c.origin.in_(names)))
    acked = {str(o): int(s) for o, s in rows}
    return {name: acked.get(name, 0) for name in names}


def _event_of(row: Mapping[str, Any]) -> Event:
    origin = str(row["origin"])
    return Event(
        origin=origin,
        seq=int(row["seq"]),
        stamp=Stamp(int(row["wall_ms"]), int(row["counter"]), origin),
        type=str(row["type"]),
        aggregate=str(row["aggregate"]),
        aggregate_id=str(row["aggregate_id"]),
        payload=orjson.loads(row["payload"]),
        actor=Actor.from_json(orjson.loads(row["actor"])),
        schema=int(row["schema"]),
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


def _refold_orders(conn: Connection, location_id: str, order_ids: list[str]) -> None:
    """Fold each order again from every event headquarters holds of it: events of several devices arrive
    in any order, and the fold orders them by their clocks. The orders' rows are locked first (in sorted
    order), so two processes folding the same order take turns and the later one sees the earlier one's
    events. A statement per step for the whole chunk, not per order: a batch touches hundreds of orders."""
    for first in range(0, len(order_ids), REFOLD_CHUNK):
        chunk = order_ids[first : first + REFOLD_CHUNK]
        conn.execute(
            _insert(conn, orders).on_conflict_do_nothing(),
            [{"location_id": location_id, "order_id": o, "canceled": False, "folded_events": 0} for o in chunk],
        )
        lock = (
            sa.select(orders.c.order_id)
            .where(orders.c.location_id == location_id, orders.c.order_id.in_(chunk))
            .order_by(orders.c.order_id)
        )
        conn.execute(lock.with_for_update() if is_postgres(conn) else lock)
        rows = conn.execute(
            sa.select(events).where(
                events.c.location_id == location_id, events.c.aggregate == ORDER, events.c.aggregate_id.in_(chunk)
            )
        ).mappings()
        history: dict[str, list[Event]] = {o: [] for o in chunk}
        for row in rows:
            history[str(row["aggregate_id"])].append(_event_of(row))
        conn.execute(tickets.delete().where(tickets.c.location_id == location_id, tickets.c.order_id.in_(chunk)))
        order_rows, ticket_rows = [], []
        for order_id in chunk:
            state, recalled, applied = fold_order(history[order_id])
            row: dict[str, Any] = {
                "k_order": order_id,
                "created_ms": None,
                "status": None,
                "channel": None,
                "canceled": False,
                "folded_events": applied,
            }
            if state is not None:
                channel = CHANNEL_OF_MODE.get(state.mode or "", "other")
                row.update(created_ms=state.created_ms, status=str(state.status), channel=channel)
                row["canceled"] = state.canceled
                ticket_rows += [
                    {
                        "location_id": location_id,
                        "order_id": order_id,
                        "ticket_id": t.id,
                        "station_id": t.station_id,
                        "channel": channel,
                        "status": str(t.status),
                        "created_ms": t.created_ms,
                        "bumped_ms": t.completed_ms if t.status is TicketStatus.BUMPED else None,
                        "recalled": t.id in recalled,
                    }
                    for t in state.tickets.values()
                ]
            order_rows.append(row)
        conn.execute(
            orders.update()
            .where(orders.c.location_id == location_id, orders.c.order_id == sa.bindparam("k_order"))
            .values(
                created_ms=sa.bindparam("created_ms"),
                status=sa.bindparam("status"),
                channel=sa.bindparam("channel"),
                canceled=sa.bindparam("canceled"),
                folded_events=sa.bindparam("folded_events"),
            ),
            order_rows,
        )
        if ticket_rows:
            conn.execute(tickets.insert(), ticket_rows)
