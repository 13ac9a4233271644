"""The database schema as peewee models, and the versioned migrations that create and change it.

peewee owns the schema; the hot path (the log writer) uses prepared sqlite3 statements on the same
tables, because the ORM spends more Python per row than the whole ingest budget allows.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import peewee
from playhouse.migrate import SqliteMigrator, migrate

log = logging.getLogger(__name__)

PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000, "foreign_keys": 1}

database = peewee.SqliteDatabase(None)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class EventRow(BaseModel):
    """The event log. `pos` is this device's cursor; (origin, seq) is the event's id everywhere."""

    pos = peewee.IntegerField(primary_key=True)
    origin = peewee.TextField()
    seq = peewee.IntegerField()
    wall_ms = peewee.IntegerField()
    counter = peewee.IntegerField()
    type = peewee.TextField()
    aggregate = peewee.TextField()
    aggregate_id = peewee.TextField()
    payload = peewee.TextField()
    actor = peewee.TextField()
    schema = peewee.IntegerField(default=1)

    class Meta:
        table_name = "events"
        indexes = (
            (("origin", "seq"), True),
            (("aggregate", "aggregate_id"), False),
            (("wall_ms", "counter"), False),  # added by migration 4
        )


class AggregateRow(BaseModel):
    """The projection: each aggregate's folded state, written in the same transaction as its events."""

    kind = peewee.TextField()
    id = peewee.TextField()
    state = peewee.TextField()
    pos = peewee.IntegerField()
    live = peewee.IntegerField(default=1)  # added by migration 3
    updated_ms = peewee.IntegerField(default=0)  # added by migration 3
    snapshot_pos = peewee.IntegerField(default=0)  # added by migration 5: `state` is the fold up to here

    class Meta:
        table_name = "aggregates"
        primary_key = peewee.CompositeKey("kind", "id")


class SkippedRow(BaseModel):
    """Events the fold of their aggregate passes over, and why (ARCHITECTURE §5: skipped and recorded,
    never raised). The aggregate's rows are replaced whenever it is folded again from its history."""

    origin = peewee.TextField()
    seq = peewee.IntegerField()
    code = peewee.TextField()
    reason = peewee.TextField()
    aggregate = peewee.TextField()  # added by migration 7
    aggregate_id = peewee.TextField()
    type = peewee.TextField()
    at_ms = peewee.IntegerField()  # when it was skipped (this device's clock)

    class Meta:
        table_name = "skipped_events"
        primary_key = peewee.CompositeKey("origin", "seq")
        indexes = ((("aggregate", "aggregate_id"), False),)


class EffectRow(BaseModel):
    """The effect journal (`daemon/store/journal.py`): side effects that must happen once, recorded in the
    transaction of the event that causes them, under an id derived from that cause."""

    seq = peewee.IntegerField(primary_key=True)  # creation order on this device
    id = peewee.TextField(unique=True)
    kind = peewee.TextField()
    target = peewee.TextField()
    order_key = peewee.TextField(default="")
    payload = peewee.TextField()
    status = peewee.TextField(default="pending")  # pending | done | failed | dropped
    attempts = peewee.IntegerField(default=0)
    next_attempt_ms = peewee.IntegerField()
    last_error = peewee.TextField(default="")
    created_ms = peewee.IntegerField()
    updated_ms = peewee.IntegerField()

    class Meta:
        table_name = "effects"
        indexes = ((("status", "kind", "target", "seq"), False),)


# Migrations spell out the DDL of their own version: the models above describe the newest schema only.
_V1_DDL = (
    "CREATE TABLE events (pos INTEGER PRIMARY KEY, origin TEXT NOT NULL, seq INTEGER NOT NULL,"
    " wall_ms INTEGER NOT NULL, counter INTEGER NOT NULL, type TEXT NOT NULL, aggregate TEXT NOT NULL,"
    " aggregate_id TEXT NOT NULL, payload TEXT NOT NULL, actor TEXT NOT NULL, schema INTEGER NOT NULL DEFAULT 1)",
    "CREATE UNIQUE INDEX events_origin_seq ON events (origin, seq)",
    "CREATE INDEX events_aggregate_aggregate_id ON events (aggregate, aggregate_id)",
    "CREATE TABLE aggregates (kind TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, pos INTEGER NOT NULL,"
    " PRIMARY KEY (kind, id))",
    "CREATE TABLE skipped_events (origin TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL,"
    " reason TEXT NOT NULL, PRIMARY KEY (origin, seq))",
)


def _m1_initial(db: peewee.SqliteDatabase) -> None:
    for statement in _V1_DDL:
        db.execute_sql(statement)


def _m2_integration_tokens(db: peewee.SqliteDatabase) -> None:
    from daemon.security.integration_tokens import INTEGRATION_TOKENS_DDL

    db.execute_sql(INTEGRATION_TOKENS_DDL)


def _m3_aggregate_liveness(db: peewee.SqliteDatabase) -> None:
    """Which aggregates start-up must load: live ones, and finished ones still within the retention."""
    migrator = SqliteMigrator(db)
    migrate(
        migrator.add_column("aggregates", "live", peewee.IntegerField(default=1)),
        migrator.add_column("aggregates", "updated_ms", peewee.IntegerField(default=0)),
        migrator.add_index("aggregates", ("live", "updated_ms")),
    )


def _m4_clock_index(db: peewee.SqliteDatabase) -> None:
    """Restoring the clock at start reads the newest stamp: from an index, not by scanning the log."""
    db.execute_sql("CREATE INDEX IF NOT EXISTS events_wall_ms_counter ON events (wall_ms, counter)")


def _m5_snapshots(db: peewee.SqliteDatabase) -> None:
    """The projection's state becomes a snapshot written every few events rather than on every one: the
    events after `snapshot_pos` are folded onto it when it is read. Every existing state is current."""
    db.execute_sql("ALTER TABLE aggregates ADD COLUMN snapshot_pos INTEGER NOT NULL DEFAULT 0")
    db.execute_sql("UPDATE aggregates SET snapshot_pos = pos")


def _m6_effects(db: peewee.SqliteDatabase) -> None:
    """The one journal of once-only side effects (printing, webhooks): ARCHITECTURE §5."""
    db.execute_sql(
        "CREATE TABLE effects (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
        " target TEXT NOT NULL, order_key TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL,"
        " status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,"
        " next_attempt_ms INTEGER NOT NULL, last_error TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,"
        " updated_ms INTEGER NOT NULL)"
    )
    # Workers read their pending effects in order; status pages filter by kind and status.
    db.execute_sql("CREATE INDEX effects_status_kind_target_seq ON effects (status, kind, target, seq)")


def _m7_skipped_by_aggregate(db: peewee.SqliteDatabase) -> None:
    """Skipped events name their aggregate, so a re-fold can replace that aggregate's verdicts (an event
    skipped because it arrived before its order's creation applies once the creation arrives). The
    table was never written before this version."""
    db.execute_sql("DROP TABLE skipped_events")
    db.execute_sql(
        "CREATE TABLE skipped_events (origin TEXT NOT NULL, seq INTEGER NOT NULL, code TEXT NOT NULL,"
        " reason TEXT NOT NULL, aggregate TEXT NOT NULL, aggregate_id TEXT NOT NULL, type TEXT NOT NULL,"
        " at_ms INTEGER NOT NULL, PRIMARY KEY (origin, seq))"
    )
    db.execute_sql("CREATE INDEX skipped_events_aggregate ON skipped_events (aggregate, aggregate_id)")


# Append only: a migration that has shipped is never edited; the index is the schema version.
MIGRATIONS: list[Callable[[peewee.SqliteDatabase], None]] = [
    _m1_initial,
    _m2_integration_tokens,
    _m3_aggregate_liveness,
    _m4_clock_index,
    _m5_snapshots,
    _m6_effects,
    _m7_skipped_by_aggregate,
]


class DatabaseCorrupt(RuntimeError):
    pass


def check_integrity(path: Path) -> str:
    """SQLite's own full check of the file: "ok", or what is wrong. It reads every page (seconds for a
    year of orders), so the store runs it in the background after start rather than before serving."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
    except sqlite3.DatabaseError as exc:  # a damaged page can stop the check itself
        return str(exc) or type(exc).__name__
    finally:
        conn.close()
    return "ok" if rows == [("ok",)] else "; ".join(str(r[0]) for r in rows)


def prepare(path: Path) -> int:
    """Open the file and run pending migrations; returns the schema version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    database.init(str(path), pragmas=PRAGMAS)
    database.connect(reuse_if_open=True)
    try:
        version = database.execute_sql("PRAGMA user_version").fetchone()[0]
        for index in range(version, len(MIGRATIONS)):
            with database.atomic():
                MIGRATIONS[index](database)
                database.execute_sql(f"PRAGMA user_version = {index + 1}")
            log.info("migrated database=%s version=%d", path, index + 1)
        return len(MIGRATIONS)
    finally:
        database.close()
