"""What follows from a change: tickets for work that has none, derived ticket, course and order statuses.

Every apply of an order event ends here, so the rules of ARCHITECTURE §4 (3, 4, 5) hold whichever
event caused the change, on every device, and in a re-fold exactly as in the live path.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from daemon.domain.model import (
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
from daemon.domain.values import evolve, name_uuids

# Enum members as module constants: on Python 3.11 each `Enum.MEMBER` goes through the enum metaclass's
# attribute hook (~0.15 µs), and settle runs after every event of every order.
_C_COMPLETE = CourseStatus.COMPLETE
_C_FIRED = CourseStatus.FIRED
_C_HELD = CourseStatus.HELD
_C_IN_PROGRESS = CourseStatus.IN_PROGRESS
_C_SKIPPED = CourseStatus.SKIPPED
_F_DELETED = ItemFlag.DELETED
_F_VOIDED = ItemFlag.VOIDED
_I_PENDING = ItemStatus.PENDING
_I_READY = ItemStatus.READY
_I_SERVED = ItemStatus.SERVED
_O_CANCELED = OrderStatus.CANCELED
_O_PENDING = OrderStatus.PENDING
_O_PREPARING = OrderStatus.PREPARING
_O_READY = OrderStatus.READY
_O_SERVED = OrderStatus.SERVED
_P_HIGH = TicketPriority.HIGH
_P_NORMAL = TicketPriority.NORMAL
_T_BUMPED = TicketStatus.BUMPED
_T_HELD = TicketStatus.HELD
_T_IN_PROGRESS = TicketStatus.IN_PROGRESS
_T_PENDING = TicketStatus.PENDING
_T_READY = TicketStatus.READY
_T_RECALLED = TicketStatus.RECALLED
_T_VOIDED = TicketStatus.VOIDED

_TICKET_NS = uuid.UUID("6f1d2c0a-5b7e-4c1e-9a43-2f7d3c5e8b10")
_ticket_uuid = name_uuids(_TICKET_NS)

# Tickets a cook still has to act on; a course hold takes these off the line.
_UNFINISHED = frozenset({_T_PENDING, _T_IN_PROGRESS, _T_RECALLED})


Pair = tuple[str, int]  # (station id, course number)


def ticket_id(order_id: str, station_id: str, course: int, generation: int = 0) -> str:
    """Deterministic, so two devices that create the same ticket create one. The first ticket of a
    (station, course) keeps the id it always had; one that follows voided ones adds its generation."""
    key = f"{order_id}\x1f{station_id}\x1f{course}"
    return _ticket_uuid(f"{key}\x1f{generation}" if generation else key)


class _Work:
    """What the live items of one ticket, course or order add up to, counted in one pass over the items
    (asking each ticket and course to scan its items again was most of settle's time)."""

    __slots__ = ("live", "undone", "started", "unserved")

    def __init__(self) -> None:
        self.live = self.undone = self.started = self.unserved = 0

    def add(self, done: bool, started: bool, served: bool) -> None:
        self.live += 1
        if not done:
            self.undone += 1
        if started:
            self.started += 1
        if not served:
            self.unserved += 1


_NOTHING = _Work()  # a ticket or course with no live item


def settle(order: Order, at_ms: int) -> Order:
    if order.canceled:
        # Rule 7: nothing of a canceled order fires any more, so a held ticket would be held forever
        # (and could never be bumped off the screen): it is voided, with its items.
        held = [t for t in order.tickets.values() if t.status is _T_HELD]
        if held:
            order = void_tickets(order, held, at_ms)
    open_pairs, generations, kept = _ticket_index(order)
    by_pair: dict[Pair, _Work] = {}
    by_course: dict[int, _Work] = {}
    whole = _Work()
    for item in order.items.values():  # one pass over the items serves every ticket and course below
        flag = item.flag
        if flag is _F_DELETED or flag is _F_VOIDED:  # Item.is_live, without a property call per item
            continue
        item_status = item.status
        done = item_status is _I_READY or item_status is _I_SERVED  # ITEM_DONE
        started = item_status is not _I_PENDING
        served = item_status is _I_SERVED
        whole.add(done, started, served)
        course = item.course
        course_work = by_course.get(course)
        if course_work is None:
            course_work = by_course[course] = _Work()
        course_work.add(done, started, served)
        for station_id in item.stations:
            pair = (station_id, course)
            if kept and done and item.id in kept.get(pair, ()):
                continue  # made before its ticket was voided: it stays on that ticket
            work = by_pair.get(pair)
            if work is None:
                work = by_pair[pair] = _Work()
            work.add(done, started, served)
    tickets = _ensure_tickets(order, by_pair, open_pairs, generations, at_ms)
    tickets = {
        tid: _settle_ticket(order, t, by_pair.get((t.station_id, t.course), _NOTHING), at_ms)
        for tid, t in tickets.items()
    }
    started_courses = {t.course for t in tickets.values() if t.started_ms is not None}
    courses = {
        n: _settle_course(c, by_course.get(n, _NOTHING), n in started_courses, at_ms) for n, c in order.courses.items()
    }
    status = _order_status(order.canceled, bool(order.items), whole)
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
        if t.status is not _T_VOIDED:
            open_pairs.add(pair)
        elif t.item_ids:
            kept.setdefault(pair, set()).update(t.item_ids)
    return open_pairs, generations, kept


def _ensure_tickets(
    order: Order, by_pair: dict[Pair, _Work], open_pairs: set[Pair], generations: dict[Pair, int], at_ms: int
) -> dict[str, Ticket]:
    """Live work with no ticket to go on gets one: the first of its (station, course), or a new one
    after voided ones. A canceled order gets none: nothing of it fires any more."""
    tickets = dict(order.tickets)
    if order.canceled:
        return tickets
    oid, courses = order.id, order.courses
    priority = _P_HIGH if order.priority else _P_NORMAL
    for pair, work in by_pair.items():
        if pair in open_pairs or not work.undone:
            continue
        station_id, course_number = pair
        generation = generations.get(pair, 0)
        tid = ticket_id(oid, station_id, course_number, generation)
        course = courses.get(course_number)
        status = _T_HELD if course is not None and course.status is _C_HELD else _T_PENDING
        tickets[tid] = Ticket(tid, station_id, course_number, status, at_ms, priority, updated_ms=at_ms)
    return tickets


def _settle_ticket(order: Order, ticket: Ticket, work: _Work, at_ms: int) -> Ticket:
    if ticket.status is _T_VOIDED:  # final: new work at its (station, course) gets a new ticket
        return ticket
    course = order.courses.get(ticket.course)
    course_status = course.status if course else _C_FIRED
    live = work.live > 0
    all_done = live and not work.undone
    # New or changed work on a finished ticket puts it back on the line (an update is new work).
    if ticket.status in (_T_READY, _T_BUMPED) and live and not all_done:
        ticket = evolve(ticket, status=_T_PENDING, ready_ms=None, completed_ms=None, updated_ms=at_ms)
    status = ticket.status
    # Rule 3: a ticket is held exactly while its course is held (and the order is not canceled).
    if course_status is _C_HELD and not order.canceled and status in _UNFINISHED:
        return _moved(ticket, _T_HELD, at_ms)
    # (A skipped course voided its held tickets with their items; a ticket made for work added to it
    # later starts pending, so a held ticket here belongs to a course that was fired.)
    if course_status is not _C_HELD and status is _T_HELD:
        ticket = _moved(ticket, _T_PENDING, at_ms)
        status = ticket.status
    if status is _T_HELD or not live:
        return ticket
    if status in (_T_PENDING, _T_IN_PROGRESS) and all_done:
        started = ticket.started_ms if ticket.started_ms is not None else at_ms
        return evolve(ticket, status=_T_READY, started_ms=started, ready_ms=at_ms, updated_ms=at_ms)
    if status is _T_PENDING and work.started:
        return evolve(ticket, status=_T_IN_PROGRESS, started_ms=at_ms, updated_ms=at_ms)
    return ticket


def _moved(ticket: Ticket, status: TicketStatus, at_ms: int) -> Ticket:
    return ticket if ticket.status is status else evolve(ticket, status=status, updated_ms=at_ms)


def _settle_course(course: Course, work: _Work, ticket_started: bool, at_ms: int) -> Course:
    if course.status in (_C_HELD, _C_SKIPPED):
        return course
    # Complete once nothing live is left to make: items voided or deleted do not keep a course open.
    done = not work.undone
    if done:
        if course.status is _C_COMPLETE:
            return course
        return evolve(course, status=_C_COMPLETE, completed_ms=at_ms, ready_ms=at_ms, updated_ms=at_ms)
    started = ticket_started or work.started > 0
    if course.status is _C_COMPLETE:  # an added item reopened it
        status = _C_IN_PROGRESS if started else _C_FIRED
        return evolve(course, status=status, completed_ms=None, ready_ms=None, updated_ms=at_ms)
    if course.status is _C_FIRED and started:
        return evolve(course, status=_C_IN_PROGRESS, updated_ms=at_ms)
    return course


def _order_status(canceled: bool, has_items: bool, live: _Work) -> OrderStatus:
    """From the live items only. An order that had items but has none live (all voided or deleted)
    has nothing left for the kitchen: it reports served, so it leaves the active lists instead of
    waiting there forever. An order that never had an item is pending: its items are still to come."""
    if canceled:
        return _O_CANCELED
    if not live.live:
        return _O_SERVED if has_items else _O_PENDING
    if not live.unserved:
        return _O_SERVED
    if not live.undone:
        return _O_READY
    if live.started:
        return _O_PREPARING
    return _O_PENDING


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
                items[item.id] = evolve(current, flag=_F_VOIDED, updated_ms=at_ms)
        # It keeps what it showed; work arriving at its (station, course) later gets a new ticket.
        item_ids = tuple(i.id for i in had)
        changed[ticket.id] = evolve(ticket, status=_T_VOIDED, updated_ms=at_ms, item_ids=item_ids)
    return evolve(order, items=items, tickets=changed)
