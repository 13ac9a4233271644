"""ARCHITECTURE §4 rules 1–8, each by example, on orders shaped like the seeds' own."""

from __future__ import annotations

import pytest

from daemon.domain import commands, intake
from daemon.domain.courses import course_number, initial_status
from daemon.domain.errors import Conflict, HeardError, InvalidEvent, OrderExists, TicketNotFound
from daemon.domain.model import (
    CourseStatus,
    CourseTemplate,
    ItemFlag,
    ItemStatus,
    OrderStatus,
    TicketAction,
    TicketPriority,
    TicketStatus,
)
from tests.daemon.domain.builders import DEFAULT_TEMPLATES, KITCHEN, Kitchen, kitchen_with, seed

# ---- rule 1: routing --------------------------------------------------------------------


def route(name: str, menu_item_id: str | None = None, category: str | None = None) -> tuple[str, ...]:
    return KITCHEN.routing.route(name=name, menu_item_id=menu_item_id, category=category)


def test_menu_item_rule_beats_category_and_name() -> None:
    assert route("Vanilla Shake", menu_item_id="fries-1", category="desserts") == ("fry", "expo")


def test_category_rule_beats_name_pattern() -> None:
    assert route("Hamburger", category="Desserts") == ("cold", "expo")


def test_name_pattern_is_case_insensitive() -> None:
    assert route("Caesar SALAD") == ("cold", "expo")


def test_default_rule_takes_the_rest() -> None:
    assert route("Ribeye") == ("grill", "expo")


def test_expo_sees_every_item() -> None:
    assert all("expo" in route(n) for n in ("Ribeye", "Fries", "Shake"))


def test_unrouted_item_goes_to_the_first_prep_station() -> None:
    routing = type(KITCHEN.routing)(KITCHEN.routing.stations, ())

    assert routing.route(name="Mystery", menu_item_id=None, category=None) == ("grill", "expo")


# ---- rule 2: courses --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "number"),
    [("2", 2), ("Course 2", 2), ("Entree", 2), ("dessert", 3), (None, 1), ("", 1), ("Chef's choice", 1)],
)
def test_course_number_from_label(label: str | None, number: int) -> None:
    assert course_number(label, DEFAULT_TEMPLATES) == number


def test_fire_beats_hold_within_a_course() -> None:
    assert initial_status(1, ["hold", "fire"], DEFAULT_TEMPLATES) is CourseStatus.FIRED


def test_template_hold_by_default_holds_an_unmarked_course() -> None:
    templates = (CourseTemplate(1, "Appetizer"), CourseTemplate(2, "Entree", hold_by_default=True))

    assert initial_status(2, [None], templates) is CourseStatus.HELD
    assert initial_status(2, ["straightFire"], templates) is CourseStatus.FIRED


def test_seed_example_holds_course_two_and_fires_course_one() -> None:
    k = Kitchen()

    order = k.create()

    assert order.courses[1].status is CourseStatus.FIRED
    assert order.courses[2].status is CourseStatus.HELD
    assert k.ticket("grill", 1).status is TicketStatus.PENDING
    assert k.ticket("cold", 2).status is TicketStatus.HELD


def test_template_held_course_from_kitchen_setup() -> None:
    templates = (CourseTemplate(1, "Appetizer"), CourseTemplate(2, "Entree", hold_by_default=True))
    body = seed()
    for item in body["items"]:
        item.pop("courseStatus")
    k = Kitchen(kitchen=kitchen_with(templates))

    k.create(body)

    assert k.ticket("cold", 2).status is TicketStatus.HELD


# ---- rule 3: held tickets follow their course ---------------------------------------------


def test_firing_a_course_releases_its_tickets() -> None:
    k = Kitchen()
    order = k.create()

    order = k.do(commands.fire_course(order, 2, by="sam"))

    assert k.ticket("cold", 2).status is TicketStatus.PENDING
    assert k.ticket("expo", 2).status is TicketStatus.PENDING
    assert order.courses[2].fired_by == "sam"


def test_firing_a_fired_course_is_refused() -> None:
    k = Kitchen()
    order = k.create()

    with pytest.raises(Conflict) as caught:
        k.do(commands.fire_course(order, 1))

    assert caught.value.code == "COURSE_ALREADY_FIRED"


def test_holding_again_takes_unstarted_tickets_off_the_line() -> None:
    k = Kitchen()
    order = k.create()

    k.do(commands.hold_course(order, 1, reason="guest stepped out"))

    assert k.ticket("grill", 1).status is TicketStatus.HELD
    assert k.order is not None and k.order.courses[1].hold_reason == "guest stepped out"


def test_skipping_voids_unstarted_tickets() -> None:
    k = Kitchen()
    order = k.create()

    order = k.do(commands.skip_course(order, 2))

    assert order.courses[2].status is CourseStatus.SKIPPED
    assert k.ticket("cold", 2).status is TicketStatus.VOIDED


# ---- rules 4–6: work on the line ------------------------------------------------------------


def test_start_sets_items_preparing_and_course_in_progress() -> None:
    k = Kitchen()
    order = k.create()

    order = k.do(commands.ticket_action(order, "grill", TicketAction.START))

    assert k.item("Hamburger").status is ItemStatus.PREPARING
    assert order.courses[1].status is CourseStatus.IN_PROGRESS
    assert order.status is OrderStatus.PREPARING
    assert k.ticket("grill", 1).started_ms is not None


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (a, b, (a, b) in {("pending", "preparing"), ("preparing", "ready"), ("ready", "served")})
        for a in ("pending", "preparing", "ready", "served")
        for b in ("pending", "preparing", "ready", "served")
    ],
)
def test_item_transitions_are_exactly_the_seed_table(current: str, target: str, allowed: bool) -> None:
    k = Kitchen()
    order = k.create()
    item_id = k.item("Hamburger").id
    path = ["preparing", "ready", "served"]
    for step in path[: path.index(current) + 1] if current != "pending" else []:
        order = k.do(commands.set_item_status(order, item_id, ItemStatus(step)))

    if allowed:
        assert k.do(commands.set_item_status(order, item_id, ItemStatus(target))).items[item_id].status == target
    else:
        with pytest.raises(InvalidEvent) as caught:
            k.do(commands.set_item_status(order, item_id, ItemStatus(target)))
        assert caught.value.code == "INVALID_STATUS_TRANSITION"


def test_ticket_is_ready_when_all_its_items_are() -> None:
    k = Kitchen()
    order = k.create()
    item_id = k.item("Hamburger").id

    order = k.do(commands.set_item_status(order, item_id, ItemStatus.PREPARING))
    order = k.do(commands.set_item_status(order, item_id, ItemStatus.READY))

    assert k.ticket("grill", 1).status is TicketStatus.READY
    assert order.courses[1].status is CourseStatus.COMPLETE
    assert order.courses[1].completed_ms is not None


def test_bump_marks_items_ready_and_sets_completed_at() -> None:
    k = Kitchen()
    order = k.create()

    k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))

    ticket = k.ticket("grill", 1)
    assert ticket.status is TicketStatus.BUMPED
    assert ticket.completed_ms is not None
    assert k.item("Hamburger").status is ItemStatus.READY


def test_recall_clears_completed_at() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))

    k.do(commands.ticket_action(order, "grill", TicketAction.RECALL))

    assert k.ticket("grill", 1).status is TicketStatus.RECALLED
    assert k.ticket("grill", 1).completed_ms is None


def test_void_is_never_after_bump() -> None:
    k = Kitchen()
    order = k.create()
    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))

    with pytest.raises(InvalidEvent):
        k.do(commands.ticket_action(order, "grill", TicketAction.VOID))


def test_priority_is_set_on_the_current_ticket() -> None:
    k = Kitchen()
    order = k.create()

    k.do(commands.set_ticket_priority(order, "grill", TicketPriority.URGENT))

    assert k.ticket("grill", 1).priority is TicketPriority.URGENT


def test_priority_order_starts_tickets_high() -> None:
    k = Kitchen()

    k.create(seed(priority=True))

    assert k.ticket("grill", 1).priority is TicketPriority.HIGH


def test_no_ticket_at_a_station_is_not_found() -> None:
    k = Kitchen()
    order = k.create()

    with pytest.raises(TicketNotFound):
        commands.ticket_action(order, "fry", TicketAction.START)


def test_current_ticket_is_the_lowest_unfinished_unheld_course() -> None:
    body = seed()
    for item in body["items"]:
        item["courseStatus"] = "fire"
        item["name"] = "Ribeye"
    k = Kitchen()
    order = k.create(body)

    order = k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    order = k.do(commands.ticket_action(order, "grill", TicketAction.START))

    assert k.ticket("grill", 1).status is TicketStatus.BUMPED
    assert k.ticket("grill", 2).status is TicketStatus.IN_PROGRESS


# ---- rule 7: cancel ------------------------------------------------------------------------


def test_cancel_keeps_tickets_and_blocks_firing() -> None:
    k = Kitchen()
    order = k.create()

    order = k.do(commands.cancel_order(order, "123"))

    assert order.status is OrderStatus.CANCELED
    assert k.ticket("grill", 1).status is TicketStatus.PENDING
    with pytest.raises(Conflict):
        k.do(commands.fire_course(order, 2))
    assert commands.cancel_order(order, "123") is None


# ---- rule 8: updates -----------------------------------------------------------------------


def test_full_update_flags_modified_deleted_added() -> None:
    k = Kitchen()
    k.create()
    body = seed()
    body["items"] = [{**body["items"][0], "qty": 2}, {"lineId": "3", "name": "Fries", "qty": 1, "mods": []}]
    fields, items = intake.check_order(body)

    k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    assert (k.item("Hamburger").flag, k.item("Hamburger").qty) == (ItemFlag.MODIFIED, 2)
    assert k.item("Vanilla Shake").flag is ItemFlag.DELETED
    assert k.item("Fries").flag is ItemFlag.ADDED


def test_full_update_without_changes_flags_nothing() -> None:
    k = Kitchen()
    before = k.create()
    fields, items = intake.check_order(seed())

    after = k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    assert [i.flag for i in after.items.values()] == [ItemFlag.NONE, ItemFlag.NONE]
    assert after.items == before.items


def test_modified_item_reopens_its_bumped_ticket() -> None:
    k = Kitchen()
    order = k.create()
    k.do(commands.ticket_action(order, "grill", TicketAction.BUMP))
    body = seed()
    body["items"][0]["mods"] = ["No Ketchup"]
    fields, items = intake.check_order(body)

    k.do(commands.replace_order(k.order, fields, items, KITCHEN))

    assert k.item("Hamburger").status is ItemStatus.PENDING
    assert k.ticket("grill", 1).status is TicketStatus.PENDING
    assert k.ticket("grill", 1).completed_ms is None


def test_partial_update_seed_example() -> None:
    k = Kitchen()
    k.create()
    patch = intake.check_partial(
        {
            "id": "123",
            "name": "New order name",
            "mode": None,
            "itemsToAdd": [{"lineId": "3", "qty": 1, "name": "Hamburger", "mods": ["no tomato"]}],
        }
    )

    order = k.do(commands.patch_order(k.order, "123", patch, KITCHEN))

    assert order.name == "New order name"
    assert order.mode == "Pickup"
    assert [(i.line_id, i.flag) for i in order.items.values()][-1] == ("3", ItemFlag.ADDED)


def test_partial_update_ignores_duplicate_adds_and_unknown_updates() -> None:
    k = Kitchen()
    before = k.create()
    patch = intake.check_partial(
        {
            "id": "123",
            "itemsToAdd": [{"lineId": "1", "name": "Dup", "qty": 1, "mods": []}],
            "itemsToUpdate": [{"lineId": "9", "name": "Ghost", "qty": 1, "mods": []}],
        }
    )

    after = k.do(commands.patch_order(k.order, "123", patch, KITCHEN))

    assert after.items == before.items


def test_partial_remove_flags_deleted() -> None:
    k = Kitchen()
    k.create()
    patch = intake.check_partial({"id": "123", "itemsToRemove": ["1"]})

    k.do(commands.patch_order(k.order, "123", patch, KITCHEN))

    assert k.item("Hamburger").flag is ItemFlag.DELETED


def test_check_number_is_appended_to_the_name() -> None:
    assert Kitchen().create(seed(checkNumber="42")).display_name == "John Doe 42"


def test_create_twice_is_refused() -> None:
    k = Kitchen()
    k.create()

    with pytest.raises(OrderExists):
        k.create()


def test_update_of_missing_order_is_not_found() -> None:
    fields, items = intake.check_order(seed())

    with pytest.raises(HeardError) as caught:
        commands.replace_order(None, fields, items, KITCHEN)

    assert caught.value.status == 404
