"""Webhook deliveries: a rule turns this device's events into journal effects, one worker per subscription
sends them, signed, in order, retrying with backoff until the receiver acknowledges (docs/webhooks.md).

* Recorded once: the rule runs inside the write, so an effect is in the journal in the same transaction
  as the event; its id is derived from (subscription, event), so a re-fold records nothing twice.
* Only the device that made an event delivers it: the rule takes only events whose origin is this device,
  and replicated events never pass through this device's write path.
* In order: each subscription's worker sends its effects one at a time, in journal order, so the events of
  a table (and of every other queue) reach the receiver in the order they happened. A failing delivery
  holds the ones behind it; a receiver that is down would fail them all anyway.
* Never in the API's way: a worker per subscription, a timeout on every call; the rule only builds a body.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import msgspec
import orjson

from daemon.api.messages import renderer
from daemon.api.tables_views import table_summary
from daemon.api.timestamps import iso
from daemon.domain.events import SYSTEM, Event
from daemon.domain.floor import FLOOR, Floor
from daemon.domain.model import Order
from daemon.domain.tables import TableState
from daemon.domain.values import name_uuid
from daemon.domain.webhooks import WEBHOOKS, Subscription, Webhooks, end_subscription, webhook_names
from daemon.reactions.signature import headers
from daemon.store.journal import Effect, EffectRecord
from daemon.store.store import Store

log = logging.getLogger(__name__)

KIND = "webhook"
_NS = uuid.UUID("6f1d8f0e-5b7a-4c43-9b0e-3f5d2a7c9e41")


@dataclass(frozen=True)
class WebhookSettings:
    timeout_seconds: float = 10.0
    retry_base_ms: int = 1_000
    retry_cap_ms: int = 600_000
    expire_ms: int = 72 * 3_600_000


def message_id(event: Event, name: str) -> str:
    """The `webhook-id`: the event's own, the same on every retry and every device."""
    return "msg_" + name_uuid(_NS, f"{event.origin}\x1f{event.seq}\x1f{name}")


def backoff_ms(attempts: int, settings: WebhookSettings, rand: Callable[[], float]) -> int:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base × 2^(attempts−1))]."""
    ceiling = min(settings.retry_cap_ms, settings.retry_base_ms * 2 ** max(0, min(attempts - 1, 30)))
    return int(rand() * ceiling)


def webhook_rule(store: Store, tenant_id: str, location_id: str) -> Callable[..., Iterable[Effect]]:
    render = renderer(tenant_id, location_id)

    def rule(key: tuple[str, str], before: Any, after: Any, events: Sequence[Event]) -> Iterable[Effect]:
        hooks = store.get(WEBHOOKS, location_id)
        if not isinstance(hooks, Webhooks) or not any(s.active for s in hooks.subscriptions.values()):
            return []
        effects = []
        for event in events:
            if event.origin != store.origin:
                continue
            for name in webhook_names(event, after):
                subs = [s for s in hooks.subscriptions.values() if s.wants(name)]
                if not subs:
                    continue
                msg_id = message_id(event, name)
                body = {
                    "id": msg_id,
                    "type": name,
                    "timestamp": iso(event.at_ms),
                    "location_id": location_id,
                    "data": _data(event, after, render, store.get(FLOOR, location_id)),
                }
                text = orjson.dumps(body).decode()
                queue = _order_key(event, after)
                for sub in subs:
                    payload = {"msg_id": msg_id, "type": name, "body": text}
                    eid = name_uuid(_NS, f"{sub.id}\x1f{msg_id}")
                    effects.append(Effect(eid, KIND, sub.id, payload, queue))
        return effects

    return rule


def _order_key(event: Event, after: Any) -> str:
    if isinstance(after, Order) and after.table_id:
        return f"table:{after.table_id}"
    return f"{event.aggregate}:{event.aggregate_id}"


def _data(event: Event, after: Any, render: Callable[[Event, Any], dict[str, Any]], floor: Any) -> dict[str, Any]:
    if isinstance(after, TableState):
        layout = floor.tables.get(after.id) if isinstance(floor, Floor) else None
        table = table_summary(floor, layout, after) if layout is not None else {"id": after.id}
        data: dict[str, Any] = {"table": table, "status_changed_by": after.status_changed_by}
        if event.payload.get("turn"):
            turn = dict(event.payload["turn"])
            turn["seated_at"] = iso(turn.pop("seated_ms", None))
            data["turn"] = turn
        return data
    return render(event, after)


class SubscriptionWorker:
    """Sends one subscription's deliveries, one at a time, in journal order."""

    def __init__(self, dispatcher: WebhookDispatcher, sub: Subscription) -> None:
        self.sub = sub
        self._d = dispatcher
        self._queue: deque[EffectRecord] = deque()
        self._known: set[str] = set()
        self._wake = asyncio.Event()
        self._due: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"webhook-{self.sub.id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def offer(self, record: EffectRecord) -> None:
        if record.effect.id not in self._known:
            self._known.add(record.effect.id)
            self._queue.append(record)
            self._wake.set()

    async def _run(self) -> None:
        for record in await self._d.journal.pending(KIND, target=self.sub.id):
            self.offer(record)
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            record = self._queue[0]
            # When to try: measured on the loop's monotonic clock; the journal's next_attempt_ms (the store's
            # clock) only tells where a restart left off, and what the deliveries API shows.
            due = self._due.setdefault(
                record.effect.id, loop.time() + max(0, record.next_attempt_ms - self._d.now_ms()) / 1000
            )
            if due > loop.time():
                await asyncio.sleep(due - loop.time())  # the backoff itself, not synchronisation
                continue
            try:
                finished = await self._attempt(record)
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not stop this subscription's deliveries for good
                log.exception("webhook worker failed subscription=%s", self.sub.id)
                finished = False
                self._due[record.effect.id] = loop.time() + 1
            if finished:
                self._queue.popleft()
                self._known.discard(record.effect.id)
                self._due.pop(record.effect.id, None)

    async def _attempt(self, record: EffectRecord) -> bool:
        """One delivery attempt; True when the effect is settled (delivered, failed, dropped)."""
        journal, settings, eid = self._d.journal, self._d.settings, record.effect.id
        if self._d.now_ms() - record.created_ms > settings.expire_ms:
            await journal.fail(eid, f"expired after {record.attempts} attempts: {record.last_error}")
            return True
        status, error = await self._d.send(self.sub, record)
        if 200 <= status < 300:
            # Not awaited: the next delivery goes out while this one's COMMIT is fsynced (and shares it
            # with others). A crash before it is durable sends it again, with the same webhook-id.
            self._d.settle_later(journal.done(eid))
            return True
        if status == 410:
            await self._d.end(self.sub, "the receiver answered 410 Gone")
            return True
        attempts = record.attempts + 1
        delay = backoff_ms(attempts, settings, self._d.rand)
        next_ms = self._d.now_ms() + delay
        await journal.retry(eid, error, next_ms)
        self._due[eid] = asyncio.get_running_loop().time() + delay / 1000
        self._queue[0] = msgspec.structs.replace(record, attempts=attempts, next_attempt_ms=next_ms, last_error=error)
        log.info(
            "webhook retry subscription=%s id=%s attempts=%d in_ms=%d error=%.200s",
            self.sub.id,
            eid,
            attempts,
            delay,
            error,
        )
        return False


class WebhookDispatcher:
    """Starts and stops a worker per active subscription as the subscriptions change."""

    def __init__(
        self,
        store: Store,
        location_id: str,
        settings: WebhookSettings,
        *,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.store = store
        self.journal = store.journal
        self.location_id = location_id
        self.settings = settings
        self.now_ms = store.now_ms  # created, expired, next attempt: all on the store's (injectable) clock
        self.rand = rand
        self._workers: dict[str, SubscriptionWorker] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        self._session = aiohttp.ClientSession(timeout=timeout, headers={"user-agent": "Heard-Webhooks/1"})
        self.journal.subscribe(KIND, self._on_effect)
        self.store.subscribe(self._on_events)
        await self._reconcile()

    async def stop(self) -> None:
        for worker in list(self._workers.values()):
            await worker.stop()
        self._workers.clear()
        if self._tasks:  # let acknowledged deliveries be marked done: else they go again after the restart
            await asyncio.wait(list(self._tasks), timeout=2)
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()

    def _on_effect(self, record: EffectRecord) -> None:
        worker = self._workers.get(record.effect.target)
        if worker is not None:
            worker.offer(record)
            return
        # Decided while the subscription was still on, committed after it ended or went: nobody will send
        # it, so it is dropped rather than left pending for ever. (A paused one waits for its worker.)
        hooks = self.store.get(WEBHOOKS, self.location_id)
        sub = hooks.subscriptions.get(record.effect.target) if isinstance(hooks, Webhooks) else None
        if sub is None or sub.ended_reason:
            reason = "the subscription was removed" if sub is None else sub.ended_reason or ""
            self._background(self.journal.drop(record.effect.id, reason))

    def settle_later(self, work: Coroutine[Any, Any, Any]) -> None:
        self._background(work)

    def _background(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_events(self, events: list[tuple[int, Event]], states: Mapping[tuple[str, str], Any]) -> None:
        if (WEBHOOKS, self.location_id) in states:
            self._background(self._reconcile())

    async def _reconcile(self) -> None:
        hooks = self.store.get(WEBHOOKS, self.location_id)
        subs = hooks.subscriptions if isinstance(hooks, Webhooks) else {}
        for sub_id, worker in list(self._workers.items()):
            current = subs.get(sub_id)
            if current is None or not current.active or current != worker.sub:
                del self._workers[sub_id]
                await worker.stop()
                if current is None or current.ended_reason:
                    await self._drop_pending(
                        sub_id, "the subscription was removed" if current is None else current.ended_reason or ""
                    )
        for sub_id, sub in subs.items():
            if sub.active and sub_id not in self._workers:
                worker = self._workers[sub_id] = SubscriptionWorker(self, sub)
                worker.start()

    async def _drop_pending(self, sub_id: str, reason: str) -> None:
        for record in await self.journal.pending(KIND, target=sub_id):
            await self.journal.drop(record.effect.id, reason)

    async def end(self, sub: Subscription, reason: str) -> None:
        """A 410: the subscription ends on every device (an event), its pending deliveries are dropped."""
        log.warning("webhook subscription ended subscription=%s url=%s reason=%s", sub.id, sub.url, reason)
        await self.store.execute(
            WEBHOOKS, self.location_id, lambda _: end_subscription(self.location_id, sub.id, reason), SYSTEM
        )

    async def send(self, sub: Subscription, record: EffectRecord) -> tuple[int, str]:
        """POST the delivery; (status, error). A network failure or timeout is status 0 with its reason."""
        assert self._session is not None
        body = str(record.effect.payload["body"]).encode()
        msg_id = str(record.effect.payload["msg_id"])
        signed = headers(sub.secret, msg_id, self.now_ms() // 1000, body)
        try:
            async with self._session.post(sub.url, data=body, headers=signed, allow_redirects=False) as resp:
                text = (await resp.content.read(300)).decode("utf-8", "replace")
                return resp.status, "" if resp.status < 300 else f"HTTP {resp.status}: {text}"
        except TimeoutError:
            return 0, f"no answer within {self.settings.timeout_seconds:g} s"
        except aiohttp.ClientError as exc:
            return 0, f"{type(exc).__name__}: {exc}"
