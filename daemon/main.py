"""heard-daemon: load the configuration, serve the APIs, tell systemd when ready, stop cleanly."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import resource
import shutil
import signal
import sys
from pathlib import Path

from aiohttp import web

from daemon import demo_pos
from daemon.api.context import FRONT_STATUS, ORDER_WRITE_SEEN, STORE
from daemon.app import build_app
from daemon.config import Config, ConfigError, ServerConfig, load_config
from daemon.connections import LISTEN_BACKLOG, ConnectionGuard, GuardedSite, connection_cap
from daemon.domain import compiled
from daemon.front.link import FrontLink
from daemon.runtime import clear_runtime, write_runtime
from daemon.systemd_notify import SystemdNotifier
from sync.registry import PEERS
from sync.wiring import start_discovery

log = logging.getLogger("heard.daemon")

NOFILE_WHEN_UNLIMITED = 1_048_576  # Linux's default fs.nr_open: the most a soft limit may be when hard is unlimited


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="heard-daemon", description="Heard kitchen display daemon")
    parser.add_argument(
        "--config", type=Path, help="TOML configuration file (default: $HEARD_CONFIG, else the embedded demo)"
    )
    parser.add_argument("--data-dir", type=Path, help="where the database, secret and device id live")
    parser.add_argument("--host", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8420)")
    parser.add_argument(
        "--demo", action="store_true", help="a demo POS sends an order every few seconds (embedded demo only)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        config = load_config(
            args.config, data_dir=args.data_dir, overrides={"server.host": args.host, "server.port": args.port}
        )
    except ConfigError as exc:
        print(f"heard-daemon: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if args.demo and (args.config is not None or os.environ.get("HEARD_CONFIG")):
        # A demo POS on a real kitchen would put made-up orders on real screens and printers.
        print("heard-daemon: --demo runs only on the embedded demo, never with a configuration file", file=sys.stderr)
        raise SystemExit(2)
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=sys.stderr
    )
    soft, hard = raise_descriptor_limit()
    log.info("descriptor limit nofile=%d hard=%d", soft, hard)
    # The fold makes many short-lived values per request; the default young-generation threshold (700)
    # ran a collection every few orders and the older generations ever more often as the state grew.
    gc.set_threshold(50_000, 20, 20)
    try:
        asyncio.run(serve(config, demo=args.demo))
    except KeyboardInterrupt:
        pass


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard one; return both as they now are. Every POS connection,
    screen, WebSocket, printer and database file is a descriptor, and the usual soft default (1024) is
    sized for an interactive shell, not for a kitchen at rush."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = NOFILE_WHEN_UNLIMITED if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft, hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the descriptor limit soft=%d target=%d error=%s", soft, target, exc)
        return soft, hard
    return target, hard


async def serve(config: Config, demo: bool = False) -> None:
    gc.freeze()  # the modules and configuration loaded so far live for ever (the store freezes its state again)
    notifier = SystemdNotifier.from_environ(os.environ)
    app = build_app(config)
    # A second process helps only with a second core to run it on.
    two_cores = (os.cpu_count() or 1) >= 2
    front = (
        FrontLink(app, config.server, config.location.timezone, config.log_level)
        if config.server.front and two_cores
        else None
    )
    if front is not None:
        app[FRONT_STATUS] = front.status
        app[ORDER_WRITE_SEEN] = front.saw_order_write
    runner, guard = await _start_serving(app, config.server)
    if front is not None:  # order writes' connections go to it once it says it is ready
        server = runner.server
        assert server is not None
        await front.start(lambda sock, first: guard.adopt(server, sock, first))
        guard.hand_over = front.hand_over
    port = _bound_port(runner) or config.server.port
    app[PEERS].port = port  # peers are told the port to pull from us on
    _announce(config, port)
    write_runtime(config.data_dir, f"http://{_display_host(config)}:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # mDNS announces for a second or so: in the background, after the signal handlers, not before ready.
    discovery = asyncio.create_task(start_discovery(app))
    notifier.ready(f"serving on {config.server.host}:{port}")
    # A failed writer leaves the daemon answering reads but refusing every write: only a restart
    # (which continues from the durable log) cures it, so stop feeding systemd's watchdog.
    watchdog = asyncio.create_task(notifier.run_watchdog(healthy=lambda: app[STORE].ready))
    pos = asyncio.create_task(demo_pos.run(config, f"http://{_display_host(config)}:{port}")) if demo else None
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        notifier.stopping()
        if front is not None:
            guard.hand_over = None
            await front.stop()
        for task in (watchdog, pos):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await runner.cleanup()
        responder = await discovery
        if responder is not None:
            await responder.stop()  # after the clients were told (1001): the goodbye packets
        clear_runtime(config.data_dir)


async def _start_serving(app: web.Application, server: ServerConfig) -> tuple[web.AppRunner, ConnectionGuard]:
    """Listen, with every client connection counted, capped and given its deadlines (daemon/connections.py)."""
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    guard = ConnectionGuard(
        cap=connection_cap(server.max_connections, nofile), header_timeout=server.request_timeout_seconds
    )
    app.middlewares.insert(0, guard.middleware)  # outermost: handling starts before auth reads anything
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=server.keepalive_timeout_seconds
    )
    await runner.setup()
    await GuardedSite(runner, guard, server.host, server.port, backlog=LISTEN_BACKLOG).start()
    log.info(
        "client connections cap=%d nofile=%d request_timeout=%ds keepalive_timeout=%ds",
        guard.cap,
        nofile,
        server.request_timeout_seconds,
        server.keepalive_timeout_seconds,
    )
    return runner, guard


def _bound_port(runner: web.AppRunner) -> int | None:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return None


def _display_host(config: Config) -> str:
    return "127.0.0.1" if config.server.host in ("0.0.0.0", "::") else config.server.host


def _announce(config: Config, port: int) -> None:
    host = _display_host(config)
    data = config.data_dir
    # Print the path an operator can paste: in a virtual environment heardctl is not on PATH.
    sibling = Path(sys.executable).with_name("heardctl")
    ctl = str(sibling) if sibling.exists() and not shutil.which("heardctl") else "heardctl"
    log.info(
        "heard-daemon serving url=http://%s:%d location=%s data_dir=%s domain=%s",
        host,
        port,
        config.location.location_id,
        data,
        compiled.describe(),
    )
    print(
        f"Heard is serving on http://{host}:{port} (listening on {config.server.host}:{port})\n"
        f"  API document:      http://{host}:{port}/openapi.json\n"
        f"  a kitchen token:   {ctl} --data-dir {data} token --role chef\n"
        f"  an integrator key: {ctl} --data-dir {data} integration-token create --name my-pos",
        flush=True,
    )
