"""Chit layout for a kitchen: a chit description (a plain dict, the print effect's payload) → styled lines.

What a cook must not miss is large (the order, a fire call, a cancel), allergens are emphasised (bold,
inverted, red on two-colour printers), and changes say what changed. Widths are the profile's columns;
long text wraps rather than running off the paper.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from drivers.printers.lines import Line

CHIT_KINDS = ("ticket", "fire", "cancel", "void", "update", "unseen")
_FLAG_WORD = {"added": "ADD", "modified": "CHANGED", "deleted": "DELETED", "voided": "VOID"}


def layout(chit: Mapping[str, Any], columns: int = 42, tz: dt.tzinfo | None = None) -> list[Line]:
    """The lines of one chit. Unknown fields are ignored and missing ones left out: a chit always prints."""
    kind = str(chit.get("chit") or "ticket")
    lines: list[Line] = []
    for mark in chit.get("marks") or ():
        lines += _wrap(f" {mark} ", columns, big=True, bold=True, invert=True, align="center")
    lines += _heading(chit, kind, columns)
    lines += _header(chit, columns, tz)
    lines.append(Line("-" * columns))
    lines += _items(chit.get("items") or (), columns, kind)
    if kind == "cancel":
        lines += _wrap("DO NOT MAKE", columns, big=True, bold=True, red=True, align="center")
    lines.append(Line("-" * columns))
    lines.append(Line(_footer(chit), align="center"))
    return lines


def _heading(chit: Mapping[str, Any], kind: str, columns: int) -> list[Line]:
    name = str(chit.get("order_name") or chit.get("order_id") or "")
    course, table = chit.get("course"), chit.get("table")
    lines: list[Line] = []
    if kind == "fire":
        # Two big lines rather than one that wraps mid-phrase; a plain hyphen, not a dash the printer's
        # code page may not have.
        lines += _wrap(f"FIRE COURSE {course}", columns, big=True, bold=True, red=True, align="center")
        if table:
            lines += _wrap(f"- TABLE {table} -", columns, big=True, bold=True, red=True, align="center")
    elif kind == "cancel":
        lines += _wrap("*** CANCELED ***", columns, big=True, bold=True, red=True, align="center")
    elif kind == "void":
        lines += _wrap("*** VOID ***", columns, big=True, bold=True, red=True, align="center")
    elif kind == "update":
        lines += _wrap("UPDATE", columns, big=True, bold=True, red=True, align="center")
    elif kind == "unseen":
        lines += _wrap("NOT SEEN ON SCREEN", columns, big=True, bold=True, red=True, align="center")
    lines += _wrap(name, columns, big=True, bold=True, align="center")
    return lines


def _header(chit: Mapping[str, Any], columns: int, tz: dt.tzinfo | None) -> list[Line]:
    lines: list[Line] = []
    station = str(chit.get("station_name") or chit.get("station_id") or "")
    course, course_name = chit.get("course"), chit.get("course_name")
    where = station
    if course is not None:
        where += f"  COURSE {course}" + (f" ({course_name})" if course_name and course_name != str(course) else "")
    if where.strip():
        lines += _wrap(where.strip(), columns, bold=True, tall=True, align="center")
    facts = []
    for label, key in (("", "mode"), ("Table ", "table"), ("Server ", "server")):
        if chit.get(key):
            facts.append(f"{label}{chit[key]}")
    if facts:
        lines += _wrap("  ".join(facts), columns)
    if isinstance(chit.get("at_ms"), int):
        at = dt.datetime.fromtimestamp(chit["at_ms"] / 1000, tz=tz or dt.datetime.now().astimezone().tzinfo)
        lines.append(Line(at.strftime("%H:%M:%S  %d %b")))
    priority = str(chit.get("priority") or "normal")
    if priority != "normal" or chit.get("order_priority"):
        word = "URGENT" if priority == "urgent" else "RUSH"
        lines += _wrap(f" {word} ", columns, big=True, bold=True, invert=True, red=True, align="center")
    return lines


def _items(items: Iterable[Any], columns: int, kind: str) -> list[Line]:
    lines: list[Line] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        flag = str(item.get("flag") or "")
        word = _FLAG_WORD.get(flag, "")
        struck = flag in ("deleted", "voided") or kind == "void"
        head = f"{item.get('qty', 1)} x {item.get('name', '?')}"
        if word:
            head = f"{word}: {head}"
        # Deleted/voided lines are kept but not large: the eye goes to what is still to cook.
        lines += _wrap(head, columns, big=not struck, bold=True, underline=struck, red=flag == "deleted")
        for mod in item.get("mods") or ():
            text = mod.get("name", "") if isinstance(mod, Mapping) else str(mod)
            qty = mod.get("qty", 1) if isinstance(mod, Mapping) else 1
            lines += _wrap(f"   - {text}" + (f" x{qty}" if isinstance(qty, int) and qty > 1 else ""), columns)
        if item.get("seat"):
            lines += _wrap(f"   Seat {item['seat']}".replace("Seat Seat", "Seat"), columns)
        allergens = _allergens(item)
        if allergens:
            text = "ALLERGY: " + ", ".join(a.upper() for a in allergens)
            lines += _wrap(text, columns, tall=True, bold=True, invert=True, red=True)
        if item.get("special"):
            lines += _wrap(f"   ** {item['special']}", columns, bold=True)
    return lines


def _allergens(item: Mapping[str, Any]) -> list[str]:
    found: list[str] = [str(a) for a in item.get("allergens") or ()]
    for mod in item.get("mods") or ():
        if isinstance(mod, Mapping):
            found += [str(a) for a in mod.get("allergens") or () if str(a) not in found]
    return found


def _footer(chit: Mapping[str, Any]) -> str:
    return f"order {chit.get('order_id', '')}"[:60]


def _wrap(text: str, columns: int, **style: Any) -> list[Line]:
    width = max(8, columns // (2 if style.get("big") else 1))
    if len(text) <= width and text.isprintable():  # most lines fit: what wrap() would give, without its regex
        return [Line(text.rstrip() if not style.get("invert") else text, **style)]
    pieces: Sequence[str] = textwrap.wrap(
        text, width, replace_whitespace=True, drop_whitespace=False, break_on_hyphens=False
    ) or [""]
    return [Line(p.rstrip() if not style.get("invert") else p, **style) for p in pieces]
