"""Integrator API tokens: random, shown once, stored hashed, revocable from heardctl while the daemon runs."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from daemon.domain.errors import HeardError
from daemon.tasks import wait_event

log = logging.getLogger(__name__)

INTEGRATION_TOKENS_DDL = (
    "CREATE TABLE IF NOT EXISTS integration_tokens ("
    " id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
    " created_at TEXT NOT NULL, revoked_at TEXT)"
)
PREFIX = "hit_"

REFRESH_SECONDS = 1.0  # the table is re-read this often, so heardctl's revokes reach the daemon
MIN_GAP_SECONDS = 0.1  # and never more often than this, however many unknown tokens arrive
MISS_WAIT_SECONDS = 1.0  # the longest a request with an unknown token waits for the next read
REVOCATION_SECONDS = 2.0  # the promise (docs/operations.md): a token revoked this long ago is refused


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    created_at: str
    revoked_at: str | None


_HASHED: dict[str, str] = {}  # the tokens seen lately → their hash (a POS sends the same one every request)
_HASHED_MAX = 256


def _hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    found = _HASHED.get(token)
    if found is None:
        if len(_HASHED) >= _HASHED_MAX:  # a flood of made-up tokens must not grow it
            _HASHED.clear()
        found = _HASHED[token] = hashlib.sha256(token.encode("utf-8")).hexdigest()
    return found


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IntegrationTokens:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect

    def create(self, name: str) -> tuple[TokenRecord, str]:
        token = PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(str(uuid.uuid4()), name, _now(), None)
        conn = self._connect()
        try:
            with conn:
                conn.execute(
                    "INSERT INTO integration_tokens (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
                    (record.id, record.name, _hash(token), record.created_at),
                )
        finally:
            conn.close()
        return record, token

    def list(self) -> list[TokenRecord]:
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT id, name, created_at, revoked_at FROM integration_tokens ORDER BY created_at, name"
            ).fetchall()
        finally:
            conn.close()
        return [TokenRecord(*row) for row in rows]

    def revoke(self, id_or_name: str) -> int:
        conn = self._connect()
        try:
            with conn:
                cur = conn.execute(
                    "UPDATE integration_tokens SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL",
                    (_now(), id_or_name, id_or_name),
                )
        finally:
            conn.close()
        return cur.rowcount

    def active(self) -> dict[str, TokenRecord]:
        """Every token not revoked, by the hash of its secret: what IntegrationTokenCache holds."""
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT token_hash, id, name, created_at, revoked_at FROM integration_tokens WHERE revoked_at IS NULL"
            ).fetchall()
        finally:
            conn.close()
        return {row[0]: TokenRecord(*row[1:]) for row in rows}


class IntegrationTokenCache:
    """The active tokens in memory: checking one is a hash and a dict lookup, never SQLite on the loop.

    heardctl creates and revokes tokens from another process, so `run` re-reads the table off the loop
    every REFRESH_SECONDS, and sooner when a request brings a token it does not know (one created a
    moment ago works on its first request). Such requests share reads, at most one per MIN_GAP_SECONDS,
    so a flood of bad tokens costs the database nothing per request. A token is accepted only on the
    strength of a read begun at most REVOCATION_SECONDS ago: if the table cannot be read, integrators
    get 503 rather than a revoked token being honoured past the promised delay.
    """

    def __init__(
        self,
        tokens: IntegrationTokens,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        min_gap_seconds: float = MIN_GAP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tokens = tokens
        self._refresh = refresh_seconds
        self._min_gap = min_gap_seconds
        self._clock = clock
        self._active: dict[str, TokenRecord] = {}
        self._read_at = -math.inf  # when the last good read began
        self._wake = asyncio.Event()
        self._next_read: asyncio.Future[None] | None = None
        self._running = False
        self._failing = False
        self.reads = 0  # good reads of the table so far

    async def verify(self, token: str) -> TokenRecord | None:
        if not token.startswith(PREFIX):
            return None
        digest = _hash(token)
        if digest not in self._active or self._stale():
            await self._fresh_read()
            if self._stale():
                raise HeardError(
                    "integration tokens cannot be checked: the token table is unreadable",
                    code="STORE_UNAVAILABLE",
                    status=503,
                )
        return self._active.get(digest)

    def _stale(self) -> bool:
        return self._clock() - self._read_at > REVOCATION_SECONDS

    async def _fresh_read(self) -> None:
        """Wait (a bounded time) for a read that begins after this call."""
        if not self._running:
            return
        if self._next_read is None:
            self._next_read = asyncio.get_running_loop().create_future()
        self._wake.set()
        # shield: a client that hangs up must not cancel the read other requests wait for.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._next_read), MISS_WAIT_SECONDS)

    async def refresh(self) -> None:
        """Read the table once, off the loop; on failure keep what is known (it goes stale in time)."""
        self._wake.clear()
        waiting, self._next_read = self._next_read, None
        began = self._clock()
        try:
            active = await asyncio.to_thread(self._tokens.active)
        except Exception as exc:  # noqa: BLE001 - a failed read must not end the reads that follow
            if not self._failing:
                log.error("integration tokens unreadable error=%r; integrators get 503 until a read succeeds", exc)
            self._failing = True
        else:
            if self._failing:
                log.info("integration tokens readable again tokens=%d", len(active))
            self._active, self._read_at, self._failing = active, began, False
            self.reads += 1
        finally:
            if waiting is not None and not waiting.done():
                waiting.set_result(None)

    async def run(self) -> None:
        """Refresh every REFRESH_SECONDS, or after MIN_GAP_SECONDS when a request met an unknown token."""
        self._running = True
        try:
            while True:
                await asyncio.sleep(self._min_gap)  # a rate limit, not synchronisation
                # Not wait_for(): on Python 3.11 it drops a stop that lands in the turn a read is asked for.
                await wait_event(self._wake, self._refresh - self._min_gap)
                await self.refresh()
        finally:
            self._running = False
            if self._next_read is not None and not self._next_read.done():
                self._next_read.set_result(None)
