"""The screen's models on their own: order, all-day counts, item updates, recall list, held courses."""

from __future__ import annotations

from typing import Any

from ui.models.orders import KitchenOrders, station_progress
from ui.models.tickets import StationTickets


def ticket(n: int, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": f"t{n}",
        "order_id": f"o{n}",
        "station_id": "grill",
        "status": "pending",
        "priority": "normal",
        "course_number": 1,
        "created_at": f"2026-11-30T12:{n:02d}:00Z",
        "metadata": {"order_name": f"Guest {n}", "order_priority": False},
        "items": [
            {"item_id": f"i{n}a", "name": "Hamburger", "quantity": 2, "status": "pending", "flag": None},
            {"item_id": f"i{n}b", "name": "Fries", "quantity": 1, "status": "pending", "flag": "deleted"},
        ],
    }
    return {**base, **over}


def test_tickets_are_ordered_urgent_then_pos_priority_then_oldest(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all(
        [
            ticket(1),
            ticket(2, priority="urgent"),
            ticket(3, metadata={"order_name": "VIP", "order_priority": True}),
            ticket(0),
            ticket(4, station_id="fry"),  # another station's: not shown here
            ticket(5, status="held"),  # a held course: not shown, counted on its order
        ]
    )
    assert [t["id"] for t in model.tickets] == ["t2", "t3", "t0", "t1"]
    assert model.held_count("o5") == 1 and model.rowCount() == 4


def test_all_day_counts_what_is_left_to_make(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all([ticket(1), ticket(2)])
    assert model.all_day() == [("Hamburger", 4)]  # the deleted fries count for nothing
    model.apply_item({"id": "i1a", "status": "ready"})
    assert model.all_day() == [("Hamburger", 2)]


def test_an_item_event_replaces_the_ticket_and_reports_a_completed_ticket(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all([ticket(1)])
    before = model.tickets[0]
    assert model.apply_item({"id": "i1a", "status": "preparing"}) is False
    assert model.tickets[0] is not before  # never changed in place: views cache cards by identity
    assert model.apply_item({"id": "i1a", "status": "ready"}) is True  # every live item done


def test_a_bumped_ticket_leaves_the_grid_for_the_recall_list(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all([ticket(1), ticket(2)])
    model.apply_ticket(ticket(1, status="bumped", completed_at="2026-11-30T12:05:00Z"))
    assert [t["id"] for t in model.tickets] == ["t2"]
    assert model.bumped[0]["id"] == "t1"
    model.apply_ticket(ticket(1, status="recalled"))
    assert [t["id"] for t in model.tickets] == ["t1", "t2"] and not model.bumped


def test_a_new_ticket_is_counted_once_for_the_chime_but_not_on_the_first_load(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all([ticket(1)])
    assert model.new_tickets == 0
    model.apply_ticket(ticket(2))
    model.replace_all([ticket(1), ticket(2)])
    assert model.new_tickets == 1


def test_station_progress_counts_live_items_per_station(qapp: Any) -> None:
    order = {
        "id": "o1",
        "status": "preparing",
        "items": [
            {"id": "a", "stations": ["grill", "expo"], "status": "ready"},
            {"id": "b", "stations": ["fry", "expo"], "status": "pending"},
            {"id": "c", "stations": ["fry"], "status": "pending", "flag": "voided"},
        ],
        "courses": [],
    }
    assert station_progress(order) == {"grill": (1, 1), "expo": (1, 2), "fry": (0, 1)}
    orders = KitchenOrders()
    orders.replace_all([order])
    orders.apply_item("o1", "ready", {"id": "b", "stations": ["fry", "expo"], "status": "ready"})
    assert station_progress(orders.get("o1") or {})["fry"] == (1, 1)
    orders.apply_order({**order, "status": "served"})
    assert orders.get("o1") is None and orders.rowCount() == 0


def test_a_priority_change_moves_one_ticket_and_keeps_the_rest_in_place(qapp: Any) -> None:
    model = StationTickets("grill")
    model.replace_all([ticket(n) for n in range(5)])
    moved: list[str] = []
    model.rowsInserted.connect(lambda _parent, first, _last: moved.append(model.tickets[first]["id"]))
    model.apply_ticket(ticket(3, priority="urgent"))
    assert [t["id"] for t in model.tickets] == ["t3", "t0", "t1", "t2", "t4"] and moved == ["t3"]
    model.apply_ticket(ticket(3))  # back to normal: back to its place among the oldest first
    assert [t["id"] for t in model.tickets] == ["t0", "t1", "t2", "t3", "t4"]
    same = ticket(1, items=[])  # a change that keeps its place: the row is replaced where it is
    model.apply_ticket(same)
    assert model.tickets[1] is same and model.all_day() == [("Hamburger", 8)]
