"""Two devices of one location, replicating: each event is recorded for delivery once, by the device that
made it, never by the device that received it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.domain.dining_demo import demo_dining_room
from daemon.domain.floor import FLOOR
from daemon.domain.tables import TABLE, TableStatus, change_status
from daemon.domain.webhooks import WEBHOOKS, Subscription, save_subscription
from daemon.reactions.signature import new_secret
from daemon.reactions.webhooks import KIND, webhook_rule
from daemon.store.store import Store
from tests.daemon.store.test_ingest import open_store, pull

LOC = "loc"


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    a = await open_store(tmp_path, "device-a")
    b = await open_store(tmp_path, "device-b", start_ms=1_790_000_000_500)
    for store in (a, b):
        store.add_rule(webhook_rule(store, "tenant", LOC))
    yield a, b
    await a.close()
    await b.close()


async def set_status(store: Store, table_id: str, status: TableStatus) -> None:
    await store.execute(TABLE, table_id, lambda s: change_status(s, table_id, status))


async def test_only_the_device_that_made_an_event_records_its_delivery(pair: tuple[Store, Store]) -> None:
    a, b = pair
    sub = Subscription("wh_1", "http://127.0.0.1:9/hook", ("table.*",), new_secret())
    await a.execute(WEBHOOKS, LOC, lambda _: save_subscription(LOC, sub))
    await a.execute(FLOOR, LOC, lambda _: demo_dining_room(LOC, 0))
    await set_status(a, "tbl_001", TableStatus.DIRTY)
    await pull(b, a)

    await set_status(b, "tbl_002", TableStatus.RESERVED)
    await pull(a, b)

    on_a = [r.effect.payload["type"] for r in await a.journal.list(kind=KIND)]
    on_b = [r.effect.payload["type"] for r in await b.journal.list(kind=KIND)]
    assert a.table_state("tbl_002").status is TableStatus.RESERVED  # a has b's event...
    assert on_a == ["table.status_changed"]  # ...but records only its own for delivery
    assert sorted(on_b) == ["table.reserved", "table.status_changed"]
