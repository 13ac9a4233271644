"""The bars this daemon reads (evdev and serial), started with the application and stopped with it.

Each bar has a reader thread (drivers.bumpbars) that survives unplugging; its actions are handed to the
loop and applied in order at the bar's station. Keyboard-wedge bars have no reader here: their keys come
from the screen through POST /api/v1/bumpbars/{bar_id}/keys, mapped by the same key map.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from daemon.bumpbars.actions import BumpBarActions
from daemon.bumpbars.selection import selection_json
from daemon.config import BumpBarConfig, Config
from daemon.fanout import Hub
from drivers.bumpbars.keymap import Action, KeyMap, default_keymap
from drivers.bumpbars.reader import BarReader

log = logging.getLogger(__name__)


@dataclass
class Bar:
    config: BumpBarConfig
    keymap: KeyMap
    reader: BarReader | None = None

    def status_json(self) -> dict[str, Any]:
        reader = self.reader
        return {
            "id": self.config.id,
            "kind": self.config.kind,
            "station_id": self.config.station,
            "path": self.config.path,
            # A keyboard-wedge bar is as connected as the screen it types into: the daemon cannot tell.
            "connected": reader.connected if reader else None,
            "last_error": (reader.last_error or None) if reader else None,
        }


class BumpBars:
    """Every configured bar, by id, with the actions they feed."""

    def __init__(self, config: Config, actions: BumpBarActions) -> None:
        self.actions = actions
        self.bars = {b.id: Bar(b, KeyMap.from_specs(b.keys, default_keymap(b.layout))) for b in config.bumpbars}

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.actions.start()
        for bar in self.bars.values():
            if bar.config.kind == "keyboard":
                continue
            station = bar.config.station

            def on_action(bar_id: str, action: Action, station: str = station) -> None:
                self.actions.submit_threadsafe(loop, bar_id, station, action)

            bar.reader = _reader(bar, on_action)
            bar.reader.start()
            log.info(
                "bump bar started bar=%s kind=%s path=%s station=%s",
                bar.config.id,
                bar.config.kind,
                bar.config.path,
                station,
            )

    async def stop(self) -> None:
        for bar in self.bars.values():
            if bar.reader is not None:
                await asyncio.to_thread(bar.reader.stop)
        await self.actions.stop()


def _reader(bar: Bar, on_action: Any) -> BarReader:
    path = bar.config.path or ""
    if bar.config.kind == "serial":
        from drivers.bumpbars.serial import SerialBar

        return SerialBar(bar.config.id, path, bar.keymap, on_action, baudrate=bar.config.baudrate)
    from drivers.bumpbars.evdev import EvdevBar

    return EvdevBar(bar.config.id, path, bar.keymap, on_action)


def publish_selections(actions: BumpBarActions, hub: Hub) -> None:
    """After every bar action, send the station's selection to the screens on the kitchen channel (a
    `selection` message, docs/api.md): a bar the daemon reads moves the highlight a cook is looking at."""
    channel = f"branch:{hub.branch_id}:kitchen"

    def changed(station_id: str) -> None:
        selection, tickets = actions.selection(station_id)
        hub.send_transient({"type": "selection", "data": selection_json(selection, tickets)}, channel)

    actions.listeners.append(changed)


BUMPBARS = web.AppKey("bumpbars", BumpBars)


async def bumpbars_ctx(app: web.Application) -> AsyncIterator[None]:
    bars = app[BUMPBARS]
    bars.start()
    yield
    await bars.stop()
