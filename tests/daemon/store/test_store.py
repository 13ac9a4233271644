"""The store against real SQLite files: durability, gapless sequences, group commit, refusal."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from daemon.domain import commands
from daemon.domain.courses import DEFAULT_TEMPLATES
from daemon.domain.errors import OrderExists
from daemon.domain.events import ORDER
from daemon.domain.model import RoutingRule, Station, StationKind, TicketAction
from daemon.domain.routing import Routing
from daemon.store.schema import prepare
from daemon.store.store import Store
from daemon.store.writer import INSERT_EVENT, _insert_all

KITCHEN = commands.Kitchen(
    Routing(
        {"grill": Station("grill", "Grill"), "expo": Station("expo", "Expo", StationKind.EXPO)},
        (RoutingRule("grill", default=True, id="r1"),),
    ),
    DEFAULT_TEMPLATES,
)


def fields(oid: str) -> dict[str, object]:
    return {"id": oid, "name": "Ann", "time": "2026-11-24T12:00:00Z", "mode": "For Here"}


ITEMS = [{"lineId": "1", "name": "Hamburger", "qty": 1, "mods": []}]


async def create(store: Store, oid: str) -> None:
    await store.execute(ORDER, oid, lambda s: commands.create_order(s, fields(oid), ITEMS, ["d1"], KITCHEN))


async def test_committed_order_survives_a_restart(tmp_path: Path) -> None:
    first = Store(tmp_path / "heard.db", "device-a")
    await first.open()
    await create(first, "o1")
    await first.close()

    second = Store(tmp_path / "heard.db", "device-a")
    await second.open()
    try:
        order = second.order("o1")
        assert order is not None
        assert [i.name for i in order.items.values()] == ["Hamburger"]
    finally:
        await second.close()


async def test_sequences_are_gapless_per_origin_across_restarts(tmp_path: Path) -> None:
    for oid in ("o1", "o2"):
        s = Store(tmp_path / "heard.db", "device-a")
        await s.open()
        await create(s, oid)
        await s.close()

    conn = sqlite3.connect(tmp_path / "heard.db")
    seqs = [r[0] for r in conn.execute("SELECT seq FROM events WHERE origin = 'device-a' ORDER BY seq")]
    assert seqs == [1, 2]


async def test_refused_command_logs_nothing_and_keeps_the_sequence(store: Store) -> None:
    await create(store, "o1")

    with pytest.raises(OrderExists):
        await create(store, "o1")
    await create(store, "o2")

    events = store.read_log(0)
    assert [(e.seq, e.aggregate_id) for _, e in events] == [(1, "o1"), (2, "o2")]


async def test_concurrent_writes_share_commits(store: Store) -> None:
    await asyncio.gather(*(create(store, f"o{i}") for i in range(200)))

    assert len(store.orders()) == 200
    assert store._writer is not None
    assert store._writer.groups < 200  # grouped: fewer COMMITs than writes


async def test_event_and_projection_land_in_the_same_transaction(store: Store, tmp_path: Path) -> None:
    await create(store, "o1")

    conn = sqlite3.connect(tmp_path / "heard.db")
    events = conn.execute("SELECT COUNT(*) FROM events WHERE aggregate_id = 'o1'").fetchone()[0]
    projections = conn.execute("SELECT pos FROM aggregates WHERE id = 'o1'").fetchone()
    assert events == 1
    assert projections is not None


async def test_database_is_wal_with_full_sync(store: Store, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "heard.db")

    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_listeners_see_events_only_after_commit(store: Store) -> None:
    seen: list[str] = []
    store.subscribe(lambda events, states: seen.extend(e.type for _, e in events))

    await create(store, "o1")

    assert seen == ["order.created"]


async def finish(store: Store, oid: str) -> None:
    """Bump every ticket of the order: it leaves the screens."""
    order = store.order(oid)
    assert order is not None
    for station in {t.station_id for t in order.tickets.values()}:
        await store.execute(ORDER, oid, lambda o, s=station: commands.ticket_action(o, s, TicketAction.BUMP))


async def test_finished_orders_leave_memory_after_the_retention(tmp_path: Path) -> None:
    clock = [1_790_000_000_000]
    store = Store(tmp_path / "heard.db", "device-a", now_ms=lambda: clock[0], retention_ms=3_600_000)
    await store.open()
    try:
        await create(store, "done")
        await create(store, "live")
        await finish(store, "done")
        clock[0] += 2 * 3_600_000

        evicted = store.evict()

        assert evicted == 1
        assert [o.id for o in store.orders()] == ["live"]
        with pytest.raises(OrderExists):  # a retried create of an evicted order is still a conflict
            await create(store, "done")
    finally:
        await store.close()


async def test_start_up_loads_only_live_and_recent_orders(tmp_path: Path) -> None:
    clock = [1_790_000_000_000]
    first = Store(tmp_path / "heard.db", "device-a", now_ms=lambda: clock[0], retention_ms=3_600_000)
    await first.open()
    await create(first, "done")
    await create(first, "live")
    await finish(first, "done")
    await first.close()
    clock[0] += 2 * 3_600_000

    second = Store(tmp_path / "heard.db", "device-a", now_ms=lambda: clock[0], retention_ms=3_600_000)
    await second.open()
    try:
        assert [o.id for o in second.orders()] == ["live"]
        assert await second.working(ORDER, "done") is not None  # still found on demand, off the loop
    finally:
        await second.close()


def test_a_group_larger_than_one_statement_binds_is_inserted_whole_and_in_order(tmp_path: Path) -> None:
    prepare(tmp_path / "heard.db")
    conn = sqlite3.connect(tmp_path / "heard.db", isolation_level=None)
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)  # two 11-column rows per statement
    rows = [(pos, "d", pos, 1, 0, "t", "order", f"o{pos}", "{}", "{}", 1) for pos in range(1, 8)]

    _insert_all(conn, INSERT_EVENT, rows)

    stored = [r[0] for r in conn.execute("SELECT aggregate_id FROM events ORDER BY pos")]
    assert stored == [f"o{p}" for p in range(1, 8)]


async def test_the_filter_of_stored_ids_grows_with_aggregates_not_with_writes(store: Store) -> None:
    await create(store, "o1")
    for _ in range(3):
        await store.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.BUMP))
        await store.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.RECALL))
    await create(store, "o2")

    assert sum(layer.count for layer in store._stored._layers) == 2
