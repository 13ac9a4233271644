"""Stopping the daemon with screens connected: every WebSocket is closed at once with 1001 (the daemon is
going away; resume by cursor), and the daemon exits well within systemd's TimeoutStopSec (20 s) instead of
waiting for each socket's heartbeat to time out."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import aiohttp

from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from tests.daemon.process import DaemonProcess


async def test_sigterm_closes_live_websockets_with_1001_and_exits_promptly(tmp_path: Path) -> None:
    daemon = DaemonProcess(tmp_path / "data").start()
    try:
        token = mint_token(
            load_or_create_secret(daemon.data_dir / "location.secret"),
            sub="screen",
            roles=["chef"],
            location_id="demo-location",
        )
        async with aiohttp.ClientSession() as http:
            ws = await http.ws_connect(f"{daemon.url}/api/v1/ws", headers={"Authorization": f"Bearer {token}"})
            welcome = await ws.receive_json(timeout=5)
            assert welcome["type"] == "welcome"
            assert daemon.proc is not None
            started = time.monotonic()

            daemon.proc.send_signal(signal.SIGTERM)
            closing = await ws.receive(timeout=10)

            assert closing.type == aiohttp.WSMsgType.CLOSE
            assert closing.data == 1001
            assert daemon.proc.wait(timeout=10) == 0
            assert time.monotonic() - started < 10
    finally:
        daemon.stop()
