"""The floor's tables (the tables API's list, with positions) as a Qt list model, and whether the daemon
serves that API at all: until issue 17 lands it does not, and the screen says so instead of drawing nothing."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

TABLE_ROLE = Qt.ItemDataRole.UserRole + 3
STATUSES = ("available", "occupied", "reserved", "dirty", "blocked")  # the seed's table status values

Index = QModelIndex | QPersistentModelIndex


class FloorTables(QAbstractListModel):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self.available: bool | None = None  # None: not asked yet; False: the daemon has no tables API

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        table = self._rows[index.row()]
        if role == TABLE_ROLE:
            return table
        if role == Qt.ItemDataRole.DisplayRole:
            return table.get("name") or table.get("number")
        return None

    @property
    def tables(self) -> list[dict[str, Any]]:
        return self._rows

    def replace_all(self, tables: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = list(tables)
        self.available = True
        self.endResetModel()
        self.changed.emit()

    def unavailable(self) -> None:
        if self.available is not False:
            self.available = False
            self.changed.emit()
