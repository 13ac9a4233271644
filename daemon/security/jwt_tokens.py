"""JWT verification and minting: algorithms pinned, exp required, location checked (ARCHITECTURE §6)."""

from __future__ import annotations

import json
import logging
import math
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from daemon.domain.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)

REQUIRED_CLAIMS = ("exp", "iat", "sub", "roles", "location_id")
PEER_AUDIENCE = "heard-peer"  # the audience of the tokens devices of a location show each other (sync/credentials)
TIME_CLAIMS = ("exp", "nbf", "iat")
_PUBLIC_ALGORITHMS = {"EdDSA": OKPAlgorithm, "ES256": ECAlgorithm}


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: frozenset[str]
    location_id: str
    name: str | None = None
    permissions: frozenset[str] = frozenset()
    expires_at: float = math.inf  # the token's exp (seconds since the epoch): a WebSocket closes then


@dataclass(frozen=True)
class JwtSettings:
    secret: bytes | None
    location_id: str
    issuer: str | None = None
    audience: str | None = None
    leeway_seconds: int = 30
    jwks_file: str | None = None


class JwksError(ValueError):
    """The JWKS file is missing, unreadable or malformed: one line saying which."""


@dataclass(frozen=True)
class Jwks:
    by_kid: dict[str, tuple[str, Any]] = field(default_factory=dict)  # kid → (algorithm, public key)
    ignored: tuple[str, ...] = ()  # why each other entry was left out, for the start-up log


def read_jwks(path: str) -> Jwks:
    """The offline cache of headquarters' keys. Keys of other algorithms are ignored (and reported);
    a file that cannot be read or parsed raises JwksError, because a door that silently lost its keys
    would refuse every headquarters token with no hint why."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JwksError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise JwksError(f"{path} is a directory, not a file") from None
    except PermissionError:
        raise JwksError(f"{path} is not readable by this user") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise JwksError(f"{path} is not JSON: {exc}") from None
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise JwksError(f'{path} is not a JWKS: it needs {{"keys": [...]}}')
    keys: dict[str, tuple[str, Any]] = {}
    ignored: list[str] = []
    for i, jwk in enumerate(entries):
        if not isinstance(jwk, dict):
            raise JwksError(f"{path}: keys[{i}] is not an object")
        kid, kty = jwk.get("kid"), jwk.get("kty")
        alg = jwk.get("alg") or ("EdDSA" if kty == "OKP" else "ES256" if kty == "EC" else None)
        if not kid or alg not in _PUBLIC_ALGORITHMS:
            ignored.append(f"kid={kid} kty={kty} alg={alg}")
            continue
        if "d" in jwk:
            raise JwksError(f"{path}: key {kid!r} is a private key; a device needs only the public half")
        try:
            keys[str(kid)] = (alg, _PUBLIC_ALGORITHMS[alg].from_jwk(json.dumps(jwk)))
        except (jwt.InvalidKeyError, ValueError, KeyError, TypeError) as exc:
            raise JwksError(f"{path}: key {kid!r} is not a valid {alg} key: {exc}") from None
    return Jwks(keys, tuple(ignored))


class TokenVerifier:
    def __init__(self, settings: JwtSettings) -> None:
        self.settings = settings
        jwks = read_jwks(settings.jwks_file) if settings.jwks_file else Jwks()
        for entry in jwks.ignored:
            log.warning("ignoring jwk %s: only EdDSA and ES256 keys with a kid are accepted", entry)
        self._public = jwks.by_kid

    def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("the token is not a JWT", code="TOKEN_INVALID") from None
        alg = header.get("alg")
        key, algorithm = self._key_for(alg, header.get("kid"))
        _check_time_claims(token)
        s = self.settings
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=s.audience,
                issuer=s.issuer,
                leeway=s.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS), "verify_aud": s.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired", code="TOKEN_EXPIRED") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"the token lacks the {exc.claim!r} claim", code="TOKEN_MISSING_CLAIM") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"the token was refused: {exc}", code="TOKEN_INVALID") from None
        if _names_audience(claims, PEER_AUDIENCE):
            # Signed with the same location secret, but made for the peer endpoints: not a user's credential.
            raise Unauthorized("a peer token is not accepted here: it is for /peer/v1 only", code="TOKEN_INVALID")
        return self._principal(claims)

    def _key_for(self, alg: Any, kid: Any) -> tuple[Any, str]:
        """The key is chosen by our configuration, never by the token: an HS256 token is only ever
        checked against the location secret, a public-key token only against that kid's key."""
        if alg == "HS256":
            if self.settings.secret is None:
                raise Unauthorized("HS256 tokens are not accepted here", code="TOKEN_INVALID")
            return self.settings.secret, "HS256"
        if alg in _PUBLIC_ALGORITHMS:
            entry = self._public.get(str(kid)) if kid else None
            if entry is None or entry[0] != alg:
                raise Unauthorized(f"no {alg} key with kid {kid!r}", code="TOKEN_INVALID")
            return entry[1], alg
        raise Unauthorized(f"algorithm {alg!r} is not accepted", code="TOKEN_INVALID")

    def _principal(self, claims: dict[str, Any]) -> Principal:
        roles = claims.get("roles")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise Unauthorized("the roles claim must be a list of strings", code="TOKEN_INVALID")
        if str(claims.get("location_id")) != self.settings.location_id:
            raise Forbidden("the token is for another location", code="LOCATION_MISMATCH")
        permissions = claims.get("permissions") or []
        name = claims.get("name")
        return Principal(
            sub=str(claims["sub"]),
            roles=frozenset(roles),
            location_id=self.settings.location_id,
            name=str(name) if name is not None else None,
            permissions=frozenset(str(p) for p in permissions) if isinstance(permissions, list) else frozenset(),
            expires_at=float(claims["exp"]),
        )


def _names_audience(claims: dict[str, Any], audience: str) -> bool:
    aud = claims.get("aud")
    return aud == audience or (isinstance(aud, list) and audience in aud)


def _check_time_claims(token: str) -> None:
    """exp, nbf and iat must be NumericDates (RFC 7519 §2): JSON numbers. PyJWT converts them with int(),
    so it would take "1999999999" as a date and `true` as 1970-01-01T00:00:01. Checked on the unverified
    claims, before the signature, because a check that can only refuse needs no trust in them."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the token was refused: {exc}", code="TOKEN_INVALID") from None
    for name in TIME_CLAIMS:
        if name in claims and (wrong := _not_a_numeric_date(claims[name])):
            raise Unauthorized(f"the {name} claim must be a number of seconds, not {wrong}", code="TOKEN_INVALID")


def _not_a_numeric_date(value: Any) -> str | None:
    """What the value is instead of a finite JSON number, or None when it is one."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "infinite"
    return {str: "a string", list: "a list", dict: "an object", type(None): "null"}.get(type(value), "a value")


def mint_token(
    secret: bytes,
    *,
    sub: str,
    roles: list[str],
    location_id: str,
    ttl_seconds: int = 43200,
    name: str | None = None,
    now: float | None = None,
    issuer: str | None = None,
    audience: str | None = None,
    permissions: list[str] | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": roles,
        "location_id": location_id,
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if name:
        claims["name"] = name
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    if permissions:
        claims["permissions"] = permissions  # granted beside the roles' (Principal.permissions)
    return jwt.encode(claims, secret, algorithm="HS256")


def load_or_create_secret(path: Path) -> bytes:
    """The location's HS256 secret: 32 random bytes, created once (mode 0600), read afterwards."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # never replaces a secret another process created meanwhile
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()
