"""Chit layout through real ESC/POS bytes: what the emulator decodes is what a cook would read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drivers.printers.emulator import EmulatedPrinter
from drivers.printers.layout import layout
from drivers.printers.render import Profile, render

TICKET: dict[str, Any] = {
    "chit": "ticket",
    "order_id": "123",
    "order_name": "John Doe 42",
    "mode": "For Here",
    "table": "7",
    "server": "Ann",
    "station_name": "Grill",
    "course": 2,
    "course_name": "Entree",
    "at_ms": 1_790_000_000_000,
    "items": [
        {
            "qty": 2,
            "name": "Ribeye",
            "mods": [{"name": "Medium rare", "qty": 1, "allergens": []}],
            "seat": "3",
            "allergens": ["peanut"],
            "special": "sauce on the side",
        },
        {"qty": 1, "name": "Fries", "mods": [], "flag": ""},
    ],
}


def _print(chit: dict[str, Any], profile: str = "TM-T88V") -> EmulatedPrinter:
    printer = EmulatedPrinter()
    p = Profile(profile)
    printer.receive(render(layout(chit, p.columns, dt.UTC), p))
    return printer


def test_station_ticket_is_one_cut_chit_with_every_fact() -> None:
    printer = _print(TICKET)

    [chit] = printer.chits
    for words in (
        "John Doe 42",
        "Grill",
        "COURSE 2 (Entree)",
        "For Here",
        "Table 7",
        "Server Ann",
        "2 x Ribeye",
        "- Medium rare",
        "Seat 3",
        "ALLERGY: PEANUT",
        "** sauce on the side",
        "1 x Fries",
        "14:13:20",
    ):
        assert chit.has(words), words
    assert printer.open_lines == []


def test_what_matters_is_large_and_allergens_stand_out() -> None:
    [chit] = _print(TICKET).chits
    by_text = {line.text.strip(): line for line in chit.lines}

    assert by_text["John Doe 42"].big and by_text["John Doe 42"].style.bold
    assert by_text["2 x Ribeye"].big
    allergy = by_text["ALLERGY: PEANUT"]
    assert allergy.style.invert and allergy.style.bold and allergy.style.height == 2
    assert not by_text["- Medium rare"].big


def test_red_only_on_a_two_colour_impact_printer_which_cannot_cut() -> None:
    impact = _print(TICKET, "TM-U220")
    thermal = _print(TICKET, "TM-T88V")

    assert impact.chits == []  # no cutter: the chit ends with a tear line instead
    assert any("tear here" in line.text for line in impact.open_lines)
    assert [line.text for line in impact.open_lines if line.style.red] == ["ALLERGY: PEANUT"]
    assert not any(line.style.red for line in thermal.chits[0].lines)


def test_fire_chit_calls_course_and_table() -> None:
    [chit] = _print({**TICKET, "chit": "fire"}).chits

    assert chit.lines[0].text.strip() == "FIRE COURSE 2" and chit.lines[0].big
    assert chit.lines[1].text.strip() == "- TABLE 7 -"


def test_cancel_and_void_notices() -> None:
    [cancel] = _print({**TICKET, "chit": "cancel"}).chits
    [void] = _print({**TICKET, "chit": "void"}).chits

    assert cancel.has("*** CANCELED ***") and cancel.has("DO NOT MAKE")
    assert void.has("*** VOID ***")


def test_update_shows_added_modified_and_deleted_items() -> None:
    items = [
        {"qty": 1, "name": "Salad", "flag": "added"},
        {"qty": 3, "name": "Wings", "flag": "modified"},
        {"qty": 1, "name": "Soup", "flag": "deleted"},
    ]
    [chit] = _print({**TICKET, "chit": "update", "items": items}).chits

    assert chit.has("UPDATE")
    assert chit.has("ADD: 1 x Salad") and chit.has("CHANGED: 3 x Wings") and chit.has("DELETED: 1 x Soup")
    deleted = next(line for line in chit.lines if "Soup" in line.text)
    assert deleted.style.underline and not deleted.big


def test_marks_head_the_chit() -> None:
    [chit] = _print({**TICKET, "marks": ["BACKUP for grill-printer", "REPRINT"]}).chits

    assert chit.lines[0].text.strip() == "BACKUP for" and chit.lines[0].style.invert
    assert chit.lines[1].text.strip() == "grill-printer"
    assert chit.has("REPRINT")


def test_text_outside_ascii_prints_in_the_code_page() -> None:
    [chit] = _print({**TICKET, "order_name": "Jürgen"}).chits

    assert chit.has("Jürgen")


def test_a_chit_missing_everything_still_prints() -> None:
    [chit] = _print({"items": [{"name": "Soup"}, "junk"]}).chits

    assert chit.has("1 x Soup")


def test_decoder_takes_bytes_split_anywhere() -> None:
    data = render(layout(TICKET, 42, dt.UTC), Profile("TM-T88V"))
    whole, split = EmulatedPrinter(), EmulatedPrinter()
    whole.receive(data)
    for i in range(len(data)):
        split.receive(data[i : i + 1])

    assert split.chits == whole.chits


def test_an_ascii_chit_is_the_same_bytes_from_the_cached_commands() -> None:
    """The fast path (cached style commands) gives exactly what python-escpos gives line by line."""
    from drivers.printers.escpos_lib import Dummy
    from drivers.printers.render import _end, _set_style, _start, _textln

    for name in ("TM-T88V", "TM-U220", "default"):
        p = Profile(name)
        for chit in (TICKET, {**TICKET, "chit": "void", "marks": ["REPRINT"], "priority": "urgent"}):
            lines = layout(chit, p.columns, dt.UTC)
            slow = Dummy(profile=name)
            _start(slow)
            for line in lines:
                _set_style(slow, line, p)
                _textln(slow, line.text)
            _end(slow, p)
            assert render(lines, p) == bytes(slow.output)
