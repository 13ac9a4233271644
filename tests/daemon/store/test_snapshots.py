"""Snapshots: the projection's state is written every few events, not on every one, and whatever is
read back (at start, or after leaving memory) is exactly the state the live path built."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from daemon.domain import commands
from daemon.domain.codec import order_to_json
from daemon.domain.events import ORDER
from daemon.domain.model import ItemStatus, TicketAction, TicketPriority
from daemon.store.store import SNAPSHOT_EVERY, Store
from tests.daemon.store.test_store import create, finish


def snapshot_of(path: Path, oid: str) -> tuple[str, int, int]:
    conn = sqlite3.connect(path)
    row = conn.execute("SELECT state, snapshot_pos, pos FROM aggregates WHERE id = ?", (oid,)).fetchone()
    conn.close()
    return row


async def work(store: Store, oid: str, steps: int) -> None:
    """Many events on an order that stays live: its grill ticket's priority, up and down."""
    for i in range(steps):
        priority = TicketPriority.HIGH if i % 2 == 0 else TicketPriority.NORMAL
        await store.execute(ORDER, oid, lambda o, p=priority: commands.set_ticket_priority(o, "grill", p))


async def test_a_create_writes_the_event_without_a_snapshot(tmp_path: Path) -> None:
    store = Store(tmp_path / "heard.db", "device-a")
    await store.open()
    await create(store, "o1")
    await store.close()

    state, snapshot_pos, pos = snapshot_of(tmp_path / "heard.db", "o1")
    assert (state, snapshot_pos) == ("", 0) and pos > 0


async def test_a_snapshot_is_written_every_few_events_and_when_the_order_leaves_the_screen(tmp_path: Path) -> None:
    store = Store(tmp_path / "heard.db", "device-a")
    await store.open()
    await create(store, "busy")
    await work(store, "busy", SNAPSHOT_EVERY)
    await create(store, "done")
    await finish(store, "done")
    await store.close()

    busy_state, busy_snapshot, _ = snapshot_of(tmp_path / "heard.db", "busy")
    done_state, done_snapshot, done_pos = snapshot_of(tmp_path / "heard.db", "done")
    assert busy_state and busy_snapshot > 0
    assert done_state and done_snapshot == done_pos


async def test_a_restart_folds_the_events_after_each_snapshot_into_the_same_state(tmp_path: Path) -> None:
    first = Store(tmp_path / "heard.db", "device-a")
    await first.open()
    for oid, steps in (("fresh", 0), ("some", 3), ("many", SNAPSHOT_EVERY + 3)):
        await create(first, oid)
        await work(first, oid, steps)
    order = first.order("some")
    assert order is not None
    item_id = next(iter(order.items))
    await first.execute(ORDER, "some", lambda o: commands.set_item_status(o, item_id, ItemStatus.PREPARING))
    before = {oid: order_to_json(first.order(oid)) for oid in ("fresh", "some", "many")}  # type: ignore[arg-type]
    await first.close()

    second = Store(tmp_path / "heard.db", "device-a")
    await second.open()
    try:
        after = {oid: order_to_json(second.order(oid)) for oid in ("fresh", "some", "many")}  # type: ignore[arg-type]
    finally:
        await second.close()
    assert after == before


async def test_an_order_read_back_after_leaving_memory_has_its_latest_events(tmp_path: Path) -> None:
    clock = [1_790_000_000_000]
    store = Store(tmp_path / "heard.db", "device-a", now_ms=lambda: clock[0], retention_ms=3_600_000)
    await store.open()
    try:
        await create(store, "o1")
        await finish(store, "o1")
        await store.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.RECALL))
        await store.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.BUMP))
        expected = order_to_json(store.order("o1"))  # type: ignore[arg-type]
        clock[0] += 2 * 3_600_000
        assert store.evict() == 1

        assert order_to_json(await store.working(ORDER, "o1")) == expected
    finally:
        await store.close()
