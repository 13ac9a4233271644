"""The WAL is checkpointed by its own thread, off the writer's COMMIT, only while writes come in."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from daemon.store.checkpointer import Checkpointer
from daemon.store.store import Store
from tests.daemon.process import until
from tests.daemon.store.test_store import create


async def test_the_store_s_commits_are_checkpointed_by_the_checkpointer(store: Store) -> None:
    assert store._writer is not None
    checkpointer = store._writer.checkpointer
    for n in range(20):
        await create(store, f"o{n}")

    await until(lambda: checkpointer.checkpoints >= 1, what="a checkpoint after the writes")
    assert checkpointer.failures == 0


async def test_a_write_asks_for_a_checkpoint_and_a_stop_ends_the_thread(tmp_path: Path) -> None:
    path = tmp_path / "heard.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=wal")
    conn.close()
    checkpointer = Checkpointer(path, interval=0.01)
    checkpointer.start()
    try:
        checkpointer.written()
        await until(lambda: checkpointer.checkpoints == 1, what="the checkpoint a write asked for")
    finally:
        await asyncio.wait_for(asyncio.to_thread(checkpointer.stop), 5)
    assert not checkpointer._thread.is_alive()


async def test_a_failing_checkpoint_is_reported_once_and_tried_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "heard.db"
    path.write_bytes(b"not a database" * 100)
    checkpointer = Checkpointer(path, interval=0.01)
    checkpointer.start()
    caplog.set_level(logging.WARNING, logger="daemon.store.checkpointer")
    try:
        for attempt in (1, 2):
            checkpointer.written()
            await until(lambda n=attempt: checkpointer.failures == n, what=f"attempt {attempt}")
    finally:
        await asyncio.wait_for(asyncio.to_thread(checkpointer.stop), 5)

    assert checkpointer.checkpoints == 0
    assert caplog.text.count("checkpoint failed") == 1  # reported once, not at every attempt
