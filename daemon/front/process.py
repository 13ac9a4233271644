"""The front process: HTTP for the connections the core hands it, each request forwarded to the core.

It reads a request and its body (within the same limits the core applies: the body's size and deadline, the
header deadline and connection cap of daemon/connections.py), sends it to the core as one message and
answers with what the core replied. It decides nothing: it checks an order's body as the core's intake
would (so the core can skip that step), but authentication, every refusal and every answer are the core's,
and it holds no state. It exits when the core goes, and the core starts it again if it dies.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import logging
import resource
import signal
import socket
import sys
from collections.abc import Callable
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from aiohttp import web

from daemon.connections import ConnectionGuard, connection_cap
from daemon.domain import intake
from daemon.front import wire

log = logging.getLogger("daemon.front")
_JSON = {"Content-Type": "application/json"}


class Core:
    """The core at the other end of the local socket: requests out, replies matched back by id."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._waiting: dict[int, asyncio.Future[wire.Reply]] = {}
        self._ids = itertools.count(1)
        self.gone = asyncio.get_running_loop().create_future()

    def ready(self) -> None:
        self._writer.write(wire.frame(wire.Reply(0, 0, [], wire.READY)))

    async def ask(self, request: web.BaseRequest, body: bytes, body_state: int, checked: Any = None) -> wire.Reply:
        if self.gone.done():
            raise ConnectionError("the core has gone")
        headers = [(str(k), v) for k, v in request.headers.items()]
        message = wire.Request(
            next(self._ids), request.method, request.raw_path, headers, body, request.remote, body_state, checked
        )
        waiter: asyncio.Future[wire.Reply] = asyncio.get_running_loop().create_future()
        self._waiting[message.id] = waiter
        self._writer.write(wire.frame(message))
        try:
            return await waiter
        finally:
            self._waiting.pop(message.id, None)

    async def read_replies(self) -> None:
        try:
            while True:
                reply = await wire.read_reply(self._reader)
                waiter = self._waiting.get(reply.id)
                if waiter is not None and not waiter.done():
                    waiter.set_result(reply)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            self.leave(repr(exc))

    def leave(self, why: str) -> None:
        """The core has gone: every request waiting for it hears so, and the process ends."""
        for waiter in self._waiting.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError("the core has gone"))
        if not self.gone.done():
            self.gone.set_result(why)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.Response(status=status, body=orjson.dumps({"error": {"code": code, "message": message}}), headers=_JSON)


async def _read_body(request: web.BaseRequest, limit: int, seconds: float) -> tuple[bytes, int]:
    """The whole body, or why not: over `limit` (the core answers 413) or not in `seconds` (408)."""
    length = request.content_length
    if length is not None and length > limit:
        return b"", wire.BODY_TOO_LARGE
    content = request.content
    try:
        if content.is_eof():  # the body came with the headers: nearly every order
            body = await content.read()
        else:
            async with asyncio.timeout(seconds):
                chunks, size = [], 0
                async for chunk in content.iter_any():
                    size += len(chunk)
                    if size > limit:
                        return b"", wire.BODY_TOO_LARGE
                    chunks.append(chunk)
                body = b"".join(chunks)
    except TimeoutError:
        return b"", wire.BODY_TIMED_OUT
    return (body, wire.BODY_COMPLETE) if len(body) <= limit else (b"", wire.BODY_TOO_LARGE)


_CHECKED_PATHS = frozenset({"/integrators/kds-orders", "/integrators/kds-orders/"})


def _check_order(request: web.BaseRequest, body: bytes, zone: tzinfo) -> list[Any] | None:
    """A whole order's body (create or update) as the core's intake would check it, or None for the core to
    read itself: a body that is not an order, or has anything wrong with it, is the core's to refuse."""
    if request.method not in ("POST", "PUT") or request.path not in _CHECKED_PATHS or not body:
        return None
    try:
        fields, items = intake.check_order(orjson.loads(body), zone)
    except Exception:  # noqa: BLE001 - whatever is wrong, the core says so, in its words and after its checks
        return None
    return [fields, items]


def hand_back(handoff: socket.socket, request: web.BaseRequest) -> bool:
    """Give the core a connection whose request this process cannot serve (a WebSocket upgrade): its socket,
    with the request's head written out again as the core's first read of it."""
    transport = request.transport
    if transport is None or request.body_exists:
        return False
    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    version = request.version
    lines = [f"{request.method} {request.raw_path} HTTP/{version.major}.{version.minor}".encode("latin-1")]
    lines += [name + b": " + value for name, value in request.raw_headers]
    try:
        socket.send_fds(handoff, [b"\r\n".join(lines) + b"\r\n\r\n"], [sock.fileno()])
    except OSError:
        return False
    transport.abort()  # this process's descriptor only: the core serves the connection from here on
    return True


def make_handler(
    core: Core, guard: ConnectionGuard, settings: dict[str, Any], handoff: socket.socket
) -> Callable[..., Any]:
    limit, seconds = int(settings["max_body_bytes"]), float(settings["request_timeout_seconds"])
    zone = ZoneInfo(settings.get("timezone") or "UTC")

    async def forward(request: web.BaseRequest) -> web.StreamResponse:
        if request.headers.get("Upgrade"):
            if hand_back(handoff, request):
                return _error(421, "USE_NEW_CONNECTION", "handed to the core")  # never sent: the connection is gone
            return _error(421, "USE_NEW_CONNECTION", "open a new connection for a WebSocket")
        body, state = await _read_body(request, limit, seconds)
        checked = _check_order(request, body, zone) if state == wire.BODY_COMPLETE else None
        try:
            reply = await core.ask(request, b"" if checked is not None else body, state, checked)
        except ConnectionError:
            response = _error(503, "UNAVAILABLE", "the daemon is restarting; send the request again")
            response.force_close()
            return response
        return web.Response(status=reply.status, headers=reply.headers, body=reply.body)

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        return await guard.middleware(request, forward)  # type: ignore[arg-type]

    return handle


async def serve(rpc_fd: int, handoff_fd: int, settings: dict[str, Any]) -> None:
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(sock=socket.socket(fileno=rpc_fd))
    core = Core(reader, writer)
    replies = asyncio.create_task(core.read_replies())
    nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    guard = ConnectionGuard(
        cap=connection_cap(int(settings["max_connections"]), nofile),
        header_timeout=float(settings["request_timeout_seconds"]),
    )
    handoff = socket.socket(fileno=handoff_fd)
    handoff.setblocking(False)
    server = web.Server(
        make_handler(core, guard, settings, handoff),
        keepalive_timeout=float(settings["keepalive_timeout_seconds"]),
        access_log=None,
    )
    opening: set[asyncio.Future[Any]] = set()

    def take_connections() -> None:
        while True:
            try:
                first, fds, _, _ = socket.recv_fds(handoff, wire.MAX_FIRST_READ + 1, 1)
            except BlockingIOError:
                return
            except OSError as exc:
                core.leave(repr(exc))
                return
            if not fds:
                if not first:  # the core closed its end
                    core.leave("the core closed the hand-over socket")
                    loop.remove_reader(handoff)
                return
            sock = socket.socket(fileno=fds[0])
            sock.setblocking(False)
            opened = asyncio.ensure_future(guard.adopt(server, sock, first))
            opening.add(opened)
            opened.add_done_callback(_opened)

    def _opened(opened: asyncio.Future[Any]) -> None:
        opening.discard(opened)
        if not opened.cancelled() and opened.exception() is not None:
            log.error("a connection from the core could not be opened error=%r", opened.exception())

    loop.add_reader(handoff, take_connections)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    core.ready()
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([stopping, core.gone], return_when=asyncio.FIRST_COMPLETED)
    loop.remove_reader(handoff)
    await server.shutdown(timeout=5.0)  # requests under way get their answers while the core is there
    guard.close()
    replies.cancel()
    stopping.cancel()
    writer.close()


def main() -> None:
    rpc_fd, handoff_fd, settings = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    logging.basicConfig(
        level=str(settings.get("log_level", "WARNING")).upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    gc.set_threshold(50_000, 20, 20)  # as the core: a request makes many short-lived values
    asyncio.run(serve(rpc_fd, handoff_fd, settings))
