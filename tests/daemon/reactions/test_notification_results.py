"""A notification's result reaches the POS's notificationUrl once, retried until its expiration."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from daemon.api.context import STORE
from daemon.reactions.notification_results import KIND
from tests.conftest import SEED_ORDER, ManualClock, device_id
from tests.daemon.process import until

BASE = "/integrators/kds-notifications"


async def receiver(aiohttp_server: Callable[..., Any], answers: list[int]) -> tuple[TestServer, list[Any]]:
    """A POS endpoint that answers the given statuses in turn (then 200) and keeps what it received."""
    received: list[Any] = []

    async def take(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/fresh-result", take)
    return await aiohttp_server(app), received


async def settled(client: TestClient, status: str, timeout: float = 10.0) -> None:
    """Wait until the one result effect has `status` in the journal (polled against a deadline)."""
    journal = client.app[STORE].journal
    deadline = asyncio.get_running_loop().time() + timeout
    while [r.status for r in await journal.list(kind=KIND)] != [status]:
        assert asyncio.get_running_loop().time() < deadline, f"the result is not {status}"
        await asyncio.sleep(0.02)  # polling a condition with a deadline


async def test_the_result_is_posted_to_the_notification_url(
    client: TestClient, pos: dict[str, str], aiohttp_server: Callable[..., Any]
) -> None:
    server, received = await receiver(aiohttp_server, [])
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    body = {"id": "123", "retry": {"notificationUrl": str(server.make_url("/fresh-result"))}}

    await client.post(f"{BASE}/customer-arrived", json=body, headers=pos)

    await until(lambda: received)
    assert received[0]["notification"] == "customer-arrived"
    assert received[0]["id"] == "123"
    assert received[0]["status"] == "success"
    assert received[0]["deliveryStatuses"] == [{"device": device_id(client), "status": "success"}]
    await settled(client, "done")


async def test_a_refusing_receiver_is_retried(
    client: TestClient, pos: dict[str, str], aiohttp_server: Callable[..., Any]
) -> None:
    server, received = await receiver(aiohttp_server, [503])
    url = str(server.make_url("/fresh-result"))

    await client.post(
        f"{BASE}/send-message", json={"message": "86 the fish", "retry": {"notificationUrl": url}}, headers=pos
    )

    await until(lambda: len(received) == 2)
    assert received[0] == received[1]
    assert received[1]["notification"] == "send-message"


async def test_it_is_given_up_at_its_expiration(
    client: TestClient, pos: dict[str, str], aiohttp_server: Callable[..., Any], clock: ManualClock
) -> None:
    server, received = await receiver(aiohttp_server, [500] * 1000)
    url = str(server.make_url("/fresh-result"))
    await client.post(f"{BASE}/send-message", json={"message": "hi", "retry": {"notificationUrl": url}}, headers=pos)
    await until(lambda: received)

    clock.advance(121)  # past the default two minutes

    await settled(client, "failed")
