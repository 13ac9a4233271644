"""A year of orders on disk: the daemon's cold start and idle memory against ARCHITECTURE §9's budgets
(cold start to ready under 2 s, idle RSS under 80 MB).

Builds a data directory holding N finished orders (a year at about 550 a day by default), each a real
order's events and snapshot with its own id, plus a shift's live orders, then starts heard-daemon on
it and measures the time to /readyz 200 and the resident memory once idle.

    python -m bench.memory [--orders 200000] [--live 150]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import orjson

from bench.ingest import free_port
from bench.phases import bench_order, demo_kitchen
from daemon.domain import commands, intake
from daemon.domain.codec import order_to_json
from daemon.domain.events import ORDER
from daemon.domain.model import TicketAction
from daemon.store.store import Store

BUDGET_MB = 80
BUDGET_START_S = 2.0
DAY_MS = 86_400_000


async def _templates(path: Path) -> tuple[list[tuple[object, ...]], tuple[object, ...]]:
    """One real order, created and bumped off every screen through the store: its event rows and its
    final aggregate row, to be copied under other ids."""
    store = Store(path, "bench-device")
    await store.open()
    kitchen = demo_kitchen()
    fields, items = intake.check_order(orjson.loads(bench_order(0)))
    for item in items:
        item["courseStatus"] = "fire"
    await store.execute(ORDER, "bench-0", lambda s: commands.create_order(s, fields, items, ["d"], kitchen))
    while (order := store.order("bench-0")) is not None and order.on_screen:
        station = next(t.station_id for t in order.tickets.values() if t.status.value not in ("bumped", "voided"))
        await store.execute(ORDER, "bench-0", lambda o, s=station: commands.ticket_action(o, s, TicketAction.BUMP))
    final = store.order("bench-0")
    assert final is not None
    await store.close()
    conn = sqlite3.connect(path)
    events = conn.execute(
        "SELECT origin, wall_ms, counter, type, aggregate, aggregate_id, payload, actor, schema FROM events"
        " WHERE aggregate_id = 'bench-0' ORDER BY pos"
    ).fetchall()
    conn.execute("DELETE FROM events WHERE aggregate_id = 'bench-0'")
    conn.execute("DELETE FROM aggregates WHERE id = 'bench-0'")
    conn.commit()
    conn.close()
    return events, ("order", "bench-0", orjson.dumps(order_to_json(final)).decode())


def build(data_dir: Path, orders: int) -> None:
    db = data_dir / "heard.db"
    events, aggregate = asyncio.run(_templates(db))
    conn = sqlite3.connect(db)
    (pos,) = conn.execute("SELECT COALESCE(MAX(pos), 0) FROM events").fetchone()
    (seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE origin = 'bench-device'").fetchone()
    start_ms = int(time.time() * 1000) - 366 * DAY_MS
    step_ms = 365 * DAY_MS // max(1, orders)
    conn.execute("BEGIN")
    for n in range(1, orders + 1):
        oid = f"year-{n}"
        at = start_ms + n * step_ms
        rows = []
        for origin, _wall, counter, type_, agg, _agg_id, payload, actor, schema in events:
            pos += 1
            seq += 1
            body = payload.replace("bench-0", oid)
            rows.append((pos, origin, seq, at, counter, type_, agg, oid, body, actor, schema))
        conn.executemany(
            "INSERT INTO events (pos, origin, seq, wall_ms, counter, type, aggregate, aggregate_id, payload, actor,"
            " schema) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO aggregates (kind, id, state, snapshot_pos, pos, live, updated_ms)"
            " VALUES (?, ?, ?, ?, ?, 0, ?)",
            ("order", oid, str(aggregate[2]).replace("bench-0", oid), pos, pos, at),
        )
    conn.execute("COMMIT")
    conn.close()


def rss_mb(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if line.startswith("Vm")}
    return values["VmRSS"] / 1024, values["VmHWM"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--live", type=int, default=150)
    args = parser.parse_args()
    daemon = Path(sys.executable).with_name("heard-daemon")
    ctl = Path(sys.executable).with_name("heardctl")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        t0 = time.monotonic()
        build(data, args.orders)
        size = (data / "heard.db").stat().st_size / 1e6
        took = time.monotonic() - t0
        print(f"bench.memory: {args.orders:,} finished orders on disk ({size:,.0f} MB), built in {took:.0f} s")
        results = []
        for run in ("first start", "with a shift's live orders"):
            port = free_port()
            started = time.monotonic()
            proc = subprocess.Popen(
                [str(daemon), "--data-dir", str(data), "--host", "127.0.0.1", "--port", str(port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                while True:
                    try:
                        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as resp:
                            if resp.status == 200:
                                break
                    except OSError:
                        pass
                    if proc.poll() is not None or time.monotonic() - started > 60:
                        raise SystemExit("bench.memory: the daemon did not become ready")
                    time.sleep(0.01)
                ready_s = time.monotonic() - started
                if run == "first start" and args.live:
                    token = subprocess.run(
                        [str(ctl), "--data-dir", str(data), "integration-token", "create", "--name", "bench"],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    secret = next(w for w in token.split() if w.startswith("hit_"))
                    time.sleep(1.5)  # the daemon re-reads its token table every second
                    for n in range(args.live):
                        req = urllib.request.Request(
                            f"{url}/integrators/kds-orders",
                            data=bench_order(10_000_000 + n),
                            headers={
                                "x-integration-token": secret,
                                "x-location-id": "demo-location",
                                "x-device-ids": "all",
                                "Content-Type": "application/json",
                            },
                            method="POST",
                        )
                        urllib.request.urlopen(req, timeout=5).close()
                time.sleep(2)  # idle: let start-up's garbage go
                rss, peak = rss_mb(proc.pid)
                results.append((run, ready_s, rss, peak))
            finally:
                proc.terminate()
                proc.wait(timeout=20)
        print(f"  {'run':<28} {'ready s':>8} {'idle RSS MB':>12} {'peak MB':>8}")
        for run, ready_s, rss, peak in results:
            print(f"  {run:<28} {ready_s:8.2f} {rss:12.1f} {peak:8.1f}")
        worst_rss = max(r[2] for r in results)
        worst_start = max(r[1] for r in results)
        print(
            f"  budgets: ready < {BUDGET_START_S} s: {'pass' if worst_start < BUDGET_START_S else 'FAIL'};"
            f" idle RSS < {BUDGET_MB} MB: {'pass' if worst_rss < BUDGET_MB else 'FAIL'}"
        )


if __name__ == "__main__":
    main()
