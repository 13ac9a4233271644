"""Indexes over the orders held in memory, kept as each order changes, so a list request reads the
few orders it shows instead of walking every order of the retention window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from daemon.domain.clock_plan import needs_clock
from daemon.domain.model import ACTIVE_ORDER_STATUSES, ACTIVE_TICKET_STATUSES, Order


class OrderIndex:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._item_orders: dict[str, str] = {}
        self._at_station: dict[str, set[str]] = {}  # every order with a ticket there, finished or not
        self._active_at_station: dict[str, set[str]] = {}  # orders with an active ticket there
        self._active: set[str] = set()  # order status pending..ready (the kitchen-orders list)
        self._on_screen: set[str] = set()  # some ticket still to bump (the integrator's active list)
        self._paced: set[str] = set()  # open orders the kitchen clock must visit (clock_plan.needs_clock)
        self._active_stations_of: dict[str, frozenset[str]] = {}  # what put() last saw, to update by difference
        self._at_table: dict[str, set[str]] = {}  # table id → orders seated there (tables API, table sync)
        self._table_of: dict[str, str] = {}

    def put(self, order: Order) -> None:
        oid = order.id
        self._orders[oid] = order
        self._item_orders.update(dict.fromkeys(order.items, oid))
        active_stations = set()
        for ticket in order.tickets.values():
            station_id = ticket.station_id
            at = self._at_station.get(station_id)
            if at is None:
                at = self._at_station[station_id] = set()
            at.add(oid)
            if ticket.status in ACTIVE_TICKET_STATUSES:
                active_stations.add(station_id)
        was_active = self._active_stations_of.get(oid, _NONE)
        for station_id in was_active - active_stations:
            self._active_at_station[station_id].discard(oid)
        for station_id in active_stations - was_active:
            self._active_at_station.setdefault(station_id, set()).add(oid)
        if active_stations:
            self._active_stations_of[oid] = frozenset(active_stations)
        else:
            self._active_stations_of.pop(oid, None)
        active = order.status in ACTIVE_ORDER_STATUSES
        _mark(self._active, oid, active)
        _mark(self._paced, oid, active and needs_clock(order))
        # Order.on_screen, from the active stations just found: some ticket still to bump, or none made yet.
        _mark(self._on_screen, oid, bool(active_stations) if order.tickets else not order.canceled)
        self._seat(oid, order.table_id)

    def _seat(self, oid: str, table_id: str | None) -> None:
        was = self._table_of.get(oid)
        if was == table_id:
            return
        if was is not None:
            self._at_table[was].discard(oid)
            del self._table_of[oid]
        if table_id is not None:
            self._at_table.setdefault(table_id, set()).add(oid)
            self._table_of[oid] = table_id

    def drop(self, order: Order) -> None:
        oid = order.id
        self._orders.pop(oid, None)
        for item_id in order.items:
            if self._item_orders.get(item_id) == oid:
                del self._item_orders[item_id]
        for ids in (*self._at_station.values(), *self._active_at_station.values()):
            ids.discard(oid)
        self._active_stations_of.pop(oid, None)
        self._active.discard(oid)
        self._paced.discard(oid)
        self._on_screen.discard(oid)
        self._seat(oid, None)

    def order_of_item(self, item_id: str) -> str | None:
        return self._item_orders.get(item_id)

    def at_station(self, station_id: str, *, active_only: bool) -> list[Order]:
        source = self._active_at_station if active_only else self._at_station
        return [self._orders[oid] for oid in source.get(station_id, ())]

    def at_table(self, table_id: str) -> list[Order]:
        return [self._orders[oid] for oid in self._at_table.get(table_id, ())]

    def active(self) -> list[Order]:
        return [self._orders[oid] for oid in self._active]

    def paced(self) -> list[Order]:
        return [self._orders[oid] for oid in self._paced]

    def paced_among(self, ids: Iterable[str]) -> list[Order]:
        """The orders of `ids` that the kitchen clock paces."""
        paced, orders = self._paced, self._orders
        return [orders[oid] for oid in ids if oid in paced]

    def by_id(self) -> Mapping[str, Order]:
        """Every order held, by id (read-only by contract: the index owns it)."""
        return self._orders

    def on_screen(self) -> list[Order]:
        return [self._orders[oid] for oid in self._on_screen]

    def all(self) -> list[Order]:
        return list(self._orders.values())


_NONE: frozenset[str] = frozenset()


def _mark(ids: set[str], oid: str, present: bool) -> None:
    if present:
        ids.add(oid)
    else:
        ids.discard(oid)
