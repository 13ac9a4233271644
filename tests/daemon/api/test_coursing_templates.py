"""Course templates and per-template timing over HTTP, and templates deciding an order's courses (rule 2)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from tests.daemon.api.coursing_support import C, courses, location, make_templates, post_order

Headers = dict[str, str]


async def test_create_answers_201_with_the_template(client: TestClient, manager: Headers) -> None:
    resp = await client.post(
        f"{C}/templates",
        json={
            "location_id": location(client),
            "name": "Appetizer",
            "display_order": 1,
            "default_delay_minutes": 0,
            "auto_fire": False,
            "hold_by_default": True,
            "display_color": "#FF9800",
        },
        headers=manager,
    )

    body = await resp.json()
    assert resp.status == 201
    assert {k: body[k] for k in ("name", "display_order", "hold_by_default", "display_color", "is_active")} == {
        "name": "Appetizer",
        "display_order": 1,
        "hold_by_default": True,
        "display_color": "#FF9800",
        "is_active": True,
    }
    assert body["location_id"] == location(client) and body["id"] and body["created_at"]


async def test_list_is_in_display_order_and_hides_inactive_unless_asked(client: TestClient, manager: Headers) -> None:
    ids = await make_templates(client, manager)
    assert (await client.delete(f"{C}/templates/{ids['Entree']}", headers=manager)).status == 204

    active = await (await client.get(f"{C}/templates?location_id={location(client)}", headers=manager)).json()
    every = await (
        await client.get(f"{C}/templates?location_id={location(client)}&active_only=false", headers=manager)
    ).json()

    assert [t["name"] for t in active] == ["Appetizer", "Dessert"]
    assert [(t["name"], t["is_active"]) for t in every] == [("Appetizer", True), ("Entree", False), ("Dessert", True)]


async def test_update_changes_only_the_fields_given(client: TestClient, manager: Headers) -> None:
    ids = await make_templates(client, manager)

    resp = await client.put(f"{C}/templates/{ids['Dessert']}", json={"display_color": "#FFC107"}, headers=manager)

    body = await resp.json()
    assert (body["display_color"], body["name"], body["default_delay_minutes"], body["hold_by_default"]) == (
        "#FFC107",
        "Dessert",
        15,
        True,
    )
    got = await (await client.get(f"{C}/templates/{ids['Dessert']}", headers=manager)).json()
    assert got == body


async def test_timing_is_null_until_set(client: TestClient, manager: Headers) -> None:
    ids = await make_templates(client, manager)
    path = f"{C}/templates/{ids['Entree']}/timing"
    timing = {
        "min_gap_minutes": 5,
        "target_gap_minutes": 10,
        "max_gap_minutes": 18,
        "prep_time_minutes": 15,
        "hold_time_minutes": 3,
    }

    before = await (await client.get(path, headers=manager)).json()
    put = await client.put(path, json=timing, headers=manager)
    after = await (await client.get(path, headers=manager)).json()

    assert before is None
    assert (put.status, await put.json(), after) == (200, timing, timing)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "display_order": 1}, "name"),
        ({"name": "X"}, "display_order"),
        ({"name": "X", "display_order": 0}, "display_order"),
        ({"name": "X", "display_order": 1, "auto_fire": "yes"}, "auto_fire"),
        ({"name": "X", "display_order": 1, "default_delay_minutes": -1}, "default_delay_minutes"),
        ({"display_order": 1, "name": 5}, "name"),
    ],
)
async def test_bad_template_is_400_naming_the_field(
    client: TestClient, manager: Headers, body: dict[str, object], field: str
) -> None:
    resp = await client.post(f"{C}/templates", json={"location_id": location(client), **body}, headers=manager)

    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == field


async def test_bad_timing_is_400(client: TestClient, manager: Headers) -> None:
    ids = await make_templates(client, manager)

    resp = await client.put(
        f"{C}/templates/{ids['Entree']}/timing",
        json={"min_gap_minutes": 10, "target_gap_minutes": 5, "max_gap_minutes": 18},
        headers=manager,
    )

    assert (resp.status, (await resp.json())["error"]["field"]) == (400, "target_gap_minutes")


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/templates/nope"), ("put", "/templates/nope"), ("delete", "/templates/nope"),
     ("get", "/templates/nope/timing"), ("put", "/templates/nope/timing")],
)  # fmt: skip
async def test_unknown_template_is_404(client: TestClient, manager: Headers, method: str, path: str) -> None:
    resp = await getattr(client, method)(C + path, json={"name": "x"}, headers=manager)

    assert (resp.status, (await resp.json())["error"]["code"]) == (404, "TEMPLATE_NOT_FOUND")


async def test_template_changes_are_for_managers_and_owners(
    client: TestClient, token_for: Callable[..., Headers]
) -> None:
    body = {"location_id": location(client), "name": "Soup", "display_order": 2}

    chef = await client.post(f"{C}/templates", json=body, headers=token_for("chef"))
    owner = await client.post(f"{C}/templates", json=body, headers=token_for("owner"))
    listed = await client.get(f"{C}/templates?location_id={location(client)}", headers=token_for("server"))
    cashier = await client.get(f"{C}/templates?location_id={location(client)}", headers=token_for("cashier"))

    assert (chef.status, owner.status, listed.status, cashier.status) == (403, 201, 200, 403)


async def test_another_location_is_refused(client: TestClient, manager: Headers) -> None:
    resp = await client.get(f"{C}/templates?location_id=elsewhere", headers=manager)
    missing = await client.get(f"{C}/templates", headers=manager)

    assert (resp.status, (await resp.json())["error"]["code"]) == (403, "LOCATION_MISMATCH")
    assert (missing.status, (await missing.json())["error"]["field"]) == (400, "location_id")


async def test_templates_name_number_and_hold_an_orders_courses(
    client: TestClient, manager: Headers, pos: Headers, chef: Headers
) -> None:
    await make_templates(client, manager)
    await client.post(
        f"{C}/templates",
        json={"location_id": location(client), "name": "Soup/Salad", "display_order": 5, "hold_by_default": True},
        headers=manager,
    )
    order = {
        "id": "t-1",
        "name": "T",
        "time": "2026-01-20T19:00:00.000Z",
        "mode": "For Here",
        "items": [
            {"lineId": "1", "name": "Tomato Soup", "qty": 1, "mods": [], "course": "soup/salad"},
            {"lineId": "2", "name": "Steak", "qty": 1, "mods": [], "course": "Entree", "courseStatus": "fire"},
            {"lineId": "3", "name": "Cake", "qty": 1, "mods": [], "course": "3"},
        ],
    }

    await post_order(client, pos, order)

    listed = await courses(client, "t-1", chef)
    assert [(c["course_number"], c["course_name"], c["status"]) for c in listed] == [
        (2, "Entree", "fired"),
        (3, "Dessert", "held"),
        (5, "Soup/Salad", "held"),
    ]
