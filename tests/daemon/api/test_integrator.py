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


async def _kitchen_order(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    body = await (await client.get("/api/v1/kitchen/orders", headers=headers)).json()
    [found] = [o for o in body["data"] if o["id"] == "123"]
    return found


async def test_full_update_flags_modified_deleted_and_added(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    updated = order()
    updated["items"] = [
        {**updated["items"][0], "qty": 2},
        {"lineId": "3", "name": "Onion Rings", "qty": 1, "mods": []},
    ]

    resp = await client.put("/integrators/kds-orders", json=updated, headers=pos)

    assert resp.status == 200
    flags = {i["name"]: i["flag"] for i in (await _kitchen_order(client, chef))["items"]}
    assert flags == {"Hamburger": "modified", "Vanilla Shake": "deleted", "Onion Rings": "added"}


async def test_partial_update_seed_example_renames_and_adds(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    patch = {
        "id": "123",
        "name": "New order name",
        "mode": None,
        "server": None,
        "itemsToAdd": [{"lineId": "3", "qty": 1, "name": "Hamburger", "mods": ["no tomato"]}],
        "itemsToUpdate": None,
        "itemsToRemove": None,
    }

    resp = await client.put("/integrators/kds-orders/partial", json=patch, headers=pos)

    assert resp.status == 200
    found = await _kitchen_order(client, chef)
    assert found["name"] == "New order name"
    assert found["mode"] == "Pickup"  # null leaves it as it was
    assert [(i["line_id"], i["flag"]) for i in found["items"]][-1] == ("3", "added")


async def test_partial_update_ignores_duplicate_and_unknown_line_ids(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    patch = {
        "id": "123",
        "itemsToAdd": [{"lineId": "1", "name": "Duplicate", "qty": 1, "mods": []}],
        "itemsToUpdate": [{"lineId": "99", "name": "Ghost", "qty": 1, "mods": []}],
        "itemsToRemove": ["2", "404"],
    }

    resp = await client.put("/integrators/kds-orders/partial", json=patch, headers=pos)

    assert resp.status == 200
    items = {i["line_id"]: (i["name"], i["flag"]) for i in (await _kitchen_order(client, chef))["items"]}
    assert items == {"1": ("Hamburger", None), "2": ("Vanilla Shake", "deleted")}


async def test_partial_update_of_unknown_order_is_404(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.put("/integrators/kds-orders/partial", json={"id": "nope", "name": "x"}, headers=pos)

    assert resp.status == 404
    assert (await resp.json())["message"] == "Could not update. No resource found"


async def test_cancel_keeps_tickets_under_a_banner(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)

    first = await client.put("/integrators/kds-orders/cancel", json={"id": "123"}, headers=pos)
    again = await client.put("/integrators/kds-orders/cancel", json={"id": "123"}, headers=pos)

    assert (first.status, again.status) == (200, 200)
    [ticket] = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    assert ticket["status"] == "pending"
    assert ticket["metadata"]["canceled"] is True
    active = await (await client.get("/integrators/kds-orders/active", headers=pos)).json()
    assert active[0]["orderCount"] == 1  # still on screen until bumped


async def test_cancel_of_unknown_order_is_404(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.put("/integrators/kds-orders/cancel", json={"id": "nope"}, headers=pos)

    assert resp.status == 404


async def test_update_of_canceled_order_is_409(client: TestClient, pos: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    await client.put("/integrators/kds-orders/cancel", json={"id": "123"}, headers=pos)

    resp = await client.put("/integrators/kds-orders", json=order(), headers=pos)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "ORDER_CANCELED"


async def test_priority_order_lists_first(client: TestClient, pos: dict[str, str]) -> None:
    await client.post("/integrators/kds-orders", json=order(id="first"), headers=pos)
    await client.post("/integrators/kds-orders", json=order(id="rush", priority=True), headers=pos)

    [device] = await (await client.get("/integrators/kds-orders/active", headers=pos)).json()

    assert [o["orderId"] for o in device["orders"]] == ["rush", "first"]


async def test_mods_as_objects_are_accepted(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    body = order()
    body["items"][0]["mods"] = [{"id": "m1", "name": "Extra Cheese", "qty": 2}]

    resp = await client.post("/integrators/kds-orders", json=body, headers=pos)

    assert resp.status == 201
    [ticket] = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    assert ticket["items"][0]["modifiers"][0] == {
        "modifier_id": "m1",
        "name": "Extra Cheese",
        "quantity": 2,
        "allergens": [],
    }


async def test_wrong_location_header_is_403(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post("/integrators/kds-orders", json=order(), headers={**pos, "x-location-id": "other"})

    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "LOCATION_MISMATCH"


async def test_bad_integration_token_is_401(client: TestClient, pos: dict[str, str]) -> None:
    resp = await client.post(
        "/integrators/kds-orders", json=order(), headers={**pos, "x-integration-token": "hit_wrong"}
    )

    assert resp.status == 401
