"""The safety net: a ticket that no screen of its station has seen within `printing.unseen_after_seconds`
prints, so a dark screen never means a lost order.

Screens acknowledge what they display (`ticket.seen`, which sets the ticket's `seen_ms`). Once a second
the net looks at the tickets on screen; one that reached its station (created unheld, or its course
fired) longer ago than the limit and was never seen is recorded as an `unseen` chit. A station with
printers already prints every ticket it gets (it is on paper: nothing to catch); for a station without
one here the chit goes to `printing.unseen_printer` (else this device's first printer) — the station
"with no printing otherwise". Its effect id, `print:{printer}:unseen:{ticket}`, makes it once per
ticket whatever the timer does; the printer's worker drops it if a screen shows the ticket first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from daemon.config import PrintingConfig
from daemon.domain.model import Order, Ticket, TicketStatus
from daemon.reactions.chits import chit
from daemon.reactions.print_rule import effect
from daemon.reactions.printing import Printing
from daemon.store.journal import Effect
from daemon.store.store import Store

log = logging.getLogger(__name__)
SCAN_EVERY_SECONDS = 1.0
_WAITING = (TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.READY, TicketStatus.RECALLED)


class SafetyNet:
    def __init__(self, printing: Printing, store: Store, config: PrintingConfig, now_ms: Callable[[], int]) -> None:
        self._printing = printing
        self._store = store
        self._limit_ms = config.unseen_after_seconds * 1000
        self._fallback = config.unseen_printer or next(iter(printing.workers), None)
        self._now_ms = now_ms
        self._recorded: set[str] = set()  # ids of tickets still due whose chit is in the journal
        self.scan_task: asyncio.Task[None] | None = None
        self.printed = 0

    def start(self) -> None:
        """Off when `unseen_after_seconds` is 0 or this device has no printer to print on."""
        if self._limit_ms > 0 and self._fallback is not None:
            self.scan_task = asyncio.create_task(self._run(), name="safety-net")

    async def stop(self) -> None:
        if self.scan_task is not None:
            self.scan_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.scan_task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(SCAN_EVERY_SECONDS)  # a timer, not synchronisation
            try:
                await self.scan()
            except Exception:
                log.exception("safety net scan failed")

    async def scan(self) -> int:
        """Record the chits now due; returns how many were new."""
        now = self._now_ms()
        still_due: set[str] = set()  # ticket ids
        fresh: list[str] = []
        due: list[Effect] = []
        for order in self._store.orders_on_screen():
            for ticket in order.tickets.values():
                waiting = ticket.status in _WAITING and ticket.seen_ms is None
                if waiting and now - _reached(order, ticket) >= self._limit_ms:
                    still_due.add(ticket.id)
                    if ticket.id not in self._recorded:  # its chit is built once, not every second
                        due += self._chits(order, ticket)
                        fresh.append(ticket.id)
        # Remember only what is still due: a ticket seen or bumped leaves the set, which stays small.
        self._recorded &= still_due
        if not due:
            self._recorded.update(fresh)  # at stations with printers: nothing to record, nothing to rebuild
            return 0
        new = await self._store.journal.record(due)
        self._recorded.update(fresh)
        for effect_id in new:
            log.warning("ticket not seen on any screen: printing it effect=%s", effect_id)
        self.printed += len(new)
        return len(new)

    def _chits(self, order: Order, ticket: Ticket) -> list[Effect]:
        printers, station = self._printing.printers_of(ticket.station_id)
        if printers or self._fallback is None:
            return []  # its own printers printed it when it arrived
        printers = [self._fallback]
        payload = chit("unseen", order, ticket, station, self._now_ms())
        return [effect(p, f"unseen:{ticket.id}", payload) for p in printers]


def _reached(order: Order, ticket: Ticket) -> int:
    """When the ticket reached its station: made unheld, or released when its course was fired."""
    course = order.courses.get(ticket.course)
    fired = course.fired_ms if course is not None and course.fired_ms is not None else 0
    return max(ticket.created_ms, fired)


SAFETY_NET = web.AppKey("safety_net", SafetyNet)


async def safety_net_ctx(app: web.Application) -> AsyncIterator[None]:
    net = app[SAFETY_NET]
    net.start()
    yield
    await net.stop()
