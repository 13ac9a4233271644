"""Every ticket action of the station-tickets seed, with its timestamps, and the current-ticket rule."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import ManualClock

BASE = "/api/v1/kds/stations/grill/orders/{oid}/ticket/{action}"


def two_course_order(oid: str = "t1") -> dict[str, Any]:
    """Two grill courses, both fired: the current-ticket rule decides which one a request means."""
    item = {"qty": 1, "mods": [], "courseStatus": "fire"}
    return {
        "id": oid,
        "name": "Table 4",
        "time": "2026-11-24T12:00:00Z",
        "mode": "For Here",
        "items": [
            {**item, "lineId": "1", "name": "Chicken Wings", "course": "1"},
            {**item, "lineId": "2", "name": "Ribeye", "course": "2"},
        ],
    }


async def act(client: TestClient, headers: dict[str, str], action: str, oid: str = "t1", **body: Any) -> Any:
    resp = await client.post(BASE.format(oid=oid, action=action), headers=headers, json=body or None)
    return resp.status, await resp.json()


@pytest.fixture
async def order(client: TestClient, pos: dict[str, str]) -> None:
    assert (await client.post("/integrators/kds-orders", json=two_course_order(), headers=pos)).status == 201


async def test_start_sets_started_at_and_in_progress(
    client: TestClient, order: None, chef: dict[str, str], clock: ManualClock
) -> None:
    clock.advance(60)

    status, ticket = await act(client, chef, "start")

    assert status == 200
    assert ticket["status"] == "in_progress"
    assert ticket["started_at"] is not None
    assert [i["status"] for i in ticket["items"]] == ["preparing"]


async def test_ready_after_start(client: TestClient, order: None, chef: dict[str, str]) -> None:
    await act(client, chef, "start")

    status, ticket = await act(client, chef, "ready")

    assert (status, ticket["status"]) == (200, "ready")
    assert all(i["is_done"] for i in ticket["items"])


async def test_ready_before_start_is_409(client: TestClient, order: None, chef: dict[str, str]) -> None:
    status, body = await act(client, chef, "ready")

    assert status == 409
    assert body["error"]["code"] == "INVALID_TICKET_TRANSITION"


async def test_recall_brings_back_the_bumped_ticket_and_clears_completed_at(
    client: TestClient, order: None, chef: dict[str, str]
) -> None:
    _, bumped = await act(client, chef, "bump")

    status, recalled = await act(client, chef, "recall")

    assert status == 200
    assert recalled["id"] == bumped["id"]
    assert recalled["status"] == "recalled"
    assert recalled["completed_at"] is None


async def test_void_after_bump_is_409(
    client: TestClient, order: None, chef: dict[str, str], manager: dict[str, str]
) -> None:
    await act(client, chef, "bump")
    await act(client, chef, "bump")  # both courses bumped

    status, body = await act(client, manager, "void")

    assert status == 409


@pytest.mark.parametrize("priority", ["normal", "high", "urgent"])
async def test_priority_is_set(client: TestClient, order: None, chef: dict[str, str], priority: str) -> None:
    status, ticket = await act(client, chef, "priority", priority=priority)

    assert (status, ticket["priority"]) == (200, priority)


async def test_unknown_priority_is_400(client: TestClient, order: None, chef: dict[str, str]) -> None:
    status, body = await act(client, chef, "priority", priority="asap")

    assert status == 400
    assert body["error"]["field"] == "priority"


async def test_urgent_tickets_list_first(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    for oid in ("a", "b"):
        await client.post("/integrators/kds-orders", json=two_course_order(oid), headers=pos)
    await act(client, chef, "priority", oid="b", priority="urgent")

    tickets = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()

    assert (tickets[0]["order_id"], tickets[0]["priority"]) == ("b", "urgent")


async def test_requests_act_on_the_lowest_unfinished_course(
    client: TestClient, order: None, chef: dict[str, str]
) -> None:
    _, first = await act(client, chef, "bump")
    _, second = await act(client, chef, "start")

    assert first["course_number"] == 1
    assert second["course_number"] == 2


async def test_recall_takes_the_most_recently_bumped(
    client: TestClient, order: None, chef: dict[str, str], clock: ManualClock
) -> None:
    await act(client, chef, "bump")
    clock.advance(30)
    await act(client, chef, "bump")

    _, recalled = await act(client, chef, "recall")

    assert recalled["course_number"] == 2


async def test_held_course_ticket_is_not_current(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    body = two_course_order("h1")
    body["items"][0]["courseStatus"] = "hold"
    await client.post("/integrators/kds-orders", json=body, headers=pos)

    _, ticket = await act(client, chef, "start", oid="h1")

    assert ticket["course_number"] == 2


async def test_limit_caps_the_list(client: TestClient, pos: dict[str, str], chef: dict[str, str]) -> None:
    for oid in ("a", "b", "c"):
        await client.post("/integrators/kds-orders", json=two_course_order(oid), headers=pos)

    resp = await client.get("/api/v1/kds/stations/grill/tickets?limit=2", headers=chef)
    bad = await client.get("/api/v1/kds/stations/grill/tickets?limit=zero", headers=chef)

    assert len(await resp.json()) == 2
    assert bad.status == 400


async def test_ticket_shape_matches_the_seed(client: TestClient, order: None, chef: dict[str, str]) -> None:
    [ticket, *_] = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()

    seed_keys = {
        "id",
        "tenant_id",
        "location_id",
        "order_id",
        "station_id",
        "items",
        "status",
        "priority",
        "course_number",
        "order_channel",
        "order_reference",
        "customer_name",
        "server_name",
        "target_time",
        "estimated_prep_time",
        "metadata",
        "created_at",
        "started_at",
        "completed_at",
        "updated_at",
    }
    item_keys = {
        "menu_item_id",
        "name",
        "quantity",
        "modifiers",
        "special_instructions",
        "seat_number",
        "course",
        "is_done",
        "allergens",
    }
    assert seed_keys <= set(ticket)
    assert item_keys <= set(ticket["items"][0])
    assert ticket["order_channel"] == "dine_in"
