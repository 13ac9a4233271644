"""Coursing's table sync over HTTP: a table of orders fired together, advancing only when all are ready,
a late order added, one removed; and the kitchen clock holding a table back (blocked)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import ManualClock
from tests.daemon.api.coursing_support import C, coursed_order, location, make_templates, post_order, statuses, tick

Headers = dict[str, str]
MIN = 60_000


async def _held_templates(client: TestClient, manager: Headers) -> None:
    for order, name in enumerate(("Appetizer", "Entree", "Dessert"), start=1):
        body = {"location_id": location(client), "name": name, "display_order": order, "hold_by_default": True}
        assert (await client.post(f"{C}/templates", json=body, headers=manager)).status == 201


async def _status(client: TestClient, headers: Headers, table: str = "tbl-007") -> dict[str, Any]:
    resp = await client.get(f"{C}/tables/{table}", headers=headers)
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


def _readiness(status: dict[str, Any]) -> list[tuple[str, str | None, bool]]:
    return [(o["order_id"], o["current_course_status"], o["is_ready"]) for o in status["orders"]]


async def test_a_table_of_three_courses_together(
    client: TestClient, pos: Headers, manager: Headers, chef: Headers
) -> None:
    await _held_templates(client, manager)
    for oid in ("t-a", "t-b", "t-c"):
        await post_order(client, pos, coursed_order(oid))

    created = await client.post(
        f"{C}/tables",
        json={"location_id": location(client), "table_id": "tbl-007", "order_ids": ["t-a", "t-b"]},
        headers=chef,
    )
    sync = await created.json()
    assert created.status == 201
    assert (sync["table_id"], sync["current_course"], sync["order_ids"], sync["current_course_complete"]) == (
        "tbl-007",
        1,
        ["t-a", "t-b"],
        False,
    )

    # Fire for the table: every order's course 1 at once.
    fired = await client.post(f"{C}/tables/tbl-007/fire/1", headers=chef)
    assert fired.status == 200
    assert _readiness(await fired.json()) == [("t-a", "fired", False), ("t-b", "fired", False)]

    # Advance only when all are ready.
    await client.post(f"{C}/orders/t-a/courses/1/complete", headers=chef)
    not_yet = await client.post(f"{C}/tables/tbl-007/advance", headers=chef)
    assert (not_yet.status, await not_yet.json()) == (200, None)
    assert _readiness(await _status(client, chef)) == [("t-a", "complete", True), ("t-b", "fired", False)]

    # A late guest: added, then fired with the table.
    added = await client.post(f"{C}/tables/tbl-007/orders/t-c", headers=chef)
    assert (await added.json())["order_ids"] == ["t-a", "t-b", "t-c"]
    assert ("t-c", "held", False) in _readiness(await _status(client, chef))
    await client.post(f"{C}/tables/tbl-007/fire/1", headers=chef)
    assert await statuses(client, "t-c", chef) == ["fired", "held", "held"]

    # A guest leaves early: removed; the table no longer waits for them.
    removed = await client.delete(f"{C}/tables/tbl-007/orders/t-b", headers=chef)
    assert (await removed.json())["order_ids"] == ["t-a", "t-c"]
    await client.post(f"{C}/orders/t-c/courses/1/complete", headers=chef)
    status = await _status(client, chef)
    assert status["all_orders_ready"] is True

    advanced = await client.post(f"{C}/tables/tbl-007/advance", headers=chef)
    body = await advanced.json()
    assert (body["current_course"], _readiness(body)) == (2, [("t-a", "fired", False), ("t-c", "fired", False)])
    assert await statuses(client, "t-b", chef) == ["fired", "held", "held"]  # left the table: untouched

    assert (await client.delete(f"{C}/tables/tbl-007", headers=chef)).status == 204
    gone = await client.get(f"{C}/tables/tbl-007", headers=chef)
    assert (gone.status, (await gone.json())["error"]["code"]) == (404, "TABLE_SYNC_NOT_FOUND")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/tables/nowhere", 404, "TABLE_SYNC_NOT_FOUND"),
        ("delete", "/tables/nowhere", 404, "TABLE_SYNC_NOT_FOUND"),
        ("post", "/tables/nowhere/advance", 404, "TABLE_SYNC_NOT_FOUND"),
        ("post", "/tables/tbl-1/orders/nope", 404, "ORDER_NOT_FOUND"),
        ("delete", "/tables/tbl-1/orders/s-2", 404, "ORDER_NOT_IN_SYNC"),
        ("post", "/tables/tbl-1/fire/0", 400, "INVALID_COURSE_NUMBER"),
        ("post", "/tables/tbl-1/fire/9", 404, "COURSE_NOT_FOUND"),
    ],
)
async def test_table_errors(
    client: TestClient, pos: Headers, chef: Headers, method: str, path: str, status: int, code: str
) -> None:
    await post_order(client, pos, coursed_order("s-1"))
    await post_order(client, pos, coursed_order("s-2"))
    body = {"location_id": location(client), "table_id": "tbl-1", "order_ids": ["s-1"]}
    assert (await client.post(f"{C}/tables", json=body, headers=chef)).status == 201

    resp = await getattr(client, method)(C + path, headers=chef)

    assert (resp.status, (await resp.json())["error"]["code"]) == (status, code)


async def test_an_order_courses_with_one_table(client: TestClient, pos: Headers, chef: Headers) -> None:
    await post_order(client, pos, coursed_order("x-1"))
    first = {"location_id": location(client), "table_id": "tbl-1", "order_ids": ["x-1"]}
    second = {"location_id": location(client), "table_id": "tbl-2", "order_ids": []}
    await client.post(f"{C}/tables", json=first, headers=chef)
    await client.post(f"{C}/tables", json=second, headers=chef)

    again = await client.post(f"{C}/tables", json={**first, "table_id": "tbl-3"}, headers=chef)
    added = await client.post(f"{C}/tables/tbl-2/orders/x-1", headers=chef)
    same = await client.post(f"{C}/tables", json=first, headers=chef)

    assert (again.status, (await again.json())["error"]["code"]) == (409, "ORDER_IN_OTHER_SYNC")
    assert (added.status, (await added.json())["error"]["code"]) == (409, "ORDER_IN_OTHER_SYNC")
    assert (same.status, (await same.json())["error"]["code"]) == (409, "TABLE_SYNC_EXISTS")


async def test_bad_sync_body_is_400(client: TestClient, chef: Headers) -> None:
    resp = await client.post(f"{C}/tables", json={"location_id": location(client), "table_id": ""}, headers=chef)
    unknown = await client.post(
        f"{C}/tables", json={"location_id": location(client), "table_id": "t", "order_ids": ["nope"]}, headers=chef
    )

    assert (resp.status, (await resp.json())["error"]["field"]) == (400, "table_id")
    assert (unknown.status, (await unknown.json())["error"]["code"]) == (404, "ORDER_NOT_FOUND")


async def test_the_clock_holds_a_table_back_until_every_order_is_ready(
    client: TestClient, pos: Headers, manager: Headers, chef: Headers, clock: ManualClock
) -> None:
    await make_templates(client, manager)  # appetizer and entree auto-fire
    for oid in ("b-1", "b-2"):
        await post_order(client, pos, coursed_order(oid))
    body = {"location_id": location(client), "table_id": "tbl-9", "order_ids": ["b-1", "b-2"]}
    await client.post(f"{C}/tables", json=body, headers=chef)
    await tick(client)
    start = clock.ms
    await client.post(f"{C}/orders/b-1/courses/1/complete", headers=chef)

    clock.ms = start + 13 * MIN  # the entrees are due, but b-2's appetizer is still out
    await tick(client)
    timing = await (await client.get(f"{C}/orders/b-1/courses/2/timing-status", headers=chef)).json()
    alerts = await (await client.get(f"{C}/alerts?location_id={location(client)}", headers=chef)).json()

    assert [await statuses(client, o, chef) for o in ("b-1", "b-2")] == [
        ["complete", "held", "held"],
        ["fired", "held", "held"],
    ]
    assert timing["alert_level"] == "blocked"
    assert ("b-1", 2, "blocked", "tbl-9") in [
        (a["order_id"], a["course_number"], a["alert_level"], a["table_name"]) for a in alerts
    ]

    await client.post(f"{C}/orders/b-2/courses/1/complete", headers=chef)
    await tick(client)
    assert [(await statuses(client, o, chef))[1] for o in ("b-1", "b-2")] == ["fired", "fired"]
    assert (await _status(client, chef, "tbl-9"))["current_course"] == 2
