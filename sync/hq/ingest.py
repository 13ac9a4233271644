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
from daemon.domain.model import CHANNEL_OF_MODE, CourseStatus, Order, TicketStatus
from daemon.domain.pacing import Pacing
from daemon.domain.tables import TableEvents
from daemon.domain.templates import EMPTY_BOOK, TEMPLATES, apply_templates
from daemon.domain.timing_alerts import AlertEvents
from daemon.domain.timing_config import DEFAULT_CONFIG, TIMING_CONFIG, apply_config
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
        _record_facts(sql, location_id, fresh)
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


def _record_facts(sql: batch_sql.BatchSql, location_id: str, fresh: Sequence[WireEvent]) -> None:
    """Timing alerts raised and table turns ended: facts of one event each, kept once by their id (the
    alert's own id, as the domain's fold keeps one alert per id; the clear's event id). An event whose
    payload lacks what is needed is passed over here, as the fold skips it on the devices."""
    alert_rows: list[tuple[Any, ...]] = []
    turn_rows: list[tuple[Any, ...]] = []
    for e in fresh:
        if e.type == AlertEvents.RAISED:
            try:
                alert = e.event().payload["alert"]
                alert_rows.append(
                    (location_id, str(alert["id"]), str(alert["alert_level"]), alert.get("order_id"), e.hlc.wall_ms)
                )
            except (KeyError, TypeError, ValueError):
                continue
        elif e.type == TableEvents.CLEARED:
            try:
                turn = e.event().payload.get("turn")
                if not turn:
                    continue
                party = turn.get("party_size")
                subtotal = turn.get("subtotal")
                turn_rows.append(
                    (
                        e.origin,
                        e.seq,
                        location_id,
                        e.aggregate_id,
                        int(turn["seated_ms"]),
                        e.hlc.wall_ms,
                        int(party) if isinstance(party, int) else None,
                        turn.get("section") if isinstance(turn.get("section"), str) else None,
                        float(subtotal) if isinstance(subtotal, (int, float)) else None,
                    )
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
    sql.insert_ignoring("hq_alerts", batch_sql.ALERT_COLUMNS, batch_sql.ALERT_TYPES, sorted(alert_rows))
    sql.insert_ignoring("hq_turns", batch_sql.TURN_COLUMNS, batch_sql.TURN_TYPES, turn_rows)


def location_pacing(sql: batch_sql.BatchSql, location_id: str) -> Pacing:
    """The location's course templates and timing config as headquarters holds them now, folded with the
    devices' code: what a course's lateness is measured against."""
    templates, config = EMPTY_BOOK, DEFAULT_CONFIG
    events = in_fold_order([_event_of(row) for row in sql.location_history(location_id, (TEMPLATES, TIMING_CONFIG))])
    for event in events:
        try:
            if event.aggregate == TEMPLATES:
                templates = apply_templates(templates, event)
            else:
                config = apply_config(config, event)
        except Exception:  # noqa: BLE001 - skipped at its place, as on the devices
            continue
    return Pacing(templates, config)


def _fold_orders(sql: batch_sql.BatchSql, location_id: str, touched: dict[str, list[Event]]) -> None:
    """Fold every order the batch brought events of, and write its row, its tickets and its courses.

    Each order is first folded from this batch's events alone and its row inserted with that result, all in
    one statement; the rows that were new are done (headquarters had no event of them before). An order
    that already had its row is locked and folded again from every event held of it."""
    ids = sorted(touched)
    pacing: list[Pacing] = []  # read once, when a course needs it

    def rows(order_id: str, history: Sequence[Event]) -> ReportRows:
        return _report_rows(sql, location_id, order_id, pacing, *fold_order(history))

    folded = {o: rows(o, touched[o]) for o in ids}
    new = sql.insert_new_orders(location_id, [folded[o][0] for o in ids])
    known = [o for o in ids if o not in new]
    history: dict[str, list[Event]] = {o: [] for o in known}
    for row in sql.lock_and_read_history(location_id, known):
        history[str(row[6])].append(_event_of(row))
    final = {**folded, **{o: rows(o, history[o]) for o in known}}
    tickets = [t for o in ids for t in final[o][1]]
    courses = [c for o in ids for c in final[o][2]]
    sql.replace_rows("hq_tickets", batch_sql.TICKET_COLUMNS, batch_sql.TICKET_TYPES, location_id, known, tickets)
    sql.replace_rows("hq_courses", batch_sql.COURSE_COLUMNS, batch_sql.COURSE_TYPES, location_id, known, courses)
    sql.update_orders(location_id, [final[o][0] for o in known])


ReportRows = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _report_rows(
    sql: batch_sql.BatchSql,
    location_id: str,
    order_id: str,
    pacing: list[Pacing],
    state: Order | None,
    recalled: set[str],
    applied: int,
) -> ReportRows:
    """The order's row (batch_sql.ORDER_UPDATE_TYPES), its tickets' rows and its courses' rows."""
    if state is None:
        return (order_id, None, None, None, False, applied), [], []
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
    courses = []
    for c in state.courses.values():
        late = None
        if c.status is CourseStatus.COMPLETE:
            if not pacing:
                pacing.append(location_pacing(sql, location_id))
            done = c.ready_ms or c.completed_ms or c.updated_ms
            late = pacing[0].status(state, c, done).delay_minutes
        courses.append((location_id, order_id, c.number, str(c.status), state.created_ms, c.fired_ms, c.ready_ms, late))
    return (order_id, state.created_ms, str(state.status), channel, state.canceled, applied), tickets, courses
