"""The hybrid logical clock, fold order, and the stored snapshot form."""

from __future__ import annotations

import uuid

import pytest

from daemon.domain.codec import order_from_json, order_to_json
from daemon.domain.events import in_fold_order
from daemon.domain.hlc import HybridClock, Stamp
from daemon.domain.model import Station, StationKind
from daemon.domain.setup import SetupEvents, apply_setup, save_station, setup_from_json, setup_to_json
from daemon.domain.values import evolve, name_uuid
from tests.daemon.domain.builders import Device, Kitchen


def test_tick_is_monotonic_when_the_wall_clock_goes_back() -> None:
    clock = HybridClock("a")

    first = clock.tick(1_000)
    second = clock.tick(900)

    assert second > first
    assert (second.wall_ms, second.counter) == (1_000, 1)


def test_observe_moves_past_a_remote_stamp_from_the_future() -> None:
    clock = HybridClock("a")
    clock.tick(1_000)

    clock.observe(Stamp(5_000, 3, "b"), now_ms=1_001)
    mine = clock.tick(1_002)

    assert mine > Stamp(5_000, 3, "b")


def test_clock_resumes_after_its_last_stamp() -> None:
    clock = HybridClock("a", last=Stamp(2_000, 4, "a"))

    assert clock.tick(1_000) == Stamp(2_000, 5, "a")


def test_fold_order_removes_duplicates_and_sorts_by_clock() -> None:
    device = Device()
    k = Kitchen(device)
    k.create()
    events = device.log

    assert in_fold_order([*reversed(events), *events]) == events


def test_order_snapshot_round_trips() -> None:
    order = Kitchen().create()

    assert order_from_json(order_to_json(order)) == order


def test_setup_snapshot_round_trips() -> None:
    device = Device()
    setup = apply_setup(None, device.stamp(save_station("loc", Station("grill", "Grill", StationKind.PREP, ("p1",)))))

    assert setup_from_json(setup_to_json(setup)) == setup
    assert device.log[0].type == SetupEvents.STATION_SAVED


def test_name_uuid_equals_uuid5() -> None:
    namespace = uuid.UUID("6f1d2c0a-5b7e-4c1e-9a43-2f7d3c5e8b10")

    assert all(name_uuid(namespace, n) == str(uuid.uuid5(namespace, n)) for n in ("", "a", "order\x1fgrill\x1f2", "é"))


def test_ticket_and_item_ids_are_the_uuid5s_they_always_were() -> None:
    """The fold derives them through a bound namespace: the ids stored and replicated must not change."""
    from daemon.domain.fold import _ITEM_NS, item_id
    from daemon.domain.settle import _TICKET_NS, ticket_id

    assert ticket_id("o-1", "grill", 2) == str(uuid.uuid5(_TICKET_NS, "o-1\x1fgrill\x1f2"))
    assert ticket_id("o-1", "grill", 2, 3) == str(uuid.uuid5(_TICKET_NS, "o-1\x1fgrill\x1f2\x1f3"))
    assert item_id("o-1", "7") == str(uuid.uuid5(_ITEM_NS, "o-1\x1fline\x1f7"))
    assert item_id("o-1", None, "dev\x1f4\x1f0") == str(uuid.uuid5(_ITEM_NS, "o-1\x1fnoline\x1fdev\x1f4\x1f0"))


def test_evolve_copies_and_refuses_unknown_fields() -> None:
    station = Station("grill", "Grill")

    renamed = evolve(station, name="Broiler")

    assert (station.name, renamed.name, renamed.id) == ("Grill", "Broiler", "grill")
    with pytest.raises(TypeError):
        evolve(station, nmae="typo")
