"""heard-ui: the touchscreen KDS. Finds its daemon, loads the state, shows the chosen screen.

heard-ui [--daemon URL] [--token JWT] [--data-dir DIR] [--station ID]... [--mode station|expo|tables]
         [--fullscreen] [--screenshot FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from ui.api_client import ApiError, DaemonClient
from ui.connection import ConnectionError_, locate

log = logging.getLogger("heard.ui")

SCREENSHOT_SIZE = (1600, 900)
STATUS_WAIT = 3.0  # s: how long a screenshot waits for the status bar's first reading
LOAD_TIMEOUT = 20.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heard-ui", description="Heard touchscreen kitchen display")
    parser.add_argument("--daemon", help="the daemon's URL (default: the one running on this device's data folder)")
    parser.add_argument("--token", help="a JWT for it (default: minted from the data folder's location secret)")
    parser.add_argument("--data-dir", type=Path, help="the daemon's data folder (default as heard-daemon's)")
    parser.add_argument("--station", action="append", default=[], help="a station to show; repeat for several")
    parser.add_argument("--mode", choices=("station", "expo", "tables"), default="station")
    parser.add_argument("--fullscreen", action="store_true", help="kiosk: full screen, no cursor")
    parser.add_argument("--screenshot", type=Path, help="render the screen once loaded into this PNG and exit 0")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a screenshot needs no display
    elif not _has_display():
        from ui.texts import tr

        print(tr("headless"), file=sys.stderr)
        raise SystemExit(3)
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    try:
        code = qasync.run(run(args, app))
    except (ConnectionError_, ApiError) as exc:
        print(f"heard-ui: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    raise SystemExit(code or 0)


def _has_display() -> bool:
    env = os.environ
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"))


async def resolve_stations(client: DaemonClient, wanted: list[str]) -> list[str]:
    """The stations to show: those asked for (each must exist), else the daemon's first prep station."""
    stations = await client.stations()
    known = [s["id"] for s in stations]
    missing = [s for s in wanted if s not in known]
    if missing:
        raise ConnectionError_(f"no station {', '.join(missing)} on this daemon; it has {', '.join(known)}")
    if wanted:
        return wanted
    prep = [s["id"] for s in stations if s.get("kind", "prep") == "prep"]
    return prep[:1] or known[:1]


async def run(args: argparse.Namespace, app: object) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QCursor, QGuiApplication

    from ui.session import KitchenSession
    from ui.sound import Chime
    from ui.texts import set_language
    from ui.views.theme import theme_for
    from ui.window import KitchenWindow

    endpoint = locate(args.daemon, args.token, args.data_dir)
    screen_config = endpoint.config.screen if endpoint.config is not None else None
    probe = DaemonClient(endpoint.url, endpoint.token)
    try:
        stations = await resolve_stations(probe, args.station) if args.mode == "station" else []
    finally:
        await probe.close()
    if screen_config is not None:
        set_language(screen_config.language)
        theme = theme_for(
            screen_config.theme, screen_config.font_scale, screen_config.warn_minutes, screen_config.late_minutes
        )
        chime = Chime(screen_config.sound)
    else:
        theme, chime = theme_for("dark"), Chime("chime")
    session = KitchenSession(endpoint.url, endpoint.token, stations, endpoint.config)
    window = KitchenWindow(session, args.mode, stations, theme, chime)
    closed = asyncio.Event()
    window.destroyed.connect(closed.set)
    QGuiApplication.instance().lastWindowClosed.connect(closed.set)  # type: ignore[union-attr]
    session.start()
    try:
        if args.screenshot is not None:
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            return await screenshot(session, window, args.screenshot)
        if args.fullscreen:
            QGuiApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
            window.showFullScreen()
        else:
            window.resize(1280, 800)
            window.show()
        await closed.wait()
        return 0
    finally:
        await session.stop()


async def screenshot(session: object, window: object, path: Path) -> int:
    """Wait for the state and the live link (a deadline, not a sleep), let Qt paint, save the PNG."""
    from ui.session import KitchenSession
    from ui.window import KitchenWindow

    assert isinstance(session, KitchenSession) and isinstance(window, KitchenWindow)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOAD_TIMEOUT
    while not (
        session.loaded.is_set()
        and session.status.status.connected
        and (window.tables is None or session.tables.available is not None)
    ):
        if loop.time() > deadline:
            print(f"heard-ui: the state did not load within {LOAD_TIMEOUT:.0f} s", file=sys.stderr)
            return 1
        await asyncio.sleep(0.02)  # polling a condition with a deadline
    # The status bar's first reading (peers, printers, headquarters) is shown if it comes soon; a source
    # that is slow to answer does not hold the picture back: the bar then says it is asking.
    status_deadline = loop.time() + STATUS_WAIT
    while session.status_poll.polls == 0 and loop.time() < status_deadline:
        await asyncio.sleep(0.02)  # polling a condition with a deadline
    for screen in window.stations:
        screen.grid.relayout()
    image = window.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path)):
        print(f"heard-ui: could not write {path}", file=sys.stderr)
        return 1
    log.info("screenshot written path=%s", path)
    return 0
