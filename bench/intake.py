"""`python -m bench.intake`: µs of validation per order (intake.check_order), on the seed's and the bench's order.

Not a test: a figure to compare before and after a change to daemon/domain/intake.py, on the same machine.
"""

from __future__ import annotations

import re
import time
import timeit
from pathlib import Path
from typing import Any

import orjson

from daemon.domain import intake

HERE = Path(__file__).resolve().parent

SEED = {
    "id": "123",
    "name": "John Doe",
    "time": "2023-04-03T13:48:38.769Z",
    "pickupTime": "2023-04-03T14:15:00.000Z",
    "phoneNumber": "+16155551234",
    "mode": "Pickup",
    "items": [
        {
            "lineId": "1",
            "name": "Hamburger",
            "qty": 1,
            "mods": ["No Ketchup", "Side Fries"],
            "course": "Course 1",
            "seat": "Seat 1",
            "courseStatus": "fire",
        },
        {
            "lineId": "2",
            "name": "Vanilla Shake",
            "qty": 1,
            "mods": [],
            "course": "Course 2",
            "seat": "Seat 1",
            "courseStatus": "hold",
        },
    ],
}


def bench_order() -> dict[str, Any]:
    """The order `make bench` posts (bench/orders.lua), so the figure matches the ingest benchmark's."""
    lua = (HERE / "orders.lua").read_text()
    found = re.search(r"local items = \[\[(.*?)\]\]", lua, re.S)
    assert found, "bench/orders.lua no longer holds its items"
    return {
        "id": "bench-1-1",
        "name": "Guest 1",
        "time": "2026-11-24T12:00:00.000Z",
        "mode": "For Here",
        "server": "Sam",
        "terminal": "POS-2",
        "checkNumber": "1",
        "covers": 2,
        "costs": {"subtotal": "$64.50", "tax": "$5.16", "total": "$69.66"},
        "items": orjson.loads(found.group(1)),
    }


def per_order_us(body: dict[str, Any], repeat: int = 15, number: int = 5_000) -> float:
    """Best of `repeat` runs of process time: the least disturbed by the rest of the machine."""
    best = min(timeit.repeat(lambda: intake.check_order(body), repeat=repeat, number=number, timer=time.process_time))
    return best / number * 1e6


def main() -> None:
    for name, body in (("seed order (2 items)", SEED), ("bench order (5 items)", bench_order())):
        print(f"{name}: {per_order_us(body):.1f} µs per check_order")


if __name__ == "__main__":
    main()
