"""The embedded demo's dining room: two sections, a patio, a bar and a host stand, so `make run` shows
a real floor. Seeded once, as the floor aggregate's first events; after that the managers' API owns it."""

from __future__ import annotations

from daemon.domain.events import Change
from daemon.domain.floor import (
    Bounds,
    Fixture,
    Position,
    Section,
    Size,
    TableLayout,
    TableShape,
    save_fixture,
    save_section,
    save_table,
    set_dimensions,
)


def demo_dining_room(location_id: str, now_ms: int) -> list[Change]:
    sections = [
        Section("sec_main", "Main Dining", "#4A90D9", Bounds(0, 0, 500, 600)),
        Section("sec_patio", "Patio", "#7BC96F", Bounds(500, 0, 300, 600)),
    ]
    tables = [
        TableLayout("tbl_001", "1", "Table 1", 4, "sec_main", 2, TableShape.ROUND, Size(36, 36), Position(100, 150)),
        TableLayout(
            "tbl_002", "2", "Booth 2", 6, "sec_main", 2, TableShape.RECTANGLE, Size(48, 72), Position(200, 150)
        ),
        TableLayout("tbl_003", "3", "Table 3", 2, "sec_main", 1, TableShape.SQUARE, Size(30, 30), Position(100, 300)),
        TableLayout("tbl_004", "4", "Table 4", 4, "sec_main", 2, TableShape.SQUARE, Size(36, 36), Position(250, 300)),
        TableLayout(
            "tbl_005", "5", "Table 5", 8, "sec_main", 4, TableShape.RECTANGLE, Size(96, 40), Position(350, 450)
        ),
        TableLayout("tbl_011", "11", "Patio 11", 4, "sec_patio", 2, TableShape.ROUND, Size(36, 36), Position(600, 150)),
        TableLayout("tbl_012", "12", "Patio 12", 4, "sec_patio", 2, TableShape.ROUND, Size(36, 36), Position(700, 150)),
        TableLayout(
            "tbl_013", "13", "Patio 13", 2, "sec_patio", 1, TableShape.SQUARE, Size(30, 30), Position(650, 350)
        ),
    ]
    tables = [
        TableLayout(
            t.id,
            t.number,
            t.name,
            t.capacity,
            t.section_id,
            t.min_capacity,
            t.shape,
            t.dimensions,
            t.position,
            ("window",) if t.id in ("tbl_001", "tbl_003") else (),
            created_ms=now_ms,
        )
        for t in tables
    ]
    fixtures = [
        Fixture("fix_bar", "bar", Position(50, 50), Size(200, 40), "Bar"),
        Fixture("fix_host", "host_stand", Position(400, 50), None, "Host"),
    ]
    return [
        set_dimensions(location_id, Size(800, 600)),
        *(save_section(location_id, s) for s in sections),
        *(save_table(location_id, t) for t in tables),
        *(save_fixture(location_id, f) for f in fixtures),
    ]
