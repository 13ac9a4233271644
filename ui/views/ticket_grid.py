"""The station's grid of ticket cards: one painted widget (cheaper per tick than a widget per card, see
STACK.md), columns filled top to bottom, oldest and most urgent first, paged when they overflow.

Taps and keys act on a visible selection: a tap on the header bumps, a tap on an item marks it done, a tap
elsewhere selects the card (start, priority and void are then one tap away beside the grid). A keyboard-wedge
bump bar sends the same keys (see KEYS).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPixmap, QRegion, QResizeEvent
from PySide6.QtWidgets import QWidget

from ui.models.orders import KitchenOrders, station_progress
from ui.models.tickets import StationTickets
from ui.texts import tr
from ui.views.kinetic import KineticPager
from ui.views.theme import Theme, TimerState
from ui.views.ticket_card import (
    FLASH_SECONDS,
    CardLayout,
    Clocks,
    hit_line,
    layout_card,
    paint_frame,
    render_card,
)

COLUMN_PX = 320
GAP = 10

# Key → action, the default map for a keyboard-wedge bump bar or a keyboard (issue 18 brings configurable maps).
KEYS: dict[int, str] = {
    Qt.Key.Key_Left: "previous",
    Qt.Key.Key_Right: "next",
    Qt.Key.Key_Up: "item_up",
    Qt.Key.Key_Down: "item_down",
    Qt.Key.Key_Return: "bump",
    Qt.Key.Key_Enter: "bump",
    Qt.Key.Key_Space: "item_bump",
    Qt.Key.Key_PageUp: "page_previous",
    Qt.Key.Key_PageDown: "page_next",
    Qt.Key.Key_Home: "home",
    Qt.Key.Key_R: "recall",
    Qt.Key.Key_S: "start",
    Qt.Key.Key_P: "priority",
}


@dataclass
class Placed:
    card: CardLayout
    x: int
    y: int
    w: int
    h: int
    index: int  # in the model's order

    @cached_property
    def rect(self) -> QRect:
        return QRect(self.x, self.y, self.w, self.h)


class TicketGrid(QWidget):
    """Emits the cook's intentions; the screen hands them to the session."""

    bump = Signal(dict)  # ticket
    item_done = Signal(dict, dict)  # ticket, item
    action = Signal(str, dict)  # "start" | "priority" | "recall", ticket ({} for recall)
    selection_changed = Signal()

    def __init__(
        self,
        model: StationTickets,
        orders: KitchenOrders,
        theme: Theme,
        station_names: dict[str, str],
        station_kinds: dict[str, str] | None = None,
    ):
        super().__init__()
        self.model = model
        self.orders = orders
        self.theme = theme
        self.station_names = station_names
        self.station_kinds = station_kinds if station_kinds is not None else {}
        self.page = 0
        self.selected_id: str | None = None
        self.selected_item: int | None = None
        self._pages: list[list[Placed]] = []
        self._dirty = True
        self._scheduled = False
        self._shown: dict[str, tuple[Any, ...]] = {}  # ticket id → its look when last painted
        self._progress: dict[str, tuple[dict[str, Any], tuple[tuple[str, int, int], ...]]] = {}
        self.frames = 0  # painted frames (the benchmark and tests read it)
        self.painted_ids: list[str] = []  # ticket ids on the last painted frame (the "seen" acknowledgement)
        self.painted_pairs: list[tuple[str, str]] = []  # (ticket id, order id) of the same
        self.on_painted: list[Any] = []
        # A key is first offered here (the station hands a wedge bar's keys to the daemon): True = taken
        self.forward_key: Callable[[QKeyEvent], bool] | None = None
        self._layouts: dict[str, tuple[tuple[Any, ...], CardLayout]] = {}
        self._pixmaps: dict[str, tuple[tuple[Any, ...], QPixmap]] = {}
        # What each relayout and paint cost (the benchmark reads them; bounded so a long shift grows nothing)
        self.relayout_ms: deque[float] = deque(maxlen=1000)
        self.paint_ms: deque[float] = deque(maxlen=1000)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(400, 300)
        model.changed.connect(self.relayout)
        orders.changed.connect(self.relayout)
        self.clocks = Clocks(theme)
        self.pager = KineticPager(
            self, lambda step: 0 <= self.page + step < len(self.pages), lambda step: self.set_page(self.page + step)
        )
        self._states: dict[str, str] = {}  # ticket id → its timer state when last painted (a tick may change it)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._tick_clocks)  # one timer drives every card's clock
        self._tick.start(1000)

    # --- layout
    def relayout(self) -> None:
        """Something changed: lay out again before the next frame. Changes that arrive in one loop turn
        (an event, the order it belongs to, a re-read) share one layout, and only the cards that moved or
        changed are repainted."""
        self._dirty = True
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._repaint_changes)

    def _repaint_changes(self) -> None:
        self._scheduled = False
        pages = self.pages
        page = pages[self.page] if pages else []
        now = {p.card.ticket["id"]: self._look(p) for p in page}
        if not self._shown or not now:
            self.update()
            return
        region = QRegion()
        for tid, look in now.items():
            before = self._shown.get(tid)
            if before != look:
                region += QRect(*look[1:5])
                if before is not None:
                    region += QRect(*before[1:5])  # where it was: a card that moved or shrank leaves pixels
        for tid, look in self._shown.items():
            if tid not in now:
                region += QRect(*look[1:5])
        if not region.isEmpty():
            self.update(region)

    def _look(self, placed: Placed) -> tuple[Any, ...]:
        """What a card's pixels depend on, apart from its clock."""
        tid = placed.card.ticket["id"]
        return (placed.card.serial, placed.x, placed.y, placed.w, placed.h, tid == self.selected_id, self.model.stale)

    def _tick_clocks(self) -> None:
        """Once a second: repaint only the cards' clocks, or a whole card whose timer changed colour."""
        region = self.tick_region()
        if not region.isEmpty():
            self.update(region)

    def tick_region(self) -> QRegion:
        """What the clock tick repaints (the benchmark paints it synchronously)."""
        region = QRegion()
        now = time.time()
        for placed in self.pages[self.page] if self.pages else []:
            state = self.theme.timer_state(placed.card.elapsed(now)).name
            if self._states.get(placed.card.ticket["id"], state) != state:
                region += placed.rect
            else:
                region += self.clocks.area(placed.rect)
        return region

    @property
    def pages(self) -> list[list[Placed]]:
        if self._dirty:
            self._layout()
        return self._pages

    def _layout(self) -> None:
        started = time.perf_counter()
        self._dirty = False
        tickets = self.model.tickets
        held_counts = self.model.held_counts()
        width, height = self.width(), self.height()
        column_px = round(COLUMN_PX * self.theme.font_scale)  # larger type, wider cards
        columns = max(1, (width + GAP) // (column_px + GAP))
        col_w = (width - GAP * (columns - 1)) // columns
        pages: list[list[Placed]] = [[]]
        col, y = 0, 0
        layouts: dict[str, tuple[tuple[Any, ...], CardLayout]] = {}
        previous = self._layouts
        progress = self._progress
        orders_get = self.orders.get
        selected_id, selected_item = self.selected_id, self.selected_item
        page = pages[-1]
        step = col_w + GAP
        for index, ticket in enumerate(tickets):
            tid, order_id = ticket["id"], ticket["order_id"]
            # The other stations' markers, cached by the order's identity (orders are replaced, never changed)
            seen = progress.get(order_id)
            markers = seen[1] if seen is not None and seen[0] is orders_get(order_id) else self._markers(ticket)
            # A card is laid out again only when something it shows changed (tickets are never changed in
            # place; a tuple compares its items by identity first, so an unchanged ticket costs no dict compare)
            key = (ticket, markers, held_counts.get(order_id, 0), selected_item if tid == selected_id else None)
            cached = previous.get(tid)
            if cached is not None and cached[0] == key:
                layouts[tid] = cached
                card = cached[1]
            else:
                card = layout_card(ticket, self.theme, markers, key[2], key[3])
                layouts[tid] = (key, card)
            h = card.height if card.height < height else height
            if y > 0 and y + h > height:
                col, y = col + 1, 0
            if col >= columns:
                page = []
                pages.append(page)
                col, y = 0, 0
            page.append(Placed(card, col * step, y, col_w, h, index))
            y += h + GAP
        self._pages = pages
        self._layouts = layouts
        self._states = {tid: state for tid, state in self._states.items() if tid in layouts}  # bounded
        ids = [t["id"] for t in tickets]
        if self.selected_id not in ids:
            self.selected_id = ids[0] if ids else None
            self.selected_item = None
        self.page = min(self.page, len(pages) - 1)
        self.relayout_ms.append((time.perf_counter() - started) * 1000)

    def _markers(self, ticket: dict[str, Any]) -> tuple[tuple[str, int, int], ...]:
        order = self.orders.get(ticket.get("order_id", ""))
        if order is None:
            return ()
        cached = self._progress.get(order["id"])
        if cached is not None and cached[0] is order:  # orders are replaced, never changed in place
            return cached[1]
        markers = tuple(
            (self.station_names.get(s, s), done, total)
            for s, (done, total) in sorted(station_progress(order).items())
            if s != self.model.station_id and self.station_kinds.get(s) != "expo"  # expo sees every item: noise
        )
        self._progress[order["id"]] = (order, markers)
        return markers

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._progress.clear()
        self.relayout()

    # --- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw what the region asks for and nothing more: each card's cached pixmap only where the region
        meets it (the 1 Hz tick asks for the clocks), its clock and frame, and the background only where no
        card covers it. Blits stay small, so they run inline rather than on Qt's painting thread pool."""
        started = time.perf_counter()
        painter = QPainter(self)
        if self.pager.offset:
            self._paint_moving(painter)
            painter.end()
            self.frames += 1
            return
        region = event.region()
        pages = self.pages  # lays out first if anything changed
        now = time.time()
        mono = time.monotonic()
        page = pages[self.page] if pages else []
        flashing = False
        theme = self.theme
        covered = QRegion()
        painted: list[tuple[QRect, float, TimerState, bool, bool]] = []
        states = self._states
        pixmaps: dict[str, tuple[tuple[Any, ...], QPixmap]] = {}
        for placed in page:
            card = placed.card
            tid = card.ticket["id"]
            rect = placed.rect
            if not region.intersects(rect):
                if tid in self._pixmaps:
                    pixmaps[tid] = self._pixmaps[tid]
                continue  # not part of this repaint: its pixels are still right
            arrived = self.model.arrived.get(tid)
            flash = arrived is not None and mono - arrived < FLASH_SECONDS
            flashing = flashing or flash
            seconds = card.elapsed(now)
            state = theme.timer_state(seconds)
            pixmap = self._pixmap(placed, state)
            pixmaps[tid] = self._pixmaps[tid]
            for part in region.intersected(rect):
                painter.drawPixmap(part.topLeft(), pixmap, part.translated(-placed.x, -placed.y))
            painted.append((rect, seconds, state, tid == self.selected_id, flash))
            states[tid] = state.name
            covered += rect
        self.clocks.begin(painter)
        for rect, seconds, state, _, _ in painted:
            self.clocks.draw(painter, rect, seconds, state)
        for rect, _, _, selected, flash in painted:
            paint_frame(painter, rect, theme, selected=selected, flash=flash)
        background = QColor(theme.background)
        for part in region.subtracted(covered):
            painter.fillRect(part, background)
        self._pixmaps = pixmaps  # only this page's cards are kept
        if not page:
            painter.setPen(QColor(theme.muted))
            painter.setFont(theme.font(30, bold=True))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, tr("empty.station"))
        painter.end()
        self.frames += 1
        self.paint_ms.append((time.perf_counter() - started) * 1000)
        self._shown = {p.card.ticket["id"]: self._look(p) for p in page}
        shown = list(self._shown)
        if shown != self.painted_ids:
            self.painted_ids = shown
            self.painted_pairs = [(p.card.ticket["id"], p.card.ticket["order_id"]) for p in page]
        for callback in self.on_painted:
            callback(self)
        if flashing:
            QTimer.singleShot(int(FLASH_SECONDS * 1000), self.update)  # end the flash: once, not blinking

    def _pixmap(self, placed: Placed, state: TimerState) -> QPixmap:
        """The card drawn but for its clock, redrawn when its layout, size, timer colour or staleness changes."""
        card, stale = placed.card, self.model.stale
        key = (card.serial, placed.w, placed.h, state.name, stale)
        cached = self._pixmaps.get(card.ticket["id"])
        if cached is None or cached[0] != key:
            cached = self._pixmaps[card.ticket["id"]] = (
                key,
                render_card(card, self.theme, placed.w, placed.h, state, stale),
            )
        return cached[1]

    def _paint_moving(self, painter: QPainter) -> None:
        """A frame of a page being dragged or settling: this page shifted, and the one it moves toward."""
        dx = round(self.pager.offset)
        width = self.width()
        painter.fillRect(self.rect(), QColor(self.theme.background))
        pages = self.pages
        now = time.time()
        toward = self.page + (1 if dx < 0 else -1)
        shown: list[tuple[QRect, float, TimerState]] = []
        for number, shift in ((self.page, dx), (toward, dx + (width if dx < 0 else -width))):
            if not 0 <= number < len(pages):
                continue
            for placed in pages[number]:
                rect = placed.rect.translated(shift, 0)
                if rect.right() < 0 or rect.left() > width:
                    continue
                seconds = placed.card.elapsed(now)
                state = self.theme.timer_state(seconds)
                painter.drawPixmap(rect.topLeft(), self._pixmap(placed, state))
                shown.append((rect, seconds, state))
        self.clocks.begin(painter)
        for rect, seconds, state in shown:
            self.clocks.draw(painter, rect, seconds, state)

    # --- paging
    def off_screen(self) -> tuple[int, int]:
        """How many tickets are on the pages before and after this one."""
        before = sum(len(p) for p in self.pages[: self.page])
        after = sum(len(p) for p in self.pages[self.page + 1 :])
        return before, after

    def set_page(self, page: int) -> None:
        self.page = max(0, min(page, len(self.pages) - 1))
        if self.pages and self.pages[self.page]:
            self._select(self.pages[self.page][0].card.ticket["id"])
        self.selection_changed.emit()
        self.update()

    # --- selection
    @property
    def selected_ticket(self) -> dict[str, Any] | None:
        return next((t for t in self.model.tickets if t["id"] == self.selected_id), None)

    def _select(self, ticket_id: str | None, item: int | None = None) -> None:
        changed = ticket_id != self.selected_id or item != self.selected_item
        self.selected_id, self.selected_item = ticket_id, item
        if changed:
            self.relayout()
            self.selection_changed.emit()

    def _move(self, step: int) -> None:
        ids = [t["id"] for t in self.model.tickets]
        if not ids:
            return
        at = ids.index(self.selected_id) if self.selected_id in ids else 0
        target = ids[max(0, min(len(ids) - 1, at + step))]
        self._select(target)
        for number, page in enumerate(self.pages):
            if any(p.card.ticket["id"] == target for p in page):
                self.page = number
        self.update()

    def select_number(self, number: int) -> None:
        """Digit keys: the n-th card of this page (1-based), as many bump bars number their screens."""
        page = self.pages[self.page] if self.pages else []
        if 1 <= number <= len(page):
            self._select(page[number - 1].card.ticket["id"])

    def perform(self, action: str) -> None:
        """One bump-bar action on the visible selection."""
        ticket = self.selected_ticket
        items = (ticket or {}).get("items", [])
        if action in ("next", "previous"):
            self._move(1 if action == "next" else -1)
        elif action in ("item_up", "item_down") and items:
            at = -1 if self.selected_item is None else self.selected_item
            step = 1 if action == "item_down" else -1
            self._select(self.selected_id, max(0, min(len(items) - 1, at + step)))
        elif action == "item_bump" and ticket is not None and self.selected_item is not None:
            self.item_done.emit(ticket, items[self.selected_item])
        elif action == "bump" and ticket is not None:
            self.bump.emit(ticket)
        elif action in ("page_next", "page_previous"):
            self.set_page(self.page + (1 if action == "page_next" else -1))
        elif action == "home":
            self.set_page(0)
        elif action == "recall":
            self.action.emit("recall", {})
        elif action in ("start", "priority") and ticket is not None:
            self.action.emit(action, ticket)

    def follow(self, ticket_id: str | None, item_id: str | None) -> None:
        """Draw the daemon's bump-bar selection: that ticket (and item) highlighted, on the page it is on."""
        ticket = next((t for t in self.model.tickets if t["id"] == ticket_id), None)
        if ticket is None:
            return  # not in this screen's list yet: the re-read after the tickets change brings it
        items = ticket.get("items", ())
        item = next((i for i, it in enumerate(items) if item_id and it.get("item_id") == item_id), None)
        self._select(ticket_id, item)
        for number, page in enumerate(self.pages):
            if any(p.card.ticket["id"] == ticket_id for p in page) and number != self.page:
                self.page = number
                self.selection_changed.emit()
                self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.forward_key is not None and self.forward_key(event):
            return
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9:
            self.select_number(key - Qt.Key.Key_0)
        elif key in KEYS:
            self.perform(KEYS[Qt.Key(key)])
        else:
            super().keyPressEvent(event)

    # --- touch
    def card_at(self, point: QPoint) -> Placed | None:
        page = self.pages[self.page] if self.pages else []
        return next((p for p in page if p.rect.contains(point)), None)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.pager.press(event.position(), event.timestamp())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self.pager.move(event.position(), event.timestamp())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self.pager.release(event.position(), event.timestamp()):
            return  # a drag turns the page (or springs back); it never bumps
        point = event.position().toPoint()
        placed = self.card_at(point)
        if placed is None:
            return
        ticket = placed.card.ticket
        where, item = hit_line(placed.card, placed.rect, self.theme, point.y())
        if where == "header":
            self.bump.emit(ticket)
        elif where == "item" and item is not None:
            self._select(ticket["id"], item)
            self.item_done.emit(ticket, ticket["items"][item])
        else:
            self._select(ticket["id"])
