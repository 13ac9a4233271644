"""The screen's side of the bump bars: forward a keyboard-wedge bar's keys to the daemon, and keep the
daemon's selection (what the next key acts on) for the views to draw.

The daemon owns key maps and selections (docs/bumpbars.md); a wedge bar's keys only reach the focused
window, so the screen hands them over, one at a time in the order they were pressed (a cook who presses
next then bump bumps the next ticket, never the one before it). Selections come back in the answers, in
the `selection` live message after any bar's action (evdev and serial bars the daemon reads, other
screens), and from a re-read when the station's tickets change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from ui.api_client import ApiError, DaemonClient
from ui.models.selection import BarSelections

log = logging.getLogger(__name__)


class BarLink:
    def __init__(self, client: DaemonClient) -> None:
        self.client = client
        self.selections = BarSelections()
        self.available = True  # False: the daemon serves no bump-bar routes (the screen's own keys act)
        self.forwarded = 0  # keys the daemon answered (tests wait on it)
        self._keys: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._refresh_again: set[str] = set()

    async def stop(self) -> None:
        for task in (self._sender, self._refresh):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def load(self, stations: Iterable[str]) -> None:
        """Which bars there are (read at each whole load), and each barred station's selection now."""
        try:
            bars = await self.client.bumpbars()
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise
            self.available = False
            log.info("this daemon serves no bump-bar routes; the screen's own keys act")
            bars = []
        self.selections.set_bars(bars)
        self.selections.forget()
        await self._read(stations)

    # --- keys
    def forward(self, station_id: str, spec: str) -> bool:
        """Hand a key to the station's wedge bar; False when the station has none (the screen acts itself)."""
        if station_id not in self.selections.wedge_bars:
            return False
        self._keys.put_nowait((station_id, spec))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.ensure_future(self._send_keys())
        return True

    async def _send_keys(self) -> None:
        while not self._keys.empty():
            station_id, spec = self._keys.get_nowait()
            bar = self.selections.wedge_bars.get(station_id)
            if bar is None:
                continue
            try:
                answer = await self.client.bumpbar_key(bar, spec)
            except ApiError as exc:
                log.warning("bump bar key not taken bar=%s key=%s error=%s", bar, spec, exc)
                self.selections.refused.emit(station_id, f"{exc.code}: {exc.message}")
                continue
            self.forwarded += 1
            if isinstance(answer.get("selection"), dict):
                self.selections.apply(answer["selection"])

    # --- selections
    def on_message(self, message: dict[str, object]) -> None:
        data = message.get("data")
        if isinstance(data, dict):
            self.selections.apply(data)

    def reconnected(self, stations: Iterable[str]) -> None:
        """The link is back: a restarted daemon counts versions from 0 again, so start over."""
        self.selections.forget()
        self.tickets_changed(stations)

    def tickets_changed(self, stations: Iterable[str]) -> None:
        """A station's list changed (a bump slides the next ticket into the selected place, which the daemon
        resolves when asked): read the selection again, coalesced per station."""
        wanted = {s for s in stations if s in self.selections.stations_with_bars}
        if not wanted:
            return
        self._refresh_again |= wanted
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.ensure_future(self._refresh_loop())

    async def _refresh_loop(self) -> None:
        while self._refresh_again:
            stations, self._refresh_again = self._refresh_again, set()
            try:
                await self._read(stations)
            except ApiError as exc:
                log.warning("selection read failed error=%s", exc)
                return

    async def _read(self, stations: Iterable[str]) -> None:
        for station_id in stations:
            if station_id in self.selections.stations_with_bars:
                self.selections.apply(await self.client.selection(station_id))
