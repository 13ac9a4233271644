"""Turnover from a scripted evening: every figure follows from the seatings and clears the test made."""

from __future__ import annotations

from datetime import datetime

from aiohttp.test_utils import TestClient

from tests.conftest import SEED_ORDER, ManualClock

LOC = "demo-location"


def at(clock: ManualClock, hhmm: str) -> None:
    clock.ms = int(datetime.fromisoformat(f"2026-10-24T{hhmm}:00+00:00").timestamp() * 1000)


async def _seat(
    client: TestClient, pos: dict[str, str], host: dict[str, str], table: str, oid: str, party: int, **extra: object
) -> None:
    await client.post("/integrators/kds-orders", json={**SEED_ORDER, "id": oid, **extra}, headers=pos)
    resp = await client.put(f"/api/v1/tables/{table}/assign", json={"order_id": oid, "party_size": party}, headers=host)
    assert resp.status == 200


async def _evening(client: TestClient, pos: dict[str, str], host: dict[str, str], clock: ManualClock) -> None:
    at(clock, "17:00")
    await _seat(client, pos, host, "tbl_001", "o1", 2, costs={"subtotal": 40})
    at(clock, "17:10")
    await _seat(client, pos, host, "tbl_011", "o2", 4)  # no prices: left out of revenue, not guessed
    at(clock, "17:50")
    await client.post("/api/v1/tables/tbl_001/clear", headers=host)
    at(clock, "18:00")
    await client.patch("/api/v1/tables/tbl_001/status", json={"status": "available"}, headers=host)
    await _seat(client, pos, host, "tbl_001", "o3", 3, costs={"subtotal": 60})
    at(clock, "18:40")
    await client.post("/api/v1/tables/tbl_011/clear", headers=host)
    at(clock, "19:00")
    await client.post("/api/v1/tables/tbl_001/clear", headers=host)
    at(clock, "19:30")


async def test_turnover_of_a_scripted_evening(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], clock: ManualClock
) -> None:
    await _evening(client, pos, manager, clock)

    resp = await client.get(
        f"/api/v1/tables/{LOC}/turnover",
        params={"start_date": "2026-10-24T00:00:00Z", "end_date": "2026-10-24T23:59:59Z"},
        headers=manager,
    )

    body = await resp.json()
    assert resp.status == 200
    assert body["period"] == {"start": "2026-10-24T00:00:00Z", "end": "2026-10-24T23:59:59Z"}
    assert body["metrics"] == {
        "total_turns": 3,
        "avg_turn_time_minutes": 67,  # (50 + 90 + 60) / 3
        "avg_party_size": 3.0,
        "peak_occupancy_percent": 25,  # two of eight tables at once
        "revenue_per_seat_hour": 21.43,  # (40 + 60) / (2 × 50/60 + 3 × 1)
    }
    assert body["by_section"] == [
        {"section": "Main Dining", "turns": 2, "avg_turn_time_minutes": 55},
        {"section": "Patio", "turns": 1, "avg_turn_time_minutes": 90},
    ]
    assert body["by_hour"] == [
        {"hour": 17, "turns": 1, "occupancy_percent": 21},  # 100 of 480 table-minutes
        {"hour": 18, "turns": 1, "occupancy_percent": 21},
        {"hour": 19, "turns": 1, "occupancy_percent": 0},
    ]


async def test_hours_follow_the_offset_of_the_period(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], clock: ManualClock
) -> None:
    await _evening(client, pos, manager, clock)

    body = await (
        await client.get(
            f"/api/v1/tables/{LOC}/turnover",
            params={"start_date": "2026-10-24T00:00:00-05:00", "end_date": "2026-10-24T23:59:59-05:00"},
            headers=manager,
        )
    ).json()

    assert [h["hour"] for h in body["by_hour"]] == [12, 13, 14]


async def test_a_period_without_turns_invents_nothing(
    client: TestClient, pos: dict[str, str], manager: dict[str, str], clock: ManualClock
) -> None:
    await _evening(client, pos, manager, clock)

    body = await (
        await client.get(
            f"/api/v1/tables/{LOC}/turnover",
            params={"start_date": "2026-10-23T00:00:00Z", "end_date": "2026-10-23T23:59:59Z"},
            headers=manager,
        )
    ).json()

    assert body["metrics"] == {
        "total_turns": 0,
        "avg_turn_time_minutes": None,
        "avg_party_size": None,
        "peak_occupancy_percent": 0,
        "revenue_per_seat_hour": None,
    }
    assert (body["by_section"], body["by_hour"]) == ([], [])


async def test_bad_period_is_400_naming_the_field(client: TestClient, manager: dict[str, str]) -> None:
    bad = await client.get(f"/api/v1/tables/{LOC}/turnover", params={"start_date": "yesterday"}, headers=manager)
    backwards = await client.get(
        f"/api/v1/tables/{LOC}/turnover",
        params={"start_date": "2026-10-24T00:00:00Z", "end_date": "2026-10-23T00:00:00Z"},
        headers=manager,
    )

    assert (bad.status, (await bad.json())["error"]["field"]) == (400, "start_date")
    assert (backwards.status, (await backwards.json())["error"]["field"]) == (400, "end_date")


async def test_the_default_period_is_the_location_s_today(client: TestClient, manager: dict[str, str]) -> None:
    body = await (await client.get(f"/api/v1/tables/{LOC}/turnover", headers=manager)).json()

    assert body["period"]["start"].startswith("2026-09-21T00:00:00")  # the test clock's day
    assert body["period"]["end"].startswith("2026-09-21T23:59:59")
    assert body["metrics"]["total_turns"] == 0
