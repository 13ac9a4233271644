"""The integrator's edges as seed 004 writes them, and as real POS code hits them."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import device_id
from tests.daemon.api.test_integrator import _kitchen_order, order


@pytest.mark.parametrize("header", [",", " , ", ",,"])
async def test_device_ids_that_name_no_device_are_400(client: TestClient, pos: dict[str, str], header: str) -> None:
    resp = await client.post("/integrators/kds-orders", json=order(), headers={**pos, "x-device-ids": header})

    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == "x-device-ids"


async def test_device_ids_with_stray_commas_around_a_device_are_accepted(
    client: TestClient, pos: dict[str, str]
) -> None:
    resp = await client.post(
        "/integrators/kds-orders", json=order(), headers={**pos, "x-device-ids": f",{device_id(client)},"}
    )

    assert resp.status == 201


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/integrators/kds-orders/", order(id="slash"), 201),
        ("PUT", "/integrators/kds-orders/", order(id="slash", name="Renamed"), 200),
        ("PUT", "/integrators/kds-orders/partial/", {"id": "slash", "name": "Again"}, 200),
        ("GET", "/integrators/kds-orders/active/", None, 200),
        ("PUT", "/integrators/kds-orders/cancel/", {"id": "slash"}, 200),
    ],
)
async def test_every_integrator_route_answers_with_a_trailing_slash(
    client: TestClient, pos: dict[str, str], method: str, path: str, body: object, status: int
) -> None:
    if method != "POST":
        await client.post("/integrators/kds-orders", json=order(id="slash"), headers=pos)

    resp = await client.request(method, path, json=body, headers=pos)

    assert resp.status == status


async def test_a_trailing_slash_still_needs_the_integration_token(client: TestClient) -> None:
    resp = await client.post("/integrators/kds-orders/", json=order())

    assert resp.status == 401


async def test_updating_a_removed_line_does_not_bring_it_back(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    await client.put("/integrators/kds-orders/partial", json={"id": "123", "itemsToRemove": ["2"]}, headers=pos)

    update = {"id": "123", "itemsToUpdate": [{"lineId": "2", "name": "Chocolate Shake", "qty": 2, "mods": []}]}
    resp = await client.put("/integrators/kds-orders/partial", json=update, headers=pos)

    assert resp.status == 200
    items = {i["line_id"]: (i["name"], i["flag"]) for i in (await _kitchen_order(client, chef))["items"]}
    assert items["2"] == ("Vanilla Shake", "deleted")


async def test_adding_a_removed_line_again_makes_it_a_line_again(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    await client.put("/integrators/kds-orders/partial", json={"id": "123", "itemsToRemove": ["2"]}, headers=pos)

    add = {"id": "123", "itemsToAdd": [{"lineId": "2", "name": "Chocolate Shake", "qty": 1, "mods": []}]}
    await client.put("/integrators/kds-orders/partial", json=add, headers=pos)

    items = {i["line_id"]: (i["name"], i["flag"], i["status"]) for i in (await _kitchen_order(client, chef))["items"]}
    assert items["2"] == ("Chocolate Shake", "added", "pending")


async def test_a_repeated_line_id_in_items_to_add_adds_the_first_and_ignores_the_rest(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)
    add = {
        "id": "123",
        "itemsToAdd": [
            {"lineId": "7", "name": "Fries", "qty": 1, "mods": []},
            {"lineId": "7", "name": "Onion Rings", "qty": 1, "mods": []},
        ],
    }

    resp = await client.put("/integrators/kds-orders/partial", json=add, headers=pos)

    assert resp.status == 200
    items = {i["line_id"]: i["name"] for i in (await _kitchen_order(client, chef))["items"]}
    assert items["7"] == "Fries"


async def test_items_in_a_partial_update_change_nothing_and_are_not_stored(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=order(), headers=pos)

    resp = await client.put(
        "/integrators/kds-orders/partial", json={"id": "123", "name": "Renamed", "items": "garbage"}, headers=pos
    )

    assert resp.status == 200
    found = await _kitchen_order(client, chef)
    assert found["name"] == "Renamed"
    assert [i["name"] for i in found["items"]] == ["Hamburger", "Vanilla Shake"]
    assert "items" not in found["order"]
