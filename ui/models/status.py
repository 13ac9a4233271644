"""What the status bar shows: the daemon link, peers, printers, headquarters sync lag, clock offset.

Peers, printers and headquarters are read from the daemon's APIs (ui/status_poll.py) and summed up by
ui/models/health.py; until the first answer a part says it is asking, never a blank, so the bar is never
silently empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from ui.models.health import Part


@dataclass(frozen=True)
class Status:
    connected: bool = False
    detail: str = "connecting"
    since_ms: int | None = None  # when the link was lost (None: up, or never up)
    peers: Part | None = None  # None: not asked yet
    printers: Part | None = None
    hq_lag: Part | None = None
    clock_offset_s: float | None = None


class StatusModel(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.status = Status()

    def update(self, **fields: object) -> None:
        new = replace(self.status, **fields)  # type: ignore[arg-type]
        if new != self.status:
            self.status = new
            self.changed.emit()
