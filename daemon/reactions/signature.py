"""Webhook signatures as the Standard Webhooks specification defines them (docs/webhooks.md).

`webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the
bytes of a `whsec_<base64>` secret, so a receiver can verify with the `standardwebhooks` library of its
language or with the few lines in docs/webhooks.md. The timestamp is signed, so a receiver refuses replays
by refusing old timestamps; the id is the event's own, the same on every retry, so it drops duplicates.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """A delivery that must not be trusted: the reason says which check failed."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a `whsec_` secret; ValueError if it is not one (at least 16 bytes of base64)."""
    if not secret.startswith(PREFIX):
        raise ValueError(f"a secret starts with {PREFIX}")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a secret is whsec_ followed by base64") from None
    if len(key) < 16:
        raise ValueError("a secret holds at least 16 bytes")
    return key


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


def verify(secret: str, received: dict[str, str], body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> None:
    """What a receiver does (and what our tests do as one): raises BadSignature unless the body is ours."""
    lowered = {k.lower(): v for k, v in received.items()}
    msg_id, stamp, signatures = (lowered.get(h, "") for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not (msg_id and stamp and signatures):
        raise BadSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise BadSignature("webhook-timestamp is not a number") from None
    if abs(now - timestamp) > tolerance:
        raise BadSignature("webhook-timestamp is too old or too new (a replay?)")
    expected = sign(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return
    raise BadSignature("no signature matches")
