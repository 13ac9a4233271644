"""Events from other devices: taken once, in any order, and every device folds the same state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.domain import commands
from daemon.domain.codec import order_to_json
from daemon.domain.errors import HeardError
from daemon.domain.events import ORDER
from daemon.domain.model import TicketAction
from daemon.store.store import Store
from tests.daemon.store.test_store import create


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        self.ms += 1
        return self.ms


async def open_store(path: Path, origin: str, start_ms: int = 1_790_000_000_000) -> Store:
    store = Store(path / f"{origin}.db", origin, now_ms=Clock(start_ms))
    await store.open()
    return store


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    a = await open_store(tmp_path, "device-a")
    b = await open_store(tmp_path, "device-b", start_ms=1_790_000_000_500)
    yield a, b
    await a.close()
    await b.close()


async def pull(into: Store, source: Store) -> int:
    """What a peer does: ask for every origin's events after what `into` holds."""
    taken = 0
    have = into.version_vector()
    for origin, top in source.version_vector().items():
        if top > have.get(origin, 0):
            taken += (await into.ingest(source.events_of_origin(origin, have.get(origin, 0)))).accepted
    return taken


async def act(store: Store, oid: str, action: TicketAction, station: str = "grill") -> bool:
    try:
        _, events = await store.execute(
            ORDER, oid, lambda o: commands.ticket_action(o, station, action) if o is not None else None
        )
    except HeardError:
        return False
    return bool(events)


def state(store: Store, oid: str) -> Any:
    order = store.order(oid)
    return order_to_json(order) if order is not None else None


async def test_an_order_made_on_one_device_folds_the_same_on_another(pair: tuple[Store, Store]) -> None:
    a, b = pair
    await create(b, "o1")
    await act(b, "o1", TicketAction.START)

    assert await pull(a, b) == 2
    assert state(a, "o1") == state(b, "o1")
    assert a.version_vector() == {"device-b": 2}
    assert await pull(a, b) == 0  # nothing twice
    assert (await a.ingest(b.events_of_origin("device-b", 0))).accepted == 0


async def test_a_gap_is_refused_and_named(pair: tuple[Store, Store]) -> None:
    a, b = pair
    await create(b, "o1")
    await act(b, "o1", TicketAction.START)
    await act(b, "o1", TicketAction.READY)

    result = await a.ingest(b.events_of_origin("device-b", 1))

    assert result.accepted == 0 and result.gaps == {"device-b": 1}
    assert a.order("o1") is None


async def test_concurrent_actions_converge_and_the_loser_is_recorded(pair: tuple[Store, Store]) -> None:
    """Cut off from each other, one device bumps the grill ticket while the other voids it."""
    a, b = pair
    await create(a, "o1")
    await pull(b, a)
    assert await act(a, "o1", TicketAction.BUMP)
    assert await act(b, "o1", TicketAction.VOID)

    await pull(a, b)
    await pull(b, a)

    assert state(a, "o1") == state(b, "o1")
    assert a.refolds + b.refolds == 1  # the later of the two arrived at the device that made the earlier
    skipped_a, skipped_b = a.skipped(), b.skipped()
    assert skipped_a == skipped_b and len(skipped_a) == 1
    assert skipped_a[0][4] == "INVALID_TICKET_TRANSITION"


async def test_an_event_before_its_order_waits_in_the_log_and_applies_once_the_order_arrives(
    tmp_path: Path, pair: tuple[Store, Store]
) -> None:
    a, b = pair
    c = await open_store(tmp_path, "device-c", start_ms=1_790_000_001_000)
    try:
        await create(a, "o1")
        await pull(c, a)
        await act(c, "o1", TicketAction.START)
        await b.ingest(c.events_of_origin("device-c", 0))  # c's start, but not a's creation
        assert b.order("o1") is None
        assert [s[4] for s in b.skipped()] == ["ORDER_NOT_FOUND"]

        await pull(b, a)

        assert state(b, "o1") == state(c, "o1")
        assert b.skipped() == []
    finally:
        await c.close()


async def test_the_clock_moves_past_what_it_takes(pair: tuple[Store, Store]) -> None:
    a, b = pair
    b._now_ms = Clock(1_900_000_000_000)  # a peer whose wall clock runs far ahead
    await create(b, "o1")
    await pull(a, b)

    _, events = await a.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.START))

    remote = b.events_of_origin("device-b", 0)[-1]
    assert events[-1].sort_key > remote.sort_key


async def test_merged_state_survives_a_restart(tmp_path: Path, pair: tuple[Store, Store]) -> None:
    a, b = pair
    await create(a, "o1")
    await pull(b, a)
    await act(a, "o1", TicketAction.BUMP)
    await act(b, "o1", TicketAction.START)
    await pull(a, b)
    before = state(a, "o1")
    await a.close()

    again = await open_store(tmp_path, "device-a")
    try:
        assert state(again, "o1") == before
        assert again.version_vector() == a.version_vector()
        _, events = await again.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.RECALL))
        assert events[-1].seq == again.version_vector()["device-a"]
    finally:
        await again.close()


async def test_a_device_that_lost_its_log_takes_its_own_events_back_and_continues_after_them(
    tmp_path: Path, pair: tuple[Store, Store]
) -> None:
    a, b = pair
    await create(a, "o1")
    await pull(b, a)
    fresh = await open_store(tmp_path / "restored", "device-a")
    try:
        await pull(fresh, b)
        _, events = await fresh.execute(ORDER, "o1", lambda o: commands.ticket_action(o, "grill", TicketAction.START))
        assert events[-1].seq == 2  # never a seq its first life already used
    finally:
        await fresh.close()


ACTIONS = st.sampled_from([TicketAction.START, TicketAction.READY, TicketAction.BUMP, TicketAction.RECALL])
STEP = st.one_of(
    st.tuples(
        st.just("act"), st.integers(0, 2), st.sampled_from(["o1", "o2"]), ACTIONS, st.sampled_from(["grill", "cold"])
    ),
    st.tuples(st.just("pull"), st.integers(0, 2), st.integers(0, 2), st.none(), st.none()),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(STEP, max_size=30))
async def test_any_schedule_of_writes_and_partitions_converges_once_healed(
    tmp_path_factory: Any, script: list[Any]
) -> None:
    path = tmp_path_factory.mktemp("peers")
    devices = [await open_store(path, f"device-{i}", start_ms=1_790_000_000_000 + 333 * i) for i in range(3)]
    try:
        await create(devices[0], "o1")
        await create(devices[1], "o2")
        for kind, who, x, action, station in script:
            if kind == "act":
                await act(devices[who], x, action, station)
            elif who != x:
                await pull(devices[who], devices[x])
        for _ in range(2):  # heal: everyone pulls from everyone
            for d in devices:
                for other in devices:
                    if d is not other:
                        await pull(d, other)
        for oid in ("o1", "o2"):
            assert state(devices[0], oid) == state(devices[1], oid) == state(devices[2], oid)
        assert devices[0].skipped() == devices[1].skipped() == devices[2].skipped()
    finally:
        for d in devices:
            await d.close()
