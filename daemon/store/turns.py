"""Recorded turns read back from the log: every `table.cleared` that carried a seating."""

from __future__ import annotations

import orjson

from daemon.domain.tables import TableEvents
from daemon.domain.turnover import Turn
from daemon.store.store import Store

# A seating longer than this is not a turn anyone wants in a report: it bounds the log range read.
LONGEST_SEATING_MS = 24 * 3_600_000


def read_turns(store: Store, start_ms: int, end_ms: int) -> list[Turn]:
    """Turns that overlap [start, end] (blocking: run off the loop). The range is read through the log's
    (wall_ms, counter) index: a report costs the period's events, not the whole log."""
    conn = store.connect_reader()
    try:
        rows = conn.execute(
            "SELECT wall_ms, payload FROM events"
            " WHERE wall_ms >= ? AND wall_ms <= ? AND type = ? AND aggregate = 'table'",
            (start_ms, end_ms + LONGEST_SEATING_MS, TableEvents.CLEARED),
        ).fetchall()
    finally:
        conn.close()
    turns = []
    for wall_ms, payload in rows:
        turn = orjson.loads(payload).get("turn")
        if not turn or int(turn["seated_ms"]) >= end_ms:
            continue
        turns.append(
            Turn(
                seated_ms=int(turn["seated_ms"]),
                cleared_ms=int(wall_ms),
                party_size=turn.get("party_size"),
                section=turn.get("section"),
                subtotal=turn.get("subtotal"),
            )
        )
    return turns
