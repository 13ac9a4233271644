"""The daemon's bump-bar selection at each station: the ticket (and item) a bar's next key acts on.

The daemon owns it (docs/bumpbars.md): it comes in the answer to each forwarded key, in the `selection`
live message after any bar's action, and from `GET …/selection` after the station's tickets changed (a
bump slides the next ticket into the selected place). Answers may cross on the wire, so an older version
never replaces a newer one; a reconnect starts over (a restarted daemon counts from 0 again).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal


class BarSelections(QObject):
    changed = Signal(str)  # station id
    refused = Signal(str, str)  # station id, the daemon's last_error for an action it could not do

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.by_station: dict[str, dict[str, Any]] = {}
        self.wedge_bars: dict[str, str] = {}  # station id → the keyboard-wedge bar whose keys this screen forwards
        self.stations_with_bars: set[str] = set()  # stations whose highlight is the daemon's selection

    def set_bars(self, bars: list[dict[str, Any]]) -> None:
        self.wedge_bars = {}
        for bar in bars:
            station = bar.get("station_id")
            if bar.get("kind") == "keyboard" and station and station not in self.wedge_bars:
                self.wedge_bars[str(station)] = str(bar["id"])
        self.stations_with_bars = {str(b["station_id"]) for b in bars if b.get("station_id")}

    def get(self, station_id: str) -> dict[str, Any] | None:
        return self.by_station.get(station_id)

    def forget(self) -> None:
        self.by_station.clear()

    def apply(self, selection: dict[str, Any]) -> bool:
        """Take a selection the daemon sent; True when it is news."""
        station = selection.get("station_id")
        if not isinstance(station, str) or station not in self.stations_with_bars:
            return False
        current = self.by_station.get(station)
        version = int(selection.get("version") or 0)
        if current is not None and version < int(current.get("version") or 0):
            return False  # an answer overtaken by a newer one
        if current == selection:
            return False
        self.by_station[station] = selection
        acted = current is not None and version > int(current.get("version") or 0)
        if acted and selection.get("last_error"):
            self.refused.emit(station, str(selection["last_error"]))
        self.changed.emit(station)
        return True
