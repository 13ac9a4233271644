"""The door: count client connections, give each request a deadline for its headers, make room under the cap.

A kitchen device shares its LAN with guests' phones. A client that opens connections and sends its requests
a byte at a time must not take the descriptors the POS, the screens and the store need. So:

* the number of client connections is capped below the descriptor limit (`connection_cap`);
* a request's line and headers must arrive within `header_timeout` of its first byte (aiohttp has no such
  deadline; its `keepalive_timeout` closes a connection idle between requests). A sweep a few times
  per deadline checks it, so a late request is cut within a quarter of the deadline after it passed;
* at the cap, a new connection makes room by evicting the connection that has waited longest without
  a request being handled (idle or still sending its headers), never one whose request is being handled.
  Refusing the newcomer instead would let a held flood lock the POS and /healthz out until its deadlines
  passed; evicting the oldest waiter means a flood can only push out other waiters, and a connection that
  gets its headers in is safe. Only when every connection is being handled is a newcomer refused.

aiohttp parses the request; a middleware tells the guard when a request's handling starts and ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from yarl import URL

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# asyncio accepts up to `backlog` connections in one turn of the loop, each holding a descriptor before the
# guard sees it, and an evicted connection's descriptor is released a turn later: about three turns' worth
# can be open beyond the cap. The rest of the reserve is the daemon's own: SQLite (database, WAL, shared
# memory per connection), the log, the listening socket, peers and printers.
LISTEN_BACKLOG = 128
OWN_DESCRIPTORS = 128
RESERVED_DESCRIPTORS = 3 * LISTEN_BACKLOG + OWN_DESCRIPTORS
PRESSURE_REPORT_SECONDS = 10.0
_LINGER_RESET = struct.pack("ii", 1, 0)


def reset(transport: asyncio.BaseTransport) -> None:
    """Close a connection now, with a TCP reset: its descriptor and the kernel's copy of any unsent output are
    freed at once. asyncio's abort() alone drops only our own buffer; the kernel would keep the rest and keep
    offering it to a client that does not read."""
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    transport.abort()


def connection_cap(max_connections: int, nofile: int) -> int:
    """How many client connections may be open at once under a descriptor limit of `nofile`: the configured
    maximum, lowered to leave RESERVED_DESCRIPTORS free (with a very low limit, a quarter of it)."""
    if nofile < 0:  # RLIM_INFINITY
        return max_connections
    return max(1, min(max_connections, max(nofile - RESERVED_DESCRIPTORS, nofile // 4)))


class ConnectionGuard:
    """Every client connection of the daemon's site, in the order they started waiting."""

    def __init__(self, *, cap: int, header_timeout: float) -> None:
        self.cap = cap
        self.header_timeout = header_timeout
        self._open: dict[web.RequestHandler, Connection] = {}
        # Connections no request of which is being handled, oldest wait first: the eviction order.
        self._waiting: OrderedDict[Connection, None] = OrderedDict()
        self.counts = {"evicted": 0, "refused": 0, "headers_late": 0}  # since start
        self._window = dict.fromkeys(self.counts, 0)  # since the last pressure report
        self._report: asyncio.TimerHandle | None = None
        # Header deadlines are checked by a sweep over the open connections a few times per deadline, not
        # by a timer per request (made and cancelled for every request: a cost on every order).
        self._sweep_every = min(1.0, header_timeout / 4)
        self._sweeper: asyncio.TimerHandle | None = None
        # Offered each connection's first read; True when it took the connection (daemon/front/link.py).
        self.hand_over: Callable[[asyncio.Transport, bytes], bool] | None = None

    def protocol_factory(self, server: web.Server) -> Callable[[], Connection]:
        return lambda: Connection(self, server)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """aiohttp has parsed the headers: the request is being handled until the handler returns."""
        connection = self._open.get(request.protocol)
        if connection is None:
            return await handler(request)
        connection.handling += 1
        connection.cancel_deadline()
        self._waiting.pop(connection, None)
        try:
            return await handler(request)
        finally:
            connection.handling -= 1
            if connection.handling == 0 and connection.handler in self._open:
                self._waiting[connection] = None  # waits again, newest of all

    async def adopt(self, server: web.Server, sock: socket.socket, first: bytes) -> None:
        """Serve a connection another process accepted and read from (daemon/front), `first` being what it
        read: as if accepted here, within the cap and deadlines, but never handed over again."""

        def protocol() -> Primed:
            connection = Connection(self, server)
            connection.fresh = False
            return Primed(connection, first)

        await asyncio.get_running_loop().connect_accepted_socket(protocol, sock)

    def admit(self, connection: Connection) -> bool:
        """Room for a new connection: evict the longest waiter if at the cap; False if every one is busy."""
        if len(self._open) >= self.cap:
            if not self._waiting:
                self._count("refused")
                return False
            oldest, _ = self._waiting.popitem(last=False)
            self._drop(oldest)
            self._count("evicted")
        self._open[connection.handler] = connection
        self._waiting[connection] = None
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().call_later(self._sweep_every, self._sweep)
        return True

    def _sweep(self) -> None:
        """Cut the connections whose request headers are late; runs while any connection is open."""
        now = time.monotonic()
        for connection in list(self._open.values()):
            since = connection.waiting_since
            if since is not None and now - since >= self.header_timeout:
                self.headers_too_slow(connection)
        self._sweeper = asyncio.get_running_loop().call_later(self._sweep_every, self._sweep) if self._open else None

    def forget(self, connection: Connection) -> None:
        self._open.pop(connection.handler, None)
        self._waiting.pop(connection, None)

    def headers_too_slow(self, connection: Connection) -> None:
        self._count("headers_late")
        log.debug("closing a connection whose headers did not arrive in time timeout=%s", self.header_timeout)
        self._drop(connection)

    def _drop(self, connection: Connection) -> None:
        self.forget(connection)
        connection.cancel_deadline()
        if connection.transport is not None:
            reset(connection.transport)

    def close(self) -> None:
        for timer in (self._report, self._sweeper):
            if timer is not None:
                timer.cancel()
        for connection in list(self._open.values()):
            connection.cancel_deadline()

    def _count(self, what: str) -> None:
        """Count an eviction, refusal or late request; under a flood, one log line per window, not per event."""
        self.counts[what] += 1
        self._window[what] += 1
        if self._report is None:
            self._report = asyncio.get_running_loop().call_later(PRESSURE_REPORT_SECONDS, self._log_pressure)

    def _log_pressure(self) -> None:
        window, self._window = self._window, dict.fromkeys(self.counts, 0)
        self._report = None
        log.warning(
            "client connections under pressure evicted=%d refused=%d headers_late=%d open=%d cap=%d seconds=%g",
            window["evicted"],
            window["refused"],
            window["headers_late"],
            len(self._open),
            self.cap,
            PRESSURE_REPORT_SECONDS,
        )


class Connection(asyncio.Protocol):
    """One client connection: aiohttp's protocol inside, the guard's admission and header deadline around it."""

    def __init__(self, guard: ConnectionGuard, server: web.Server) -> None:
        self.guard = guard
        self.handler: web.RequestHandler = server()
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.handling = 0
        self.waiting_since: float | None = None  # when the first byte of a request not yet handled came
        self.fresh = True  # nothing read yet: the connection may still go to the front

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.guard.admit(self):
            reset(transport)
            return
        self.admitted = True
        self.handler.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.fresh:
            self.fresh = False
            hand_over = self.guard.hand_over
            if hand_over is not None and self.transport is not None and hand_over(self.transport, data):
                self.guard.forget(self)
                self.transport.abort()  # our descriptor only: the front holds the connection now
                return
        # The first byte of a request starts its header deadline (the guard's sweep checks it); bytes that
        # arrive while a request is being handled are its body or its WebSocket frames.
        if self.handling == 0 and self.waiting_since is None:
            self.waiting_since = time.monotonic()
        self.handler.data_received(data)

    def cancel_deadline(self) -> None:
        self.waiting_since = None

    def eof_received(self) -> bool | None:
        return self.handler.eof_received() if self.admitted else None

    def pause_writing(self) -> None:
        self.handler.pause_writing()

    def resume_writing(self) -> None:
        self.handler.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.cancel_deadline()
        self.guard.forget(self)
        if self.admitted:
            self.handler.connection_lost(exc)


class Primed(asyncio.Protocol):
    """A protocol that gets, before anything it reads itself, the bytes another process read from the connection."""

    def __init__(self, inner: asyncio.Protocol, first: bytes) -> None:
        self._inner = inner
        self._first = first

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)
        if not transport.is_closing():  # the guard may refuse it at the cap
            self._inner.data_received(self._first)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)


class GuardedSite(web.BaseSite):
    """aiohttp's TCPSite, with the guard between asyncio and aiohttp's protocol for each connection."""

    def __init__(self, runner: web.BaseRunner, guard: ConnectionGuard, host: str, port: int, **kwargs: Any) -> None:
        super().__init__(runner, **kwargs)
        self._guard = guard
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host, port=self._port))

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._guard.protocol_factory(server), self._host, self._port, backlog=self._backlog
        )

    async def stop(self) -> None:
        await super().stop()
        self._guard.close()
