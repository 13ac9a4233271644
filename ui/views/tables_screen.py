"""The tables screen: the floor plan from the tables API (issue 17). Until the daemon serves that API this
screen is a seam that says so, in words, rather than an empty floor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.texts import tr
from ui.views.theme import Theme


class TablesScreen(QWidget):
    def __init__(self, theme: Theme) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        title = QLabel(tr("tables.title"))
        title.setFont(theme.font(26, bold=True))
        self.notice = QLabel(tr("tables.not_yet"))
        self.notice.setFont(theme.font(22))
        self.notice.setWordWrap(True)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for label in (title, self.notice):
            label.setStyleSheet(f"color: {theme.card_text};")
        layout.addWidget(title)
        layout.addWidget(self.notice, 1)
