"""The tables screen: the floor plan from the tables API (shared/seeds/tables-api.txt), each table drawn at its
position, coloured **and labelled** by status; tap a table, then a status, to change it.

A daemon that does not serve the tables API gets a screen that says so in words rather than an empty floor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.models.tables import STATUSES, FloorTables
from ui.session import KitchenSession
from ui.texts import tr
from ui.views.theme import BLUE, GREEN, ORANGE, SKY, Theme

STATUS_COLOUR = {"available": GREEN, "occupied": BLUE, "reserved": SKY, "dirty": ORANGE, "blocked": "#6B6B6B"}
TABLE_PX = 110


class FloorPlan(QWidget):
    selection_changed = Signal()

    def __init__(self, model: FloorTables, theme: Theme) -> None:
        super().__init__()
        self.model = model
        self.theme = theme
        self.selected_id: str | None = None
        self.placed: list[tuple[QRect, dict[str, Any]]] = []
        model.changed.connect(self.update)

    def _place(self) -> list[tuple[QRect, dict[str, Any]]]:
        tables = self.model.tables
        if not tables:
            return []
        xs = [float((t.get("position") or {}).get("x", 0)) for t in tables]
        ys = [float((t.get("position") or {}).get("y", 0)) for t in tables]
        span_x, span_y = max(xs) - min(xs) or 1.0, max(ys) - min(ys) or 1.0
        size = round(TABLE_PX * self.theme.font_scale)
        usable_w, usable_h = max(1, self.width() - size - 20), max(1, self.height() - size - 20)
        return [
            (
                QRect(
                    10 + round((x - min(xs)) / span_x * usable_w),
                    10 + round((y - min(ys)) / span_y * usable_h),
                    size,
                    size,
                ),
                t,
            )
            for x, y, t in zip(xs, ys, tables, strict=True)
        ]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(self.theme.background))
        self.placed = self._place()
        for rect, table in self.placed:
            status = str(table.get("status", ""))
            painter.setBrush(QColor(STATUS_COLOUR.get(status, self.theme.muted)))
            selected = table.get("id") == self.selected_id
            pen = QPen(QColor(self.theme.selection if selected else self.theme.card))
            pen.setWidth(6 if selected else 2)
            painter.setPen(pen)
            if table.get("shape") == "round":
                painter.drawEllipse(QRectF(rect))
            else:
                painter.drawRoundedRect(QRectF(rect), 8, 8)
            painter.setPen(QColor("#000000"))
            painter.setFont(self.theme.font(20, bold=True))
            name = str(table.get("name") or table.get("number") or table.get("id"))
            painter.drawText(rect.adjusted(4, 8, -4, -rect.height() // 2), Qt.AlignmentFlag.AlignCenter, name)
            painter.setFont(self.theme.font(15, bold=True))
            detail = tr(f"tables.status.{status}") if status in STATUS_COLOUR else status
            if table.get("party_size"):
                detail += f" · {table['party_size']}"
            painter.drawText(rect.adjusted(4, rect.height() // 2, -4, -8), Qt.AlignmentFlag.AlignCenter, detail)
        painter.end()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        point = event.position().toPoint()
        for rect, table in self.placed:
            if rect.contains(point):
                self.selected_id = table.get("id")
                self.selection_changed.emit()
                self.update()
                return


class TablesScreen(QWidget):
    def __init__(self, session: KitchenSession, theme: Theme) -> None:
        super().__init__()
        self.session = session
        layout = QVBoxLayout(self)
        title = QLabel(tr("tables.title"))
        title.setFont(theme.font(26, bold=True))
        self.notice = QLabel(tr("tables.not_yet"))
        self.notice.setFont(theme.font(22))
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (title, self.notice):
            label.setStyleSheet(f"color: {theme.card_text};")
        self.plan = FloorPlan(session.tables, theme)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for status in STATUSES:
            button = QPushButton(tr(f"tables.status.{status}"))
            button.setMinimumHeight(64)
            button.setFont(theme.font(18, bold=True))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setStyleSheet(f"background: {STATUS_COLOUR[status]}; color: #000; border-radius: 6px;")
            button.clicked.connect(lambda _=False, s=status: self._set(s))
            row.addWidget(button)
            self.buttons[status] = button
        self.controls = QWidget()
        self.controls.setLayout(row)
        self.message = QLabel()  # a refused change is said here, in words (never silent)
        self.message.setFont(theme.font(17))
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.stale};")
        session.on_error = self.message.setText
        layout.addWidget(title)
        layout.addWidget(self.notice, 1)
        layout.addWidget(self.plan, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.controls)
        session.tables.changed.connect(self.refresh)
        self.refresh()

    def _set(self, status: str) -> None:
        self.message.clear()
        if self.plan.selected_id is not None:
            self.session.set_table_status(self.plan.selected_id, status)

    def refresh(self) -> None:
        served = self.session.tables.available is True
        self.notice.setVisible(not served)
        self.plan.setVisible(served)
        self.controls.setVisible(served)
