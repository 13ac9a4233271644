"""heard-hq: serve headquarters, or manage its credentials (`token`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys

from aiohttp import web
from sqlalchemy.engine import Engine

from sync.hq import credentials
from sync.hq.db import DEFAULT_DATABASE, make_engine, migrate
from sync.hq.server import build_app

log = logging.getLogger("heard.hq")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heard-hq", description="Heard headquarters: uploads and reports")
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        help=f"postgresql://user@host/db, or sqlite:///relative/path, sqlite:////absolute/path "
        f"(default {DEFAULT_DATABASE}: a file in the current folder)",
    )
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8430, help="port to listen on (default 8430)")
    sub = parser.add_subparsers(dest="command")
    token = sub.add_parser("token", help="print a credential (last line of output), or revoke one")
    which = token.add_mutually_exclusive_group(required=True)
    which.add_argument("--location", metavar="LOCATION_ID", help="a device credential for this location")
    which.add_argument("--reader", action="store_true", help="a credential that reads the reports")
    which.add_argument("--revoke", metavar="ID", help="revoke a credential by its id (or the whole credential)")
    which.add_argument("--list", action="store_true", help="list credentials (never their secrets)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr)
    try:
        engine = make_engine(args.database)
    except Exception as exc:  # noqa: BLE001 - one clear line, not a trace
        print(f"heard-hq: --database: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    migrate(engine)
    if args.command == "token":
        raise SystemExit(_token(engine, args))
    asyncio.run(serve(engine, args.host, args.port))


def _token(engine: Engine, args: argparse.Namespace) -> int:
    if args.revoke:
        count = credentials.revoke(engine, args.revoke)
        if count == 0:
            print(f"heard-hq: no active credential with id {args.revoke!r}", file=sys.stderr)
            return 1
        print(f"revoked {args.revoke}")
        return 0
    if args.list:
        print(json.dumps(credentials.listing(engine), indent=2))
        return 0
    if args.location is not None and not args.location.strip():
        print("heard-hq: --location must not be empty", file=sys.stderr)
        return 2
    kind = credentials.READER if args.reader else credentials.LOCATION
    cred, token = credentials.create(engine, kind, args.location)
    where = f" for location {cred.location_id}" if cred.location_id else ""
    print(f"created {kind} credential id={cred.id}{where}; it is shown only once:", file=sys.stderr)
    print(token, flush=True)
    return 0


async def serve(engine: Engine, host: str, port: int) -> None:
    runner = web.AppRunner(build_app(engine), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=True)
    await site.start()
    print(f"heard-hq serving on http://{host}:{port} database={engine.url.render_as_string()}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        engine.dispose()


if __name__ == "__main__":
    main()
