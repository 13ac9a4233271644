"""Joining a location: `POST /peer/v1/join` spends a pairing code and hands over the location's identity,
its secret and the peers this device knows; `join()` is what `heardctl join URL --code CODE` runs on the
new device before its first start (docs/replication.md, "Joining and removing a device")."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

from daemon.api.context import CONFIG, KITCHEN
from daemon.api.responses import json_response, read_json
from daemon.config import Config
from daemon.domain.errors import Forbidden, ValidationFailed
from daemon.identity import load_or_create_device
from daemon.membership import add_peer_urls, normalise_url, read_peer_urls, write_location
from daemon.pairing import spend
from daemon.security.jwt_tokens import load_or_create_secret
from sync.registry import PEERS

routes = web.RouteTableDef()
JOIN_PATH = "/peer/v1/join"


@routes.post(JOIN_PATH)
async def accept_join(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not body["code"].strip():
        raise ValidationFailed("code is required: the pairing code heardctl pairing-code printed", field="code")
    config, kitchen, peers = request.app[CONFIG], request.app[KITCHEN], request.app[PEERS]
    if not await asyncio.to_thread(spend, config.data_dir, body["code"]):
        raise Forbidden("the pairing code is wrong, spent or expired", code="INVALID_PAIRING_CODE")
    known = sorted({*config.peers.urls, *read_peer_urls(config.data_dir), *(s.url for s in peers.by_device.values())})
    return json_response(
        {
            "tenantId": kitchen.tenant_id,
            "locationId": kitchen.location_id,
            "locationName": config.location.name,
            "deviceId": kitchen.device.id,
            "secret": base64.b64encode(peers.secret).decode(),
            "peers": [u for u in known if u],
        }
    )


class JoinFailed(Exception):
    """One line for the operator: why this device could not join."""


def _has_events(database: Path) -> bool:
    if not database.exists():
        return False
    conn = sqlite3.connect(database)
    try:
        return conn.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def join(config: Config, url: str, code: str, *, timeout: float = 10.0) -> dict[str, Any]:
    """Make this (new, never started) device one of the location served at `url`."""
    if _has_events(config.database_path):
        raise JoinFailed(
            f"{config.database_path} already holds events: a device joins before its first start"
            " (use an empty data directory)"
        )
    url = normalise_url(url)
    device = load_or_create_device(config.data_dir, config.device.name, config.device.id)
    request = urllib.request.Request(
        url + JOIN_PATH,
        data=json.dumps({"code": code, "deviceId": device.id, "name": device.name}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            answer: dict[str, Any] = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")[:300]
        raise JoinFailed(f"{url} refused: {exc.code} {detail}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise JoinFailed(f"cannot reach {url}: {exc}") from None
    secret = base64.b64decode(answer["secret"])
    config.secret_path.parent.mkdir(parents=True, exist_ok=True)
    if config.secret_path.exists() and load_or_create_secret(config.secret_path) != secret:
        config.secret_path.unlink()  # a secret of its own, made before joining (no events were signed with it)
    config.secret_path.write_bytes(secret)
    config.secret_path.chmod(0o600)
    write_location(config.data_dir, answer["tenantId"], answer["locationId"], answer.get("locationName", ""))
    peers = add_peer_urls(config.data_dir, [url, *answer.get("peers", [])])
    return {
        "location_id": answer["locationId"],
        "tenant_id": answer["tenantId"],
        "device_id": device.id,
        "joined_through": answer.get("deviceId"),
        "peers": peers,
    }
