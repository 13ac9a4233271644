"""The safety net: a ticket that no screen of its station has seen within `printing.unseen_after_seconds`
prints, so a dark screen never means a lost order.

Screens acknowledge what they display (`ticket.seen`, which sets the ticket's `seen_ms`). Once a second
the net looks at the tickets on screen; one that reached its station (created unheld, or its course
fired) longer ago than the limit and was never seen is recorded as an `unseen` chit. A scan looks only
at the orders written since the last one and at those whose ticket comes due now (a heap of wake-ups).
A station with printers already prints every ticket it gets (it is on paper: nothing to catch); for a
station without one here the chit goes to `printing.unseen_printer` (else this device's first printer) — the station
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
from daemon.reactions.order_visits import OrderVisits
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
        # A scan visits the orders written since the last one and those with a ticket coming due now, not
        # every order on the screens (daemon/reactions/order_visits.py); the first, every order on screen.
        self._visits: OrderVisits | None = None  # made by start(): an idle net listens to nothing
        self._visit_all = True
        self._recorded: dict[str, set[str]] = {}  # order id → its due tickets whose chit is in the journal
        self.scan_task: asyncio.Task[None] | None = None
        self.printed = 0
        self.visited = 0  # orders the last scan looked at

    def start(self) -> None:
        """Off when `unseen_after_seconds` is 0 or this device has no printer to print on."""
        if self._limit_ms > 0 and self._fallback is not None:
            self._visits = OrderVisits(self._store)
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
        visits = self._visits
        if visits is None:  # scanned without start(): from here on, it follows the writes
            visits = self._visits = OrderVisits(self._store)
        visit = visits.take(now)
        if self._visit_all:
            visit |= {o.id for o in self._store.orders_on_screen()}
            self._visit_all = False
        self.visited = len(visit)
        due: list[Effect] = []
        fresh: dict[str, set[str]] = {}  # order id → its tickets due now
        for oid in visit:
            order = self._store.order(oid)
            tickets, wake = self._due(order, now) if order is not None and order.on_screen else ([], None)
            if wake is not None:
                visits.wake_at(wake, oid)
            if not tickets:
                self._recorded.pop(oid, None)  # seen, bumped or gone: nothing to remember
                continue
            assert order is not None
            known = self._recorded.get(oid, set())
            for ticket in tickets:
                if ticket.id not in known:  # its chit is built once, not every second
                    due += self._chits(order, ticket)
            fresh[oid] = {t.id for t in tickets}
        if due:
            try:
                new = await self._store.journal.record(due)
            except BaseException:
                visits.again(visit)  # not recorded: the next scan looks at these again
                raise
        else:
            new = []  # at stations with printers: nothing to record, nothing to rebuild
        self._recorded.update(fresh)
        for effect_id in new:
            log.warning("ticket not seen on any screen: printing it effect=%s", effect_id)
        self.printed += len(new)
        return len(new)

    def _due(self, order: Order, now: int) -> tuple[list[Ticket], int | None]:
        """The order's tickets due now, and when the next of the others comes due (None: none will)."""
        due: list[Ticket] = []
        wake: int | None = None
        for ticket in order.tickets.values():
            if ticket.status in _WAITING and ticket.seen_ms is None:
                at = _reached(order, ticket) + self._limit_ms
                if at <= now:
                    due.append(ticket)
                elif wake is None or at < wake:
                    wake = at
        return due, wake

    def _chits(self, order: Order, ticket: Ticket) -> list[Effect]:
        own, station = self._printing.printers_of(ticket.station_id)
        if own or self._fallback is None:
            return []  # its own printers printed it when it arrived
        payload = chit("unseen", order, ticket, station, self._now_ms())
        return [effect(self._fallback, f"unseen:{ticket.id}", payload)]


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
