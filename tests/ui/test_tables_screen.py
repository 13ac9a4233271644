"""The tables screen against a real daemon with the embedded demo's dining room: the floor drawn from the
tables API, a party seated by another client shown at once, and a tap then a status button changing a
table on the daemon."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import Pos, order_body, order_id, screen_on


async def test_the_demo_floor_is_drawn_seated_and_changed_on_the_daemon(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon, mode="tables") as screen:
        tables = screen.window.tables
        assert tables is not None
        model = screen.session.tables
        await until(lambda: len(model.tables) == 8, 10, "the demo's eight tables read")
        assert tables.plan.isVisible() and not tables.notice.isVisible()

        def table(table_id: str) -> dict[str, Any]:
            return next(t for t in model.tables if t["id"] == table_id)

        assert table("tbl_002")["name"] == "Booth 2" and table("tbl_002")["status"] == "available"
        await until(lambda: len(tables.plan.placed) == 8, 5, "every table placed on the plan")

        # Another client seats a party: the kitchen channel's order:table_assigned has the floor read at once
        oid = order_id()
        await pos.post_order(order_body(oid, "Booth Party"))
        await pos.kitchen("PUT", "/api/v1/tables/tbl_002/assign", {"order_id": oid, "party_size": 4})
        await until(lambda: table("tbl_002")["status"] == "occupied", 4, "the seated table shown occupied")

        # A tap on the table, then a status button: the daemon's table changes, and the screen shows it
        rect = next(r for r, t in tables.plan.placed if t["id"] == "tbl_002")
        QTest.mouseClick(tables.plan, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center())
        assert tables.plan.selected_id == "tbl_002"
        tables.buttons["dirty"].click()
        await until(lambda: table("tbl_002")["status"] == "dirty", 10, "the table shown dirty")
        answer = await pos.kitchen("GET", "/api/v1/tables/tbl_002")
        assert answer["status"] == "dirty"
        assert {t["id"] for t in model.tables if t["status"] != "available"} == {"tbl_002"}
        assert tables.message.text() == ""  # the seated table was cleared first, not refused
        tables.buttons["available"].click()
        await until(lambda: table("tbl_002")["status"] == "available", 10, "the cleaned table available again")
