"""The store: committed state of every aggregate, and the one path by which it changes.

A command is decided and applied on the event loop against the newest state (including writes
still waiting for their COMMIT), stamped with (origin, seq, hlc), handed to the writer, and only
after the COMMIT does it become the committed state that reads and reactions see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from daemon.domain.codec import order_from_json, order_to_json
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER, SYSTEM, Actor, Change, Event, in_fold_order
from daemon.domain.floor import FLOOR, Floor, apply_floor, floor_from_json, floor_to_json
from daemon.domain.fold import apply as apply_order
from daemon.domain.hlc import HybridClock, Stamp
from daemon.domain.model import Order
from daemon.domain.notices import NOTICE, apply_notice, notices_from_json, notices_to_json
from daemon.domain.setup import SETUP, Setup, apply_setup, setup_from_json, setup_to_json
from daemon.domain.table_sync import TABLE_SYNCS, apply_syncs, syncs_from_json, syncs_to_json
from daemon.domain.tables import TABLE, TableState, apply_table, table_from_json, table_to_json
from daemon.domain.templates import TEMPLATES, apply_templates, book_from_json, book_to_json
from daemon.domain.timing_alerts import TIMING_ALERTS, alerts_from_json, alerts_to_json, apply_alerts
from daemon.domain.timing_config import TIMING_CONFIG, apply_config, config_from_json, config_to_json
from daemon.domain.webhooks import WEBHOOKS, apply_webhooks, webhooks_from_json, webhooks_to_json
from daemon.store.journal import Effect, Journal, Rule, effect_row
from daemon.store.known_ids import KnownIds
from daemon.store.merge import Merged, SortKey, merge
from daemon.store.order_index import OrderIndex
from daemon.store.schema import DatabaseCorrupt, check_integrity, prepare
from daemon.store.writer import LogWriter, Write, WriterFailed

log = logging.getLogger(__name__)

Key = tuple[str, str]
Decide = Callable[[Any], Change | Sequence[Change] | None]
Listener = Callable[[list[tuple[int, Event]], Mapping[Key, Any]], None]


@dataclass(frozen=True)
class AggregateKind:
    apply: Callable[[Any, Event], Any]
    to_json: Callable[[Any], dict[str, Any]]
    from_json: Callable[[Mapping[str, Any]], Any]
    live: Callable[[Any], bool] = lambda state: True  # finished aggregates may leave memory
    updated_ms: Callable[[Any], int] = lambda state: 0


KINDS: dict[str, AggregateKind] = {
    ORDER: AggregateKind(
        apply_order, order_to_json, order_from_json, live=lambda o: o.on_screen, updated_ms=lambda o: o.updated_ms
    ),
    SETUP: AggregateKind(apply_setup, setup_to_json, setup_from_json),
    WEBHOOKS: AggregateKind(apply_webhooks, webhooks_to_json, webhooks_from_json),
    FLOOR: AggregateKind(apply_floor, floor_to_json, floor_from_json),
    TABLE: AggregateKind(apply_table, table_to_json, table_from_json, updated_ms=lambda t: t.updated_ms),
    TEMPLATES: AggregateKind(apply_templates, book_to_json, book_from_json),
    TIMING_CONFIG: AggregateKind(apply_config, config_to_json, config_from_json),
    TABLE_SYNCS: AggregateKind(apply_syncs, syncs_to_json, syncs_from_json),
    TIMING_ALERTS: AggregateKind(apply_alerts, alerts_to_json, alerts_from_json),
    NOTICE: AggregateKind(apply_notice, notices_to_json, notices_from_json),
}
DEFAULT_RETENTION_MS = 24 * 3600 * 1000
# A snapshot of an aggregate's state is written every this many events, and whenever it stops being live
# (so an order that leaves memory is read back in one row). Between snapshots only the event is written:
# encoding the whole order on every event was a tenth of an order's cost.
SNAPSHOT_EVERY = 16
_EVENT_COLUMNS = "pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema"


class StoreUnavailable(HeardError):
    code = "STORE_UNAVAILABLE"
    status = 503


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


_ACTORS: dict[Actor, str] = {}  # an actor → its JSON: a POS's integration writes event after event
_ACTORS_MAX = 1024


def _actor_json(actor: Actor) -> str:
    found = _ACTORS.get(actor)
    if found is None:
        if len(_ACTORS) >= _ACTORS_MAX:
            _ACTORS.clear()
        found = _ACTORS[actor] = _dumps(actor.to_json())
    return found


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Store:
    def __init__(
        self,
        path: Path,
        origin: str,
        now_ms: Callable[[], int] = wall_clock_ms,
        retention_ms: int = DEFAULT_RETENTION_MS,
    ) -> None:
        self.path = path
        self.origin = origin
        self._now_ms = now_ms
        self.retention_ms = retention_ms
        self._committed: dict[Key, Any] = {}
        self._since_snapshot: dict[Key, int] = {}  # events of an aggregate written after its snapshot
        self._stored = KnownIds()  # every aggregate ever stored, in memory or not (maybe)
        self._pending: dict[Key, Any] = {}
        self._unflushed: dict[Key, list[Event]] = {}  # events of writes not yet committed, per aggregate
        self._last_sort: dict[Key, SortKey] = {}  # the last event each aggregate holds (those merges touched)
        self._versions: dict[str, int] = {}  # the highest seq held per origin: the version vector
        self.refolds = 0  # aggregates folded again from their history because an event arrived out of order
        self._listeners: list[Listener] = []
        self._orders = OrderIndex()
        self._writer: LogWriter | None = None
        self._next_seq = 1
        self._next_pos = 1
        self._clock = HybridClock(origin)
        self.schema_version = 0
        self.unreadable = 0  # stored states that could not be read back (shown by /readyz)
        self.integrity = "checking"  # SQLite's integrity_check, run in the background after open
        self._integrity_check: asyncio.Task[None] | None = None
        self.journal = Journal(self)
        self._reader: sqlite3.Connection | None = None  # ingest's reader (see _ingest_reader)

    # ---- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        self.schema_version = await asyncio.to_thread(prepare, self.path)
        await asyncio.to_thread(self._load)
        self._writer = LogWriter(self.path, asyncio.get_running_loop())
        self._writer.start()
        self._integrity_check = asyncio.create_task(self._check_integrity())
        log.info(
            "store open path=%s aggregates=%d next_seq=%d next_pos=%d",
            self.path,
            len(self._committed),
            self._next_seq,
            self._next_pos,
        )

    async def _check_integrity(self) -> None:
        """SQLite's full integrity check, in the background: a corrupt file makes the store fail-stop
        (every write 503, /readyz 503, the watchdog withheld) as soon as it is known."""
        self.integrity = await asyncio.to_thread(check_integrity, self.path)
        if self.integrity != "ok" and self._writer is not None:
            log.critical("database integrity check failed path=%s result=%.500s", self.path, self.integrity)
            self._writer.refuse(DatabaseCorrupt(f"{self.path}: integrity_check says {self.integrity[:500]}"))

    async def close(self) -> None:
        if self._integrity_check is not None:
            self._integrity_check.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._integrity_check
        if self._writer is not None:
            await self._writer.stop()
            self._writer = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self.journal.close()

    def _load(self) -> None:
        conn = sqlite3.connect(self.path)
        try:
            # The primary key's index covers (kind, id): the ids are read without reading any state.
            (count,) = conn.execute("SELECT COUNT(*) FROM aggregates").fetchone()
            self._stored = KnownIds(int(count))
            for kind, agg_id in conn.execute("SELECT kind, id FROM aggregates"):
                self._stored.add(kind, agg_id)
            since = self._now_ms() - self.retention_ms
            # Live aggregates, and finished ones within the retention: two index ranges (an OR of the
            # two made SQLite scan every stored state), then their events after each snapshot.
            wanted = (
                "SELECT kind, id, state, snapshot_pos FROM aggregates WHERE live = 1"
                " UNION ALL SELECT kind, id, state, snapshot_pos FROM aggregates WHERE live = 0 AND updated_ms >= ?"
            )
            snapshots = conn.execute(f"SELECT kind, id, state FROM ({wanted})", (since,))
            tails = conn.execute(
                f"WITH wanted AS ({wanted}) SELECT {', '.join('e.' + c.strip() for c in _EVENT_COLUMNS.split(','))}"
                " FROM wanted w CROSS JOIN events e ON e.aggregate = w.kind AND e.aggregate_id = w.id"
                " AND e.pos > w.snapshot_pos ORDER BY e.pos",
                (since,),
            )
            for key, state, count in _materialize(snapshots, tails):
                if state is _UNREADABLE:
                    self.unreadable += 1
                    continue
                self._remember(key, state)
                self._since_snapshot[key] = count
            self._versions = _version_vector(conn)
            self._next_seq = self._versions.get(self.origin, 0) + 1
            self._next_pos = int(conn.execute("SELECT COALESCE(MAX(pos), 0) FROM events").fetchone()[0]) + 1
            last = conn.execute(  # served by the events_wall_ms_counter index: no scan of the log
                "SELECT wall_ms, counter, origin FROM events ORDER BY wall_ms DESC, counter DESC LIMIT 1"
            ).fetchone()
            if last:
                self._clock = HybridClock(self.origin, Stamp(int(last[0]), int(last[1]), str(last[2])))
        finally:
            conn.close()

    def connect_reader(self) -> sqlite3.Connection:
        """A connection for small reads off the write path (integration tokens, log catch-up)."""
        conn = sqlite3.connect(self.path, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    def now_ms(self) -> int:
        return self._now_ms()

    @property
    def ready(self) -> bool:
        return self._writer is not None and self._writer.healthy

    @property
    def last_pos(self) -> int:
        return self._next_pos - 1

    # ---- reads (committed state only) ------------------------------------------------------

    def get(self, kind: str, agg_id: str) -> Any:
        return self._committed.get((kind, agg_id))

    def order(self, order_id: str) -> Order | None:
        state: Order | None = self._committed.get((ORDER, order_id))
        return state

    def orders(self) -> list[Order]:
        """Every order in memory (live ones, and finished ones within the retention)."""
        return self._orders.all()

    def orders_at_station(self, station_id: str, *, active_only: bool) -> list[Order]:
        """Orders with a ticket at the station (only an active one, if asked): read from an index."""
        return self._orders.at_station(station_id, active_only=active_only)

    def active_orders(self) -> list[Order]:
        """Orders whose status is pending, confirmed, preparing or ready."""
        return self._orders.active()

    def orders_the_clock_paces(self) -> list[Order]:
        """Open orders with a held course, or a coursed meal's unfinished course (clock_plan.needs_clock):
        what the kitchen clock visits every second, from an index, instead of every open order."""
        return self._orders.paced()

    def paced_among(self, order_ids: Iterable[str]) -> list[Order]:
        return self._orders.paced_among(order_ids)

    def orders_by_id(self) -> Mapping[str, Order]:
        """Every order held in memory, by id: the clock's lookup for the orders a table sync names."""
        return self._orders.by_id()

    def orders_on_screen(self) -> list[Order]:
        """Orders with some ticket still to bump."""
        return self._orders.on_screen()

    def order_of_item(self, item_id: str) -> str | None:
        """Which order holds an item: the kitchen API addresses items by their own id."""
        return self._orders.order_of_item(item_id)

    def orders_at_table(self, table_id: str) -> list[Order]:
        """The orders seated at a table now (assigned and not cleared), from an index: what coursing's
        table sync fires together. Usually one; a table whose party split the check may have several."""
        return self._orders.at_table(table_id)

    def floor(self, location_id: str) -> Floor:
        state: Floor | None = self._committed.get((FLOOR, location_id))
        return state or Floor()

    def table_state(self, table_id: str) -> TableState:
        state: TableState | None = self._committed.get((TABLE, table_id))
        return state or TableState(table_id)

    def setup(self, location_id: str) -> Setup:
        state: Setup | None = self._committed.get((SETUP, location_id))
        return state or Setup()

    async def working(self, kind: str, agg_id: str) -> Any:
        """The newest state, including writes not yet committed: what commands decide against.

        An aggregate that left memory (finished long ago) is read back from its projection off the
        event loop, so a retried create of an old order is still a conflict and a late update still
        finds it."""
        key = (kind, agg_id)
        if key in self._pending:
            return self._pending[key]
        state = self._committed.get(key)
        if state is not None or not self._stored.may_contain(kind, agg_id):
            return state
        loaded = await asyncio.to_thread(self._read_projection, key)
        # While we read, another request may have written or loaded it: the newest state wins.
        if key in self._pending:
            return self._pending[key]
        if key in self._committed:
            return self._committed[key]
        if loaded is not None:
            self._remember(key, loaded)
        return loaded

    async def load(self, kind: str, agg_id: str) -> Any:
        """The committed state, read from its projection off the loop if it left memory (not kept)."""
        state = self._committed.get((kind, agg_id))
        if state is None and self._stored.may_contain(kind, agg_id):
            state = await asyncio.to_thread(self._read_projection, (kind, agg_id))
        return state

    def _read_projection(self, key: Key) -> Any:
        """An aggregate's state from its snapshot and the events after it (blocking: run off the loop)."""
        conn = self.connect_reader()
        try:
            snapshots = conn.execute("SELECT kind, id, state FROM aggregates WHERE kind = ? AND id = ?", key)
            tails = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE aggregate = ? AND aggregate_id = ?"
                " AND pos > (SELECT snapshot_pos FROM aggregates WHERE kind = ? AND id = ?) ORDER BY pos",
                (*key, *key),
            )
            found = list(_materialize(snapshots, tails))
        finally:
            conn.close()
        if not found or found[0][1] is _UNREADABLE:
            return None
        return found[0][1]

    def _remember(self, key: Key, state: Any) -> None:
        self._committed[key] = state
        if isinstance(state, Order):
            self._orders.put(state)

    def evict(self) -> int:
        """Let finished aggregates older than the retention leave memory (they stay in the database):
        memory and start-up time follow the kitchen's live work, not the age of the device."""
        cutoff = self._now_ms() - self.retention_ms
        gone = [
            key
            for key, state in self._committed.items()
            if key not in self._pending and not KINDS[key[0]].live(state) and KINDS[key[0]].updated_ms(state) < cutoff
        ]
        for key in gone:
            state = self._committed.pop(key)
            self._since_snapshot.pop(key, None)
            self._last_sort.pop(key, None)
            if isinstance(state, Order):
                self._orders.drop(state)
        if gone:
            log.info("evicted finished aggregates count=%d in_memory=%d", len(gone), len(self._committed))
        return len(gone)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def add_rule(self, rule: Rule) -> None:
        """A rule of the effect journal: the effects each write causes, recorded in its transaction."""
        self.journal.add_rule(rule)

    # ---- the one write path ----------------------------------------------------------------

    async def execute(self, kind: str, agg_id: str, decide: Decide, actor: Actor = SYSTEM) -> tuple[Any, list[Event]]:
        """Decide against the newest state, apply, log, and return once durable.

        Fail-stop: a command refused by the domain (HeardError), or failing in any other way before it
        reaches the writer (an encoding error, a bug), leaves nothing behind — no pending state, no
        seq, pos or clock tick consumed. A write the database refuses is never acknowledged, and
        neither is any write queued behind it (StoreUnavailable, 503)."""
        key = (kind, agg_id)
        state = self._pending.get(key)
        if state is None:
            state = self._committed.get(key)
            if state is None and self._stored.may_contain(kind, agg_id):
                state = await self.working(kind, agg_id)  # it left memory: read it back, off the loop
        writer = self._check_writable()
        decided = decide(state)
        changes = [decided] if isinstance(decided, Change) else list(decided or ())
        if not changes:
            return state, []
        positioned, final, rows, agg_row, clock, effects, effect_rows = self._prepare(key, state, changes, actor)
        # Nothing above changed the store; from here on the write is ours until it commits or fails.
        self._since_snapshot[key] = 0 if agg_row[3] else self._since_snapshot.get(key, 0) + len(changes)
        self._next_seq = positioned[-1][1].seq + 1
        self._versions[self.origin] = positioned[-1][1].seq
        self._next_pos = positioned[-1][0] + 1
        self._clock = clock
        self._pending[key] = final
        events = [e for _, e in positioned]
        self._unflushed.setdefault(key, []).extend(events)
        if key in self._last_sort:  # a local event sorts after everything this device holds
            self._last_sort[key] = events[-1].sort_key
        created = state is None  # the filter of stored ids takes each id once, not once per write

        def on_commit(write: Write) -> None:
            if created:
                self._stored.add(*key)
            self._remember(key, final)
            self._forget_pending(key, final)
            self._flushed(key, events)
            self._publish(positioned, {key: final})
            if effects:
                self.journal.announce(effects, effect_rows, write.inserted)

        def on_refused(write: Write) -> None:
            self._forget_pending(key, final)
            self._flushed(key, events)

        write = Write(rows, [agg_row], on_commit, effect_rows, on_refused=on_refused)
        try:
            await writer.submit(write)
        except WriterFailed as exc:
            raise StoreUnavailable(f"the write was not stored: {exc}") from exc
        return final, [e for _, e in positioned]

    async def write_journal(
        self,
        effect_rows: list[tuple[Any, ...]],
        statements: list[tuple[str, tuple[Any, ...]]],
        effects: Sequence[Effect] = (),
    ) -> tuple[dict[str, int], list[int]]:
        """Journal rows and status changes that no event carries, through the one writer: durable when
        this returns. Returns the new effect ids (id -> seq) and the rows each statement changed. `effects`
        are the effects of `effect_rows`, in order, for the journal's subscribers."""
        writer = self._check_writable()

        def on_commit(write: Write) -> None:
            if effects:
                self.journal.announce(effects, effect_rows, write.inserted)

        write = Write([], [], on_commit, effect_rows, statements)
        try:
            await writer.submit(write)
        except WriterFailed as exc:
            raise StoreUnavailable(f"the journal change was not stored: {exc}") from exc
        return write.inserted, write.counts

    # ---- events from other devices -----------------------------------------------------------

    def version_vector(self) -> dict[str, int]:
        """The highest seq this device holds of each origin (its own writes still committing included)."""
        return dict(self._versions)

    async def ingest(self, events: Iterable[Event]) -> Ingested:
        """Events other devices made (already stamped), merged into the log and the state; returns once
        durable. An event this device holds already is ignored, and so is one that would leave a gap in its
        origin's seq (the caller pulls again from `version_vector()`): the log of every origin stays
        gapless. The clock moves past every stamp it takes, so the next local event sorts after them.
        An event that sorts before one its aggregate already holds re-folds that aggregate from its
        history; what the fold skips is recorded in `skipped_events`, replacing that aggregate's verdicts.
        Effects (printing, webhooks) are recorded as for local writes: their ids come from their cause,
        so a replicated event finds its effect already there.

        Everything up to the hand-over to the writer runs in one go on the loop, so no local write can
        decide between the merge and its pending state. Reading history for a re-fold, or an aggregate
        that left memory, is a short blocking read: this is the replication path, not a request's."""
        writer = self._check_writable()
        accepted, gaps = self._contiguous(events)
        if not accepted:
            return Ingested(0, gaps)
        now = self._now_ms()
        clock = self._clock.fork()
        # Logged in fold order: an aggregate whose events all arrive after what it holds then has its
        # log in the order it folds, so (like a local write) it needs no snapshot until the next is due.
        positioned = list(enumerate(in_fold_order(accepted), start=self._next_pos))
        by_key: dict[Key, list[tuple[int, Event]]] = {}
        for pos, event in positioned:
            clock.observe(event.stamp, now)
            by_key.setdefault((event.aggregate, event.aggregate_id), []).append((pos, event))
        merged: dict[Key, tuple[Any, Merged]] = {}
        agg_rows: list[tuple[Any, ...]] = []
        statements: list[tuple[str, tuple[Any, ...]]] = []
        effects: list[Effect] = []
        lasts = self._last_sorts([key for key in by_key if key[0] in KINDS])
        for key, arriving in by_key.items():
            self._merge_key(key, arriving, lasts.get(key), now, merged, agg_rows, statements, effects)
        rows = [self._event_row(e, p) for p, e in positioned]
        # Nothing above changed the store; from here on the write is ours until it commits or fails.
        self._next_pos = positioned[-1][0] + 1
        self._clock = clock
        for event in accepted:
            self._versions[event.origin] = event.seq
        self._next_seq = self._versions.get(self.origin, 0) + 1  # our own events, restored from a peer
        finals: dict[Key, Any] = {}
        snapshotted = {row[:2] for row in agg_rows if row[3]}
        for key, (_, result) in merged.items():
            self._last_sort[key] = result.last  # type: ignore[assignment]
            self._unflushed.setdefault(key, []).extend(e for _, e in by_key[key])
            if result.state is not None:
                self._pending[key] = finals[key] = result.state
                self._since_snapshot[key] = (
                    0 if key in snapshotted else self._since_snapshot.get(key, 0) + len(by_key[key])
                )

        def on_commit(write: Write) -> None:
            for key, state in finals.items():
                self._stored.add(*key)
                self._remember(key, state)
                self._forget_pending(key, state)
            for key in merged:
                self._flushed(key, [e for _, e in by_key[key]])
            self._publish(positioned, finals)
            if effects:
                self.journal.announce(effects, effect_rows, write.inserted)

        def on_refused(write: Write) -> None:
            for key, state in finals.items():
                self._forget_pending(key, state)
            for key in merged:
                self._flushed(key, [e for _, e in by_key[key]])

        effect_rows = [effect_row(e, now) for e in effects]
        write = Write(rows, agg_rows, on_commit, effect_rows, statements, on_refused=on_refused)
        try:
            await writer.submit(write)
        except WriterFailed as exc:
            raise StoreUnavailable(f"the events were not stored: {exc}") from exc
        return Ingested(len(accepted), gaps)

    def _merge_key(
        self,
        key: Key,
        arriving: list[tuple[int, Event]],
        last: SortKey | None,
        now: int,
        merged: dict[Key, tuple[Any, Merged]],
        agg_rows: list[tuple[Any, ...]],
        statements: list[tuple[str, tuple[Any, ...]]],
        effects: list[Effect],
    ) -> None:
        """Merge one aggregate's arriving events (a step of `ingest`), adding to what the write will hold."""
        kind = KINDS.get(key[0])
        if kind is None:  # a kind only a newer version knows: kept in the log (and passed on), not folded
            return
        before = self._current(key)
        events_of_key = [e for _, e in arriving]
        result = merge(kind.apply, before, last, events_of_key, partial(self._history, key))
        merged[key] = (before, result)
        self.refolds += result.refolded
        statements += _skip_statements(key, result, now)
        if result.state is None:  # nothing to fold yet (its creation has not arrived): only the log holds it
            return
        live, last_pos = bool(kind.live(result.state)), arriving[-1][0]
        # A snapshot as a local write takes one (see _prepare), and also whenever the log after the last
        # snapshot would not fold to this state in log order: after a re-fold, or past a skipped event.
        due = self._since_snapshot.get(key, 0) + len(arriving) >= SNAPSHOT_EVERY or not live or key[0] != ORDER
        if due or result.refolded or result.skipped:
            state_json = _dumps(kind.to_json(result.state))
            agg_rows.append((*key, state_json, last_pos, last_pos, int(live), kind.updated_ms(result.state)))
        else:
            agg_rows.append((*key, "", 0, last_pos, int(live), kind.updated_ms(result.state)))
        effects += self.journal.effects_of(key, before, result.state, events_of_key)

    def _contiguous(self, events: Iterable[Event]) -> tuple[list[Event], dict[str, int]]:
        """The events that continue each origin's gapless seq, in (origin, seq) order; and, for each origin
        whose events stopped at a gap, the seq that was missing."""
        accepted: list[Event] = []
        held: dict[str, int] = {}
        gaps: dict[str, int] = {}
        for event in sorted(events, key=lambda e: (e.origin, e.seq)):
            have = held.get(event.origin, self._versions.get(event.origin, 0))
            if event.seq <= have or event.origin in gaps:
                continue
            if event.seq != have + 1:
                gaps[event.origin] = have + 1
                continue
            accepted.append(event)
            held[event.origin] = event.seq
        return accepted, gaps

    def _current(self, key: Key) -> Any:
        state = self._pending.get(key)
        if state is None:
            state = self._committed.get(key)
        if state is None and self._stored.may_contain(*key):
            state = self._read_projection(key)
        return state

    def _last_sorts(self, keys: list[Key]) -> dict[Key, SortKey | None]:
        """The sort key of the last event each aggregate holds, committed or still committing: one read of
        the log for every aggregate of a batch not yet known in memory (a query each was a tenth of a
        catch-up)."""
        found: dict[Key, SortKey | None] = {}
        unknown: list[Key] = []
        for key in keys:
            if key in self._last_sort:
                found[key] = self._last_sort[key]
            else:
                unknown.append(key)
        logged: dict[Key, SortKey] = {}
        by_kind: dict[str, list[str]] = {}
        for kind, agg_id in unknown:
            by_kind.setdefault(kind, []).append(agg_id)
        conn = self._ingest_reader() if unknown else None
        for kind, ids in by_kind.items():
            assert conn is not None
            per_query = max(1, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1)
            for start in range(0, len(ids), per_query):
                chunk = ids[start : start + per_query]
                rows = conn.execute(  # one search of the (aggregate, aggregate_id) index per id
                    "SELECT aggregate_id, wall_ms, counter, origin, seq FROM events"
                    f" WHERE aggregate = ? AND aggregate_id IN ({', '.join('?' * len(chunk))})",
                    [kind, *chunk],
                )
                for agg_id, wall_ms, counter, origin, seq in rows:
                    sort = (int(wall_ms), int(counter), str(origin), int(seq))
                    key = (kind, agg_id)
                    if key not in logged or sort > logged[key]:
                        logged[key] = sort
        for key in unknown:
            keys_of = [e.sort_key for e in self._unflushed.get(key, ())]
            if key in logged:
                keys_of.append(logged[key])
            found[key] = max(keys_of, default=None)
        return found

    def _ingest_reader(self) -> sqlite3.Connection:
        """One reader connection kept for ingest, which runs on the loop: opening one per batch cost a
        connection's set-up on every replicated write."""
        if self._reader is None:
            self._reader = self.connect_reader()
        return self._reader

    def _history(self, key: Key) -> list[Event]:
        """Every event the aggregate holds: the log's, and those of writes still committing."""
        rows = (
            self._ingest_reader()
            .execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE aggregate = ? AND aggregate_id = ?", key)
            .fetchall()
        )
        return [*(_event_from_row(r) for r in rows), *self._unflushed.get(key, ())]

    def events_of_origin(self, origin: str, after_seq: int, limit: int = 1000) -> list[Event]:
        """An origin's committed events after a seq, in seq order: what a peer pulls (blocking: run it
        off the loop)."""
        conn = self.connect_reader()
        try:
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
                (origin, after_seq, limit),
            ).fetchall()
        finally:
            conn.close()
        return [_event_from_row(r) for r in rows]

    def skipped(self) -> list[tuple[str, int, str, str, str, str]]:
        """Events the fold passes over now: (origin, seq, aggregate, aggregate_id, code, reason)."""
        conn = self.connect_reader()
        try:
            return [
                tuple(r)
                for r in conn.execute(
                    "SELECT origin, seq, aggregate, aggregate_id, code, reason FROM skipped_events ORDER BY origin, seq"
                )
            ]
        finally:
            conn.close()

    def _check_writable(self) -> LogWriter:
        writer = self._writer
        if writer is None or not writer.healthy:
            raise StoreUnavailable("the database is not accepting writes; see the daemon log")
        return writer

    def _flushed(self, key: Key, events: list[Event]) -> None:
        left = self._unflushed.get(key)
        if left is None:
            return
        if left[: len(events)] == events:  # the usual case: a key's writes commit in the order they were made
            rest = left[len(events) :]
        else:
            done = {e.id for e in events}
            rest = [e for e in left if e.id not in done]
        if rest:
            self._unflushed[key] = rest
        else:
            del self._unflushed[key]

    def _forget_pending(self, key: Key, state: Any) -> None:
        """Each write removes only its own pending state: a newer one decided on it stays."""
        if self._pending.get(key) is state:
            del self._pending[key]

    def _prepare(
        self, key: Key, state: Any, changes: list[Change], actor: Actor
    ) -> tuple[
        list[tuple[int, Event]],
        Any,
        list[tuple[Any, ...]],
        tuple[Any, ...],
        HybridClock,
        list[Effect],
        list[tuple[Any, ...]],
    ]:
        """Stamp, apply and encode the changes, and find the effects they cause, without touching the
        store: it raises before any of its results is kept."""
        k = KINDS[key[0]]
        before = state
        clock = self._clock.fork()
        seq, pos = self._next_seq, self._next_pos
        positioned: list[tuple[int, Event]] = []
        now = self._now_ms()
        for change in changes:
            stamp = clock.tick(now)
            event = Event(
                self.origin, seq, stamp, change.type, change.aggregate, change.aggregate_id, change.payload, actor
            )
            state = k.apply(state, event)
            positioned.append((pos, event))
            seq += 1
            pos += 1
        rows = [self._event_row(e, p) for p, e in positioned]
        last_pos, live = positioned[-1][0], bool(k.live(state))
        if self._since_snapshot.get(key, 0) + len(changes) >= SNAPSHOT_EVERY or not live or key[0] != ORDER:
            agg_row = (*key, _dumps(k.to_json(state)), last_pos, last_pos, int(live), k.updated_ms(state))
        else:
            agg_row = (*key, "", 0, last_pos, int(live), k.updated_ms(state))
        effects = self.journal.effects_of(key, before, state, [e for _, e in positioned])
        return positioned, state, rows, agg_row, clock, effects, [effect_row(e, now) for e in effects]

    @staticmethod
    def _event_row(e: Event, pos: int) -> tuple[Any, ...]:
        return (
            pos,
            e.origin,
            e.seq,
            e.stamp.wall_ms,
            e.stamp.counter,
            e.type,
            e.aggregate,
            e.aggregate_id,
            _dumps(e.payload),
            _actor_json(e.actor),
            e.schema,
        )

    def _publish(self, events: list[tuple[int, Event]], states: Mapping[Key, Any]) -> None:
        for listener in self._listeners:
            try:
                listener(events, states)
            except Exception:
                log.exception("listener failed listener=%r", listener)

    # ---- the log, for catch-up, replay and replication -------------------------------------

    def read_log(self, after_pos: int, limit: int = 1000) -> list[tuple[int, Event]]:
        """Events after a cursor, in log order (blocking; call from a thread for big reads)."""
        conn = sqlite3.connect(self.path)
        try:
            rows = conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE pos > ? ORDER BY pos LIMIT ?",
                (after_pos, limit),
            ).fetchall()
        finally:
            conn.close()
        return [(r[0], _event_from_row(r)) for r in rows]


def _event_from_row(r: Sequence[Any]) -> Event:
    return Event(
        origin=r[1],
        seq=r[2],
        stamp=Stamp(r[3], r[4], r[1]),
        type=r[5],
        aggregate=r[6],
        aggregate_id=r[7],
        payload=orjson.loads(r[8]),
        actor=Actor.from_json(orjson.loads(r[9])),
        schema=r[10],
    )


@dataclass(frozen=True)
class Ingested:
    """What `Store.ingest` took: how many events were new, and per origin the first seq it still lacks
    where a batch had a gap."""

    accepted: int
    gaps: Mapping[str, int]


_RECORD_SKIP = (
    "INSERT OR REPLACE INTO skipped_events (origin, seq, code, reason, aggregate, aggregate_id, type, at_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _skip_statements(key: Key, merged: Merged, now_ms: int) -> list[tuple[str, tuple[Any, ...]]]:
    statements: list[tuple[str, tuple[Any, ...]]] = []
    if merged.refolded:
        statements.append(("DELETE FROM skipped_events WHERE aggregate = ? AND aggregate_id = ?", key))
    for skip in merged.skipped:
        e = skip.event
        log.warning(
            "skipping an event at its place origin=%s seq=%d type=%s aggregate=%s id=%.80s code=%s",
            e.origin,
            e.seq,
            e.type,
            *key,
            skip.code,
        )
        statements.append(
            (
                _RECORD_SKIP,
                (e.origin, e.seq, skip.code, skip.reason[:500], *key, e.type, now_ms),
            )
        )
    return statements


def _version_vector(conn: sqlite3.Connection) -> dict[str, int]:
    """The highest seq per origin, from the (origin, seq) index: a step per origin, not a scan of the log
    (a GROUP BY reads every entry of the index)."""
    versions: dict[str, int] = {}
    origin = conn.execute("SELECT MIN(origin) FROM events").fetchone()[0]
    while origin is not None:
        versions[origin] = int(conn.execute("SELECT MAX(seq) FROM events WHERE origin = ?", (origin,)).fetchone()[0])
        origin = conn.execute("SELECT MIN(origin) FROM events WHERE origin > ?", (origin,)).fetchone()[0]
    return versions


_UNREADABLE = object()


def _materialize(snapshots: Iterable[Sequence[Any]], tails: Iterable[Sequence[Any]]) -> Iterator[tuple[Key, Any, int]]:
    """Each aggregate's state: its snapshot (kind, id, state JSON or '') with its tail of events (rows in
    pos order) applied, and how many events that was. The tail is applied in log order, which is the
    order the live path applied them in. A state that cannot be read yields _UNREADABLE: one bad record
    must not keep the kitchen from starting."""
    states: dict[Key, Any] = {}
    for kind, agg_id, state in snapshots:
        if kind not in KINDS:
            continue
        key = (kind, agg_id)
        try:
            states[key] = KINDS[kind].from_json(orjson.loads(state)) if state else None
        except Exception:
            log.exception("skipping an unreadable stored state kind=%s id=%.80s", kind, agg_id)
            states[key] = _UNREADABLE
    counts = dict.fromkeys(states, 0)
    for row in tails:
        event = _event_from_row(row)
        key = (event.aggregate, event.aggregate_id)
        if key not in states or states[key] is _UNREADABLE:
            continue
        try:
            states[key] = KINDS[key[0]].apply(states[key], event)
        except Exception:
            log.exception("skipping an aggregate whose log cannot be folded kind=%s id=%.80s", *key)
            states[key] = _UNREADABLE
            continue
        counts[key] += 1
    for key, state in states.items():
        if state is not None:
            yield key, state, counts[key]
