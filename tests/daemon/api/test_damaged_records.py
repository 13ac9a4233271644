"""Defence in depth: a record that cannot be rendered (accepted by an older version, before the intake's
limits) is skipped, logged and counted; every other order and ticket is still served, on every route and
to every WebSocket client, before and after a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG, KITCHEN, STORE
from daemon.app import build_app
from daemon.domain import commands
from daemon.domain.events import ORDER, Actor
from tests.conftest import device_id
from tests.daemon.api.test_integrator import order
from tests.daemon.api.test_websocket import KITCHEN as KITCHEN_CHANNEL
from tests.daemon.api.test_websocket_resume import _connect, _events_until


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value}
    return value


async def created_over_the_websocket(client: TestClient, chef: dict[str, str], wanted: str) -> list[str]:
    ws = await _connect(client, chef)
    await ws.send_json({"type": "subscribe", "channel": KITCHEN_CHANNEL, "cursor": 0})
    created = [m["data"]["id"] for m in await _events_until(ws, {wanted}) if m["event"] == "order:new"]
    await ws.close()
    return created


async def test_an_order_too_deep_for_a_live_message_is_skipped_on_the_websocket_only(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    fields = order(id="deep", posExtras=nested(252))  # stored (by the store, bypassing the intake's limit)
    items = [{**i, "mods": []} for i in fields.pop("items")]
    store = client.app[STORE]
    kitchen = store.setup(client.app[KITCHEN].location_id).kitchen
    devices = [device_id(client)]
    actor = Actor("integration:old-version", (), "integration")
    await store.execute(ORDER, "deep", lambda s: commands.create_order(s, fields, items, devices, kitchen), actor)
    await client.post("/integrators/kds-orders", json=order(id="good"), headers=pos)

    created = await created_over_the_websocket(client, chef, "good")
    orders = await (await client.get("/api/v1/kitchen/orders", headers=chef)).json()
    ready = await (await client.get("/readyz")).json()

    assert created == ["good"]
    assert {o["id"] for o in orders["data"]} == {"good", "deep"}  # one message level less: it fits
    assert ready["skipped"]["live_events"] >= 1


async def test_a_damaged_order_from_an_older_version_is_skipped_by_every_read_after_a_restart(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], aiohttp_client: Callable[..., Any]
) -> None:
    await client.post("/integrators/kds-orders", json=order(id="good"), headers=pos)
    config = client.app[CONFIG]
    await client.close()
    # An older version (stdlib json, no depth limit) logged an order with an unknown field 300 levels deep.
    db = sqlite3.connect(config.database_path)
    row = db.execute(
        "SELECT pos, origin, seq, wall_ms, counter, type, aggregate, payload, actor, schema FROM events"
        " WHERE aggregate_id = 'good'"
    ).fetchone()
    payload = json.loads(row[7])
    payload["fields"] = {**payload["fields"], "id": "damaged", "posExtras": nested(300)}
    for item in payload["items"]:
        item["id"] = f"damaged-{item['id']}"
    (pos, seq) = db.execute("SELECT MAX(pos) + 1, MAX(seq) + 1 FROM events").fetchone()
    db.execute(
        "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'damaged', ?, ?, ?)",
        (pos, row[1], seq, row[3], row[4] + 1, row[5], row[6], json.dumps(payload), row[8], row[9]),
    )
    db.execute(
        "INSERT INTO aggregates (kind, id, state, snapshot_pos, pos, live, updated_ms) VALUES ('order', 'damaged',"
        " '', 0, ?, 1, ?)",
        (pos, row[3]),
    )
    db.commit()
    db.close()

    restarted = await aiohttp_client(build_app(config))
    orders = await restarted.get("/api/v1/kitchen/orders", headers=chef)
    tickets = await restarted.get("/api/v1/kds/stations/expo/tickets", headers=chef)
    created = await created_over_the_websocket(restarted, chef, "good")
    ready = await (await restarted.get("/readyz")).json()

    assert orders.status == 200
    assert [o["id"] for o in (await orders.json())["data"]] == ["good"]
    assert tickets.status == 200
    assert {t["order_id"] for t in await tickets.json()} == {"good", "damaged"}  # its tickets render fine
    assert created == ["good"]
    assert ready["skipped"]["reads"] >= 1 and ready["skipped"]["live_events"] >= 1
