"""The status bar reads the real sources: peers (GET /api/v1/devices), printers (GET /api/v1/printers) and
headquarters (GET /api/v1/upstream), against real daemons — one alone with the demo's file printer and no
headquarters, one whose network printer and headquarters nothing answers at."""

from __future__ import annotations

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import screen_on


async def test_a_lone_demo_device_shows_no_peers_its_printer_and_headquarters_off(
    shared_daemon: DaemonProcess,
) -> None:
    async with screen_on(shared_daemon) as screen:
        await until(lambda: screen.session.status_poll.polls >= 1, 10, "the status sources read")
        labels = screen.window.status_bar.labels
        assert labels["peers"].text() == "Peers: none (this device alone)"
        # The demo's file printer: online once the worker has asked it, never a warning
        assert labels["printers"].text() in ("Printers: 1 online", "Printers: 0 online · 1 not answered yet")
        # The screen's own token may read the upload status (a manager-only route): it is not refused
        assert labels["hq"].text() == "HQ sync: off"
        assert "⚠" not in labels["printers"].text() + labels["hq"].text()


async def test_a_dead_printer_and_an_unreachable_headquarters_are_warnings(hardware_daemon: DaemonProcess) -> None:
    async with screen_on(hardware_daemon) as screen:
        bar = screen.window.status_bar
        screen.session.status_poll.poll_seconds = 0.2  # the test's pace; the screen's is 5 s

        def warned() -> bool:
            return "OFFLINE" in bar.labels["printers"].text() and "RETRYING" in bar.labels["hq"].text()

        await until(warned, 20, "the printer offline and headquarters retrying on the status bar")
        assert bar.labels["printers"].text().startswith("Printers: ⚠ pass OFFLINE")
        assert bar.labels["hq"].text().startswith("HQ sync: ⚠ RETRYING")
        assert "bold" in bar.labels["printers"].styleSheet()  # drawn as a warning, not only said
