"""The expo screen against a real daemon: every order with its stations, and ready food marked served."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import Pos, order_body, order_id, screen_on
from ui.views.expo_screen import expo_order


async def test_expo_serves_the_ready_food_of_the_selected_order(shared_daemon: DaemonProcess, pos: Pos) -> None:
    oid = order_id()
    items = [{"lineId": "1", "name": "Hamburger", "qty": 1, "mods": []}]
    await pos.post_order({**order_body(oid, "Expo Serve", items), "table": "T9"})
    await pos.kitchen("POST", f"/api/v1/kds/stations/grill/orders/{oid}/ticket/bump")  # the food is up
    async with screen_on(shared_daemon, mode="expo") as screen:
        expo = screen.window.expo
        assert expo is not None
        await until(lambda: screen.session.orders.get(oid) is not None, 30, "the order on the expo screen")
        await until(lambda: any(o["id"] == oid for o in expo.board.rows), 30, "the order drawn")
        expo.board.selected_id = oid
        expo.serve.click()
        deadline = time.monotonic() + 30  # a deadline: a loaded machine with two test workers is slow
        while True:
            orders = (await pos.kitchen("GET", "/api/v1/kitchen/orders"))["data"]
            if not any(o["id"] == oid for o in orders):  # served orders leave the active list
                break
            assert time.monotonic() < deadline, "the order was never served"
            await asyncio.sleep(0.05)  # polling the daemon with a deadline
        await until(lambda: screen.session.orders.get(oid) is None, 30, "the served order gone from expo")


def test_the_orders_of_one_table_sit_together_most_urgent_first() -> None:
    def order(oid: str, minute: int, table: str | None = None, priority: bool = False) -> dict[str, object]:
        return {
            "id": oid,
            "created_at": f"2026-11-30T12:{minute:02d}:00Z",
            "order": {"table": table},
            "priority": priority,
        }

    now = datetime(2026, 11, 30, 13, 0, tzinfo=UTC).timestamp()
    rows = [order("a", 1, "T1"), order("b", 5), order("c", 20, "T1"), order("d", 10), order("e", 30, None, True)]
    # priority first; then the longest waiting, with T1's later order brought up beside its first
    assert [o["id"] for o in expo_order(rows, now)] == ["e", "a", "c", "b", "d"]  # type: ignore[arg-type]


async def test_expo_fires_the_next_held_course(shared_daemon: DaemonProcess, pos: Pos) -> None:
    oid = order_id()
    items = [
        {"lineId": "1", "name": "Caesar salad", "qty": 1, "mods": [], "course": "1", "courseStatus": "fire"},
        {"lineId": "2", "name": "Ribeye steak", "qty": 1, "mods": [], "course": "2", "courseStatus": "hold"},
    ]
    await pos.post_order({**order_body(oid, "Coursed", items), "table": "T3"})
    async with screen_on(shared_daemon, mode="expo") as screen:
        expo = screen.window.expo
        assert expo is not None
        await until(lambda: screen.session.orders.get(oid) is not None, 30, "the order on the expo screen")
        assert screen.session.alerts.available  # this daemon serves the coursing API
        expo.board.selected_id = oid
        expo.fire.click()

        def course_two() -> str | None:
            order = screen.session.orders.get(oid) or {}
            return next((c["status"] for c in order.get("courses", ()) if c.get("number") == 2), None)

        await until(lambda: course_two() == "fired", 30, "course 2 fired, seen live on the screen")
        orders = (await pos.kitchen("GET", "/api/v1/kitchen/orders"))["data"]
        order = next(o for o in orders if o["id"] == oid)
        assert next(c["status"] for c in order["courses"] if c["number"] == 2) == "fired"
