"""What follows from a change: tickets for work that has none, derived ticket, course and order statuses.

Every apply of an order event ends here, so the rules of ARCHITECTURE §4 (3, 4, 5) hold whichever
event caused the change, on every device, and in a re-fold exactly as in the live path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from daemon.domain.model import (
    ITEM_DONE,
    Course,
    CourseStatus,
    Item,
    ItemFlag,
    ItemStatus,
    Order,
    OrderStatus,
    Ticket,
    TicketPriority,
    TicketStatus,
)
from daemon.domain.values import evolve, name_uuid

_TICKET_NS = uuid.UUID("6f1d2c0a-5b7e-4c1e-9a43-2f7d3c5e8b10")

# Tickets a cook still has to act on; a course hold takes these off the line.
_UNFINISHED = frozenset({TicketStatus.PENDING, TicketStatus.IN_PROGRESS, TicketStatus.RECALLED})


Pair = tuple[str, int]  # (station id, course number)


def ticket_id(order_id: str, station_id: str, course: int, generation: int = 0) -> str:
    """Deterministic, so two devices that create the same ticket create one. The first ticket of a
    (station, course) keeps the id it always had; one that follows voided ones adds its generation."""
    key = f"{order_id}\x1f{station_id}\x1f{course}"
    return name_uuid(_TICKET_NS, f"{key}\x1f{generation}" if generation else key)


def settle(order: Order, at_ms: int) -> Order:
    if order.canceled:
        # Rule 7: nothing of a canceled order fires any more, so a held ticket would be held forever
        # (and could never be bumped off the screen): it is voided, with its items.
        held = [t for t in order.tickets.values() if t.status is TicketStatus.HELD]
        if held:
            order = void_tickets(order, held, at_ms)
    open_pairs, generations, kept = _ticket_index(order)
    live_by_pair: dict[Pair, list[Item]] = {}
    live_by_course: dict[int, list[Item]] = {}
    for item in order.items.values():  # one pass over the items serves every ticket and course below
        if not item.is_live:
            continue
        live_by_course.setdefault(item.course, []).append(item)
        for station_id in item.stations:
            pair = (station_id, item.course)
            if kept and item.status in ITEM_DONE and item.id in kept.get(pair, ()):
                continue  # made before its ticket was voided: it stays on that ticket
            live_by_pair.setdefault(pair, []).append(item)
    tickets = _ensure_tickets(order, live_by_pair, open_pairs, generations, at_ms)
    tickets = {
        tid: _settle_ticket(order, t, live_by_pair.get((t.station_id, t.course), []), at_ms)
        for tid, t in tickets.items()
    }
    started = {t.course for t in tickets.values() if t.started_ms is not None}
    courses = {n: _settle_course(c, live_by_course.get(n, []), n in started, at_ms) for n, c in order.courses.items()}
    live = [i for items in live_by_course.values() for i in items]
    status = _order_status(order.canceled, bool(order.items), live)
    return evolve(order, tickets=tickets, courses=courses, status=status, updated_ms=max(order.updated_ms, at_ms))


def _ticket_index(order: Order) -> tuple[set[Pair], dict[Pair, int], dict[Pair, set[str]]]:
    """Pairs with a ticket that is not voided, how many tickets each pair has had, and the items
    voided tickets kept."""
    open_pairs: set[Pair] = set()
    generations: dict[Pair, int] = {}
    kept: dict[Pair, set[str]] = {}
    for t in order.tickets.values():
        pair = (t.station_id, t.course)
        generations[pair] = generations.get(pair, 0) + 1
        if t.status is not TicketStatus.VOIDED:
            open_pairs.add(pair)
        elif t.item_ids:
            kept.setdefault(pair, set()).update(t.item_ids)
    return open_pairs, generations, kept


def _ensure_tickets(
    order: Order, live_by_pair: dict[Pair, list[Item]], open_pairs: set[Pair], generations: dict[Pair, int], at_ms: int
) -> dict[str, Ticket]:
    """Live work with no ticket to go on gets one: the first of its (station, course), or a new one
    after voided ones. A canceled order gets none: nothing of it fires any more."""
    tickets = dict(order.tickets)
    if order.canceled:
        return tickets
    for (station_id, course_number), live in live_by_pair.items():
        if (station_id, course_number) in open_pairs or all(i.status in ITEM_DONE for i in live):
            continue
        generation = generations.get((station_id, course_number), 0)
        tid = ticket_id(order.id, station_id, course_number, generation)
        course = order.courses.get(course_number)
        status = TicketStatus.HELD if course and course.status is CourseStatus.HELD else TicketStatus.PENDING
        priority = TicketPriority.HIGH if order.priority else TicketPriority.NORMAL
        tickets[tid] = Ticket(tid, station_id, course_number, status, at_ms, priority, updated_ms=at_ms)
    return tickets


def _settle_ticket(order: Order, ticket: Ticket, live: list[Item], at_ms: int) -> Ticket:
    if ticket.status is TicketStatus.VOIDED:  # final: new work at its (station, course) gets a new ticket
        return ticket
    course = order.courses.get(ticket.course)
    course_status = course.status if course else CourseStatus.FIRED
    all_done = bool(live) and all(i.status in ITEM_DONE for i in live)
    # New or changed work on a finished ticket puts it back on the line (an update is new work).
    if ticket.status in (TicketStatus.READY, TicketStatus.BUMPED) and live and not all_done:
        ticket = evolve(ticket, status=TicketStatus.PENDING, ready_ms=None, completed_ms=None, updated_ms=at_ms)
    status = ticket.status
    # Rule 3: a ticket is held exactly while its course is held (and the order is not canceled).
    if course_status is CourseStatus.HELD and not order.canceled and status in _UNFINISHED:
        return _moved(ticket, TicketStatus.HELD, at_ms)
    # (A skipped course voided its held tickets with their items; a ticket made for work added to it
    # later starts pending, so a held ticket here belongs to a course that was fired.)
    if course_status is not CourseStatus.HELD and status is TicketStatus.HELD:
        ticket = _moved(ticket, TicketStatus.PENDING, at_ms)
        status = ticket.status
    if status is TicketStatus.HELD or not live:
        return ticket
    if status in (TicketStatus.PENDING, TicketStatus.IN_PROGRESS) and all_done:
        started = ticket.started_ms if ticket.started_ms is not None else at_ms
        return evolve(ticket, status=TicketStatus.READY, started_ms=started, ready_ms=at_ms, updated_ms=at_ms)
    if status is TicketStatus.PENDING and any(i.status is not ItemStatus.PENDING for i in live):
        return evolve(ticket, status=TicketStatus.IN_PROGRESS, started_ms=at_ms, updated_ms=at_ms)
    return ticket


def _moved(ticket: Ticket, status: TicketStatus, at_ms: int) -> Ticket:
    return ticket if ticket.status is status else evolve(ticket, status=status, updated_ms=at_ms)


def _settle_course(course: Course, live: list[Item], ticket_started: bool, at_ms: int) -> Course:
    if course.status in (CourseStatus.HELD, CourseStatus.SKIPPED):
        return course
    # Complete once nothing live is left to make: items voided or deleted do not keep a course open.
    done = all(i.status in ITEM_DONE for i in live)
    if done:
        if course.status is CourseStatus.COMPLETE:
            return course
        return evolve(course, status=CourseStatus.COMPLETE, completed_ms=at_ms, ready_ms=at_ms, updated_ms=at_ms)
    started = ticket_started or any(i.status is not ItemStatus.PENDING for i in live)
    if course.status is CourseStatus.COMPLETE:  # an added item reopened it
        status = CourseStatus.IN_PROGRESS if started else CourseStatus.FIRED
        return evolve(course, status=status, completed_ms=None, ready_ms=None, updated_ms=at_ms)
    if course.status is CourseStatus.FIRED and started:
        return evolve(course, status=CourseStatus.IN_PROGRESS, updated_ms=at_ms)
    return course


def _order_status(canceled: bool, has_items: bool, live: list[Item]) -> OrderStatus:
    """From the live items only. An order that had items but has none live (all voided or deleted)
    has nothing left for the kitchen: it reports served, so it leaves the active lists instead of
    waiting there forever. An order that never had an item is pending: its items are still to come."""
    if canceled:
        return OrderStatus.CANCELED
    if not live:
        return OrderStatus.SERVED if has_items else OrderStatus.PENDING
    if all(i.status is ItemStatus.SERVED for i in live):
        return OrderStatus.SERVED
    if all(i.status in ITEM_DONE for i in live):
        return OrderStatus.READY
    if any(i.status is not ItemStatus.PENDING for i in live):
        return OrderStatus.PREPARING
    return OrderStatus.PENDING


def items_with_status(order: Order, ids: list[str], status: ItemStatus, at_ms: int) -> dict[str, Item]:
    """The order's items with `ids` moved forward to `status` (never backwards)."""
    order_of = list(ItemStatus)
    items = dict(order.items)
    for iid in ids:
        item = items[iid]
        if item.is_live and order_of.index(item.status) < order_of.index(status):
            items[iid] = evolve(item, status=status, updated_ms=at_ms)
    return items


def void_tickets(order: Order, tickets: Iterable[Ticket], at_ms: int) -> Order:
    """Void tickets — a manager's void, a skipped course, a canceled order's held tickets — and with
    each its live, unfinished items: nothing may wait for food no station will make. Items already
    done stay as they are (the food exists); voided items stay visible, struck through."""
    items = dict(order.items)
    changed = dict(order.tickets)
    for ticket in tickets:
        had = order.items_of(ticket)
        for item in had:
            current = items[item.id]
            if current.is_live and not current.is_done:
                items[item.id] = evolve(current, flag=ItemFlag.VOIDED, updated_ms=at_ms)
        # It keeps what it showed; work arriving at its (station, course) later gets a new ticket.
        item_ids = tuple(i.id for i in had)
        changed[ticket.id] = evolve(ticket, status=TicketStatus.VOIDED, updated_ms=at_ms, item_ids=item_ids)
    return evolve(order, items=items, tickets=changed)
