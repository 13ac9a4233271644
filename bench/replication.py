"""`make bench`: replication between two daemons (separate processes on 127.0.0.1).

1. Latency: orders posted to device A at a steady rate while a WebSocket client listens on device B;
   for each order, POST sent → `order:new` on B. Budget p99 50 ms (issue 19).
2. Steady throughput: with A and B streaming, orders posted to A as fast as it takes them (32 at once);
   the events per second B holds, from the first POST until B holds all of them.
3. Catch-up: device A holds N events (default 50,000, written in-process beforehand: a service of orders
   made, started and bumped, the last `--open` of them still on the screens); a fresh device B starts with
   A as its peer; the time until B holds every one of them, its start included. Budget 10 s.

Beside each wall-clock figure it prints the CPU seconds each daemon used in that phase (user + system,
from /proc): on a shared machine load stretches wall time far more than it changes CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.ingest import free_port, stop, wait_ready
from bench.live import order, percentile
from daemon.domain import commands
from daemon.domain.events import ORDER
from daemon.domain.model import TicketAction
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from daemon.store.store import Store
from sync.credentials import mint_peer_token
from tests.daemon.store.test_store import create
from tests.sync.kitchen import pos_headers

LOCATION = "demo-location"
IDLE_SECONDS = 3.0


STATIONS = """
[location]
location_id = "demo-location"
[[stations]]
id = "grill"
name = "Grill"
{printers}
[[stations]]
id = "fry"
name = "Fry"
[[stations]]
id = "expo"
name = "Expo"
kind = "expo"
[[routing]]
station = "fry"
name_pattern = "fries|rings"
[[routing]]
station = "grill"
default = true
"""
PRINTER = """
[[printers]]
id = "kitchen-printer"
kind = "file"
path = "printer-kitchen.bin"
"""


def config_file(data_dir: Path, printer: bool) -> Path:
    """The demo's kitchen, less its dining room; only device A owns the (file) printer, as in a kitchen where
    one device drives it (a device prints on the printers its configuration declares: two declaring the same
    one would both print every chit)."""
    path = data_dir.parent / f"{data_dir.name}.toml"
    if printer:
        path.write_text(STATIONS.format(printers='printers = ["kitchen-printer"]') + PRINTER)
    else:
        path.write_text(STATIONS.format(printers=""))
    return path


def start(data_dir: Path, port: int, peers: list[str], printer: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HEARD_PEER_URLS": ",".join(peers), "HEARD_MDNS": "false", "HEARD_LOG_LEVEL": "WARNING"}
    log = (data_dir.parent / f"{data_dir.name}.log").open("ab")
    command = [sys.executable, "-m", "daemon", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--config", str(config_file(data_dir, printer))],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


def cpu_seconds(proc: subprocess.Popen[bytes]) -> float:
    """User + system CPU time the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """CPU seconds each daemon uses between `mark()` and `used()`."""

    def __init__(self, procs: list[subprocess.Popen[bytes]]) -> None:
        self.procs = procs
        self.mark()

    def mark(self) -> None:
        self.start = [cpu_seconds(p) for p in self.procs]

    def used(self) -> list[float]:
        return [cpu_seconds(p) - s for p, s in zip(self.procs, self.start, strict=True)]


async def versions(session: aiohttp.ClientSession, url: str, secret: bytes) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {mint_peer_token(secret, LOCATION, 'bench')}"}
    async with session.get(url + "/peer/v1/hello", headers=headers) as resp:
        return dict((await resp.json())["versions"])


@dataclass
class Figures:
    gaps: list[float] = field(default_factory=list)  # ms, POST sent -> order:new on B
    idle_cpu: list[float] = field(default_factory=list)  # CPU s per s of A and B, linked and idle
    latency_cpu: list[float] = field(default_factory=list)  # CPU s of A and B during the latency run
    orders: int = 0
    burst_events: int = 0
    burst_seconds: float = 0.0
    burst_cpu: list[float] = field(default_factory=list)


async def pair_run(root: Path, rate: float, seconds: float, burst_seconds: float) -> Figures:
    a_dir, b_dir = root / "a", root / "b"
    secret = load_or_create_secret(a_dir / "location.secret")
    b_dir.mkdir(parents=True)
    (b_dir / "location.secret").write_bytes(secret)
    pos = pos_headers(a_dir)
    pa, pb = free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
    procs = [start(a_dir, pa, [b_url], printer=True), start(b_dir, pb, [a_url])]
    jwt = mint_token(secret, sub="bench", roles=["chef"], location_id=LOCATION)
    out = Figures()
    try:
        async with aiohttp.ClientSession() as session:
            while await versions(session, a_url, secret) != await versions(session, b_url, secret):
                await asyncio.sleep(0.05)  # the two seeds replicated: start from a quiet pair
            ws = await session.ws_connect(b_url + "/api/v1/ws", headers={"Authorization": f"Bearer {jwt}"})
            await ws.send_json({"type": "subscribe", "channel": f"branch:{LOCATION}:kitchen"})
            sent: dict[str, float] = {}

            async def listen() -> None:
                async for msg in ws:
                    data = msg.json()
                    if data.get("event") == "order:new":
                        name = data["data"].get("name")
                        if name in sent:
                            out.gaps.append((time.perf_counter() - sent.pop(name)) * 1000)

            listener = asyncio.create_task(listen())
            cpu = Cpu(procs)
            await asyncio.sleep(IDLE_SECONDS)  # measuring what the pair costs doing nothing
            out.idle_cpu = [c / IDLE_SECONDS for c in cpu.used()]
            cpu.mark()
            n = int(rate * seconds)
            begin = time.perf_counter()
            for i in range(n):
                target = begin + i / rate
                await asyncio.sleep(max(0.0, target - time.perf_counter()))  # pacing the load
                body = order(f"lat-{i}")
                body["name"] = f"lat-{i}"
                sent[f"lat-{i}"] = time.perf_counter()
                async with session.post(a_url + "/integrators/kds-orders", json=body, headers=pos) as resp:
                    assert resp.status in (200, 201), await resp.text()
            deadline = time.perf_counter() + 10
            while sent and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)  # waiting for the last messages, with a deadline
            out.latency_cpu, out.orders = cpu.used(), n
            listener.cancel()
            await ws.close()
            if sent:
                print(f"  {len(sent)} orders never reached B's WebSocket", flush=True)
            await burst(session, a_url, b_url, secret, pos, burst_seconds, procs, out)
    finally:
        for p in procs:
            stop(p)
    return out


async def burst(
    session: aiohttp.ClientSession,
    a_url: str,
    b_url: str,
    secret: bytes,
    pos: dict[str, str],
    seconds: float,
    procs: list[subprocess.Popen[bytes]],
    out: Figures,
) -> None:
    """Orders posted to A by 32 clients at once for `seconds`; the events B holds per second meanwhile. The
    orders target A only (`x-device-ids`), so A answers without waiting for B's acknowledgement: the POS
    side runs as fast as A takes orders, and the figure is what replication keeps up with."""
    before = sum((await versions(session, a_url, secret)).values())
    headers = {"Authorization": f"Bearer {mint_peer_token(secret, LOCATION, 'bench')}"}
    async with session.get(a_url + "/peer/v1/hello", headers=headers) as resp:
        pos = {**pos, "x-device-ids": (await resp.json())["deviceId"]}
    cpu = Cpu(procs)
    began = time.perf_counter()
    stop_at = began + seconds
    count = 0

    async def client(k: int) -> None:
        nonlocal count
        while time.perf_counter() < stop_at:
            count += 1
            body = order(f"burst-{k}-{count}")
            async with session.post(a_url + "/integrators/kds-orders", json=body, headers=pos) as resp:
                assert resp.status in (200, 201), await resp.text()

    await asyncio.gather(*(client(k) for k in range(32)))
    want = await versions(session, a_url, secret)
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        have = await versions(session, b_url, secret)
        if all(have.get(o, 0) >= s for o, s in want.items()):
            break
        await asyncio.sleep(0.01)  # polling the condition
    out.burst_seconds = time.perf_counter() - began
    out.burst_events = sum(want.values()) - before
    out.burst_cpu = cpu.used()


async def fill(data_dir: Path, events: int, still_open: int) -> tuple[int, int]:
    """Write about `events` events to a store in-process: a service of orders made, started and bumped
    (three events each), the last `still_open` left on the screens. Returns (events, orders)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "heard.db", "bench-origin-a")
    await store.open()

    async def service(oid: str, finish: bool) -> None:
        await create(store, oid)
        if finish:
            for action in (TicketAction.START, TicketAction.BUMP):
                await store.execute(ORDER, oid, lambda o, a=action: commands.ticket_action(o, "grill", a))

    try:
        n, total = 0, events // 3
        while store.version_vector().get("bench-origin-a", 0) < events:
            batch = [(f"fill-{n + i}", n + i < total - still_open) for i in range(500)]
            n += 500
            await asyncio.gather(*(service(oid, finish) for oid, finish in batch))
        return store.version_vector()["bench-origin-a"], n
    finally:
        await store.close()


@dataclass
class CatchUp:
    events: int
    orders: int
    seconds: float
    cpu: list[float]


async def catch_up(root: Path, events: int, still_open: int) -> CatchUp:
    a_dir, b_dir = root / "ca", root / "cb"
    held, orders = await fill(a_dir, events, still_open)
    secret = load_or_create_secret(a_dir / "location.secret")
    b_dir.mkdir(parents=True)
    (b_dir / "location.secret").write_bytes(secret)
    pa, pb = free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
    procs = [start(a_dir, pa, [], printer=True)]
    try:
        async with aiohttp.ClientSession() as session:
            want = await versions(session, a_url, secret)
            a_before = cpu_seconds(procs[0])
            began = time.perf_counter()
            procs.append(start(b_dir, pb, [a_url]))
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    have = await versions(session, b_url, secret)
                    if all(have.get(o, 0) >= s for o, s in want.items()):
                        break
                await asyncio.sleep(0.02)  # polling the condition
            seconds = time.perf_counter() - began
            return CatchUp(held, orders, seconds, [cpu_seconds(procs[0]) - a_before, cpu_seconds(procs[1])])
    finally:
        for p in procs:
            stop(p)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "BELOW"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--burst-seconds", type=float, default=5.0, help="how long the throughput run posts")
    parser.add_argument("--events", type=int, default=50_000, help="events device A holds for the catch-up")
    parser.add_argument("--open", type=int, default=300, help="orders of the catch-up still on the screens")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="heard-bench-repl-") as tmp:
        root = Path(tmp)
        f = asyncio.run(pair_run(root, args.rate, args.seconds, args.burst_seconds))
        p50, p99 = percentile(f.gaps, 0.5), percentile(f.gaps, 0.99)
        a_cpu, b_cpu = (1000 * c / max(1, f.orders) for c in f.latency_cpu)
        print(
            f"replication latency (order POSTed to A -> order:new on B's WebSocket), {len(f.gaps)} orders at"
            f" {args.rate:g}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (budget 50 ms: {verdict(p99 <= 50)});"
            f" CPU per order: A {a_cpu:.2f} ms, B {b_cpu:.2f} ms",
            flush=True,
        )
        print(
            f"idle, linked: CPU A {1000 * f.idle_cpu[0]:.0f} ms/s, B {1000 * f.idle_cpu[1]:.0f} ms/s"
            " (timers: the kitchen clock, the printers' safety net, pings)",
            flush=True,
        )
        rate = f.burst_events / f.burst_seconds
        a_cpu, b_cpu = (1e6 * c / max(1, f.burst_events) for c in f.burst_cpu)
        print(
            f"steady replication: {f.burst_events} events posted to A over {args.burst_seconds:g} s held by B"
            f" {f.burst_seconds:.2f} s after the first: {rate:,.0f} events/s; CPU per event: A {a_cpu:.0f} µs"
            f" (taking the order too), B {b_cpu:.0f} µs",
            flush=True,
        )
        c = asyncio.run(catch_up(root, args.events, args.open))
        print(
            f"catch-up of {c.events} events ({c.orders} orders, {args.open} still open) by a fresh device, its start"
            f" included: {c.seconds:.2f} s (budget 10 s: {verdict(c.seconds <= 10)}), {c.events / c.seconds:,.0f}"
            f" events/s; CPU: A {c.cpu[0]:.1f} s serving, B {c.cpu[1]:.1f} s ({1e6 * c.cpu[1] / c.events:.0f} µs"
            f" per event, its start included)",
            flush=True,
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
