"""The uploader: this device's log, every origin of it, to headquarters, in seq order, exactly once there.

The log is the outbox: nothing is copied into a queue. Per origin the device keeps one cursor, the seq
through which it is done (headquarters holds it, or it was parked in the dead letter), and moves it only
after headquarters answered: a crash between sending and recording sends that batch again, which
headquarters ignores (its key is (origin, seq)). Everything here runs in one background task: no
request of the kitchen's APIs waits for the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import random
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from daemon.domain.events import Event
from daemon.store.store import Store
from daemon.tasks import cancel_and_wait
from sync.upstream.wire import event_to_wire

log = logging.getLogger(__name__)

BATCH = 500
WINDOW = 4  # batches in flight per origin: measured with bench.upstream (one at a time spent most of its
#             time waiting for each answer)
REQUEST_TIMEOUT_S = 10.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 60.0
RETRY_AFTER_CAP_S = 600.0
PAUSE_S = 300.0  # after 401/403: an operator must act; try again every 5 minutes (and at restart)

SAVE_ACK = (
    "INSERT INTO upstream_acks (origin, acked_seq, updated_ms) VALUES (?, ?, ?)"
    " ON CONFLICT(origin) DO UPDATE SET acked_seq = MAX(acked_seq, excluded.acked_seq),"
    " updated_ms = excluded.updated_ms"
)
PARK = "INSERT OR IGNORE INTO upstream_dead_letter (origin, seq, error, at_ms) VALUES (?, ?, ?, ?)"


@dataclass(frozen=True)
class Outcome:
    """What one attempt to send a batch came to."""

    kind: str  # acked | invalid | paused | retry
    acked: Mapping[str, int] | None = None
    invalid: Mapping[int, str] | None = None  # seq -> error, for `invalid`
    error: str = ""
    retry_after_s: float | None = None


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number of seconds, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, min(float(value), RETRY_AFTER_CAP_S))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), RETRY_AFTER_CAP_S))


def full_jitter(attempt: int, rng: random.Random) -> float:
    """AWS's "full jitter": uniform between 0 and the exponential ceiling, so devices that lost
    headquarters together do not come back together."""
    return rng.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))


class Uploader:
    def __init__(
        self, store: Store, url: str, token: str, location_id: str, *, batch: int = BATCH, window: int = WINDOW
    ) -> None:
        self.store = store
        self.endpoint = url.rstrip("/") + "/api/v1/events"
        self.token = token
        self.location_id = location_id
        self.batch = batch
        self.window = max(1, window)
        self.state = "ok"  # ok | retrying | paused
        self.last_error: str | None = None
        self.acked: dict[str, int] = {}
        self.dead: set[tuple[str, int]] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._rng = random.Random()
        self._attempt = 0
        self._limit = batch  # 1 after a 4xx that named no event: find the bad one alone

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await asyncio.to_thread(self._load)
        self.store.subscribe(lambda events, states: self._wake.set())
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _load(self) -> None:
        conn = self.store.connect_reader()
        try:
            self.acked = {str(o): int(s) for o, s in conn.execute("SELECT origin, acked_seq FROM upstream_acks")}
            self.dead = {(str(o), int(s)) for o, s in conn.execute("SELECT origin, seq FROM upstream_dead_letter")}
        finally:
            conn.close()

    # ---- the loop --------------------------------------------------------------------------

    def _next_origin(self) -> str | None:
        """An origin with events not yet done: this device's own first, then the others by name."""
        versions = self.store.version_vector()
        behind = sorted(o for o, seq in versions.items() if seq > self.acked.get(o, 0))
        if self.store.origin in behind:
            return self.store.origin
        return behind[0] if behind else None

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                self._wake.clear()
                origin = self._next_origin()
                if origin is None:
                    if self.state != "paused":
                        self.state, self.last_error = "ok", None
                    await self._wake.wait()
                    continue
                try:
                    await self._step(session, origin)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug or a store refusing writes: keep the task, say so
                    log.exception("upstream step failed origin=%s", origin)
                    await self._failed(Outcome("retry", error=f"{type(exc).__name__}: {exc}"))

    async def _step(self, session: aiohttp.ClientSession, origin: str) -> None:
        """Send the origin's events from its cursor on, up to `window` batches in flight at once (the
        round trips and headquarters' transactions overlap), and move the cursor over each batch in seq
        order, only once that batch and every one before it were answered. The first batch that did not
        go through stops the step: the ones after it are abandoned (sent again later: headquarters keeps
        each event once) and the failure is handled as for a single batch."""
        after = self.acked.get(origin, 0)
        flying: deque[tuple[int, list[Event], asyncio.Task[Outcome]]] = deque()
        exhausted = False
        try:
            while True:
                window = 1 if self._limit < self.batch else self.window
                while not exhausted and len(flying) < window:
                    read = await asyncio.to_thread(self.store.events_of_origin, origin, after, self._limit)
                    if not read:
                        exhausted = True
                        break
                    after = read[-1].seq
                    sending = [e for e in read if (e.origin, e.seq) not in self.dead]
                    flying.append((after, sending, asyncio.create_task(self._outcome(session, origin, sending))))
                if not flying:
                    # The version vector counts writes still committing: wait for the next commit.
                    await self._wake.wait()
                    return
                top = 0
                while flying and (top == 0 or flying[0][2].done()):
                    last, sending, task = flying[0]
                    outcome = await task
                    held = (outcome.acked or {}).get(origin, 0) if outcome.kind == "acked" else 0
                    if outcome.kind == "acked" and (not sending or held >= sending[-1].seq):
                        flying.popleft()
                        top = last
                        continue
                    if top:
                        await self._flowing(origin, top)
                    if outcome.kind == "acked":  # answered, but not holding all of it: send it again
                        outcome = Outcome("retry", error=f"headquarters holds {origin} only up to seq {held}")
                    if outcome.kind == "invalid":
                        await self._park(origin, sending, outcome)
                    else:
                        await self._failed(outcome)
                    return
                await self._flowing(origin, top)
        finally:
            for _, _, task in flying:
                task.cancel()
            for _, _, task in flying:  # a stop arriving meanwhile is raised, not taken for the task's
                await cancel_and_wait(task)

    async def _outcome(self, session: aiohttp.ClientSession, origin: str, sending: list[Event]) -> Outcome:
        return await self._send(session, sending) if sending else Outcome("acked", acked={origin: 0})

    async def _flowing(self, origin: str, top: int) -> None:
        await self._record(origin, top)
        self._attempt, self._limit = 0, self.batch
        if self.state != "ok":
            log.info("upstream flowing again origin=%s acked_seq=%d", origin, top)
        self.state, self.last_error = "ok", None

    async def _send(self, session: aiohttp.ClientSession, events: list[Event]) -> Outcome:
        body = orjson.dumps({"location_id": self.location_id, "events": [event_to_wire(e) for e in events]})
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            async with session.post(self.endpoint, data=body, headers=headers) as resp:
                text = await resp.read()
                status = resp.status
                after = retry_after(resp.headers.get("Retry-After"))
        except TimeoutError:
            return Outcome("retry", error=f"no answer from headquarters within {REQUEST_TIMEOUT_S:g} s")
        except aiohttp.ClientError as exc:
            return Outcome("retry", error=f"headquarters unreachable: {type(exc).__name__}: {exc}")
        answer = _json(text)
        message = _message(answer, text, status)
        if status == 200 and isinstance(answer.get("acked"), dict):
            return Outcome("acked", acked={str(k): int(v) for k, v in answer["acked"].items() if isinstance(v, int)})
        if status in (401, 403):
            return Outcome("paused", error=f"headquarters refused the credential ({status}): {message}")
        if status in (400, 413, 422):
            named = {
                int(i["seq"]): f"{i.get('field', '')}: {i.get('message', '')}"
                for i in answer.get("invalid", ())
                if isinstance(i, dict) and isinstance(i.get("seq"), int)
            }
            return Outcome("invalid", invalid=named, error=f"headquarters refused the batch ({status}): {message}")
        return Outcome("retry", error=f"headquarters answered {status}: {message}", retry_after_s=after)

    async def _record(self, origin: str, seq: int) -> None:
        """Durable (through the store's one writer) before the cursor moves in memory."""
        if seq <= self.acked.get(origin, 0):
            return
        await self.store.write_journal([], [(SAVE_ACK, (origin, seq, self.store.now_ms()))])
        self.acked[origin] = seq

    async def _park(self, origin: str, sent: list[Event], outcome: Outcome) -> None:
        """Events headquarters says it cannot read go to the dead letter, and the rest flow on. A refusal
        that names no event is narrowed down by sending one event at a time."""
        named = {seq: error for seq, error in (outcome.invalid or {}).items() if any(e.seq == seq for e in sent)}
        if not named:
            if len(sent) > 1:
                self._limit = 1
                log.warning("upstream batch refused without naming an event; sending one at a time: %s", outcome.error)
                return
            named = {sent[0].seq: outcome.error}
        now = self.store.now_ms()
        await self.store.write_journal([], [(PARK, (origin, seq, error[:1000], now)) for seq, error in named.items()])
        for seq, error in named.items():
            self.dead.add((origin, seq))
            log.error("upstream parked an event headquarters refused origin=%s seq=%d error=%s", origin, seq, error)

    async def _failed(self, outcome: Outcome) -> None:
        self.last_error = outcome.error
        if outcome.kind == "paused":
            if self.state != "paused":
                log.error("upstream paused: %s (trying again every %d s)", outcome.error, PAUSE_S)
            self.state = "paused"
            await asyncio.sleep(PAUSE_S)  # a timer: an operator must fix the credential
            return
        self.state = "retrying"
        delay = outcome.retry_after_s if outcome.retry_after_s is not None else full_jitter(self._attempt, self._rng)
        self._attempt = min(self._attempt + 1, 30)
        log.warning("upstream retrying in %.2f s: %s", delay, outcome.error)
        await asyncio.sleep(delay)  # backoff timer, not synchronisation

    # ---- status ----------------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        return await status_of(self.store, self.state, self.last_error, self.acked, self.dead)


def _json(text: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _message(answer: Mapping[str, Any], text: bytes, status: int) -> str:
    error = answer.get("error")
    if isinstance(error, dict) and error.get("message"):
        return f"{error.get('code', '')} {error['message']}".strip()
    return text[:200].decode(errors="replace") or f"HTTP {status}"


async def status_of(
    store: Store, state: str, last_error: str | None, acked: Mapping[str, int], dead: set[tuple[str, int]]
) -> dict[str, Any]:
    """GET /api/v1/upstream for this device's own origin."""
    origin = store.origin
    last_seq = store.version_vector().get(origin, 0)
    acked_seq = acked.get(origin, 0)
    pending = max(0, last_seq - acked_seq)
    oldest: float | None = None
    if pending:
        wall_ms = await asyncio.to_thread(_wall_ms_of, store, origin, acked_seq + 1)
        if wall_ms is not None:
            oldest = round(max(0, store.now_ms() - wall_ms) / 1000, 3)
    return {
        "state": state,
        "pending": pending,
        "oldest_pending_age_s": oldest,
        "last_seq": last_seq,
        "acked_seq": acked_seq,
        "dead_letter": sum(1 for o, _ in dead if o == origin),
        "last_error": last_error if state in ("retrying", "paused") else None,
    }


def _wall_ms_of(store: Store, origin: str, seq: int) -> int | None:
    conn = store.connect_reader()
    try:
        row = conn.execute("SELECT wall_ms FROM events WHERE origin = ? AND seq = ?", (origin, seq)).fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else None


OFF = {
    "state": "off",
    "pending": 0,
    "oldest_pending_age_s": None,
    "last_seq": 0,
    "acked_seq": 0,
    "dead_letter": 0,
    "last_error": None,
}
