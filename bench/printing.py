"""Printing: what the print rule adds to a write, and how fast chits go from the journal to a printer.

In-process, on a real store and an emulated network printer on 127.0.0.1 (no HTTP): orders are written
through the store with and without printing wired, then every chit is awaited at the printer.

    python -m bench.printing [--orders 500]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
from pathlib import Path

import orjson

from bench.phases import bench_order, demo_kitchen
from daemon.config import PrinterConfig, load_config
from daemon.domain import commands, intake
from daemon.domain.events import ORDER
from daemon.domain.model import Station, StationKind
from daemon.domain.setup import SETUP, save_station
from daemon.reactions.printing import Printing
from daemon.store.store import Store, wall_clock_ms
from drivers.printers.emulator import EmulatedPrinter, TcpPrinter

LOCATION = "demo-location"


async def run(orders: int, printing: bool) -> tuple[float, float | None, int]:
    """(store CPU µs per order, seconds until every chit was at the printer, chits)."""
    server = TcpPrinter(EmulatedPrinter("bench")).start()
    kitchen = demo_kitchen()
    bodies = [intake.check_order(orjson.loads(bench_order(n))) for n in range(orders)]
    with tempfile.TemporaryDirectory() as tmp:
        config = dataclasses.replace(
            load_config(data_dir=Path(tmp), environ={}),
            printers=(PrinterConfig("bench", "network", host="127.0.0.1", port=server.port, profile="TM-T88V"),),
        )
        store = Store(Path(tmp) / "heard.db", "bench-device")
        wired = Printing(config, store, LOCATION, wall_clock_ms) if printing else None
        await store.open()
        stations = [
            save_station(LOCATION, Station(s.id, s.name, StationKind(s.kind), ("bench",)))
            for s in config.stations
            if s.kind == "prep"
        ]
        await store.execute(SETUP, LOCATION, lambda _: stations)
        if wired is not None:
            wired.start()
        start_cpu, start = time.process_time_ns(), time.perf_counter()
        for i in range(0, orders, 64):
            await asyncio.gather(
                *(
                    store.execute(ORDER, f["id"], lambda s, f=f, it=it: commands.create_order(s, f, it, ["d"], kitchen))
                    for f, it in bodies[i : i + 64]
                )
            )
        cpu = (time.process_time_ns() - start_cpu) / orders / 1000
        drained = None
        chits = 0
        if wired is not None:
            worker = wired.workers["bench"]
            expected = len(await store.journal.list(kind="print", limit=1_000_000))
            while worker.printed < expected:
                await asyncio.sleep(0.05)  # a benchmark waiting for its end, not a test
            drained, chits = time.perf_counter() - start, worker.printed
            await wired.stop()
        await store.close()
    server.stop()
    return cpu, drained, chits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    base, _, _ = asyncio.run(run(args.orders, printing=False))
    cpu, drained, chits = asyncio.run(run(args.orders, printing=True))
    assert drained is not None
    print(f"bench.printing: {args.orders} orders of bench/orders.lua's shape, every prep station printing")
    print(f"  store path without printing        {base:7.0f} µs CPU per order")
    print(f"  store path with the print rule     {cpu:7.0f} µs CPU per order (+{cpu - base:.0f})")
    print(
        f"  chits printed                      {chits:7d} in {drained:.1f} s: {chits / drained:,.0f} chits/s "
        "(in batches of up to 16: status, durable attempts, send, status, done — per batch)"
    )


if __name__ == "__main__":
    main()
