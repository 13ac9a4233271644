"""One ticket card: laid out into lines once per change, painted many times (the timer ticks every second).

A layout is a list of lines with their heights, so the grid can stack cards and page them without drawing,
and a tap can be mapped back to the header (bump) or to an item (mark done).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import QPointF, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap, QStaticText, QTransform

from ui.texts import tr
from ui.views.theme import Theme, TimerState

DONE = frozenset({"ready", "served"})
STRUCK = frozenset({"deleted", "voided"})
HEADER_PX = 76  # at font scale 1: two lines, and taller than 9 mm on a 15" 1080p panel (≈ 0.17 mm/px → 13 mm)
ITEM_PX = 34
SMALL_PX = 24
PAD = 8
FLASH_SECONDS = 1.5
# Alignment flags combined once: each `|` of two Qt flags is a Python call into the enum machinery.
LEFT_MIDDLE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT_MIDDLE = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass
class Line:
    text: str
    size: int
    height: int
    bold: bool = False
    colour: str = ""
    background: str = ""
    struck: bool = False
    indent: int = 0
    item: int | None = None  # the index of the ticket item it belongs to (a tap marks that item)
    right: str = ""


_serials = itertools.count(1)


@dataclass
class CardLayout:
    ticket: dict[str, Any]
    lines: list[Line] = field(default_factory=list)
    height: int = 0
    # Names this layout for caches: never id(), which Python reuses once the old layout is freed.
    serial: int = field(default_factory=lambda: next(_serials))
    created: float | None = None  # the ticket's created_at as a timestamp, parsed once (the clock reads it)

    def elapsed(self, now: float) -> float:
        return 0.0 if self.created is None else max(0.0, now - self.created)


def created_timestamp(ticket: dict[str, Any]) -> float | None:
    raw = ticket.get("created_at")
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def elapsed_seconds(ticket: dict[str, Any], now: float) -> float:
    made = created_timestamp(ticket)
    return 0.0 if made is None else max(0.0, now - made)


def clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}" if minutes < 100 else f"{minutes // 60}h{minutes % 60:02d}"


def layout_card(
    ticket: dict[str, Any], theme: Theme, markers: list[tuple[str, int, int]], held: int, selected_item: int | None
) -> CardLayout:
    """The card's lines. `markers`: (station name, done, total) of this order at the other stations."""
    s = theme.font_scale
    card = CardLayout(ticket, created=created_timestamp(ticket))
    lines = card.lines
    meta = ticket.get("metadata") or {}
    if meta.get("canceled"):
        lines.append(Line(tr("card.canceled"), 22, round(32 * s), True, "#FFFFFF", theme.cancel))
    if markers:
        text = "  ".join(f"{name} {'✓' if done == total else f'{done}/{total}'}" for name, done, total in markers)
        lines.append(Line(text, 16, round(SMALL_PX * s), colour=theme.muted))
    for index, item in enumerate(ticket.get("items", ())):
        flag = item.get("flag")
        done = item.get("status") in DONE or bool(item.get("is_done"))
        struck = flag in STRUCK
        colour = theme.muted if done or struck else theme.card_text
        prefix = "✓ " if done else ""
        badge = f" [{tr('flag.' + flag)}]" if flag else ""
        seat = item.get("seat_number")
        right = tr("card.seat", n=seat) if seat not in (None, "") else ""
        name = f"{prefix}{item.get('quantity', 1)}× {item.get('name', '')}{badge}"
        selected = theme.selection if selected_item == index else ""
        lines.append(Line(name, 24, round(ITEM_PX * s), True, colour, "", struck, 0, index, right))
        if selected:
            lines[-1].background = "sel"
        for mod in item.get("modifiers", ()):
            qty = mod.get("quantity") or 1
            text = f"{qty}× {mod.get('name')}" if qty != 1 else str(mod.get("name"))
            lines.append(Line(text, 18, round(SMALL_PX * s), False, colour, "", struck, 28, index))
            if mod.get("allergens"):
                allergens = "⚠ " + ", ".join(mod["allergens"]).upper()
                lines.append(
                    Line(
                        allergens,
                        17,
                        round(SMALL_PX * s),
                        True,
                        theme.allergen_text,
                        theme.allergen_bg,
                        False,
                        40,
                        index,
                    )
                )
        if item.get("allergens"):
            allergens = "⚠ " + ", ".join(item["allergens"]).upper()
            lines.append(
                Line(
                    allergens,
                    17,
                    round(SMALL_PX * s),
                    True,
                    theme.allergen_text,
                    theme.allergen_bg,
                    False,
                    28,
                    index,
                )
            )
        if item.get("special_instructions"):
            lines.append(
                Line(
                    f"“{item['special_instructions']}”",
                    18,
                    round(SMALL_PX * s),
                    False,
                    theme.allergen_bg if not (done or struck) else colour,
                    "",
                    struck,
                    28,
                    index,
                )
            )
    if held:
        lines.append(Line(tr("card.held", n=held), 17, round(SMALL_PX * s), False, theme.muted))
    card.height = round(HEADER_PX * s) + sum(line.height for line in lines) + 2 * PAD
    return card


_FONTS: dict[tuple[float, int, bool, bool], QFont] = {}
_METRICS: dict[tuple[float, int, bool], QFontMetrics] = {}


def _font(theme: Theme, size: int, bold: bool, struck: bool = False) -> QFont:
    """Fonts and metrics are made once per size: building them per line was most of a card's paint. Keyed
    by the font scale, not the theme: hashing a theme (a frozen dataclass of 17 fields) per line cost more
    than the lookup."""
    key = (theme.font_scale, size, bold, struck)
    font = _FONTS.get(key)
    if font is None:
        font = _FONTS[key] = theme.font(size, bold=bold)
        font.setStrikeOut(struck)
    return font


def _metrics(theme: Theme, size: int, bold: bool) -> QFontMetrics:
    key = (theme.font_scale, size, bold)
    metrics = _METRICS.get(key)
    if metrics is None:
        metrics = _METRICS[key] = QFontMetrics(_font(theme, size, bold))
    return metrics


TIMER_SAMPLE = "■ 88h88"  # the widest clock: the name is elided to leave it room


def render_card(card: CardLayout, theme: Theme, width: int, height: int, state: TimerState, stale: bool) -> QPixmap:
    """Everything of a card but its clock, drawn once into a pixmap: the 1 Hz tick then only draws pixmaps
    and clocks. Redrawn when the ticket, its size, its timer colour or the stale mark changes."""
    pixmap = QPixmap(width, height)
    pixmap.fill(QColor(theme.card))
    painter = QPainter(pixmap)
    ticket = card.ticket
    meta = ticket.get("metadata") or {}
    s = theme.font_scale
    header_h = round(HEADER_PX * s)
    painter.fillRect(QRect(0, 0, width, header_h), QColor(theme.muted if stale else state.colour))
    painter.setPen(QColor(theme.header_text))
    # Line 1: the name, leaving room for the live clock on the right
    fm = _metrics(theme, 28, True)
    painter.setFont(_font(theme, 28, True))
    name = meta.get("order_name") or ticket.get("customer_name") or ticket.get("order_id", "")
    name_rect = QRect(PAD, 2, max(0, width - 2 * PAD - fm.horizontalAdvance(TIMER_SAMPLE)), round(38 * s))
    painter.drawText(
        name_rect,
        LEFT_MIDDLE,
        fm.elidedText(str(name), Qt.TextElideMode.ElideRight, name_rect.width()),
    )
    # Line 2: mode · table/reference · server · course · priority · status
    parts = [tr("card.late")] if state.name == "late" else []  # in words too: colour never alone
    parts.append(meta.get("mode") or ticket.get("order_channel") or "")
    ref = ticket.get("order_reference")
    if ref and ref != name:
        parts.append(str(ref))
    if ticket.get("server_name"):
        parts.append(tr("card.server", s=ticket["server_name"]))
    course = ticket.get("course_number")
    if course:
        parts.append(meta.get("course_name") or tr("card.course", n=course))
    if ticket.get("priority") in ("high", "urgent"):
        parts.append(tr("card.priority." + ticket["priority"]))
    status = ticket.get("status")
    if status in ("recalled", "ready", "in_progress"):
        parts.append(tr({"recalled": "card.recalled", "ready": "card.ready", "in_progress": "card.started"}[status]))
    painter.setFont(_font(theme, 17, True))
    fm = _metrics(theme, 17, True)
    sub = QRect(PAD, round(40 * s), width - 2 * PAD, round(32 * s))
    painter.drawText(
        sub,
        LEFT_MIDDLE,
        fm.elidedText(" · ".join(p for p in parts if p), Qt.TextElideMode.ElideRight, sub.width()),
    )
    _paint_body(painter, card, theme, width, height, header_h)
    painter.end()
    return pixmap


def _paint_body(painter: QPainter, card: CardLayout, theme: Theme, width: int, height: int, header_h: int) -> None:
    y = header_h + PAD
    bottom = height - 1 - PAD
    for line in card.lines:
        if y + line.height > bottom + 1:
            painter.setPen(QColor(theme.muted))
            painter.setFont(_font(theme, 16, False))
            painter.drawText(QRect(0, bottom - 18, width - PAD, 18), Qt.AlignmentFlag.AlignRight, "▼ …")
            break
        box = QRect(PAD + line.indent, y, width - 2 * PAD - line.indent, line.height)
        if line.background == "sel":
            painter.fillRect(box.adjusted(-4, 0, 4, 0), QColor(theme.selection).darker(250))
        elif line.background:
            painter.fillRect(box, QColor(line.background))
        painter.setPen(QColor(line.colour or theme.card_text))
        painter.setFont(_font(theme, line.size, line.bold, line.struck))
        fm = _metrics(theme, line.size, line.bold)
        text_box = box.adjusted(4 if line.background else 0, 0, 0, 0)
        if line.right:
            right_w = fm.horizontalAdvance(line.right) + PAD
            painter.drawText(text_box, RIGHT_MIDDLE, line.right)
            text_box = text_box.adjusted(0, 0, -right_w, 0)
        painter.drawText(
            text_box,
            LEFT_MIDDLE,
            fm.elidedText(line.text, Qt.TextElideMode.ElideRight, text_box.width()),
        )
        y += line.height


CLOCK_CACHE = 4096  # distinct clock texts kept laid out (every card passes through the same m:ss texts)


class Clocks:
    """The cards' live clocks, drawn every second: the font, pen and place made once per theme, and each
    text laid out once (QStaticText). drawText lays a string out on every call, and the 1 Hz tick draws a
    clock per card; the cards of a station pass through the same texts (3:21 now for one, later for the
    next), so the bounded cache is hit for all but the oldest card."""

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.font = _font(theme, 28, True)
        self.pen = QColor(theme.header_text)
        self.top_h = round(38 * theme.font_scale)
        self.width = _metrics(theme, 28, True).horizontalAdvance(TIMER_SAMPLE)  # the widest clock
        self._texts: dict[str, QStaticText] = {}

    def area(self, card: QRect) -> QRect:
        """Where a card's clock is drawn: all the 1 Hz tick repaints while the timer keeps its colour."""
        return QRect(card.x() + card.width() - 2 * PAD - self.width, card.y(), self.width + 2 * PAD, self.top_h + 4)

    def begin(self, painter: QPainter) -> None:
        painter.setPen(self.pen)
        painter.setFont(self.font)

    def draw(self, painter: QPainter, card: QRect, seconds: float, state: TimerState) -> None:
        """The live part of a card: its elapsed time with the shape of its state (colour is never alone)."""
        text = f"{state.shape} {clock_text(seconds)}"
        static = self._texts.get(text)
        if static is None:
            if len(self._texts) >= CLOCK_CACHE:
                self._texts.clear()
            static = self._texts[text] = QStaticText(text)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self.font)
        size = static.size()
        x = card.x() + card.width() - PAD - size.width()
        y = card.y() + 2 + (self.top_h - size.height()) / 2
        painter.drawStaticText(QPointF(x, y), static)


def paint_frame(painter: QPainter, rect: QRect, theme: Theme, *, selected: bool, flash: bool) -> None:
    if selected or flash:
        pen = QPen(QColor(theme.flash if flash else theme.selection))
        pen.setWidth(6 if selected else 4)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(rect.adjusted(2, 2, -3, -3))


def hit_line(card: CardLayout, rect: QRect, theme: Theme, y: int) -> tuple[str, int | None]:
    """What a tap at height `y` in a card means: ("header", None), ("item", index) or ("body", None)."""
    header_h = round(HEADER_PX * theme.font_scale)
    if y < rect.y() + header_h:
        return "header", None
    top = rect.y() + header_h + PAD
    for line in card.lines:
        if top <= y < top + line.height:
            return ("item", line.item) if line.item is not None else ("body", None)
        top += line.height
    return "body", None
