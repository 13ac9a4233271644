"""The status bar's sources: peers, printers and headquarters, read from the daemon's APIs.

None of the three has a live event (their state is not a fact of the kitchen's log: a printer's paper, a
link's lag), so they are read on a slow poll — at once when the live link comes up, then every
`POLL_SECONDS` while it stays up. A poll never overlaps the one before, and a failure of one source says
so in its part without stopping the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from daemon.tasks import wait_event
from ui.api_client import ApiError, DaemonClient
from ui.models.health import Part, devices_part, printers_part, unavailable, upstream_part
from ui.models.status import StatusModel

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0  # a printer running out of paper shows within 5 s; three cheap reads per 5 s per screen


class StatusPoller:
    def __init__(self, client: DaemonClient, model: StatusModel, poll_seconds: float = POLL_SECONDS) -> None:
        self.client = client
        self.model = model
        self.poll_seconds = poll_seconds
        self.polls = 0  # completed rounds (tests wait on it)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def now(self) -> None:
        """Read again at once (the link just came up: what changed while it was down is shown now)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await wait_event(self._wake, self.poll_seconds)  # not wait_for(): it can drop a stop on 3.11
            self._wake.clear()
            if not self.model.status.connected:
                continue  # the daemon link's own part says what is wrong; nothing else can be read
            await self.poll()

    async def poll(self) -> None:
        sources: tuple[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], Part]], ...] = (
            ("peers", self.client.devices, devices_part),
            ("printers", self.client.printers, printers_part),
            ("hq_lag", self.client.upstream, upstream_part),
        )
        parts: dict[str, Part] = {}
        for field, read, summary in sources:
            try:
                parts[field] = summary(await read())
            except ApiError as exc:
                if exc.status not in (401, 403, 404, 405):
                    log.warning("status read failed part=%s error=%s", field, exc)
                parts[field] = unavailable(exc.status, exc.code)
            except (TypeError, ValueError, AttributeError) as exc:  # a shape this screen does not know
                log.warning("status answer not understood part=%s error=%r", field, exc)
                parts[field] = unavailable(200, "SHAPE")
        self.model.update(**parts)
        self.polls += 1
