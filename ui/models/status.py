"""What the status bar shows: the daemon link, peers, printers, headquarters sync lag, clock offset.

Each field is what the API exposes today; a part whose issue has not landed is a seam that says
"not available yet" rather than a blank, so the bar is never silently empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

NOT_YET = None  # a seam: the API does not expose this part yet


@dataclass(frozen=True)
class Status:
    connected: bool = False
    detail: str = "connecting"
    since_ms: int | None = None  # when the link was lost (None: up, or never up)
    peers: str | None = NOT_YET
    printers: str | None = NOT_YET
    hq_lag: str | None = NOT_YET
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
