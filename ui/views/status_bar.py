"""The status bar and the connection banner: never a silent failure.

The bar always shows the daemon link, peers, printers, headquarters sync lag and clock offset; a part that
needs attention is marked ⚠ and coloured, a part this screen may not read says so. The banner appears the
moment the link drops and stays until it is back.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from ui.models.health import Part
from ui.models.status import StatusModel
from ui.texts import tr
from ui.views.theme import Theme


class StatusBar(QWidget):
    def __init__(self, model: StatusModel, theme: Theme) -> None:
        super().__init__()
        self.model = model
        self.theme = theme
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"background: {theme.bar}; color: {theme.bar_text};")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 10, 4)
        layout.setSpacing(28)  # five parts told apart at a glance
        self.labels = {k: QLabel() for k in ("daemon", "peers", "printers", "hq", "clock")}
        for label in self.labels.values():
            label.setFont(theme.font(16))
            layout.addWidget(label)
        layout.addStretch(1)
        self._warn_style = f"color: {theme.stale}; font-weight: bold;"
        self._stale_style = f"color: {theme.muted};"
        model.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        s = self.model.status
        daemon = tr("status.connected") if s.connected else tr("status.disconnected", detail=s.detail)
        self.labels["daemon"].setText(("● " if s.connected else "✖ ") + daemon)
        self.labels["daemon"].setStyleSheet("" if s.connected else self._warn_style)
        asking = Part(tr("status.asking"))
        for key, text, part in (
            ("peers", "status.peers", s.peers),
            ("printers", "status.printers", s.printers),
            ("hq", "status.hq", s.hq_lag),
        ):
            part = part or asking
            self.labels[key].setText(tr(text, v=part.shown))
            # Greyed while the link is down: the last answer, not the present (and ⚠ says a warning in words)
            self.labels[key].setStyleSheet(
                self._warn_style if part.warn and s.connected else ("" if s.connected else self._stale_style)
            )
        offset = "—" if s.clock_offset_s is None else f"{s.clock_offset_s:+.0f} s"
        warn = s.clock_offset_s is not None and abs(s.clock_offset_s) > 2
        self.labels["clock"].setText(tr("status.clock", v=offset) + (" ⚠" if warn else ""))


class Banner(QLabel):
    """The stale/reconnect banner above the grid."""

    def __init__(self, model: StatusModel, theme: Theme) -> None:
        super().__init__()
        self.model = model
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFont(theme.font(22, bold=True))
        self.setStyleSheet(f"background: {theme.stale}; color: #FFFFFF; padding: 8px;")
        model.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        s = self.model.status
        if s.connected:
            self.hide()
            return
        if s.since_ms is None:
            self.setText(tr("banner.connecting"))
        else:
            lost = time.strftime("%H:%M:%S", time.localtime(s.since_ms / 1000))
            self.setText(tr("banner.stale", since=lost))
        self.show()
