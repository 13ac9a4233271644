"""Webhooks: what recording deliveries costs a write, and how fast one subscription drains.

Runs the real daemon application in-process on a temporary directory, with a receiver on 127.0.0.1.
Prints: the latency of a table status change with no subscription and with one (the rule and the
journal rows ride in the write's transaction), and deliveries per second to one receiver (one at a
time, in order, each signed and acknowledged, each settled through the writer)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from daemon.app import build_app
from daemon.config import load_config
from daemon.security.jwt_tokens import load_or_create_secret, mint_token

LOC = "demo-location"
TABLES = [f"tbl_00{i}" for i in range(1, 6)] + ["tbl_011", "tbl_012", "tbl_013"]


async def _changes(client: TestClient, headers: dict[str, str], n: int, first: int = 0) -> list[float]:
    """n status changes, each table toggling between dirty and available (every one a real change)."""
    took = []
    for i in range(first, first + n):
        table, status = TABLES[i % len(TABLES)], ("dirty", "available")[(i // len(TABLES)) % 2]
        start = time.perf_counter()
        resp = await client.patch(f"/api/v1/tables/{table}/status", json={"status": status}, headers=headers)
        took.append((time.perf_counter() - start) * 1000)
        assert resp.status == 200, await resp.text()
    return took


def _line(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=100)
    return f"{name:<28} p50 {q[49]:6.2f} ms   p99 {q[98]:6.2f} ms   ({len(ms)} writes)"


async def main(n: int) -> None:
    got = 0
    done = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        nonlocal got
        await request.read()
        got += 1
        if got >= n:
            done.set()
        return web.Response(status=204)

    receiver_app = web.Application()
    receiver_app.router.add_post("/hook", hook)
    receiver = TestServer(receiver_app, host="127.0.0.1")
    await receiver.start_server()
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(data_dir=Path(tmp) / "data", environ={})
        client = TestClient(TestServer(build_app(config)))
        await client.start_server()
        secret = load_or_create_secret(config.secret_path)
        headers = {"Authorization": f"Bearer {mint_token(secret, sub='bench', roles=['manager'], location_id=LOC)}"}
        print(_line("status change, no webhook", await _changes(client, headers, n)))
        url = f"http://127.0.0.1:{receiver.port}/hook"
        resp = await client.post(
            f"/api/v1/locations/{LOC}/webhooks", json={"url": url, "events": ["table.*"]}, headers=headers
        )
        assert resp.status == 201
        start = time.perf_counter()
        print(_line("status change, one webhook", await _changes(client, headers, n, n)))
        await asyncio.wait_for(done.wait(), 120)
        seconds = time.perf_counter() - start
        print(
            f"{'deliveries to one receiver':<28} {n / seconds:8.0f} /s   ({n} in {seconds:.2f} s, from the first write)"
        )
        await client.close()
    await receiver.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writes", type=int, default=1000, help="a multiple of 16")
    asyncio.run(main(parser.parse_args().writes))
