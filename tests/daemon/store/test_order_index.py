"""The list indexes answer exactly what walking every order would, whatever happened to the orders."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from daemon.domain import commands
from daemon.domain.errors import HeardError
from daemon.domain.model import ACTIVE_ORDER_STATUSES, ACTIVE_TICKET_STATUSES, Order, TicketAction
from daemon.store.order_index import OrderIndex
from tests.daemon.domain.builders import Kitchen, seed

STATIONS = ("grill", "cold", "expo", "fry")
step_st = st.tuples(st.integers(0, 3), st.sampled_from(STATIONS), st.sampled_from(list(TicketAction)))


def walked(orders: dict[str, Order], station: str, active_only: bool) -> set[str]:
    return {
        o.id
        for o in orders.values()
        for t in o.tickets.values()
        if t.station_id == station and (not active_only or t.status in ACTIVE_TICKET_STATUSES)
    }


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step_st, max_size=30), dropped=st.sets(st.integers(0, 3)))
def test_indexes_match_a_walk_over_every_order(steps: list[tuple[int, str, TicketAction]], dropped: set[int]) -> None:
    kitchens = {f"o{n}": Kitchen() for n in range(4)}
    index = OrderIndex()
    orders: dict[str, Order] = {}
    for oid, kitchen in kitchens.items():
        orders[oid] = kitchen.create(seed(id=oid))
        index.put(orders[oid])
    for n, station, action in steps:
        oid = f"o{n}"
        try:
            orders[oid] = kitchens[oid].do(commands.ticket_action(orders[oid], station, action))
        except HeardError:
            continue
        index.put(orders[oid])
    for n in dropped:
        index.drop(orders.pop(f"o{n}"))

    for station in STATIONS:
        for active_only in (True, False):
            assert {o.id for o in index.at_station(station, active_only=active_only)} == walked(
                orders, station, active_only
            )
    assert {o.id for o in index.active()} == {o.id for o in orders.values() if o.status in ACTIVE_ORDER_STATUSES}
    assert {o.id for o in index.on_screen()} == {o.id for o in orders.values() if o.on_screen}
    for order in orders.values():
        assert all(index.order_of_item(item_id) == order.id for item_id in order.items)
