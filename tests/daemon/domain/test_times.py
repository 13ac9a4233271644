"""Times as POS software sends them: ISO 8601 with a zone (kept as sent), local ISO 8601 read in the
location's zone, epoch milliseconds; anything else refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from daemon.domain.errors import ValidationFailed
from daemon.domain.intake import check_order, check_partial
from tests.daemon.domain.builders import seed

CHICAGO = ZoneInfo("America/Chicago")


def stored(value: object, zone: ZoneInfo | None = None, key: str = "time") -> str:
    fields, _ = check_order(seed(**{key: value}), zone or ZoneInfo("UTC"))
    return str(fields[key])


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_time_with_a_zone_is_kept_as_sent() -> None:
    assert stored("2023-04-03T13:48:38.769+02:00", CHICAGO) == "2023-04-03T13:48:38.769+02:00"


def test_a_local_time_is_read_in_the_location_zone() -> None:
    value = stored("2023-04-03T08:48:38.769", CHICAGO)

    assert value == "2023-04-03T08:48:38.769-05:00"  # CDT in April
    assert moment(value) == datetime(2023, 4, 3, 13, 48, 38, 769_000, tzinfo=UTC)


def test_a_local_time_in_winter_takes_the_winter_offset() -> None:
    assert stored("2023-01-10T12:00:00", CHICAGO) == "2023-01-10T12:00:00-06:00"


def test_the_same_local_time_is_another_instant_in_another_zone() -> None:
    here = moment(stored("2023-04-03T12:00:00", CHICAGO))
    there = moment(stored("2023-04-03T12:00:00", ZoneInfo("Europe/Paris")))

    assert (here - there).total_seconds() == 7 * 3600


def test_the_repeated_hour_when_clocks_go_back_is_the_first_one() -> None:
    assert stored("2023-11-05T01:30:00", CHICAGO) == "2023-11-05T01:30:00-05:00"


def test_epoch_milliseconds_as_a_number_are_kept_as_utc_iso() -> None:
    assert stored(1680529718769) == "2023-04-03T13:48:38.769Z"


def test_epoch_milliseconds_as_digits_are_read_too() -> None:
    assert stored("1680529718769", key="pickupTime") == "2023-04-03T13:48:38.769Z"


def test_an_eight_digit_string_is_a_basic_iso_date_not_epoch() -> None:
    assert moment(stored("20230403T120000Z")) == datetime(2023, 4, 3, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "13:48",
        1680529718,  # epoch seconds land in 1970: outside the window, and the message says what is wanted
        4_102_444_800_000,  # 2100-01-01: the window is exclusive
        "0001-01-01T00:00:00",
        10**30,
        "12345678901234567",
        "",
        [],
    ],
)
def test_anything_else_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_order(seed(pickupTime=value), CHICAGO)

    assert caught.value.field == "pickupTime"


def test_the_window_is_the_same_for_every_form() -> None:
    assert stored(946_684_800_000) == "2000-01-01T00:00:00.000Z"
    with pytest.raises(ValidationFailed):
        check_order(seed(time=946_684_799_999))


def test_a_partial_update_reads_pickup_time_in_the_zone_too() -> None:
    patch = check_partial({"id": "1", "pickupTime": "2023-04-03T14:15:00"}, CHICAGO)

    assert patch["fields"]["pickupTime"] == "2023-04-03T14:15:00-05:00"
