"""What ingest writes to the log: events in fold order, and a snapshot only when one is due or needed.

A batch of events that all sort after what an aggregate holds is written without a snapshot (as a local
write is): start-up then folds the aggregate's tail in log order, so that order must be the fold order
even when one batch brings several devices' events for the same order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daemon.domain import commands
from daemon.domain.events import ORDER
from daemon.domain.model import TicketAction, TicketPriority
from tests.daemon.store.test_ingest import act, open_store, pull, state
from tests.daemon.store.test_store import create


def stored_snapshot_pos(path: Path, oid: str) -> int:
    conn = sqlite3.connect(path)
    try:
        (pos,) = conn.execute("SELECT snapshot_pos FROM aggregates WHERE kind = ? AND id = ?", (ORDER, oid)).fetchone()
        return int(pos)
    finally:
        conn.close()


async def test_a_batch_of_two_devices_events_is_logged_in_fold_order_and_folds_the_same_after_a_restart(
    tmp_path: Path,
) -> None:
    a = await open_store(tmp_path, "device-a")
    c = await open_store(tmp_path, "device-c", start_ms=1_790_000_000_200)
    b = await open_store(tmp_path, "device-b", start_ms=1_790_000_000_100)
    try:
        await create(a, "o1")
        await pull(c, a)
        assert await act(c, "o1", TicketAction.START)  # c's event sorts between a's two
        await pull(a, c)
        await a.execute(ORDER, "o1", lambda o: commands.set_ticket_priority(o, "grill", TicketPriority.URGENT))
        await pull(c, a)
        expected = state(a, "o1")
        assert state(c, "o1") == expected

        # One batch, in (origin, seq) order: a1, a2, c1; their fold order is a1, c1, a2.
        batch = [*a.events_of_origin("device-a", 0), *c.events_of_origin("device-c", 0)]
        assert (await b.ingest(batch)).accepted == 3
        assert state(b, "o1") == expected
        assert b.refolds == 0
        await b.close()
        assert stored_snapshot_pos(b.path, "o1") == 0  # no snapshot: start-up folds the log's tail

        b = await open_store(tmp_path, "device-b", start_ms=1_790_000_000_300)
        assert state(b, "o1") == expected
        logged = [(e.origin, e.seq) for _, e in b.read_log(0)]
        assert logged == [("device-a", 1), ("device-c", 1), ("device-a", 2)]
    finally:
        for store in (a, b, c):
            await store.close()


async def test_a_re_fold_or_a_skipped_event_writes_a_snapshot_so_start_up_never_folds_them(tmp_path: Path) -> None:
    a = await open_store(tmp_path, "device-a")
    b = await open_store(tmp_path, "device-b", start_ms=1_790_000_000_500)
    try:
        await create(a, "o1")
        await pull(b, a)
        assert await act(a, "o1", TicketAction.BUMP)
        assert await act(b, "o1", TicketAction.VOID)  # the later: a's bump makes it invalid at its place
        await pull(a, b)
        await pull(b, a)
        assert state(a, "o1") == state(b, "o1")
        expected = state(a, "o1")
        await a.close()
        await b.close()
        assert stored_snapshot_pos(a.path, "o1") > 0 and stored_snapshot_pos(b.path, "o1") > 0

        for origin in ("device-a", "device-b"):
            again = await open_store(tmp_path, origin, start_ms=1_790_000_001_000)
            try:
                assert state(again, "o1") == expected and again.unreadable == 0
            finally:
                await again.close()
    finally:
        await a.close()
        await b.close()
