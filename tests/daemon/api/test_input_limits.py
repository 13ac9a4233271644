"""Input limits through the real app: every out-of-range value is a 400 naming its field, never a 500,
and beside each refusal the value at the edge of the range works end to end (docs/security.md, Input limits)."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

from aiohttp.test_utils import TestClient

from daemon.api.context import KITCHEN, STORE
from daemon.domain import commands
from daemon.domain.events import ORDER, Actor
from tests.conftest import SEED_ORDER, device_id

ORDERS = "/integrators/kds-orders"


def order(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body.update(changes)
    return body


def with_item(index: int = 0, **changes: Any) -> dict[str, Any]:
    body = order()
    body["items"][index].update(changes)
    return body


def with_mod(**mod: Any) -> dict[str, Any]:
    return with_item(0, mods=[{"name": "No Ketchup", **mod}])


def nested(levels: int) -> Any:
    """A value `levels` containers deep: {"a": {"a": … 1}}."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


async def refused(client: TestClient, pos: dict[str, str], body: Any, path: str = ORDERS, put: bool = False) -> Any:
    send = client.put if put else client.post
    resp = await send(path, json=body, headers=pos)
    assert resp.status == 400, (resp.status, (await resp.text())[:500])
    error = (await resp.json())["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert len(error["message"]) < 300, "an error message must not echo unbounded input"
    return error


async def refused_field(client: TestClient, pos: dict[str, str], body: Any) -> str:
    return str((await refused(client, pos, body))["field"])


async def created(client: TestClient, pos: dict[str, str], body: Any) -> None:
    resp = await client.post(ORDERS, json=body, headers=pos)
    assert resp.status == 201, (resp.status, (await resp.text())[:500])


async def kitchen_orders(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get("/api/v1/kitchen/orders", headers=headers)
    assert resp.status == 200, (await resp.text())[:500]
    data: list[dict[str, Any]] = (await resp.json())["data"]
    return data


async def tickets(client: TestClient, headers: dict[str, str], station: str = "grill") -> list[dict[str, Any]]:
    resp = await client.get(f"/api/v1/kds/stations/{station}/tickets?status=all", headers=headers)
    assert resp.status == 200, (await resp.text())[:500]
    data: list[dict[str, Any]] = await resp.json()
    return data


# allergens


async def test_item_allergens_that_are_a_number_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(allergens=5)) == "items[0].allergens"


async def test_item_allergens_that_are_a_string_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(allergens="peanuts")) == "items[0].allergens"


async def test_item_allergen_that_is_not_a_string_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(allergens=["nuts", {"x": 1}])) == "items[0].allergens[1]"


async def test_item_allergens_as_strings_are_stored(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, with_item(allergens=["peanuts", "dairy"]))

    [listed] = await kitchen_orders(client, chef)
    [ticket] = [t for t in await tickets(client, chef) if t["course_number"] == 1]
    assert listed["items"][0]["allergens"] == ["peanuts", "dairy"]
    assert ticket["items"][0]["allergens"] == ["peanuts", "dairy"]


async def test_mod_allergens_that_are_a_number_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_mod(allergens=7)) == "items[0].mods[0].allergens"


async def test_mod_allergens_that_are_a_string_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_mod(allergens="gluten")) == "items[0].mods[0].allergens"


async def test_mod_allergens_as_strings_are_stored(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, with_mod(allergens=["gluten"]))

    [listed] = await kitchen_orders(client, chef)
    assert listed["items"][0]["modifiers"][0]["allergens"] == ["gluten"]


# course and seat numbers


async def test_course_number_beyond_the_bound_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    body = with_item(course="Course 99999999999999999999999")

    assert await refused_field(client, pos, body) == "items[0].course"


async def test_course_number_at_the_bound_is_accepted(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, with_item(course="Course 99"))

    assert 99 in {t["course_number"] for t in await tickets(client, chef)}


async def test_seat_number_beyond_the_bound_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(seat="Seat 99999999999999999999")) == "items[0].seat"


async def test_seat_number_at_the_bound_is_read_back(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, with_item(seat="Seat 9999"))

    [ticket] = [t for t in await tickets(client, chef) if t["course_number"] == 1]
    assert ticket["items"][0]["seat_number"] == 9999


async def test_quantity_beyond_the_bound_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(qty=2**63)) == "items[0].qty"


# ids and names


async def test_order_id_of_100000_characters_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(id="x" * 100_000)) == "id"


async def test_order_id_with_a_nul_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(id="12\x003")) == "id"


async def test_line_id_and_item_id_over_255_characters_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(lineId="l" * 256)) == "items[0].lineId"
    assert await refused_field(client, pos, with_item(id="i" * 256)) == "items[0].id"


async def test_name_over_its_bound_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(name="n" * 100_000)) == "name"
    assert await refused_field(client, pos, with_item(name="n" * 100_000)) == "items[0].name"


async def test_cancel_with_an_unbounded_id_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    error = await refused(client, pos, {"id": "x" * 100_000}, path=f"{ORDERS}/cancel", put=True)

    assert error["field"] == "id"


async def test_ids_of_150_characters_work_end_to_end(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    oid = "order/" + "é€-_ ?#%" * 18  # 150 printable characters, some that a URL must escape
    body = order(id=oid)
    body["items"][0].update(lineId="L" * 150, id="M" * 150)
    assert len(oid) == 150

    await created(client, pos, body)
    listed = [t for t in await tickets(client, chef) if t["order_id"] == oid]
    started = await client.post(f"/api/v1/kds/stations/grill/orders/{quote(oid, safe='')}/ticket/start", headers=chef)

    assert [t["items"][0]["line_id"] for t in listed] == ["L" * 150]
    assert listed[0]["items"][0]["menu_item_id"] == "M" * 150
    assert started.status == 200, (await started.text())[:500]
    assert (await started.json())["status"] == "in_progress"


async def test_error_messages_do_not_echo_unbounded_input(client: TestClient, pos: dict[str, str]) -> None:
    for body in (
        order(mode="x" * 100_000),
        order(time="y" * 100_000),
        order(prepTimeDuration="P" * 100_000),
        order(phoneNumber="+1" * 50_000),
        with_item(courseStatus="z" * 100_000),
    ):
        await refused(client, pos, body)


# times and durations


async def test_pickup_time_that_utc_cannot_represent_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(pickupTime="0001-01-01T00:00:00+14:00")) == "pickupTime"


async def test_time_outside_the_window_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(time="9999-12-31T23:59:59-14:00")) == "time"
    assert await refused_field(client, pos, order(time="1999-12-31T23:59:59Z")) == "time"


async def test_pickup_time_at_the_window_edges_is_read_back(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, order(id="early", pickupTime="2000-01-01T09:00:00+09:00"))
    await created(client, pos, order(id="late", pickupTime="2099-12-31T23:59:59.999-00:00"))

    targets = {t["order_id"]: t["target_time"] for t in await tickets(client, chef)}
    assert targets == {"early": "2000-01-01T00:00:00.000Z", "late": "2099-12-31T23:59:59.999Z"}


async def test_prep_duration_over_a_day_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(prepTimeDuration="P8000Y")) == "prepTimeDuration"
    assert await refused_field(client, pos, order(prepTimeDuration="P1DT1S")) == "prepTimeDuration"


async def test_prep_duration_of_a_day_is_read_back(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    body = order(prepTimeDuration="P1D")
    del body["pickupTime"]

    await created(client, pos, body)

    assert {t["estimated_prep_time"] for t in await tickets(client, chef)} == {86_400}


# unknown fields


async def test_unknown_field_nested_250_levels_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(loyalty=nested(250))) == "loyalty"


async def test_unknown_field_nested_300_levels_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(loyalty=nested(300))) == "loyalty"


async def test_unknown_item_field_nested_too_deep_is_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, with_item(kitchenNote=nested(33))) == "items[0].kitchenNote"


async def test_unknown_field_nested_32_levels_is_kept_and_returned(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    body = order(loyalty=nested(32))
    body["items"][0]["kitchenNote"] = nested(32)

    await created(client, pos, body)

    [listed] = await kitchen_orders(client, chef)
    assert listed["order"]["loyalty"] == nested(32)
    assert listed["items"][0]["extra"]["kitchenNote"] == nested(32)
    assert await tickets(client, chef)


async def test_unknown_fields_over_the_size_bound_are_refused(client: TestClient, pos: dict[str, str]) -> None:
    assert await refused_field(client, pos, order(loyalty=list(range(10_001)))) == "loyalty"


async def test_unknown_fields_within_the_size_bound_are_kept(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, order(loyalty=list(range(9_999))))

    [listed] = await kitchen_orders(client, chef)
    assert len(listed["order"]["loyalty"]) == 9_999


# partial updates are held to the same limits


async def test_partial_update_is_held_to_the_same_limits(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    await created(client, pos, order())
    partial = f"{ORDERS}/partial"
    item = {"lineId": "3", "name": "Fries", "qty": 1, "mods": [], "allergens": 5}

    error = await refused(client, pos, {"id": "123", "itemsToAdd": [item]}, path=partial, put=True)
    late = await refused(client, pos, {"id": "123", "pickupTime": "0001-01-01T00:00:00+14:00"}, path=partial, put=True)
    ok = await client.put(partial, json={"id": "123", "itemsToAdd": [{**item, "allergens": ["soy"]}]}, headers=pos)

    assert error["field"] == "itemsToAdd[0].allergens"
    assert late["field"] == "pickupTime"
    assert ok.status == 200
    [listed] = await kitchen_orders(client, chef)
    assert [i["allergens"] for i in listed["items"] if i["line_id"] == "3"] == [["soy"]]


# orders stored before these limits


async def test_orders_stored_before_the_limits_still_read(
    client: TestClient, pos: dict[str, str], chef: dict[str, str]
) -> None:
    """An order accepted before intake had its limits stays in the log; its ticket reads without the values."""
    fields = order(id="legacy", pickupTime="0001-01-01T00:00:00+14:00", prepTimeDuration="P8000Y")
    items = [{**i, "mods": [], "seat": "Seat 99999999999999999999"} for i in fields.pop("items")]
    store = client.app[STORE]
    kitchen = store.setup(client.app[KITCHEN].location_id).kitchen
    devices = [device_id(client)]
    await store.execute(ORDER, "legacy", lambda s: commands.create_order(s, fields, items, devices, kitchen), Actor(
        "integration:test", (), "integration"))  # fmt: skip

    [ticket] = [t for t in await tickets(client, chef) if t["course_number"] == 1]

    assert ticket["items"][0]["seat_number"] == "Seat 99999999999999999999"
    assert (ticket["target_time"], ticket["estimated_prep_time"]) == (None, None)
