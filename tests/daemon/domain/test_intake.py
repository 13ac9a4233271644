"""Validation of the integrator's payloads: each failure names its field; unknown fields are kept."""

from __future__ import annotations

from typing import Any

import pytest

from daemon.domain.errors import ValidationFailed
from daemon.domain.intake import check_order, check_partial, parse_duration_seconds
from tests.daemon.domain.builders import seed


def refused_field(body: Any) -> str | None:
    with pytest.raises(ValidationFailed) as caught:
        check_order(body)
    return caught.value.field


def test_seed_example_is_accepted_with_string_mods_as_objects() -> None:
    fields, items = check_order(seed())

    assert fields["mode"] == "Pickup"
    assert items[0]["mods"] == [{"name": "No Ketchup", "qty": 1}, {"name": "Side Fries", "qty": 1}]


@pytest.mark.parametrize("key", ["id", "name", "time", "mode", "items"])
def test_missing_required_order_field_is_named(key: str) -> None:
    body = seed()
    del body[key]

    assert refused_field(body) == key


@pytest.mark.parametrize("key", ["name", "qty", "mods"])
def test_missing_required_item_field_is_named(key: str) -> None:
    body = seed()
    del body["items"][1][key]

    assert refused_field(body) == f"items[1].{key}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mode": "Takeaway"}, "mode"),
        ({"time": "yesterday"}, "time"),
        ({"time": "2023-04-03T13:48:38+25:00"}, "time"),  # no such offset
        ({"time": True}, "time"),
        ({"time": 1.5e12}, "time"),  # epoch milliseconds are whole
        ({"pickupTime": "2023-13-03T13:48:38Z"}, "pickupTime"),
        ({"phoneNumber": "615-555-1234"}, "phoneNumber"),
        ({"prepTimeDuration": "30 minutes"}, "prepTimeDuration"),
        ({"covers": -1}, "covers"),
        ({"priority": "yes"}, "priority"),
        ({"costs": {"total": {"amount": 1}}}, "costs.total"),
        ({"costs": {"additionalFees": [{"name": "Bag"}]}}, "costs.additionalFees[0].amount"),
        ({"deliveryService": {"name": "Dash"}}, "deliveryService.orderId"),
        ({"deliveryService": {"name": "Dash", "orderId": "9", "driverPhone": "12"}}, "deliveryService.driverPhone"),
        ({"customerArrivedUrl": "ftp://x"}, "customerArrivedUrl"),
    ],
)
def test_wrong_field_is_named(change: dict[str, Any], field: str) -> None:
    assert refused_field(seed(**change)) == field


@pytest.mark.parametrize(
    ("item_change", "field"),
    [
        ({"qty": 0}, "items[0].qty"),
        ({"qty": "1"}, "items[0].qty"),
        ({"courseStatus": "later"}, "items[0].courseStatus"),
        ({"mods": [{"qty": 2}]}, "items[0].mods[0].name"),
        ({"mods": "none"}, "items[0].mods"),
        ({"lineId": "2"}, "items[1].lineId"),  # duplicates the second line's id
    ],
)
def test_wrong_item_field_is_named(item_change: dict[str, Any], field: str) -> None:
    body = seed()
    body["items"][0].update(item_change)

    assert refused_field(body) == field


@pytest.mark.parametrize("mode", ["For Here", "ToGo", "Pickup", "DriveThru", "Delivery", "Curbside", "for here"])
def test_every_seed_mode_is_accepted(mode: str) -> None:
    fields, _ = check_order(seed(mode=mode))

    assert fields["mode"] in ("For Here", "ToGo", "Pickup", "DriveThru", "Delivery", "Curbside")


def test_unknown_fields_are_kept() -> None:
    body = seed(loyaltyId="L-9")
    body["items"][0]["kitchenNote"] = "rush"

    fields, items = check_order(body)

    assert fields["loyaltyId"] == "L-9"
    assert items[0]["kitchenNote"] == "rush"


def test_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        check_order(["not", "an", "order"])


@pytest.mark.parametrize(("text", "seconds"), [("PT30M", 1800), ("PT1H30M", 5400), ("P1DT2H", 93600), ("PT45S", 45)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["P", "PT", "30M", "PTM", "P1H"])
def test_not_durations(text: str) -> None:
    assert parse_duration_seconds(text) is None


def test_partial_keeps_only_sent_non_null_fields() -> None:
    patch = check_partial({"id": "123", "name": "New", "mode": None, "server": None, "itemsToRemove": ["2"]})

    assert patch["fields"] == {"name": "New"}
    assert patch["remove"] == ["2"]
    assert patch["add"] == [] and patch["update"] == []


def test_partial_validates_what_it_sends() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_partial({"id": "123", "phoneNumber": "nope"})

    assert caught.value.field == "phoneNumber"


def test_partial_needs_only_an_id() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_partial({"name": "x"})

    assert caught.value.field == "id"


def test_numbers_sent_for_strings_are_kept_as_their_text() -> None:
    body = seed(checkNumber=42, server=7)
    body["items"][0].update(lineId=1, price=11.5)

    fields, items = check_order(body)

    assert (fields["checkNumber"], fields["server"]) == ("42", "7")
    assert (items[0]["lineId"], items[0]["price"]) == ("1", "11.5")


def test_a_refusal_quotes_at_most_forty_characters_of_the_value() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_order(seed(mode="x" * 100_000))

    assert caught.value.field == "mode"
    assert len(caught.value.message) < 200


def test_an_unknown_key_in_a_refused_path_is_cut() -> None:
    deep: dict[str, Any] = {}
    for _ in range(40):
        deep = {"a": deep}

    with pytest.raises(ValidationFailed) as caught:
        check_order(seed(**{"k" * 100_000: deep}))

    assert caught.value.field == "k" * 40 + "…"


def test_partial_drops_null_unknown_fields_and_checks_the_rest() -> None:
    patch = check_partial({"id": "123", "loyalty": None, "note": {"a": 1}, "itemsToRemove": [2, "3"]})

    assert patch["fields"] == {"note": {"a": 1}}
    assert patch["remove"] == ["2", "3"]
