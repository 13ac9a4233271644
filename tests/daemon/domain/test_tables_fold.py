"""The floor and table folds: a seating is one table's at a time, a clear is a turn, bad events are skipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemon.domain.dining_demo import demo_dining_room
from daemon.domain.errors import HeardError
from daemon.domain.events import Event, in_fold_order
from daemon.domain.floor import Floor, Section, TableLayout, apply_floor, remove_section, remove_table, save_table
from daemon.domain.tables import TableState, TableStatus, apply_table, assign, change_status, clear
from daemon.domain.turnover import Turn, turnover
from tests.daemon.domain.builders import Device

LOC = "loc"


def fold(apply: Callable[[Any, Event], Any], events: list[Event]) -> tuple[Any, list[str]]:
    """What the store does on a re-fold: apply in fold order, skip (and note) what is invalid at its place."""
    state, skipped = None, []
    for event in in_fold_order(events):
        try:
            state = apply(state, event)
        except HeardError as exc:
            skipped.append(exc.code)
    return state, skipped


def demo_floor(device: Device) -> Floor:
    floor, skipped = fold(apply_floor, [device.stamp(c) for c in demo_dining_room(LOC, 0)])
    assert skipped == []
    return floor


def test_demo_dining_room_has_two_sections_and_eight_tables() -> None:
    floor = demo_floor(Device())

    assert [s.name for s in floor.sections.values()] == ["Main Dining", "Patio"]
    assert len(floor.tables) == 8


def test_a_table_in_a_removed_section_is_skipped_not_raised() -> None:
    device = Device()
    events = [device.stamp(c) for c in demo_dining_room(LOC, 0)]
    for tid in ("tbl_011", "tbl_012", "tbl_013"):
        events.append(device.stamp(remove_table(LOC, tid)))
    events.append(device.stamp(remove_section(LOC, "sec_patio")))
    events.append(device.stamp(save_table(LOC, TableLayout("tbl_x", "x", "X", 2, "sec_patio"))))

    floor, skipped = fold(apply_floor, events)

    assert skipped == ["section_not_found"]
    assert "tbl_x" not in floor.tables


def test_two_devices_seating_one_table_keep_the_first_seating() -> None:
    a, b = Device("dev-a"), Device("dev-b")
    layout = demo_floor(a).tables["tbl_001"]
    first = a.stamp(assign(None, layout, "o1", 2, "1"))
    second = b.stamp(assign(None, layout, "o2", 4, "2"))

    state, skipped = fold(apply_table, [second, first])

    assert state.seating.order_id == ("o1" if first.sort_key < second.sort_key else "o2")
    assert skipped == ["table_occupied"]


def test_clear_records_the_seating_as_a_turn() -> None:
    device = Device()
    floor = demo_floor(device)
    seated = apply_table(None, device.stamp(assign(None, floor.tables["tbl_011"], "o1", 3, "1")))
    change = clear(seated, floor, "tbl_011", 42.0)

    cleared = apply_table(seated, device.stamp(change))

    assert change is not None
    assert change.payload["turn"]["section"] == "Patio"
    assert change.payload["turn"]["party_size"] == 3
    assert (cleared.status, cleared.seating, cleared.turns) == (TableStatus.DIRTY, None, 1)


def test_clearing_a_dirty_empty_table_changes_nothing() -> None:
    assert clear(TableState("t", TableStatus.DIRTY), Floor(), "t", None) is None


def test_status_of_a_seated_table_moves_only_by_clear() -> None:
    device = Device()
    seated = apply_table(None, device.stamp(assign(None, demo_floor(device).tables["tbl_001"], "o1", 2, "1")))

    with pytest.raises(HeardError) as refused:
        change_status(seated, "tbl_001", TableStatus.AVAILABLE)

    assert refused.value.code == "table_occupied"


def test_section_with_tables_cannot_go() -> None:
    device = Device()
    floor = Floor(sections={"s": Section("s", "S")}, tables={"t": TableLayout("t", "1", "T", 2, "s")})

    with pytest.raises(HeardError) as refused:
        apply_floor(floor, device.stamp(remove_section(LOC, "s")))

    assert refused.value.code == "section_in_use"


@given(st.permutations(range(6)))
def test_any_arrival_order_folds_to_the_same_table(order: list[int]) -> None:
    a, b = Device("dev-a"), Device("dev-b")
    layout = TableLayout("t", "1", "T", 4)
    events = [
        a.stamp(assign(None, layout, "o1", 2, "1")),
        b.stamp(change_status(None, "t", TableStatus.RESERVED)),  # type: ignore[arg-type]
        a.stamp(clear(TableState("t", seating=None, status=TableStatus.OCCUPIED), Floor(), "t", None)),  # type: ignore[arg-type]
        b.stamp(assign(None, layout, "o2", 3, "2")),
        a.stamp(change_status(None, "t", TableStatus.BLOCKED)),  # type: ignore[arg-type]
        b.stamp(change_status(None, "t", TableStatus.DIRTY)),  # type: ignore[arg-type]
    ]
    reference, _ = fold(apply_table, events)

    shuffled, _ = fold(apply_table, [events[i] for i in order] + [events[order[0]]])

    assert shuffled == reference


def test_turnover_counts_only_turns_cleared_in_the_period() -> None:
    hour = 3_600_000
    turns = [Turn(0, hour, 2, "A", None), Turn(2 * hour, 4 * hour, 4, "A", 80.0)]

    figures = turnover(turns, [], tables=2, start_ms=90 * 60_000, end_ms=5 * hour, now_ms=5 * hour)

    assert figures["metrics"]["total_turns"] == 1
    assert figures["metrics"]["avg_turn_time_minutes"] == 120
    assert figures["metrics"]["revenue_per_seat_hour"] == 10.0  # 80 / (4 seats × 2 h)
