"""heard-hq's ingest in-process, on SQLite and PostgreSQL: whatever order and grouping the events of an
order arrive in, the report rows are those of the devices' own fold of all of them."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from daemon.domain import commands
from daemon.domain.events import Event
from daemon.domain.model import Order, TicketAction, TicketStatus
from sync.hq.db import make_engine, migrate, orders, origins, tickets
from sync.hq.ingest import ingest
from sync.hq.reports import summary
from tests.daemon.domain.builders import Device, Kitchen, seed
from tests.hq.kitchen_day import ALERTS, TURNS, kitchen_day

LOCATION = "loc-i"


def kitchen_log(count: int) -> tuple[list[Event], dict[str, Order]]:
    """`count` orders made on one device: some bumped, some recalled and bumped again, some voided,
    some left open. Returns the device's log and each order as the device folded it."""
    device = Device("dev-a")
    finals: dict[str, Order] = {}
    for n in range(count):
        k = Kitchen(device)
        order = k.create(seed(id=f"o{n}"))
        station = next(iter(order.tickets.values())).station_id
        if n % 4 != 3:
            order = k.do(commands.ticket_action(order, station, TicketAction.START))
            order = k.do(commands.ticket_action(order, station, TicketAction.BUMP))
        if n % 4 == 1:
            order = k.do(commands.ticket_action(order, station, TicketAction.RECALL))
            order = k.do(commands.ticket_action(order, station, TicketAction.BUMP))
        if n % 4 == 2:
            order = k.do(commands.cancel_order(order, order.id))
        finals[order.id] = order
    return device.log, finals


def report_rows(engine: sa.Engine) -> tuple[dict[str, tuple], dict[str, tuple]]:
    with engine.connect() as conn:
        order_rows = {
            str(r.order_id): (r.created_ms, r.status, bool(r.canceled)) for r in conn.execute(sa.select(orders))
        }
        ticket_rows = {
            str(r.ticket_id): (str(r.order_id), r.station_id, r.status, r.created_ms, r.bumped_ms, bool(r.recalled))
            for r in conn.execute(sa.select(tickets))
        }
    return order_rows, ticket_rows


def expected_rows(finals: dict[str, Order], recalled: set[str]) -> tuple[dict[str, tuple], dict[str, tuple]]:
    order_rows = {o.id: (o.created_ms, str(o.status), o.canceled) for o in finals.values()}
    ticket_rows = {
        t.id: (
            o.id,
            t.station_id,
            str(t.status),
            t.created_ms,
            t.completed_ms if t.status is TicketStatus.BUMPED else None,
            t.id in recalled,
        )
        for o in finals.values()
        for t in o.tickets.values()
    }
    return order_rows, ticket_rows


@pytest.mark.parametrize("seed_value", [1, 2])
def test_any_arrival_order_gives_the_devices_fold(database: str, seed_value: int) -> None:
    engine = make_engine(database)
    migrate(engine)
    log, finals = kitchen_log(24)
    recalled = {str(e.payload["ticket_id"]) for e in log if e.type == "ticket.recalled"}
    rng = random.Random(seed_value)
    shuffled = log[:]
    rng.shuffle(shuffled)
    # Batches of any size, some events sent twice, later events often before the order's creation.
    batches: list[list[Event]] = []
    rest = shuffled
    while rest:
        size = rng.randint(1, 17)
        batch, rest = rest[:size], rest[size:]
        batches.append(batch + rng.sample(log, 2))
    for batch in batches:
        acked = ingest(engine, LOCATION, batch)
        assert set(acked) == {"dev-a"}
    assert report_rows(engine) == expected_rows(finals, recalled)
    with engine.connect() as conn:
        (row,) = conn.execute(sa.select(origins)).all()
    assert (row.events, row.max_seq) == (len(log), len(log))
    assert ingest(engine, LOCATION, log[:5]) == {"dev-a": len(log)}
    assert report_rows(engine) == expected_rows(finals, recalled)
    engine.dispose()


def test_in_order_batches_give_the_devices_fold(database: str) -> None:
    engine = make_engine(database)
    migrate(engine)
    log, finals = kitchen_log(12)
    recalled = {str(e.payload["ticket_id"]) for e in log if e.type == "ticket.recalled"}
    for first in range(0, len(log), 7):  # an order's events split over two batches
        ingest(engine, LOCATION, log[first : first + 7])
    assert report_rows(engine) == expected_rows(finals, recalled)
    engine.dispose()


def test_pacing_alerts_and_turns_whatever_the_arrival_order(database: str) -> None:
    engine = make_engine(database)
    migrate(engine)
    log = kitchen_day(LOCATION, 1_790_000_000_000)
    shuffled = log[:]
    random.Random(3).shuffle(shuffled)
    for first in range(0, len(shuffled), 9):
        ingest(engine, LOCATION, shuffled[first : first + 9])
    ingest(engine, LOCATION, log[-10:])  # alerts and turns sent again: still counted once
    figures = summary(engine, LOCATION, 1_789_000_000_000, 1_791_000_000_000)
    assert figures["course_pacing"] == {"courses_ready": 12, "on_time": 11, "adherence_percent": 91.7}
    assert figures["timing_alerts"] == ALERTS
    turns = figures["table_turns"]
    assert {k: turns[k] for k in TURNS} == TURNS
    assert turns["revenue_per_seat_hour"] == round(142.0 / (40 / 60 * 2 + 60 / 60 * 4), 2)
    engine.dispose()
