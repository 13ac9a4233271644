"""Pacing, rush mode, timing status, alerts and a restart in the middle of a paced meal, over HTTP with
the kitchen clock on a manual clock (ARCHITECTURE §4 rules 9 and 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.api.context import STORE
from daemon.api.timestamps import iso
from daemon.app import build_app
from daemon.config import Config
from tests.conftest import ManualClock
from tests.daemon.api.coursing_support import (
    C,
    bump_all,
    coursed_order,
    location,
    make_templates,
    post_order,
    statuses,
    tick,
)

Headers = dict[str, str]
MIN = 60_000


async def _meal(client: TestClient, pos: Headers, manager: Headers, order_id: str = "m-1", **fields: Any) -> int:
    """Templates, a three-course order, and the first pass (the appetizer fires): when it fired."""
    await make_templates(client, manager)
    await post_order(client, pos, coursed_order(order_id, **fields))
    assert (await tick(client)).fired == 1
    return client.app[STORE].order(order_id).courses[1].fired_ms  # type: ignore[union-attr]


async def _timing(client: TestClient, order_id: str, course: int, headers: Headers) -> dict[str, Any]:
    resp = await client.get(f"{C}/orders/{order_id}/courses/{course}/timing-status", headers=headers)
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


@pytest.mark.parametrize(
    ("pace", "custom", "gap_minutes"),
    [("normal", None, 12), ("leisurely", None, 17), ("quick", None, 9), ("custom", 8, 8)],
)
async def test_each_pace_moves_the_next_fire(
    client: TestClient,
    pos: Headers,
    manager: Headers,
    clock: ManualClock,
    pace: str,
    custom: int | None,
    gap_minutes: int,
) -> None:
    fired = await _meal(client, pos, manager)
    body = {"pace": pace, "custom_gap_minutes": custom, "location_id": location(client)}
    assert (await client.put(f"{C}/orders/m-1/pace", json=body, headers=manager)).status == 200

    timing = await _timing(client, "m-1", 2, manager)
    clock.ms = fired + gap_minutes * MIN - 1000
    await tick(client)
    held = await statuses(client, "m-1", manager)
    clock.ms = fired + gap_minutes * MIN
    await tick(client)

    assert timing["scheduled_fire_time"] == iso(fired + gap_minutes * MIN)
    assert held[1] == "held"
    assert (await statuses(client, "m-1", manager))[1] == "fired"


async def test_rush_mode_halves_the_gaps(
    client: TestClient, pos: Headers, manager: Headers, clock: ManualClock
) -> None:
    fired = await _meal(client, pos, manager)

    resp = await client.post(f"{C}/config/{location(client)}/rush", json={"enabled": True}, headers=manager)

    assert (resp.status, (await resp.json())["rush_mode_active"]) == (200, True)
    assert (await _timing(client, "m-1", 2, manager))["scheduled_fire_time"] == iso(fired + 6 * MIN)
    clock.ms = fired + 6 * MIN
    await tick(client)
    assert (await statuses(client, "m-1", manager))[1] == "fired"


async def test_template_timing_target_gap_wins_over_the_default_delay(
    client: TestClient, pos: Headers, manager: Headers
) -> None:
    fired = await _meal(client, pos, manager)
    entree = client.app[STORE].order("m-1").courses[2].template_id  # type: ignore[union-attr]
    await client.put(f"{C}/templates/{entree}/timing", json={"target_gap_minutes": 10}, headers=manager)

    assert (await _timing(client, "m-1", 2, manager))["scheduled_fire_time"] == iso(fired + 10 * MIN)


async def test_location_can_switch_auto_fire_off(
    client: TestClient, pos: Headers, manager: Headers, clock: ManualClock
) -> None:
    await make_templates(client, manager)
    resp = await client.put(f"{C}/config/{location(client)}", json={"auto_fire_enabled": False}, headers=manager)
    await post_order(client, pos, coursed_order("m-2"))
    clock.advance(3600)

    await tick(client)

    assert (await resp.json())["auto_fire_enabled"] is False
    assert await statuses(client, "m-2", manager) == ["held", "held", "held"]


async def test_config_defaults_update_and_errors(client: TestClient, manager: Headers, chef: Headers) -> None:
    path = f"{C}/config/{location(client)}"

    before = await (await client.get(path, headers=chef)).json()
    changes = {"default_course_delay": 8, "rush_mode_multiplier": 0.6}
    after = await (await client.put(path, json=changes, headers=manager)).json()
    bad = await client.put(path, json={"rush_mode_multiplier": 0}, headers=manager)
    forbidden = await client.put(path, json={"default_course_delay": 8}, headers=chef)
    other = await client.get(f"{C}/config/elsewhere", headers=chef)

    assert {k: before[k] for k in ("default_course_delay", "auto_fire_enabled", "table_sync_enabled",
                                   "rush_mode_multiplier", "rush_mode_active")} == {
        "default_course_delay": 5, "auto_fire_enabled": True, "table_sync_enabled": True,
        "rush_mode_multiplier": 0.5, "rush_mode_active": False}  # fmt: skip
    assert (after["default_course_delay"], after["rush_mode_multiplier"], after["auto_fire_enabled"]) == (8, 0.6, True)
    assert (bad.status, (await bad.json())["error"]["field"]) == (400, "rush_mode_multiplier")
    assert forbidden.status == 403
    assert other.status == 403


async def _alerts(client: TestClient, headers: Headers, include: bool = False) -> list[dict[str, Any]]:
    flag = "true" if include else "false"
    resp = await client.get(f"{C}/alerts?location_id={location(client)}&include_acknowledged={flag}", headers=headers)
    assert resp.status == 200
    body: list[dict[str, Any]] = await resp.json()
    return body


async def test_each_alert_level_is_raised_once_and_acknowledged(
    client: TestClient, pos: Headers, manager: Headers, clock: ManualClock, token_for: Callable[..., Headers]
) -> None:
    fired = await _meal(client, pos, manager, table="Table 7")
    ready_by = fired + 10 * MIN  # default prep time: the appetizer should be ready 10 minutes after its fire

    clock.ms = ready_by + 4 * MIN
    await tick(client)
    normal = await _timing(client, "m-1", 1, manager)
    clock.ms = ready_by + 7 * MIN
    await tick(client)
    warning = await _timing(client, "m-1", 1, manager)
    await tick(client)  # raised once, however many passes see it
    clock.ms = ready_by + 11 * MIN
    await tick(client)
    critical = await _timing(client, "m-1", 1, manager)

    assert (normal["alert_level"], normal["delay_minutes"], normal["is_on_time"]) == ("normal", 4, False)
    assert (warning["alert_level"], warning["delay_minutes"]) == ("warning", 7)
    assert (critical["alert_level"], critical["delay_minutes"]) == ("critical", 11)
    alerts = [a for a in await _alerts(client, manager) if a["course_number"] == 1]
    assert [(a["alert_level"], a["delay_minutes"], a["table_name"], a["message"]) for a in alerts] == [
        ("warning", 7, "Table 7", "Course is 7 minutes delayed"),
        ("critical", 11, "Table 7", "Course is significantly delayed"),
    ]

    server = token_for("server", sub="server-3")
    ack = await client.post(f"{C}/alerts/{alerts[0]['id']}/acknowledge", headers=server)
    assert ack.status == 200
    assert [a["alert_level"] for a in await _alerts(client, manager) if a["course_number"] == 1] == ["critical"]
    acked = [a for a in await _alerts(client, manager, include=True) if a["id"] == alerts[0]["id"]]
    assert [(a["acknowledged"], a["acknowledged_by"], a["acknowledged_at"] is not None) for a in acked] == [
        (True, "server-3", True)
    ]
    missing = await client.post(f"{C}/alerts/nope/acknowledge", headers=server)
    assert (missing.status, (await missing.json())["error"]["code"]) == (404, "ALERT_NOT_FOUND")


async def test_on_time_course_is_normal_with_no_delay(
    client: TestClient, pos: Headers, manager: Headers, clock: ManualClock
) -> None:
    fired = await _meal(client, pos, manager)
    clock.ms = fired + 2 * MIN

    timing = await _timing(client, "m-1", 1, manager)

    assert timing == {
        "scheduled_fire_time": iso(fired),
        "estimated_ready_time": iso(fired + 10 * MIN),
        "is_on_time": True,
        "delay_minutes": None,
        "alert_level": "normal",
    }


def _fires_of(client: TestClient, order_id: str, course: int) -> int:
    log = client.app[STORE].read_log(0, 100_000)
    return sum(
        1
        for _, e in log
        if e.type == "course.fired" and e.aggregate_id == order_id and e.payload.get("course") == course
    )


async def test_restart_in_a_paced_meal_repeats_no_fire_and_loses_no_alert(
    client: TestClient,
    aiohttp_client: Callable[..., Any],
    config: Config,
    pos: Headers,
    manager: Headers,
    chef: Headers,
    clock: ManualClock,
) -> None:
    fired = await _meal(client, pos, manager)
    clock.ms = fired + 17 * MIN  # the appetizer is 7 minutes late: a warning
    await tick(client)
    assert [a["alert_level"] for a in await _alerts(client, manager)] == ["warning"]
    await client.close()

    # Down while the entree came due (12 minutes after the appetizer) and the appetizer went critical.
    clock.ms = fired + 25 * MIN
    app: web.Application = build_app(config, now_ms=clock)
    again: TestClient = await aiohttp_client(app)  # its start-up pass recomputes from state

    assert await statuses(again, "m-1", manager) == ["fired", "fired", "held"]
    entree = again.app[STORE].order("m-1").courses[2]  # type: ignore[union-attr]
    assert entree.fire_at_ms == fired + 12 * MIN  # fired for the time it was due, not the time we woke
    assert [a["alert_level"] for a in await _alerts(again, manager)] == ["warning", "critical"]
    await tick(again)
    await tick(again)
    assert (_fires_of(again, "m-1", 1), _fires_of(again, "m-1", 2)) == (1, 1)
    assert len(await _alerts(again, manager)) == 2
    await bump_all(again, "m-1", chef, ("cold",))
    assert (await statuses(again, "m-1", manager))[0] == "complete"
