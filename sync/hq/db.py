"""heard-hq's database: one schema for PostgreSQL (real use) and SQLite (a trial), through SQLAlchemy Core.

SQLAlchemy Core, not peewee: the same `INSERT ... ON CONFLICT DO NOTHING` and `SELECT ... FOR UPDATE`
spelled once for both databases, URLs in the form operators already write (`postgresql://`,
`sqlite:///`), and batched inserts ("insertmanyvalues") on both drivers. No ORM: headquarters only
appends events and updates a few report rows.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "sqlite:///heard-hq.db"  # a file in the current folder: the embedded trial

metadata = sa.MetaData()

events = sa.Table(
    "hq_events",
    metadata,
    sa.Column("origin", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("location_id", sa.String(200), nullable=False),
    sa.Column("wall_ms", sa.BigInteger, nullable=False),
    sa.Column("counter", sa.BigInteger, nullable=False),
    sa.Column("type", sa.String(200), nullable=False),
    sa.Column("aggregate", sa.String(200), nullable=False),
    sa.Column("aggregate_id", sa.String(200), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("schema", sa.Integer, nullable=False),
    sa.Column("received_ms", sa.BigInteger, nullable=False),
    sa.Index("hq_events_aggregate", "location_id", "aggregate", "aggregate_id"),
)

credentials = sa.Table(
    "hq_credentials",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # location | reader
    sa.Column("location_id", sa.String(200), nullable=True),  # the device credential's location
    sa.Column("secret_hash", sa.String(64), nullable=False),  # sha256 of the random secret, hex
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("revoked_ms", sa.BigInteger, nullable=True),
)

# Report tables: updated in the transaction that stores the events, read by the reports API.
origins = sa.Table(
    "hq_origins",
    metadata,
    sa.Column("origin", sa.String(200), primary_key=True),
    sa.Column("location_id", sa.String(200), nullable=False, index=True),
    sa.Column("events", sa.BigInteger, nullable=False),
    sa.Column("max_seq", sa.BigInteger, nullable=False),
    sa.Column("last_event_ms", sa.BigInteger, nullable=False),
)

orders = sa.Table(
    "hq_orders",
    metadata,
    sa.Column("location_id", sa.String(200), primary_key=True),
    sa.Column("order_id", sa.String(200), primary_key=True),
    sa.Column("created_ms", sa.BigInteger, nullable=True),  # null until its creation arrived
    sa.Column("status", sa.String(40), nullable=True),
    sa.Column("channel", sa.String(40), nullable=True),
    sa.Column("canceled", sa.Boolean, nullable=False, default=False),
    sa.Column("folded_events", sa.Integer, nullable=False, default=0),
    sa.Index("hq_orders_created", "location_id", "created_ms"),
)

tickets = sa.Table(
    "hq_tickets",
    metadata,
    sa.Column("location_id", sa.String(200), primary_key=True),
    sa.Column("order_id", sa.String(200), primary_key=True),
    sa.Column("ticket_id", sa.String(200), primary_key=True),
    sa.Column("station_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("bumped_ms", sa.BigInteger, nullable=True),  # last bump; cleared by a recall
    sa.Column("recalled", sa.Boolean, nullable=False),
    sa.Index("hq_tickets_created", "location_id", "created_ms"),
)

# Course pacing (migration 2): one row per course of an order, from the order's fold; `late_minutes` is the
# domain's own timing status at the moment the course was ready (daemon/domain/pacing.py).
courses = sa.Table(
    "hq_courses",
    metadata,
    sa.Column("location_id", sa.String(200), primary_key=True),
    sa.Column("order_id", sa.String(200), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("order_created_ms", sa.BigInteger, nullable=False),
    sa.Column("fired_ms", sa.BigInteger, nullable=True),
    sa.Column("ready_ms", sa.BigInteger, nullable=True),
    sa.Column("late_minutes", sa.Integer, nullable=True),  # null: on time, or not ready yet
    sa.Index("hq_courses_created", "location_id", "order_created_ms"),
)

# Timing alerts the kitchen clock raised (alert.raised): one row per alert id, as the domain's fold keeps one.
alerts = sa.Table(
    "hq_alerts",
    metadata,
    sa.Column("location_id", sa.String(200), primary_key=True),
    sa.Column("alert_id", sa.String(200), primary_key=True),
    sa.Column("level", sa.String(40), nullable=False),
    sa.Column("order_id", sa.String(200), nullable=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Index("hq_alerts_created", "location_id", "created_ms"),
)

# Table turns: every table.cleared event that ended a seating carries its turn (daemon/domain/tables.py).
turns = sa.Table(
    "hq_turns",
    metadata,
    sa.Column("origin", sa.String(200), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("location_id", sa.String(200), nullable=False),
    sa.Column("table_id", sa.String(200), nullable=False),
    sa.Column("seated_ms", sa.BigInteger, nullable=False),
    sa.Column("cleared_ms", sa.BigInteger, nullable=False),
    sa.Column("party_size", sa.Integer, nullable=True),
    sa.Column("section", sa.String(200), nullable=True),
    sa.Column("subtotal", sa.Float, nullable=True),
    sa.Index("hq_turns_cleared", "location_id", "cleared_ms"),
)

schema_version = sa.Table(
    "hq_schema_version",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
)


def _m1_initial(conn: Connection) -> None:
    for table in (events, credentials, origins, orders, tickets):
        table.create(conn)


def _m2_pacing_alerts_turns(conn: Connection) -> None:
    for table in (courses, alerts, turns):
        table.create(conn)


# Append only: a migration that has shipped is never edited; its index + 1 is the schema version.
MIGRATIONS: list[Callable[[Connection], None]] = [_m1_initial, _m2_pacing_alerts_turns]


def database_url(text: str) -> URL:
    """An SQLAlchemy URL; `postgresql://` means psycopg 3 (the one PostgreSQL driver we install)."""
    url = make_url(text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if url.drivername not in ("postgresql+psycopg", "sqlite", "sqlite+pysqlite"):
        raise ValueError(f"unsupported database {url.drivername!r}: use postgresql://... or sqlite:///path")
    return url


def make_engine(text: str) -> Engine:
    url = database_url(text)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        # pysqlite's own transaction handling begins late (at the first write) and never IMMEDIATE: take the
        # write lock at BEGIN, so two heard-hq processes on one file queue instead of failing to upgrade.
        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=FULL")
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)


def is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def migrate(engine: Engine) -> int:
    """Run pending migrations; several processes starting at once take turns (an advisory lock on
    PostgreSQL, the write lock on SQLite). Returns the schema version."""
    with engine.begin() as conn:
        if is_postgres(conn):
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(424242)")
        schema_version.create(conn, checkfirst=True)
        row = conn.execute(sa.select(schema_version.c.version).where(schema_version.c.id == 1)).first()
        version = int(row[0]) if row else 0
        for index in range(version, len(MIGRATIONS)):
            MIGRATIONS[index](conn)
            log.info("migrated heard-hq database to version %d", index + 1)
        if row is None:
            conn.execute(schema_version.insert().values(id=1, version=len(MIGRATIONS)))
        elif version < len(MIGRATIONS):
            conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=len(MIGRATIONS)))
    return len(MIGRATIONS)
