"""Auth at the door: which tokens are refused (401/403) and which are accepted, on the real application."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import stat
import sys
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from daemon.api.auth import INTEGRATION_TOKENS
from daemon.app import build_app
from daemon.config import Config, load_config
from daemon.domain.errors import Forbidden
from daemon.security.integration_tokens import (
    MIN_GAP_SECONDS,
    MISS_WAIT_SECONDS,
    REFRESH_SECONDS,
    REVOCATION_SECONDS,
)
from daemon.security.jwt_tokens import Principal, load_or_create_secret
from daemon.security.policy import authorize

TICKETS = "/api/v1/kds/stations/grill/tickets"
ACTIVE_ORDERS = "/integrators/kds-orders/active"


def claims(config: Config, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    body = {"sub": "ana", "roles": ["chef"], "location_id": config.location.location_id, "iat": now, "exp": now + 600}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_and_code(client: TestClient, headers: dict[str, str]) -> tuple[int, str | None]:
    resp = await client.get(TICKETS, headers=headers)
    body = await resp.json()
    return resp.status, body.get("error", {}).get("code") if isinstance(body, dict) else None


async def test_token_signed_with_another_key_is_401(client: TestClient, config: Config) -> None:
    token = jwt.encode(claims(config), b"another-location-secret-32-bytes", algorithm="HS256")

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_INVALID")


@pytest.mark.parametrize("aud", ["heard-peer", ["heard-peer", "other"]])
async def test_a_peer_token_is_401_on_the_user_api(client: TestClient, config: Config, aud: Any) -> None:
    """Right secret, right location, a role even: made for /peer/v1, it is no user's credential."""
    secret = load_or_create_secret(config.secret_path)
    token = jwt.encode(claims(config, roles=["peer", "chef"], aud=aud), secret, algorithm="HS256")

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_INVALID")


def part(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def test_alg_none_is_401(client: TestClient, config: Config) -> None:
    token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims(config))}."

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_INVALID")


async def test_expired_token_is_401(client: TestClient, config: Config) -> None:
    secret = load_or_create_secret(config.secret_path)
    token = jwt.encode(claims(config, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), secret, "HS256")

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_EXPIRED")


async def test_token_without_exp_is_401(client: TestClient, config: Config) -> None:
    token = jwt.encode(claims(config, exp=None), load_or_create_secret(config.secret_path), "HS256")

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_MISSING_CLAIM")


def future() -> int:
    return int(time.time()) + 600


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda: {"exp": str(future())}, id="exp-string"),
        pytest.param(lambda: {"exp": True}, id="exp-true"),
        pytest.param(lambda: {"exp": float("inf")}, id="exp-infinite"),
        pytest.param(lambda: {"iat": str(int(time.time()))}, id="iat-string"),
        pytest.param(lambda: {"iat": True}, id="iat-true"),
        pytest.param(lambda: {"nbf": "0"}, id="nbf-string"),
        pytest.param(lambda: {"nbf": False}, id="nbf-false"),
        pytest.param(lambda: {"exp": [future()]}, id="exp-list"),
    ],
)
async def test_time_claim_that_is_not_a_number_is_401(client: TestClient, config: Config, changes: Any) -> None:
    token = jwt.encode(claims(config, **changes()), load_or_create_secret(config.secret_path), "HS256")

    assert await status_and_code(client, bearer(token)) == (401, "TOKEN_INVALID")


async def test_time_claims_with_fractions_are_numbers_too(client: TestClient, config: Config) -> None:
    now = time.time()
    secret = load_or_create_secret(config.secret_path)
    token = jwt.encode(claims(config, iat=now, nbf=now - 0.5, exp=now + 600.5), secret, "HS256")

    assert await status_and_code(client, bearer(token)) == (200, None)


async def test_token_for_another_location_is_403(client: TestClient, config: Config) -> None:
    token = jwt.encode(claims(config, location_id="elsewhere"), load_or_create_secret(config.secret_path), "HS256")

    assert await status_and_code(client, bearer(token)) == (403, "LOCATION_MISMATCH")


async def test_token_lacking_the_role_is_403(client: TestClient, token_for: Any) -> None:
    assert await status_and_code(client, token_for("host")) == (200, None)  # hosts may read tickets
    resp = await client.post("/api/v1/kds/stations/grill/orders/x/ticket/bump", headers=token_for("host"))

    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "INSUFFICIENT_ROLE"


async def test_missing_token_is_401(client: TestClient) -> None:
    assert await status_and_code(client, {}) == (401, "TOKEN_MISSING")


async def test_hs256_token_passed_off_as_eddsa_is_401(client: TestClient, config: Config) -> None:
    secret = load_or_create_secret(config.secret_path)
    signing_input = f"{part({'alg': 'EdDSA', 'kid': 'hq-1'})}.{part(claims(config))}"
    token = f"{signing_input}.{part(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"

    assert (await status_and_code(client, bearer(token)))[0] == 401


async def test_eddsa_token_from_the_jwks_file_is_accepted(tmp_path: Path, aiohttp_client: Any) -> None:
    key = Ed25519PrivateKey.generate()
    jwk = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "hq-1", "alg": "EdDSA"}]}))
    config = load_config(data_dir=tmp_path / "d", environ={}, overrides={"auth.jwks_file": str(tmp_path / "jwks.json")})
    client = await aiohttp_client(build_app(config))
    token = jwt.encode(claims(config), key, algorithm="EdDSA", headers={"kid": "hq-1"})
    unknown_kid = jwt.encode(claims(config), key, algorithm="EdDSA", headers={"kid": "hq-2"})

    assert (await client.get(TICKETS, headers=bearer(token))).status == 200
    assert (await client.get(TICKETS, headers=bearer(unknown_kid))).status == 401


async def test_issuer_and_audience_are_checked_when_configured(tmp_path: Path, aiohttp_client: Any) -> None:
    config = load_config(data_dir=tmp_path / "d", environ={}, overrides={"auth.issuer": "hq", "auth.audience": "kds"})
    client = await aiohttp_client(build_app(config))
    secret = load_or_create_secret(config.secret_path)
    good = jwt.encode(claims(config, iss="hq", aud="kds"), secret, "HS256")
    wrong = jwt.encode(claims(config, iss="someone", aud="kds"), secret, "HS256")

    assert (await client.get(TICKETS, headers=bearer(good))).status == 200
    assert (await client.get(TICKETS, headers=bearer(wrong))).status == 401


async def heardctl(config: Config, *args: str) -> str:
    """heardctl as the operator runs it: another process writing the same database."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from daemon.cli import main; main()",
        "--data-dir",
        str(config.data_dir),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def answers_within(client: TestClient, headers: dict[str, str], status: int, seconds: float) -> None:
    """Poll until the integrator API answers `status`; fail if that takes longer than `seconds`."""
    deadline = time.monotonic() + seconds
    seen: list[int] = []
    while time.monotonic() < deadline:
        seen.append((await client.get(ACTIVE_ORDERS, headers=headers)).status)
        if seen[-1] == status:
            return
        await asyncio.sleep(0.02)  # polling a condition with a deadline
    raise AssertionError(f"no {status} within {seconds} s; got {sorted(set(seen))}")


def integrator_headers(config: Config, token: str) -> dict[str, str]:
    return {"x-integration-token": token, "x-location-id": config.location.location_id, "x-device-ids": "all"}


async def test_revoked_integration_token_is_refused_within_the_promised_delay(
    client: TestClient, config: Config, pos: dict[str, str]
) -> None:
    assert (await client.get(ACTIVE_ORDERS, headers=pos)).status == 200

    await heardctl(config, "integration-token", "revoke", "test-pos")

    await answers_within(client, pos, 401, REVOCATION_SECONDS)


async def test_token_created_by_heardctl_works_on_its_first_request(client: TestClient, config: Config) -> None:
    token = (await heardctl(config, "integration-token", "create", "--name", "new-pos")).split()[-1]

    resp = await client.get(ACTIVE_ORDERS, headers=integrator_headers(config, token))

    assert resp.status == 200


async def test_known_integration_token_is_checked_without_reading_the_database(
    client: TestClient, pos: dict[str, str]
) -> None:
    tokens = client.app[INTEGRATION_TOKENS]
    assert (await client.get(ACTIVE_ORDERS, headers=pos)).status == 200  # the fixture's new token is learnt
    before, start = tokens.reads, time.monotonic()

    statuses = [(await client.get(ACTIVE_ORDERS, headers=pos)).status for _ in range(100)]

    elapsed = time.monotonic() - start
    assert statuses == [200] * 100
    assert tokens.reads - before <= 1 + elapsed / REFRESH_SECONDS  # the periodic re-reads, nothing per request


async def test_flood_of_unknown_integration_tokens_shares_a_few_table_reads(client: TestClient, config: Config) -> None:
    tokens = client.app[INTEGRATION_TOKENS]
    floods = [integrator_headers(config, "hit_" + secrets.token_urlsafe(32)) for _ in range(200)]
    before, start = tokens.reads, time.monotonic()

    responses = await asyncio.gather(*(client.get(ACTIVE_ORDERS, headers=h) for h in floods))

    elapsed = time.monotonic() - start
    assert [r.status for r in responses] == [401] * 200
    reads = tokens.reads - before
    assert reads <= 2 + elapsed / MIN_GAP_SECONDS and reads < 20, (reads, elapsed)


async def test_integration_tokens_get_503_while_the_token_table_is_unreadable(
    client: TestClient, config: Config, pos: dict[str, str]
) -> None:
    assert (await client.get(ACTIVE_ORDERS, headers=pos)).status == 200
    away = sqlite3.connect(config.database_path)
    away.execute("ALTER TABLE integration_tokens RENAME TO integration_tokens_away")
    away.commit()
    try:
        # No read can tell whether the token was revoked meanwhile: after the promised delay, 503.
        await answers_within(client, pos, 503, REVOCATION_SECONDS + MISS_WAIT_SECONDS)
    finally:
        away.execute("ALTER TABLE integration_tokens_away RENAME TO integration_tokens")
        away.commit()
        away.close()

    await answers_within(client, pos, 200, REFRESH_SECONDS + MISS_WAIT_SECONDS)


async def test_missing_location_header_is_400(client: TestClient, pos: dict[str, str]) -> None:
    headers = {k: v for k, v in pos.items() if k != "x-location-id"}

    resp = await client.get("/integrators/kds-orders/active", headers=headers)

    assert resp.status == 400


async def test_health_routes_are_public(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    assert (await client.get("/readyz")).status == 200
    assert (await client.get("/openapi.json")).status == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("manager", True),
        ("owner", True),
        ("tenant_admin", True),
        ("chef", False),
        ("super_admin", False),
        ("server", False),
    ],
)
def test_void_only_for_manager_owner_tenant_admin(role: str, allowed: bool) -> None:
    principal = Principal("x", frozenset({role}), "loc")

    if allowed:
        authorize(principal, "tickets:void")
    else:
        with pytest.raises(Forbidden):
            authorize(principal, "tickets:void")


def test_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "location.secret"

    first = load_or_create_secret(path)
    second = load_or_create_secret(path)

    assert first == second and len(first) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
