"""Webhooks end to end: a real receiver on 127.0.0.1, signed deliveries, outage and recovery, 410, order."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from daemon.api.context import STORE
from daemon.config import Config, load_config
from daemon.domain.events import Event
from daemon.domain.hlc import Stamp
from daemon.reactions.webhooks import webhook_rule
from tests.conftest import SEED_ORDER, ManualClock
from tests.daemon.process import free_port, until

LOC = "demo-location"
HOOKS = f"/api/v1/locations/{LOC}/webhooks"


def verify(secret: str, headers: dict[str, str], body: bytes, now: int, tolerance: int = 300) -> None:
    """docs/webhooks.md's receiver code, as a receiver would run it (with the clock passed in)."""
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(stamp)) > tolerance:
        raise ValueError("timestamp too old or too new: a replay?")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    if not any(
        hmac.compare_digest(sig.partition(",")[2].encode(), expected) for sig in headers["webhook-signature"].split()
    ):
        raise ValueError("bad signature")


class Receiver:
    """An HTTP receiver on 127.0.0.1 that records what it gets and answers what the test says."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/hook"
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.hang = asyncio.Event()  # set: answer at once; cleared: hang until the sender gives up
        self.hang.set()
        self.server: TestServer | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def _hook(self, request: web.Request) -> web.Response:
        self.got.append(({k.lower(): v for k, v in request.headers.items()}, await request.read()))
        await self.hang.wait()
        return web.Response(status=self.status)

    def bodies(self) -> list[dict[str, Any]]:
        return [orjson.loads(body) for _, body in self.got]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    overrides = {"webhooks.retry_base_ms": 20, "webhooks.retry_cap_ms": 150, "webhooks.timeout_seconds": 1}
    return load_config(data_dir=tmp_path / "data", environ={}, overrides=overrides)


@pytest.fixture
async def receiver() -> Any:
    r = Receiver(free_port())
    yield r
    r.hang.set()
    await r.stop()


async def subscribe(client: TestClient, manager: dict[str, str], url: str, events: list[str]) -> dict[str, Any]:
    resp = await client.post(HOOKS, json={"url": url, "events": events}, headers=manager)
    assert resp.status == 201, await resp.text()
    return dict(await resp.json())


async def deliveries(client: TestClient, manager: dict[str, str], sub_id: str, status: str | None = None) -> list[Any]:
    params = {"status": status} if status else {}
    body = await (await client.get(f"{HOOKS}/{sub_id}/deliveries", params=params, headers=manager)).json()
    return list(body["data"])


async def seat_and_clear(client: TestClient, pos: dict[str, str], manager: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": "o1"}, headers=pos)
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "o1", "party_size": 2}, headers=manager)
    await client.patch("/api/v1/tables/tbl_003/status", json={"status": "reserved"}, headers=manager)
    await client.post("/api/v1/tables/tbl_001/clear", headers=manager)
    await client.patch("/api/v1/tables/tbl_001/status", json={"status": "available"}, headers=manager)


TABLE_SEQUENCE = ["table.assigned", "table.status_changed", "table.reserved", "table.cleared", "table.status_changed"]


async def test_a_delivery_is_signed_and_a_tampered_body_fails(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], receiver: Receiver, clock: ManualClock
) -> None:
    await receiver.start()
    sub = await subscribe(client, manager, receiver.url, ["table.assigned"])
    await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": "o1"}, headers=pos)

    await client.put("/api/v1/tables/tbl_002/assign", json={"order_id": "o1", "party_size": 4}, headers=manager)

    await until(lambda: len(receiver.got) == 1, 10, "the delivery")
    headers, body = receiver.got[0]
    verify(sub["secret"], headers, body, clock.ms // 1000)
    event = orjson.loads(body)
    assert event["type"] == "table.assigned" and event["id"] == headers["webhook-id"]
    assert event["data"]["table"]["current_order_id"] == "o1"
    with pytest.raises(ValueError, match="bad signature"):
        verify(sub["secret"], headers, body.replace(b'"o1"', b'"o2"'), clock.ms // 1000)
    with pytest.raises(ValueError, match="replay"):
        verify(sub["secret"], headers, body, clock.ms // 1000 + 3600)


async def test_outage_and_recovery_lose_nothing_and_send_nothing_twice(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], receiver: Receiver
) -> None:
    sub = await subscribe(client, manager, receiver.url, ["table.*"])  # the receiver is down: nothing listens

    await seat_and_clear(client, pos, manager)
    first: list[Any] = []

    async def retried() -> bool:
        first[:] = await deliveries(client, manager, sub["id"])
        return any(d["attempts"] >= 2 and d["last_error"] for d in first)

    deadline = asyncio.get_running_loop().time() + 10
    while not await retried():
        assert asyncio.get_running_loop().time() < deadline, first
        await asyncio.sleep(0.02)  # polling the deliveries API against a deadline
    assert {d["status"] for d in first} == {"pending"}
    await receiver.start()

    await until(lambda: len(receiver.got) >= 5, 15, "every delivery after the outage")
    deadline = asyncio.get_running_loop().time() + 10
    while len(await deliveries(client, manager, sub["id"], "delivered")) < 5:  # the last acknowledgement
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)  # polling the deliveries API against a deadline
    assert [b["type"] for b in receiver.bodies()] == TABLE_SEQUENCE
    assert len({h["webhook-id"] for h, _ in receiver.got}) == 5
    assert await deliveries(client, manager, sub["id"], "pending") == []
    assert len(receiver.got) == 5


async def test_a_table_s_events_arrive_in_order(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], receiver: Receiver
) -> None:
    await receiver.start()
    await subscribe(client, manager, receiver.url, ["table.assigned", "table.cleared", "table.status_changed"])

    await seat_and_clear(client, pos, manager)

    await until(lambda: len(receiver.got) == 4, 10, "four deliveries")
    tbl_001 = [b["type"] for b in receiver.bodies() if b["data"]["table"]["id"] == "tbl_001"]
    assert tbl_001 == ["table.assigned", "table.cleared", "table.status_changed"]


async def test_410_ends_the_subscription(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], receiver: Receiver
) -> None:
    receiver.status = 410
    await receiver.start()
    sub = await subscribe(client, manager, receiver.url, ["table.*"])

    await seat_and_clear(client, pos, manager)

    async def ended() -> bool:
        body = await (await client.get(f"{HOOKS}/{sub['id']}", headers=manager)).json()
        return body["active"] is False and await deliveries(client, manager, sub["id"], "pending") == []

    deadline = asyncio.get_running_loop().time() + 10
    while not await ended():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)  # polling the API against a deadline
    body = await (await client.get(f"{HOOKS}/{sub['id']}", headers=manager)).json()
    assert "410" in body["ended_reason"]
    assert len(receiver.got) == 1
    # Events made after the end are not recorded at all; what was recorded is dropped, none left pending.
    assert {d["status"] for d in await deliveries(client, manager, sub["id"])} == {"dropped"}


async def test_a_hanging_receiver_slows_neither_the_api_nor_another_receiver(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], receiver: Receiver
) -> None:
    other = Receiver(free_port())
    receiver.hang.clear()
    await receiver.start()
    await other.start()
    try:
        await subscribe(client, manager, receiver.url, ["table.*"])
        await subscribe(client, manager, other.url, ["table.*"])

        await seat_and_clear(client, pos, manager)

        await until(lambda: len(other.got) == 5, 10, "the healthy receiver's deliveries")
        assert len(receiver.got) <= 2  # the hanging one still holds its first (or its retry)
    finally:
        receiver.hang.set()
        await other.stop()


async def test_order_and_ticket_events_for_integrators(
    client: TestClient, manager: dict[str, str], pos: dict[str, str], chef: dict[str, str], receiver: Receiver
) -> None:
    await receiver.start()
    await subscribe(client, manager, receiver.url, ["order.created", "ticket.*"])

    await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": "o9"}, headers=pos)
    await client.post("/api/v1/kds/stations/grill/orders/o9/ticket/bump", headers=chef)

    await until(lambda: len(receiver.got) == 2, 10, "order and ticket deliveries")
    created, bumped = receiver.bodies()
    assert created["type"] == "order.created" and created["data"]["id"] == "o9"
    assert bumped["type"] == "ticket.bumped" and bumped["data"]["ticket"]["status"] == "bumped"


async def test_only_this_device_s_events_are_delivered(client: TestClient, manager: dict[str, str]) -> None:
    await subscribe(client, manager, "http://127.0.0.1:9/hook", ["*"])
    store = client.app[STORE]
    rule = webhook_rule(store, "demo-tenant", LOC)
    state = store.table_state("tbl_001")
    mine = Event(
        store.origin, 1, Stamp(1, 0, store.origin), "table.status_changed", "table", "tbl_001", {"status": "dirty"}
    )
    theirs = Event("peer", 1, Stamp(1, 0, "peer"), "table.status_changed", "table", "tbl_001", {"status": "dirty"})

    assert list(rule(("table", "tbl_001"), None, state, [theirs])) == []
    assert len(list(rule(("table", "tbl_001"), None, state, [mine]))) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x", "events": ["table.assigned"]}, "url"),
        ({"url": "http:///nohost", "events": ["table.assigned"]}, "url"),
        ({"url": "https://example.com/x", "events": ["table.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["*"], "secret": "hunter2"}, "secret"),
        ({"url": "https://example.com/x", "events": ["*"], "active": "yes"}, "active"),
    ],
)
async def test_bad_subscription_is_400_naming_the_field(
    client: TestClient, manager: dict[str, str], body: dict[str, Any], field: str
) -> None:
    resp = await client.post(HOOKS, json=body, headers=manager)

    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == field


async def test_subscription_crud(client: TestClient, manager: dict[str, str]) -> None:
    sub = await subscribe(client, manager, "https://example.com/x", ["table.*"])

    listed = await (await client.get(HOOKS, headers=manager)).json()
    edited = await client.patch(f"{HOOKS}/{sub['id']}", json={"active": False}, headers=manager)
    deleted = await client.delete(f"{HOOKS}/{sub['id']}", headers=manager)
    gone = await client.get(f"{HOOKS}/{sub['id']}", headers=manager)

    assert sub["secret"].startswith("whsec_")
    assert listed["data"][0]["secret"] != sub["secret"]
    assert (await edited.json())["active"] is False
    assert deleted.status == 204
    assert (gone.status, (await gone.json())["error"]["code"]) == (404, "webhook_not_found")


@pytest.mark.parametrize("role", ["host", "server", "chef", "cashier"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", HOOKS),
        ("post", HOOKS),
        ("get", f"{HOOKS}/wh_1"),
        ("patch", f"{HOOKS}/wh_1"),
        ("delete", f"{HOOKS}/wh_1"),
        ("get", f"{HOOKS}/wh_1/deliveries"),
    ],
)
async def test_only_managers_manage_webhooks(
    client: TestClient, token_for: Callable[..., dict[str, str]], role: str, method: str, path: str
) -> None:
    resp = await getattr(client, method)(path, json={}, headers=token_for(role))

    assert resp.status == 403


async def test_deliveries_of_an_unknown_subscription_are_404_and_a_bad_status_400(
    client: TestClient, manager: dict[str, str]
) -> None:
    sub = await subscribe(client, manager, "https://example.com/x", ["table.*"])

    missing = await client.get(f"{HOOKS}/wh_nope/deliveries", headers=manager)
    bad = await client.get(f"{HOOKS}/{sub['id']}/deliveries", params={"status": "lost"}, headers=manager)

    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "webhook_not_found")
    assert (bad.status, (await bad.json())["error"]["field"]) == (400, "status")


async def test_a_delivery_failing_past_its_expiry_is_given_up(
    client: TestClient, manager: dict[str, str], receiver: Receiver, clock: ManualClock
) -> None:
    sub = await subscribe(client, manager, receiver.url, ["table.status_changed"])  # the receiver stays down
    await client.patch("/api/v1/tables/tbl_003/status", json={"status": "dirty"}, headers=manager)
    deadline = asyncio.get_running_loop().time() + 10
    while not (await deliveries(client, manager, sub["id"]))[0]["attempts"]:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)  # polling the deliveries API against a deadline

    clock.advance(73 * 3600)

    while not (failed := await deliveries(client, manager, sub["id"], "failed")):
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)  # polling the deliveries API against a deadline
    assert "expired" in failed[0]["last_error"]
    assert failed[0]["next_attempt_at"] is None


async def test_removing_a_subscription_drops_its_pending_deliveries(
    client: TestClient, manager: dict[str, str], receiver: Receiver
) -> None:
    sub = await subscribe(client, manager, receiver.url, ["table.*"])  # the receiver stays down
    await client.patch("/api/v1/tables/tbl_003/status", json={"status": "dirty"}, headers=manager)
    journal = client.app[STORE].journal

    await client.delete(f"{HOOKS}/{sub['id']}", headers=manager)

    deadline = asyncio.get_running_loop().time() + 10
    while {r.status for r in await journal.list(kind="webhook", target=sub["id"])} != {"dropped"}:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.02)  # polling the journal against a deadline
    assert receiver.got == []
