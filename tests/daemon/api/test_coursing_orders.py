"""Order-course endpoints of the coursing API: shapes, errors, roles, and one course whichever door."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER, ManualClock
from tests.daemon.api.coursing_support import (
    C,
    coursed_order,
    courses,
    make_templates,
    post_order,
    statuses,
    tick,
    tickets,
)

Headers = dict[str, str]


@pytest.fixture
def server(token_for: Callable[..., Headers]) -> Headers:
    return token_for("server", sub="server-7")


async def _seed(client: TestClient, pos: Headers) -> None:
    await post_order(client, pos, SEED_ORDER)  # course 1 fired (courseStatus fire), course 2 held (hold)


async def test_order_course_has_the_seed_shape(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)

    listed = await courses(client, "123", server)

    assert set(listed[0]) >= {
        "id", "tenant_id", "location_id", "order_id", "course_id", "course_number", "course_name", "status",
        "fire_at", "fired_at", "completed_at", "fired_by", "hold_reason", "notes", "item_count", "items_completed",
        "created_at", "updated_at",
    }  # fmt: skip
    assert [(c["course_number"], c["status"], c["item_count"]) for c in listed] == [(1, "fired", 1), (2, "held", 1)]


async def test_integrator_hold_is_the_course_this_api_fires(
    client: TestClient, pos: Headers, server: Headers, chef: Headers
) -> None:
    await _seed(client, pos)
    assert ("123", 2, "held") in await tickets(client, "cold", chef)

    resp = await client.post(f"{C}/orders/123/courses/fire", json={"course_number": 2}, headers=server)

    body = await resp.json()
    assert (resp.status, body["status"], body["fired_by"]) == (200, "fired", "server-7")
    assert ("123", 2, "pending") in await tickets(client, "cold", chef)
    expo = await tickets(client, "expo", chef)
    assert ("123", 2, "pending") in expo


async def test_fire_twice_is_409_course_already_fired(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)

    resp = await client.post(f"{C}/orders/123/courses/fire", json={"course_number": 1}, headers=server)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "COURSE_ALREADY_FIRED"


async def test_hold_with_reason_holds_the_tickets_again(
    client: TestClient, pos: Headers, server: Headers, chef: Headers
) -> None:
    await _seed(client, pos)

    resp = await client.post(
        f"{C}/orders/123/courses/hold", json={"course_number": 1, "reason": "Guest stepped away"}, headers=server
    )

    body = await resp.json()
    assert (body["status"], body["hold_reason"]) == ("held", "Guest stepped away")
    assert ("123", 1, "held") in await tickets(client, "grill", chef)


async def test_skip_voids_the_course_and_complete_refuses_it(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)

    resp = await client.post(f"{C}/orders/123/courses/2/skip", headers=server)
    assert (resp.status, (await resp.json())["status"]) == (200, "skipped")

    for path in ("2/skip", "2/complete", "2/ready"):
        again = await client.post(f"{C}/orders/123/courses/{path}", headers=server)
        assert (again.status, (await again.json())["error"]["code"]) == (409, "COURSE_ALREADY_COMPLETE"), path
    fire = await client.post(f"{C}/orders/123/courses/fire", json={"course_number": 2}, headers=server)
    assert (fire.status, (await fire.json())["error"]["code"]) == (409, "COURSE_ALREADY_COMPLETE")


async def test_complete_marks_items_ready_and_a_second_complete_is_409(
    client: TestClient, pos: Headers, server: Headers, chef: Headers
) -> None:
    await _seed(client, pos)

    resp = await client.post(f"{C}/orders/123/courses/1/complete", headers=server)

    body = await resp.json()
    assert (body["status"], body["items_completed"], body["item_count"]) == ("complete", 1, 1)
    assert ("123", 1, "ready") in await tickets(client, "grill", chef)
    again = await client.post(f"{C}/orders/123/courses/1/complete", headers=server)
    assert (again.status, (await again.json())["error"]["code"]) == (409, "COURSE_ALREADY_COMPLETE")


async def test_progress_completes_the_course_automatically(
    client: TestClient, pos: Headers, manager: Headers, chef: Headers
) -> None:
    await make_templates(client, manager)
    await post_order(client, pos, coursed_order("p-1"))
    await client.post(f"{C}/orders/p-1/courses/fire", json={"course_number": 2}, headers=chef)

    one = await client.put(f"{C}/orders/p-1/courses/2/progress", json={"items_completed": 1}, headers=chef)
    assert ((await one.json())["items_completed"], (await one.json())["status"]) == (1, "in_progress")
    two = await client.put(f"{C}/orders/p-1/courses/2/progress", json={"items_completed": 2}, headers=chef)
    assert ((await two.json())["items_completed"], (await two.json())["status"]) == (2, "complete")


async def test_progress_errors_name_the_field(client: TestClient, pos: Headers, chef: Headers) -> None:
    await _seed(client, pos)

    for body in ({}, {"items_completed": "two"}, {"items_completed": -1}, {"items_completed": 5}):
        resp = await client.put(f"{C}/orders/123/courses/1/progress", json=body, headers=chef)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["field"] == "items_completed"
    held = await client.put(f"{C}/orders/123/courses/2/progress", json={"items_completed": 1}, headers=chef)
    assert (held.status, (await held.json())["error"]["code"]) == (409, "COURSE_NOT_FIRED")


async def test_ready_then_served(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)

    ready = await (await client.post(f"{C}/orders/123/courses/1/ready", headers=server)).json()
    served = await (await client.post(f"{C}/orders/123/courses/1/served", headers=server)).json()

    assert (ready["status"], ready["ready_at"] is not None) == ("complete", True)
    assert (served["status"], served["served_at"] is not None) == ("complete", True)
    again = await client.post(f"{C}/orders/123/courses/1/served", headers=server)
    assert (again.status, (await again.json())["error"]["code"]) == (409, "COURSE_ALREADY_SERVED")


async def test_fire_all_staggers_by_delay_minutes(
    client: TestClient, pos: Headers, manager: Headers, server: Headers, clock: ManualClock
) -> None:
    await make_templates(client, manager)
    await post_order(client, pos, coursed_order("fa-1"))
    await client.post(f"{C}/orders/fa-1/courses/hold", json={"course_number": 1}, headers=server)

    resp = await client.post(f"{C}/orders/fa-1/courses/fire-all", json={"delay_minutes": 5}, headers=server)

    fired = await resp.json()
    assert resp.status == 200
    assert [(c["course_number"], c["status"]) for c in fired] == [(1, "fired"), (2, "held"), (3, "held")]
    assert [c["fire_at"] is not None for c in fired[1:]] == [True, True]
    clock.advance(5 * 60)
    await tick(client)
    assert await statuses(client, "fa-1", server) == ["fired", "fired", "held"]
    clock.advance(5 * 60)
    await tick(client)
    assert await statuses(client, "fa-1", server) == ["fired", "fired", "fired"]


async def test_fire_all_without_delay_fires_every_held_course(
    client: TestClient, pos: Headers, server: Headers
) -> None:
    await _seed(client, pos)

    resp = await client.post(f"{C}/orders/123/courses/fire-all", headers=server)

    assert [(c["course_number"], c["status"]) for c in await resp.json()] == [(2, "fired")]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("get", "/orders/nope/courses", None, 404, "ORDER_NOT_FOUND"),
        ("get", "/orders/nope/courses/overview", None, 404, "ORDER_NOT_FOUND"),
        ("post", "/orders/nope/courses/fire", {"course_number": 1}, 404, "ORDER_NOT_FOUND"),
        ("post", "/orders/123/courses/fire", {"course_number": 9}, 404, "COURSE_NOT_FOUND"),
        ("post", "/orders/123/courses/fire", {"course_number": 0}, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/fire", {"course_number": "x"}, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/fire", {}, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/hold", {"course_number": -2}, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/0/skip", None, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/abc/complete", None, 400, "INVALID_COURSE_NUMBER"),
        ("post", "/orders/123/courses/7/ready", None, 404, "COURSE_NOT_FOUND"),
        ("get", "/orders/123/courses/7/timing-status", None, 404, "COURSE_NOT_FOUND"),
        ("post", "/orders/123/courses/fire-all", {"delay_minutes": "soon"}, 400, "VALIDATION_ERROR"),
        ("put", "/orders/123/pace", {"pace": "glacial"}, 400, "VALIDATION_ERROR"),
        ("put", "/orders/123/pace", {"pace": "custom"}, 400, "VALIDATION_ERROR"),
    ],
)
async def test_errors(
    client: TestClient, pos: Headers, server: Headers, method: str, path: str, body: object, status: int, code: str
) -> None:
    await _seed(client, pos)

    resp = await getattr(client, method)(C + path, json=body, headers=server)

    assert resp.status == status
    assert (await resp.json())["error"]["code"] == code


async def test_malformed_body_is_400(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)

    resp = await client.post(f"{C}/orders/123/courses/fire", data=b"{not json", headers=server)

    assert (resp.status, (await resp.json())["error"]["code"]) == (400, "MALFORMED_JSON")


async def test_a_cashier_is_403_and_no_token_401(
    client: TestClient, pos: Headers, token_for: Callable[..., Headers]
) -> None:
    await _seed(client, pos)

    cashier = await client.post(f"{C}/orders/123/courses/fire", json={"course_number": 2}, headers=token_for("cashier"))
    nobody = await client.get(f"{C}/orders/123/courses")

    assert cashier.status == 403
    assert nobody.status == 401


async def test_pace_defaults_to_normal_and_is_set(client: TestClient, pos: Headers, server: Headers) -> None:
    await _seed(client, pos)
    first = await (await client.get(f"{C}/orders/123/pace", headers=server)).json()

    resp = await client.put(
        f"{C}/orders/123/pace", json={"pace": "custom", "custom_gap_minutes": 8, "location_id": "demo-location"},
        headers=server,
    )  # fmt: skip

    assert (first["pace"], first["set_by"]) == ("normal", None)
    body = await resp.json()
    assert (body["order_id"], body["pace"], body["set_by"], body["set_at"] is not None) == (
        "123",
        "custom",
        "server-7",
        True,
    )
    assert (await (await client.get(f"{C}/orders/123/pace", headers=server)).json())["pace"] == "custom"
