"""Indexes over the orders held in memory, kept as each order changes, so a list request reads the
few orders it shows instead of walking every order of the retention window."""

from __future__ import annotations

from daemon.domain.model import ACTIVE_ORDER_STATUSES, ACTIVE_TICKET_STATUSES, Order


class OrderIndex:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._item_orders: dict[str, str] = {}
        self._at_station: dict[str, set[str]] = {}  # every order with a ticket there, finished or not
        self._active_at_station: dict[str, set[str]] = {}  # orders with an active ticket there
        self._active: set[str] = set()  # order status pending..ready (the kitchen-orders list)
        self._on_screen: set[str] = set()  # some ticket still to bump (the integrator's active list)

    def put(self, order: Order) -> None:
        oid = order.id
        self._orders[oid] = order
        for item_id in order.items:
            self._item_orders[item_id] = oid
        active_stations = set()
        for ticket in order.tickets.values():
            self._at_station.setdefault(ticket.station_id, set()).add(oid)
            if ticket.status in ACTIVE_TICKET_STATUSES:
                active_stations.add(ticket.station_id)
        for station_id, ids in self._active_at_station.items():
            if station_id not in active_stations:
                ids.discard(oid)
        for station_id in active_stations:
            self._active_at_station.setdefault(station_id, set()).add(oid)
        _mark(self._active, oid, order.status in ACTIVE_ORDER_STATUSES)
        _mark(self._on_screen, oid, order.on_screen)

    def drop(self, order: Order) -> None:
        oid = order.id
        self._orders.pop(oid, None)
        for item_id in order.items:
            if self._item_orders.get(item_id) == oid:
                del self._item_orders[item_id]
        for ids in (*self._at_station.values(), *self._active_at_station.values()):
            ids.discard(oid)
        self._active.discard(oid)
        self._on_screen.discard(oid)

    def order_of_item(self, item_id: str) -> str | None:
        return self._item_orders.get(item_id)

    def at_station(self, station_id: str, *, active_only: bool) -> list[Order]:
        source = self._active_at_station if active_only else self._at_station
        return [self._orders[oid] for oid in source.get(station_id, ())]

    def active(self) -> list[Order]:
        return [self._orders[oid] for oid in self._active]

    def on_screen(self) -> list[Order]:
        return [self._orders[oid] for oid in self._on_screen]

    def all(self) -> list[Order]:
        return list(self._orders.values())


def _mark(ids: set[str], oid: str, present: bool) -> None:
    if present:
        ids.add(oid)
    else:
        ids.discard(oid)
