"""The screen's window: the banner, the chosen mode's screen, the status bar."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from ui.session import KitchenSession
from ui.sound import Chime
from ui.texts import tr
from ui.views.expo_screen import ExpoScreen
from ui.views.station_screen import StationScreen
from ui.views.status_bar import Banner, StatusBar
from ui.views.tables_screen import TablesScreen
from ui.views.theme import Theme
from ui.views.ticket_grid import TicketGrid


class KitchenWindow(QWidget):
    def __init__(self, session: KitchenSession, mode: str, station_ids: list[str], theme: Theme, chime: Chime):
        super().__init__()
        self.session = session
        self.mode = mode
        self.chime = chime
        self._chimed = 0
        self.setWindowTitle(tr("app.title"))
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(theme.background))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(theme.card_text))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = Banner(session.status, theme)
        layout.addWidget(self.banner)
        self.stations: list[StationScreen] = []
        self.expo: ExpoScreen | None = None
        self.tables: TablesScreen | None = None
        if mode == "station":
            row = QHBoxLayout()
            for station_id in station_ids:
                screen = StationScreen(session, station_id, theme)
                screen.grid.on_painted.append(lambda grid, sid=station_id: self._painted(sid, grid))
                session.stations[station_id].changed.connect(self._new_tickets)
                self.stations.append(screen)
                row.addWidget(screen, 1)
            layout.addLayout(row, 1)
        elif mode == "expo":
            self.expo = ExpoScreen(session, theme)
            layout.addWidget(self.expo, 1)
        else:
            self.tables = TablesScreen(session, theme)
            session.watch_tables()
            layout.addWidget(self.tables, 1)
        self.status_bar = StatusBar(session.status, theme)
        layout.addWidget(self.status_bar)
        if self.stations:
            self.stations[0].grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def _painted(self, station_id: str, grid: TicketGrid) -> None:
        if self.session.status.status.connected and not self.session.stations[station_id].stale:
            self.session.displayed(station_id, grid.painted_pairs)

    def _new_tickets(self) -> None:
        count = sum(m.new_tickets for m in self.session.stations.values())
        while self._chimed < count:  # one chime per new ticket, whether it came by event or by a re-read
            self._chimed += 1
            self.chime.new_ticket()
