"""The kitchen orders API: active orders with their items, and the item status table of the seed."""

from __future__ import annotations

import copy
import time
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient

from daemon.security.jwt_tokens import load_or_create_secret
from tests.conftest import SEED_ORDER


async def _create(client: TestClient, pos: dict[str, str], **changes: Any) -> None:
    body = copy.deepcopy(SEED_ORDER)
    body.update(changes)
    assert (await client.post("/integrators/kds-orders", json=body, headers=pos)).status == 201


async def _orders(client: TestClient, headers: dict[str, str], query: str = "") -> list[dict[str, Any]]:
    resp = await client.get(f"/api/v1/kitchen/orders{query}", headers=headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["success"] is True
    data: list[dict[str, Any]] = body["data"]
    return data


async def _item_id(client: TestClient, headers: dict[str, str], name: str) -> str:
    [order] = await _orders(client, headers)
    return str(next(i["id"] for i in order["items"] if i["name"] == name))


async def test_orders_list_active_orders_with_items(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await _create(client, pos)

    [order] = await _orders(client, chef)

    assert order["id"] == "123"
    assert order["status"] == "pending"
    assert [(i["name"], i["status"]) for i in order["items"]] == [
        ("Hamburger", "pending"),
        ("Vanilla Shake", "pending"),
    ]


async def test_unknown_fields_are_kept_and_returned(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await _create(client, pos, loyaltyTier="gold", costs={"total": "$12.50", "tip": "$2"})

    [order] = await _orders(client, chef)

    assert order["order"]["loyaltyTier"] == "gold"
    assert order["order"]["costs"] == {"total": "$12.50", "tip": "$2"}


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["preparing"], "preparing"),
        (["preparing", "ready"], "ready"),
        (["preparing", "ready", "served"], "served"),
    ],
)
async def test_item_moves_along_the_seed_table(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], path: list[str], final: str
) -> None:
    await _create(client, pos)
    item_id = await _item_id(client, chef, "Hamburger")

    for status in path:
        resp = await client.patch(f"/api/v1/kitchen/items/{item_id}/status", json={"status": status}, headers=chef)
        assert resp.status == 200

    body = await resp.json()
    assert body == {"success": True, "data": body["data"]}
    assert body["data"]["status"] == final


@pytest.mark.parametrize("status", ["ready", "served", "pending"])
async def test_item_cannot_skip_or_go_back(
    client: TestClient, pos: dict[str, str], chef: dict[str, str], status: str
) -> None:
    await _create(client, pos)
    item_id = await _item_id(client, chef, "Hamburger")

    resp = await client.patch(f"/api/v1/kitchen/items/{item_id}/status", json={"status": status}, headers=chef)

    assert resp.status == 409
    body = await resp.json()
    assert body["success"] is False
    assert body["error"]["code"] == "INVALID_STATUS_TRANSITION"


async def test_patch_of_unknown_item_is_404(client: TestClient, chef: dict[str, str]) -> None:
    resp = await client.patch("/api/v1/kitchen/items/nope/status", json={"status": "preparing"}, headers=chef)

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "ITEM_NOT_FOUND"


async def test_patch_with_unknown_status_is_400(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    await _create(client, pos)
    item_id = await _item_id(client, chef, "Hamburger")

    resp = await client.patch(f"/api/v1/kitchen/items/{item_id}/status", json={"status": "cooked"}, headers=chef)

    assert resp.status == 400


async def test_item_patch_moves_the_ticket_and_course(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await _create(client, pos)
    item_id = await _item_id(client, chef, "Hamburger")

    await client.patch(f"/api/v1/kitchen/items/{item_id}/status", json={"status": "preparing"}, headers=chef)
    await client.patch(f"/api/v1/kitchen/items/{item_id}/status", json={"status": "ready"}, headers=chef)

    [ticket] = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    [order] = await _orders(client, chef)
    assert ticket["status"] == "ready"
    assert {c["number"]: c["status"] for c in order["courses"]}[1] == "complete"


async def test_status_filter(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    await _create(client, pos)

    assert await _orders(client, chef, "?status=preparing") == []
    assert [o["id"] for o in await _orders(client, chef, "?status=pending")] == ["123"]
    assert (await client.get("/api/v1/kitchen/orders?status=bogus", headers=chef)).status == 400


async def test_orders_need_orders_read(client: TestClient, token_for: Any) -> None:
    resp = await client.get("/api/v1/kitchen/orders", headers=token_for("guest"))

    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "INSUFFICIENT_ROLE"


async def test_permissions_claim_grants_without_a_role(client: TestClient, config: Any) -> None:

    secret = load_or_create_secret(config.secret_path)
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": "kds",
            "roles": [],
            "permissions": ["orders:read"],
            "location_id": config.location.location_id,
            "iat": now,
            "exp": now + 60,
        },
        secret,
        algorithm="HS256",
    )

    resp = await client.get("/api/v1/kitchen/orders", headers={"Authorization": f"Bearer {token}"})

    assert resp.status == 200
