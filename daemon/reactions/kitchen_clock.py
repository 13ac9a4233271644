"""The kitchen clock: a reaction that paces every open meal (ARCHITECTURE §4 rules 9, 10).

Each pass reads the committed state, asks the pure planner (daemon.domain.clock_plan) what is due at
`now_ms`, and writes it through the store: auto-fires (and the table syncs they advance) and timing
alerts. Time is injected, so tests move a manual clock and call `run_pass()`; nothing here sleeps to wait
for something. Every fact has a deterministic id and every decide re-checks the newest state, so a pass
repeated — the background loop and a test, a restart, a second device — repeats nothing, and a pass at
start recomputes from state whatever came due while the daemon was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from daemon.domain import table_sync, timing_alerts
from daemon.domain.clock_plan import NEVER, Fire, Plan, plan
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER, Actor, Change, Event, OrderEvents
from daemon.domain.model import CourseStatus, Order
from daemon.domain.pacing import Pacing
from daemon.domain.table_sync import EMPTY_SYNCS, TABLE_SYNCS, SyncBook
from daemon.domain.templates import EMPTY_BOOK, TEMPLATES
from daemon.domain.timing_alerts import EMPTY_ALERTS, TIMING_ALERTS, AlertBook
from daemon.domain.timing_config import DEFAULT_CONFIG, TIMING_CONFIG
from daemon.reactions.order_visits import OrderVisits
from daemon.store.store import Store

log = logging.getLogger(__name__)

CLOCK = Actor("kitchen-clock", (), "device")
PASS_EVERY_SECONDS = 1.0  # alerts are per minute; a fire within a second of its time is on time
MIN_GAP_SECONDS = 0.5  # a burst of commits wakes the clock once, not once per order
# What can make something due at once: new courses (an order in), a course changed, a table or the
# coursing setup changed. Item and ticket moves (most of service) wait for the next second's pass.
_WAKING_ORDER_EVENTS = frozenset(
    {OrderEvents.CREATED, OrderEvents.REPLACED, OrderEvents.PATCHED, OrderEvents.COURSE_COMPLETED}
)


@dataclass(frozen=True)
class PassResult:
    fired: int
    alerts: int
    advanced: int
    courses: int


class KitchenClock:
    def __init__(self, store: Store, location_id: str, now_ms: Callable[[], int]) -> None:
        self.store = store
        self.location_id = location_id
        self.now_ms = now_ms
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.passes = 0
        self.failures = 0
        self.visited = 0  # orders the last pass looked at (the others were quiet: nothing could be due)
        # What a pass visits, rather than every paced order (a rush holds thousands): the orders written
        # since the last pass and those whose quiet time (the plan's promise) has come (order_visits.py),
        # and those the plan could promise nothing for. New timing makes every paced order planned again.
        self._visits = OrderVisits(store)
        self._restless: set[str] = set()  # planned every pass: no promise (something due, a table sync)
        self._quiet_pacing: tuple[object, object] | None = None

    def pacing(self) -> Pacing:
        store, loc = self.store, self.location_id
        return Pacing(store.get(TEMPLATES, loc) or EMPTY_BOOK, store.get(TIMING_CONFIG, loc) or DEFAULT_CONFIG)

    def plan_everything_next(self) -> None:
        """The next pass plans every paced order, as after new timing (the benchmark times that pass)."""
        self._quiet_pacing = None

    def compute(self, now: int) -> Plan:
        """The pure part of a pass, over the committed state (the benchmark measures this). It visits only
        orders the store's index says the clock paces (most of a busy service is one-course orders already
        fired, which nothing in a pass can concern), and of those only the ones that changed, came to the
        end of their quiet time or had no promise: what a pass over every paced order would find, at the
        cost of what changed."""
        store = self.store
        syncs: SyncBook = store.get(TABLE_SYNCS, self.location_id) or EMPTY_SYNCS
        alerts: AlertBook = store.get(TIMING_ALERTS, self.location_id) or EMPTY_ALERTS
        pacing = self.pacing()
        candidates, self._restless = self._visits.take(now) | self._restless, set()
        if (pacing.templates, pacing.config) != self._quiet_pacing:  # new timing: every promise is recomputed
            self._quiet_pacing = (pacing.templates, pacing.config)
            self._visits.forget_wakeups()
            visit = store.orders_the_clock_paces()
        else:
            visit = store.paced_among(candidates)
        due = plan(visit, pacing, syncs, alerts.alerts, now, held=store.orders_by_id())
        for order in visit:
            until = due.quiet_until.get(order.id)
            if until is None:
                self._restless.add(order.id)
            elif until < NEVER:
                self._visits.wake_at(until, order.id)
        self.visited = len(visit)
        return due

    async def run_pass(self) -> PassResult:
        """One pass: what is due now is written. Passes never overlap."""
        async with self._lock:
            now = self.now_ms()
            due = self.compute(now)
            for fire in due.fires:
                await self._write(ORDER, fire.order_id, lambda o, f=fire: _fire(o, f))
            for adv in due.advances:
                await self._write(
                    TABLE_SYNCS,
                    self.location_id,
                    lambda b, a=adv, n=now: _advance(b, self.location_id, a.table_id, a.course, n),
                )
            if due.alerts:
                loc = self.location_id

                def raise_all(book: AlertBook | None) -> list[Change]:
                    changes = (timing_alerts.raise_alert(book, loc, a) for a in due.alerts)
                    return [c for c in changes if c is not None]

                await self._write(TIMING_ALERTS, loc, raise_all)
            self.passes += 1
            if due.fires or due.alerts:
                log.info(
                    "kitchen clock pass fired=%d alerts=%d advanced=%d",
                    len(due.fires),
                    len(due.alerts),
                    len(due.advances),
                )
            return PassResult(len(due.fires), len(due.alerts), len(due.advances), due.courses_seen)

    async def _write(self, kind: str, agg_id: str, decide: Callable[[Any], Any]) -> None:
        try:
            await self.store.execute(kind, agg_id, decide, CLOCK)
        except HeardError as exc:  # the state moved under us (a person fired it first): nothing to do
            self.failures += 1
            log.warning("kitchen clock write refused kind=%s id=%.80s code=%s", kind, agg_id, exc.code)

    def on_commit(self, events: list[tuple[int, Event]], states: Mapping[tuple[str, str], Any]) -> None:
        """Changes that may make something due now (a first course with no delay, a stagger, new timing)
        wake the loop early. Its own writes do not (they come from a pass)."""
        for _, event in events:
            if event.actor.sub == CLOCK.sub:
                continue
            kind = event.type
            if event.aggregate != ORDER or kind in _WAKING_ORDER_EVENTS or kind.startswith("course."):
                self._wake.set()
                return

    async def run(self) -> None:
        while True:
            try:
                await self.run_pass()
            except Exception:  # a bug must not stop the clock for the rest of the shift
                self.failures += 1
                log.exception("kitchen clock pass failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PASS_EVERY_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(MIN_GAP_SECONDS)  # a timer, not synchronisation: batches a burst of wakes


def _fire(order: Order | None, fire: Fire) -> Change | None:
    if order is None or order.canceled:
        return None
    course = order.courses.get(fire.course)
    if course is None or course.status is not CourseStatus.HELD:
        return None
    payload = {"course": fire.course, "by": CLOCK.sub, "fact": fire.fact, "fire_at_ms": fire.fire_at_ms}
    return Change(OrderEvents.COURSE_FIRED, ORDER, order.id, payload)


def _advance(book: SyncBook | None, location: str, table_id: str, course: int, now: int) -> Change | None:
    sync = (book or EMPTY_SYNCS).syncs.get(table_id)
    if sync is None or sync.current_course >= course:
        return None
    return table_sync.advance(location, table_id, course, now, None)


KITCHEN_CLOCK = web.AppKey("kitchen_clock", KitchenClock)


async def kitchen_clock_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the store opened: a first pass from state (what came due while down), then the loop."""
    clock = app[KITCHEN_CLOCK]
    clock.store.subscribe(clock.on_commit)
    started = time.monotonic()
    await clock.run_pass()
    log.info("kitchen clock started first_pass_ms=%.1f", (time.monotonic() - started) * 1000)
    task = asyncio.create_task(clock.run())
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
