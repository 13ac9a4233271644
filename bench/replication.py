"""`make bench`: replication between two daemons (separate processes on 127.0.0.1).

1. Latency: orders posted to device A at a steady rate while a WebSocket client listens on device B;
   for each order, POST sent → `order:new` on B. Budget p99 50 ms (issue 19).
2. Catch-up: device A holds N events (default 50,000, written in-process beforehand); a fresh device B
   starts with A as its peer; the time until B holds every one of them. Budget 10 s. The rate of that
   catch-up is the steady replication throughput (events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.ingest import free_port, stop, wait_ready
from bench.live import order, percentile
from daemon.security.jwt_tokens import load_or_create_secret, mint_token
from daemon.store.store import Store
from sync.credentials import mint_peer_token
from tests.daemon.store.test_store import create
from tests.sync.kitchen import pos_headers

LOCATION = "demo-location"


def start(data_dir: Path, port: int, peers: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HEARD_PEER_URLS": ",".join(peers), "HEARD_MDNS": "false", "HEARD_LOG_LEVEL": "WARNING"}
    log = (data_dir.parent / f"{data_dir.name}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "daemon", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    wait_ready(f"http://127.0.0.1:{port}", proc)
    return proc


async def versions(session: aiohttp.ClientSession, url: str, secret: bytes) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {mint_peer_token(secret, LOCATION, 'bench')}"}
    async with session.get(url + "/peer/v1/hello", headers=headers) as resp:
        return dict((await resp.json())["versions"])


async def latency(root: Path, rate: float, seconds: float) -> list[float]:
    a_dir, b_dir = root / "a", root / "b"
    secret = load_or_create_secret(a_dir / "location.secret")
    b_dir.mkdir(parents=True)
    (b_dir / "location.secret").write_bytes(secret)
    pos = pos_headers(a_dir)
    pa, pb = free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
    procs = [start(a_dir, pa, [b_url]), start(b_dir, pb, [a_url])]
    jwt = mint_token(secret, sub="bench", roles=["chef"], location_id=LOCATION)
    gaps: list[float] = []
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
                            gaps.append((time.perf_counter() - sent.pop(name)) * 1000)

            listener = asyncio.create_task(listen())
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
            listener.cancel()
            await ws.close()
            if sent:
                print(f"  {len(sent)} orders never reached B's WebSocket", flush=True)
    finally:
        for p in procs:
            stop(p)
    return gaps


async def fill(data_dir: Path, events: int) -> int:
    """Write about `events` events to a store in-process: orders created and started, in batches."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "heard.db", "bench-origin-a")
    await store.open()
    try:
        n = 0
        while store.version_vector().get("bench-origin-a", 0) < events:
            batch = [f"fill-{n + i}" for i in range(500)]
            n += 500
            await asyncio.gather(*(create(store, oid) for oid in batch))
        return store.version_vector()["bench-origin-a"]
    finally:
        await store.close()


async def catch_up(root: Path, events: int) -> tuple[int, float]:
    a_dir, b_dir = root / "ca", root / "cb"
    held = await fill(a_dir, events)
    secret = load_or_create_secret(a_dir / "location.secret")
    b_dir.mkdir(parents=True)
    (b_dir / "location.secret").write_bytes(secret)
    pa, pb = free_port(), free_port()
    a_url, b_url = f"http://127.0.0.1:{pa}", f"http://127.0.0.1:{pb}"
    procs = [start(a_dir, pa, [])]
    try:
        async with aiohttp.ClientSession() as session:
            want = await versions(session, a_url, secret)
            began = time.perf_counter()
            procs.append(start(b_dir, pb, [a_url]))
            while True:
                have = await versions(session, b_url, secret)
                if all(have.get(o, 0) >= s for o, s in want.items()):
                    break
                await asyncio.sleep(0.02)  # polling the condition
            return held, time.perf_counter() - began
    finally:
        for p in procs:
            stop(p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=50_000, help="events device A holds for the catch-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="heard-bench-repl-") as tmp:
        root = Path(tmp)
        gaps = asyncio.run(latency(root, args.rate, args.seconds))
        p50, p99 = percentile(gaps, 0.5), percentile(gaps, 0.99)
        print(
            f"replication latency (order POSTed to A -> order:new on B's WebSocket), {len(gaps)} orders at"
            f" {args.rate:g}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (budget 50 ms: {'PASS' if p99 <= 50 else 'BELOW'})",
            flush=True,
        )
        held, seconds = asyncio.run(catch_up(root, args.events))
        print(
            f"catch-up of {held} events by a fresh device (start included): {seconds:.2f} s"
            f" (budget 10 s: {'PASS' if seconds <= 10 else 'BELOW'}); throughput {held / seconds:,.0f} events/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
