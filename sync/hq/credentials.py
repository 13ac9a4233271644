"""Credentials of headquarters: a device credential per location (uploads) and reader credentials (reports).

A credential is `hq_<id>_<secret>`: the id finds the row, the secret is random (32 bytes) and only its
SHA-256 is stored. A slow password hash buys nothing for 256 random bits, and every upload checks one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.hq.db import credentials

LOCATION = "location"
READER = "reader"


@dataclass(frozen=True)
class Credential:
    id: str
    kind: str  # location | reader
    location_id: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(engine: Engine, kind: str, location_id: str | None = None) -> tuple[Credential, str]:
    """A new credential and its token (shown once)."""
    cred_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            credentials.insert().values(
                id=cred_id,
                kind=kind,
                location_id=location_id,
                secret_hash=_hash(secret),
                created_ms=time.time_ns() // 1_000_000,
                revoked_ms=None,
            )
        )
    return Credential(cred_id, kind, location_id), f"hq_{cred_id}_{secret}"


def revoke(engine: Engine, ref: str) -> int:
    """Revoke by credential id (or by the whole token); returns how many were revoked."""
    cred_id = _split(ref)[0] if ref.startswith("hq_") else ref
    with engine.begin() as conn:
        result = conn.execute(
            credentials.update()
            .where(credentials.c.id == cred_id, credentials.c.revoked_ms.is_(None))
            .values(revoked_ms=time.time_ns() // 1_000_000)
        )
    return int(result.rowcount or 0)


def listing(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(credentials).order_by(credentials.c.created_ms)).mappings().all()
    return [{k: v for k, v in row.items() if k != "secret_hash"} for row in rows]


def _split(token: str) -> tuple[str, str]:
    _, cred_id, secret = (token.split("_", 2) + ["", ""])[:3]
    return cred_id, secret


class Verifier:
    """Checks tokens against the table; a short cache keeps uploads from reading it on every batch, and
    a revocation takes effect within `ttl_s`."""

    def __init__(self, engine: Engine, ttl_s: float = 5.0) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Credential | None]] = {}

    def verify(self, token: str) -> Credential | None:
        """Blocking (reads the database): call it off the loop."""
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        found = self._lookup(token)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[token] = (now, found)
        return found

    def _lookup(self, token: str) -> Credential | None:
        if not token.startswith("hq_"):
            return None
        cred_id, secret = _split(token)
        if not cred_id or not secret:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(credentials).where(credentials.c.id == cred_id)).mappings().first()
        if row is None or row["revoked_ms"] is not None:
            return None
        if not hmac.compare_digest(str(row["secret_hash"]), _hash(secret)):
            return None
        return Credential(str(row["id"]), str(row["kind"]), row["location_id"])
