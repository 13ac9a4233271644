"""The core's end of the front: start it, hand it connections, answer its requests, start it again if it dies.

A connection is handed over on its first bytes, when they begin an order write (`POST` or `PUT` on
`/integrators/kds-orders`): the socket goes to the front over a local socket (SCM_RIGHTS) with the bytes
already read, and the core forgets it. Everything else (screens, WebSockets, peers, the kitchen APIs) stays
with the core, and so does every connection while the front is not running: without the front the daemon
is the single process it always was, and a front that dies costs only its own connections, which the
clients open again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from daemon.config import ServerConfig
from daemon.front import wire
from daemon.front.dispatch import Dispatcher
from daemon.tasks import cancel_and_wait

log = logging.getLogger(__name__)

# What an order write's first bytes begin with. A first read shorter than these is served by the core.
ORDER_WRITES = (b"POST /integrators/kds-orders", b"PUT /integrators/kds-orders")
READY_TIMEOUT_SECONDS = 60.0  # from its start to its "ready": imports on a slow device under load take seconds
Adopt = Callable[[socket.socket, bytes], Coroutine[Any, Any, None]]  # serves a connection the front gives back
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # after the front's 1st, 2nd, ... exit in a row


def is_order_write(first: bytes) -> bool:
    return first.startswith(ORDER_WRITES)


class FrontLink:
    """The front process as the core sees it: up (it said ready and its socket is open) or not."""

    def __init__(
        self, app: web.Application, server: ServerConfig, timezone: str | None = None, log_level: str = "WARNING"
    ) -> None:
        self._dispatcher = Dispatcher(app, server.max_body_bytes)
        self._settings = {
            "max_body_bytes": server.max_body_bytes,
            "request_timeout_seconds": server.request_timeout_seconds,
            "keepalive_timeout_seconds": server.keepalive_timeout_seconds,
            "max_connections": server.max_connections,
            "log_level": log_level,
            "timezone": timezone,  # local times an order sends without a zone are read in the kitchen's
        }
        self._handoff: socket.socket | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._runner: asyncio.Task[None] | None = None
        self._answering: set[asyncio.Task[None]] = set()
        self._adopt: Adopt | None = None
        self._start_rate = server.front_start_rate  # order writes a second that start the front; 0: at once
        self._idle_limit = server.front_idle_seconds  # seconds under that rate that stop it again
        self._writes = 0  # order writes since the meter last looked
        self._quiet = 0  # the meter's looks in a row under the start rate, while the front runs
        self._meter: asyncio.Task[None] | None = None
        self.up = False
        self._stopping = False
        self.handed_over = 0  # connections, since start
        self.handed_back = 0  # connections the front gave back (a WebSocket upgrade on an order writer's)
        self.starts = 0

    async def start(self, adopt: Adopt) -> None:
        """Run the front from now on (a start rate of 0), or whenever order writes come at the start rate;
        `adopt` serves a connection the front hands back."""
        self._adopt = adopt
        if self._start_rate == 0:
            self._run()
        else:
            self._meter = asyncio.create_task(self._watch_load())

    async def stop(self) -> None:
        # daemon/tasks.py: the meter may be inside _halt, awaiting the runner, when this cancels it; the
        # suppress idiom would take that cancellation for the runner's, and the meter (and the stop) never end.
        if self._meter is not None:
            await cancel_and_wait(self._meter)
        await self._halt()

    def saw_order_write(self, direct: bool) -> bool:
        """Count an order write (`direct`: on one of the core's own connections, not through the front).
        True when that connection should close after its answer: the front is up, and a client that opens
        it again reaches the front (a keep-alive connection would otherwise stay with the core for good)."""
        self._writes += 1
        return direct and self.up

    def _run(self) -> None:
        self._runner = asyncio.create_task(self._keep_running())

    async def _halt(self) -> None:
        """Hand nothing more over, let the front finish the requests it holds (they need the core to answer
        them, so the core's end stays open meanwhile), then end it and what keeps it running."""
        self._stopping = True
        self.up = False
        await self._end_process()
        if self._runner is not None:
            await cancel_and_wait(self._runner)
            self._runner = None
        self._stopping = False

    async def _watch_load(self) -> None:
        """Once a second: start the front when order writes came at the start rate, stop it when they stayed
        under it for front_idle_seconds. Idle, the daemon is one process (ARCHITECTURE §9's 80 MB)."""
        while True:
            await asyncio.sleep(1.0)  # the meter's period, not a synchronisation
            rate, self._writes = self._writes, 0
            if self._runner is None:
                if rate >= self._start_rate:
                    log.info("order writes at %d a second: starting the front", rate)
                    self._quiet = 0
                    self._run()
                continue
            self._quiet = self._quiet + 1 if rate < self._start_rate else 0
            if self._quiet >= self._idle_limit:
                log.info("order writes under %d a second for %d s: stopping the front", self._start_rate, self._quiet)
                await self._halt()

    def hand_over(self, transport: asyncio.Transport, first: bytes) -> bool:
        """Give the front this connection, whose first read was `first`; False if the core keeps it."""
        if not self.up or self._handoff is None or len(first) > wire.MAX_FIRST_READ or not is_order_write(first):
            return False
        sock = transport.get_extra_info("socket")
        if sock is None:
            return False
        try:
            socket.send_fds(self._handoff, [first], [sock.fileno()])
        except OSError as exc:  # the front's queue is full, or it has just gone: the core serves this one
            log.debug("could not hand a connection to the front error=%s", exc)
            return False
        self.handed_over += 1
        return True

    async def _keep_running(self) -> None:
        failures = 0
        while True:
            started = asyncio.get_running_loop().time()
            try:
                await self._run_once()
            except Exception as exc:  # noqa: BLE001 - whatever ended it, the core serves alone and starts it again
                if not self._stopping:
                    log.warning("the front stopped error=%r", exc)
            finally:
                self.up = False
                await self._end_process()
            if self._stopping:
                return
            failures = 0 if asyncio.get_running_loop().time() - started > 60 else failures + 1
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            log.warning("the front is down: the core serves every connection; starting it again in %.1f s", delay)
            await asyncio.sleep(delay)  # a back-off between starts, not a synchronisation

    async def _run_once(self) -> None:
        rpc_core, rpc_front = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        handoff_core, handoff_front = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "daemon.front",
                str(rpc_front.fileno()),
                str(handoff_front.fileno()),
                json.dumps(self._settings),
                pass_fds=(rpc_front.fileno(), handoff_front.fileno()),
            )
        except BaseException:
            rpc_core.close()
            handoff_core.close()
            raise
        finally:
            rpc_front.close()
            handoff_front.close()
        self._process = process
        self.starts += 1
        handoff_core.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=rpc_core)
        try:
            hello = await asyncio.wait_for(wire.read_reply(reader), READY_TIMEOUT_SECONDS)
            if hello.body != wire.READY:
                raise ValueError(f"the front said {hello.body!r} instead of ready")
            self._handoff = handoff_core
            asyncio.get_running_loop().add_reader(handoff_core, self._take_back, handoff_core)
            self.up = True
            log.info("the front is up pid=%d: order writes' connections go to it", process.pid)
            while True:
                message = await wire.read_request(reader)
                task = asyncio.create_task(self._answer(message, writer))
                self._answering.add(task)
                task.add_done_callback(self._answering.discard)
        finally:
            self.up = False
            self._handoff = None
            asyncio.get_running_loop().remove_reader(handoff_core)
            handoff_core.close()
            writer.close()

    def _take_back(self, handoff: socket.socket) -> None:
        while True:
            try:
                first, fds, _, _ = socket.recv_fds(handoff, wire.MAX_FIRST_READ + 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                asyncio.get_running_loop().remove_reader(handoff)
                return
            if not fds:
                if not first:  # the front closed its end; _run_once notices on its own socket
                    asyncio.get_running_loop().remove_reader(handoff)
                return
            sock = socket.socket(fileno=fds[0])
            sock.setblocking(False)
            assert self._adopt is not None
            task = asyncio.create_task(self._adopt(sock, first))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
            self.handed_back += 1

    async def _answer(self, message: wire.Request, writer: asyncio.StreamWriter) -> None:
        reply = await self._dispatcher.answer(message)
        if not writer.is_closing():
            writer.write(wire.frame(reply))

    async def _end_process(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()

    def status(self) -> dict[str, Any]:
        return {
            "up": self.up,
            "on_load": self._start_rate > 0,  # started at front_start_rate order writes a second, stopped when quiet
            "starts": self.starts,
            "connections_handed_over": self.handed_over,
            "connections_handed_back": self.handed_back,
        }
