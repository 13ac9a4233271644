"""A request forwarded by the front gets, from the core, the answer the core gives it directly: the same
routes, middlewares, errors and body, byte for byte."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG, KITCHEN
from daemon.domain import intake
from daemon.front import wire
from daemon.front.dispatch import Dispatcher
from daemon.front.link import is_order_write
from tests.conftest import SEED_ORDER

_ids = itertools.count(1)


def order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body.update(changes)
    return body


def forwarded(method: str, path: str, headers: dict[str, str], body: bytes = b"", **fields: Any) -> wire.Request:
    return wire.Request(next(_ids), method, path, list(headers.items()), body, "127.0.0.1", **fields)


async def both(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[tuple[int, bytes], tuple[int, bytes]]:
    """(status, body) straight from the core over HTTP, and through the dispatcher."""
    resp = await client.request(method, path, data=body, headers=headers)
    direct = (resp.status, await resp.read())
    reply = await Dispatcher(client.app, 1 << 20).answer(forwarded(method, path, headers, body))
    return direct, (reply.status, reply.body)


@pytest.mark.parametrize(
    ("method", "path", "body", "token", "status"),
    [
        ("POST", "/integrators/kds-orders", orjson.dumps(order(mode=None)), True, 400),
        ("POST", "/integrators/kds-orders/", b"{not json", True, 400),
        ("POST", "/integrators/kds-orders", b"", True, 400),
        ("POST", "/integrators/kds-orders", orjson.dumps(order()), False, 401),
        ("PUT", "/integrators/kds-orders", orjson.dumps(order(id="nobody")), True, 404),
        ("PUT", "/integrators/kds-orders/cancel", orjson.dumps({"id": "nobody"}), True, 404),
        ("GET", "/integrators/kds-orders/active", b"", True, 200),
        ("POST", "/integrators/kds-orders/active", b"", True, 405),
        ("GET", "/integrators/nowhere", b"", True, 404),
        ("GET", "/api/v1/kitchen/orders", b"", True, 401),
    ],
)
async def test_a_forwarded_request_is_answered_as_a_direct_one(
    client: TestClient, pos: dict[str, str], method: str, path: str, body: bytes, token: bool, status: int
) -> None:
    headers = {**pos, "content-type": "application/json"} if token else {"x-location-id": pos["x-location-id"]}

    direct, via_front = await both(client, method, path, headers, body)

    assert direct[0] == status
    assert via_front == direct


async def test_the_allow_header_of_a_405_is_forwarded(client: TestClient, pos: dict[str, str]) -> None:
    reply = await Dispatcher(client.app, 1 << 20).answer(forwarded("DELETE", "/integrators/kds-orders/active", pos))

    assert reply.status == 405
    assert ("Allow", "GET") in reply.headers


async def test_a_created_order_and_its_repeat_answer_as_direct_ones(client: TestClient, pos: dict[str, str]) -> None:
    dispatcher = Dispatcher(client.app, 1 << 20)
    direct = await client.post("/integrators/kds-orders", json=order(id="direct"), headers=pos)
    reply = await dispatcher.answer(forwarded("POST", "/integrators/kds-orders", pos, orjson.dumps(order(id="front"))))
    again = await dispatcher.answer(forwarded("POST", "/integrators/kds-orders", pos, orjson.dumps(order(id="front"))))

    assert (reply.status, again.status) == (201, 409)
    assert orjson.loads(reply.body) == {**await direct.json(), "orderId": "front"}
    repeat = await client.post("/integrators/kds-orders", json=order(id="direct"), headers=pos)
    assert orjson.loads(again.body) == await repeat.json()


async def test_an_order_the_front_checked_is_stored_as_the_same_order_sent_whole(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    body = order(id="checked", items=[{"name": "Burger", "qty": 2, "mods": ["No onion"], "someField": 1}])
    zone = client.app[KITCHEN].zone
    fields, items = intake.check_order(copy.deepcopy(body), zone)

    reply = await Dispatcher(client.app, 1 << 20).answer(
        forwarded("POST", "/integrators/kds-orders", pos, checked=[fields, items])
    )
    await client.post("/integrators/kds-orders", json={**body, "id": "whole"}, headers=pos)

    assert reply.status == 201
    listed = await (await client.get("/api/v1/kitchen/orders", headers=chef)).json()
    stored = {o["id"]: o for o in listed["data"]}
    assert _without_ids(stored["checked"]) == _without_ids(stored["whole"])


async def test_an_order_the_front_checked_still_needs_a_valid_token(client: TestClient, pos: dict[str, str]) -> None:
    fields, items = intake.check_order(order(id="sneaky"), client.app[KITCHEN].zone)
    headers = {**pos, "x-integration-token": "not-a-token"}

    reply = await Dispatcher(client.app, 1 << 20).answer(
        forwarded("POST", "/integrators/kds-orders", headers, checked=[fields, items])
    )

    assert reply.status == 401


@pytest.mark.parametrize(("state", "status"), [(wire.BODY_TOO_LARGE, 413), (wire.BODY_TIMED_OUT, 408)])
async def test_a_body_the_front_could_not_read_gets_the_core_s_refusal(
    client: TestClient, pos: dict[str, str], state: int, status: int
) -> None:
    reply = await Dispatcher(client.app, 1 << 20).answer(
        forwarded("POST", "/integrators/kds-orders", pos, body_state=state)
    )

    assert reply.status == status


async def test_a_body_the_front_could_not_read_is_refused_after_authentication(client: TestClient) -> None:
    headers = {"x-location-id": client.app[CONFIG].location.location_id}

    reply = await Dispatcher(client.app, 1 << 20).answer(
        forwarded("POST", "/integrators/kds-orders", headers, body_state=wire.BODY_TOO_LARGE)
    )

    assert reply.status == 401


def test_only_an_order_write_s_first_bytes_are_handed_to_the_front() -> None:
    assert is_order_write(b"POST /integrators/kds-orders HTTP/1.1\r\nHost: x\r\n\r\n")
    assert is_order_write(b"PUT /integrators/kds-orders/cancel HTTP/1.1\r\n")
    assert not is_order_write(b"GET /integrators/kds-orders/active HTTP/1.1\r\n")
    assert not is_order_write(b"GET /api/v1/ws HTTP/1.1\r\nUpgrade: websocket\r\n")
    assert not is_order_write(b"POST /integ")  # a first read too short to tell stays with the core


def _without_ids(order_json: dict[str, Any]) -> dict[str, Any]:
    keep = {k: v for k, v in order_json.items() if k not in {"id", "created_at", "updated_at"}}
    if "order" in keep:  # the order as the POS sent it
        keep["order"] = {k: v for k, v in keep["order"].items() if k != "id"}
    keep["items"] = [
        {k: v for k, v in i.items() if k not in {"id", "order_id", "updated_at"}} for i in order_json["items"]
    ]
    return keep
