"""Every active order of the kitchen (kitchen-orders shape) as a Qt list model: the expo screen's rows,
and, for a station card, how far the same order is at the other stations (so a cook sees the fries are up)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

ORDER_ROLE = Qt.ItemDataRole.UserRole + 2
FINISHED = frozenset({"served", "canceled"})
DONE_ITEM = frozenset({"ready", "served"})
STRUCK = frozenset({"deleted", "voided"})

Index = QModelIndex | QPersistentModelIndex


def station_progress(order: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """station id → (items done, items) of this order's live items there."""
    progress: dict[str, list[int]] = {}
    for item in order.get("items", ()):
        if item.get("flag") in STRUCK:
            continue
        for station in item.get("stations", ()):
            done_total = progress.setdefault(station, [0, 0])
            done_total[1] += 1
            done_total[0] += item.get("status") in DONE_ITEM
    return {s: (d, t) for s, (d, t) in progress.items()}


class KitchenOrders(QAbstractListModel):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        self.stale = False

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        order = self._rows[index.row()]
        if role == ORDER_ROLE:
            return order
        if role == Qt.ItemDataRole.DisplayRole:
            return order.get("display_name")
        return None

    @property
    def orders(self) -> list[dict[str, Any]]:
        return self._rows

    def get(self, order_id: str) -> dict[str, Any] | None:
        return self._by_id.get(order_id)

    def replace_all(self, orders: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._by_id = {o["id"]: o for o in orders if o.get("status") not in FINISHED}
        self._rows = sorted(self._by_id.values(), key=_order_key)
        self.endResetModel()
        self.changed.emit()

    def apply_order(self, order: dict[str, Any]) -> None:
        if order.get("status") in FINISHED:
            self._by_id.pop(order["id"], None)
        else:
            self._by_id[order["id"]] = order
        self.beginResetModel()
        self._rows = sorted(self._by_id.values(), key=_order_key)
        self.endResetModel()
        self.changed.emit()

    def apply_item(self, order_id: str, order_status: str, item: dict[str, Any]) -> None:
        order = self._by_id.get(order_id)
        if order is None:
            return
        # A new object, never a change in place: views cache what they derive from an order by its identity.
        items = [item if i.get("id") == item.get("id") else i for i in order.get("items", ())]
        new = {**order, "status": order_status, "items": items}
        if order_status in FINISHED:
            self.apply_order(new)
            return
        row = self._rows.index(order)
        self._rows[row] = self._by_id[order_id] = new
        self.dataChanged.emit(self.index(row), self.index(row), [ORDER_ROLE])
        self.changed.emit()

    def apply_course(self, order_id: str, order_status: str, course: dict[str, Any]) -> None:
        order = self._by_id.get(order_id)
        if order is None:
            return
        number = course.get("course_number", course.get("number"))
        courses = [
            {**c, "status": course.get("status", c.get("status"))} if c.get("number") == number else c
            for c in order.get("courses", ())
        ]
        new = {**order, "status": order_status, "courses": courses}
        self._rows[self._rows.index(order)] = self._by_id[order_id] = new
        self.changed.emit()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.changed.emit()


def _order_key(order: dict[str, Any]) -> tuple[bool, str]:
    return (not order.get("priority"), order.get("created_at") or "")
