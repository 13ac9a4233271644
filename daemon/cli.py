"""heardctl: operator commands against a data directory — tokens, integration keys, status."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from daemon.config import Config, ConfigError, load_config
from daemon.domain.setup import SETUP, setup_from_json
from daemon.identity import load_or_create_device
from daemon.membership import read_peer_urls, remove_peer_url
from daemon.pairing import new_code
from daemon.runtime import read_runtime
from daemon.security.integration_tokens import IntegrationTokens
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from daemon.security.manager_pin import PinError, clear_pin, set_pin
from daemon.store.schema import prepare
from sync.join import JoinFailed, join


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heardctl", description="Operate a Heard daemon's data directory")
    parser.add_argument(
        "--config", type=Path, help="the daemon's TOML configuration, if it has one (default: $HEARD_CONFIG)"
    )
    parser.add_argument("--data-dir", type=Path, help="the daemon's data directory")
    sub = parser.add_subparsers(dest="command", required=True)

    token = sub.add_parser("token", help="print a JWT this daemon accepts")
    token.add_argument("--role", action="append", required=True, help="a role; repeat for several")
    token.add_argument("--sub", default="heardctl", help="subject (who the token is for)")
    token.add_argument("--name", help="display name")
    token.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until it expires (default 12 h)")

    integ = sub.add_parser("integration-token", help="manage integrator API tokens")
    isub = integ.add_subparsers(dest="action", required=True)
    create = isub.add_parser("create", help="create a token; it is printed once and stored hashed")
    create.add_argument("--name", required=True)
    isub.add_parser("list", help="list tokens (never their secrets)")
    revoke = isub.add_parser("revoke", help="revoke by id or name")
    revoke.add_argument("token", help="id or name")

    pin = sub.add_parser("manager-pin", help="the PIN a screen asks for before a void")
    psub = pin.add_subparsers(dest="action", required=True)
    pset = psub.add_parser("set", help="set it (4 to 8 digits; read from --pin, else asked for)")
    pset.add_argument("--pin", help="the PIN (else read from the terminal, or one line of standard input)")
    psub.add_parser("clear", help="remove it: screens then cannot void")

    sub.add_parser("status", help="print this daemon's identity and setup as JSON")
    sub.add_parser("upstream", help="print how uploads to headquarters are going (GET /api/v1/upstream)")

    sub.add_parser("pairing-code", help="print a one-time code (valid 10 minutes) for a new device to join with")
    join = sub.add_parser("join", help="make this new device (before its first start) one of URL's location")
    join.add_argument("url", help="the URL of a running device of the location, e.g. http://192.168.1.21:8420")
    join.add_argument("--code", required=True, help="the code `heardctl pairing-code` printed on that device")
    peers = sub.add_parser("peers", help="the peer URLs this device replicates with (peers.json)")
    psub = peers.add_subparsers(dest="action", required=True)
    psub.add_parser("list", help="list them")
    forget = psub.add_parser("remove", help="stop replicating with a URL (takes effect at the next start)")
    forget.add_argument("url")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        config = load_config(args.config, data_dir=args.data_dir)
    except ConfigError as exc:
        print(f"heardctl: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.command == "token":
        print(_token(config, args))
    elif args.command == "integration-token":
        _integration_token(config, args)
    elif args.command == "pairing-code":
        _pairing_code(config)
    elif args.command == "join":
        _join(config, args)
    elif args.command == "peers":
        _peers(config, args)
    elif args.command == "manager-pin":
        _manager_pin(config, args)
    elif args.command == "upstream":
        print(json.dumps(_upstream(config), indent=2))
    else:
        print(json.dumps(status(config), indent=2))


def _token(config: Config, args: argparse.Namespace) -> str:
    if args.ttl <= 0:
        raise SystemExit("heardctl: --ttl must be positive")
    secret = load_or_create_secret(config.secret_path)
    return mint_token(
        secret,
        sub=args.sub,
        roles=list(args.role),
        location_id=config.location.location_id,
        ttl_seconds=args.ttl,
        name=args.name,
        issuer=config.auth.issuer,
        audience=config.auth.audience,
    )


def _tokens(config: Config) -> IntegrationTokens:
    prepare(config.database_path)

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(config.database_path)
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    return IntegrationTokens(connect)


def _integration_token(config: Config, args: argparse.Namespace) -> None:
    tokens = _tokens(config)
    if args.action == "create":
        record, token = tokens.create(args.name)
        print(f"created integration token id={record.id} name={record.name}; it is shown only once:", file=sys.stderr)
        print(token)
    elif args.action == "list":
        rows = [
            {"id": r.id, "name": r.name, "created_at": r.created_at, "revoked_at": r.revoked_at} for r in tokens.list()
        ]
        print(json.dumps(rows, indent=2))
    else:
        count = tokens.revoke(args.token)
        if count == 0:
            print(f"heardctl: no active integration token with id or name {args.token!r}", file=sys.stderr)
            raise SystemExit(1)
        print(f"revoked {count} token(s)")


def _pairing_code(config: Config) -> None:
    code, expires = new_code(config.data_dir)
    minutes = round((expires - time.time()) / 60)
    url = status(config)["url"]
    print(code)
    print(
        f"valid for {minutes} minutes, once; on the new device, before its first start:\n"
        f"  heardctl --data-dir DIR join {url} --code {code}",
        file=sys.stderr,
    )


def _join(config: Config, args: argparse.Namespace) -> None:
    try:
        joined = join(config, args.url, args.code)
    except JoinFailed as exc:
        print(f"heardctl: join failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(json.dumps(joined, indent=2))


def _peers(config: Config, args: argparse.Namespace) -> None:
    if args.action == "list":
        print(json.dumps({"joined": read_peer_urls(config.data_dir), "configured": list(config.peers.urls)}, indent=2))
    elif not remove_peer_url(config.data_dir, args.url):
        print(f"heardctl: {args.url} is not in {config.data_dir / 'peers.json'}", file=sys.stderr)
        raise SystemExit(1)


def _manager_pin(config: Config, args: argparse.Namespace) -> None:
    if args.action == "clear":
        print("manager PIN cleared" if clear_pin(config.data_dir) else "no manager PIN was set")
        return
    pin = args.pin
    if pin is None:
        pin = getpass.getpass("manager PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        set_pin(config.data_dir, pin)
    except PinError as exc:
        print(f"heardctl: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print("manager PIN set")


def _upstream(config: Config) -> dict[str, Any]:
    """The running daemon's own answer, asked with a short-lived manager token of this location."""
    runtime = read_runtime(config.data_dir)
    if not runtime or not _alive(int(runtime.get("pid", 0))):
        print(f"heardctl: the daemon of {config.data_dir} is not running", file=sys.stderr)
        raise SystemExit(1)
    token = mint_token(
        load_or_create_secret(config.secret_path),
        sub="heardctl",
        roles=["manager"],
        location_id=config.location.location_id,
        ttl_seconds=60,
        issuer=config.auth.issuer,
        audience=config.auth.audience,
    )
    request = urllib.request.Request(runtime["url"] + "/api/v1/upstream", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            body: dict[str, Any] = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        print(f"heardctl: could not ask the daemon at {runtime['url']}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    return body


def status(config: Config) -> dict[str, Any]:
    device = load_or_create_device(config.data_dir, config.device.name, config.device.id)
    runtime = read_runtime(config.data_dir)
    running = bool(runtime) and _alive(int(runtime.get("pid", 0)))
    url = runtime.get("url") if runtime else None
    if url is None:
        host = "127.0.0.1" if config.server.host in ("0.0.0.0", "::") else config.server.host
        url = f"http://{host}:{config.server.port}"
    return {
        "tenant_id": config.location.tenant_id,
        "location_id": config.location.location_id,
        "location_name": config.location.name,
        "device_id": device.id,
        "device_name": device.name,
        "url": url,
        "running": running,
        "data_dir": str(config.data_dir),
        "database": str(config.database_path),
        "stations": _stations(config),
    }


def _stations(config: Config) -> list[dict[str, Any]]:
    """The stations as the daemon knows them (its setup aggregate), else as configured."""
    if config.database_path.exists():
        conn = sqlite3.connect(config.database_path)
        try:
            row = conn.execute(
                "SELECT state FROM aggregates WHERE kind = ? AND id = ?", (SETUP, config.location.location_id)
            ).fetchone()
        except sqlite3.Error:
            row = None
        finally:
            conn.close()
        if row:
            setup = setup_from_json(json.loads(row[0]))
            return [{"id": s.id, "name": s.name, "kind": s.kind.value} for s in setup.stations.values()]
    return [{"id": s.id, "name": s.name, "kind": s.kind} for s in config.stations]


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
