"""The kitchen clock's timing alerts (coursing API), most urgent first: what expo chases."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

LEVEL_RANK = {"critical": 0, "blocked": 1, "warning": 2, "normal": 3}


class TimingAlerts(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._by_id: dict[str, dict[str, Any]] = {}
        self.available: bool | None = None  # False: the daemon has no coursing API

    @property
    def open(self) -> list[dict[str, Any]]:
        """Unacknowledged alerts: critical, blocked, warning; the longest delay first within a level."""
        alerts = [a for a in self._by_id.values() if not a.get("acknowledged")]
        return sorted(
            alerts, key=lambda a: (LEVEL_RANK.get(a.get("alert_level", ""), 9), -(a.get("delay_minutes") or 0))
        )

    def replace_all(self, alerts: list[dict[str, Any]]) -> None:
        self._by_id = {a["id"]: a for a in alerts if "id" in a}
        self.available = True
        self.changed.emit()

    def apply(self, alert: dict[str, Any]) -> None:
        if "id" in alert:
            self._by_id[alert["id"]] = alert
            self.changed.emit()
