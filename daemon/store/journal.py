"""The effect journal: side effects that must happen exactly once (a chit, a webhook delivery).

ARCHITECTURE §5: an effect is recorded in the same transaction as the event that causes it, under an
id derived from its cause, and a worker claims it, does it and marks it done. So nothing is lost between
the COMMIT and the effect (after a crash the pending effects are read back), and a re-folded or
replicated event finds its effect already there (INSERT OR IGNORE by id) and causes nothing twice.

Rules decide which effects a write causes; they run inside `Store.execute`, after the events were
applied and before anything is stored, and see the state before and after. Every change of an
effect's status goes through the store's one writer, so it is durable when the call returns and never
competes with the log for SQLite's write lock.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from daemon.domain.events import Event

if TYPE_CHECKING:
    from daemon.store.store import Store

log = logging.getLogger(__name__)

PENDING, DONE, FAILED, DROPPED = "pending", "done", "failed", "dropped"
STATUSES = (PENDING, DONE, FAILED, DROPPED)

_COLUMNS = (
    "seq, id, kind, target, order_key, payload, status, attempts, next_attempt_ms, last_error, created_ms, updated_ms"
)
# Only a pending effect changes status: a worker that finishes an effect someone dropped meanwhile
# (or the reverse) learns it from the answer instead of overwriting it.
_SETTLE = (
    "UPDATE effects SET status = ?, attempts = attempts + ?, last_error = ?, updated_ms = ?"
    " WHERE id = ? AND status = 'pending'"
)
_RETRY = (
    "UPDATE effects SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ?, updated_ms = ?"
    " WHERE id = ? AND status = 'pending'"
)
_IDS_PER_READ = 500  # ids bound in one SELECT (SQLite before 3.32 binds at most 999)
# The same for a list of ids. `+status` keeps SQLite on the id index: with a dozen ids in the list its
# planner preferred the status index, and walked every pending effect (a printer's backlog) per statement.
_SETTLE_ALL = (
    "UPDATE effects SET status = ?, attempts = attempts + ?, last_error = ?, updated_ms = ?"
    " WHERE +status = 'pending' AND id IN ({})"
)
_RETRY_ALL = (
    "UPDATE effects SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ?, updated_ms = ?"
    " WHERE +status = 'pending' AND id IN ({})"
)
MAX_ERROR = 500  # characters of an error kept: a receiver's error page must not fill the journal


class Effect(msgspec.Struct, frozen=True, gc=False):
    """Something to do once. `id` is derived from the cause, so the same cause gives the same id on
    every device and on every re-fold; `target` is the queue it belongs to (a printer, a webhook
    subscription); effects with the same (kind, target, order_key) are meant to be done in creation order.
    (Structs, not frozen dataclasses: a write makes a few of these per chit, and a frozen dataclass's
    __init__ was ~2 µs each.)"""

    id: str
    kind: str
    target: str
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    order_key: str = ""


class EffectRecord(msgspec.Struct, frozen=True, gc=False):
    """An effect as the journal holds it. `seq` is its creation order in this device's journal."""

    effect: Effect
    seq: int
    status: str
    attempts: int
    next_attempt_ms: int
    last_error: str
    created_ms: int
    updated_ms: int

    def to_json(self) -> dict[str, Any]:
        e = self.effect
        return {
            "id": e.id,
            "kind": e.kind,
            "target": e.target,
            "order_key": e.order_key,
            "payload": e.payload,
            "status": self.status,
            "attempts": self.attempts,
            "next_attempt_ms": self.next_attempt_ms,
            "last_error": self.last_error,
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
        }


# (aggregate key, state before, state after, the write's events) -> the effects this write causes.
Rule = Callable[[tuple[str, str], Any, Any, Sequence[Event]], Iterable[Effect]]
Subscriber = Callable[[EffectRecord], None]


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    """`ids` in pieces small enough to bind in one statement."""
    return (ids[i : i + _IDS_PER_READ] for i in range(0, len(ids), _IDS_PER_READ))


def effect_row(effect: Effect, now_ms: int) -> tuple[Any, ...]:
    payload = orjson.dumps(effect.payload).decode()
    return (effect.id, effect.kind, effect.target, effect.order_key, payload, PENDING, 0, now_ms, "", now_ms, now_ms)


def record_from_row(row: Sequence[Any]) -> EffectRecord:
    seq, eid, kind, target, order_key, payload, status, attempts, next_ms, error, created, updated = row
    effect = Effect(eid, kind, target, orjson.loads(payload), order_key)
    return EffectRecord(effect, seq, status, attempts, next_ms, error, created, updated)


class Journal:
    """Rules, subscribers and the status calls of the effect journal of one store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._rules: list[Rule] = []
        self._subscribers: dict[str, list[Subscriber]] = {}
        self.rule_failures = 0  # rules that raised: shown by /readyz, the write still happened
        self._reader: sqlite3.Connection | None = None
        self._reader_lock = threading.Lock()

    # ---- inside the write path ---------------------------------------------------------------

    def add_rule(self, rule: Rule) -> None:
        self._rules.append(rule)

    def effects_of(self, key: tuple[str, str], before: Any, after: Any, events: Sequence[Event]) -> list[Effect]:
        """The effects a write causes. A rule that raises is logged and counted, and the write goes on:
        a bug in how a chit is laid out must not cost the kitchen the order itself."""
        if not self._rules:
            return []
        found: dict[str, Effect] = {}
        for rule in self._rules:
            try:
                for effect in rule(key, before, after, events):
                    found.setdefault(effect.id, effect)
            except Exception:
                self.rule_failures += 1
                log.exception("effect rule failed rule=%r aggregate=%s id=%.80s", rule, *key)
        return list(found.values())

    def announce(self, effects: Sequence[Effect], rows: Sequence[tuple[Any, ...]], inserted: dict[str, int]) -> None:
        """After the COMMIT: tell each kind's subscribers of the effects that were new (an id that was
        already in the journal was recorded, and announced, before). `rows` are the effects' journal rows
        (`effect_row`), in the same order: the record is built from the effect itself, not decoded back."""
        announced: set[str] = set()  # an id twice among the rows was inserted once: announced once
        for effect, row in zip(effects, rows, strict=True):
            seq = inserted.get(effect.id)
            if seq is None or effect.id in announced:
                continue
            announced.add(effect.id)
            subscribers = self._subscribers.get(effect.kind)
            if not subscribers:
                continue
            record = EffectRecord(effect, seq, PENDING, 0, row[7], "", row[9], row[10])
            for subscriber in subscribers:
                try:
                    subscriber(record)
                except Exception:
                    log.exception("effect subscriber failed kind=%s id=%.80s", effect.kind, effect.id)

    # ---- for workers and APIs -----------------------------------------------------------------

    def subscribe(self, kind: str, subscriber: Subscriber) -> None:
        """`subscriber(record)` runs on the loop after the COMMIT that recorded a new effect of `kind`."""
        self._subscribers.setdefault(kind, []).append(subscriber)

    async def record(self, effects: Iterable[Effect]) -> list[str]:
        """Record effects that no event causes (a reprint); returns the ids that were new."""
        effects = builtins.list(effects)
        now = self._store.now_ms()
        rows = [effect_row(e, now) for e in effects]
        inserted, _ = await self._store.write_journal(rows, [], effects)
        return [eid for eid in dict.fromkeys(row[0] for row in rows) if eid in inserted]

    async def done(self, effect_id: str) -> bool:
        """Mark a pending effect done (one more attempt, the one that succeeded). False if it was not pending."""
        return await self._update(_SETTLE, (DONE, 1, "", self._store.now_ms(), effect_id))

    async def done_all(self, effect_ids: Sequence[str], *, attempt_counted: bool = False) -> int:
        """`done` for several effects in one durable write and one statement (a printer confirms a batch of
        chits at once); returns how many were pending. `attempt_counted`: the attempt that succeeded was
        already counted (by `retry_all` before the bytes went out), so it is not counted twice."""
        head = (DONE, 0 if attempt_counted else 1, "", self._store.now_ms())
        return await self._update_all(_SETTLE_ALL, head, effect_ids)

    async def retry(self, effect_id: str, error: str, next_attempt_ms: int) -> bool:
        return await self._update(_RETRY, (next_attempt_ms, error[:MAX_ERROR], self._store.now_ms(), effect_id))

    async def retry_all(self, effect_ids: Sequence[str], error: str, next_attempt_ms: int) -> int:
        """`retry` for several effects in one durable write and one statement; returns how many were pending."""
        head = (next_attempt_ms, error[:MAX_ERROR], self._store.now_ms())
        return await self._update_all(_RETRY_ALL, head, effect_ids)

    async def fail(self, effect_id: str, error: str) -> bool:
        """Give up on a pending effect (it expired); it stays visible with its last error."""
        return await self._update(_SETTLE, (FAILED, 1, error[:MAX_ERROR], self._store.now_ms(), effect_id))

    async def drop(self, effect_id: str, reason: str) -> bool:
        """A pending effect no longer wanted (its ticket was bumped meanwhile; a backup took it)."""
        return await self._update(_SETTLE, (DROPPED, 0, reason[:MAX_ERROR], self._store.now_ms(), effect_id))

    async def _update(self, statement: str, params: tuple[Any, ...]) -> bool:
        _, counts = await self._store.write_journal([], [(statement, params)])
        return counts[0] > 0

    async def _update_all(self, statement: str, head: tuple[Any, ...], effect_ids: Sequence[str]) -> int:
        """One statement per _IDS_PER_READ ids, not one per id: the writer steps each statement with the
        interpreter released, a hand-off with the event loop every time."""
        statements = [(statement.format(", ".join("?" * len(chunk))), (*head, *chunk)) for chunk in _chunks(effect_ids)]
        if not statements:
            return 0
        _, counts = await self._store.write_journal([], statements)
        return sum(counts)

    async def pending(
        self, kind: str, target: str | None = None, after_seq: int = 0, limit: int | None = None
    ) -> list[EffectRecord]:
        """Pending effects in creation order: what a worker starts from, after a restart or a crash; with
        `after_seq` and `limit`, the next of them (a worker whose backlog outgrew its memory)."""
        where, params = "status = 'pending' AND kind = ?", [kind]
        if target is not None:
            where, params = where + " AND target = ?", [*params, target]
        if after_seq:
            where, params = where + " AND seq > ?", [*params, after_seq]
        tail = "" if limit is None else f" LIMIT {int(limit)}"
        return await self._select(f"WHERE {where} ORDER BY seq{tail}", params)

    async def count_pending(self, kind: str, target: str, after_seq: int = 0) -> int:
        """How many effects of a worker's queue wait after `after_seq`, read from the journal's index."""
        query = "SELECT count(*) FROM effects WHERE status = 'pending' AND kind = ? AND target = ? AND seq > ?"
        rows = await asyncio.to_thread(self._read, query, (kind, target, after_seq))
        return int(rows[0][0])

    async def get(self, effect_id: str) -> EffectRecord | None:
        found = await self._select("WHERE id = ?", [effect_id])
        return found[0] if found else None

    async def get_many(self, effect_ids: Sequence[str]) -> dict[str, EffectRecord]:
        """The effects of these ids that the journal holds, in one read, by id."""
        found: dict[str, EffectRecord] = {}
        for chunk in _chunks(effect_ids):
            marks = ", ".join("?" * len(chunk))
            found.update((r.effect.id, r) for r in await self._select(f"WHERE id IN ({marks})", chunk))
        return found

    async def list(
        self, kind: str | None = None, status: str | None = None, target: str | None = None, limit: int = 100
    ) -> builtins.list[EffectRecord]:
        """The newest effects first, filtered: for the APIs that show deliveries and print jobs."""
        clauses, params = [], []
        for column, value in (("kind", kind), ("status", status), ("target", target)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)} " if clauses else ""
        return await self._select(f"{where}ORDER BY seq DESC LIMIT ?", [*params, limit])

    async def _select(self, tail: str, params: Sequence[Any]) -> builtins.list[EffectRecord]:
        def read() -> builtins.list[EffectRecord]:
            return [record_from_row(r) for r in self._read(f"SELECT {_COLUMNS} FROM effects {tail}", params)]

        return await asyncio.to_thread(read)

    def _read(self, query: str, params: Sequence[Any]) -> builtins.list[Any]:
        """A query on the kept reader (blocking: from a worker thread). One connection, kept: opening one
        costs ~200 µs of CPU against ~10 µs for the read itself, and a printer asks once per batch. Each
        SELECT is its own short read transaction (WAL), so the kept connection never holds back a
        checkpoint. The lock serialises the executor's threads."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = self._store.connect_reader()
            return self._reader.execute(query, params).fetchall()

    def close(self) -> None:
        """Close the kept reader (the store calls this as it closes)."""
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
