"""Shared steps for the coursing API tests: templates, a coursed order from the POS, the clock."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from daemon.api.context import CONFIG
from daemon.reactions.kitchen_clock import KITCHEN_CLOCK, PassResult

C = "/api/v1/coursing"

TEMPLATES = [
    {"name": "Appetizer", "display_order": 1, "default_delay_minutes": 0, "auto_fire": True, "hold_by_default": False},
    {"name": "Entree", "display_order": 2, "default_delay_minutes": 12, "auto_fire": True, "hold_by_default": False},
    {"name": "Dessert", "display_order": 3, "default_delay_minutes": 15, "auto_fire": False, "hold_by_default": True},
]


def location(client: TestClient) -> str:
    return client.app[CONFIG].location.location_id


async def make_templates(client: TestClient, manager: dict[str, str]) -> dict[str, str]:
    """The three templates of the seed's typical flow; name → id."""
    ids = {}
    for spec in TEMPLATES:
        resp = await client.post(f"{C}/templates", json={"location_id": location(client), **spec}, headers=manager)
        assert resp.status == 201, await resp.text()
        ids[spec["name"]] = (await resp.json())["id"]
    return ids


def coursed_order(order_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "name": f"Guest {order_id}",
        "time": "2026-01-20T19:00:00.000Z",
        "mode": "For Here",
        "items": [
            {"lineId": "1", "name": "Caesar Salad", "qty": 1, "mods": [], "course": "Appetizer"},
            {"lineId": "2", "name": "Ribeye Steak", "qty": 1, "mods": [], "course": "Entree"},
            {"lineId": "3", "name": "Grilled Chicken", "qty": 1, "mods": [], "course": "Entree"},
            {"lineId": "4", "name": "Chocolate Cake", "qty": 1, "mods": [], "course": "Dessert"},
        ],
        **fields,
    }


async def post_order(client: TestClient, pos: dict[str, str], order: dict[str, Any]) -> None:
    resp = await client.post("/integrators/kds-orders", json=order, headers=pos)
    assert resp.status == 201, await resp.text()


async def tick(client: TestClient) -> PassResult:
    return await client.app[KITCHEN_CLOCK].run_pass()


async def courses(client: TestClient, order_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get(f"{C}/orders/{order_id}/courses", headers=headers)
    assert resp.status == 200, await resp.text()
    body: list[dict[str, Any]] = await resp.json()
    return body


async def statuses(client: TestClient, order_id: str, headers: dict[str, str]) -> list[str]:
    return [c["status"] for c in await courses(client, order_id, headers)]


async def bump_all(client: TestClient, order_id: str, chef: dict[str, str], stations: tuple[str, ...]) -> None:
    """Each station bumps its current ticket of the order (the stations completing a course)."""
    for station in stations:
        resp = await client.post(f"/api/v1/kds/stations/{station}/orders/{order_id}/ticket/bump", headers=chef)
        assert resp.status == 200, await resp.text()


async def tickets(client: TestClient, station: str, chef: dict[str, str]) -> list[tuple[str, int, str]]:
    resp = await client.get(f"/api/v1/kds/stations/{station}/tickets?status=all", headers=chef)
    return sorted((t["order_id"], t["course_number"], t["status"]) for t in await resp.json())
