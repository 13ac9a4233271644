"""The tables screen against a real daemon: the floor from the tables API, or, while the daemon does not
serve that API (issue 17), a screen that says so in words instead of an empty floor."""

from __future__ import annotations

from tests.daemon.process import DaemonProcess, until
from tests.ui.conftest import screen_on


async def test_the_tables_screen_says_when_the_daemon_has_no_tables_api(shared_daemon: DaemonProcess) -> None:
    async with screen_on(shared_daemon, mode="tables") as screen:
        tables = screen.window.tables
        assert tables is not None
        await until(lambda: screen.session.tables.available is not None, 10, "the tables API asked")
        if screen.session.tables.available:
            # The daemon serves the API (issue 17 landed): the floor is drawn instead of the notice.
            assert tables.plan.isVisible() and not tables.notice.isVisible()
        else:
            assert tables.notice.isVisible() and not tables.plan.isVisible()
            assert "does not serve yet" in tables.notice.text()
