"""The ingest's statements, written for each database's driver: a batch is a handful of statements, never a
statement (or a round trip) per event.

The reports and everything else go through SQLAlchemy Core; the ingest's hot path does not. Measured on a
batch of 500 order creations, SQLAlchemy's parameter handling and psycopg's parsing of the long multi-row
statements it generates (too long for psycopg's statement cache) took more time than PostgreSQL did. Here:

* PostgreSQL: every multi-row statement takes its rows as one array per column and reads them back with
  `unnest(...)`: one statement, one round trip, parameters dumped by psycopg's C code, the same statement text
  every time (prepared once per connection).
* SQLite: `executemany` on the driver's own cursor, under the write lock that `BEGIN IMMEDIATE` took, so a
  read of which events exist followed by plain inserts is exact.

Both run inside the transaction SQLAlchemy opened (`engine.begin()`), on its connection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from sync.hq.db import is_postgres

EVENT_COLUMNS = (
    "origin",
    "seq",
    "location_id",
    "wall_ms",
    "counter",
    "type",
    "aggregate",
    "aggregate_id",
    "payload",
    "actor",
    "schema",
    "received_ms",
)
EVENT_TYPES = ("text", "int8", "text", "int8", "int8", "text", "text", "text", "text", "text", "int4", "int8")
TICKET_COLUMNS = (
    "location_id",
    "order_id",
    "ticket_id",
    "station_id",
    "channel",
    "status",
    "created_ms",
    "bumped_ms",
    "recalled",
)
TICKET_TYPES = ("text", "text", "text", "text", "text", "text", "int8", "int8", "bool")
COURSE_COLUMNS = (
    "location_id",
    "order_id",
    "number",
    "status",
    "order_created_ms",
    "fired_ms",
    "ready_ms",
    "late_minutes",
)
COURSE_TYPES = ("text", "text", "int4", "text", "int8", "int8", "int8", "int4")
ALERT_COLUMNS = ("location_id", "alert_id", "level", "order_id", "created_ms")
ALERT_TYPES = ("text", "text", "text", "text", "int8")
TURN_COLUMNS = (
    "origin",
    "seq",
    "location_id",
    "table_id",
    "seated_ms",
    "cleared_ms",
    "party_size",
    "section",
    "subtotal",
)
TURN_TYPES = ("text", "int8", "text", "text", "int8", "int8", "int4", "text", "float8")
# (order_id, created_ms, status, channel, canceled, folded_events): what the fold sets on an order's row.
ORDER_UPDATE_TYPES = ("text", "int8", "text", "text", "bool", "int4")
HISTORY_COLUMNS = "origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema"

Row = tuple[Any, ...]


class BatchSql(Protocol):
    def insert_new_events(self, rows: Sequence[Row]) -> set[tuple[str, int]]:
        """Insert the events headquarters does not hold (rows in EVENT_COLUMNS order, sorted by id);
        returns the ids that were new."""

    def insert_new_orders(self, location_id: str, rows: Sequence[Row]) -> set[str]:
        """Insert the orders' rows (ORDER_UPDATE_TYPES order, sorted by id) where there is none yet; returns
        the ids whose row this call made (orders new to headquarters)."""

    def lock_and_read_history(self, location_id: str, order_ids: Sequence[str]) -> list[Row]:
        """Lock the orders' rows (in id order) and read every event held of them (HISTORY_COLUMNS)."""

    def replace_rows(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        location_id: str,
        cleared: Sequence[str],
        rows: Sequence[Row],
    ) -> None:
        """Delete the rows of the `cleared` orders from `table` (tickets, courses), then insert `rows`."""

    def insert_ignoring(self, table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Row]) -> None:
        """Insert rows whose key is not there yet (alerts, turns: facts that arrive once or again)."""

    def location_history(self, location_id: str, aggregates: Sequence[str]) -> list[Row]:
        """Every event held of these location-wide aggregates (HISTORY_COLUMNS): templates, timing config."""

    def update_orders(self, location_id: str, rows: Sequence[Row]) -> None:
        """Set what the fold found on each order's row (ORDER_UPDATE_TYPES order)."""

    def count_origins(self, location_id: str, rows: Sequence[tuple[str, int, int, int]]) -> None:
        """Add (origin, new events, max seq, last wall_ms) to each origin's counters."""

    def max_seqs(self, names: Sequence[str]) -> dict[str, int]:
        """The highest seq headquarters holds of each origin."""


def for_connection(conn: Connection) -> BatchSql:
    driver = conn.connection.driver_connection
    return PostgresBatch(driver) if is_postgres(conn) else SqliteBatch(driver)


def _columns(rows: Sequence[Row], width: int) -> list[list[Any]]:
    return [[row[i] for row in rows] for i in range(width)] if rows else [[] for _ in range(width)]


def _unnest(types: Iterable[str]) -> str:
    return ", ".join(f"%b::{t}[]" for t in types)


class PostgresBatch:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def _all(self, sql: str, params: Sequence[Any]) -> list[Row]:
        with self.driver.cursor() as cur:
            cur.execute(sql, params, prepare=True)
            return list(cur.fetchall()) if cur.description else []

    def insert_new_events(self, rows: Sequence[Row]) -> set[tuple[str, int]]:
        if not rows:
            return set()
        sql = (
            f"INSERT INTO hq_events ({', '.join(EVENT_COLUMNS)}) SELECT * FROM unnest({_unnest(EVENT_TYPES)})"
            " ON CONFLICT (origin, seq) DO NOTHING RETURNING origin, seq"
        )
        return {(str(o), int(s)) for o, s in self._all(sql, _columns(rows, len(EVENT_COLUMNS)))}

    def insert_new_orders(self, location_id: str, rows: Sequence[Row]) -> set[str]:
        if not rows:
            return set()
        sql = (
            "INSERT INTO hq_orders (location_id, order_id, created_ms, status, channel, canceled, folded_events)"
            " SELECT %s, v.* FROM unnest("
            f"{_unnest(ORDER_UPDATE_TYPES)}) AS v(order_id, created_ms, status, channel, canceled, folded_events)"
            " ORDER BY v.order_id ON CONFLICT DO NOTHING RETURNING order_id"
        )
        return {str(r[0]) for r in self._all(sql, [location_id, *_columns(rows, len(ORDER_UPDATE_TYPES))])}

    def lock_and_read_history(self, location_id: str, order_ids: Sequence[str]) -> list[Row]:
        if not order_ids:
            return []
        ids = sorted(order_ids)
        self._all(
            "SELECT order_id FROM hq_orders WHERE location_id = %s AND order_id = ANY(%b::text[])"
            " ORDER BY order_id FOR UPDATE",
            [location_id, ids],
        )
        return self._all(
            f"SELECT {HISTORY_COLUMNS} FROM hq_events WHERE location_id = %s AND aggregate = 'order'"
            " AND aggregate_id = ANY(%b::text[])",
            [location_id, ids],
        )

    def replace_rows(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        location_id: str,
        cleared: Sequence[str],
        rows: Sequence[Row],
    ) -> None:
        if cleared:
            self._all(
                f"DELETE FROM {table} WHERE location_id = %s AND order_id = ANY(%b::text[])",
                [location_id, sorted(cleared)],
            )
        if rows:
            self._all(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({_unnest(types)})",
                _columns(rows, len(columns)),
            )

    def insert_ignoring(self, table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Row]) -> None:
        if rows:
            self._all(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({_unnest(types)})"
                " ON CONFLICT DO NOTHING",
                _columns(rows, len(columns)),
            )

    def location_history(self, location_id: str, aggregates: Sequence[str]) -> list[Row]:
        return self._all(
            f"SELECT {HISTORY_COLUMNS} FROM hq_events WHERE location_id = %s AND aggregate = ANY(%b::text[])"
            " AND aggregate_id = %s",
            [location_id, list(aggregates), location_id],
        )

    def update_orders(self, location_id: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self._all(
            "UPDATE hq_orders AS o SET created_ms = v.created_ms, status = v.status, channel = v.channel,"
            " canceled = v.canceled, folded_events = v.folded_events"
            f" FROM unnest({_unnest(ORDER_UPDATE_TYPES)})"
            " AS v(order_id, created_ms, status, channel, canceled, folded_events)"
            " WHERE o.location_id = %s AND o.order_id = v.order_id",
            [*_columns(rows, len(ORDER_UPDATE_TYPES)), location_id],
        )

    def count_origins(self, location_id: str, rows: Sequence[tuple[str, int, int, int]]) -> None:
        if not rows:
            return
        self._all(
            "INSERT INTO hq_origins (origin, location_id, events, max_seq, last_event_ms)"
            " SELECT o, %s, n, m, w FROM unnest(%b::text[], %b::int8[], %b::int8[], %b::int8[]) AS v(o, n, m, w)"
            " ORDER BY o ON CONFLICT (origin) DO UPDATE SET events = hq_origins.events + excluded.events,"
            " max_seq = GREATEST(hq_origins.max_seq, excluded.max_seq),"
            " last_event_ms = GREATEST(hq_origins.last_event_ms, excluded.last_event_ms)",
            [location_id, *_columns(sorted(rows), 4)],
        )

    def max_seqs(self, names: Sequence[str]) -> dict[str, int]:
        if not names:
            return {}
        rows = self._all("SELECT origin, max_seq FROM hq_origins WHERE origin = ANY(%b::text[])", [list(names)])
        return {str(o): int(s) for o, s in rows}


class SqliteBatch:
    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def insert_new_events(self, rows: Sequence[Row]) -> set[tuple[str, int]]:
        if not rows:
            return set()
        bounds: dict[str, tuple[int, int]] = {}
        for row in rows:
            low, high = bounds.get(row[0], (row[1], row[1]))
            bounds[row[0]] = (min(low, row[1]), max(high, row[1]))
        held: set[tuple[str, int]] = set()
        for origin, (low, high) in bounds.items():
            cur = self.driver.execute(
                "SELECT seq FROM hq_events WHERE origin = ? AND seq BETWEEN ? AND ?", (origin, low, high)
            )
            held.update((origin, int(s)) for (s,) in cur)
        new = [row for row in rows if (row[0], row[1]) not in held]
        marks = ", ".join("?" for _ in EVENT_COLUMNS)
        self.driver.executemany(f"INSERT INTO hq_events ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})", new)
        return {(row[0], row[1]) for row in new}

    def _existing_orders(self, location_id: str, order_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = list(order_ids)
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            marks = ", ".join("?" for _ in chunk)
            cur = self.driver.execute(
                f"SELECT order_id FROM hq_orders WHERE location_id = ? AND order_id IN ({marks})", (location_id, *chunk)
            )
            found.update(str(r[0]) for r in cur)
        return found

    def insert_new_orders(self, location_id: str, rows: Sequence[Row]) -> set[str]:
        held = self._existing_orders(location_id, [row[0] for row in rows])
        new = [row for row in rows if row[0] not in held]
        self.driver.executemany(
            "INSERT INTO hq_orders (location_id, order_id, created_ms, status, channel, canceled, folded_events)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(location_id, *row) for row in new],
        )
        return {row[0] for row in new}

    def lock_and_read_history(self, location_id: str, order_ids: Sequence[str]) -> list[Row]:
        # The write lock (BEGIN IMMEDIATE) is the lock: no other writer runs until this one commits.
        out: list[Row] = []
        ids = sorted(order_ids)
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            marks = ", ".join("?" for _ in chunk)
            cur = self.driver.execute(
                f"SELECT {HISTORY_COLUMNS} FROM hq_events WHERE location_id = ? AND aggregate = 'order'"
                f" AND aggregate_id IN ({marks})",
                (location_id, *chunk),
            )
            out.extend(cur.fetchall())
        return out

    def replace_rows(
        self,
        table: str,
        columns: Sequence[str],
        types: Sequence[str],
        location_id: str,
        cleared: Sequence[str],
        rows: Sequence[Row],
    ) -> None:
        self.driver.executemany(
            f"DELETE FROM {table} WHERE location_id = ? AND order_id = ?", [(location_id, o) for o in cleared]
        )
        marks = ", ".join("?" for _ in columns)
        self.driver.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def insert_ignoring(self, table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Row]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.driver.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows
        )

    def location_history(self, location_id: str, aggregates: Sequence[str]) -> list[Row]:
        marks = ", ".join("?" for _ in aggregates)
        cur = self.driver.execute(
            f"SELECT {HISTORY_COLUMNS} FROM hq_events WHERE location_id = ? AND aggregate IN ({marks})"
            " AND aggregate_id = ?",
            (location_id, *aggregates, location_id),
        )
        return list(cur.fetchall())

    def update_orders(self, location_id: str, rows: Sequence[Row]) -> None:
        self.driver.executemany(
            "UPDATE hq_orders SET created_ms = ?, status = ?, channel = ?, canceled = ?, folded_events = ?"
            " WHERE location_id = ? AND order_id = ?",
            [(*row[1:], location_id, row[0]) for row in rows],
        )

    def count_origins(self, location_id: str, rows: Sequence[tuple[str, int, int, int]]) -> None:
        self.driver.executemany(
            "INSERT INTO hq_origins (origin, location_id, events, max_seq, last_event_ms) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (origin) DO UPDATE SET events = events + excluded.events,"
            " max_seq = MAX(max_seq, excluded.max_seq), last_event_ms = MAX(last_event_ms, excluded.last_event_ms)",
            [(o, location_id, n, m, w) for o, n, m, w in sorted(rows)],
        )

    def max_seqs(self, names: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in names:
            row = self.driver.execute("SELECT max_seq FROM hq_origins WHERE origin = ?", (name,)).fetchone()
            if row is not None:
                out[name] = int(row[0])
        return out
