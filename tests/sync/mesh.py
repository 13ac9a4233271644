"""Devices of one location in one process, joined by the real peer code over real sockets: each has a real
store (a SQLite file), the real peer endpoints on an aiohttp server on 127.0.0.1, and real links to the
others. Every link runs through a cable, a TCP relay the test can cut (every open connection aborted, new
ones refused) and mend: a partition of the kitchen's network, without namespaces or root."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from daemon.api.context import KITCHEN, STORE, Kitchen
from daemon.domain.codec import order_to_json
from daemon.identity import Device
from daemon.store.store import Store
from sync import server
from sync.outbound import Outbound
from sync.registry import OUTBOUND, PEERS, Peers

LOCATION = "mesh-location"
SECRET = b"m" * 32


class Cable:
    """A TCP relay to one device's peer port, used by one other device."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.cut = False
        self._open: set[asyncio.StreamWriter] = set()
        self._relays: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        relay = asyncio.current_task()
        assert relay is not None
        self._relays.add(relay)
        try:
            await self._relay(reader, writer)
        finally:
            self._relays.discard(relay)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.transport.abort()
            return
        # Held from the start: a cut while the relay still connects upstream aborts this one too (it
        # used to outlive the cut, so a "cut" cable carried a connection made just before it).
        self._open.add(writer)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            self._open.discard(writer)
            writer.transport.abort()
            return
        if writer.transport.is_closing():  # cut meanwhile
            self._open.discard(writer)
            up_writer.transport.abort()
            return
        self._open.add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            for w in (writer, up_writer):
                self._open.discard(w)
                w.transport.abort()

    def sever(self) -> None:
        self.cut = True
        for w in list(self._open):
            w.transport.abort()

    def mend(self) -> None:
        self.cut = False

    async def close(self) -> None:
        self.sever()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        if self._relays:  # every socket was aborted: the relays end by themselves, not left to be cancelled
            await asyncio.wait(set(self._relays), timeout=2)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


class MeshDevice:
    def __init__(self, path: Path, index: int, store: Store) -> None:
        self.index = index
        self.device_id = f"device-{index}"
        self.store = store
        self.path = path
        self.app = web.Application()
        self.app[STORE] = store
        self.app[KITCHEN] = Kitchen("mesh-tenant", LOCATION, Device(self.device_id, f"device {index}"))
        outbound = Outbound()
        store.subscribe(outbound.publish)
        self.app[OUTBOUND] = outbound
        # Port 0 told to peers: a peer that connects here is not linked back by its address, which would go
        # around the cables; every link is one the mesh made.
        self.peers = Peers(
            store,
            location_id=LOCATION,
            device_id=self.device_id,
            device_name=f"device {index}",
            secret=SECRET,
            data_dir=None,
            urls=[],
            port=0,
        )
        self.peers.outbound = outbound
        self.peers.max_backoff = 0.3  # a healed cable is tried again within a third of a second
        self.app[PEERS] = self.peers
        self.app.add_routes(server.routes)
        self.runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=1)
        self.port = 0

    async def serve(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.peers.stop()
        for ws in list(self.app[OUTBOUND].sockets):
            with contextlib.suppress(Exception):
                await ws.close()
        await self.runner.cleanup()


class Mesh:
    """`count` devices, each linked to every other through its own cable (i → j)."""

    def __init__(self, devices: list[MeshDevice]) -> None:
        self.devices = devices
        self.cables: dict[tuple[int, int], Cable] = {}
        self.cuts: set[frozenset[int]] = set()

    @classmethod
    async def start(cls, root: Path, count: int, start_ms: int = 1_790_000_000_000) -> Mesh:
        devices = []
        for i in range(count):
            store = Store(root / f"device-{i}.db", f"device-{i}", now_ms=_Clock(start_ms + 333 * i))
            await store.open()
            devices.append(MeshDevice(root, i, store))
        mesh = cls(devices)
        for d in devices:
            await d.serve()
        for d in devices:
            for other in devices:
                if other is not d:
                    cable = Cable(other.port)
                    await cable.start()
                    mesh.cables[(d.index, other.index)] = cable
        for d in devices:
            await d.peers.start()
            for other in devices:
                if other is not d:
                    d.peers.add_url(mesh.cables[(d.index, other.index)].url)
        return mesh

    def cut(self, i: int, j: int) -> None:
        self.cuts.add(frozenset((i, j)))
        self.cables[(i, j)].sever()
        self.cables[(j, i)].sever()

    def heal(self, i: int, j: int) -> None:
        self.cuts.discard(frozenset((i, j)))
        self.cables[(i, j)].mend()
        self.cables[(j, i)].mend()

    def heal_all(self) -> None:
        for pair in list(self.cuts):
            self.heal(*pair)

    def groups(self) -> list[list[MeshDevice]]:
        """The devices that can reach each other, directly or through another."""
        seen: set[int] = set()
        groups = []
        for d in self.devices:
            if d.index in seen:
                continue
            group, todo = [], [d.index]
            while todo:
                i = todo.pop()
                if i in seen:
                    continue
                seen.add(i)
                group.append(self.devices[i])
                todo += [j for j in range(len(self.devices)) if j != i and frozenset((i, j)) not in self.cuts]
            groups.append(group)
        return groups

    def in_step(self) -> bool:
        """Every group of devices that can reach each other holds the same events, all of them committed."""
        for group in self.groups():
            vectors = [d.store.version_vector() for d in group]
            if any(v != vectors[0] for v in vectors) or any(d.store._pending for d in group):
                return False
        return True

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait (polling, with a deadline) until every group is in step."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.in_step():
            if asyncio.get_running_loop().time() > deadline:
                vectors = {d.device_id: d.store.version_vector() for d in self.devices}
                raise AssertionError(f"not in step within {timeout} s: cuts {self.cuts}, vectors {vectors}")
            await asyncio.sleep(0.01)  # polling a condition with a deadline

    async def stop(self) -> None:
        for d in self.devices:  # the links first, so nothing reconnects while the servers go
            await d.peers.stop()
        for cable in self.cables.values():
            await cable.close()
        for d in self.devices:
            await d.stop()
        for d in self.devices:
            await d.store.close()


async def digest(path: Path, now_ms: int) -> tuple[dict[str, int], dict[str, Any], list[Any]]:
    """A closed device's whole state as a fresh start at `now_ms` reads it: version vector, every order
    (finished ones too: they are within the retention), what the fold skipped."""
    store = Store(path, "digest-reader", now_ms=lambda: now_ms)
    await store.open()
    try:
        orders = {o.id: order_to_json(o) for o in store.orders()}
        return store.version_vector(), orders, store.skipped()
    finally:
        await store.close()


class _Clock:
    """A wall clock of each device's own, a little apart, that always moves on."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        self.ms += 1
        return self.ms


@contextlib.asynccontextmanager
async def bounded(seconds: float, what: str) -> AsyncIterator[None]:
    """Run the block, but fail if it has not ended within `seconds`: with every task's await chain, taken
    while the stuck await is still waiting (a hang is then a failure that says where, not a stalled suite).
    The block runs in the caller's task, as it would unbounded: no loop turn is added before or after it."""
    loop = asyncio.get_running_loop()
    where: list[str] = []
    try:
        async with asyncio.timeout(None) as deadline:

            def expire() -> None:
                where.append(await_chains())
                deadline.reschedule(loop.time())

            watch = loop.call_later(seconds, expire)
            try:
                yield
            finally:
                watch.cancel()
    except TimeoutError:
        if not where:
            raise
    if where:  # also when the block took the cancellation for something else's and ended late
        raise AssertionError(f"{what} did not end within {seconds} s; where every task waits:\n{where[0]}")


def await_chains() -> str:
    """Each pending task and the chain of awaits it is suspended in, innermost last (Task.print_stack
    shows the outermost coroutine only)."""
    lines = []
    for task in asyncio.all_tasks():
        lines.append(f"{task.get_name()} (cancel requests: {task.cancelling()})")
        coro: Any = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                lines.append(f"    {frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return "\n".join(lines)
