"""Integrator API tokens: random, shown once, stored hashed, revocable from heardctl while the daemon runs."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

INTEGRATION_TOKENS_DDL = (
    "CREATE TABLE IF NOT EXISTS integration_tokens ("
    " id TEXT PRIMARY KEY, name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
    " created_at TEXT NOT NULL, revoked_at TEXT)"
)
PREFIX = "hit_"


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    created_at: str
    revoked_at: str | None


def _hash(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IntegrationTokens:
    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._reader: sqlite3.Connection | None = None

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

    def verify(self, token: str) -> TokenRecord | None:
        """One indexed read per request, so a revoke from heardctl takes effect on the next request."""
        if not token.startswith(PREFIX):
            return None
        if self._reader is None:
            self._reader = self._connect()
        row = self._reader.execute(
            "SELECT id, name, created_at, revoked_at FROM integration_tokens WHERE token_hash = ?", (_hash(token),)
        ).fetchone()
        if row is None or row[3] is not None:
            return None
        return TokenRecord(*row)
