"""The location credential between peers: a short-lived JWT signed with the location's shared secret.

Every device of a location holds the same secret (joining copies it), so any of them can prove to another
that it belongs. A peer token carries the audience `heard-peer`: the user API refuses it (it names no
audience), and the peer endpoints refuse user tokens (they lack it). A token signed with another secret is
a 401; one of the right secret naming another location is a 403.
"""

from __future__ import annotations

import time

import jwt

from daemon.domain.errors import Forbidden, Unauthorized
from daemon.security.jwt_tokens import PEER_AUDIENCE

PEER_ROLE = "peer"
TOKEN_SECONDS = 300
LEEWAY_SECONDS = 30


def mint_peer_token(secret: bytes, location_id: str, device_id: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    claims = {
        "sub": device_id,
        "roles": [PEER_ROLE],
        "location_id": location_id,
        "aud": PEER_AUDIENCE,
        "iat": issued,
        "exp": issued + TOKEN_SECONDS,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_peer_token(secret: bytes, location_id: str, header: str) -> str:
    """The device id of a peer from its `Authorization: Bearer` header; Unauthorized / Forbidden otherwise."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("peer endpoints need Authorization: Bearer <peer token>", code="TOKEN_MISSING")
    try:
        claims = jwt.decode(
            token.strip(),
            secret,
            algorithms=["HS256"],
            audience=PEER_AUDIENCE,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "location_id", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("the peer token has expired", code="TOKEN_EXPIRED") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"not a peer token of this location: {exc}", code="INVALID_TOKEN") from None
    if claims.get("location_id") != location_id:
        raise Forbidden(f"this device serves location {location_id}", code="LOCATION_MISMATCH")
    if PEER_ROLE not in (claims.get("roles") or ()):
        raise Forbidden("the token is not a peer's", code="INSUFFICIENT_PERMISSIONS")
    return str(claims["sub"])
