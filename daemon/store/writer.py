"""The one writer: a thread that owns the write connection and commits queued writes in groups.

Requests that arrive while a COMMIT is being fsynced wait in the queue and share the next one,
so durability (WAL, synchronous=FULL) costs one fsync per group rather than per request. Each
write's future is resolved only after the COMMIT that holds it, on the event loop, in queue order.

The writer is fail-stop: once a transaction fails (or the connection cannot be opened), it commits
nothing more. Every write already queued and every later one is refused, because each may have been
decided on a state that the failed write would have produced, and an acknowledged write must be
durable. The daemon then reports itself not ready, stops feeding the watchdog, and systemd restarts
it from the durable log.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from daemon.store.checkpointer import BACKSTOP_PAGES, Checkpointer

log = logging.getLogger(__name__)

INSERT_EVENT = (
    "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# A row with snapshot_pos > 0 carries a snapshot of the state; one with 0 only moves the aggregate's
# position, liveness and time, and keeps the snapshot it had (see Store._prepare for when each is written).
UPSERT_AGGREGATE = (
    "INSERT INTO aggregates (kind, id, state, snapshot_pos, pos, live, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(kind, id) DO UPDATE SET"
    " state = CASE WHEN excluded.snapshot_pos > 0 THEN excluded.state ELSE aggregates.state END,"
    " snapshot_pos = CASE WHEN excluded.snapshot_pos > 0 THEN excluded.snapshot_pos ELSE aggregates.snapshot_pos END,"
    " pos = excluded.pos, live = excluded.live, updated_ms = excluded.updated_ms"
)
INSERT_EFFECT = (
    "INSERT INTO effects (id, kind, target, order_key, payload, status, attempts, next_attempt_ms, last_error,"
    " created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING"
)
MAX_GROUP = 512
ROWS_PER_STATEMENT = 256  # at most; fewer if this SQLite binds fewer parameters (999 before 3.32)


def _many_rows(statement: str, columns: int, rows: int) -> str:
    """`statement` with `rows` value tuples: one step inserts them all. executemany steps once per row, and
    the sqlite3 module gives up and takes back the interpreter around every step, a hand-off with the
    event loop each time."""
    head, _, tail = statement.partition(" VALUES ")
    one = "(" + ", ".join("?" * columns) + ")"
    _, _, conflict = tail.partition(" ON CONFLICT")
    return f"{head} VALUES {', '.join([one] * rows)}" + (f" ON CONFLICT{conflict}" if conflict else "")


def _chunks(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    """The rows in as few statements as SQLite binds the parameters of."""
    per_statement = max(1, min(ROWS_PER_STATEMENT, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(rows[0])))
    return [rows[start : start + per_statement] for start in range(0, len(rows), per_statement)]


def _insert_chunk(conn: sqlite3.Connection, statement: str, chunk: list[tuple[Any, ...]]) -> sqlite3.Cursor:
    return conn.execute(_many_rows(statement, len(chunk[0]), len(chunk)), [v for row in chunk for v in row])


def _insert_all(conn: sqlite3.Connection, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert the rows in as few steps as SQLite allows."""
    if rows:
        for chunk in _chunks(conn, rows):
            _insert_chunk(conn, statement, chunk)


def _insert_effects(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """Insert effect rows (an id the journal holds already is left alone); the new ids, with their seqs.

    Not with RETURNING: the sqlite3 module steps once per returned row, and gives up and takes back
    the interpreter around every step, so each of a group's effects cost a hand-off with the event loop
    (the writer waiting for the interpreter while the loop, out of work, waited for the COMMIT).
    The new rows take consecutive seqs in the order given (a row id is the largest one plus one, and a
    conflict takes none), so the statement's change count and last row id say which seqs they took;
    only when some ids were there already (a re-fold, a replicated cause) is the journal asked which."""
    inserted: dict[str, int] = {}
    for chunk in _chunks(conn, rows):
        cursor = _insert_chunk(conn, INSERT_EFFECT, chunk)
        new, last = cursor.rowcount, cursor.lastrowid
        if new == len(chunk) and last is not None:
            first = last - new + 1
            inserted.update({row[0]: first + i for i, row in enumerate(chunk)})
        elif new > 0 and last is not None:
            found = conn.execute("SELECT seq, id FROM effects WHERE seq BETWEEN ? AND ?", (last - new + 1, last))
            inserted.update({eid: seq for seq, eid in found.fetchall()})
    return inserted


_NOTHING_INSERTED: dict[str, int] = {}  # replaced, never changed: the writer assigns a group's own dict
_NO_COUNTS: list[int] = []


class Write:
    """One request's rows, and what to do on the loop once they are durable (or refused).

    `effects` are rows of the effect journal recorded with the events (an id already there is left
    alone); `statements` change the journal (an effect's status). The writer fills in, before
    `on_commit(write)` runs, which effect ids were new (`inserted`, id -> journal seq) and how many rows
    each statement changed (`counts`). `on_refused(write)` runs, on the loop, when the write will never
    be stored, before its future says so: whatever happens to the request that awaits it (a cancelled
    request no longer hears of it). Both are handed the write rather than closing over it: a closure
    that held its own write would be a reference cycle per request, left for the tuned-down GC.
    A plain class with slots: one is built per request, and a dataclass's default factories cost more
    than the rest of it."""

    __slots__ = (
        "events",
        "aggregates",
        "on_commit",
        "on_refused",
        "effects",
        "statements",
        "inserted",
        "counts",
        "future",
    )

    def __init__(
        self,
        events: list[tuple[Any, ...]],
        aggregates: list[tuple[Any, ...]],
        on_commit: Callable[[Write], None],
        effects: list[tuple[Any, ...]] | None = None,
        statements: list[tuple[str, tuple[Any, ...]]] | None = None,
        on_refused: Callable[[Write], None] | None = None,
    ) -> None:
        self.events = events
        self.aggregates = aggregates
        self.on_commit = on_commit
        self.on_refused = on_refused
        self.effects: list[tuple[Any, ...]] = effects if effects is not None else []
        self.statements: list[tuple[str, tuple[Any, ...]]] = statements if statements is not None else []
        self.inserted = _NOTHING_INSERTED
        self.counts = _NO_COUNTS
        self.future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def refuse(self, reason: str) -> None:
        if self.on_refused is not None:
            try:
                self.on_refused(self)
            except Exception:  # the waiting request must hear of the refusal whatever the cleanup did
                log.exception("on_refused failed")
        if not self.future.done():
            self.future.set_exception(WriterFailed(reason))


class WriterFailed(RuntimeError):
    pass


def connect_for_writing(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class LogWriter:
    def __init__(self, path: Path, loop: asyncio.AbstractEventLoop) -> None:
        self._path = path
        self._loop = loop
        self._queue: queue.SimpleQueue[list[Write] | None] = queue.SimpleQueue()
        self._batch: list[Write] = []  # this loop turn's writes, handed over together
        self._thread = threading.Thread(target=self._run, name="heard-writer", daemon=True)
        self.checkpointer = Checkpointer(path)  # the log's checkpoints, off the COMMIT path
        self.failed: BaseException | None = None
        self._running = False  # from start() until the thread ends, however it ends
        self.groups = 0
        self.writes = 0

    def start(self) -> None:
        self._running = True
        self.checkpointer.start()
        self._thread.start()

    @property
    def healthy(self) -> bool:
        # A flag the thread clears as it ends, not Thread.is_alive(): that takes a lock, on every write.
        return self.failed is None and self._running

    def submit(self, write: Write) -> asyncio.Future[None]:
        if not self.healthy:
            reason = self.failed or "the writer thread is not running"
            write.refuse(f"the database refused a write earlier: {reason}")
        else:
            # Handed over once per loop turn: one wake-up of the writer thread (and one hand-off of the
            # interpreter) for every request the turn decided, not one each. Queued even if the writer
            # fails meanwhile: a failed writer keeps draining its queue and refuses each write, so no
            # future is ever left waiting.
            if not self._batch:
                self._loop.call_soon(self._hand_over)
            self._batch.append(write)
        return write.future

    def _hand_over(self) -> None:
        batch, self._batch = self._batch, []
        if batch:
            self._queue.put(batch)

    def refuse(self, reason: BaseException) -> None:
        """Refuse every write from now on (a check found the database unfit): the same fail-stop as a
        failed COMMIT."""
        self._fail(reason, "the database was found unfit")

    async def stop(self) -> None:
        if self._batch:  # this turn's writes go first: the stop marker must not overtake them
            self._hand_over()
        self._queue.put(None)
        await asyncio.to_thread(self._thread.join)
        await asyncio.to_thread(self.checkpointer.stop)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect_for_writing(self._path)
            conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")  # the checkpointer does the rest
        except BaseException as exc:  # noqa: BLE001 - a writer that cannot open must refuse, never hang
            self._fail(exc, "cannot open the database for writing")
        try:
            while True:
                group, stop = self._next_group()
                if group:
                    if self.failed is not None or conn is None:
                        self._loop.call_soon_threadsafe(_fail, group, self.failed)
                    else:
                        self._commit(conn, group)
                if stop:
                    return
        except BaseException as exc:  # noqa: BLE001 - anything unforeseen: refuse, and keep refusing
            self._fail(exc, "the writer thread failed")
            self._refuse_forever()
        finally:
            self._running = False
            if conn is not None:
                conn.close()

    def _next_group(self) -> tuple[list[Write], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        group = list(first)
        while len(group) < MAX_GROUP:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                return group, True
            group.extend(nxt)
        return group, False

    def _refuse_forever(self) -> None:
        while True:
            group, stop = self._next_group()
            if group:
                self._loop.call_soon_threadsafe(_fail, group, self.failed)
            if stop:
                return

    def _fail(self, exc: BaseException, what: str) -> None:
        if self.failed is None:
            self.failed = exc
            log.critical("%s error=%r; refusing every write from now on", what, exc)

    def _commit(self, conn: sqlite3.Connection, group: list[Write]) -> None:
        events = [row for w in group for row in w.events]
        aggregates = [row for w in group for row in w.aggregates]
        effects = [row for w in group for row in w.effects]
        try:
            conn.execute("BEGIN IMMEDIATE")
            _insert_all(conn, INSERT_EVENT, events)
            _insert_all(conn, UPSERT_AGGREGATE, aggregates)
            if effects:
                inserted = _insert_effects(conn, effects)
                for w in group:
                    w.inserted = inserted  # each write reads only its own ids from it
            for w in group:
                w.counts = [conn.execute(sql, params).rowcount for sql, params in w.statements]
            conn.execute("COMMIT")
        except BaseException as exc:  # noqa: BLE001 - every failure must reach the waiting requests
            self._fail(exc, f"commit failed writes={len(group)}")
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self._loop.call_soon_threadsafe(_fail, group, exc)
            return
        self.groups += 1
        self.writes += len(group)
        self.checkpointer.written()
        self._loop.call_soon_threadsafe(_resolve, group)


def _resolve(group: list[Write]) -> None:
    for write in group:
        try:
            write.on_commit(write)
        except Exception:  # a reaction must never lose the acknowledgement of a durable write
            log.exception("on_commit failed")
        if not write.future.done():
            write.future.set_result(None)


def _fail(group: list[Write], exc: BaseException | None) -> None:
    for write in group:
        write.refuse(str(exc))
