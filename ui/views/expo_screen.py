"""The expo screen: every active order with each station's progress and each course's state, most urgent
first. It draws the kitchen-orders API; firing, holding, serving and timing alerts come with the coursing
API (issue 16), and until the daemon serves it the screen says so instead of offering buttons that cannot work.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.models.orders import KitchenOrders, station_progress
from ui.session import KitchenSession
from ui.texts import tr
from ui.views.theme import GREEN, ORANGE, SKY, Theme
from ui.views.ticket_card import clock_text

ROW_PX = 64
COURSE_SHAPE = {"held": "⏸", "fired": "▶", "in_progress": "◐", "complete": "✓", "skipped": "⤼"}


def _age(order: dict[str, object], now: float) -> float:
    try:
        made = datetime.fromisoformat(str(order.get("created_at")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
    return max(0.0, now - made)


class ExpoBoard(QWidget):
    def __init__(
        self, orders: KitchenOrders, theme: Theme, station_names: dict[str, str], station_kinds: dict[str, str]
    ) -> None:
        super().__init__()
        self.orders = orders
        self.theme = theme
        self.station_names = station_names
        self.station_kinds = station_kinds
        self.frames = 0
        orders.changed.connect(self.update)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.update)
        self._tick.start(1000)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        theme, s = self.theme, self.theme.font_scale
        painter.fillRect(self.rect(), QColor(theme.background))
        now = time.time()
        row_h = round(ROW_PX * s)
        # Oldest (most urgent) first: the order that has waited longest is the one expo chases.
        orders = sorted(self.orders.orders, key=lambda o: (not o.get("priority"), -_age(o, now)))
        y = 0
        for order in orders:
            if y + row_h > self.height():
                break
            rect = QRect(0, y, self.width(), row_h - 4)
            painter.fillRect(rect, QColor(theme.card))
            state = theme.timer_state(_age(order, now))
            painter.fillRect(QRect(0, y, round(12 * s), row_h - 4), QColor(state.colour))
            painter.setPen(QColor(theme.card_text))
            painter.setFont(theme.font(24, bold=True))
            name = f"{order.get('display_name') or order.get('id')}"
            if order.get("canceled"):
                name = f"{tr('card.canceled')} {name}"
            left = QRect(round(20 * s), y, round(260 * s), row_h - 4)
            fm = QFontMetrics(painter.font())
            painter.drawText(
                left, Qt.AlignmentFlag.AlignVCenter, fm.elidedText(name, Qt.TextElideMode.ElideRight, left.width())
            )
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
            painter.drawText(
                QRect(x + round(10 * s), y, self.width() - x, row_h - 4), Qt.AlignmentFlag.AlignVCenter, courses
            )
            y += row_h
        painter.end()
        self.frames += 1


class ExpoScreen(QWidget):
    def __init__(self, session: KitchenSession, theme: Theme) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        title = QLabel(tr("expo.title"))
        title.setFont(theme.font(26, bold=True))
        title.setStyleSheet(f"color: {theme.card_text};")
        self.board = ExpoBoard(session.orders, theme, session.station_names, session.station_kinds)
        seams = QLabel(f"{tr('expo.actions')} · {tr('expo.alerts')}")
        seams.setFont(theme.font(16))
        seams.setStyleSheet(f"color: {theme.muted};")
        layout.addWidget(title)
        layout.addWidget(self.board, 1)
        layout.addWidget(seams)
