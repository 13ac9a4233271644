"""`make bench` part: Fresh KDS LAN orders over TCP, one command per connection, as POS software sends them.

A daemon with the LAN door open gets `--orders` create-order commands from `--clients` concurrent clients
(each connects, sends one document, half-closes, reads the order id); prints orders/s and the p50/p99 of
connect → answer. The commands run through the same code as the integrator API's POST.
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

import orjson

from bench.ingest import free_port, stop, wait_ready
from bench.live import order, percentile

CONFIG = """
[fresh_lan]
enabled = true
tcp_port = {tcp_port}
broadcast_to = ["127.255.255.255"]
allow = ["127.0.0.0/8"]

[[stations]]
id = "grill"
name = "Grill"

[[routing]]
station = "grill"
default = true
"""


async def one(port: int, oid: str) -> float:
    document = orjson.dumps({"command": "create-order", "order": {**order(oid), "time": 1764500000000}})
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(document)
    writer.write_eof()
    answer = await reader.read()
    writer.close()
    if answer != oid.encode():
        raise SystemExit(f"bench: order {oid} answered {answer[:200]!r}")
    return (time.perf_counter() - start) * 1000


async def measure(port: int, orders: int, clients: int) -> tuple[float, list[float]]:
    queue = iter(range(orders))
    latencies: list[float] = []

    async def client() -> None:
        for n in queue:
            latencies.append(await one(port, f"lan-{n}"))

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return orders / (time.perf_counter() - start), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="heard-lan-") as tmp:
        http_port, tcp_port = free_port(), free_port()
        config = Path(tmp) / "heard.toml"
        config.write_text(CONFIG.format(tcp_port=tcp_port), encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "daemon", "--config", str(config), "--data-dir", str(Path(tmp) / "data")]
            + ["--host", "127.0.0.1", "--port", str(http_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HEARD_LOG_LEVEL": "WARNING"},
        )
        try:
            wait_ready(f"http://127.0.0.1:{http_port}", proc)
            rate, latencies = asyncio.run(measure(tcp_port, args.orders, args.clients))
        finally:
            stop(proc)
    print(f"bench.fresh_lan: {args.orders} create-order commands over TCP, {args.clients} clients at once")
    print(
        f"  {rate:,.0f} orders/s; connect → order id p50 {percentile(latencies, 0.5):.1f} ms, "
        f"p99 {percentile(latencies, 0.99):.1f} ms"
    )


if __name__ == "__main__":
    main()
