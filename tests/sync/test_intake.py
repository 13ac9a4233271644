"""The intake of a peer's batches: merged in order with several committing at once, acknowledged only up
to what is durable, and a gap ends it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.intake import Gap, Intake
from tests.daemon.store.test_ingest import open_store
from tests.daemon.store.test_store import create


async def test_batches_merge_in_order_and_each_is_acknowledged_once_durable(tmp_path: Path) -> None:
    a = await open_store(tmp_path, "device-a")
    b = await open_store(tmp_path, "device-b")
    try:
        for i in range(12):
            await create(a, f"o{i}")
        events = a.events_of_origin("device-a", 0)
        taken: list[dict[str, int]] = []
        intake = Intake(b, on_taken=taken.append, window=2)
        for start in range(0, 12, 3):
            await intake.put(events[start : start + 3])
            # Merged at once: the version vector (pending writes included) already has the batch.
            assert b.version_vector()["device-a"] == start + 3
        await intake.drain()
        assert taken == [{"device-a": 3}, {"device-a": 6}, {"device-a": 9}, {"device-a": 12}]
        assert sorted(o.id for o in b.orders()) == sorted(f"o{i}" for i in range(12))
    finally:
        await a.close()
        await b.close()


async def test_a_gap_ends_the_intake_and_only_what_is_held_is_acknowledged(tmp_path: Path) -> None:
    a = await open_store(tmp_path, "device-a")
    b = await open_store(tmp_path, "device-b")
    try:
        for i in range(4):
            await create(a, f"o{i}")
        e1, e2, e3, e4 = a.events_of_origin("device-a", 0)
        taken: list[dict[str, int]] = []
        failed: list[BaseException] = []
        intake = Intake(b, on_taken=taken.append, on_failed=failed.append)
        await intake.put([e1, e3, e4])  # e2 never came
        with pytest.raises(Gap):
            await intake.drain()
        assert taken == [{"device-a": 1}] and isinstance(failed[0], Gap)
        with pytest.raises(Gap):
            await intake.put([e2])  # a failed intake takes nothing more: the link starts again
        assert b.version_vector()["device-a"] == 1
    finally:
        await a.close()
        await b.close()
