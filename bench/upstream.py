"""Upstream figures: 100,000 queued events reach headquarters once it is reachable (budget: under 30 s),
and heard-hq's own ingest rate in events/s, against PostgreSQL (SQLite when no PostgreSQL is installed).

The queue is made by cloning one real `order.created` event (from a real daemon) 100,000 times into the
device's log, each its own order: headquarters folds every one of them, as it would a day of orders.

Besides wall time and events/s it prints the CPU seconds each side spent over the upload (the device's
daemon, heard-hq, and the PostgreSQL server's processes), read from /proc: on a machine shared with other
work the wall time is pessimistic, the CPU time much less so.

    python -m bench.upstream [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import orjson

from tests.daemon.process import DaemonProcess, free_port
from tests.hq.hqprocess import HqProcess, PostgresServer, postgres_bin

LOCATION = "bench-location"
CONFIG = """
[location]
location_id = "{location}"

[[stations]]
id = "grill"
name = "Grill"

[[routing]]
station = "grill"
default = true
{upstream}
"""
ORDER = {
    "id": "seed",
    "name": "Guest",
    "time": "2026-11-24T12:00:00Z",
    "mode": "For Here",
    "items": [
        {"lineId": "1", "name": "Hamburger", "qty": 1, "mods": [], "course": "1"},
        {"lineId": "2", "name": "Fries", "qty": 2, "mods": [], "course": "1"},
    ],
}


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of a process and all its descendants alive now (PostgreSQL's postmaster and backends),
    plus what its waited-for children already used."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICK
        todo += children.get(pid, [])
    return total


def located(hq: HqProcess, reader: str, origin: str) -> dict[str, int]:
    request = urllib.request.Request(hq.url + "/api/v1/locations", headers={"Authorization": f"Bearer {reader}"})
    with urllib.request.urlopen(request, timeout=30) as resp:
        for location in json.loads(resp.read())["locations"]:
            if location["location_id"] == LOCATION:
                return dict(location["origins"].get(origin, {"events": 0, "max_seq": 0}))
    return {"events": 0, "max_seq": 0}


async def queue_events(root: Path, count: int) -> tuple[Path, str, int]:
    """A device whose log holds `count` order creations not yet uploaded."""
    config = root / "device.toml"
    config.write_text(CONFIG.format(location=LOCATION, upstream=""))
    daemon = DaemonProcess(root / "device", env={"HEARD_CONFIG": str(config)}).start()
    headers = {"x-integration-token": daemon.integration_token(), "x-location-id": LOCATION, "x-device-ids": "all"}
    async with aiohttp.ClientSession(headers=headers) as s:
        async with s.post(daemon.url + "/integrators/kds-orders", json=ORDER) as resp:
            assert resp.status == 201, await resp.text()
    daemon.stop()
    conn = sqlite3.connect(root / "device" / "heard.db")
    row = conn.execute(
        "SELECT pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema"
        " FROM events WHERE type = 'order.created'"
    ).fetchone()
    pos, origin, seq = int(row[0]), str(row[1]), int(conn.execute("SELECT MAX(seq) FROM events").fetchone()[0])
    max_pos = int(conn.execute("SELECT MAX(pos) FROM events").fetchone()[0])
    with conn:
        conn.executemany(
            "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor,"
            " schema) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (max_pos + n, origin, seq + n, row[3] + n, 0, row[5], row[6], f"bench-{n}", row[8], row[9], row[10])
                for n in range(1, count - seq + 1)
            ),
        )
    conn.close()
    del pos
    return config, origin, count


async def upload(database: str, root: Path, count: int, postgres: PostgresServer | None) -> dict[str, float]:
    """Seconds until headquarters holds every queued event, and the CPU seconds of each side meanwhile."""
    hq = HqProcess(database, root / "hq", port=free_port())
    token, reader = hq.token("--location", LOCATION), hq.token("--reader")
    config, origin, last = await queue_events(root, count)
    text = CONFIG.format(location=LOCATION, upstream=f'[upstream]\nurl = "{hq.url}"\ntoken = "{token}"\n')
    config.write_text(text)
    env = {"HEARD_CONFIG": str(config)}
    hq.start()
    assert hq.proc is not None
    try:
        hq_before = cpu_seconds(hq.proc.pid)
        pg_before = tree_cpu_seconds(postgres.pid()) if postgres else 0.0
        started = time.perf_counter()
        daemon = DaemonProcess(root / "device", env=env).start()
        device_before = cpu_seconds(daemon.proc.pid)
        try:
            while located(hq, reader, origin) != {"events": last, "max_seq": last}:
                if time.perf_counter() - started > 600:
                    raise SystemExit(f"not all events at headquarters after 600 s: {located(hq, reader, origin)}")
                await asyncio.sleep(0.25)  # polling a condition with a deadline (each poll counts every order)
            elapsed = time.perf_counter() - started
            return {
                "seconds": elapsed,
                "device_cpu": cpu_seconds(daemon.proc.pid) - device_before,
                "hq_cpu": cpu_seconds(hq.proc.pid) - hq_before,
                "pg_cpu": (tree_cpu_seconds(postgres.pid()) - pg_before) if postgres else 0.0,
            }
        finally:
            daemon.stop()
    finally:
        hq.stop()


async def ingest_rate(
    database: str, root: Path, count: int, postgres: PostgresServer | None, clients: int = 4, batch: int = 1000
) -> dict[str, float]:
    """heard-hq alone: pre-encoded batches of order creations posted by a few clients at once."""
    hq = HqProcess(database, root / "hq-rate", port=free_port())
    token = hq.token("--location", LOCATION)
    hq.start()
    template = {
        "origin": "rate-device",
        "hlc": {"wall_ms": 1_764_000_000_000, "counter": 0},
        "type": "order.created",
        "aggregate": "order",
        "payload": {},
        "actor": {"sub": "bench"},
    }
    # A real creation's payload, so that headquarters folds real orders.
    conn = sqlite3.connect(root / "device" / "heard.db")
    payload = orjson.loads(conn.execute("SELECT payload FROM events WHERE type = 'order.created'").fetchone()[0])
    conn.close()
    bodies = [
        orjson.dumps(
            {
                "location_id": LOCATION,
                "events": [
                    {**template, "seq": n, "aggregate_id": f"r{n}", "payload": payload}
                    for n in range(start, min(start + batch, count + 1))
                ],
            }
        )
        for start in range(1, count + 1, batch)
    ]
    try:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as s:
            pending = list(bodies)

            async def client() -> None:
                while pending:
                    body = pending.pop()
                    async with s.post(hq.url + "/api/v1/events", data=body) as resp:
                        assert resp.status == 200, await resp.text()

            assert hq.proc is not None
            hq_before = cpu_seconds(hq.proc.pid)
            pg_before = tree_cpu_seconds(postgres.pid()) if postgres else 0.0
            started = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(clients)))
            return {
                "rate": count / (time.perf_counter() - started),
                "hq_cpu": cpu_seconds(hq.proc.pid) - hq_before,
                "pg_cpu": (tree_cpu_seconds(postgres.pid()) - pg_before) if postgres else 0.0,
            }
    finally:
        hq.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    bindir = postgres_bin()
    server = PostgresServer(bindir).start() if bindir else None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            database = server.create_database("bench_upload") if server else f"sqlite:///{root / 'hq.db'}"
            kind = "PostgreSQL" if server else "SQLite"
            up = await upload(database, root, args.events, server)
            n = args.events
            print(
                f"upstream: {n} queued events reached heard-hq ({kind}) in {up['seconds']:.1f} s (budget 30 s):"
                f" {n / up['seconds']:,.0f} events/s; CPU s: device {up['device_cpu']:.1f},"
                f" heard-hq {up['hq_cpu']:.1f}, {kind} {up['pg_cpu']:.1f}"
                f" ({1e6 * up['device_cpu'] / n:.0f} / {1e6 * up['hq_cpu'] / n:.0f} / {1e6 * up['pg_cpu'] / n:.0f} µs"
                f" per event); load average {os.getloadavg()[0]:.1f}"
            )
            database = server.create_database("bench_rate") if server else f"sqlite:///{root / 'hq-rate.db'}"
            half = args.events // 2
            rate = await ingest_rate(database, root, half, server)
            print(
                f"heard-hq ingest ({kind}, 4 clients, batches of 1000 order creations): {rate['rate']:,.0f} events/s;"
                f" CPU µs per event: heard-hq {1e6 * rate['hq_cpu'] / half:.0f},"
                f" {kind} {1e6 * rate['pg_cpu'] / half:.0f}"
            )
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
