"""The station screen: the ticket grid, and beside it all-day counts, recall, paging and the selected card's
less frequent actions (start, priority, void), each one tap away."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.keys import spec_of
from ui.session import KitchenSession
from ui.texts import tr
from ui.views.pin_pad import PinPad
from ui.views.theme import Theme
from ui.views.ticket_grid import TicketGrid

SIDE_PX = 260
BUTTON_PX = 64  # ≥ 9 mm on any kitchen panel up to 24" at 1080p


class StationScreen(QWidget):
    def __init__(self, session: KitchenSession, station_id: str, theme: Theme) -> None:
        super().__init__()
        self.session = session
        self.station_id = station_id
        self.theme = theme
        self.model = session.stations[station_id]
        self.grid = TicketGrid(self.model, session.orders, theme, session.station_names, session.station_kinds)
        self.grid.bump.connect(lambda t: session.bump(station_id, t["order_id"]))
        self.grid.item_done.connect(lambda _t, item: session.mark_item_done(item))
        self.grid.action.connect(self._action)
        self.grid.selection_changed.connect(self.refresh_soon)
        self.model.changed.connect(self.refresh_soon)
        self._refresh_pending = False
        # Bump bars: a wedge bar's keys go to the daemon, and the highlight is the daemon's selection
        self.grid.forward_key = self._forward_key
        session.bars.selections.changed.connect(self._follow)
        session.bars.selections.refused.connect(self._refused)

        side = QWidget()
        side.setFixedWidth(SIDE_PX)
        column = QVBoxLayout(side)
        column.setContentsMargins(8, 8, 8, 8)
        self.title = QLabel()
        self.title.setFont(theme.font(26, bold=True))
        self.average = QLabel()
        self.average.setFont(theme.font(17))
        self.all_day_title = QLabel(tr("side.all_day"))
        self.all_day_title.setFont(theme.font(18, bold=True))
        self.all_day = QLabel()
        self.all_day.setFont(theme.font(20))
        self.all_day.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.all_day.setWordWrap(True)
        self.recall = self._button(tr("side.recall"), lambda: self._action("recall", {}))
        row = QHBoxLayout()
        self.start = self._button(tr("side.start"), lambda: self._on_selected("start"))
        self.priority = self._button(tr("side.priority"), lambda: self._on_selected("priority"))
        row.addWidget(self.start)
        row.addWidget(self.priority)
        self.void = self._button(tr("side.void"), self._ask_void)
        self.pager = QLabel()
        self.pager.setFont(theme.font(18, bold=True))
        self.pager.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pages = QHBoxLayout()
        self.page_left = self._button("◀", lambda: self.grid.set_page(self.grid.page - 1))
        self.page_right = self._button("▶", lambda: self.grid.set_page(self.grid.page + 1))
        pages.addWidget(self.page_left)
        pages.addWidget(self.page_right)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setFont(theme.font(15))
        self.message.setStyleSheet(f"color: {theme.stale};")
        session.on_error = self.message.setText
        for widget in (self.title, self.average, self.all_day_title, self.all_day):
            column.addWidget(widget)
        column.setStretch(3, 1)
        column.addWidget(self.message)
        column.addLayout(row)
        column.addWidget(self.void)
        column.addWidget(self.recall)
        column.addWidget(self.pager)
        column.addLayout(pages)
        side.setStyleSheet(f"color: {theme.card_text};")
        self.pin_pad = PinPad(theme, self)
        self.pin_pad.entered.connect(self._void)
        self._void_order: str | None = None

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.grid, 1)
        layout.addWidget(side)
        self.refresh()

    def _forward_key(self, event: QKeyEvent) -> bool:
        """Hand the key to the daemon when this station has a keyboard-wedge bar; False: the screen's keys."""
        if self.station_id not in self.session.bars.selections.wedge_bars:
            return False
        if event.isAutoRepeat():
            return True  # a held key does not repeat (docs/bumpbars.md): only the press counts
        spec = spec_of(event)
        return spec is not None and self.session.bars.forward(self.station_id, spec)

    def _follow(self, station_id: str) -> None:
        selection = self.session.bars.selections.get(station_id)
        if station_id == self.station_id and selection is not None:
            self.grid.follow(selection.get("ticket_id"), selection.get("item_id"))

    def _refused(self, station_id: str, error: str) -> None:
        if station_id == self.station_id:
            self.message.setText(tr("bar.refused", error=error))

    def _button(self, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumHeight(BUTTON_PX)
        button.setFont(self.theme.font(19, bold=True))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the grid keeps the keyboard (the bump bar)
        button.setStyleSheet(
            f"QPushButton {{ background: {self.theme.card}; color: {self.theme.card_text};"
            f" border: 2px solid {self.theme.muted}; border-radius: 6px; }}"
            f" QPushButton:pressed {{ background: {self.theme.selection}; color: #000; }}"
        )
        button.clicked.connect(slot)
        return button

    def _on_selected(self, action: str) -> None:
        ticket = self.grid.selected_ticket
        if ticket is not None:
            self._action(action, ticket)

    def _action(self, action: str, ticket: dict[str, Any]) -> None:
        if action == "recall":
            self.session.recall_last(self.station_id)
        elif action == "start":
            self.session.ticket_action(self.station_id, ticket["order_id"], "start")
        elif action == "priority":
            self.session.cycle_priority(self.station_id, ticket)

    def _ask_void(self) -> None:
        ticket = self.grid.selected_ticket
        why_not = self.session.void_ready() if ticket is not None else "side.void_select"
        if why_not is not None or ticket is None:
            self.message.setText(tr(why_not or "side.void_select"))
            return
        self._void_order = ticket["order_id"]
        name = (ticket.get("metadata") or {}).get("order_name") or ticket["order_id"]
        self.pin_pad.setGeometry(self.width() - 420, 40, 400, 560)
        self.pin_pad.open(tr("pin.prompt", name=name))

    def _void(self, pin: str) -> None:
        if self._void_order is not None:
            self.session.void_with_pin(self.station_id, self._void_order, pin)
            self._void_order = None

    def refresh_soon(self) -> None:
        """Changes that arrive in one loop turn share one refresh of the side panel."""
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self.refresh)

    def refresh(self) -> None:
        self._refresh_pending = False
        name = self.session.station_names.get(self.station_id, self.station_id)
        held = sum(self.model.held_counts().values())
        self.title.setText(f"{name} · {len(self.model.tickets)}" + (f"  {tr('side.held', n=held)}" if held else ""))
        avg = self.model.average_seconds()
        self.average.setText(
            tr("side.average_none") if avg is None else tr("side.average", t=f"{int(avg) // 60}:{int(avg) % 60:02d}")
        )
        self.all_day.setText("\n".join(f"{qty:>3}  {name}" for name, qty in self.model.all_day()[:14]))
        last = self.model.bumped[0] if self.model.bumped else None
        label = (last.get("metadata") or {}).get("order_name") if last else None
        self.recall.setText(f"{tr('side.recall')}: {label}" if label else tr("side.nothing_to_recall"))
        self.recall.setEnabled(last is not None)
        before, after = self.grid.off_screen()
        pages = max(1, len(self.grid.pages))
        parts = [tr("page.left", n=before)] if before else []
        parts.append(tr("page.of", p=self.grid.page + 1, n=pages))
        if after:
            parts.append(tr("page.right", n=after))
        self.pager.setText("  ".join(parts))
