"""The fold: an order's state is its events applied in (hlc, origin) order.

`apply` raises a `HeardError` for an event that is invalid at its place; the live path turns that
into the API's error, and `fold` records it as skipped. The same events give the same state on every
device, and an event applied twice (same id) changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from daemon.domain.codec import item_from_json
from daemon.domain.course_fold import COURSE_HANDLERS
from daemon.domain.errors import (
    Conflict,
    CourseNotFound,
    HeardError,
    InvalidEvent,
    ItemNotFound,
    OrderExists,
    OrderNotFound,
    TicketNotFound,
)
from daemon.domain.events import Event, OrderEvents, in_fold_order
from daemon.domain.model import (
    ITEM_TRANSITIONS,
    TICKET_TRANSITIONS,
    Course,
    CourseStatus,
    Item,
    ItemFlag,
    ItemStatus,
    Order,
    Ticket,
    TicketAction,
    TicketPriority,
    TicketStatus,
)
from daemon.domain.notices import apply_arrival_estimated, apply_customer_arrived
from daemon.domain.settle import items_with_status, settle, void_tickets
from daemon.domain.values import evolve, name_uuids

_ITEM_NS = uuid.UUID("0b7c3f1e-9d2a-4e8b-8c61-5a4f2e9d7b33")
_item_uuid = name_uuids(_ITEM_NS)


@dataclass(frozen=True)
class Skipped:
    """An event the fold passed over, and why: kept so an operator can see what was refused."""

    event_id: tuple[str, int]
    type: str
    code: str
    reason: str


@dataclass(frozen=True)
class Folded:
    state: Order | None
    skipped: tuple[Skipped, ...]


def fold(events: Iterable[Event], start: Order | None = None) -> Folded:
    state = start
    skipped: list[Skipped] = []
    for event in in_fold_order(list(events)):
        try:
            state = apply(state, event)
        except HeardError as exc:
            skipped.append(Skipped(event.id, event.type, exc.code, exc.message))
    return Folded(state, tuple(skipped))


def apply(state: Order | None, event: Event) -> Order:
    """The state after `event`; raises HeardError if the event is invalid here."""
    if event.type == OrderEvents.CREATED:
        if state is not None:
            raise OrderExists("Could not create resource. Id already exists")
        return settle(_created(event), event.at_ms)
    handler = _HANDLERS.get(event.type)
    if handler is None:
        raise InvalidEvent(f"unknown event type {event.type!r}", code="UNKNOWN_EVENT")
    if state is None:
        raise OrderNotFound(f"order {event.aggregate_id} does not exist")
    changed = handler(state, event)
    return settle(evolve(changed, revision=state.revision + 1), event.at_ms)


def _created(event: Event) -> Order:
    p = event.payload
    # Items in a create's payload never carry a status or flag: each starts pending, stamped with the event.
    items = _incoming(event, p["items"], event.at_ms)
    return Order(
        id=event.aggregate_id,
        fields=dict(p["fields"]),
        devices=tuple(p["devices"]),
        items={i.id: i for i in items},
        tickets={},
        courses=_new_courses({}, p.get("courses", ()), event.at_ms),
        created_ms=event.at_ms,
        updated_ms=event.at_ms,
    )


def item_id(order_id: str, line_id: str | None, salt: str = "") -> str:
    """An item's id. With a lineId it is the same in every event, which is how updates match items;
    without one it is salted with the event that brought the item (see `_incoming`)."""
    key = f"{order_id}\x1fline\x1f{line_id}" if line_id is not None else f"{order_id}\x1fnoline\x1f{salt}"
    return _item_uuid(key)


def _incoming(event: Event, raws: Iterable[Mapping[str, Any]], updated_ms: int | None = None) -> list[Item]:
    """The items an event brings. A line without a lineId has no id in the payload (events logged
    before this rule do, and keep it): it is derived from the event's id and the line's place in it,
    so two devices adding different lineless items to the same order never make one id."""
    items = []
    for index, raw in enumerate(raws):
        iid = raw.get("id")
        if iid is None:
            line_id = raw.get("lineId")
            iid = item_id(event.aggregate_id, line_id, f"{event.origin}\x1f{event.seq}\x1f{index}")
        items.append(item_from_json(raw, updated_ms, item_id=str(iid)))
    return items


def _stamped(item: Item, at_ms: int, flag: ItemFlag = ItemFlag.NONE) -> Item:
    return evolve(item, status=ItemStatus.PENDING, flag=flag, updated_ms=at_ms)


# A status by its value without the Enum call (Python code on 3.11, for every new course of every order).
_COURSE_STATUS = {s.value: s for s in CourseStatus}
_C_FIRED = CourseStatus.FIRED


def _new_courses(courses: Mapping[int, Course], specs: Iterable[Mapping[str, Any]], at_ms: int) -> dict[int, Course]:
    out = dict(courses)
    for spec in specs:
        number = int(spec["number"])
        if number in out:
            continue
        value = spec["status"]
        status = _COURSE_STATUS.get(value) or CourseStatus(value)  # the Enum call says what is wrong
        fired_ms = at_ms if status is _C_FIRED else None
        template = spec.get("template")
        out[number] = Course(
            number,
            str(spec["name"]),
            status,
            fired_ms=fired_ms,
            updated_ms=at_ms,
            template_id=str(template) if template is not None else None,
            auto=bool(spec.get("auto")),
        )
    return out


def _refuse_if_canceled(order: Order) -> None:
    if order.canceled:
        raise Conflict(f"order {order.id} is canceled", code="ORDER_CANCELED")


def _replaced(order: Order, event: Event) -> Order:
    """Full update: items matched by id (derived from lineId); changed → modified, missing → deleted."""
    _refuse_if_canceled(order)
    p = event.payload
    items: dict[str, Item] = {}
    for new in _incoming(event, p["items"]):
        items[new.id] = _merged(order.items.get(new.id), new, event.at_ms)
    for old in order.items.values():
        if old.id not in items:
            items[old.id] = old if not old.is_live else evolve(old, flag=ItemFlag.DELETED, updated_ms=event.at_ms)
    return evolve(
        order,
        fields=dict(p["fields"]),
        items=items,
        courses=_new_courses(order.courses, p.get("courses", ()), event.at_ms),
    )


def _merged(old: Item | None, new: Item, at_ms: int) -> Item:
    if old is None:
        return _stamped(new, at_ms, ItemFlag.ADDED)
    # Resent unchanged, a line stays as it is: a POS resending the whole order to change a tip must
    # not revive a dish a manager voided. A deleted line sent again is the POS adding it back.
    if old.flag is not ItemFlag.DELETED and old.same_content(new):
        return old
    # A modification is new work for the kitchen, so the line starts again at pending. The seed's
    # transition table governs status requests; a POS edit is not one.
    return _stamped(new, at_ms, ItemFlag.MODIFIED)


def _patched(order: Order, event: Event) -> Order:
    """Partial update: fields that were sent; itemsToAdd / itemsToUpdate / itemsToRemove by lineId."""
    _refuse_if_canceled(order)
    p = event.payload
    items = dict(order.items)
    # A removed line no longer exists on the order: an update naming it is ignored like any unknown
    # lineId (it must not come back), and an add brings it back as a new line.
    by_line = {i.line_id: i.id for i in items.values() if i.line_id is not None and i.flag is not ItemFlag.DELETED}
    for new in _incoming(event, p.get("add", ())):
        if new.line_id is not None and new.line_id in by_line:
            continue  # the seed: duplicate lineIds are ignored
        items[new.id] = _stamped(new, event.at_ms, ItemFlag.ADDED)
        if new.line_id is not None:
            by_line[new.line_id] = new.id
    for raw in p.get("update", ()):
        line_id = raw.get("lineId")
        old_id = by_line.get(line_id) if line_id is not None else None
        if old_id is None:
            continue  # the seed: nonexistent lineIds are ignored
        items[old_id] = _merged(items[old_id], item_from_json(raw, item_id=old_id), event.at_ms)
    for line_id in p.get("remove", ()):
        old_id = by_line.get(line_id)
        if old_id is not None and items[old_id].is_live:
            items[old_id] = evolve(items[old_id], flag=ItemFlag.DELETED, updated_ms=event.at_ms)
    fields = {**order.fields, **p.get("fields", {})}
    courses = _new_courses(order.courses, p.get("courses", ()), event.at_ms)
    return evolve(order, fields=fields, items=items, courses=courses)


def _canceled(order: Order, event: Event) -> Order:
    if order.canceled:
        raise Conflict(f"order {order.id} is already canceled", code="ORDER_CANCELED")
    return evolve(order, canceled=True)


def _item_status_set(order: Order, event: Event) -> Order:
    iid = str(event.payload["item_id"])
    item = order.items.get(iid)
    if item is None:
        raise ItemNotFound(f"item {iid} not found")
    target = ItemStatus(event.payload["status"])
    if item.flag is ItemFlag.VOIDED:
        raise InvalidEvent(f"item {iid} was voided", code="ITEM_VOIDED")
    if not item.is_live:
        raise InvalidEvent(f"item {iid} was deleted from the order", code="ITEM_DELETED")
    if target not in ITEM_TRANSITIONS[item.status]:
        allowed = ", ".join(sorted(ITEM_TRANSITIONS[item.status])) or "none (terminal)"
        raise InvalidEvent(
            f"item status cannot move from {item.status} to {target}; allowed: {allowed}",
            code="INVALID_STATUS_TRANSITION",
        )
    items = {**order.items, iid: evolve(item, status=target, updated_ms=event.at_ms)}
    return evolve(order, items=items)


def _ticket(order: Order, event: Event) -> Ticket:
    tid = str(event.payload["ticket_id"])
    ticket = order.tickets.get(tid)
    if ticket is None:
        raise TicketNotFound(f"ticket {tid} not found on order {order.id}")
    return ticket


def _ticket_action(action: TicketAction) -> Callable[[Order, Event], Order]:
    allowed_from, target = TICKET_TRANSITIONS[action]

    def handle(order: Order, event: Event) -> Order:
        ticket = _ticket(order, event)
        if ticket.status not in allowed_from:
            raise InvalidEvent(
                f"cannot {action.value} a ticket that is {ticket.status.value}", code="INVALID_TICKET_TRANSITION"
            )
        at = event.at_ms
        changed = evolve(ticket, status=target, updated_ms=at)
        items = order.items
        ids = [i.id for i in order.items_of(ticket)]
        if action is TicketAction.START:
            changed = evolve(changed, started_ms=at)
            if ticket.status is TicketStatus.RECALLED:
                items = _restarted(order, ids, at)
            else:
                items = items_with_status(order, ids, ItemStatus.PREPARING, at)
        elif action is TicketAction.READY:
            changed = evolve(changed, ready_ms=at)
            items = items_with_status(order, ids, ItemStatus.READY, at)
        elif action is TicketAction.BUMP:
            changed = evolve(changed, completed_ms=at, ready_ms=ticket.ready_ms or at)
            items = items_with_status(order, ids, ItemStatus.READY, at)
        elif action is TicketAction.RECALL:
            changed = evolve(changed, completed_ms=None)
        return evolve(order, items=items, tickets={**order.tickets, ticket.id: changed})

    return handle


def _restarted(order: Order, ids: list[str], at_ms: int) -> dict[str, Item]:
    """Starting a recalled ticket remakes it: its items that are ready (not yet served) go back to
    preparing, with the pending ones. Otherwise settle would see them done and flip the ticket
    straight back to ready. This is the one backward item move, and only a cook's start makes it;
    the seed's item table still governs status requests."""
    items = dict(order.items)
    for iid in ids:
        item = items[iid]
        if item.is_live and item.status in (ItemStatus.PENDING, ItemStatus.READY):
            items[iid] = evolve(item, status=ItemStatus.PREPARING, updated_ms=at_ms)
    return items


def _ticket_voided(order: Order, event: Event) -> Order:
    ticket = _ticket(order, event)
    allowed_from, _ = TICKET_TRANSITIONS[TicketAction.VOID]
    if ticket.status not in allowed_from:
        raise InvalidEvent(f"cannot void a ticket that is {ticket.status.value}", code="INVALID_TICKET_TRANSITION")
    return void_tickets(order, [ticket], event.at_ms)


def _priority_set(order: Order, event: Event) -> Order:
    ticket = _ticket(order, event)
    if ticket.status is TicketStatus.VOIDED:
        raise InvalidEvent("cannot change the priority of a voided ticket", code="INVALID_TICKET_TRANSITION")
    changed = evolve(ticket, priority=TicketPriority(event.payload["priority"]), updated_ms=event.at_ms)
    return evolve(order, tickets={**order.tickets, ticket.id: changed})


def _ticket_seen(order: Order, event: Event) -> Order:
    """Tickets a screen displayed: each keeps the first time. A ticket the event names that this order
    does not have (yet, on a device that has not folded its creation) is passed over, not an error: a
    screen's acknowledgement must never make an order's log unfoldable."""
    tickets = dict(order.tickets)
    for tid in event.payload.get("ticket_ids", ()):
        ticket = tickets.get(tid)
        if ticket is not None and ticket.seen_ms is None:
            tickets[tid] = evolve(ticket, seen_ms=event.at_ms)
    return evolve(order, tickets=tickets)


def _course(order: Order, event: Event) -> Course:
    number = int(event.payload["course"])
    course = order.courses.get(number)
    if course is None:
        raise CourseNotFound(f"order {order.id} has no course {number}")
    return course


def _course_fired(order: Order, event: Event) -> Order:
    p = event.payload
    course = _course(order, event)
    if p.get("fact") and (order.canceled or course.status is not CourseStatus.HELD):
        # A timer's fire (deterministic fact id) that another device or an earlier pass already made,
        # or that a person overtook: the same fact, merged, not a refusal to record.
        return order
    _refuse_if_canceled(order)
    if course.status is not CourseStatus.HELD:
        code = "COURSE_ALREADY_COMPLETE" if course.status in (CourseStatus.COMPLETE, CourseStatus.SKIPPED) else None
        raise Conflict(f"course {course.number} is already {course.status.value}", code=code or "COURSE_ALREADY_FIRED")
    fire_at = p.get("fire_at_ms")
    fired = evolve(
        course,
        status=CourseStatus.FIRED,
        fired_ms=event.at_ms,
        fired_by=p.get("by") or event.actor.sub,
        hold_reason=None,
        notes=p.get("notes") if p.get("notes") is not None else course.notes,
        fire_at_ms=int(fire_at) if fire_at is not None else course.fire_at_ms,
        updated_ms=event.at_ms,
    )
    return evolve(order, courses={**order.courses, course.number: fired})


def _course_held(order: Order, event: Event) -> Order:
    _refuse_if_canceled(order)  # nothing of a canceled order fires any more, so nothing may wait to fire
    course = _course(order, event)
    if course.status in (CourseStatus.COMPLETE, CourseStatus.SKIPPED):
        raise Conflict(f"course {course.number} is already {course.status.value}", code="COURSE_ALREADY_COMPLETE")
    # A person's hold waits for a person: the clock no longer fires it, and a stagger is called off.
    held = evolve(
        course,
        status=CourseStatus.HELD,
        hold_reason=event.payload.get("reason"),
        auto=False,
        fire_at_ms=None,
        updated_ms=event.at_ms,
    )
    return evolve(order, courses={**order.courses, course.number: held})


def _course_skipped(order: Order, event: Event) -> Order:
    course = _course(order, event)
    if course.status in (CourseStatus.COMPLETE, CourseStatus.SKIPPED):
        raise Conflict(f"course {course.number} is already {course.status.value}", code="COURSE_ALREADY_COMPLETE")
    at = event.at_ms
    # Rule 3: skipping voids the course's unstarted tickets, as a manager's void would (their items too).
    unstarted = [
        t
        for t in order.tickets.values()
        if t.course == course.number and t.status in (TicketStatus.HELD, TicketStatus.PENDING)
    ]
    order = void_tickets(order, unstarted, at)
    skipped = evolve(course, status=CourseStatus.SKIPPED, updated_ms=at)
    return evolve(order, courses={**order.courses, course.number: skipped})


def _table_assigned(order: Order, event: Event) -> Order:
    """Allowed on a canceled order too: where its guests sit is front-of-house fact, not kitchen work."""
    p = event.payload
    return evolve(
        order, table_id=str(p["table_id"]), table_number=p.get("table_number"), table_name=p.get("table_name")
    )


def _table_cleared(order: Order, event: Event) -> Order:
    """Unlinks only the table it names: a clear that arrives after the order moved leaves the new one."""
    if order.table_id != event.payload.get("table_id"):
        return order
    return evolve(order, table_id=None, table_number=None, table_name=None)


_HANDLERS: dict[str, Callable[[Order, Event], Order]] = {
    OrderEvents.REPLACED: _replaced,
    OrderEvents.PATCHED: _patched,
    OrderEvents.CANCELED: _canceled,
    OrderEvents.ITEM_STATUS_SET: _item_status_set,
    OrderEvents.TICKET_STARTED: _ticket_action(TicketAction.START),
    OrderEvents.TICKET_READIED: _ticket_action(TicketAction.READY),
    OrderEvents.TICKET_BUMPED: _ticket_action(TicketAction.BUMP),
    OrderEvents.TICKET_RECALLED: _ticket_action(TicketAction.RECALL),
    OrderEvents.TICKET_VOIDED: _ticket_voided,
    OrderEvents.TICKET_PRIORITY_SET: _priority_set,
    OrderEvents.TICKET_SEEN: _ticket_seen,
    OrderEvents.COURSE_FIRED: _course_fired,
    OrderEvents.COURSE_HELD: _course_held,
    OrderEvents.COURSE_SKIPPED: _course_skipped,
    OrderEvents.TABLE_ASSIGNED: _table_assigned,
    OrderEvents.TABLE_CLEARED: _table_cleared,
    **COURSE_HANDLERS,
    OrderEvents.CUSTOMER_ARRIVED: apply_customer_arrived,
    OrderEvents.ARRIVAL_ESTIMATED: apply_arrival_estimated,
}

TICKET_EVENT_OF_ACTION: dict[TicketAction, str] = {
    TicketAction.START: OrderEvents.TICKET_STARTED,
    TicketAction.READY: OrderEvents.TICKET_READIED,
    TicketAction.BUMP: OrderEvents.TICKET_BUMPED,
    TicketAction.RECALL: OrderEvents.TICKET_RECALLED,
    TicketAction.VOID: OrderEvents.TICKET_VOIDED,
}
