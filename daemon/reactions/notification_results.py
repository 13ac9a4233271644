"""The final result of a Fresh notification, POSTed to the `retry.notificationUrl` the POS gave.

Fresh retries a notification until a screen takes it and then tells the POS at notificationUrl. In Heard a
notification is delivered once it is an event in the device's durable log (every screen of the device gets
it live, or by cursor when it reconnects), so the result is a success, known at the COMMIT. Telling the POS
is a side effect that must happen once: it is an effect of the journal, recorded with the event, POSTed by
the device that took the notification, retried with backoff until the notification's `expiration`
(default two minutes after it was sent, as Fresh's), then given up as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiohttp

from daemon.api.timestamps import iso
from daemon.domain.events import Event, OrderEvents
from daemon.domain.kds_order import epoch_ms_of
from daemon.domain.notices import NoticeEvents, notice_id
from daemon.domain.values import name_uuid
from daemon.store.journal import Effect, EffectRecord, Journal

log = logging.getLogger(__name__)

KIND = "fresh_notification_result"
DEFAULT_EXPIRY_MS = 120_000  # Fresh's default: two minutes after the notification was sent
POST_TIMEOUT_SECONDS = 5.0
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_NS = uuid.UUID("7e1f4c2a-6b3d-4f8e-a9c0-2d5e8b1f3a64")
NAME_OF_EVENT = {
    OrderEvents.CUSTOMER_ARRIVED: "customer-arrived",
    OrderEvents.ARRIVAL_ESTIMATED: "estimated-arrival-update",
    NoticeEvents.SENT: "send-message",
}


def _expires_ms(retry: Mapping[str, Any], sent_ms: int) -> int:
    expiration = retry.get("expiration")
    if isinstance(expiration, str):
        with contextlib.suppress(ValueError):
            return epoch_ms_of(datetime.fromisoformat(expiration))  # stored with a zone by intake
    return sent_ms + DEFAULT_EXPIRY_MS


def result_rule(origin: str) -> Callable[[tuple[str, str], Any, Any, Sequence[Event]], Iterator[Effect]]:
    """The journal rule: one result effect for each notification this device took with a notificationUrl.
    Only the device that took it tells the POS (a replica of the event causes nothing here)."""

    def rule(key: tuple[str, str], before: Any, after: Any, events: Sequence[Event]) -> Iterator[Effect]:
        for event in events:
            name = NAME_OF_EVENT.get(event.type)
            retry = event.payload.get("retry") if name else None
            # (`not retry` first: an isinstance of None against an ABC is Python code, on every write.)
            if (
                not retry
                or not isinstance(retry, Mapping)
                or not retry.get("notificationUrl")
                or event.origin != origin
            ):
                continue
            url = str(retry["notificationUrl"])
            body = {
                "notification": name,
                "id": notice_id(event) if event.type == NoticeEvents.SENT else event.aggregate_id,
                "status": "success",
                "deliveryStatuses": [{"device": d, "status": "success"} for d in event.payload.get("devices") or ()],
                "deliveredAt": iso(event.at_ms),
            }
            payload = {"url": url, "expires_ms": _expires_ms(retry, event.at_ms), "body": body}
            yield Effect(name_uuid(_NS, f"{event.origin}\x1f{event.seq}"), KIND, url, payload)

    return rule


class ResultSender:
    """POSTs each result effect: new ones as they are recorded, pending ones at start (after a crash)."""

    def __init__(self, journal: Journal, now_ms: Callable[[], int]) -> None:
        self.journal = journal
        self.now_ms = now_ms
        self._session: aiohttp.ClientSession | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=POST_TIMEOUT_SECONDS))
        self.journal.subscribe(KIND, self._take)
        for record in await self.journal.pending(KIND):
            self._take(record)

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    def _take(self, record: EffectRecord) -> None:
        effect_id = record.effect.id
        if effect_id not in self._tasks and self._session is not None:
            task = asyncio.create_task(self._deliver(record))
            self._tasks[effect_id] = task
            task.add_done_callback(lambda _: self._tasks.pop(effect_id, None))

    async def _deliver(self, record: EffectRecord) -> None:
        effect = record.effect
        url, expires_ms, body = effect.payload["url"], int(effect.payload["expires_ms"]), effect.payload["body"]
        attempt = record.attempts
        while True:
            if self.now_ms() >= expires_ms:
                await self.journal.fail(effect.id, "expired before notificationUrl accepted the result")
                log.warning("notification result given up url=%.200s id=%s", url, effect.id)
                return
            error = await self._post(url, body)
            if error is None:
                await self.journal.done(effect.id)
                return
            delay = BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS) - 1)]
            attempt += 1
            await self.journal.retry(effect.id, error, self.now_ms() + int(delay * 1000))
            log.info("notification result will be retried url=%.200s error=%s in=%ss", url, error, delay)
            await asyncio.sleep(delay)  # the backoff, not synchronisation

    async def _post(self, url: str, body: dict[str, Any]) -> str | None:
        """None when the receiver took it (2xx); else why not."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=body) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
