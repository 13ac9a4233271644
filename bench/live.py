"""`make bench` part two: how fast an accepted order reaches a WebSocket client on the same device.

A steady load of orders (default 200/s, ARCHITECTURE §9) is posted to the daemon while one client
listens on branch:{id}:kitchen. For each order we note when its POST was sent, when the 201 came back
(durable) and when its `order:new` arrived, and print p50/p99 of both gaps.
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def order(oid: str) -> dict[str, object]:
    item = {"qty": 1, "mods": [{"name": "No onion"}], "course": "1", "courseStatus": "fire"}
    return {
        "id": oid,
        "name": "Guest",
        "time": "2026-11-24T12:00:00Z",
        "mode": "For Here",
        "items": [{**item, "lineId": "1", "name": "Hamburger"}, {**item, "lineId": "2", "name": "Fries"}],
    }


async def measure(url: str, jwt: str, token: str, rate: float, seconds: float) -> tuple[list[float], list[float]]:
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    arrived: dict[str, float] = {}
    headers = {"x-integration-token": token, "x-location-id": "demo-location", "x-device-ids": "all"}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/api/v1/ws", headers={"Authorization": f"Bearer {jwt}"})
        await ws.send_json({"type": "subscribe", "channel": "branch:demo-location:kitchen"})

        async def listen() -> None:
            async for msg in ws:
                data = msg.json()
                if data.get("event") == "order:new":
                    arrived[data["data"]["id"]] = time.perf_counter()

        async def post(oid: str) -> None:
            sent[oid] = time.perf_counter()
            async with session.post(f"{url}/integrators/kds-orders", json=order(oid), headers=headers) as resp:
                if resp.status == 201:
                    acked[oid] = time.perf_counter()

        listener = asyncio.create_task(listen())
        posts = []
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load generator, not synchronisation
            posts.append(asyncio.create_task(post(f"live-{n}")))
        await asyncio.gather(*posts)
        deadline = time.perf_counter() + 5
        while len(arrived) < len(acked) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        listener.cancel()
        await ws.close()
    from_send = [(arrived[o] - sent[o]) * 1000 for o in acked if o in arrived]
    from_ack = [(arrived[o] - acked[o]) * 1000 for o in acked if o in arrived]
    return from_send, from_ack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="heard-live-") as tmp:
        data, port = Path(tmp) / "daemon", free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HEARD_LOG_LEVEL": "WARNING"},
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            ctl = [sys.executable, "-c", "from daemon.cli import main; main()", "--data-dir", str(data)]
            jwt = subprocess.run(
                [*ctl, "token", "--role", "expo"], capture_output=True, text=True, check=True
            ).stdout.strip()
            token = subprocess.run(
                [*ctl, "integration-token", "create", "--name", "live"], capture_output=True, text=True, check=True
            ).stdout.split()[-1]
            from_send, from_ack = asyncio.run(measure(url, jwt, token, args.rate, args.duration))
        finally:
            stop(proc)
    print(f"\nlive: {len(from_send)} orders at {args.rate:.0f}/s, one WebSocket client on the same device")
    print(
        f"POST sent -> order:new received   p50 {percentile(from_send, 0.5):6.2f} ms  "
        f"p99 {percentile(from_send, 0.99):6.2f} ms"
    )
    print(
        f"201 received -> order:new received p50 {percentile(from_ack, 0.5):6.2f} ms  "
        f"p99 {percentile(from_ack, 0.99):6.2f} ms  (negative: the message came first)"
    )
    print("goal (ARCHITECTURE §9): accepted -> WebSocket on the same device, p99 <= 5 ms")


if __name__ == "__main__":
    main()
