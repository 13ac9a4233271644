"""Client connections: capped below the descriptor limit, evicted oldest-waiter-first, cut at their deadlines.

The flood tests run the real daemon with a hard descriptor limit of 1024 (the default service limit) and
hold 1,200 connections that send their requests a byte at a time, on 127.0.0.1. The policy tests run
the guard in-process around a small application with a cap of a few connections.
"""

from __future__ import annotations

import asyncio
import copy
import os
import resource
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from daemon.config import Config, load_config
from daemon.connections import RESERVED_DESCRIPTORS, ConnectionGuard, GuardedSite, connection_cap
from tests.conftest import SEED_ORDER
from tests.daemon.process import DaemonProcess, until

NOFILE = 1024
FLOOD = 1200
HEADER_SECONDS = 4
KEEPALIVE_SECONDS = 6  # longer: aiohttp's keep-alive timer also closes a connection still sending headers
SLOW_REQUEST = b"POST /integrators/kds-orders HTTP/1.1\r\nHost: kitchen\r\nContent-Type: application/json\r\n"
TCP_CLOSE = 7  # tcpi_state after a reset
TCP_CLOSE_WAIT = 8  # after the peer's FIN


def tcp_state(sock: Any) -> int:
    """The kernel's state of a client socket, read without reading the socket (Linux TCP_INFO)."""
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0])


def closed_by_server(sock: Any) -> bool:
    """A reset or a FIN from the server; asyncio closes the socket itself once it has seen a reset."""
    return sock.fileno() < 0 or tcp_state(sock) in (TCP_CLOSE, TCP_CLOSE_WAIT)


def open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- the real daemon under a flood -------------------------------------------------------------------


CONFIG = f"""
[server]
request_timeout_seconds = {HEADER_SECONDS}
keepalive_timeout_seconds = {KEEPALIVE_SECONDS}

[[stations]]
id = "grill"
name = "Grill"

[[routing]]
station = "grill"
default = true
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonProcess]:
    root = tmp_path_factory.mktemp("flood")
    (root / "heard.toml").write_text(CONFIG)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * FLOOD:  # this process holds the flood's client side
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4 * FLOOD), hard))
    process = DaemonProcess(root / "data", env={"HEARD_CONFIG": str(root / "heard.toml")}, nofile=NOFILE).start()
    yield process
    process.stop()
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class SlowClient:
    """One connection sending a request a byte a second, never finishing its headers."""

    def __init__(self) -> None:
        self.first_byte = 0.0
        self.closed_at: float | None = None

    async def run(self, port: int, connected: asyncio.Event) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            self.closed_at = time.monotonic()
            return
        finally:
            connected.set()
        self.first_byte = time.monotonic()
        try:
            for byte in SLOW_REQUEST:
                writer.write(bytes([byte]))
                try:
                    await asyncio.wait_for(reader.read(1), 1.0)  # the pace of the flood: a byte a second
                    break  # end of stream: the daemon closed it
                except TimeoutError:
                    continue
        except OSError:
            pass  # reset: the daemon cut it
        finally:
            self.closed_at = time.monotonic()
            writer.transport.abort()


@asynccontextmanager
async def flood(port: int, count: int) -> AsyncIterator[list[SlowClient]]:
    clients = [SlowClient() for _ in range(count)]
    tasks = []
    for start in range(0, count, 100):  # in batches, so the listen queue never overflows into SYN retries
        batch = [asyncio.Event() for _ in range(min(100, count - start))]
        tasks += [asyncio.create_task(clients[start + i].run(port, e)) for i, e in enumerate(batch)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in batch)), 10)
    try:
        yield clients
    finally:
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), HEADER_SECONDS + 10)


def order(oid: str) -> dict[str, Any]:
    body = copy.deepcopy(SEED_ORDER)
    body["id"] = oid
    return body


async def test_while_a_flood_of_slow_connections_is_held_healthz_and_orders_are_answered(
    daemon: DaemonProcess,
) -> None:
    pos = {
        "x-integration-token": daemon.integration_token(),
        "x-location-id": "demo-location",
        "x-device-ids": "all",
    }
    assert daemon.proc is not None
    most_descriptors = 0

    async with aiohttp.ClientSession(daemon.url, timeout=aiohttp.ClientTimeout(total=3)) as http:
        async with flood(daemon.port, FLOOD) as clients:
            held = sum(c.closed_at is None for c in clients)
            most_descriptors = open_descriptors(daemon.proc.pid)
            started = time.monotonic()
            async with http.get("/healthz") as health:
                health_status = health.status
            async with http.post("/integrators/kds-orders", json=order("during-flood"), headers=pos) as created:
                order_status = created.status
            answered_in = time.monotonic() - started
            still_held = sum(c.closed_at is None for c in clients)
            most_descriptors = max(most_descriptors, open_descriptors(daemon.proc.pid))

    assert health_status == 200 and order_status == 201
    assert answered_in < 3
    cap = connection_cap(1000, NOFILE)
    assert held >= cap * 0.9 and still_held >= cap * 0.8, f"the flood was not held: {held} then {still_held} open"
    assert most_descriptors < NOFILE
    print(f"flood: {held} open (cap {cap}), {most_descriptors} descriptors, answered in {answered_in:.2f} s")


async def test_the_slow_connections_are_cut_at_their_header_deadline(daemon: DaemonProcess) -> None:
    async with flood(daemon.port, 300) as clients:
        pass  # the context waits for every slow client to end

    late = [c.closed_at - c.first_byte for c in clients if c.closed_at is not None and c.first_byte]
    assert len(late) == len(clients)
    assert max(late) < HEADER_SECONDS + 1.5
    assert min(late) > HEADER_SECONDS - 0.5  # under the cap: cut by the deadline, not evicted


async def test_an_idle_keep_alive_connection_is_closed(daemon: DaemonProcess) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: kitchen\r\n\r\n")
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    await reader.readuntil(b'{"status":"ok"}')
    answered = time.monotonic()

    rest = await asyncio.wait_for(reader.read(), KEEPALIVE_SECONDS + 3)

    assert rest == b""
    assert KEEPALIVE_SECONDS - 0.5 < time.monotonic() - answered < KEEPALIVE_SECONDS + 2
    writer.close()


# --- the policy, in-process --------------------------------------------------------------------------


@asynccontextmanager
async def guarded(cap: int, header_timeout: float = 30.0) -> AsyncIterator[tuple[int, asyncio.Event, list[str]]]:
    """A small server behind a guard: /hold answers when the event is set (the list holds one entry per
    /hold being handled), /quick at once."""
    guard = ConnectionGuard(cap=cap, header_timeout=header_timeout)
    release = asyncio.Event()
    holding: list[str] = []

    async def hold(request: web.Request) -> web.Response:
        holding.append(request.path)
        await release.wait()
        return web.Response(text="held")

    async def quick(request: web.Request) -> web.Response:
        return web.Response(text="quick")

    app = web.Application(middlewares=[guard.middleware])
    app.router.add_get("/hold", hold)
    app.router.add_get("/quick", quick)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = GuardedSite(runner, guard, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield port, release, holding
    finally:
        release.set()
        await runner.cleanup()


class Peer:
    """A raw client connection, so that its state can be read without reading from it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.sock = writer.get_extra_info("socket")

    @classmethod
    async def connect(cls, port: int) -> Peer:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    def ask(self, path: str) -> None:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: kitchen\r\n\r\n".encode())

    async def answer(self) -> bytes:
        return await asyncio.wait_for(self.reader.readline(), 5)

    def closed(self) -> bool:
        return closed_by_server(self.sock)


async def test_at_the_cap_a_new_connection_evicts_the_one_that_waited_longest() -> None:
    async with guarded(cap=3) as (port, _, _):
        first, second, third = [await Peer.connect(port) for _ in range(3)]
        second.ask("/quick")  # a finished request starts its wait again: now the newest waiter
        assert (await second.answer()).startswith(b"HTTP/1.1 200")

        fourth = await Peer.connect(port)
        await until(first.closed, 5, "the oldest waiter evicted")
        fifth = await Peer.connect(port)
        await until(third.closed, 5, "the next oldest evicted")

        assert not any(p.closed() for p in (second, fourth, fifth))


async def test_a_connection_whose_request_is_being_handled_is_never_evicted() -> None:
    async with guarded(cap=2) as (port, release, holding):
        busy = await Peer.connect(port)
        busy.ask("/hold")
        idle = await Peer.connect(port)
        await until(lambda: len(holding) == 1, 5, "the held request being handled")

        newcomers = [await Peer.connect(port) for _ in range(3)]
        await until(idle.closed, 5, "the idle connection evicted")
        await until(lambda: sum(p.closed() for p in newcomers) == 2, 5, "newcomers evicting each other")
        release.set()

        assert (await busy.answer()).startswith(b"HTTP/1.1 200")


async def test_when_every_connection_is_being_handled_a_new_one_is_refused() -> None:
    async with guarded(cap=2) as (port, release, holding):
        busy = [await Peer.connect(port) for _ in range(2)]
        for peer in busy:
            peer.ask("/hold")
        await until(lambda: len(holding) == 2, 5, "both held requests being handled")

        refused = await Peer.connect(port)
        await until(refused.closed, 5, "the newcomer refused")
        release.set()

        answers = [await p.answer() for p in busy]
        assert all(a.startswith(b"HTTP/1.1 200") for a in answers)


async def test_the_header_deadline_runs_from_a_requests_first_byte() -> None:
    async with guarded(cap=10, header_timeout=0.5) as (port, _, _):
        peer = await Peer.connect(port)
        for _ in range(3):  # the connection outlives the deadline; each request beats it
            peer.ask("/quick")
            assert (await peer.answer()).startswith(b"HTTP/1.1 200")
            await peer.reader.readuntil(b"quick")
            await asyncio.sleep(0.3)  # an idle pause between requests, as a POS makes
        peer.writer.write(b"GET /quick HTTP/1.1\r\n")
        first_byte = time.monotonic()

        await until(peer.closed, 3, "the slow request cut")

        assert 0.4 < time.monotonic() - first_byte < 1.5


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(data_dir=tmp_path / "data", environ={}, overrides={"server.request_timeout_seconds": 1})


async def test_a_body_that_does_not_arrive_in_time_is_answered_408(client: TestClient, pos: dict[str, str]) -> None:
    peer = await Peer.connect(client.server.port)
    headers = "".join(f"{name}: {value}\r\n" for name, value in pos.items())
    peer.writer.write(
        b"POST /integrators/kds-orders HTTP/1.1\r\nHost: kitchen\r\nContent-Type: application/json\r\n"
        + f"Content-Length: 500\r\n{headers}\r\n".encode()
        + b'{"id": "slow", '  # and the other 485 bytes never come
    )
    sent = time.monotonic()

    status = await peer.answer()
    await asyncio.wait_for(peer.reader.readuntil(b"REQUEST_TIMEOUT"), 5)

    assert status.startswith(b"HTTP/1.1 408")
    assert 0.9 < time.monotonic() - sent < 3


def test_the_cap_leaves_room_for_the_daemons_own_descriptors() -> None:
    assert connection_cap(1000, 8192) == 1000
    assert connection_cap(1000, 1024) == 1024 - RESERVED_DESCRIPTORS
    assert connection_cap(100, 1024) == 100
    assert connection_cap(1000, 256) == 64
    assert connection_cap(1000, resource.RLIM_INFINITY) == 1000
