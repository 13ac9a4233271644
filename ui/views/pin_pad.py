"""A touch keypad for the manager PIN (never a modal dialog: a nested Qt loop would stall the asyncio one)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.texts import tr
from ui.views.theme import Theme

KEY_PX = 72


class PinPad(QWidget):
    entered = Signal(str)
    cancelled = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digits = ""
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"background: {theme.bar}; color: {theme.card_text};")
        column = QVBoxLayout(self)
        self.prompt = QLabel(tr("pin.prompt"))
        self.prompt.setFont(theme.font(20, bold=True))
        self.prompt.setWordWrap(True)
        self.shown = QLabel("")
        self.shown.setFont(theme.font(30, bold=True))
        self.shown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(self.prompt)
        column.addWidget(self.shown)
        grid = QGridLayout()
        self.keys: dict[str, QPushButton] = {}
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "✕", "0", "OK"]
        for i, label in enumerate(labels):
            button = QPushButton(label)
            button.setMinimumSize(KEY_PX, KEY_PX)
            button.setFont(theme.font(24, bold=True))
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setStyleSheet(f"background: {theme.card}; border: 2px solid {theme.muted}; border-radius: 6px;")
            button.clicked.connect(lambda _=False, key=label: self.press(key))
            grid.addWidget(button, i // 3, i % 3)
            self.keys[label] = button
        column.addLayout(grid)
        self.hide()

    def open(self, prompt: str) -> None:
        self.digits = ""
        self.prompt.setText(prompt)
        self.shown.setText("")
        self.show()
        self.raise_()

    def press(self, key: str) -> None:
        if key == "✕":
            self.hide()
            self.cancelled.emit()
        elif key == "OK":
            self.hide()
            self.entered.emit(self.digits)
        elif len(self.digits) < 8:
            self.digits += key
            self.shown.setText("•" * len(self.digits))
