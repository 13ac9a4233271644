"""Bump bars on the screen (issue 18): a keyboard-wedge bar types keys into the screen, which hands them to
the daemon (POST /api/v1/bumpbars/{id}/keys); the highlighted card is the daemon's selection, whichever bar
or screen moved it. Against a real daemon configured with a wedge bar at the grill."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import Pos, Screen, order_body, order_id, screen_on

SELECTION = "/api/v1/kds/stations/grill/selection"


async def _press(screen: Screen, key: Qt.Key, text: str) -> None:
    before = screen.session.bars.forwarded
    QTest.keyClick(screen.grid, key, Qt.KeyboardModifier.NoModifier)
    await until(lambda: screen.session.bars.forwarded == before + 1, 10, f"the daemon answered key {text}")


def _drawn(screen: Screen, selection: dict[str, Any]) -> bool:
    return screen.grid.selected_id == selection["ticket_id"]


async def test_wedge_bar_keys_act_through_the_daemon_and_its_selection_is_drawn(
    hardware_daemon: DaemonProcess,
) -> None:
    pos = Pos(hardware_daemon)
    async with screen_on(hardware_daemon) as screen:
        assert screen.session.bars.selections.wedge_bars == {"grill": "wedge"}
        first, second = order_id(), order_id()
        await pos.post_order(order_body(first, "Bar One"))
        await pos.post_order(order_body(second, "Bar Two"))
        await until(lambda: screen.card(first) is not None and screen.card(second) is not None, 10, "both cards")

        await _press(screen, Qt.Key.Key_0, "0 (home)")
        home = await pos.kitchen("GET", SELECTION)
        assert home["last_action"] == "home" and _drawn(screen, home)

        await _press(screen, Qt.Key.Key_4, "4 (next)")
        moved = await pos.kitchen("GET", SELECTION)
        assert moved["last_action"] == "next" and moved["ticket_id"] != home["ticket_id"]
        assert _drawn(screen, moved)  # the highlight is where the bar's next key acts
        target = moved["order_id"]

        await _press(screen, Qt.Key.Key_1, "1 (bump)")  # 10-key: 1 bumps (the screen's own 1 would select)
        await until(lambda: screen.card(target) is None, 10, "the selected card bumped by the bar")
        ticket = await pos.ticket("grill", target)
        assert ticket is not None and ticket["status"] == "bumped"
        # the ticket that slid into its place is the one drawn highlighted
        after: dict[str, Any] = {}

        async def fetch() -> None:
            after.update(await pos.kitchen("GET", SELECTION))

        await fetch()
        await until(lambda: _drawn(screen, after), 10, "the daemon's selection after the bump drawn")


async def test_a_selection_moved_elsewhere_moves_the_highlight(hardware_daemon: DaemonProcess) -> None:
    """Any other bar (evdev, serial: the daemon reads them) or screen moves the selection: the live
    `selection` message moves the highlight on this screen."""
    pos = Pos(hardware_daemon)
    async with screen_on(hardware_daemon) as screen:
        oids = [order_id() for _ in range(3)]
        for oid in oids:
            await pos.post_order(order_body(oid, f"Moved {oid}"))
        await until(lambda: all(screen.card(o) is not None for o in oids), 10, "the cards")
        for action in ("home", "next", "next"):
            moved = await pos.kitchen("POST", "/api/v1/kds/stations/grill/actions", {"action": action})
            await until(lambda moved=moved: _drawn(screen, moved), 10, f"the highlight after {action}")
        assert screen.session.bars.forwarded == 0  # nothing went through this screen's keys


async def test_an_action_the_daemon_refuses_is_said_on_the_screen(hardware_daemon: DaemonProcess) -> None:
    pos = Pos(hardware_daemon)
    async with screen_on(hardware_daemon) as screen:
        tickets = await pos.kitchen("GET", "/api/v1/kds/stations/grill/tickets?limit=1000")
        for ticket in tickets:  # an empty station: nothing to bump
            await pos.kitchen("POST", f"/api/v1/kds/stations/grill/orders/{ticket['order_id']}/ticket/bump")
        await until(lambda: not screen.session.stations["grill"].tickets, 10, "an empty grill")
        await _press(screen, Qt.Key.Key_1, "1 (bump)")
        message = screen.window.stations[0].message
        await until(lambda: "NOTHING_SELECTED" in message.text(), 10, "the refusal said beside the grid")
