"""Managers create, edit and delete tables, sections, fixtures and the floor plan; others may not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER

LOC = "demo-location"
PLAN = f"/api/v1/locations/{LOC}/floor-plan"


async def test_manager_creates_a_table_in_a_new_section(client: TestClient, manager: dict[str, str]) -> None:
    section = await client.post(
        f"{PLAN}/sections",
        json={
            "id": "sec_bar",
            "name": "Bar",
            "color": "#AA0000",
            "bounds": {"x": 0, "y": 500, "width": 200, "height": 100},
        },
        headers=manager,
    )
    table = await client.post(
        f"/api/v1/locations/{LOC}/tables",
        json={
            "id": "tbl_b1",
            "number": 21,
            "capacity": 2,
            "section_id": "sec_bar",
            "shape": "round",
            "position": {"x": 20, "y": 520},
            "features": ["power_outlet"],
            "server_id": "s1",
            "server_name": "Jo",
        },
        headers=manager,
    )

    body = await table.json()
    listed = await (await client.get(f"/api/v1/tables/{LOC}", headers=manager)).json()
    assert (section.status, table.status) == (201, 201)
    assert body["number"] == "21" and body["name"] == "Table 21" and body["section"] == "Bar"
    assert body["features"] == ["power_outlet"]
    assert body["server"] == {"id": "s1", "name": "Jo"}
    assert "tbl_b1" in [t["id"] for t in listed["data"]]


async def test_created_table_gets_an_id_when_none_is_given(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.post(f"/api/v1/locations/{LOC}/tables", json={"number": "30", "capacity": 4}, headers=manager)

    assert resp.status == 201
    assert (await resp.json())["id"].startswith("tbl_")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"capacity": 4}, "number"),
        ({"number": "9", "capacity": 0}, "capacity"),
        ({"number": "9", "capacity": "four"}, "capacity"),
        ({"number": "9", "capacity": 4, "min_capacity": 5}, "min_capacity"),
        ({"number": "9", "capacity": 4, "shape": "hexagon"}, "shape"),
        ({"number": "9", "capacity": 4, "section_id": "nope"}, "section_id"),
        ({"number": "9", "capacity": 4, "id": "demo-location"}, "id"),
        ({"number": "9", "capacity": 4, "id": "has space"}, "id"),
        ({"number": "9", "capacity": 4, "position": {"x": "left"}}, "position"),
    ],
)
async def test_bad_table_is_400_naming_the_field(
    client: TestClient, manager: dict[str, str], body: dict[str, object], field: str
) -> None:
    resp = await client.post(f"/api/v1/locations/{LOC}/tables", json=body, headers=manager)

    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == field


async def test_duplicate_table_id_or_number_is_409(client: TestClient, manager: dict[str, str]) -> None:
    same_id = await client.post(
        f"/api/v1/locations/{LOC}/tables", json={"id": "tbl_001", "number": "99", "capacity": 2}, headers=manager
    )
    same_number = await client.post(
        f"/api/v1/locations/{LOC}/tables", json={"number": "1", "capacity": 2}, headers=manager
    )

    assert (same_id.status, (await same_id.json())["error"]["code"]) == (409, "table_exists")
    assert (same_number.status, (await same_number.json())["error"]["code"]) == (409, "table_number_taken")


async def test_edit_changes_only_the_fields_sent(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.patch(
        "/api/v1/tables/tbl_001", json={"capacity": 6, "section_id": "sec_patio"}, headers=manager
    )

    body = await resp.json()
    assert resp.status == 200
    assert (body["capacity"], body["section"], body["name"], body["shape"]) == (6, "Patio", "Table 1", "round")


async def test_edit_of_an_unknown_table_is_404(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.patch("/api/v1/tables/nope", json={"capacity": 6}, headers=manager)

    assert (resp.status, (await resp.json())["error"]["code"]) == (404, "table_not_found")


async def test_delete_a_table(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.delete("/api/v1/tables/tbl_013", headers=manager)
    gone = await client.get("/api/v1/tables/tbl_013", headers=manager)

    assert resp.status == 204
    assert gone.status == 404


async def test_a_seated_table_cannot_be_deleted(
    client: TestClient, manager: dict[str, str], pos: dict[str, str]
) -> None:
    await client.post("/integrators/kds-orders", json=SEED_ORDER, headers=pos)
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": SEED_ORDER["id"]}, headers=manager)

    resp = await client.delete("/api/v1/tables/tbl_001", headers=manager)

    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "table_occupied")


async def test_a_section_with_tables_cannot_be_deleted(client: TestClient, manager: dict[str, str]) -> None:
    in_use = await client.delete(f"{PLAN}/sections/sec_patio", headers=manager)
    for tid in ("tbl_011", "tbl_012", "tbl_013"):
        await client.delete(f"/api/v1/tables/{tid}", headers=manager)
    emptied = await client.delete(f"{PLAN}/sections/sec_patio", headers=manager)
    missing = await client.delete(f"{PLAN}/sections/sec_patio", headers=manager)

    assert (in_use.status, (await in_use.json())["error"]["code"]) == (409, "section_in_use")
    assert emptied.status == 204
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "section_not_found")


async def test_edit_a_section(client: TestClient, manager: dict[str, str]) -> None:
    resp = await client.patch(f"{PLAN}/sections/sec_patio", json={"name": "Terrace"}, headers=manager)
    table = await (await client.get("/api/v1/tables/tbl_011", headers=manager)).json()

    assert (await resp.json())["color"] == "#7BC96F"
    assert table["section"] == "Terrace"


async def test_fixtures_are_created_edited_and_deleted(client: TestClient, manager: dict[str, str]) -> None:
    created = await client.post(
        f"{PLAN}/fixtures", json={"id": "fix_door", "type": "door", "position": {"x": 790, "y": 300}}, headers=manager
    )
    edited = await client.patch(f"{PLAN}/fixtures/fix_door", json={"label": "Kitchen door"}, headers=manager)
    deleted = await client.delete(f"{PLAN}/fixtures/fix_door", headers=manager)
    missing = await client.delete(f"{PLAN}/fixtures/fix_door", headers=manager)
    bad = await client.post(f"{PLAN}/fixtures", json={"type": "door"}, headers=manager)

    assert created.status == 201
    assert (await edited.json())["label"] == "Kitchen door"
    assert deleted.status == 204
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "fixture_not_found")
    assert (bad.status, (await bad.json())["error"]["field"]) == (400, "position")


async def test_floor_plan_dimensions_and_removal(client: TestClient, manager: dict[str, str]) -> None:
    resized = await client.put(PLAN, json={"dimensions": {"width": 1000, "height": 700}}, headers=manager)
    refused = await client.delete(PLAN, headers=manager)
    for table in (await (await client.get(f"/api/v1/tables/{LOC}", headers=manager)).json())["data"]:
        await client.delete(f"/api/v1/tables/{table['id']}", headers=manager)
    removed = await client.delete(PLAN, headers=manager)
    plan = await (await client.get(PLAN, headers=manager)).json()

    assert (await resized.json())["dimensions"] == {"width": 1000, "height": 700}
    assert (refused.status, (await refused.json())["error"]["code"]) == (409, "floor_plan_in_use")
    assert removed.status == 204
    assert plan == {"location_id": LOC, "dimensions": None, "sections": [], "tables": [], "fixtures": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", f"/api/v1/locations/{LOC}/tables"),
        ("patch", "/api/v1/tables/tbl_001"),
        ("delete", "/api/v1/tables/tbl_001"),
        ("put", PLAN),
        ("delete", PLAN),
        ("post", f"{PLAN}/sections"),
        ("patch", f"{PLAN}/sections/sec_main"),
        ("delete", f"{PLAN}/sections/sec_main"),
        ("post", f"{PLAN}/fixtures"),
        ("patch", f"{PLAN}/fixtures/fix_bar"),
        ("delete", f"{PLAN}/fixtures/fix_bar"),
    ],
)
async def test_only_managers_change_the_floor(
    client: TestClient, token_for: Callable[..., dict[str, str]], method: str, path: str
) -> None:
    resp = await getattr(client, method)(path, json={}, headers=token_for("host"))

    assert resp.status == 403


async def test_floor_survives_a_restart(tmp_path, config, clock, aiohttp_client, manager: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    from daemon.app import build_app

    first = await aiohttp_client(build_app(config, now_ms=clock))
    await first.patch("/api/v1/tables/tbl_001", json={"capacity": 7}, headers=manager)
    await first.close()
    second = await aiohttp_client(build_app(config, now_ms=clock))

    table = await (await second.get("/api/v1/tables/tbl_001", headers=manager)).json()

    assert table["capacity"] == 7
