"""The dining room's layout — floor plan, sections, tables, fixtures — as an aggregate folded from events.

One aggregate per location (kind `floor`, id = the location id): a manager's edit on one device reaches
every device the way an order does. What happens at a table during service (seated, dirty, its order)
is another aggregate per table (daemon.domain.tables): the layout changes a few times a year, the
service state every few minutes, and neither should rewrite the other's snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import msgspec

from daemon.domain.errors import Conflict, HeardError, InvalidEvent, NotFound
from daemon.domain.events import Change, Event
from daemon.domain.values import evolve

FLOOR = "floor"


class FloorEvents:
    DIMENSIONS_SET = "floor.dimensions_set"
    CLEARED = "floor.cleared"
    SECTION_SAVED = "floor.section_saved"
    SECTION_REMOVED = "floor.section_removed"
    TABLE_SAVED = "floor.table_saved"
    TABLE_REMOVED = "floor.table_removed"
    FIXTURE_SAVED = "floor.fixture_saved"
    FIXTURE_REMOVED = "floor.fixture_removed"


class TableShape(StrEnum):
    ROUND = "round"
    SQUARE = "square"
    RECTANGLE = "rectangle"
    OVAL = "oval"
    BOOTH = "booth"
    BAR = "bar"


# ---- errors: the tables document's codes are spelled in lower case, and so are ours beside them ----


class TableNotFound(NotFound):
    code = "table_not_found"


class TableOccupied(Conflict):
    code = "table_occupied"


class SectionNotFound(NotFound):
    code = "section_not_found"


class FixtureNotFound(NotFound):
    code = "fixture_not_found"


class Size(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    width: float
    height: float


class Position(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    x: float
    y: float
    rotation: float = 0


class Bounds(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    x: float
    y: float
    width: float
    height: float


class Section(msgspec.Struct, frozen=True):
    id: str
    name: str
    color: str | None = None
    bounds: Bounds | None = None


class Fixture(msgspec.Struct, frozen=True):
    """Something on the plan that is not a table (a bar, a host stand, a wall): drawn, never seated."""

    id: str
    type: str
    position: Position
    dimensions: Size | None = None
    label: str | None = None


class TableLayout(msgspec.Struct, frozen=True):
    """A table as the manager set it up; its service state lives in its own aggregate."""

    id: str
    number: str
    name: str
    capacity: int
    section_id: str | None = None
    min_capacity: int | None = None
    shape: TableShape = TableShape.RECTANGLE
    dimensions: Size | None = None
    position: Position | None = None
    features: tuple[str, ...] = ()
    server_id: str | None = None
    server_name: str | None = None
    created_ms: int = 0


class Floor(msgspec.Struct, frozen=True):
    dimensions: Size | None = None
    sections: dict[str, Section] = msgspec.field(default_factory=dict)
    tables: dict[str, TableLayout] = msgspec.field(default_factory=dict)
    fixtures: dict[str, Fixture] = msgspec.field(default_factory=dict)

    def section_of(self, table: TableLayout) -> Section | None:
        return self.sections.get(table.section_id) if table.section_id else None

    def table(self, table_id: str) -> TableLayout:
        table = self.tables.get(table_id)
        if table is None:
            raise TableNotFound(f"table {table_id} does not exist")
        return table


def to_json(value: Any) -> Any:
    return msgspec.to_builtins(value)


def floor_from_json(d: Mapping[str, Any]) -> Floor:
    return msgspec.convert(d, Floor)


def floor_to_json(f: Floor) -> dict[str, Any]:
    out: dict[str, Any] = msgspec.to_builtins(f)
    return out


def apply_floor(state: Floor | None, event: Event) -> Floor:
    """The floor after `event`; raises for an event invalid at its place (the store skips it on a re-fold)."""
    floor = state or Floor()
    p = event.payload
    kind = event.type
    try:
        if kind == FloorEvents.DIMENSIONS_SET:
            return evolve(floor, dimensions=msgspec.convert(p["dimensions"], Size) if p.get("dimensions") else None)
        if kind == FloorEvents.CLEARED:
            if floor.tables:
                raise Conflict("the floor plan still has tables; remove them first", code="floor_plan_in_use")
            return Floor()
        if kind == FloorEvents.SECTION_SAVED:
            section = msgspec.convert(p["section"], Section)
            return evolve(floor, sections={**floor.sections, section.id: section})
        if kind == FloorEvents.SECTION_REMOVED:
            sid = str(p["section_id"])
            if sid not in floor.sections:
                raise SectionNotFound(f"section {sid} does not exist")
            used = sorted(t.id for t in floor.tables.values() if t.section_id == sid)
            if used:
                raise Conflict(f"section {sid} still has tables ({', '.join(used)})", code="section_in_use")
            return evolve(floor, sections={k: v for k, v in floor.sections.items() if k != sid})
        if kind == FloorEvents.TABLE_SAVED:
            table = msgspec.convert(p["table"], TableLayout)
            if table.section_id is not None and table.section_id not in floor.sections:
                raise SectionNotFound(f"section {table.section_id} does not exist")
            old = floor.tables.get(table.id)
            if old is not None:  # the first save's moment stays the table's created_at
                table = evolve(table, created_ms=old.created_ms)
            return evolve(floor, tables={**floor.tables, table.id: table})
        if kind == FloorEvents.TABLE_REMOVED:
            tid = str(p["table_id"])
            floor.table(tid)
            return evolve(floor, tables={k: v for k, v in floor.tables.items() if k != tid})
        if kind == FloorEvents.FIXTURE_SAVED:
            fixture = msgspec.convert(p["fixture"], Fixture)
            return evolve(floor, fixtures={**floor.fixtures, fixture.id: fixture})
        if kind == FloorEvents.FIXTURE_REMOVED:
            fid = str(p["fixture_id"])
            if fid not in floor.fixtures:
                raise FixtureNotFound(f"fixture {fid} does not exist")
            return evolve(floor, fixtures={k: v for k, v in floor.fixtures.items() if k != fid})
    except HeardError:
        raise
    except (msgspec.ValidationError, KeyError, TypeError, ValueError) as exc:
        raise InvalidEvent(f"malformed {kind} event: {exc}", code="MALFORMED_EVENT") from None
    raise InvalidEvent(f"unknown event type {kind!r}", code="UNKNOWN_EVENT")


# ---- commands: a manager's request, checked against the newest floor, becomes one change ----


def set_dimensions(location_id: str, dimensions: Size | None) -> Change:
    return Change(FloorEvents.DIMENSIONS_SET, FLOOR, location_id, {"dimensions": to_json(dimensions)})


def clear_floor(location_id: str) -> Change:
    return Change(FloorEvents.CLEARED, FLOOR, location_id, {})


def save_section(location_id: str, section: Section) -> Change:
    return Change(FloorEvents.SECTION_SAVED, FLOOR, location_id, {"section": to_json(section)})


def remove_section(location_id: str, section_id: str) -> Change:
    return Change(FloorEvents.SECTION_REMOVED, FLOOR, location_id, {"section_id": section_id})


def save_table(location_id: str, table: TableLayout) -> Change:
    return Change(FloorEvents.TABLE_SAVED, FLOOR, location_id, {"table": to_json(table)})


def remove_table(location_id: str, table_id: str) -> Change:
    return Change(FloorEvents.TABLE_REMOVED, FLOOR, location_id, {"table_id": table_id})


def save_fixture(location_id: str, fixture: Fixture) -> Change:
    return Change(FloorEvents.FIXTURE_SAVED, FLOOR, location_id, {"fixture": to_json(fixture)})


def remove_fixture(location_id: str, fixture_id: str) -> Change:
    return Change(FloorEvents.FIXTURE_REMOVED, FLOOR, location_id, {"fixture_id": fixture_id})
