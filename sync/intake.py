"""A peer's batches of events into the store, in arrival order, with several writes committing at once.

`on_taken` hears, after each batch's COMMIT, the highest seq per origin the batch held: the writer commits
in order, so everything put before it is durable too (what the link acknowledges to the peer).

A link that awaited each batch's COMMIT before merging the next left the event loop idle during every
fsync, and the peer idle during every merge. Here each batch is merged at once (`Store.ingest` runs up to
its hand-over to the writer without yielding, so batches merge in the order they were put), and up to
`WINDOW` of them wait for their COMMIT together: the writer commits one while the loop merges the next.
A batch that left a gap, or a write the store refused, ends the intake: the link starts again from the
store's version vector, which is where every batch that was merged left it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from daemon.domain.events import Event
from daemon.store.store import Ingested, Store

WINDOW = 4  # batches merged and waiting for their COMMIT at once


class Gap(Exception):
    """A batch skipped a seq of some origin: pull again from the version vector."""


class Intake:
    def __init__(
        self,
        store: Store,
        on_taken: Callable[[dict[str, int]], None] = lambda _: None,
        on_failed: Callable[[BaseException], None] = lambda _: None,
        window: int = WINDOW,
    ) -> None:
        self._store = store
        self._on_taken = on_taken
        self._on_failed = on_failed
        self._window = window
        self._inflight: deque[asyncio.Task[Ingested]] = deque()
        self._tops: dict[asyncio.Task[Ingested], dict[str, int]] = {}
        self.failure: BaseException | None = None

    async def put(self, events: list[Event]) -> None:
        """Merge a batch now (it is in the store's pending state when this returns) and let it commit in
        the background; waits while `WINDOW` batches are still committing."""
        self.check()
        task = asyncio.ensure_future(self._store.ingest(events))
        tops: dict[str, int] = {}
        for event in events:
            tops[event.origin] = max(tops.get(event.origin, 0), event.seq)
        self._tops[task] = tops
        task.add_done_callback(self._done)
        self._inflight.append(task)
        await asyncio.sleep(0)  # the task's first step is the whole merge: let it run before we go on
        while len(self._inflight) > self._window:
            await asyncio.wait({self._inflight[0]})
            self.check()

    def _done(self, task: asyncio.Task[Ingested]) -> None:
        with contextlib.suppress(ValueError):
            self._inflight.remove(task)
        tops = self._tops.pop(task, {})
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            result = task.result()
            for origin, missing in result.gaps.items():  # held up to the gap only
                tops[origin] = min(tops.get(origin, 0), missing - 1)
            self._on_taken({o: seq for o, seq in tops.items() if seq > 0})
            if result.gaps:
                exc = Gap(f"gaps {dict(result.gaps)}")
        if exc is not None and self.failure is None:
            self.failure = exc
            self._on_failed(exc)

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure

    async def drain(self) -> None:
        """Wait for every batch put to be durable (or refused)."""
        while self._inflight:
            await asyncio.wait(set(self._inflight))
        self.check()

    async def close(self) -> None:
        """At the end of a link: let what was merged commit (it is the store's already), quietly."""
        with contextlib.suppress(Exception):
            await self.drain()
