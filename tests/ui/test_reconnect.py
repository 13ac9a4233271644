"""A daemon restart: the screen says so at once, keeps the last cards marked stale, and catches up by cursor."""

from __future__ import annotations

from pathlib import Path

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import Pos, order_body, order_id, screen_on


async def test_a_daemon_restart_shows_the_banner_and_recovers_the_same_cards(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        pos = Pos(daemon)
        first = order_id()
        await pos.post_order(order_body(first, "Before Restart"))
        async with screen_on(daemon) as screen:
            await until(lambda: screen.card(first) is not None, 30, "the card")
            before = [t["id"] for t in screen.session.stations["grill"].tickets]

            daemon.stop()
            await until(lambda: screen.window.banner.isVisible(), 30, "the connection banner")
            assert screen.session.stations["grill"].stale
            assert screen.card(first) is not None  # the last state stays on screen, marked stale
            assert "DISCONNECTED" in screen.window.status_bar.labels["daemon"].text()

            daemon.start()
            await until(lambda: screen.session.status.status.connected, 45, "reconnected")
            assert not screen.window.banner.isVisible()
            assert not screen.session.stations["grill"].stale
            assert [t["id"] for t in screen.session.stations["grill"].tickets] == before
            # and it is live again, resumed from its cursor rather than reloaded whole
            second = order_id()
            await pos.post_order(order_body(second, "After Restart"))
            await until(lambda: screen.card(second) is not None, 30, "a new card after the restart")
            assert screen.session.reloads == 1
            assert screen.session.feed.reconnects >= 1
    finally:
        daemon.stop()
