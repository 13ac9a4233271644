"""The store is fail-stop: a command that fails leaves nothing behind, a refused COMMIT acknowledges
nothing queued behind it, and a writer that cannot write refuses at once instead of hanging."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from daemon.domain import commands
from daemon.domain.events import ORDER
from daemon.store.store import Store, StoreUnavailable
from daemon.store.writer import LogWriter, Write, WriterFailed
from tests.daemon.process import until
from tests.daemon.store.test_store import ITEMS, KITCHEN, create, fields


def poison(path: Path, aggregate_id: str) -> None:
    """A real SQLite failure inside the writer's transaction, for the creation of one aggregate."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON events"
        f" WHEN NEW.aggregate_id = '{aggregate_id}' AND NEW.type = 'order.created'"
        " BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    conn.commit()
    conn.close()


async def test_a_command_that_cannot_be_encoded_leaves_nothing_behind(store: Store, tmp_path: Path) -> None:
    unencodable = {**fields("o1"), "covers": 10**30}  # JSON with a 100-bit integer: orjson refuses it

    with pytest.raises(TypeError):
        await store.execute(ORDER, "o1", lambda s: commands.create_order(s, unencodable, ITEMS, ["d1"], KITCHEN))

    assert await store.working(ORDER, "o1") is None  # no ghost: the corrected retry is not a 409
    await create(store, "o1")
    conn = sqlite3.connect(tmp_path / "heard.db")
    assert conn.execute("SELECT pos, seq FROM events").fetchall() == [(1, 1)]  # no seq or pos consumed


async def test_writes_queued_behind_a_failed_commit_are_never_acknowledged(store: Store, tmp_path: Path) -> None:
    db = tmp_path / "heard.db"
    await create(store, "before")
    poison(db, "bad")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # the writer will wait on this lock with the poisoned write in hand
    writer = store._writer
    assert writer is not None

    def handed_over() -> bool:
        return not writer._batch and writer._queue.qsize() == 0

    bad = asyncio.ensure_future(create(store, "bad"))
    await until(lambda: (ORDER, "bad") in store._pending and handed_over(), what="the writer holds the bad write")
    decided: list[int] = []

    def patch(order: Any, i: int) -> Any:
        decided.append(i)
        return commands.patch_order(order, "bad", _add_line(str(i)), KITCHEN)

    behind = [asyncio.ensure_future(create(store, f"after-{i}")) for i in range(5)]
    updates = [  # decided on the poisoned write's uncommitted state
        asyncio.ensure_future(store.execute(ORDER, "bad", lambda s, i=i: patch(s, i))) for i in range(3)
    ]
    behind_pending = lambda: all((ORDER, f"after-{i}") in store._pending for i in range(5))  # noqa: E731
    await until(lambda: len(decided) == 3 and behind_pending() and not writer._batch, what="the rest is queued")
    blocker.execute("ROLLBACK")
    results = await asyncio.gather(bad, *behind, *updates, return_exceptions=True)

    assert all(isinstance(r, StoreUnavailable) for r in results), results
    ids = {r[0] for r in sqlite3.connect(db).execute("SELECT aggregate_id FROM events")}
    assert ids == {"before"}
    assert not store.ready
    assert store._pending == {}
    with pytest.raises(StoreUnavailable):  # refused at once, not queued
        await asyncio.wait_for(create(store, "later"), timeout=1.0)


async def test_a_refused_write_leaves_no_pending_state_even_when_its_request_went_away(
    store: Store, tmp_path: Path
) -> None:
    """The write's own cleanup runs on refusal, not on its request's future: a request cancelled while
    its write waited (a client that hung up) must not leave its uncommitted state behind."""
    db = tmp_path / "heard.db"
    poison(db, "bad")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    writer = store._writer
    assert writer is not None
    bad = asyncio.ensure_future(create(store, "bad"))
    await until(
        lambda: (ORDER, "bad") in store._pending and not writer._batch and writer._queue.qsize() == 0,
        what="the writer holds the bad write",
    )

    bad.cancel()
    with pytest.raises(asyncio.CancelledError):
        await bad
    blocker.execute("ROLLBACK")
    await until(lambda: not store.ready and not store._pending, what="the refused write is forgotten")

    assert store._unflushed == {}
    blocker.close()


async def test_refused_events_from_a_peer_leave_no_pending_state(store: Store, tmp_path: Path) -> None:
    """A peer's events merged into the state are forgotten, like a local write's, when the database
    refuses them: nothing is left pending for a later write to be decided on."""
    peer = Store(tmp_path / "peer.db", "device-b")
    await peer.open()
    try:
        await create(peer, "bad")
        events = peer.events_of_origin("device-b", 0)
    finally:
        await peer.close()
    poison(tmp_path / "heard.db", "bad")

    with pytest.raises(StoreUnavailable):
        await store.ingest(events)

    assert store._pending == {} and store._unflushed == {}
    assert store.order("bad") is None


def _add_line(line: str) -> dict[str, Any]:
    item = {"lineId": f"x{line}", "name": "Fries", "qty": 1, "mods": []}
    return {"fields": {}, "add": [item], "update": [], "remove": []}


async def test_a_writer_that_cannot_open_the_database_refuses_at_once(tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    writer = LogWriter(tmp_path / "missing-dir" / "heard.db", loop)
    writer.start()
    await until(lambda: not writer.healthy, what="the writer gives up")

    future = writer.submit(Write([], [], lambda _: None))

    with pytest.raises(WriterFailed):
        await asyncio.wait_for(future, timeout=1.0)
    await writer.stop()
