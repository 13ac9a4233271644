"""Waiting in a task that may itself be cancelled, without losing that cancellation.

A long-running task (a peer link, the upstream uploader, a printer's worker, the token refresher) is
ended by `task.cancel()` when the daemon stops, and its owner then waits for it to end. A task that
swallows that one cancellation never ends: the owner's stop, and so the daemon's shutdown, waits forever
(the mesh test's hang, docs/replication.md). Two common idioms swallow it:

- `helper.cancel()` then `with suppress(CancelledError): await helper`: a cancel aimed at us that arrives
  while we wait there is thrown at that `await`, and suppressed as if it were the helper's. Our stream
  ending (a cable cut, a peer restarting) and our stop landing in the same loop turn is enough.
- `asyncio.wait_for(event.wait(), t)` on Python 3.11: when the event is set in the turn we are cancelled,
  it returns the result and drops the cancellation (fixed in 3.12, gh-86296).
"""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel a helper task and wait until it has ended; what it raised is dropped (its owner is ending
    it). A cancellation of the caller that arrives meanwhile is raised, never taken for the helper's."""
    task.cancel()
    await asyncio.wait({task})  # raises CancelledError only if we are cancelled, never for the helper
    if not task.cancelled():
        task.exception()  # retrieved: asyncio would log an unretrieved one


async def wait_event(event: asyncio.Event, timeout: float) -> bool:
    """Wait until `event` is set (True) or `timeout` seconds pass (False). A cancellation of the caller
    always propagates, even one that arrives in the turn the event is set."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
