"""The fold loses no item and strands no course: voids, tickets after a void, recalls, cancels and
lines without a lineId, each by example."""

from __future__ import annotations

import pytest

from daemon.domain import commands, intake
from daemon.domain.codec import order_from_json, order_to_json
from daemon.domain.errors import Conflict, InvalidEvent
from daemon.domain.events import Change
from daemon.domain.fold import apply, fold, item_id
from daemon.domain.model import (
    CourseStatus,
    ItemFlag,
    ItemStatus,
    Order,
    OrderStatus,
    TicketAction,
    TicketStatus,
)
from daemon.domain.settle import ticket_id
from tests.daemon.domain.builders import KITCHEN, Device, Kitchen, seed


def fired_seed() -> dict[str, object]:
    """The seed order with both courses fired: Hamburger at grill (1), Vanilla Shake at cold (2), both at expo."""
    body = seed()
    for item in body["items"]:
        item["courseStatus"] = "fire"
    return body


def test_void_marks_the_tickets_unfinished_items_voided() -> None:
    k = Kitchen()
    order = k.create()

    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    assert k.item("Hamburger").flag is ItemFlag.VOIDED
    assert not k.item("Hamburger").is_live


def test_voided_ticket_does_not_keep_its_course_from_completing() -> None:
    k = Kitchen()
    order = k.create(fired_seed())

    order = k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    assert order.courses[1].status is CourseStatus.COMPLETE


def test_voided_ticket_does_not_keep_its_order_from_completing() -> None:
    k = Kitchen()
    order = k.create(fired_seed())
    order = k.do(commands.ticket_action(order, "cold", TicketAction.BUMP))

    order = k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    assert order.status is OrderStatus.READY


def test_order_whose_items_are_all_voided_reports_served() -> None:
    k = Kitchen()
    order = k.create(fired_seed())
    order = k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    order = k.do(commands.ticket_action(order, "cold", TicketAction.VOID))

    assert order.status is OrderStatus.SERVED


def test_full_update_resending_a_voided_item_unchanged_keeps_it_voided() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))
    fields, items = intake.check_order(seed(tip="5.00"))

    k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    assert k.item("Hamburger").flag is ItemFlag.VOIDED


def test_full_update_changing_a_voided_item_makes_it_new_work() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))
    body = seed()
    body["items"][0]["qty"] = 2
    fields, items = intake.check_order(body)

    k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    assert (k.item("Hamburger").flag, k.item("Hamburger").status) == (ItemFlag.MODIFIED, ItemStatus.PENDING)


def test_status_of_a_voided_item_cannot_change() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    with pytest.raises(InvalidEvent) as caught:
        k.do(commands.set_item_status(order, k.item("Hamburger").id, ItemStatus.PREPARING))

    assert caught.value.code == "ITEM_VOIDED"


def test_skipping_a_course_does_not_keep_the_order_from_completing() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))

    order = k.do(commands.skip_course(order, 2))

    assert k.item("Vanilla Shake").flag is ItemFlag.VOIDED
    assert order.status is OrderStatus.READY


def ribeye(line_id: str | None = "3", course: str = "1") -> dict[str, object]:
    item: dict[str, object] = {"name": "Ribeye", "qty": 1, "mods": [], "course": course}
    if line_id is not None:
        item["lineId"] = line_id
    return item


def test_item_added_where_the_ticket_was_voided_gets_a_new_ticket() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    order = k.add(ribeye())

    old, new = k.tickets("grill", 1)
    assert (old.status, new.status) == (TicketStatus.VOIDED, TicketStatus.PENDING)
    assert [i.name for i in order.items_of(new)] == ["Ribeye"]


def test_voided_ticket_keeps_showing_the_items_it_had() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    order = k.add(ribeye())

    assert [i.name for i in order.items_of(k.tickets("grill", 1)[0])] == ["Hamburger"]


def test_first_ticket_keeps_its_derived_id_and_the_next_gets_another() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    k.add(ribeye())

    first, second = k.tickets("grill", 1)
    assert first.id == ticket_id("123", "grill", 1)
    assert second.id not in (first.id, ticket_id("123", "grill", 2))


def test_requests_after_a_void_act_on_the_new_ticket() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))
    order = k.add(ribeye())

    order = k.do(commands.ticket_action(order, "grill", TicketAction.START))

    assert k.ticket("grill", 1).status is TicketStatus.IN_PROGRESS
    assert k.item("Ribeye").status is ItemStatus.PREPARING


def test_changed_voided_item_goes_on_a_new_ticket() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))
    body = seed()
    body["items"][0]["qty"] = 2
    fields, items = intake.check_order(body)

    order = k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    new = k.ticket("grill", 1)
    assert new.status is TicketStatus.PENDING
    assert [i.name for i in order.items_of(new)] == ["Hamburger"]


def test_item_done_before_the_void_stays_on_the_voided_ticket() -> None:
    body = seed()
    body["items"].append({"lineId": "3", "name": "Ribeye", "qty": 1, "mods": [], "course": "1"})
    k = Kitchen()
    order = k.create(body)
    order = k.do(commands.set_item_status(order, k.item("Ribeye").id, ItemStatus.PREPARING))
    order = k.do(commands.set_item_status(order, k.item("Ribeye").id, ItemStatus.READY))
    order = k.do(commands.ticket_action(order, "grill", TicketAction.VOID))

    order = k.add({"lineId": "4", "name": "Chicken", "qty": 1, "mods": []})

    voided, new = k.tickets("grill", 1)
    assert [i.name for i in order.items_of(voided)] == ["Hamburger", "Ribeye"]
    assert [i.name for i in order.items_of(new)] == ["Chicken"]
    assert k.item("Ribeye").flag is ItemFlag.NONE


def test_item_added_to_a_skipped_course_gets_a_new_ticket() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.skip_course(order, 2))

    k.add({"lineId": "3", "name": "Caesar Salad", "qty": 1, "mods": [], "course": "2"})

    assert [t.status for t in k.tickets("cold", 2)] == [TicketStatus.VOIDED, TicketStatus.PENDING]


def test_snapshot_round_trips_several_tickets_for_one_station_and_course() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.VOID))
    order = k.add(ribeye())

    again = order_from_json(order_to_json(order))

    assert again == order
    assert [i.name for i in again.items_of(k.tickets("grill", 1)[0])] == ["Hamburger"]


def test_start_on_a_recalled_ticket_goes_in_progress_and_stays() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    order = k.do(commands.ticket_action(order, "grill", TicketAction.RECALL))

    order = k.do(commands.ticket_action(order, "grill", TicketAction.START))

    assert k.ticket("grill", 1).status is TicketStatus.IN_PROGRESS
    assert k.item("Hamburger").status is ItemStatus.PREPARING
    assert order.courses[1].status is CourseStatus.IN_PROGRESS


def test_start_on_a_recalled_ticket_leaves_served_items_served() -> None:
    body = seed()
    body["items"].append({"lineId": "3", "name": "Ribeye", "qty": 1, "mods": [], "course": "1"})
    k = Kitchen()
    order = k.create(body)
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    order = k.do(commands.set_item_status(order, k.item("Ribeye").id, ItemStatus.SERVED))
    order = k.do(commands.ticket_action(order, "grill", TicketAction.RECALL))

    k.do(commands.ticket_action(order, "grill", TicketAction.START))

    assert (k.item("Hamburger").status, k.item("Ribeye").status) == (ItemStatus.PREPARING, ItemStatus.SERVED)
    assert k.ticket("grill", 1).status is TicketStatus.IN_PROGRESS


def test_cancel_voids_held_tickets_with_their_items() -> None:
    k = Kitchen()
    order = k.create()

    order = k.do(commands.cancel_order(order, "123"))

    assert [t.status for t in (k.ticket("cold", 2), k.ticket("expo", 2))] == [TicketStatus.VOIDED] * 2
    assert k.item("Vanilla Shake").flag is ItemFlag.VOIDED
    assert k.ticket("grill", 1).status is TicketStatus.PENDING


def test_canceled_order_leaves_the_screen_once_its_tickets_are_bumped() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.cancel_order(order, "123"))

    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    order = k.do(commands.ticket_action(order, "expo", TicketAction.BUMP))

    assert not order.on_screen


def test_holding_a_course_of_a_canceled_order_is_refused() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.cancel_order(order, "123"))

    with pytest.raises(Conflict) as caught:
        k.do(commands.hold_course(order, 1))

    assert (caught.value.code, caught.value.status) == ("ORDER_CANCELED", 409)


def test_recalled_ticket_of_a_canceled_order_is_not_held_again() -> None:
    body = seed()
    body["items"][1] = {"lineId": "2", "name": "Fries", "qty": 1, "mods": [], "id": "fries-1", "course": "1"}
    k = Kitchen()
    order = k.create(body)
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    order = k.do(commands.hold_course(order, 1))
    order = k.do(commands.cancel_order(order, "123"))

    k.do(commands.ticket_action(order, "grill", TicketAction.RECALL))

    assert k.ticket("grill", 1).status is TicketStatus.RECALLED
    assert k.ticket("fry", 1).status is TicketStatus.VOIDED


def lineless_add(order: Order, name: str) -> Change:
    patch = intake.check_partial({"id": order.id, "itemsToAdd": [{"name": name, "qty": 1, "mods": []}]})
    return commands.patch_order(order, order.id, patch, KITCHEN)


def test_two_devices_adding_different_lineless_items_never_share_an_id() -> None:
    a, b = Device("dev-a"), Device("dev-b")
    fields, items = intake.check_order(seed())
    created = a.stamp(commands.create_order(None, fields, items, ["dev-a"], KITCHEN))
    order = apply(None, created)

    folded = fold([created, a.stamp(lineless_add(order, "Fries")), b.stamp(lineless_add(order, "Ribeye"))]).state

    assert folded is not None
    assert sorted(i.name for i in folded.items.values()) == ["Fries", "Hamburger", "Ribeye", "Vanilla Shake"]


def test_lineless_item_gets_its_id_from_the_event_not_the_command() -> None:
    k = Kitchen()
    order = k.create()

    change = lineless_add(order, "Fries")
    order = k.do(change)

    assert "id" not in change.payload["add"][0]
    assert k.item("Fries").id == item_id("123", None, f"dev-a\x1f{k.device.seq}\x1f0")


def test_lineless_items_of_one_create_get_distinct_ids() -> None:
    body = seed()
    for item in body["items"]:
        item.pop("lineId")
    k = Kitchen()

    order = k.create(body)

    assert len(order.items) == 2
