"""What clients see when the database refuses a write: 503 for that write and every later one, and a
/readyz that says so, so systemd and load balancers stop sending the kitchen's orders here."""

from __future__ import annotations

import copy
import sqlite3

from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG
from tests.conftest import SEED_ORDER
from tests.daemon.store.test_fail_stop import poison


def order(oid: str) -> dict[str, object]:
    body = copy.deepcopy(SEED_ORDER)
    body["id"] = oid
    return body


async def test_after_a_failed_commit_writes_get_503_and_readyz_turns_503(
    client: TestClient, pos: dict[str, str]
) -> None:
    assert (await client.post("/integrators/kds-orders", json=order("ok"), headers=pos)).status == 201
    poison(client.app[CONFIG].database_path, "bad")

    failed = await client.post("/integrators/kds-orders", json=order("bad"), headers=pos)
    later = await client.post("/integrators/kds-orders", json=order("later"), headers=pos)
    ready = await client.get("/readyz")

    assert failed.status == 503
    assert (await failed.json())["error"]["code"] == "STORE_UNAVAILABLE"
    assert later.status == 503
    assert ready.status == 503
    assert (await client.get("/healthz")).status == 200  # alive, so an operator can still ask it why
    ids = {r[0] for r in sqlite3.connect(client.app[CONFIG].database_path).execute("SELECT aggregate_id FROM events")}
    assert "later" not in ids and "bad" not in ids
