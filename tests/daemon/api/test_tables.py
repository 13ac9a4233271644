"""The tables document's routes on the demo dining room: shapes, status codes, error codes and roles."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from daemon.api.context import STORE
from daemon.domain.events import ORDER
from daemon.domain.tables import TABLE, assign, link_order
from tests.conftest import SEED_ORDER, ManualClock

LOC = "demo-location"


@pytest.fixture
def host(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("host", sub="staff_abc")


async def _order(client: TestClient, pos: dict[str, str], oid: str = "ord_1", **extra: object) -> None:
    resp = await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": oid, **extra}, headers=pos)
    assert resp.status == 201, await resp.text()


async def test_list_tables_of_the_location(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.get(f"/api/v1/tables/{LOC}", headers=host)

    body = await resp.json()
    first = body["data"][0]
    assert resp.status == 200
    assert len(body["data"]) == 8
    assert first == {
        "id": "tbl_001",
        "number": "1",
        "name": "Table 1",
        "section": "Main Dining",
        "capacity": 4,
        "status": "available",
        "shape": "round",
        "position": {"x": 100, "y": 150},
        "current_order_id": None,
        "server_id": None,
        "server_name": None,
    }


async def test_get_one_table_by_its_id(client: TestClient, host: dict[str, str]) -> None:
    body = await (await client.get("/api/v1/tables/tbl_002", headers=host)).json()

    assert body["name"] == "Booth 2"
    assert body["section_id"] == "sec_main"
    assert body["dimensions"] == {"width": 48, "height": 72}
    assert body["position"] == {"x": 200, "y": 150, "rotation": 0}
    assert body["current_order"] is None
    assert body["created_at"].endswith("Z")


async def test_unknown_id_is_table_not_found(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.get("/api/v1/tables/tbl_nope", headers=host)

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "table_not_found"


async def test_missing_location_id_is_400(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.get("/api/v1/tables", headers=host)

    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "missing_location_id"


async def test_location_as_query_parameter_lists_tables(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.get(f"/api/v1/tables?location_id={LOC}", headers=host)

    assert resp.status == 200
    assert len((await resp.json())["data"]) == 8


async def test_other_location_is_refused(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.get("/api/v1/tables/elsewhere/assignments", headers=host)

    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "LOCATION_MISMATCH"


async def test_assign_seats_the_order_and_names_the_table_on_its_tickets(
    client: TestClient, pos: dict[str, str], host: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    await _order(client, pos, "ord_xyz789", mode="For Here")

    resp = await client.put(
        "/api/v1/tables/tbl_002/assign", json={"order_id": "ord_xyz789", "party_size": 4}, headers=host
    )

    body = await resp.json()
    assert resp.status == 200
    assert body["table"]["id"] == "tbl_002" and body["table"]["status"] == "occupied"
    assert body["table"]["seated_at"].endswith("Z")
    assert body["order"] == {"id": "ord_xyz789", "table_id": "tbl_002", "table_number": "2"}
    grill = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    expo = await (await client.get("/api/v1/kds/stations/expo/tickets", headers=chef)).json()
    kitchen = await (await client.get("/api/v1/kitchen/orders", headers=chef)).json()
    assert [t["order_reference"] for t in grill] == ["Booth 2"]
    assert {t["order_reference"] for t in expo} == {"Booth 2"}
    assert kitchen["data"][0]["table_id"] == "tbl_002"
    assert [o.id for o in client.app[STORE].orders_at_table("tbl_002")] == ["ord_xyz789"]


async def test_get_table_shows_the_seated_order(
    client: TestClient, pos: dict[str, str], host: dict[str, str], clock: ManualClock
) -> None:
    await _order(client, pos, "ord_1", costs={"subtotal": 85.5}, checkNumber="A-0042")
    await client.put("/api/v1/tables/tbl_002/assign", json={"order_id": "ord_1", "party_size": 4}, headers=host)

    body = await (await client.get("/api/v1/tables/tbl_002", headers=host)).json()

    assert body["status"] == "occupied"
    assert body["current_order"]["id"] == "ord_1"
    assert body["current_order"]["party_size"] == 4
    assert body["current_order"]["subtotal"] == 85.5
    assert body["current_order"]["items_count"] == 2
    assert "A-0042" in body["current_order"]["order_number"]


async def test_assigning_an_occupied_table_is_409(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    await _order(client, pos, "ord_2")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1"}, headers=host)

    resp = await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_2"}, headers=host)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "table_occupied"


async def test_assign_needs_an_existing_order(client: TestClient, host: dict[str, str]) -> None:
    missing = await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "nope"}, headers=host)
    no_id = await client.put("/api/v1/tables/tbl_001/assign", json={"party_size": 2}, headers=host)
    bad_party = await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "x", "party_size": 0}, headers=host)

    assert missing.status == 404
    assert (no_id.status, (await no_id.json())["error"]["field"]) == (400, "order_id")
    assert (bad_party.status, (await bad_party.json())["error"]["field"]) == (400, "party_size")


async def test_assign_to_an_unknown_table_is_404(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.put("/api/v1/tables/nope/assign", json={"order_id": "x"}, headers=host)

    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "table_not_found"


async def test_status_change_records_when_and_who(client: TestClient, host: dict[str, str], clock: ManualClock) -> None:
    resp = await client.patch("/api/v1/tables/tbl_003/status", json={"status": "dirty"}, headers=host)

    body = await resp.json()
    assert resp.status == 200
    assert body["id"] == "tbl_003" and body["status"] == "dirty"
    assert body["status_changed_by"] == "staff_abc"
    assert body["status_changed_at"].startswith("2026-")


async def test_unknown_status_is_invalid_status(client: TestClient, host: dict[str, str]) -> None:
    resp = await client.patch("/api/v1/tables/tbl_003/status", json={"status": "sparkly"}, headers=host)

    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "invalid_status"


async def test_status_of_a_seated_table_needs_a_clear(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1"}, headers=host)

    resp = await client.patch("/api/v1/tables/tbl_001/status", json={"status": "available"}, headers=host)

    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "table_occupied"


async def test_clear_makes_the_table_dirty_and_unlinks_the_order(
    client: TestClient, pos: dict[str, str], host: dict[str, str], chef: dict[str, str], clock: ManualClock
) -> None:
    await _order(client, pos, "ord_1")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1", "party_size": 2}, headers=host)
    clock.advance(45 * 60)

    resp = await client.post("/api/v1/tables/tbl_001/clear", headers=host)

    table = await (await client.get("/api/v1/tables/tbl_001", headers=host)).json()
    grill = await (await client.get("/api/v1/kds/stations/grill/tickets", headers=chef)).json()
    assert resp.status == 204
    assert table["status"] == "dirty" and table["current_order"] is None
    assert grill[0]["order_reference"] != "Table 1"
    assert client.app[STORE].orders_at_table("tbl_001") == []
    assert client.app[STORE].table_state("tbl_001").turns == 1


async def test_a_cleared_table_can_be_seated_again(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    await _order(client, pos, "ord_2")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1"}, headers=host)
    await client.post("/api/v1/tables/tbl_001/clear", headers=host)

    resp = await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_2"}, headers=host)

    assert resp.status == 200


async def test_assignments_with_summary(
    client: TestClient, pos: dict[str, str], host: dict[str, str], clock: ManualClock
) -> None:
    await _order(client, pos, "ord_1")
    await _order(client, pos, "ord_2")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1", "party_size": 3}, headers=host)
    await client.put("/api/v1/tables/tbl_011/assign", json={"order_id": "ord_2", "party_size": 2}, headers=host)
    await client.patch("/api/v1/tables/tbl_003/status", json={"status": "dirty"}, headers=host)
    clock.advance(45 * 60)

    body = await (await client.get(f"/api/v1/tables/{LOC}/assignments", headers=host)).json()

    assert [a["table_id"] for a in body["data"]] == ["tbl_001", "tbl_011"]
    assert body["data"][0]["duration_minutes"] == 45
    assert body["data"][0]["order_id"] == "ord_1"
    assert body["summary"] == {"occupied_tables": 2, "available_tables": 5, "total_seated_guests": 5}


async def test_floor_plan(client: TestClient, host: dict[str, str]) -> None:
    body = await (await client.get(f"/api/v1/locations/{LOC}/floor-plan", headers=host)).json()

    assert body["location_id"] == LOC
    assert body["dimensions"] == {"width": 800, "height": 600}
    assert [s["name"] for s in body["sections"]] == ["Main Dining", "Patio"]
    assert body["sections"][1]["bounds"] == {"x": 500, "y": 0, "width": 300, "height": 600}
    assert len(body["tables"]) == 8
    assert {f["type"] for f in body["fixtures"]} == {"bar", "host_stand"}


@pytest.mark.parametrize("role", ["server", "host", "chef", "kitchen", "bartender", "platform_admin"])
async def test_every_tables_role_may_read(
    client: TestClient, token_for: Callable[..., dict[str, str]], role: str
) -> None:
    resp = await client.get(f"/api/v1/tables/{LOC}", headers=token_for(role))

    assert resp.status == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/tables/{LOC}"),
        ("get", "/api/v1/tables/tbl_001"),
        ("put", "/api/v1/tables/tbl_001/assign"),
        ("patch", "/api/v1/tables/tbl_001/status"),
        ("post", "/api/v1/tables/tbl_001/clear"),
        ("get", f"/api/v1/tables/{LOC}/assignments"),
        ("get", f"/api/v1/tables/{LOC}/turnover"),
        ("get", f"/api/v1/locations/{LOC}/floor-plan"),
    ],
)
async def test_roles_outside_the_document_are_refused(
    client: TestClient, token_for: Callable[..., dict[str, str]], method: str, path: str
) -> None:
    resp = await getattr(client, method)(path, json={}, headers=token_for("cook"))
    anonymous = await getattr(client, method)(path, json={})

    assert resp.status == 403
    assert anonymous.status == 401


async def test_a_retried_assign_links_an_order_a_crash_left_unlinked(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    store = client.app[STORE]
    layout = store.floor(LOC).tables["tbl_001"]
    await store.execute(TABLE, "tbl_001", lambda s: assign(s, layout, "ord_1", 2, "1"))  # the table's write only

    resp = await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1"}, headers=host)

    assert resp.status == 200
    assert store.order("ord_1").table_id == "tbl_001"
    assert [o.id for o in store.orders_at_table("tbl_001")] == ["ord_1"]


async def test_an_order_whose_unlink_was_lost_may_be_seated_elsewhere(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    store = client.app[STORE]
    layout = store.floor(LOC).tables["tbl_001"]
    await store.execute(ORDER, "ord_1", lambda _: link_order("ord_1", layout))  # linked, but tbl_001 is free

    resp = await client.put("/api/v1/tables/tbl_002/assign", json={"order_id": "ord_1"}, headers=host)

    assert resp.status == 200
    assert store.order("ord_1").table_id == "tbl_002"


async def test_an_order_seated_at_another_table_is_409(
    client: TestClient, pos: dict[str, str], host: dict[str, str]
) -> None:
    await _order(client, pos, "ord_1")
    await client.put("/api/v1/tables/tbl_001/assign", json={"order_id": "ord_1"}, headers=host)

    resp = await client.put("/api/v1/tables/tbl_002/assign", json={"order_id": "ord_1"}, headers=host)

    assert (resp.status, (await resp.json())["error"]["code"]) == (409, "order_seated_elsewhere")
