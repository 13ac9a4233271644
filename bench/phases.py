"""Where an order's time goes, phase by phase, in-process (no HTTP, no wrk): the figures that tell which
change moved the ingest numbers. CPU time of this thread per order, best of several rounds, so another
process on the machine disturbs it little.

    python -m bench.phases [--orders 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from daemon.config import DEMO
from daemon.domain import commands, compiled, intake
from daemon.domain.codec import order_to_json
from daemon.domain.events import ORDER, Event
from daemon.domain.fold import apply
from daemon.domain.hlc import Stamp
from daemon.domain.model import RoutingRule, Station, StationKind
from daemon.domain.setup import Setup
from daemon.store.store import Store

HERE = Path(__file__).resolve().parent


def bench_order(n: int) -> bytes:
    """The body bench/orders.lua posts, with its own id."""
    lua = (HERE / "orders.lua").read_text()
    items = re.search(r"local items = \[\[(.*?)\]\]", lua, re.S)
    assert items is not None
    body = {
        "id": f"bench-{n}",
        "name": f"Guest {n}",
        "time": "2026-11-24T12:00:00.000Z",
        "mode": "For Here",
        "server": "Sam",
        "terminal": "POS-2",
        "checkNumber": str(n),
        "covers": 2,
        "costs": {"subtotal": "$64.50", "tax": "$5.16", "total": "$69.66"},
        "items": orjson.loads(items.group(1)),
    }
    return orjson.dumps(body)


def demo_kitchen() -> commands.Kitchen:
    stations = {s["id"]: Station(s["id"], s["name"], StationKind(s.get("kind", "prep"))) for s in DEMO["stations"]}
    rules = {
        f"r{i}": RoutingRule(
            r["station"],
            r.get("menu_item_id"),
            r.get("category"),
            r.get("name_pattern"),
            bool(r.get("default")),
            id=f"r{i}",
        )
        for i, r in enumerate(DEMO["routing"])
    }
    return Setup(stations, rules).kitchen


def per_order_us(fn: Callable[[int], Any], orders: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        start = time.thread_time_ns()
        for n in range(orders):
            fn(n)
        best = min(best, (time.thread_time_ns() - start) / orders / 1000)
    return best


async def store_path_us(kitchen: commands.Kitchen, bodies: list[bytes], rounds: int) -> float:
    """The whole write path below HTTP: parse, validate, decide, apply, encode, group commit (64 at once)."""
    best = float("inf")
    for r in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "heard.db", "bench-device")
            await store.open()

            async def one(store: Store, raw: bytes) -> None:
                fields, items = intake.check_order(orjson.loads(raw))
                await store.execute(
                    ORDER, fields["id"], lambda s: commands.create_order(s, fields, items, ["d"], kitchen)
                )

            gc.collect()
            start_cpu, start_wall = time.process_time_ns(), time.perf_counter()
            for i in range(0, len(bodies), 64):
                await asyncio.gather(*(one(store, b) for b in bodies[i : i + 64]))
            cpu = (time.process_time_ns() - start_cpu) / len(bodies) / 1000
            wall = time.perf_counter() - start_wall
            await store.close()
            best = min(best, cpu)
            print(f"  store round {r + 1}: {len(bodies) / wall:,.0f} orders/s, {cpu:.0f} µs CPU per order", flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    gc.set_threshold(50_000, 20, 20)  # as heard-daemon sets it (daemon/main.py)
    kitchen = demo_kitchen()
    bodies = [bench_order(n) for n in range(args.orders)]
    parsed = [orjson.loads(b) for b in bodies]
    checked = [intake.check_order(p) for p in parsed]
    changes = [commands.create_order(None, f, i, ["d"], kitchen) for f, i in checked]

    def event(n: int) -> Event:
        c = changes[n]
        return Event(
            "bench", n + 1, Stamp(1_790_000_000_000 + n, 0, "bench"), c.type, c.aggregate, c.aggregate_id, c.payload
        )

    events = [event(n) for n in range(args.orders)]
    states = [apply(None, e) for e in events]
    phases = {
        "parse JSON": lambda n: orjson.loads(bodies[n]),
        "validate (intake)": lambda n: intake.check_order(parsed[n]),
        "decide (command: ids, routing, courses)": lambda n: commands.create_order(
            None, checked[n][0], checked[n][1], ["d"], kitchen
        ),
        "apply (fold + settle)": lambda n: apply(None, events[n]),
        "event payload JSON": lambda n: orjson.dumps(events[n].payload),
    }
    print(f"bench.phases: {args.orders} orders of bench/orders.lua's shape, best of {args.rounds} rounds")
    print(f"  the domain: {compiled.describe()}")
    total = 0.0
    for name, fn in phases.items():
        us = per_order_us(fn, args.orders, args.rounds)
        total += us
        print(f"  {name:<42} {us:7.1f} µs")
    print(f"  {'sum of the phases':<42} {total:7.1f} µs")
    snapshot = per_order_us(lambda n: orjson.dumps(order_to_json(states[n])), args.orders, args.rounds)
    print(f"  {'(a snapshot, every 16th event: not a create)':<42} {snapshot:7.1f} µs")
    store_us = asyncio.run(store_path_us(kitchen, bodies, min(args.rounds, 3)))
    print(f"  {'store path (all of the above + writer)':<42} {store_us:7.1f} µs CPU per order (both threads)")


if __name__ == "__main__":
    main()
