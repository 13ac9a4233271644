"""SQLite's full integrity check runs in the background after start (it reads every page: seconds for a
year of orders); a corrupt file makes the store fail-stop as soon as it is known."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from daemon.store.store import Store, StoreUnavailable
from tests.daemon.store.test_store import create


def corrupt_table(db: Path, table: str) -> None:
    """Break the header of a table's root page: a fault only a full check (or a read of it) finds."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x0d\x00\x00\xff\xff")


async def test_a_sound_database_is_checked_ok_after_start(tmp_path: Path) -> None:
    store = Store(tmp_path / "heard.db", "device-a")
    await store.open()
    try:
        assert store.integrity in ("checking", "ok")
        assert store._integrity_check is not None
        await store._integrity_check
        assert store.integrity == "ok" and store.ready
    finally:
        await store.close()


async def test_a_corrupt_database_stops_accepting_writes_once_checked(tmp_path: Path) -> None:
    db = tmp_path / "heard.db"
    first = Store(db, "device-a")
    await first.open()
    await create(first, "o1")
    await first.close()
    conn = sqlite3.connect(db)
    conn.executemany(
        "INSERT INTO integration_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
        [(f"t{i}", f"pos-{i}", f"hash-{i}", "2026-11-30T00:00:00+00:00") for i in range(50)],
    )
    conn.commit()
    conn.close()
    corrupt_table(db, "integration_tokens")

    store = Store(db, "device-a")
    await store.open()
    try:
        assert store._integrity_check is not None
        await store._integrity_check
        assert store.integrity != "ok"
        assert not store.ready
        with pytest.raises(StoreUnavailable):
            await create(store, "o2")
    finally:
        await store.close()
