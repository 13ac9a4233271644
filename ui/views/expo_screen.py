"""The expo screen: every active order with each station's progress and each course's state, most urgent
first, the orders of one table together. Expo marks an order's ready food served (kitchen-orders API). Firing,
holding and timing alerts use the coursing API (issue 16); a daemon without it gets a screen that says so
instead of buttons that cannot work.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.models.orders import KitchenOrders, station_progress
from ui.session import KitchenSession
from ui.texts import tr
from ui.views.theme import GREEN, ORANGE, SKY, Theme
from ui.views.ticket_card import clock_text

ROW_PX = 64
ALERT_SHAPE = {"critical": "■", "blocked": "✖", "warning": "▲", "normal": "●"}  # never colour alone
COURSE_SHAPE = {"held": "⏸", "fired": "▶", "in_progress": "◐", "complete": "✓", "skipped": "⤼"}


def _age(order: dict[str, Any], now: float) -> float:
    try:
        made = datetime.fromisoformat(str(order.get("created_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, now - made)


def table_of(order: dict[str, Any]) -> str | None:
    table = (order.get("order") or {}).get("table")
    return str(table) if table else None


def expo_order(orders: list[dict[str, Any]], now: float) -> list[dict[str, Any]]:
    """Priority first, then the longest waiting; the orders of one table follow the table's longest waiting
    order, so expo sends a table's food together."""
    ranked = sorted(orders, key=lambda o: (not o.get("priority"), -_age(o, now)))
    place: dict[str, int] = {}
    for i, order in enumerate(ranked):
        table = table_of(order)
        if table is not None:
            place.setdefault(table, i)
    return sorted(ranked, key=lambda o: (place.get(table_of(o) or "", ranked.index(o)), ranked.index(o)))


class ExpoBoard(QWidget):
    selection_changed = Signal()

    def __init__(
        self, orders: KitchenOrders, theme: Theme, station_names: dict[str, str], station_kinds: dict[str, str]
    ) -> None:
        super().__init__()
        self.orders = orders
        self.theme = theme
        self.station_names = station_names
        self.station_kinds = station_kinds
        self.frames = 0
        self.rows: list[dict[str, Any]] = []  # as last drawn
        self.selected_id: str | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        orders.changed.connect(self.update)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.update)
        self._tick.start(1000)

    @property
    def selected(self) -> dict[str, Any] | None:
        return self.orders.get(self.selected_id or "")

    def _row_h(self) -> int:
        return round(ROW_PX * self.theme.font_scale)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(self.theme.background))
        now = time.time()
        row_h = self._row_h()
        self.rows = expo_order(self.orders.orders, now)
        if self.selected_id is None and self.rows:
            self.selected_id = self.rows[0]["id"]
        y = 0
        for order in self.rows:
            if y + row_h > self.height():
                break
            self._paint_row(painter, order, y, row_h, now)
            y += row_h
        painter.end()
        self.frames += 1

    def _paint_row(self, painter: QPainter, order: dict[str, Any], y: int, row_h: int, now: float) -> None:
        theme, s = self.theme, self.theme.font_scale
        rect = QRect(0, y, self.width(), row_h - 4)
        painter.fillRect(rect, QColor(theme.card))
        state = theme.timer_state(_age(order, now))
        painter.fillRect(QRect(0, y, round(12 * s), row_h - 4), QColor(state.colour))
        painter.setPen(QColor(theme.card_text))
        painter.setFont(theme.font(24, bold=True))
        name = f"{order.get('display_name') or order.get('id')}"
        table = table_of(order)
        if table:
            name = f"{table} · {name}"
        if order.get("canceled"):
            name = f"{tr('card.canceled')} {name}"
        left = QRect(round(20 * s), y, round(260 * s), row_h - 4)
        fm = QFontMetrics(painter.font())
        elided = fm.elidedText(name, Qt.TextElideMode.ElideRight, left.width())
        painter.drawText(left, Qt.AlignmentFlag.AlignVCenter, elided)
        painter.setFont(theme.font(20, bold=True))
        timer = f"{state.shape} {clock_text(_age(order, now))}"
        painter.drawText(QRect(round(280 * s), y, round(120 * s), row_h - 4), Qt.AlignmentFlag.AlignVCenter, timer)
        x = round(410 * s)
        painter.setFont(theme.font(18, bold=True))
        for station, (done, total) in sorted(station_progress(order).items()):
            if self.station_kinds.get(station) == "expo":
                continue  # expo sees every item: its own column would only repeat the order
            text = f"{self.station_names.get(station, station)} {'✓' if done == total else f'{done}/{total}'}"
            w = QFontMetrics(painter.font()).horizontalAdvance(text) + round(20 * s)
            pill = QRect(x, y + round(12 * s), w, row_h - round(28 * s))
            painter.fillRect(pill, QColor(GREEN if done == total else (ORANGE if done else theme.background)))
            painter.setPen(QColor("#000000" if done else theme.card_text))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
            x += w + round(8 * s)
        painter.setPen(QColor(SKY))
        courses = "  ".join(
            f"C{c.get('number')} {COURSE_SHAPE.get(str(c.get('status')), '?')} {c.get('status')}"
            for c in order.get("courses", ())
        )
        course_rect = QRect(x + round(10 * s), y, self.width() - x, row_h - 4)
        painter.drawText(course_rect, Qt.AlignmentFlag.AlignVCenter, courses)
        if order["id"] == self.selected_id:
            pen = QPen(QColor(theme.selection))
            pen.setWidth(5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(rect.adjusted(2, 2, -3, -3))

    def select_step(self, step: int) -> None:
        ids = [o["id"] for o in self.rows]
        if not ids:
            return
        at = ids.index(self.selected_id) if self.selected_id in ids else 0
        self.selected_id = ids[max(0, min(len(ids) - 1, at + step))]
        self.selection_changed.emit()
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        row = int(event.position().y()) // self._row_h()
        if 0 <= row < len(self.rows):
            self.selected_id = self.rows[row]["id"]
            self.selection_changed.emit()
            self.update()


class ExpoScreen(QWidget):
    served = Signal(dict)

    def __init__(self, session: KitchenSession, theme: Theme) -> None:
        super().__init__()
        self.session = session
        layout = QVBoxLayout(self)
        title = QLabel(tr("expo.title"))
        title.setFont(theme.font(26, bold=True))
        title.setStyleSheet(f"color: {theme.card_text};")
        self.board = ExpoBoard(session.orders, theme, session.station_names, session.station_kinds)
        self.serve = QPushButton(tr("expo.serve"))
        self.serve.setMinimumHeight(64)
        self.serve.setFont(theme.font(20, bold=True))
        self.serve.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.serve.setStyleSheet(
            f"background: {theme.card}; color: {theme.card_text}; border: 2px solid {theme.muted}; border-radius: 6px;"
        )
        self.serve.clicked.connect(self.serve_selected)
        self.fire = self._button(theme, tr("expo.fire"), lambda: self._course("fire"))
        self.hold = self._button(theme, tr("expo.hold"), lambda: self._course("hold"))
        self.ack = self._button(theme, tr("expo.acknowledge"), self._acknowledge)
        self.alerts = QLabel()
        self.alerts.setFont(theme.font(20, bold=True))
        self.alerts.setWordWrap(True)
        self.alerts.setStyleSheet(f"color: {theme.card_text};")
        seams = self.alerts  # the alerts line says when the coursing API is missing
        self.message = QLabel()
        self.message.setFont(theme.font(16, bold=True))
        self.message.setStyleSheet(f"color: {theme.stale};")
        session.on_error = self.message.setText  # a refused action is said, never swallowed
        bottom = QHBoxLayout()
        for button in (self.serve, self.fire, self.hold, self.ack):
            bottom.addWidget(button)
        bottom.addWidget(self.message, 1)
        layout.addWidget(title)
        layout.addWidget(seams)
        layout.addWidget(self.board, 1)
        layout.addLayout(bottom)
        session.alerts.changed.connect(self.refresh_alerts)
        self.refresh_alerts()
        self.board.setFocus(Qt.FocusReason.OtherFocusReason)

    @staticmethod
    def _button(theme: Theme, text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setMinimumHeight(64)
        button.setFont(theme.font(18, bold=True))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setStyleSheet(
            f"background: {theme.card}; color: {theme.card_text}; border: 2px solid {theme.muted}; border-radius: 6px;"
        )
        button.clicked.connect(slot)
        return button

    def _course(self, action: str) -> None:
        order = self.board.selected
        if order is not None:
            self.session.course_action(order, action)

    def _acknowledge(self) -> None:
        alerts = self.session.alerts.open
        if alerts:
            self.session.acknowledge(alerts[0]["id"])

    def refresh_alerts(self) -> None:
        model = self.session.alerts
        if model.available is False:
            self.alerts.setText(tr("expo.alerts"))
            for button in (self.fire, self.hold, self.ack):
                button.setEnabled(False)
            return
        lines = [
            f"{ALERT_SHAPE.get(a.get('alert_level', ''), '•')} {str(a.get('alert_level', '')).upper()} · "
            f"{a.get('table_name') or a.get('order_id')} · {a.get('course_name') or ''} · "
            f"{a.get('message') or ''}"
            for a in model.open[:3]
        ]
        more = len(model.open) - len(lines)
        self.alerts.setText("\n".join(lines) + (f"\n+{more}" if more > 0 else "") or tr("expo.no_alerts"))
        self.ack.setEnabled(bool(lines))

    def serve_selected(self) -> None:
        order = self.board.selected
        if order is not None:
            self.session.serve_ready(order)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Left):
            self.board.select_step(-1)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_Right):
            self.board.select_step(1)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.serve_selected()
        else:
            super().keyPressEvent(event)
