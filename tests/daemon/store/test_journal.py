"""The effect journal: effects recorded with the event that causes them, once, and kept until done."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from daemon.domain.events import ORDER, Event
from daemon.domain.model import Order
from daemon.store.journal import Effect, EffectRecord
from daemon.store.store import Store, StoreUnavailable
from tests.daemon.store.test_store import create


def chit_per_create(key: tuple[str, str], before: Any, after: Any, events: Sequence[Event]) -> Iterable[Effect]:
    """A rule as printing would write it: one chit for each order the write created."""
    if before is None and isinstance(after, Order):
        yield Effect(f"chit:{key[1]}", "print", "kitchen", {"order": key[1]}, order_key=key[1])


def effect_ids(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT id, status FROM effects ORDER BY seq")]
    finally:
        conn.close()


async def test_an_effect_is_recorded_with_its_event_and_announced_once(store: Store) -> None:
    announced: list[EffectRecord] = []
    store.add_rule(chit_per_create)
    store.journal.subscribe("print", announced.append)

    await create(store, "o1")
    await store.execute(ORDER, "o1", lambda o: [])  # nothing decided: no write, no effect

    assert [r.effect.id for r in announced] == ["chit:o1"]
    assert announced[0].status == "pending" and announced[0].effect.payload == {"order": "o1"}
    assert effect_ids(store.path) == [("chit:o1", "pending")]
    pending = await store.journal.pending("print")
    assert [(r.effect.id, r.effect.target, r.effect.order_key) for r in pending] == [("chit:o1", "kitchen", "o1")]


async def test_the_same_effect_id_twice_is_one_effect(store: Store) -> None:
    """A replicated or re-folded event derives the same id: the journal keeps the first, announces nothing."""
    announced: list[str] = []
    store.journal.subscribe("print", lambda r: announced.append(r.effect.id))
    first = await store.journal.record([Effect("reprint:1", "print", "kitchen", {"n": 1})])
    again = await store.journal.record([Effect("reprint:1", "print", "kitchen", {"n": 2})])

    assert first == ["reprint:1"] and again == []
    assert announced == ["reprint:1"]
    record = await store.journal.get("reprint:1")
    assert record is not None and record.effect.payload == {"n": 1}


async def test_new_effects_among_known_ones_are_announced_with_their_own_seqs(store: Store) -> None:
    """The writer learns the new rows' seqs from the insert's change count and last row id, and asks the
    journal only when some ids were there already: each announced seq must be the one stored."""
    announced: list[EffectRecord] = []
    store.journal.subscribe("print", announced.append)
    await store.journal.record([Effect(i, "print", "kitchen") for i in ("a", "b")])
    announced.clear()

    new = await store.journal.record([Effect(i, "print", "kitchen") for i in ("c", "a", "d", "d", "b", "e")])

    assert new == ["c", "d", "e"]
    stored = {r.effect.id: r.seq for r in await store.journal.list(kind="print", limit=10)}
    assert [(r.effect.id, r.seq) for r in announced] == [(i, stored[i]) for i in ("c", "d", "e")]
    assert sorted(stored.values()) == list(range(1, 6))


async def test_status_changes_only_a_pending_effect(store: Store) -> None:
    await store.journal.record([Effect(f"e{i}", "webhook", "sub-1") for i in range(4)])

    assert await store.journal.retry("e0", "connection refused", next_attempt_ms=123)
    assert await store.journal.done("e0")
    assert not await store.journal.drop("e0", "too late: it was delivered")
    assert await store.journal.fail("e1", "expired after 24 h")
    assert await store.journal.drop("e2", "the ticket was bumped")

    e0 = await store.journal.get("e0")
    assert e0 is not None and (e0.status, e0.attempts, e0.last_error) == ("done", 2, "")
    statuses = {r.effect.id: r.status for r in await store.journal.list(kind="webhook")}
    assert statuses == {"e0": "done", "e1": "failed", "e2": "dropped", "e3": "pending"}
    assert [r.effect.id for r in await store.journal.pending("webhook", target="sub-1")] == ["e3"]
    assert [r.effect.id for r in await store.journal.list(status="failed")] == ["e1"]


async def test_a_failing_rule_costs_the_effect_not_the_write(store: Store) -> None:
    def broken(*_: Any) -> Iterable[Effect]:
        raise ValueError("a bug in a chit layout")

    store.add_rule(broken)
    store.add_rule(chit_per_create)
    await create(store, "o2")

    assert store.order("o2") is not None
    assert store.journal.rule_failures == 1
    assert effect_ids(store.path) == [("chit:o2", "pending")]


async def test_pending_effects_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "heard.db"
    first = Store(path, "device-a")
    await first.open()
    first.add_rule(chit_per_create)
    await create(first, "o3")
    await create(first, "o4")
    await first.journal.done("chit:o3")
    await first.close()

    second = Store(path, "device-a")
    await second.open()
    try:
        assert [r.effect.id for r in await second.journal.pending("print")] == ["chit:o4"]
    finally:
        await second.close()


async def test_a_refused_writer_refuses_journal_changes(store: Store) -> None:
    await store.journal.record([Effect("e", "print", "kitchen")])
    assert store._writer is not None
    store._writer.refuse(RuntimeError("the disk is gone"))

    with pytest.raises(StoreUnavailable):
        await store.journal.done("e")


async def test_a_batch_changes_its_pending_effects_by_their_ids(store: Store) -> None:
    """done_all / retry_all: one statement per batch, on the id index. With the status index SQLite walked
    every pending effect (a printer's backlog) for each statement; this test holds the plan to the ids."""
    from daemon.store.journal import _RETRY_ALL, _SETTLE_ALL

    await store.journal.record([Effect(f"e{i}", "print", "kitchen") for i in range(40)])
    assert await store.journal.drop("e1", "bumped")

    assert await store.journal.retry_all([f"e{i}" for i in range(16)], "sent", next_attempt_ms=5) == 15
    assert await store.journal.done_all([f"e{i}" for i in range(16)]) == 15

    statuses = {r.effect.id: (r.status, r.attempts) for r in await store.journal.list(kind="print", limit=100)}
    assert statuses["e0"] == ("done", 2) and statuses["e1"] == ("dropped", 0) and statuses["e16"] == ("pending", 0)
    conn = sqlite3.connect(store.path)
    try:
        for statement in (_SETTLE_ALL, _RETRY_ALL):
            sql = statement.format(", ".join("?" * 16))
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}", [0] * (sql.count("?"))).fetchall()
            assert all("status" not in str(step) for step in plan), plan
    finally:
        conn.close()
