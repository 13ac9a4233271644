"""The live feed: one WebSocket to the daemon, subscribed to the kitchen channel, resumed by cursor.

The screen loads its state over REST once, then keeps it current from events. When the socket drops, the
feed says so at once (the screen marks its state stale), reconnects with backoff, and resubscribes from
the last cursor it applied: the daemon replays what was missed, so the screen catches up without a reload.
Only a cursor the daemon no longer knows (CURSOR_AHEAD: its database was replaced) asks for a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 3.0)  # a daemon restart takes about a second: come back quickly


class LiveFeed:
    """Calls `on_event(message)` for every event in cursor order; `on_state(connected, detail)` when the link
    changes; `reload()` (awaited before subscribing) on first connect and whenever the cursor cannot resume;
    `on_message(message)` for a message that is no event (no cursor: the present, such as a selection)."""

    def __init__(
        self,
        url: str,
        token: str,
        on_event: Callable[[dict[str, Any]], None],
        on_state: Callable[[bool, str], None],
        reload: Callable[[], Awaitable[None]],
        on_message: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.ws_url = url.rstrip("/").replace("http://", "ws://").replace("https://", "wss://") + "/api/v1/ws"
        self.token = token
        self.on_event = on_event
        self.on_state = on_state
        self.reload = reload
        self.on_message = on_message  # messages that are not events of the log (a bump bar's selection)
        self.cursor: int | None = None
        self.channel: str | None = None
        self.branch_id: str | None = None  # the location, as the daemon's welcome names it
        self.connected = False
        self.reconnects = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        attempt = 0
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {self.token}"}) as session:
            while True:
                try:
                    timeout = aiohttp.ClientWSTimeout(ws_close=5)  # no receive timeout: a quiet kitchen is fine
                    async with session.ws_connect(self.ws_url, heartbeat=10, timeout=timeout) as ws:
                        attempt = 0
                        await self._serve(ws)
                        detail = f"closed {ws.close_code}"
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # any failure is a lost link: say so and retry, never die silently
                    detail = str(exc) or type(exc).__name__
                if self.connected or attempt == 0:
                    log.warning("live feed lost url=%s detail=%s", self.ws_url, detail)
                self._set_state(False, detail)
                await asyncio.sleep(BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)])  # backoff timer
                attempt += 1
                self.reconnects += 1

    async def _serve(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        welcome = await ws.receive_json(timeout=5)
        branch = welcome["branch_id"]
        self.branch_id = str(branch)
        self.channel = f"branch:{branch}:kitchen"
        if self.cursor is None:
            # Subscribe from the cursor the state was read at: events after it are replayed, none is lost.
            self.cursor = int(welcome["cursor"])
            await self.reload()
        await ws.send_json({"type": "subscribe", "channel": self.channel, "cursor": self.cursor})
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = msg.json()
            kind = data.get("type")
            if kind == "subscribed":
                self._set_state(True, "")
            elif kind == "event":
                self.cursor = max(self.cursor or 0, int(data["cursor"]))
                self.on_event(data)
            elif kind == "selection" and self.on_message is not None:
                self.on_message(data)
            elif kind == "error" and data.get("code") == "CURSOR_AHEAD":
                log.warning("cursor ahead of the daemon's log: reloading cursor=%s", data.get("cursor"))
                self.cursor = int(data["cursor"])
                await self.reload()
                await ws.send_json({"type": "subscribe", "channel": self.channel, "cursor": self.cursor})

    def _set_state(self, connected: bool, detail: str) -> None:
        if connected != self.connected or not connected:
            self.connected = connected
            self.on_state(connected, detail)
