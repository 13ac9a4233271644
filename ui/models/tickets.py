"""One station's tickets as a Qt list model: what the station screen draws, kept current from live events.

A row is a ticket as the tickets API and the `ticket:updated` event carry it (the same JSON), so REST and
WebSocket feed one shape. Held tickets are kept apart (a held course is not work yet: a card shows how
many it has waiting); bumped tickets move to the recall list, newest first.
"""

from __future__ import annotations

import bisect
import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

TICKET_ROLE = Qt.ItemDataRole.UserRole + 1
ACTIVE = frozenset({"pending", "in_progress", "ready", "recalled"})
HELD = "held"
DONE_ITEM = frozenset({"ready", "served"})
STRUCK = frozenset({"deleted", "voided"})
_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
RECALL_DEPTH = 10
AVERAGE_WINDOW_MS = 15 * 60 * 1000

Index = QModelIndex | QPersistentModelIndex


def parse_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def sort_key(ticket: dict[str, Any]) -> tuple[int, bool, int, int]:
    """The daemon's order for active tickets (docs/api.md): urgent, high, the POS's priority flag, oldest."""
    meta = ticket.get("metadata") or {}
    return (
        _PRIORITY_RANK.get(ticket.get("priority", "normal"), 2),
        not meta.get("order_priority"),
        parse_ms(ticket.get("created_at")) or 0,
        int(ticket.get("course_number") or 0),
    )


class StationTickets(QAbstractListModel):
    """Active tickets of one station, in the daemon's order. `changed` fires once per applied change, so a
    view repaints once however many rows moved."""

    changed = Signal()

    def __init__(self, station_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.station_id = station_id
        self._rows: list[dict[str, Any]] = []
        self._held: dict[str, dict[str, Any]] = {}  # ticket id → held ticket
        self.bumped: list[dict[str, Any]] = []  # newest first, for recall and the average ticket time
        self.stale = False
        self.arrived: dict[str, float] = {}  # ticket id → monotonic time it first appeared (the flash, the sound)
        self.new_tickets = 0  # tickets that arrived after the first load (each plays the chime once)
        self.loaded = False  # the first load shows what was already there: nothing flashes
        # Per ticket id: (the ticket object, what it is derived from it). Tickets are replaced, never changed
        # in place, so an identity check says whether the cached value still holds; parsing created_at for
        # 200 tickets at each priority change, or summing their items at each event, was most of an event.
        self._keys: dict[str, tuple[dict[str, Any], tuple[int, bool, int, int]]] = {}
        self._counts: dict[str, tuple[dict[str, Any], dict[str, int]]] = {}

    # --- Qt model
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        ticket = self._rows[index.row()]
        if role == TICKET_ROLE:
            return ticket
        if role == Qt.ItemDataRole.DisplayRole:
            return (ticket.get("metadata") or {}).get("order_name") or ticket.get("order_id")
        return None

    def roleNames(self) -> dict[int, bytes]:
        return {TICKET_ROLE: b"ticket", Qt.ItemDataRole.DisplayRole: b"display"}

    # --- reads for views
    @property
    def tickets(self) -> list[dict[str, Any]]:
        return self._rows

    def held_count(self, order_id: str) -> int:
        return sum(1 for t in self._held.values() if t.get("order_id") == order_id)

    def held_counts(self) -> dict[str, int]:
        """Order id → its held tickets here (a card shows how many courses wait behind it)."""
        counts: dict[str, int] = {}
        for t in self._held.values():
            counts[t.get("order_id", "")] = counts.get(t.get("order_id", ""), 0) + 1
        return counts

    def all_day(self) -> list[tuple[str, int]]:
        """Item name → quantity still to make on the shown tickets, most first."""
        counts: dict[str, int] = {}
        cache = self._counts
        for ticket in self._rows:
            cached = cache.get(ticket["id"])
            if cached is None or cached[0] is not ticket:
                cached = cache[ticket["id"]] = (ticket, _left_to_make(ticket))
            for name, qty in cached[1].items():
                counts[name] = counts.get(name, 0) + qty
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))

    def average_seconds(self, now_ms: int | None = None) -> float | None:
        """Mean created → bumped time of tickets bumped in the last 15 minutes (None: none were)."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        spans = []
        for ticket in self.bumped:
            done, made = parse_ms(ticket.get("completed_at")), parse_ms(ticket.get("created_at"))
            if done is not None and made is not None and now_ms - done <= AVERAGE_WINDOW_MS:
                spans.append((done - made) / 1000)
        return sum(spans) / len(spans) if spans else None

    # --- changes
    def replace_all(self, tickets: list[dict[str, Any]], completed: list[dict[str, Any]] | None = None) -> None:
        mine = [t for t in tickets if t.get("station_id") == self.station_id]
        now = time.monotonic()
        known = {t["id"] for t in self._rows}
        # Keep the old object of a ticket that did not change: views cache a card's layout by its identity.
        previous = {t["id"]: t for t in self._rows}
        mine = [previous[t["id"]] if previous.get(t["id"]) == t else t for t in mine]
        self.beginResetModel()
        self._rows = sorted((t for t in mine if t.get("status") in ACTIVE), key=self._key)
        shown = {t["id"] for t in self._rows}
        self._keys = {k: v for k, v in self._keys.items() if k in shown}  # bounded by what is shown
        self._counts = {k: v for k, v in self._counts.items() if k in shown}
        self._held = {t["id"]: t for t in mine if t.get("status") == HELD}
        if completed is not None:
            self.bumped = [t for t in completed if t.get("status") == "bumped"][:RECALL_DEPTH]
        for t in self._rows:
            if self.loaded and t["id"] not in known and self.arrived.get(t["id"]) is None:
                self.arrived[t["id"]] = now
                self.new_tickets += 1
        self.loaded = True
        self.endResetModel()
        self.changed.emit()

    def apply_ticket(self, ticket: dict[str, Any]) -> bool:
        """A ticket as an event carries it: placed, moved, or taken off. True when the list changed."""
        if ticket.get("station_id") != self.station_id:
            return False
        tid = ticket["id"]
        self._held.pop(tid, None)
        row = next((i for i, t in enumerate(self._rows) if t["id"] == tid), None)
        status = ticket.get("status")
        if status == HELD:
            self._held[tid] = ticket
        if status in ACTIVE:
            if row is not None and self._key(self._rows[row]) == self._key(ticket):
                self._rows[row] = ticket  # its place is the same: one row changed
                index = self.index(row)
                self.dataChanged.emit(index, index, [TICKET_ROLE])
            elif row is not None:
                # A priority change moves it: out of its place and into its new one (the others keep theirs)
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                self._insert(ticket)
            else:
                if tid not in self.arrived:
                    self.arrived[tid] = time.monotonic()
                    self.new_tickets += 1
                self._insert(ticket)
        elif row is not None:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
            self._keys.pop(tid, None)
            self._counts.pop(tid, None)
        if status == "bumped":
            self.bumped = [ticket] + [t for t in self.bumped if t["id"] != tid][: RECALL_DEPTH - 1]
        elif status in ACTIVE:
            self.bumped = [t for t in self.bumped if t["id"] != tid]
        self.changed.emit()
        return True

    def apply_item(self, item: dict[str, Any]) -> bool:
        """An item moved (`order:item_status`, kitchen-orders shape): update it on every card that shows it.
        True when a card it is on now has every live item done: the daemon then made that ticket ready, which
        the event does not carry, so the session re-reads the station's tickets."""
        item_id = item.get("id")
        hit = completed = False
        for row, ticket in enumerate(self._rows):
            for i, shown in enumerate(ticket.get("items", ())):
                if shown.get("item_id") == item_id:
                    status = item.get("status", shown.get("status"))
                    items = list(ticket["items"])
                    items[i] = {**shown, "status": status, "is_done": status in DONE_ITEM}
                    # A new object, never a change in place: views cache each card by its ticket's identity.
                    ticket = self._rows[row] = {**ticket, "items": items}
                    index = self.index(row)
                    self.dataChanged.emit(index, index, [TICKET_ROLE])
                    hit = True
                    completed = completed or all(
                        i.get("status") in DONE_ITEM or i.get("flag") in STRUCK for i in ticket["items"]
                    )
        if hit:
            self.changed.emit()
        return completed

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self.changed.emit()

    def _key(self, ticket: dict[str, Any]) -> tuple[int, bool, int, int]:
        cached = self._keys.get(ticket["id"])
        if cached is None or cached[0] is not ticket:
            cached = self._keys[ticket["id"]] = (ticket, sort_key(ticket))
        return cached[1]

    def _insert(self, ticket: dict[str, Any]) -> None:
        row = bisect.bisect_right(self._rows, self._key(ticket), key=self._key)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, ticket)
        self.endInsertRows()


def _left_to_make(ticket: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in ticket.get("items", ()):
        if item.get("status") in DONE_ITEM or item.get("is_done") or item.get("flag") in STRUCK:
            continue
        counts[item["name"]] = counts.get(item["name"], 0) + int(item.get("quantity") or 1)
    return counts
