"""The one thread of one printer: blocking calls (python-escpos, serial, files) run here, one at a time,
and their results come back to the event loop as futures. A printer that hangs holds only its own thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class PrinterThread:
    def __init__(self, name: str) -> None:
        self._calls: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]] | None] = queue.Queue()
        # A daemon thread: a call stuck on a dead device (bounded by its timeout anyway) never holds up exit.
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"printer-{name}")
        self._thread.start()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._calls.put((fn, args, future))
        return await future

    def _run(self) -> None:
        while True:
            item = self._calls.get()
            if item is None:
                return
            fn, args, future = item
            loop = future.get_loop()
            outcome: tuple[Any, BaseException | None]
            try:
                outcome = (fn(*args), None)
            except BaseException as exc:  # handed to the awaiting coroutine, whatever it is
                outcome = (None, exc)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the loop is closed: the daemon is stopping, nobody waits any more
                return

    def stop(self, last: Callable[[], Any] | None = None) -> None:
        """Finish the calls queued, run `last` (closing the device) on this thread, and end."""
        if last is not None:
            self._calls.put((last, (), _Discarded()))
        self._calls.put(None)


class _Discarded:
    """A future nobody awaits, for the last call of a stopping thread."""

    def get_loop(self) -> Any:
        return _NoLoop()


class _NoLoop:
    def call_soon_threadsafe(self, *args: Any) -> None:
        pass


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled meanwhile
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
