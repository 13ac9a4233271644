"""The station screen against a real daemon: orders become cards, taps and bumps change the daemon's state."""

from __future__ import annotations

import asyncio
import time

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import Pos, Screen, order_body, order_id, screen_on
from ui.views.ticket_card import HEADER_PX, PAD


def _click(screen: Screen, point: QPoint) -> None:
    QTest.mouseClick(screen.grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def _item_point(screen: Screen, oid: str, item_index: int) -> QPoint:
    placed = screen.card(oid)
    y = placed.rect.y() + HEADER_PX + PAD
    for line in placed.card.lines:
        if line.item == item_index:
            return QPoint(placed.rect.center().x(), y + line.height // 2)
        y += line.height
    raise AssertionError(f"item {item_index} is not drawn on the card")


async def test_posted_order_appears_as_card_with_its_items(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Card Test"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        card = screen.card(oid).card
        texts = [line.text for line in card.lines]
        assert "2× Hamburger" in texts and "No onion" in texts and "1× Ribeye steak" in texts
        assert any(line.text == "⚠ DAIRY" for line in card.lines)  # allergens drawn on their own highlighted line
        assert screen.chime.requests >= 1  # a new ticket asks for the chime (muted here)
        await until(lambda: screen.card(oid).card.ticket["id"] in screen.grid.painted_ids, 30, "the card painted")


async def test_tapping_an_item_marks_it_done_on_the_daemon(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Item Tap"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        _click(screen, _item_point(screen, oid, 0))

        async def item_status() -> str:
            ticket = await pos.ticket("grill", oid)
            assert ticket is not None
            return str(ticket["items"][0]["status"])

        statuses: list[str] = []

        async def poll() -> bool:
            statuses.append(await item_status())
            return statuses[-1] == "ready"

        deadline = time.monotonic() + 30  # a deadline: a loaded machine with two test workers is slow
        while not await poll():
            assert time.monotonic() < deadline, f"item never ready on the daemon: {statuses[-1]}"
            await asyncio.sleep(0.05)  # polling the daemon with a deadline
        # and the screen shows it done, from the live event
        await until(lambda: screen.card(oid).card.lines[0].text.startswith("✓"), 30, "the item drawn done")


async def test_tapping_the_header_bumps_the_ticket_on_the_daemon(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Header Tap"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        placed = screen.card(oid)
        _click(screen, QPoint(placed.rect.center().x(), placed.rect.y() + 10))
        await until(lambda: screen.card(oid) is None, 30, "the card gone after its bump")
        ticket = await pos.ticket("grill", oid)
        assert ticket is not None and ticket["status"] == "bumped"
        # and one tap recalls it
        assert screen.session.stations["grill"].bumped[0]["order_id"] == oid
        screen.window.stations[0].recall.click()
        await until(lambda: screen.card(oid) is not None, 30, "the card back after recall")
        ticket = await pos.ticket("grill", oid)
        assert ticket is not None and ticket["status"] == "recalled"


async def test_a_bump_from_another_client_removes_the_card(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Other Bump"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        await pos.kitchen("POST", f"/api/v1/kds/stations/grill/orders/{oid}/ticket/bump")
        await until(lambda: screen.card(oid) is None, 30, "the card gone")


async def test_the_keyboard_selects_and_bumps_a_card(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Key Bump"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        QTest.keyClick(screen.grid, Qt.Key.Key_Home)
        for _ in range(len(screen.session.stations["grill"].tickets)):
            if screen.grid.selected_ticket and screen.grid.selected_ticket["order_id"] == oid:
                break
            QTest.keyClick(screen.grid, Qt.Key.Key_Right)
        assert screen.grid.selected_ticket is not None and screen.grid.selected_ticket["order_id"] == oid
        QTest.keyClick(screen.grid, Qt.Key.Key_Return)
        await until(lambda: screen.card(oid) is None, 30, "the card gone after the bump key")
        ticket = await pos.ticket("grill", oid)
        assert ticket is not None and ticket["status"] == "bumped"


async def test_void_asks_for_the_manager_pin_and_refuses_a_wrong_one(shared_daemon: DaemonProcess, pos: Pos) -> None:
    shared_daemon.heardctl("manager-pin", "set", "--pin", "2468")
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Void Me"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        placed = screen.card(oid)
        _click(screen, QPoint(placed.rect.center().x(), placed.rect.bottom() - 3))  # the body: selects
        assert screen.grid.selected_ticket is not None and screen.grid.selected_ticket["order_id"] == oid
        station = screen.window.stations[0]

        def enter(pin: str) -> None:
            station.void.click()
            assert station.pin_pad.isVisible()
            for key in [*pin, "OK"]:
                station.pin_pad.keys[key].click()

        enter("1111")
        await until(lambda: "Wrong PIN" in station.message.text(), 30, "the wrong PIN said")
        ticket = await pos.ticket("grill", oid)
        assert ticket is not None and ticket["status"] == "pending"

        enter("2468")
        await until(lambda: screen.card(oid) is None, 30, "the voided card gone")
        ticket = await pos.ticket("grill", oid)
        assert ticket is not None and ticket["status"] == "voided"


async def test_a_displayed_card_is_acknowledged_as_seen_on_the_daemon(shared_daemon: DaemonProcess, pos: Pos) -> None:
    async with screen_on(shared_daemon) as screen:
        oid = order_id()
        await pos.post_order(order_body(oid, "Seen Test"))
        await until(lambda: screen.card(oid) is not None, 30, "the order's card")
        await until(lambda: screen.card(oid).card.ticket["id"] in screen.grid.painted_ids, 30, "the card painted")
        deadline = time.monotonic() + 30  # a deadline: a loaded machine with two test workers is slow
        while True:
            ticket = await pos.ticket("grill", oid)
            if ticket is not None and ticket.get("seen_at"):
                break
            assert time.monotonic() < deadline, "the daemon never recorded the ticket as seen"
            await asyncio.sleep(0.05)  # polling the daemon with a deadline
