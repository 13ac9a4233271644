"""Printing as a reaction (ARCHITECTURE §5): the print rule records chits in the effect journal in the
same transaction as the ticket events; one worker per printer of this device prints them.

This module wires it: which printers this device owns (its configuration), which of them serve a
station (the setup's `printers` of the station), the workers with their backups, reprints, and what
GET /api/v1/printers shows. A printer problem slows nothing else: each printer has its own thread,
and every wait on a device is bounded by a short timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from daemon.config import Config, PrinterConfig
from daemon.domain.model import Order, Ticket
from daemon.domain.setup import Setup
from daemon.reactions.chits import chit
from daemon.reactions.print_rule import PRINT, effect, make_print_rule
from daemon.reactions.printer_worker import PrinterWorker
from daemon.store.journal import EffectRecord
from daemon.store.store import Store
from drivers.printers.connection import PrinterConnection, open_connection

log = logging.getLogger(__name__)


class Printing:
    def __init__(self, config: Config, store: Store, location_id: str, now_ms: Callable[[], int]) -> None:
        self._store = store
        self._location_id = location_id
        self._now_ms = now_ms
        self.workers: dict[str, PrinterWorker] = {
            p.id: PrinterWorker(p, _connection(p, config.data_dir), store, now_ms) for p in config.printers
        }
        for p in config.printers:
            if p.backup_for in self.workers:
                self.workers[p.backup_for].backup = self.workers[p.id]
        self._tasks: list[asyncio.Task[None]] = []
        self._setup: Setup | None = None  # the setup printers_of last read, and what it found there
        self._at_station: dict[str, tuple[tuple[str, ...], str]] = {}
        if self.workers:  # a device with no printer of its own can print nothing: no rule on every write
            store.add_rule(make_print_rule(self.printers_of))
        store.journal.subscribe(PRINT, self._route)

    def printers_of(self, station_id: str) -> tuple[tuple[str, ...], str]:
        """This device's printers at a station (the setup names them; only those this device owns print),
        and the station's name. The print rule asks for every ticket of every write: the answers are
        worked out once per setup."""
        setup = self._store.setup(self._location_id)
        if setup is not self._setup:
            self._setup = setup
            self._at_station = {
                sid: (tuple(p for p in s.printers if p in self.workers), s.name) for sid, s in setup.stations.items()
            }
        return self._at_station.get(station_id) or ((), station_id)

    def _route(self, record: EffectRecord) -> None:
        worker = self.workers.get(record.effect.target)
        if worker is None:
            log.warning("print job for a printer this device does not have job=%s", record.effect.id)
            return
        worker.offer(record)

    def start(self) -> None:
        for worker in self.workers.values():
            self._tasks.append(asyncio.create_task(worker.run(), name=f"printer-{worker.id}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in self.workers.values():
            worker.stop()

    async def reprint(self, order: Order, ticket: Ticket) -> list[str]:
        """The ticket again, marked REPRINT, on each of its station's printers here; returns the job ids."""
        printers, station = self.printers_of(ticket.station_id)
        request = uuid.uuid4().hex[:12]  # each request is its own cause: two presses, two chits
        effects = [
            effect(
                p,
                f"reprint:{ticket.id}:{request}",
                chit("ticket", order, ticket, station, self._now_ms(), marks=["REPRINT"]),
            )
            for p in printers
        ]
        if effects:
            await self._store.journal.record(effects)
        return [e.id for e in effects]

    def status(self) -> list[dict[str, Any]]:
        return [w.status_json() for w in self.workers.values()]


def _connection(p: PrinterConfig, data_dir: Path) -> PrinterConnection:
    path = p.path
    if p.kind == "file" and path is not None and not Path(path).is_absolute():
        path = str(data_dir / path)
    return open_connection(p.kind, host=p.host, port=p.port, path=path, baudrate=p.baudrate)


PRINTING = web.AppKey("printing", Printing)


async def printing_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the store is open (the journal's pending jobs are readable), before it closes."""
    printing = app[PRINTING]
    printing.start()
    yield
    await printing.stop()
