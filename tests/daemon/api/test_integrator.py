"""The integrator API against the real application and a real SQLite file."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER, device_id


def order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body.update(changes)
    return body


async def test_create_answers_201_with_order_id_and_delivery_statuses(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", json=order(), headers=pos)

    assert resp.status == 201
    body = await resp.json()
    assert body["orderId"] == "123"
    assert body["deliveryStatuses"] == [{"device": device_id(client), "status": "success", "type": "heard"}]


async def test_create_with_existing_id_is_409_with_the_seed_message(client: TestClient, pos: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)

    resp = await client.post("/integrators/kds-orders", json=order(name="Someone else"), headers=pos)

    assert resp.status == 409
    assert (await resp.json())["message"] == "Could not create resource. Id already exists"


async def test_update_of_unknown_order_is_404_with_the_seed_message(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.put("/integrators/kds-orders", json=order(id="nope"), headers=pos)

    assert resp.status == 404
    assert (await resp.json())["message"] == "Could not update. No resource found"


async def test_missing_required_field_is_400_naming_it(client: TestClient, pos: dict[str, str]) -> None:
    body = order()
    del body["mode"]

    resp = await client.post("/integrators/kds-orders", json=body, headers=pos)

    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["field"] == "mode"


async def test_unknown_device_id_is_400(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", json=order(), headers={**pos, "x-device-ids": "nobody"})

    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "UNKNOWN_DEVICE"


async def test_active_lists_created_orders_per_device_with_check_number(
    client: TestClient, pos: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(checkNumber="42"), headers=pos)

    resp = await client.get("/integrators/kds-orders/active", headers=pos)

    assert resp.status == 200
    [device] = await resp.json()
    assert device["deviceId"] == device_id(client)
    assert device["orderCount"] == 1
    assert device["orders"] == [{"orderId": "123", "orderName": "John Doe 42"}]


async def test_malformed_json_is_400(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", data=b"{not json", headers=pos)

    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "MALFORMED_JSON"


async def test_body_over_the_limit_is_413(client: TestClient, pos: dict[str, str]) -> None:
    huge = order(specialInstructions="x" * 2_000_000)

    resp = await client.post("/integrators/kds-orders", json=huge, headers=pos)

    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_unknown_route_is_404_json(client: TestClient) -> None:
    resp = await client.get("/no/such/route")

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "NOT_FOUND"
